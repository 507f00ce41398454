#!/usr/bin/env bash
# Checks that the library and its attribute macro compile with the oldest Rust
# that the workspace declares as `rust-version` in Cargo.toml.
#
# Usage: scripts/msrv.sh
#
# Installs that toolchain with rustup (minimal profile) when it is missing, then
# runs `cargo check` on the two published crates, with `msrv` under the target
# directory (CARGO_TARGET_DIR, or target) as its own target directory.
#
# Exit status: 0 when both compile, cargo's status (101) when they do not, and 3
# when the toolchain is missing and cannot be installed (rustup is absent, or
# static.rust-lang.org cannot be reached within 180 s).

set -euo pipefail

cd "$(dirname "$0")/.."

msrv="$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)"
if [ -z "$msrv" ]; then
    echo "could not read rust-version from Cargo.toml" >&2
    exit 1
fi

if ! command -v rustup >/dev/null 2>&1; then
    echo "rustup is not installed, so the check with Rust $msrv did not run. Install rustup to run it." >&2
    exit 3
fi
if ! rustup run "$msrv" rustc --version >/dev/null 2>&1; then
    if ! timeout 180 rustup toolchain install "$msrv" --profile minimal; then
        echo "could not install Rust $msrv with rustup, so the check with it did not run" >&2
        exit 3
    fi
fi

CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/msrv" cargo "+$msrv" check --locked -p stateless-auth -p stateless-auth-macros
echo "stateless-auth and stateless-auth-macros compile with Rust $msrv"

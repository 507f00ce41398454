//! Compile-time behaviour of `#[token_required]`: the accepted forms build without
//! warnings, and each mistake is a compile error at the offending token, matched
//! against the `.stderr` snapshot beside its case. `ui/api/` contains misuses of the
//! library's own API that rustc reports. `tests/README.md` explains how to refresh
//! the snapshots.

#[test]
fn valid_forms_compile_without_warnings() {
    let cases = trybuild::TestCases::new();

    cases.pass("ui/pass/*.rs");
}

// The snapshots hold rustc's rendering of each error, which changes between compiler
// releases, so they are only compared on the release that wrote them. The version
// attribute goes above `#[test]`, which looks for `#[ignore]` when it expands,
// before the attributes below it have expanded.
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the .stderr snapshots were written by rustc 1.95; refresh them for this compiler"
)]
#[test]
fn mistakes_are_errors_at_offending_token() {
    let cases = trybuild::TestCases::new();

    cases.compile_fail("ui/fail/*.rs");
}

// rustc checks a spec's constants when it generates code for the guard that uses the
// spec, which `cargo check` skips. With a pass case in the same set, trybuild builds
// every case with `cargo build`, so the fail case shows those errors.
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the .stderr snapshots were written by rustc 1.95; refresh them for this compiler"
)]
#[test]
fn invalid_token_specs_fail_the_build() {
    let cases = trybuild::TestCases::new();

    cases.pass("ui/spec/valid.rs");
    cases.compile_fail("ui/spec/invalid_*.rs");
}

#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the .stderr snapshots were written by rustc 1.95; refresh them for this compiler"
)]
#[test]
fn api_misuses_are_errors() {
    let cases = trybuild::TestCases::new();

    cases.compile_fail("ui/api/*.rs");
}

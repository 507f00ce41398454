//! The cost of authentication per request, next to a bare handler and to
//! actix-web-httpauth's `BearerAuth` with the same lookup.
//!
//! Every case has an `App` of its own, built the same way, and every case runs in
//! one criterion run, so the ratios printed at the end compare medians measured
//! under the same load. Each case is timed twice: in group `auth` only
//! `call_service` and the dropping of the response are timed, and in group
//! `auth_built` the building of the `TestRequest` is timed too, as in a harness
//! that builds one request per iteration.
//!
//! Run it with `cargo bench -p stateless-auth-tests --bench auth`; BENCHMARKS.md
//! has the numbers.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use actix_web::test;
use criterion::Criterion;

mod support;

use support::{Case, Store};

/// Requests built before the clock starts and sent while it runs, in group `auth`.
const CHUNK: u64 = 64;

/// The benchmark of the loaders' own work, without actix-web, in group `auth`.
const LOADERS_ONLY: &str = "loaders_only";

/// What the clock covers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Timing {
    /// `call_service` and dropping the response.
    Call,
    /// Building the request as well.
    BuildAndCall,
}

impl Timing {
    /// Returns the name of the criterion group, which is also its output folder.
    fn group(self) -> &'static str {
        match self {
            Timing::Call => "auth",
            Timing::BuildAndCall => "auth_built",
        }
    }
}

fn main() {
    let started = SystemTime::now();
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();

    for timing in [Timing::Call, Timing::BuildAndCall] {
        bench_requests(&mut criterion, timing);
    }
    criterion.final_summary();

    for timing in [Timing::Call, Timing::BuildAndCall] {
        print_ratios(timing, started);
    }
}

/// Benchmarks every case through its app, then, in group `auth`, the loaders'
/// work alone.
fn bench_requests(criterion: &mut Criterion, timing: Timing) {
    let system = actix_rt::System::new();
    let mut group = criterion.benchmark_group(timing.group());

    for case in Case::ALL {
        let app = system.block_on(support::service(case));
        let response = system.block_on(test::call_service(&app, case.request()));
        assert_eq!(
            response.status(),
            case.expected_status(),
            "status of {}",
            case.name()
        );
        drop(response);

        group.bench_function(case.name(), |bencher| {
            bencher.iter_custom(|iters| system.block_on(time_requests(&app, case, iters, timing)))
        });
    }

    if timing == Timing::Call {
        let store = Store::new();
        group.bench_function(LOADERS_ONLY, |bencher| {
            bencher.iter(|| {
                let token = store.token(black_box(support::TOKEN));
                black_box(token.and_then(|token| store.user(&token)))
            })
        });
    }
    group.finish();
}

/// Sends `iters` requests of `case` through `app` and returns the time that
/// `timing` covers.
async fn time_requests<S, B>(app: &S, case: Case, iters: u64, timing: Timing) -> Duration
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    if timing == Timing::BuildAndCall {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(test::call_service(app, case.request()).await);
        }
        return start.elapsed();
    }

    let mut elapsed = Duration::ZERO;
    let mut remaining = iters;
    let mut requests = Vec::with_capacity(CHUNK as usize);
    while remaining > 0 {
        let chunk = remaining.min(CHUNK);
        requests.extend((0..chunk).map(|_| case.request()));

        let start = Instant::now();
        for request in requests.drain(..) {
            black_box(test::call_service(app, request).await);
        }
        elapsed += start.elapsed();

        remaining -= chunk;
    }
    elapsed
}

/// Prints the ratios of the medians of this run in `timing`'s group, read from
/// criterion's estimates.
///
/// A case whose estimates predate `started` did not run (a filter, `--test` or
/// `--profile-time`), and every ratio that needs it is left out.
fn print_ratios(timing: Timing, started: SystemTime) {
    let dir = output_directory().join(timing.group());
    let median = |name: &str| read_median(&dir.join(name).join("new/estimates.json"), started);

    let bare = median(Case::Bare.name());
    let guarded = median(Case::Guarded.name());
    let guarded_models = median(Case::GuardedModels.name());
    let peer = median(Case::Peer.name());
    let floor = median(Case::Floor.name());

    println!(
        "\nratios of medians in group {} ({}):",
        timing.group(),
        dir.display()
    );
    print_ratio("guarded / httpauth_lookup (budget <= 1.05)", guarded, peer);
    print_ratio(
        "guarded_user_token / guarded (budget <= 1.02)",
        guarded_models,
        guarded,
    );
    print_ratio("design_floor / httpauth_lookup", floor, peer);
    print_ratio("guarded / design_floor", guarded, floor);
    print_ratio("httpauth_lookup / bare", peer, bare);
    print_ratio("guarded / bare", guarded, bare);
    for case in [
        Case::MissingHeader,
        Case::UnknownToken,
        Case::MalformedHeader,
    ] {
        let label = format!("{} / guarded (budget <= 1.00)", case.name());
        print_ratio(&label, median(case.name()), guarded);
    }

    let loaders_path = output_directory()
        .join(Timing::Call.group())
        .join(LOADERS_ONLY)
        .join("new/estimates.json");
    let loaders = read_median(&loaders_path, started);
    if let (Some(bare), Some(guarded), Some(loaders)) = (bare, guarded, loaders) {
        let added = guarded - bare;
        println!(
            "  {:<50} {added:.0} ns added, of which the loaders' own work {loaders:.1} ns ({:.0}%)",
            "guarded - bare",
            100.0 * loaders / added
        );
    }
}

fn print_ratio(label: &str, numerator: Option<f64>, denominator: Option<f64>) {
    if let (Some(numerator), Some(denominator)) = (numerator, denominator) {
        println!(
            "  {label:<50} {:.3}  ({numerator:.0} ns / {denominator:.0} ns)",
            numerator / denominator
        );
    }
}

/// Returns the median in nanoseconds from criterion's `estimates.json` at `path`,
/// or `None` when the file is missing, unreadable or older than `started`.
fn read_median(path: &Path, started: SystemTime) -> Option<f64> {
    let modified = std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()?;
    if modified < started {
        return None;
    }

    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

/// Returns criterion's output directory, found the way criterion 0.8 finds it:
/// `CRITERION_HOME`, else `criterion` in the cargo target directory.
fn output_directory() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }

    // Cargo sets CARGO_TARGET_TMPDIR to `<target dir>/tmp` when it builds a bench.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("criterion")
}

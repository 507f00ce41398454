//! The budgets of the `auth` benchmark, measured in short interleaved rounds.
//!
//! Criterion times one case for seconds, then the next. When the machine's speed
//! changes between two cases, their ratio moves with it: five runs of the `auth`
//! benchmark spread guarded_user_token / guarded from 0.98 to 1.05. This benchmark
//! times every case for one short batch in each of many rounds, in an order that
//! changes from round to round, and divides two cases within the same round. A
//! change of speed that lasts longer than a round then moves both sides of a
//! ratio alike. It prints, for each budget, the median of the rounds' ratios and
//! their quartiles.
//!
//! It uses the apps and requests of the `auth` benchmark, and times what group
//! `auth` times: `call_service` and the dropping of the response, with requests
//! built before the clock starts.
//!
//! Run it with `cargo bench -p stateless-auth-tests --bench paired`. It takes about
//! 20 seconds; BENCHMARKS.md has the numbers.

use std::hint::black_box;
use std::time::{Duration, Instant};

use actix_web::test;

mod support;

use support::Case;

/// Rounds that are timed, after [`WARM_UP_ROUNDS`] that are not.
const ROUNDS: usize = 1_000;

/// Rounds run first and left out of the results, to fill caches and let the
/// allocator settle.
const WARM_UP_ROUNDS: usize = 50;

/// Requests built before the clock starts and sent while it runs.
const CHUNK: usize = 64;

/// Chunks per case in each round.
const CHUNKS_PER_BATCH: usize = 16;

/// The ratios printed, as (numerator, denominator, budget).
const RATIOS: [(Case, Case, Option<f64>); 8] = [
    (Case::Guarded, Case::Peer, Some(1.05)),
    (Case::GuardedModels, Case::Guarded, Some(1.02)),
    (Case::MissingHeader, Case::Guarded, Some(1.00)),
    (Case::UnknownToken, Case::Guarded, Some(1.00)),
    (Case::MalformedHeader, Case::Guarded, Some(1.00)),
    (Case::Floor, Case::Peer, None),
    (Case::Guarded, Case::Floor, None),
    (Case::Guarded, Case::Bare, None),
];

fn main() {
    // `cargo bench` passes `--bench`, and `cargo test --benches` passes no argument.
    // Without `--bench`, or with `--test`, run one round to show that every case
    // still works, and time nothing.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke = args.iter().any(|arg| arg == "--test") || !args.iter().any(|arg| arg == "--bench");
    let (warm_up, rounds) = if smoke {
        (0, 1)
    } else {
        (WARM_UP_ROUNDS, ROUNDS)
    };

    let system = actix_rt::System::new();
    let nanos = system.block_on(time_rounds(warm_up, rounds));
    if smoke {
        println!("paired: every case answered as expected");
        return;
    }

    print_results(&nanos);
}

/// Runs `warm_up + rounds` rounds and returns, for each case in the order of
/// [`Case::ALL`], its nanoseconds per request in each timed round.
async fn time_rounds(warm_up: usize, rounds: usize) -> Vec<Vec<f64>> {
    let mut apps = Vec::with_capacity(Case::ALL.len());
    for case in Case::ALL {
        let app = support::service(case).await;
        let response = test::call_service(&app, case.request()).await;
        assert_eq!(
            response.status(),
            case.expected_status(),
            "status of {}",
            case.name()
        );
        apps.push(app);
    }

    let mut nanos = vec![Vec::with_capacity(rounds); Case::ALL.len()];
    let mut requests = Vec::with_capacity(CHUNK);
    for round in 0..warm_up + rounds {
        for index in round_order(round) {
            let case = Case::ALL[index];
            let mut elapsed = Duration::ZERO;
            for _ in 0..CHUNKS_PER_BATCH {
                requests.extend((0..CHUNK).map(|_| case.request()));

                let start = Instant::now();
                for request in requests.drain(..) {
                    black_box(test::call_service(&apps[index], request).await);
                }
                elapsed += start.elapsed();
            }

            if round >= warm_up {
                let per_request = elapsed.as_nanos() as f64 / (CHUNK * CHUNKS_PER_BATCH) as f64;
                nanos[index].push(per_request);
            }
        }
    }
    nanos
}

/// Returns the order in which round `round` times the cases: [`Case::ALL`]
/// rotated by the round's number, and reversed in every other cycle of
/// `Case::ALL.len()` rounds. Over two cycles each case then precedes each other
/// case as often as it follows it.
fn round_order(round: usize) -> Vec<usize> {
    let count = Case::ALL.len();
    let mut order: Vec<usize> = (0..count).map(|i| (i + round) % count).collect();
    if (round / count) % 2 == 1 {
        order.reverse();
    }
    order
}

/// Prints each case's median time per request, then each ratio's median over the
/// rounds and its quartiles.
fn print_results(nanos: &[Vec<f64>]) {
    let index = |case: Case| {
        Case::ALL
            .iter()
            .position(|c| *c == case)
            .expect("every case is in Case::ALL")
    };

    println!(
        "ns per request, median of {} rounds of {} requests per case:",
        nanos[0].len(),
        CHUNK * CHUNKS_PER_BATCH
    );
    for case in Case::ALL {
        let mut values = nanos[index(case)].clone();
        println!("  {:<26} {:>8.1}", case.name(), quartiles(&mut values).1);
    }

    println!("\nratios within a round: median (first quartile to third quartile):");
    for (numerator, denominator, budget) in RATIOS {
        let mut ratios: Vec<f64> = nanos[index(numerator)]
            .iter()
            .zip(&nanos[index(denominator)])
            .map(|(n, d)| n / d)
            .collect();
        let (low, median, high) = quartiles(&mut ratios);

        let label = format!("{} / {}", numerator.name(), denominator.name());
        let verdict = match budget {
            Some(limit) if median <= limit => format!("budget <= {limit:.2}: met"),
            Some(limit) => format!("budget <= {limit:.2}: missed"),
            None => String::new(),
        };
        println!("  {label:<46} {median:.3} ({low:.3} to {high:.3})  {verdict}");
    }
}

/// Sorts `values` and returns their first quartile, median and third quartile.
fn quartiles(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);

    let at = |fraction: f64| values[((values.len() - 1) as f64 * fraction).round() as usize];
    (at(0.25), at(0.5), at(0.75))
}

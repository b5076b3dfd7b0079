//! The typed diff (`hollow::diff`) on the benchmark dataset (1M movies; `HOLLOW_BENCH_MOVIES` to
//! change), between a version and the next one, which changes 1% of the movies (modified, added and
//! removed):
//!
//! * `diff_1pct/one_delta`: the new state reached by applying the delta (untouched types shared; the
//!   candidates are the removed and added ordinals).
//! * `diff_1pct/snapshots`: both versions loaded from their own snapshots. The tags still say "one
//!   delta apart", so the candidates come from the populated sets, but no type is shared.
//! * `diff_1pct/snapshots_compare_all`: the same with `compare_all`: every movie, title, tag list and
//!   string populated in both is compared in place, as for states several deltas apart.
//!
//! ```text
//! cargo bench --bench diff [-- --sample-size 10]
//! ```

#[path = "support/movies.rs"]
mod movies;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use hollow::diff::{diff, DiffMethod, DiffOptions};
use hollow::read::ReadStateEngine;

const SEED: u64 = 42;

/// Both versions' snapshots, and the delta between them.
struct Versions {
    snapshots: [Vec<u8>; 2],
    delta: Vec<u8>,
}

fn versions() -> Versions {
    let n = std::env::var("HOLLOW_BENCH_MOVIES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let mut data = movies::Movies::generate(n, SEED);
    let mut engine = movies::new_engine(SEED);
    data.add_to(&mut engine).expect("version 0");
    let mut first = Vec::new();
    engine.write_snapshot(&mut first).expect("snapshot 0");
    engine.prepare_for_next_cycle();
    data.mutate(0.01);
    data.add_to(&mut engine).expect("version 1");
    let (mut second, mut delta) = (Vec::new(), Vec::new());
    engine.write_snapshot(&mut second).expect("snapshot 1");
    engine.write_delta(&mut delta).expect("delta");
    Versions { snapshots: [first, second], delta }
}

fn bench(c: &mut Criterion) {
    let v = versions();
    let old = ReadStateEngine::from_snapshot(&v.snapshots[0]).expect("snapshot 0");
    let by_delta = old.apply_delta(&v.delta).expect("delta");
    let loaded = ReadStateEngine::from_snapshot(&v.snapshots[1]).expect("snapshot 1");
    let options = DiffOptions { detail_limit: Some(100), ..DiffOptions::default() };
    let compare_all = DiffOptions { compare_all: true, ..options.clone() };

    let reference = diff(&old, &by_delta, &options).expect("diff");
    assert_eq!(reference.stats.method, DiffMethod::OneDelta);
    let movies = reference.type_diff("Movie").expect("Movie");
    eprintln!(
        "Movie: {} added, {} removed, {} modified, {} unchanged; {} records read",
        movies.added, movies.removed, movies.modified, movies.unchanged, reference.stats.records_read
    );
    let compared = diff(&old, &loaded, &compare_all).expect("diff");
    assert_eq!(compared.types, reference.types, "the in-place comparison finds the same changes");
    eprintln!(
        "compare_all: {} ordinals compared, {} records read",
        compared.stats.ordinals_compared, compared.stats.records_read
    );

    let mut g = c.benchmark_group("diff_1pct");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("one_delta", |b| b.iter(|| diff(&old, &by_delta, &options).expect("diff")));
    g.bench_function("snapshots", |b| b.iter(|| diff(&old, &loaded, &options).expect("diff")));
    g.bench_function("snapshots_compare_all", |b| b.iter(|| diff(&old, &loaded, &compare_all).expect("diff")));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

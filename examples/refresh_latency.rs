//! Read latency while the consumer refreshes.
//!
//! ```text
//! cargo run --release --example refresh_latency [-- MOVIES [DELTAS [READERS]]]
//! ```
//!
//! READERS threads (default 4) loop on requests against a consumer of the benchmark dataset (1M
//! movies): pin the current state, get its primary-key index, look up a random movie, read its
//! title. Each request is timed on its own. The consumer first holds still (the baseline), then
//! refreshes through a chain of DELTAS deltas (default 20), each changing 1% of the movies, one
//! after the other; the primary-key index is declared, so each refresh also moves it across the
//! delta before the new state becomes visible.
//!
//! Readers never wait for a refresh (the state is swapped atomically), so what a refresh costs them
//! is the memory traffic and the CPU it takes. With more threads than cores, a request may also
//! wait for the scheduler: the worst cases then measure the machine, not the library.

#[path = "../benches/support/movies.rs"]
mod movies;
#[path = "../benches/support/stats.rs"]
mod stats;

use std::hint::black_box;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hollow::consumer::Consumer;
use hollow::index::{KeyValue, PrimaryKeyIndex};
use hollow::read::ReadStateEngine;
use hollow::store::memory::InMemoryBlobStore;
use hollow::store::{Announcer, Blob, BlobPublisher};
use movies::{MOVIE_TITLE, STRING_VALUE};
use stats::{header, ms, row, Histogram, Summary};

const SEED: u64 = 42;
const WARMUP: u8 = 0;
const STEADY: u8 = 1;
const REFRESHING: u8 = 2;
const STOP: u8 = 3;

/// One request: (found, title length).
#[inline]
fn request(consumer: &Consumer, id: i64) -> Option<usize> {
    let state = consumer.read_state()?;
    let index = state.primary_key_index("Movie").ok()?;
    let engine = state.engine();
    let o = index.get(engine, &[KeyValue::Long(id)])?;
    let t = engine.object("Movie")?.read_ordinal(o, MOVIE_TITLE)?;
    engine.object("String")?.read_string(t, STRING_VALUE).map(|s| s.len())
}

struct ReaderReport {
    steady: Histogram,
    refreshing: Histogram,
    found: u64,
    requests: u64,
}

fn reader(consumer: Consumer, keys: Arc<Vec<i64>>, start: usize, phase: Arc<AtomicU8>) -> ReaderReport {
    let mut report =
        ReaderReport { steady: Histogram::default(), refreshing: Histogram::default(), found: 0, requests: 0 };
    let mut at = start;
    loop {
        let p = phase.load(Ordering::Relaxed);
        if p == STOP {
            return report;
        }
        let id = keys[at % keys.len()];
        at = at.wrapping_add(1);
        let t = Instant::now();
        let r = black_box(request(&consumer, id));
        let d = t.elapsed();
        match p {
            STEADY => report.steady.record_duration(d),
            REFRESHING => report.refreshing.record_duration(d),
            _ => continue,
        }
        report.requests += 1;
        report.found += r.is_some() as u64;
    }
}

/// Read latency while the consumer refreshes.
#[derive(clap::Parser)]
struct Args {
    /// Movies in the dataset.
    #[arg(default_value_t = 1_000_000)]
    movies: usize,
    /// Deltas to refresh through, each changing 1% of the movies.
    #[arg(default_value_t = 20)]
    deltas: usize,
    /// Reader threads.
    #[arg(default_value_t = 4)]
    readers: usize,
}

fn main() {
    let Args { movies: n, deltas, readers } = clap::Parser::parse();

    let t = Instant::now();
    let chain = movies::chain_cached(n, deltas, 0.01, SEED).expect("dataset");
    let delta_bytes: usize = chain.deltas.iter().map(Vec::len).sum();
    println!(
        "dataset: {n} movies, snapshot {:.1} MB, {deltas} deltas of 1% ({:.2} MB on average), ready in {:.1} s",
        chain.snapshot.len() as f64 / 1e6,
        delta_bytes as f64 / deltas.max(1) as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    breakdown(&chain);

    let store = Arc::new(InMemoryBlobStore::new());
    store.publish(&Blob::snapshot(1, chain.snapshot.clone())).expect("publish");
    for (i, d) in chain.deltas.iter().enumerate() {
        let from = i as i64 + 1;
        store.publish(&Blob::delta(from, from + 1, d.clone())).expect("publish");
    }
    store.announce(1, None).expect("announce");
    let consumer = Consumer::builder(store.clone()).with_primary_key_index("Movie").build();
    let t = Instant::now();
    consumer.refresh_to(1).expect("initial load");
    println!("initial snapshot load with index build: {:.0} ms", ms(t.elapsed()));

    let keys = Arc::new(movies::shuffled_keys(&chain.ids[0], 1 << 20, SEED));
    let phase = Arc::new(AtomicU8::new(WARMUP));
    let threads: Vec<_> = (0..readers)
        .map(|r| {
            let (consumer, keys, phase) = (consumer.clone(), keys.clone(), phase.clone());
            std::thread::spawn(move || reader(consumer, keys, r * 7919, phase))
        })
        .collect();

    std::thread::sleep(Duration::from_millis(500));
    phase.store(STEADY, Ordering::Relaxed);
    let steady_start = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    let steady_time = steady_start.elapsed();

    phase.store(REFRESHING, Ordering::Relaxed);
    let refresh_start = Instant::now();
    let mut durations = Vec::with_capacity(deltas);
    for v in 2..=deltas as i64 + 1 {
        let t = Instant::now();
        consumer.refresh_to(v).expect("refresh");
        durations.push(t.elapsed());
    }
    let refresh_time = refresh_start.elapsed();
    phase.store(STOP, Ordering::Relaxed);

    let mut steady = Histogram::default();
    let mut refreshing = Histogram::default();
    let (mut found, mut requests) = (0, 0);
    for t in threads {
        let r = t.join().expect("reader");
        steady.merge(&r.steady);
        refreshing.merge(&r.refreshing);
        found += r.found;
        requests += r.requests;
    }
    let m = consumer.metrics();
    assert_eq!(m.deltas_applied, deltas as u64, "every refresh followed its delta");
    assert_eq!(consumer.current_version(), Some(deltas as i64 + 1));

    println!("{readers} readers on {} cores; {}", cores(), load_average());
    println!(
        "requests: {requests}, {:.1}% found (keys drawn from the first version; replaced movies miss)",
        100.0 * found as f64 / requests.max(1) as f64
    );
    println!(
        "throughput: steady {:.2} M requests/s, while refreshing {:.2} M requests/s",
        steady.count() as f64 / steady_time.as_secs_f64() / 1e6,
        refreshing.count() as f64 / refresh_time.as_secs_f64() / 1e6
    );
    println!();
    header();
    row("request latency, steady", &steady.summary());
    row("request latency, during refreshes", &refreshing.summary());
    println!();
    let ds: Vec<f64> = durations.iter().map(|d| ms(*d)).collect();
    println!("per-refresh durations (ms): {}", ds.iter().map(|d| format!("{d:.0}")).collect::<Vec<_>>().join(" "));
    let s = Summary::of(&ds);
    println!(
        "refresh (delta + index update + swap): min {:.1} ms, median {:.1} ms, max {:.1} ms; {deltas} in {:.2} s",
        s.min,
        s.p50,
        s.max,
        refresh_time.as_secs_f64()
    );
}

/// Where a refresh's time goes, single-threaded and without readers: the engine applying each
/// delta, and the primary-key index following it.
fn breakdown(chain: &movies::Chain) {
    let mut engine = ReadStateEngine::from_snapshot(&chain.snapshot).expect("snapshot");
    let mut index = PrimaryKeyIndex::new(&engine, "Movie").expect("index");
    let (mut apply, mut update) = (Vec::new(), Vec::new());
    for d in &chain.deltas {
        let t = Instant::now();
        let next = engine.apply_delta(d).expect("delta");
        apply.push(ms(t.elapsed()));
        let t = Instant::now();
        index = index.updated(&engine, &next).expect("index update");
        update.push(ms(t.elapsed()));
        engine = next;
    }
    let (a, u) = (Summary::of(&apply), Summary::of(&update));
    println!(
        "alone: delta apply median {:.1} ms (max {:.1}), index update median {:.1} ms (max {:.1}, when it rebuilds)",
        a.p50, a.max, u.p50, u.max
    );
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(|l| format!("1-min load average {l}")))
        .unwrap_or_else(|| "load average unknown".into())
}

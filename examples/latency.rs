//! Per-operation latency of the read path on the 1M-movie benchmark dataset.
//!
//! ```text
//! cargo run --release --example latency [-- MOVIES [OPS [FILTER]]]
//! ```
//!
//! FILTER keeps the measurements whose name contains it (handy under `valgrind --tool=callgrind
//! --toggle-collect='latency::batched*'` to count instructions per operation).
//!
//! Criterion (`cargo bench --bench read_path`) reports means; this reports distributions, two ways:
//!
//! * **batch of 64**: time 64 consecutive operations with one `Instant` pair and divide. The timer's
//!   cost vanishes, but so does a single slow operation inside the batch: these percentiles are of
//!   64-operation averages.
//! * **single**: time every operation on its own and subtract the median cost of an empty `Instant`
//!   pair. Tails are real (a cache miss, an interrupt), medians carry the timer's noise.
//!
//! Keys are drawn at random from the dataset, so each lookup goes to a different part of the table
//! and the records, as a service answering requests would.

#[path = "../benches/support/movies.rs"]
mod movies;
#[path = "../benches/support/stats.rs"]
mod stats;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use hollow::consumer::{Consumer, ReadState};
use hollow::index::{HashIndex, KeyValue, PrimaryKeyIndex};
use hollow::read::{ObjectTypeReadState, ReadStateEngine};
use hollow::store::memory::InMemoryBlobStore;
use hollow::store::{Announcer, Blob, BlobPublisher};
use movies::{MOVIE_TITLE, MOVIE_YEAR, STRING_VALUE};
use stats::{header, ms, row, timer_overhead_ns, Summary};

const SEED: u64 = 42;
const BATCH: usize = 64;

/// What one timed operation reads.
struct Bound<'a> {
    engine: &'a ReadStateEngine,
    index: &'a PrimaryKeyIndex,
    by_year: &'a HashIndex,
    movie: &'a ObjectTypeReadState,
    string: &'a ObjectTypeReadState,
}

impl Bound<'_> {
    /// Primary-key lookup, then the title through its `String` reference.
    #[inline]
    fn lookup_title(&self, id: i64) -> usize {
        let Some(o) = self.index.get(self.engine, &[KeyValue::Long(id)]) else { return 0 };
        let Some(t) = self.movie.read_ordinal(o, MOVIE_TITLE) else { return 0 };
        self.string.read_string(t, STRING_VALUE).map_or(0, |s| s.len())
    }

    #[inline]
    fn lookup(&self, id: i64) -> u32 {
        self.index.get(self.engine, &[KeyValue::Long(id)]).unwrap_or(u32::MAX)
    }

    /// Hash-index lookup of the movies of a year (about 10,000 of them at 1M): the first one.
    #[inline]
    fn movies_of_year(&self, year: i32) -> usize {
        self.by_year.find(self.engine, &[KeyValue::Int(year)]).iter().next().map_or(0, |o| o as usize + 1)
    }

    #[inline]
    fn title(&self, ordinal: u32) -> usize {
        let Some(t) = self.movie.read_ordinal(ordinal, MOVIE_TITLE) else { return 0 };
        self.string.read_string(t, STRING_VALUE).map_or(0, |s| s.len())
    }
}

/// Everything a request does from the consumer: pin the state, get the index, look up, read.
#[inline]
fn from_consumer(consumer: &Consumer, id: i64) -> usize {
    let state: Arc<ReadState> = consumer.read_state().expect("a state");
    let index = state.primary_key_index("Movie").expect("the index");
    let engine = state.engine();
    let Some(o) = index.get(engine, &[KeyValue::Long(id)]) else { return 0 };
    let Some(t) = engine.object("Movie").and_then(|m| m.read_ordinal(o, MOVIE_TITLE)) else { return 0 };
    engine.object("String").and_then(|s| s.read_string(t, STRING_VALUE)).map_or(0, |s| s.len())
}

/// Percentiles of per-operation time over batches of [`BATCH`] operations.
#[inline(never)]
fn batched<T>(inputs: &[T], mut op: impl FnMut(&T) -> usize) -> Summary {
    // One warm-up pass so the first batches do not pay for page faults.
    for x in inputs.iter().take(inputs.len() / 4) {
        black_box(op(x));
    }
    let mut samples = Vec::with_capacity(inputs.len() / BATCH);
    for chunk in inputs.as_chunks::<BATCH>().0 {
        let t = Instant::now();
        for x in chunk {
            black_box(op(black_box(x)));
        }
        samples.push(t.elapsed().as_nanos() as f64 / BATCH as f64);
    }
    Summary::of(&samples)
}

/// Percentiles of per-key time of [`PrimaryKeyIndex::get_many`] over batches of 1024 keys.
#[inline(never)]
fn batched_get_many(index: &PrimaryKeyIndex, engine: &ReadStateEngine, keys: &[i64]) -> Summary {
    let keys: Vec<[KeyValue<'static>; 1]> = keys.iter().map(|&k| [KeyValue::Long(k)]).collect();
    let mut per_key = Vec::with_capacity(keys.len() / 1024);
    for chunk in keys.as_chunks::<1024>().0 {
        let t = Instant::now();
        black_box(index.get_many(engine, chunk));
        per_key.push(t.elapsed().as_nanos() as f64 / chunk.len() as f64);
    }
    Summary::of(&per_key)
}

/// Percentiles of single operations, less the timer's own cost.
#[inline(never)]
fn single<T>(inputs: &[T], overhead: f64, mut op: impl FnMut(&T) -> usize) -> Summary {
    for x in inputs.iter().take(inputs.len() / 4) {
        black_box(op(x));
    }
    let mut samples = Vec::with_capacity(inputs.len());
    for x in inputs {
        let t = Instant::now();
        black_box(op(black_box(x)));
        samples.push(t.elapsed().as_nanos() as f64);
    }
    Summary::of(&samples).minus(overhead)
}

/// Per-operation latency of the read path on the benchmark dataset.
#[derive(clap::Parser)]
struct Args {
    /// Movies in the dataset.
    #[arg(default_value_t = 1_000_000)]
    movies: usize,
    /// Operations timed per measurement.
    #[arg(default_value_t = 2_000_000)]
    ops: usize,
    /// Keep the measurements whose name contains this.
    #[arg(default_value = "")]
    filter: String,
}

fn main() {
    let Args { movies: n, ops, filter } = clap::Parser::parse();
    let row = |name: &str, run: &mut dyn FnMut() -> Summary| {
        if name.contains(&filter) {
            row(name, &run());
        }
    };

    let t = Instant::now();
    let chain = movies::chain_cached(n, 0, 0.0, SEED).expect("dataset");
    println!(
        "dataset: {n} movies, snapshot {:.1} MB, ready in {:.0} ms",
        chain.snapshot.len() as f64 / 1e6,
        ms(t.elapsed())
    );
    let t = Instant::now();
    let engine = ReadStateEngine::from_snapshot(&chain.snapshot).expect("snapshot loads");
    let load = t.elapsed();
    let t = Instant::now();
    let index = PrimaryKeyIndex::new(&engine, "Movie").expect("index");
    println!(
        "snapshot load {:.1} ms, primary-key index build {:.1} ms ({:.1} MB)",
        ms(load),
        ms(t.elapsed()),
        index.heap_bytes() as f64 / 1e6
    );

    let by_year = HashIndex::new(&engine, "Movie", &["year"]).expect("hash index");
    let bound = Bound {
        engine: &engine,
        index: &index,
        by_year: &by_year,
        movie: engine.object("Movie").expect("Movie"),
        string: engine.object("String").expect("String"),
    };
    let keys = movies::shuffled_keys(&chain.ids[0], ops, SEED);
    let missing: Vec<i64> = keys.iter().map(|k| k | (1 << 41)).collect(); // beyond 40 bits: never an id
    let ordinals: Vec<u32> = keys.iter().map(|&k| bound.lookup(k)).collect();
    assert!(ordinals.iter().all(|&o| o != u32::MAX), "every key is found");
    assert!(missing.iter().take(1000).all(|&k| bound.lookup(k) == u32::MAX), "no absent key is found");
    let years: Vec<i32> = ordinals.iter().map(|&o| bound.movie.read_int(o, MOVIE_YEAR).expect("a year")).collect();
    assert!(years.iter().take(1000).all(|&y| bound.movies_of_year(y) > 0), "every year has movies");

    // The same requests through the consumer API (state, index handle, then the read).
    let store = Arc::new(InMemoryBlobStore::new());
    store.publish(&Blob::snapshot(1, chain.snapshot.clone())).expect("publish");
    store.announce(1, None).expect("announce");
    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_primary_key_index("Movie")
        .build();
    consumer.refresh().expect("refresh");

    let overhead = timer_overhead_ns();
    println!("load: {}; Instant pair overhead {overhead:.0} ns (subtracted from single timings)", load_average());
    println!();
    header();
    row("batch/64  lookup + title", &mut || batched(&keys, |&k| bound.lookup_title(k)));
    row("batch/64  lookup only (hit)", &mut || batched(&keys, |&k| bound.lookup(k) as usize));
    row("batch/64  lookup only (miss)", &mut || batched(&missing, |&k| bound.lookup(k) as usize));
    row("batch/64  title read only", &mut || batched(&ordinals, |&o| bound.title(o)));
    row("batch/64  hash index: first movie of a year", &mut || batched(&years, |&y| bound.movies_of_year(y)));
    row("batch/64  consumer: state+index+lookup+title", &mut || batched(&keys, |&k| from_consumer(&consumer, k)));
    row("batch/1024 get_many, per key", &mut || batched_get_many(&index, &engine, &keys));
    row("single    lookup + title", &mut || single(&keys, overhead, |&k| bound.lookup_title(k)));
    row("single    lookup only (hit)", &mut || single(&keys, overhead, |&k| bound.lookup(k) as usize));
    row("single    lookup only (miss)", &mut || single(&missing, overhead, |&k| bound.lookup(k) as usize));
    row("single    title read only", &mut || single(&ordinals, overhead, |&o| bound.title(o)));
    row("single    hash index: first movie of a year", &mut || single(&years, overhead, |&y| bound.movies_of_year(y)));
    row("single    consumer: state+index+lookup+title", &mut || {
        single(&keys, overhead, |&k| from_consumer(&consumer, k))
    });
}

/// The 1-minute load average, for the record.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(|l| format!("1-min load average {l}")))
        .unwrap_or_else(|| "load average unknown".into())
}

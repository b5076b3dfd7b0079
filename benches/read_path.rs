//! The read path on the benchmark dataset (1M movies; `HOLLOW_BENCH_MOVIES` to change):
//!
//! * `read_path`: primary-key lookup then the title; lookup alone (hit and miss); the title read
//!   alone; `get_many` over batches of 1024 keys; and the whole request through the consumer API
//!   (pin the state, get the index, look up, read), also with a `tracing` subscriber and a metrics
//!   recorder installed (`/observed`), which must cost the same.
//! * `huge_pages`: lookup then the title with the state and index on 4 KiB pages, then on
//!   transparent huge pages.
//! * `snapshot_load`: load the snapshot, and build the primary-key index.
//! * `delta_apply`: apply a delta changing 1% of the movies, and move the index across it.
//!
//! ```text
//! cargo bench --bench read_path [-- FILTER]
//! ```
//!
//! Criterion reports means; `cargo run --release --example latency` reports distributions.

#[path = "support/movies.rs"]
mod movies;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use hollow::consumer::Consumer;
use hollow::index::{HashIndex, KeyValue, PrimaryKeyIndex};
use hollow::read::ReadStateEngine;
use hollow::store::memory::InMemoryBlobStore;
use hollow::store::{Announcer, Blob, BlobPublisher};
use movies::{Chain, MOVIE_TITLE, STRING_VALUE};

const SEED: u64 = 42;
/// Distinct keys cycled through by the lookup benchmarks: far more than the caches hold.
const KEYS: usize = 1 << 20;

fn dataset() -> Chain {
    let n = std::env::var("HOLLOW_BENCH_MOVIES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    movies::chain_cached(n, 1, 0.01, SEED).expect("the dataset is produced")
}

/// A cursor over the keys, so each iteration looks up the next one.
struct Keys<T> {
    keys: Vec<T>,
    at: usize,
}

impl<T: Copy> Keys<T> {
    fn new(keys: Vec<T>) -> Self {
        assert!(keys.len().is_power_of_two());
        Keys { keys, at: 0 }
    }

    #[inline]
    fn next(&mut self) -> T {
        self.at = (self.at + 1) & (self.keys.len() - 1);
        self.keys[self.at]
    }
}

fn read_path(c: &mut Criterion, chain: &Chain) {
    let engine = ReadStateEngine::from_snapshot(&chain.snapshot).expect("snapshot");
    let index = PrimaryKeyIndex::new(&engine, "Movie").expect("index");
    let movie = engine.object("Movie").expect("Movie");
    let string = engine.object("String").expect("String");
    let ids = movies::shuffled_keys(&chain.ids[0], KEYS, SEED);
    let ordinals: Vec<u32> =
        ids.iter().map(|&id| index.get(&engine, &[KeyValue::Long(id)]).expect("every key is found")).collect();

    let mut g = c.benchmark_group("read_path");
    let mut keys = Keys::new(ids.clone());
    g.bench_function("lookup+title", |b| {
        b.iter(|| {
            let o = index.get(&engine, &[KeyValue::Long(keys.next())])?;
            let t = movie.read_ordinal(o, MOVIE_TITLE)?;
            string.read_string(t, STRING_VALUE).map(|s| s.len())
        })
    });
    g.bench_function("lookup_hit", |b| b.iter(|| index.get(&engine, &[KeyValue::Long(keys.next())])));
    let mut missing = Keys::new(ids.iter().map(|k| k | (1 << 41)).collect());
    g.bench_function("lookup_miss", |b| b.iter(|| index.get(&engine, &[KeyValue::Long(missing.next())])));
    let mut ords = Keys::new(ordinals);
    g.bench_function("title", |b| {
        b.iter(|| {
            let t = movie.read_ordinal(ords.next(), MOVIE_TITLE)?;
            string.read_string(t, STRING_VALUE).map(|s| s.len())
        })
    });

    const BATCH: usize = 1024;
    let batches: Vec<Vec<[KeyValue<'static>; 1]>> =
        ids.chunks(BATCH).map(|c| c.iter().map(|&k| [KeyValue::Long(k)]).collect()).collect();
    let mut next_batch = 0;
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("get_many_1024", |b| {
        b.iter(|| {
            next_batch = (next_batch + 1) % batches.len();
            index.get_many(&engine, &batches[next_batch])
        })
    });
    g.throughput(Throughput::Elements(1));

    let store = Arc::new(InMemoryBlobStore::new());
    store.publish(&Blob::snapshot(1, chain.snapshot.clone())).expect("publish");
    store.announce(1, None).expect("announce");
    let consumer =
        Consumer::builder(store.clone()).with_announcement_watcher(store).with_primary_key_index("Movie").build();
    consumer.refresh().expect("refresh");
    let mut request = || {
        let state = consumer.read_state()?;
        let index = state.primary_key_index("Movie").ok()?;
        let engine = state.engine();
        let o = index.get(engine, &[KeyValue::Long(keys.next())])?;
        let t = engine.object("Movie")?.read_ordinal(o, MOVIE_TITLE)?;
        engine.object("String")?.read_string(t, STRING_VALUE).map(|s| s.len())
    };
    g.bench_function("consumer_state+index+lookup+title", |b| b.iter(&mut request));
    // The same with a tracing subscriber (every level enabled) and a metrics recorder installed: the
    // read path reports nothing, so it must cost the same (hollow::telemetry).
    let subscriber = tracing_subscriber::registry();
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    tracing::subscriber::with_default(subscriber, || {
        metrics::with_local_recorder(&recorder, || {
            g.bench_function("consumer_state+index+lookup+title/observed", |b| b.iter(&mut request));
        })
    });
    g.finish();
}

fn load_and_update(c: &mut Criterion, chain: &Chain) {
    let mut g = c.benchmark_group("snapshot_load");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Bytes(chain.snapshot.len() as u64));
    g.bench_function("engine", |b| {
        b.iter_with_large_drop(|| ReadStateEngine::from_snapshot(black_box(&chain.snapshot)).expect("snapshot"))
    });
    let engine = ReadStateEngine::from_snapshot(&chain.snapshot).expect("snapshot");
    g.throughput(Throughput::Elements(chain.ids[0].len() as u64));
    g.bench_function("primary_key_index_build", |b| {
        b.iter_with_large_drop(|| PrimaryKeyIndex::new(&engine, "Movie").expect("index"))
    });
    // A hash index with as many keys as records: the build's sort and table fill at full size.
    g.bench_function("hash_index_build_by_id", |b| {
        b.iter_with_large_drop(|| HashIndex::new(&engine, "Movie", &["id"]).expect("index"))
    });
    g.finish();

    let delta = &chain.deltas[0];
    let mut g = c.benchmark_group("delta_apply_1pct");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    let next = engine.apply_delta(delta).expect("delta");
    let index = PrimaryKeyIndex::new(&engine, "Movie").expect("index");
    g.bench_function("primary_key_index_update", |b| {
        b.iter_batched(|| index.clone(), |i| i.updated(&engine, &next).expect("update"), BatchSize::LargeInput)
    });
    g.throughput(Throughput::Bytes(delta.len() as u64));
    g.bench_function("engine", |b| b.iter_with_large_drop(|| engine.apply_delta(black_box(delta)).expect("delta")));
    // The delta and the index moved across it: after the whole delta, and beside the delta's other
    // types as a consumer does.
    g.bench_function("engine+primary_key_index/after", |b| {
        b.iter_with_large_drop(|| {
            let next = engine.apply_delta(black_box(delta)).expect("delta");
            let moved = index.updated(&engine, &next).expect("update");
            (next, moved)
        })
    });
    g.bench_function("engine+primary_key_index/beside", |b| {
        b.iter_with_large_drop(|| engine.apply_delta_with(black_box(delta), &[index.follower(&engine)]).expect("delta"))
    });
    g.finish();
}

/// The dependent misses of a lookup with the arrays on ordinary 4 KiB pages and on transparent
/// huge pages (`hollow::memory`), in one run: the state and index are loaded once each way.
fn huge_pages(c: &mut Criterion, chain: &Chain) {
    let ids = movies::shuffled_keys(&chain.ids[0], KEYS, SEED);
    let mut g = c.benchmark_group("huge_pages");
    for (name, huge) in [("lookup+title/4k_pages", false), ("lookup+title/huge_pages", true)] {
        hollow::memory::set_huge_pages(huge);
        let engine = ReadStateEngine::from_snapshot(&chain.snapshot).expect("snapshot");
        let index = PrimaryKeyIndex::new(&engine, "Movie").expect("index");
        let (movie, string) = (engine.object("Movie").expect("Movie"), engine.object("String").expect("String"));
        let mut keys = Keys::new(ids.clone());
        g.bench_function(name, |b| {
            b.iter(|| {
                let o = index.get(&engine, &[KeyValue::Long(keys.next())])?;
                let t = movie.read_ordinal(o, MOVIE_TITLE)?;
                string.read_string(t, STRING_VALUE).map(|s| s.len())
            })
        });
    }
    hollow::memory::set_huge_pages(true);
    g.finish();
}

fn benches(c: &mut Criterion) {
    let chain = dataset();
    read_path(c, &chain);
    huge_pages(c, &chain);
    load_and_update(c, &chain);
}

criterion_group!(read_path_benches, benches);
criterion_main!(read_path_benches);

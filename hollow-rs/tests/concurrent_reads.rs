//! Readers never block on a refresh and always see one whole version.
//!
//! Four threads loop on `read_state()` + lookups while the consumer refreshes through a chain of
//! versions. Every version `v` holds `size(v)` strings `"<v>:<k>"`, so a reader can tell from what it
//! sees whether it saw one version whole. The worst single read is printed (this is a correctness
//! test; latency is measured properly in `examples/refresh_latency.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hollow::consumer::Consumer;
use hollow::producer::{Producer, SequenceVersionMinter};
use hollow::store::memory::InMemoryBlobStore;

fn size_of(version: i64) -> usize {
    500 + (version as usize % 7) * 100
}

#[test]
fn four_readers_see_whole_versions_while_the_consumer_refreshes() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(1)))
        .build()
        .unwrap();
    let mut versions = Vec::new();
    for _ in 0..20 {
        let v = producer
            .run_cycle(|ws| {
                let v = ws.version();
                for k in 0..size_of(v) {
                    ws.add_string(&format!("{v}:{k}"))?;
                }
                Ok(())
            })
            .unwrap();
        versions.push(v);
    }
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    consumer.refresh_to(versions[0]).unwrap();
    // Build the lookup index once; from here on the consumer carries it across every refresh, so no
    // reader ever builds one.
    assert!(consumer.read_state().unwrap().contains("1:0"));

    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|t| {
            let (consumer, stop) = (consumer.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut latencies = Vec::with_capacity(1 << 20);
                let mut k = t;
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let rs = consumer.read_state().expect("a state");
                    let v = rs.version();
                    let n = size_of(v);
                    k = (k + 7) % n;
                    let key = format!("{v}:{k}");
                    let found = rs.get(&key);
                    let size = rs.size();
                    latencies.push(started.elapsed().as_nanos() as u64);
                    assert_eq!(found.as_deref(), Some(key.as_str()), "version {v} lacks its own record");
                    assert_eq!(size, n, "version {v} has another version's size");
                    assert!(!rs.contains(&format!("{}:0", v + 1)), "version {v} sees the next version");
                }
                latencies
            })
        })
        .collect();

    let mut refresh_times = Vec::new();
    for &v in &versions[1..] {
        let started = Instant::now();
        consumer.refresh_to(v).unwrap();
        refresh_times.push(started.elapsed());
        std::thread::sleep(Duration::from_millis(5));
    }
    // And back by reverse deltas.
    for &v in versions[..versions.len() - 1].iter().rev().take(5) {
        consumer.refresh_to(v).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let mut latencies: Vec<u64> = readers.into_iter().flat_map(|r| r.join().expect("reader panicked")).collect();
    let reads = latencies.len();
    assert!(reads > 100, "readers made progress during refreshes: {reads}");
    latencies.sort_unstable();
    let pct = |p: f64| Duration::from_nanos(latencies[((reads as f64 * p) as usize).min(reads - 1)]);
    assert_eq!(consumer.metrics().snapshots_applied, 1, "the chain was followed by deltas");
    assert_eq!(consumer.read_state().unwrap().index_specs().len(), 1, "the index was carried, not rebuilt");
    eprintln!(
        "{reads} reads (read_state + get + size, debug build): p50 {:?}, p99 {:?}, p99.99 {:?}, max {:?}; slowest refresh {:?}",
        pct(0.5),
        pct(0.99),
        pct(0.9999),
        pct(1.0),
        refresh_times.iter().max().unwrap()
    );
}

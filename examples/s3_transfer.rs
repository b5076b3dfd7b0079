//! Publishing and fetching the benchmark dataset (1M movies) through an object store.
//!
//! ```text
//! bash .ci/with-s3.sh cargo run --release --features object-store --example s3_transfer [-- MOVIES]
//! cargo run --release --features object-store --example s3_transfer -- MOVIES s3://bucket/prefix
//! ```
//!
//! Under `.ci/with-s3.sh` (a moto S3 server on loopback) it makes a bucket of its own. It times: the
//! upload of the snapshot blob, a consumer loading it from scratch (download + load), the same with a
//! warm local blob cache (no download), and the requests an idle consumer's watcher makes per poll.

#[path = "../benches/support/movies.rs"]
mod movies;
#[allow(dead_code)]
#[path = "../hollow-rs/tests/common/s3.rs"]
mod s3;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hollow::consumer::Consumer;
use hollow::store::object::ObjectStoreBlobStore;
use hollow::store::{AnnouncementWatcher, Announcer, Blob, BlobPublisher, StoreOptions};

fn main() -> hollow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map_or(1_000_000, |a| a.parse().expect("MOVIES is a number"));
    let url = match args.get(1) {
        Some(url) => url.clone(),
        None => {
            let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("run under .ci/with-s3.sh, or give a URL");
            let bucket = s3::unique_bucket("transfer");
            s3::create_bucket(&endpoint, &bucket);
            format!("s3://{bucket}/movies")
        }
    };
    println!("dataset: {n} movies; store: {url}");
    let mut engine = movies::new_engine(42);
    movies::Movies::generate(n, 42).add_to(&mut engine)?;
    let mut snapshot = Vec::new();
    engine.write_snapshot(&mut snapshot)?;
    let mut header = Vec::new();
    engine.write_header_blob(&mut header)?;
    let version = 1;
    println!("snapshot: {:.1} MB", snapshot.len() as f64 / 1e6);

    let producer_side = ObjectStoreBlobStore::open(&url, &StoreOptions::default())?;
    let started = Instant::now();
    producer_side.publish(&Blob::header(version, header))?;
    producer_side.publish(&Blob::snapshot(version, snapshot))?;
    producer_side.announce(version, None)?;
    let publish = started.elapsed();
    println!("publish (header + snapshot + snapshot.index + announce): {:.0} ms", ms(publish));

    for run in 0..3 {
        let consumer_side = Arc::new(ObjectStoreBlobStore::open(&url, &StoreOptions::default())?);
        let consumer =
            Consumer::builder(consumer_side.clone()).with_announcement_watcher(consumer_side.clone()).build();
        let started = Instant::now();
        consumer.refresh()?;
        let took = started.elapsed();
        let requests = consumer_side.requests();
        println!("fetch from scratch #{run} (download + load): {:.0} ms, {requests} requests", ms(took));
    }

    let cache = std::env::temp_dir().join(format!("hollow-transfer-cache-{}", std::process::id()));
    let cached = StoreOptions { cache_dir: Some(cache.clone()), ..StoreOptions::default() };
    for run in 0..2 {
        let consumer_side = Arc::new(ObjectStoreBlobStore::open(&url, &cached)?);
        let consumer =
            Consumer::builder(consumer_side.clone()).with_announcement_watcher(consumer_side.clone()).build();
        let started = Instant::now();
        consumer.refresh()?;
        let took = started.elapsed();
        let what = if run == 0 { "cold cache" } else { "warm cache" };
        println!("fetch with a local blob cache, {what}: {:.0} ms, {} requests", ms(took), consumer_side.requests());
    }
    let _ = std::fs::remove_dir_all(&cache);

    let options = StoreOptions { poll_interval: Duration::from_millis(50), ..StoreOptions::default() };
    let watcher = ObjectStoreBlobStore::open(&url, &options)?;
    watcher.latest_version()?;
    let before = watcher.requests();
    let started = Instant::now();
    watcher.wait_for_change(Some(version), Duration::from_secs(2))?;
    let polls = started.elapsed().as_secs_f64() / 0.05;
    println!("idle watcher: {} requests in ~{polls:.0} polls over 2 s", watcher.requests() - before);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

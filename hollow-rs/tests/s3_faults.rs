//! Faults between the store client and a real S3-compatible server (moto on loopback, started by
//! `.ci/with-s3.sh`): a proxy in between resets connections, answers 500/503, answers slowly and cuts
//! response bodies short. Whatever it does, a failing cycle announces nothing and the next one
//! continues the chain; a failing refresh keeps the last good version and succeeds once the faults stop.
#![cfg(feature = "object-store")]

mod common;
mod fault_proxy;

use common::s3;

use std::sync::Arc;
use std::time::Duration;

use fault_proxy::{Fault, FaultProxy, Plan};
use hollow::consumer::Consumer;
use hollow::producer::{Producer, WriteState};
use hollow::store::{Announcer, BlobRetriever, BlobStore, StoreOptions};
use hollow::tools::checksum::HollowChecksum;
use hollow::Version;

/// A store at `url` reached through `endpoint`, retrying little so that faults surface quickly.
fn open(url: &str, endpoint: &str) -> Arc<dyn BlobStore> {
    let mut options = StoreOptions { create: true, ..StoreOptions::default() };
    for (k, v) in [
        ("aws_endpoint_url", endpoint),
        ("max_retries", "2"),
        ("retry_timeout_ms", "3000"),
        ("poll_interval_ms", "20"),
        ("lease_ttl_ms", "30000"),
    ] {
        options.set(k, v).unwrap();
    }
    hollow::store::open(url, &options).unwrap()
}

fn strings(seed: u64) -> impl FnOnce(&mut WriteState<'_>) -> hollow::Result<()> {
    move |ws| {
        for i in 0..(20 + seed % 7) {
            ws.add_string(&format!("s{}", (i * 7 + seed) % 40))?;
        }
        Ok(())
    }
}

fn checksum(consumer: &Consumer) -> i32 {
    HollowChecksum::for_state_engine(consumer.read_state().unwrap().engine()).value()
}

fn load_from_scratch(store: Arc<dyn BlobStore>, v: Version) -> i32 {
    let consumer = Consumer::builder(store).build();
    consumer.refresh_to(v).unwrap();
    checksum(&consumer)
}

#[test]
fn faults_fail_cycles_and_refreshes_cleanly_and_both_recover() {
    let Some(endpoint) = s3::endpoint("faults") else { return };
    let bucket = s3::unique_bucket("faults");
    s3::create_bucket(&endpoint, &bucket);
    let url = format!("s3://{bucket}/faults");
    let proxy = FaultProxy::start(endpoint.trim_start_matches("http://"));
    // The producer and the consumer go through the proxy; `direct` checks what the store really holds.
    let through_proxy = open(&url, &proxy.url());
    let direct = open(&url, &endpoint);
    let mut producer = Producer::builder(through_proxy.clone()).with_announcer(through_proxy.clone()).build().unwrap();
    let consumer_store = open(&url, &proxy.url());
    let consumer = Consumer::builder(consumer_store.clone()).with_announcement_watcher(consumer_store.clone()).build();

    let mut announced = vec![producer.run_cycle(strings(0)).unwrap()];
    announced.push(producer.run_cycle(strings(1)).unwrap());
    assert_eq!(consumer.refresh().unwrap(), announced.last().copied());
    let good = checksum(&consumer);

    // Every request fails: the cycle fails and announces nothing; the refresh fails and readers keep
    // the last good version.
    for fault in [Fault::Unavailable, Fault::ServerError, Fault::Reset] {
        proxy.set(Plan::Always(fault));
        let err = producer.run_cycle(strings(10)).unwrap_err();
        assert_eq!(direct.announced_version().unwrap(), announced.last().copied(), "{fault:?}: {err}");
        assert!(consumer.refresh().is_err(), "{fault:?}");
        assert_eq!(consumer.current_version(), announced.last().copied());
        assert_eq!(checksum(&consumer), good);
    }
    // Only the announcement fails: the cycle's blobs are removed (or left for the next cycle to remove).
    proxy.set(Plan::Matching { method: "PUT", path_contains: "announced.version", fault: Fault::Unavailable });
    producer.run_cycle(strings(11)).unwrap_err();
    assert_eq!(direct.announced_version().unwrap(), announced.last().copied());
    // Truncated bodies: the consumer refuses a short blob rather than reading it.
    proxy.set(Plan::Off);
    announced.push(producer.run_cycle(strings(12)).unwrap());
    proxy.set(Plan::Matching { method: "GET", path_contains: "/delta/", fault: Fault::Truncate });
    let err = consumer.refresh().unwrap_err();
    assert!(matches!(err.kind(), hollow::ErrorKind::Io | hollow::ErrorKind::CorruptBlob), "{err}");
    assert_eq!(consumer.current_version(), Some(announced[1]));

    // Faults stop: the next cycle continues the chain from the last announced version, and the
    // consumer follows it by delta.
    proxy.set(Plan::Off);
    let last_good = *announced.last().unwrap();
    let next = producer.run_cycle(strings(13)).unwrap();
    assert_eq!(direct.retrieve_delta(last_good).unwrap().map(|d| d.to_version), Some(next));
    announced.push(next);
    assert_eq!(consumer.refresh().unwrap(), Some(next));

    // Random faults of every kind on nearly half of the requests, with slow answers among them.
    proxy.set(Plan::Random {
        rate: 0.45,
        faults: vec![
            Fault::Reset,
            Fault::ServerError,
            Fault::Unavailable,
            Fault::Slow(Duration::from_millis(30)),
            Fault::Truncate,
        ],
        seed: 7,
    });
    let (mut ok, mut failed) = (0, 0);
    for seed in 20..40 {
        match producer.run_cycle(strings(seed)) {
            Ok(v) => {
                ok += 1;
                if announced.last() != Some(&v) {
                    announced.push(v);
                }
            }
            Err(_) => failed += 1,
        }
        // The store never announces anything but the producer's last success.
        proxy.set(Plan::Off);
        assert_eq!(direct.announced_version().unwrap(), announced.last().copied());
        proxy.set(Plan::Random {
            rate: 0.45,
            faults: vec![Fault::Reset, Fault::ServerError, Fault::Unavailable, Fault::Truncate],
            seed: seed + 100,
        });
        if let Ok(Some(v)) = consumer.refresh() {
            assert!(announced.contains(&v));
        }
    }
    let (requests, faults) = proxy.counts();
    assert!(faults > 10 && requests > faults, "{faults} faults in {requests} requests");
    assert!(ok > 0, "no cycle got through {faults} faults");
    eprintln!("random faults: {ok} cycles announced, {failed} failed; {faults} faults in {requests} requests");

    // Faults off: the consumer reaches the announced version, and every announced version loads from
    // scratch to the state the producer announced.
    proxy.set(Plan::Off);
    assert_eq!(consumer.refresh().unwrap(), announced.last().copied());
    let final_state = HollowChecksum::for_state_engine(producer.read_state().unwrap().engine()).value();
    assert_eq!(checksum(&consumer), final_state);
    for &v in &announced {
        load_from_scratch(direct.clone(), v);
    }
}

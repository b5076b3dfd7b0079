//! The publishing protocol's invariants (the store module's docs and `Producer`'s), stated as
//! properties and checked under failed announcements, crash leftovers, SIGKILLed producers and rival
//! producers, in threads and in separate processes:
//!
//! 1. a version names one state, forever: every version a following consumer held loads from scratch
//!    to the same state (same `HollowChecksum`), and no version is seen with two states;
//! 2. every announced version can be reached from scratch;
//! 3. a failed or killed cycle leaves nothing a consumer or a restarted producer can take for a version
//!    (no blob above the announced version once a producer has started, no staging files);
//! 4. with rival producers exactly one chain is announced, and the loser's cycles fail with
//!    `Error::Conflict` saying why.
//!
//! The child processes are this test binary run again on one of its own tests (`child_producer`),
//! told what to do by environment variables.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hollow::consumer::Consumer;
use hollow::producer::{Producer, ProducerListener, WriteState};
use hollow::store::filesystem::FilesystemBlobStore;
use hollow::store::memory::InMemoryBlobStore;
use hollow::store::StoreOptions;
use hollow::store::{Announcer, Blob, BlobId, BlobPublisher, BlobRetriever, BlobStore, ProducerLock, Version};
use hollow::tools::checksum::HollowChecksum;
use hollow::{Error, Result};

mod common;

use common::Rng;

const CHILD_ENV: &str = "HOLLOW_PROTOCOL_CHILD";

/// A generator that is never stuck at zero (xorshift is, from a zero seed).
fn rng(seed: u64) -> Rng {
    Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
}

/// A populate function adding a random set of strings drawn by `seed`: consecutive cycles share most
/// records, so versions are deltas of each other.
fn random_strings(seed: u64) -> impl FnOnce(&mut WriteState<'_>) -> Result<()> {
    move |ws| {
        let mut rng = rng(seed);
        let n = 20 + rng.below(30);
        for _ in 0..n {
            ws.add_string(&format!("s{}", rng.below(60)))?;
        }
        Ok(())
    }
}

fn checksum_of(consumer: &Consumer) -> i32 {
    HollowChecksum::for_state_engine(consumer.read_state().expect("a state").engine()).value()
}

/// The state of `version` loaded from scratch by a new consumer, as a checksum.
fn load_from_scratch(store: Arc<dyn BlobStore>, version: Version) -> Result<i32> {
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store).build();
    consumer.refresh_to(version)?;
    Ok(checksum_of(&consumer))
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hollow-protocol-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn staging_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(".staging-") || n.starts_with("announced.version.tmp"))
        .collect()
}

/// Records each version a cycle starts with.
#[derive(Default)]
struct StartedVersions(Mutex<Vec<Version>>);
impl ProducerListener for StartedVersions {
    fn cycle_started(&self, version: Version) {
        self.0.lock().unwrap().push(version);
    }
}

/// An announcer that fails (as an I/O error would, after the store refused the write) when told to.
struct FlakyAnnouncer {
    inner: Arc<dyn BlobStore>,
    fail_next: AtomicBool,
}
impl Announcer for FlakyAnnouncer {
    fn announced_version(&self) -> Result<Option<Version>> {
        self.inner.announced_version()
    }
    fn announce(&self, version: Version, expected: Option<Version>) -> Result<()> {
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(Error::io("announcing", std::io::Error::other("simulated crash before the write")));
        }
        self.inner.announce(version, expected)
    }
}

/// The scenario: with a snapshot every 3 versions, a cycle that published its snapshot fails to
/// announce. Its blobs must be gone, the snapshot countdown must not have advanced, and a restarted
/// producer in the same clock second must continue the chain with every version loadable from scratch.
fn failed_announce_scenario(store: Arc<dyn BlobStore>) {
    let flaky = Arc::new(FlakyAnnouncer { inner: store.clone(), fail_next: AtomicBool::new(false) });
    let started = Arc::new(StartedVersions::default());
    let build = || {
        Producer::builder(store.clone())
            .with_announcer(flaky.clone())
            .with_listener(started.clone())
            .with_num_states_between_snapshots(2)
            .build()
            .unwrap()
    };
    let follower = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    let mut held: BTreeMap<Version, i32> = BTreeMap::new();
    let mut follow = |expected: Version| {
        assert_eq!(follower.refresh().unwrap(), Some(expected));
        held.insert(expected, checksum_of(&follower));
    };

    let mut producer = build();
    for seed in 1..=4 {
        let v = producer.run_cycle(random_strings(seed)).unwrap();
        follow(v);
    }
    let announced = store.announced_version().unwrap().unwrap();
    flaky.fail_next.store(true, Ordering::SeqCst);
    let err = producer.run_cycle(random_strings(5)).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    let failed = *started.0.lock().unwrap().last().unwrap();
    assert!(failed > announced);
    let leftovers: Vec<BlobId> = store.list().unwrap().into_iter().filter(|b| b.newest_version() > announced).collect();
    assert!(leftovers.is_empty(), "the failed cycle left {leftovers:?}");
    assert_eq!(store.announced_version().unwrap(), Some(announced));

    // The same producer goes on; then a restarted one, minting in the same clock second.
    for seed in 6..=8 {
        let v = producer.run_cycle(random_strings(seed)).unwrap();
        follow(v);
    }
    drop(producer);
    let mut restarted = build();
    let restored = restarted.restore_announced(store.as_ref()).unwrap();
    assert_eq!(Some(restored), follower.current_version());
    let deltas_before = follower.metrics().deltas_applied;
    for seed in 9..=12 {
        let v = restarted.run_cycle(random_strings(seed)).unwrap();
        follow(v);
    }
    assert_eq!(follower.metrics().deltas_applied, deltas_before + 4, "the follower stayed on deltas");
    assert_eq!(follower.metrics().refreshes_failed, 0);

    // Every version held loads from scratch to the same state; nothing else has blobs.
    for (&v, &sum) in &held {
        assert_eq!(load_from_scratch(store.clone(), v).unwrap(), sum, "version {v}");
    }
    for blob in store.list().unwrap() {
        assert!(held.contains_key(&blob.newest_version()), "{blob:?} names a version nobody held");
    }
}

#[test]
fn a_failed_announce_leaves_nothing_behind_in_memory() {
    failed_announce_scenario(Arc::new(InMemoryBlobStore::new()));
}

#[test]
fn a_failed_announce_leaves_nothing_behind_on_disk() {
    let dir = temp_dir("failed-announce");
    failed_announce_scenario(Arc::new(FilesystemBlobStore::create(&dir).unwrap()));
    assert!(staging_files(&dir).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_vetoed_cycle_removes_its_blobs_and_the_next_delta_follows() {
    struct VetoOdd;
    impl hollow::producer::Validator for VetoOdd {
        fn name(&self) -> &str {
            "veto-when-odd"
        }
        fn validate(&self, state: &hollow::consumer::ReadState) -> std::result::Result<(), String> {
            if state.size() % 2 == 1 {
                Err("odd".into())
            } else {
                Ok(())
            }
        }
    }
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_validator(Arc::new(VetoOdd))
        .build()
        .unwrap();
    let add =
        |n: usize| move |ws: &mut WriteState<'_>| (0..n).try_for_each(|i| ws.add_string(&format!("x{i}")).map(drop));
    let v1 = producer.run_cycle(add(2)).unwrap();
    let before = store.list().unwrap();
    let err = producer.run_cycle(add(3)).unwrap_err();
    assert!(matches!(err, Error::ValidationFailed(_)), "{err}");
    assert_eq!(store.list().unwrap(), before, "the vetoed cycle's blobs are removed");
    let v3 = producer.run_cycle(add(4)).unwrap();
    assert_eq!(store.retrieve_delta(v1).unwrap().unwrap().to_version, v3);
}

#[test]
fn crash_leftovers_are_removed_before_the_next_producer_publishes() {
    let dir = temp_dir("leftovers");
    let store = Arc::new(FilesystemBlobStore::create(&dir).unwrap());
    let mut producer = Producer::builder(store.clone()).with_announcer(store.clone()).build().unwrap();
    producer.run_cycle(random_strings(1)).unwrap();
    let announced = producer.run_cycle(random_strings(2)).unwrap();
    drop(producer);

    // What a producer killed between publishing and announcing leaves: blobs above the announced
    // version (garbage here: nobody may read them) and a half-written staging file.
    let crashed = announced + 1;
    for blob in [
        Blob::header(crashed, vec![1]),
        Blob::delta(announced, crashed, vec![2]),
        Blob::reverse_delta(crashed, announced, vec![3]),
        Blob::snapshot(crashed, vec![4]),
    ] {
        store.publish(&blob).unwrap();
    }
    std::fs::write(dir.join(format!(".staging-snapshot-{}-999-0-0", crashed + 1)), b"half").unwrap();

    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    consumer.refresh().unwrap();
    let mut restarted = Producer::builder(store.clone()).with_announcer(store.clone()).build().unwrap();
    assert_eq!(restarted.restore_announced(store.as_ref()).unwrap(), announced);
    assert!(store.list().unwrap().iter().all(|b| b.newest_version() <= announced));
    assert!(staging_files(&dir).is_empty(), "{:?}", staging_files(&dir));
    let next = restarted.run_cycle(random_strings(3)).unwrap();
    assert!(next > crashed, "version {crashed} had blobs once: it is never minted again");
    assert_eq!(consumer.refresh().unwrap(), Some(next));
    assert_eq!(consumer.metrics().snapshots_applied, 1, "the consumer followed the delta");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_snapshot_that_is_not_its_versions_state_is_refused() {
    // A store written before blobs were immutable could hold a snapshot of a failed cycle under a
    // version whose header names another state.
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = Producer::builder(store.clone()).with_announcer(store.clone()).build().unwrap();
    let v1 = producer.run_cycle(random_strings(1)).unwrap();
    let other = Arc::new(InMemoryBlobStore::new());
    let mut elsewhere = Producer::builder(other.clone()).with_announcer(other.clone()).build().unwrap();
    let v_other = elsewhere.run_cycle(random_strings(2)).unwrap();
    let foreign = other.retrieve_snapshot(v_other).unwrap().unwrap();
    assert!(store.remove(hollow::store::BlobType::Snapshot, v1));
    store.publish(&Blob::snapshot(v1, foreign.data.clone())).unwrap();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    let err = consumer.refresh().unwrap_err();
    assert!(err.to_string().contains(&format!("header-{v1}")), "{err}");
    assert!(consumer.read_state().is_none());
}

/// Two producers in threads, 100 cycles each, on one store. The first to start holds the store's
/// producer lock: its chain is the only one; every cycle of the other fails with a `Conflict`.
fn rival_threads(store: Arc<dyn BlobStore>) {
    let follower = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    let seen: Arc<Mutex<BTreeMap<Version, i32>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let follow = {
        let (follower, seen, stop) = (follower.clone(), seen.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                if let Ok(Some(v)) = follower.refresh() {
                    let sum = checksum_of(&follower);
                    let previous = seen.lock().unwrap().insert(v, sum);
                    assert!(previous.is_none_or(|p| p == sum), "version {v} seen with two states");
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let results: Vec<(Vec<Version>, Vec<Error>)> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..2u64)
            .map(|p| {
                let store = store.clone();
                s.spawn(move || {
                    let mut producer = Producer::builder(store.clone()).with_announcer(store).build().unwrap();
                    let (mut ok, mut failed) = (Vec::new(), Vec::new());
                    for cycle in 0..100u64 {
                        match producer.run_cycle(random_strings(p * 1000 + cycle)) {
                            Ok(v) => ok.push(v),
                            Err(e) => failed.push(e),
                        }
                    }
                    (ok, failed)
                })
            })
            .collect();
        runs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    stop.store(true, Ordering::SeqCst);
    follow.join().unwrap();

    let (winner, loser) = if results[0].0.is_empty() { (&results[1], &results[0]) } else { (&results[0], &results[1]) };
    assert!(loser.0.is_empty(), "both producers announced: {:?} and {:?}", results[0].0, results[1].0);
    assert_eq!(loser.1.len(), 100);
    for e in &loser.1 {
        assert!(matches!(e, Error::Conflict(m) if m.contains("another producer") && m.contains("lock")), "{e}");
    }
    assert!(winner.1.is_empty(), "{:?}", winner.1);
    let chain: std::collections::BTreeSet<Version> = winner.0.iter().copied().collect();
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    for (&v, &sum) in seen.iter() {
        assert!(chain.contains(&v), "the follower held {v}, not on the winner's chain");
        assert_eq!(load_from_scratch(store.clone(), v).unwrap(), sum, "version {v}");
    }
    assert_eq!(store.announced_version().unwrap(), winner.0.last().copied());
}

#[test]
fn rival_producer_threads_in_memory() {
    rival_threads(Arc::new(InMemoryBlobStore::new()));
}

#[test]
fn rival_producer_threads_on_disk() {
    let dir = temp_dir("rival-threads");
    rival_threads(Arc::new(FilesystemBlobStore::create(&dir).unwrap()));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A store whose producer lock always succeeds: what a producer sees when locks do not hold (an
/// expired lease, a filesystem without working `flock`). The compare-and-swap alone must then keep one
/// chain.
struct NoLock(Arc<dyn BlobStore>);
#[derive(Debug)]
struct FakeLock;
impl ProducerLock for FakeLock {
    fn renew(&self) -> Result<()> {
        Ok(())
    }
}
impl BlobPublisher for NoLock {
    fn publish(&self, blob: &Blob) -> Result<()> {
        self.0.publish(blob)
    }
    fn delete(&self, id: &BlobId) -> Result<()> {
        self.0.delete(id)
    }
    fn list(&self) -> Result<Vec<BlobId>> {
        self.0.list()
    }
    fn lock_producer(&self) -> Result<Box<dyn ProducerLock>> {
        Ok(Box::new(FakeLock))
    }
}
impl Announcer for NoLock {
    fn announced_version(&self) -> Result<Option<Version>> {
        self.0.announced_version()
    }
    fn announce(&self, version: Version, expected: Option<Version>) -> Result<()> {
        self.0.announce(version, expected)
    }
}

#[test]
fn without_a_lock_the_compare_and_swap_alone_keeps_one_chain() {
    for store in [Arc::new(InMemoryBlobStore::new()) as Arc<dyn BlobStore>, {
        let dir = temp_dir("cas-only");
        Arc::new(FilesystemBlobStore::create(&dir).unwrap())
    }] {
        let unlocked = Arc::new(NoLock(store.clone()));
        let mut first = Producer::builder(unlocked.clone()).with_announcer(unlocked.clone()).build().unwrap();
        let v0 = first.run_cycle(random_strings(0)).unwrap();
        let mut second = Producer::builder(unlocked.clone()).with_announcer(unlocked.clone()).build().unwrap();
        second.restore_announced(store.as_ref()).unwrap();
        let wins = AtomicUsize::new(0);
        let results: Vec<(Vec<Version>, Vec<Error>)> = std::thread::scope(|s| {
            let runs: Vec<_> = [&mut first, &mut second]
                .into_iter()
                .enumerate()
                .map(|(p, producer)| {
                    let wins = &wins;
                    s.spawn(move || {
                        let (mut ok, mut failed) = (Vec::new(), Vec::new());
                        for cycle in 1..=100u64 {
                            match producer.run_cycle(random_strings(p as u64 * 1000 + cycle)) {
                                Ok(v) => {
                                    wins.fetch_add(1, Ordering::SeqCst);
                                    ok.push(v)
                                }
                                Err(e) => failed.push(e),
                            }
                        }
                        (ok, failed)
                    })
                })
                .collect();
            runs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // Whoever announced first after v0 made the other stale for good: one chain.
        let announced: Vec<&Vec<Version>> = results.iter().map(|r| &r.0).filter(|ok| !ok.is_empty()).collect();
        assert_eq!(announced.len(), 1, "two chains: {:?}", results.iter().map(|r| &r.0).collect::<Vec<_>>());
        let loser = results.iter().find(|r| r.0.is_empty()).unwrap();
        assert!(loser.1.iter().all(|e| matches!(e, Error::Conflict(_))), "{:?}", loser.1);
        assert!(
            loser.1.iter().any(|e| e.to_string().contains("another producer announced version")),
            "{:?}",
            loser.1.first()
        );
        // Every announced version of the chain loads, and the chain starts at v0.
        let chain = announced[0];
        assert_eq!(store.announced_version().unwrap(), chain.last().copied());
        let mut previous = v0;
        for &v in chain {
            assert_eq!(store.retrieve_delta(previous).unwrap().map(|d| d.to_version), Some(v));
            load_from_scratch(store.clone(), v).unwrap();
            previous = v;
        }
        // The loser's failed cycles removed their blobs.
        for blob in store.list().unwrap() {
            let v = blob.newest_version();
            assert!(v == v0 || chain.contains(&v), "{blob:?} is not on the chain");
        }
    }
}

// ----- separate processes -------------------------------------------------------------------------

/// Store options from `k=v,k=v` (the children get theirs through the environment).
fn options_from(text: &str, create: bool) -> StoreOptions {
    let mut options = StoreOptions { create, ..StoreOptions::default() };
    for pair in text.split(',').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap();
        options.set(k, v).unwrap();
    }
    options
}

/// The child process: a producer on the store at the URL in `HOLLOW_PROTOCOL_CHILD` (options in
/// `HOLLOW_PROTOCOL_OPTIONS`), restoring the announced version if there is one (waiting for the producer
/// lock while a killed predecessor's lease runs out), then running cycles (a snapshot every 3 versions)
/// and printing `ok <version>` or `err <message>` for each. `HOLLOW_PROTOCOL_CYCLES` bounds them
/// (default: forever).
#[test]
fn child_producer() {
    let Ok(url) = std::env::var(CHILD_ENV) else { return };
    let env_num = |name: &str, default: u64| std::env::var(name).ok().and_then(|c| c.parse().ok()).unwrap_or(default);
    let (cycles, seed) = (env_num("HOLLOW_PROTOCOL_CYCLES", u64::MAX), env_num("HOLLOW_PROTOCOL_SEED", 1));
    let options = options_from(&std::env::var("HOLLOW_PROTOCOL_OPTIONS").unwrap_or_default(), true);
    let store = hollow::store::open(&url, &options).unwrap();
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_num_states_between_snapshots(2)
        .build()
        .unwrap();
    let mut rng = rng(seed);
    let waiting_since = Instant::now();
    loop {
        match producer.restore_announced(store.as_ref()) {
            Ok(_) | Err(Error::NotFound(_)) => {
                println!("started");
                break;
            }
            Err(Error::Conflict(m)) if m.contains("lock") && waiting_since.elapsed() < Duration::from_secs(15) => {
                if cycles != u64::MAX {
                    // A rival, not a dead predecessor: report and go on to fail every cycle.
                    println!("err conflict: {m}");
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => {
                println!("err {e}");
                break;
            }
        }
    }
    for _ in 0..cycles {
        match producer.run_cycle(random_strings(rng.next())) {
            Ok(v) => println!("ok {v}"),
            Err(e) => println!("err {e}"),
        }
    }
}

/// A consumer process: follows the store at `HOLLOW_CONSUMER_CHILD` until it holds
/// `HOLLOW_CONSUMER_UNTIL`, printing `<version> <checksum>` for every version it holds.
#[test]
fn child_consumer() {
    let Ok(url) = std::env::var("HOLLOW_CONSUMER_CHILD") else { return };
    let until: Version = std::env::var("HOLLOW_CONSUMER_UNTIL").unwrap().parse().unwrap();
    let store = hollow::store::open(&url, &options_from("poll_interval_ms=10", false)).unwrap();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store).build();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = None;
    while Instant::now() < deadline {
        if let Ok(Some(v)) = consumer.refresh() {
            if last != Some(v) {
                println!("{v} {}", checksum_of(&consumer));
                last = Some(v);
            }
            if v == until {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(3));
    }
    panic!("never reached version {until}");
}

fn spawn_child(url: &str, options: &str, cycles: Option<u64>, seed: u64) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_producer", "--nocapture", "--test-threads=1", "--quiet"])
        .env(CHILD_ENV, url)
        .env("HOLLOW_PROTOCOL_OPTIONS", options)
        .env("HOLLOW_PROTOCOL_SEED", seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(c) = cycles {
        cmd.env("HOLLOW_PROTOCOL_CYCLES", c.to_string());
    }
    cmd.spawn().unwrap()
}

/// Follows `store` on a thread until `stop`, recording the state of every version it holds
/// (`held` counts them as they come, so a caller can wait for enough coverage).
///
/// Between refreshes it pauses 2 ms on a local store and 25 ms on S3: every refresh there is a
/// request to the test server (a Python process sharing CI's two cores), and polling it every 2 ms
/// made it the busiest thing on the machine without holding more versions.
fn follow(
    url: &str,
    store: Arc<dyn BlobStore>,
    stop: Arc<AtomicBool>,
    held: Arc<AtomicUsize>,
) -> std::thread::JoinHandle<BTreeMap<Version, i32>> {
    let pause = Duration::from_millis(if url.starts_with("s3://") { 25 } else { 2 });
    std::thread::spawn(move || {
        let follower = Consumer::builder(store.clone()).with_announcement_watcher(store).build();
        let mut seen = BTreeMap::new();
        loop {
            let stopping = stop.load(Ordering::SeqCst);
            if let Ok(Some(v)) = follower.refresh() {
                let sum = checksum_of(&follower);
                let previous = seen.insert(v, sum);
                assert!(previous.is_none_or(|p| p == sum), "version {v} seen with two states");
                held.store(seen.len(), Ordering::SeqCst);
            }
            if stopping {
                return seen;
            }
            std::thread::sleep(pause);
        }
    })
}

/// A producer process SIGKILLed at random points 50 times and restarted each time, with a consumer
/// following: every version held, announced or with a blob loads from scratch to one state.
///
/// How much a round gets done before its kill depends on the machine's load, so the coverage the
/// assertions below need (50 announced cycles, 20 versions held by the follower) is not left to
/// timing: past round 50, rounds continue until it is reached, each killed only after its child
/// has announced once.
fn killed_50_times(url: &str, options: &str) {
    const ROUNDS: u64 = 50;
    const MAX_ROUNDS: u64 = 200;
    let store = hollow::store::open(url, &options_from(options, true)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let held = Arc::new(AtomicUsize::new(0));
    let follower = follow(url, store.clone(), stop.clone(), held.clone());
    let mut rng = rng(0x5EED);
    let mut announced_by_children = Vec::new();
    let covered = |announced: &Vec<Version>| announced.len() >= 50 && held.load(Ordering::SeqCst) >= 20;
    let mut round = 0;
    while round < ROUNDS || (!covered(&announced_by_children) && round < MAX_ROUNDS) {
        round += 1;
        let extra_round = round > ROUNDS;
        let mut child = spawn_child(url, options, None, round);
        let stdout = child.stdout.take().unwrap();
        let (progress_tx, progress) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut announced = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                if line == "started" {
                    let _ = progress_tx.send(false);
                }
                if let Some(v) = line.strip_prefix("ok ").and_then(|v| v.parse::<Version>().ok()) {
                    announced.push(v);
                    let _ = progress_tx.send(true);
                }
            }
            announced
        });
        // Killed at a random point once it holds the producer lock (before that, a dead predecessor's
        // lease may keep it waiting); in an extra round, once it has announced.
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Ok(announced_one) = progress.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            if announced_one || !extra_round {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20 + rng.below(250)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        announced_by_children.extend(reader.join().unwrap());
    }
    stop.store(true, Ordering::SeqCst);
    let seen = follower.join().unwrap();

    // A last producer starts (waiting out the last lease): the last kill's leftovers are removed.
    let mut last = Producer::builder(store.clone()).with_announcer(store.clone()).build().unwrap();
    let waiting_since = Instant::now();
    let announced = loop {
        match last.restore_announced(store.as_ref()) {
            Err(Error::Conflict(_)) if waiting_since.elapsed() < Duration::from_secs(15) => {
                std::thread::sleep(Duration::from_millis(50))
            }
            other => break other.unwrap(),
        }
    };
    drop(last);
    assert!(store.list().unwrap().iter().all(|b| b.newest_version() <= announced));
    assert!(announced_by_children.len() >= 50, "only {} cycles completed", announced_by_children.len());

    let mut versions: std::collections::BTreeSet<Version> = seen.keys().copied().collect();
    versions.extend(announced_by_children.iter().copied());
    versions.extend(store.list().unwrap().iter().map(|b| b.newest_version()));
    let mut checked = 0;
    for v in versions {
        let sum = load_from_scratch(store.clone(), v).unwrap_or_else(|e| panic!("version {v} does not load: {e}"));
        if let Some(&held) = seen.get(&v) {
            assert_eq!(sum, held, "version {v} names two states");
            checked += 1;
        }
    }
    assert!(checked >= 20, "the follower held only {checked} versions");
}

#[test]
fn a_producer_killed_50_times_never_makes_a_version_name_two_states() {
    let dir = temp_dir("kill");
    killed_50_times(dir.to_str().unwrap(), "");
    assert!(staging_files(&dir).is_empty(), "{:?}", staging_files(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Two producer processes, 100 cycles each, on one store: one chain, the loser's cycles all fail.
fn rival_processes(url: &str, options: &str) {
    let store = hollow::store::open(url, &options_from(options, true)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let follower = follow(url, store.clone(), stop.clone(), Arc::new(AtomicUsize::new(0)));
    let children: Vec<_> = (0..2).map(|i| spawn_child(url, options, Some(100), 100 + i)).collect();
    let mut outputs = Vec::new();
    for mut child in children {
        let stdout = child.stdout.take().unwrap();
        let lines: Vec<String> = BufReader::new(stdout).lines().map_while(|l| l.ok()).collect();
        assert!(child.wait().unwrap().success());
        outputs.push(lines);
    }
    stop.store(true, Ordering::SeqCst);
    let seen = follower.join().unwrap();

    let announced: Vec<Vec<Version>> = outputs
        .iter()
        .map(|lines| lines.iter().filter_map(|l| l.strip_prefix("ok ")?.parse().ok()).collect())
        .collect();
    let failures: Vec<Vec<&String>> =
        outputs.iter().map(|lines| lines.iter().filter(|l| l.starts_with("err ")).collect()).collect();
    let winner = announced.iter().position(|a| !a.is_empty()).expect("someone announced");
    let loser = 1 - winner;
    assert!(announced[loser].is_empty(), "two chains: {announced:?}");
    assert_eq!(announced[winner].len(), 100);
    assert!(failures[winner].is_empty(), "{:?}", failures[winner]);
    assert!(!failures[loser].is_empty());
    for line in &failures[loser] {
        assert!(line.contains("conflict: ") && line.contains("lock"), "{line}");
    }
    for (&v, &sum) in &seen {
        assert!(announced[winner].contains(&v), "the follower held {v}, not on the winner's chain");
        assert_eq!(load_from_scratch(store.clone(), v).unwrap(), sum);
    }
}

#[test]
fn rival_producer_processes_announce_one_chain() {
    let dir = temp_dir("rival-processes");
    rival_processes(dir.to_str().unwrap(), "");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ----- the same on S3 (a loopback moto server started by .ci/with-s3.sh) ---------------------------

/// `s3://<fresh bucket>/protocol` when the tests run beside an S3 server (and the feature is on).
fn s3_url(test: &str) -> Option<String> {
    if !cfg!(feature = "object-store") {
        eprintln!("{test}: built without object-store: S3 variant skipped");
        return None;
    }
    common::s3::fresh_url(test, "protocol")
}

#[test]
fn s3_a_producer_killed_50_times_never_makes_a_version_name_two_states() {
    // A killed producer's lease runs out after 400 ms; the next one waits for it.
    if let Some(url) = s3_url("kill") {
        killed_50_times(&url, "lease_ttl_ms=400,poll_interval_ms=20");
    }
}

#[test]
fn s3_rival_producer_processes_announce_one_chain() {
    if let Some(url) = s3_url("rivals") {
        rival_processes(&url, "lease_ttl_ms=20000,poll_interval_ms=20");
    }
}

#[test]
fn s3_rival_producer_threads() {
    if let Some(url) = s3_url("rival-threads") {
        rival_threads(hollow::store::open(&url, &options_from("lease_ttl_ms=20000", true)).unwrap());
    }
}

#[test]
fn s3_a_failed_announce_leaves_nothing_behind() {
    if let Some(url) = s3_url("failed-announce") {
        failed_announce_scenario(hollow::store::open(&url, &StoreOptions::default()).unwrap());
    }
}

/// 50 random cycles on S3, and two consumer processes following by URL: at every version either holds,
/// its state is the producer's.
#[test]
fn s3_fifty_random_cycles_followed_by_consumer_processes() {
    let Some(url) = s3_url("random-cycles") else { return };
    let store = hollow::store::open(&url, &StoreOptions::default()).unwrap();
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_num_states_between_snapshots(4)
        .build()
        .unwrap();
    let first = producer.run_cycle(random_strings(0)).unwrap();
    let mut produced = BTreeMap::from([(first, checksum_of_producer(&producer))]);
    let mut rng = rng(50);
    let planned: Vec<u64> = (0..49).map(|_| rng.next()).collect();
    // The consumers start now and must reach the last version; its number is not known yet, so they are
    // told the count of versions to expect via a sentinel: the producer announces exactly 50 versions.
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "child_consumer", "--nocapture", "--test-threads=1", "--quiet"])
                .env("HOLLOW_CONSUMER_CHILD", &url)
                .env("HOLLOW_CONSUMER_UNTIL", i64::MAX.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for seed in planned {
        let v = producer.run_cycle(random_strings(seed)).unwrap();
        produced.insert(v, checksum_of_producer(&producer));
        std::thread::sleep(Duration::from_millis(rng.below(40)));
    }
    // Give the consumers time to reach the last version, then stop them and read what they held.
    let last = *produced.keys().next_back().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let mut reached_last = 0;
    for mut child in children {
        child.kill().unwrap();
        child.wait().unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut text).unwrap();
        let held: Vec<(Version, i32)> = text
            .lines()
            .filter_map(|l| {
                let (v, s) = l.split_once(' ')?;
                Some((v.parse().ok()?, s.parse().ok()?))
            })
            .collect();
        assert!(held.len() >= 5, "a consumer held only {} versions", held.len());
        for (v, sum) in held {
            assert_eq!(produced.get(&v), Some(&sum), "a consumer process held version {v} with another state");
            reached_last += usize::from(v == last);
        }
    }
    assert_eq!(reached_last, 2, "both consumer processes reached the last version");
}

fn checksum_of_producer(producer: &Producer) -> i32 {
    HollowChecksum::for_state_engine(producer.read_state().unwrap().engine()).value()
}

// ----- retention ----------------------------------------------------------------------------------

/// Records every blob published.
#[derive(Default)]
struct Published(Mutex<Vec<BlobId>>);
impl ProducerListener for Published {
    fn blob_published(&self, blob: &Blob) {
        self.0.lock().unwrap().push(blob.id());
    }
}

#[test]
fn retention_keeps_exactly_what_it_promises_over_200_cycles() {
    use hollow::store::retention::RetentionPolicy;
    let dir = temp_dir("retention");
    let store = Arc::new(FilesystemBlobStore::create(&dir).unwrap());
    let published = Arc::new(Published::default());
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_listener(published.clone())
        .with_num_states_between_snapshots(4)
        .build()
        .unwrap();
    // A consumer pinned early on: retention must keep what it needs.
    for seed in 0..7 {
        producer.run_cycle(random_strings(seed)).unwrap();
    }
    let pinned_version = producer.current_version().unwrap();
    let pinned = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    pinned.pin(pinned_version).unwrap();
    let pinned_sum = checksum_of(&pinned);
    let policy = RetentionPolicy::keep_snapshots(3).protect(pinned_version);
    drop(producer);
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_listener(published.clone())
        .with_num_states_between_snapshots(4)
        .with_retention(policy.clone())
        .build()
        .unwrap();
    producer.restore_announced(store.as_ref()).unwrap();

    let follower = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    let mut listings_per_refresh = Vec::new();
    for seed in 7..207 {
        let v = producer.run_cycle(random_strings(seed)).unwrap();
        // The model: the snapshots published so far, the cut-off the promise implies, and so exactly
        // the blobs that must remain.
        let all = published.0.lock().unwrap().clone();
        let snapshots: Vec<Version> =
            all.iter().filter(|b| b.blob_type == hollow::store::BlobType::Snapshot).map(|b| b.to_version).collect();
        let newest_three = snapshots[snapshots.len().saturating_sub(3)];
        let anchor = *snapshots.iter().filter(|&&s| s <= pinned_version).max().unwrap();
        let cutoff = newest_three.min(anchor);
        let mut expected: Vec<BlobId> = all.into_iter().filter(|b| b.newest_version() >= cutoff).collect();
        expected.sort_by_key(|b| (b.to_version, b.from_version, b.blob_type));
        assert_eq!(store.list().unwrap(), expected, "after version {v}");

        let before = store.directory_listings();
        assert_eq!(follower.refresh().unwrap(), Some(v));
        listings_per_refresh.push(store.directory_listings() - before);
        if seed % 25 == 0 {
            load_from_scratch(store.clone(), v).unwrap();
        }
    }
    assert_eq!(producer.retention_failures(), 0);
    // The pinned consumer's version still loads from scratch, to the same state, and it can move on.
    assert_eq!(load_from_scratch(store.clone(), pinned_version).unwrap(), pinned_sum);
    pinned.unpin();
    assert_eq!(pinned.refresh().unwrap(), producer.current_version());
    // Each refresh listed the directory at most twice, however many blobs it held (the pin kept them all).
    assert!(store.list().unwrap().len() > 600);
    // Lifting the protection lets the store shrink to three snapshots' worth.
    let announced = producer.current_version().unwrap();
    let report =
        hollow::store::retention::clean(store.as_ref(), announced, &RetentionPolicy::keep_snapshots(3)).unwrap();
    assert!(report.kept < 40 && report.removed.len() > 600, "{} kept, {} removed", report.kept, report.removed.len());
    assert_eq!(load_from_scratch(store.clone(), announced).unwrap(), checksum_of(&follower));
    assert!(listings_per_refresh.iter().all(|&n| n <= 2), "{listings_per_refresh:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

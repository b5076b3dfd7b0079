//! Stress: many consumers and readers while a producer publishes under injected faults.
//!
//! The store is wrapped in a [`FaultyStore`] (retrievals fail, stall or come back truncated; publishes
//! fail). Halfway through, the producer is killed (dropped) and a new one resumes from the announced
//! version with `restore_announced`; later a rival producer tries to publish to the same store and
//! must be refused. Every consumer compares every version it reaches, record by record, with what the
//! producer published as that version. Any difference is an inconsistency, and the run fails.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hollow::store::BlobStore;
use hollow::{Consumer, ErrorKind, Producer, Version};

use crate::args::{parse_duration, Common};
use crate::faults::FaultyStore;
use crate::fleet::{follow, readers};
use crate::latency::{Percentiles, TARGET_P99_US};
use crate::movies::{self, Catalog, Movie};
use crate::run::{open_store, Result, Run};
use crate::schedule::{drive, Tick};
use crate::Report;

/// Many consumers and readers, injected store faults, a producer killed and restored, a rival producer.
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "stress")]
pub struct Options {
    #[command(flatten)]
    pub common: Common,
    /// Movies in the catalog before the first event.
    #[arg(long, default_value_t = 500)]
    pub catalog: usize,
    /// Consumers following the store, each checking every version it reaches.
    #[arg(long, default_value_t = 4)]
    pub consumers: usize,
    /// Reader threads timing lookups (on the first consumer).
    #[arg(long, default_value_t = 2)]
    pub readers: usize,
    /// Probability that a store operation misbehaves once faults are on.
    #[arg(long, default_value_t = 0.1)]
    pub fault_rate: f64,
    /// The first part of the schedule runs without faults, for the latency baseline.
    #[arg(long, default_value_t = 0.25)]
    pub clean_fraction: f64,
    /// Time between producer cycles (default: a hundredth of the window, at least 10 ms).
    #[arg(long, value_parser = parse_duration)]
    pub cycle_every: Option<Duration>,
}

type Published = Arc<Mutex<HashMap<Version, Arc<BTreeMap<i64, Movie>>>>>;

fn producer_on(store: &Arc<FaultyStore>) -> hollow::Result<Producer> {
    Producer::builder(store.clone()).with_announcer(store.clone()).with_object_mapper(movies::mapper()).build()
}

pub fn run(options: &Options) -> Result<Report> {
    let common = &options.common;
    let (plain, url, _temp_dir) = open_store(common)?;
    let store = Arc::new(FaultyStore::new(plain.clone(), options.fault_rate, common.seed));
    let run = Run::new("stress", common);
    let cycle_every = options.cycle_every.unwrap_or((common.window() / 100).max(Duration::from_millis(10)));
    let n = run.schedule.len();

    let mut catalog = Catalog::new(options.catalog, common.seed);
    let published: Published = Arc::default();
    let failed_cycles = AtomicU64::new(0);
    // One cycle; a failure (an injected publish fault) is counted, and the next cycle retries.
    let cycle = |producer: &mut Producer, catalog: &Catalog| {
        let before = producer.current_version();
        let result = producer.run_cycle(|ws| {
            published.lock().unwrap_or_else(|e| e.into_inner()).insert(ws.version(), Arc::new(catalog.movies.clone()));
            catalog.add_to(ws)
        });
        match result {
            Ok(v) => run.cycle_done((Some(v) != before).then_some((v, catalog.movies.len()))),
            Err(e) => {
                tracing::debug!(error = %e, "cycle failed");
                failed_cycles.fetch_add(1, Ordering::Relaxed);
                run.cycle_done(None);
            }
        }
    };
    let mut producer = producer_on(&store)?;
    cycle(&mut producer, &catalog);

    let stop = Arc::new(AtomicBool::new(false));
    let refresh_failures = Arc::new(AtomicU64::new(0));
    let (checked, inconsistent) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut consumers = Vec::new();
    let mut followers = Vec::new();
    for i in 0..options.consumers.max(1) {
        let consumer = Consumer::builder(store.clone())
            .with_announcement_watcher(store.clone())
            .with_primary_key_index("Movie")
            .build();
        let reached = Arc::new(AtomicU64::new(0));
        let (published, checked, inconsistent, reached_by) =
            (published.clone(), checked.clone(), inconsistent.clone(), reached.clone());
        followers.push(follow(
            format!("consumer {i}"),
            consumer.clone(),
            run.clone(),
            stop.clone(),
            refresh_failures.clone(),
            move |state| {
                let expected = published.lock().unwrap_or_else(|e| e.into_inner()).get(&state.version()).cloned();
                let same = match (movies::read_all(state), expected) {
                    (Ok(seen), Some(expected)) => seen == *expected,
                    _ => false,
                };
                checked.fetch_add(1, Ordering::Relaxed);
                if !same {
                    tracing::error!(version = state.version(), "a consumer's state differs from the published one");
                    inconsistent.fetch_add(1, Ordering::Relaxed);
                }
                reached_by.store(state.version() as u64, Ordering::Relaxed);
            },
        ));
        consumers.push((consumer, reached));
    }
    let max_id = Arc::new(AtomicI64::new(catalog.movies.len() as i64));
    let wrong_reads = Arc::new(AtomicU64::new(0));
    let reader_threads = readers(
        consumers[0].0.clone(),
        run.clone(),
        options.readers,
        max_id.clone(),
        stop.clone(),
        wrong_reads.clone(),
    );

    let faults_from = (n as f64 * options.clean_fraction) as usize;
    let (kill_at, rival_at) = (n / 2, n * 3 / 4);
    let mut faults_start_s = None;
    let (mut restored, mut restore_attempts, mut rival) = (None, 0, None);
    drive(&run.schedule.clone(), cycle_every, |tick| {
        let Tick::Event(i) = tick else {
            cycle(&mut producer, &catalog);
            return Ok::<(), crate::run::Error>(());
        };
        if i == faults_from {
            store.enable(true);
            faults_start_s = Some(run.seconds());
        }
        if i == kill_at {
            // The producer dies; a new one resumes the delta chain from what the store announces.
            let announced = producer.announced_version();
            drop(std::mem::replace(&mut producer, producer_on(&store)?));
            let version = loop {
                restore_attempts += 1;
                match producer.restore_announced(&*store) {
                    Ok(v) => break v,
                    Err(e) if restore_attempts < 100 => tracing::debug!(error = %e, "restore failed; retrying"),
                    Err(e) => return Err(e.into()),
                }
            };
            restored = Some((announced, version));
        }
        if i == rival_at {
            rival = Some(try_rival(&plain));
        }
        catalog.random_event();
        max_id.store(catalog.random_id().max(max_id.load(Ordering::Relaxed)), Ordering::Relaxed);
        run.event_done();
        Ok(())
    })?;
    let final_version = producer.current_version().ok_or("nothing was published")?;
    stop.store(true, Ordering::Release);
    for f in followers {
        f.join().map_err(|_| "a consumer thread panicked")?;
    }
    for r in reader_threads {
        r.join().map_err(|_| "a reader panicked")?;
    }

    let mut report = run.report();
    let faults = store.counts();
    let (checked, inconsistent) = (checked.load(Ordering::Relaxed), inconsistent.load(Ordering::Relaxed));
    let behind: Vec<usize> =
        (0..consumers.len()).filter(|&i| consumers[i].1.load(Ordering::Relaxed) != final_version as u64).collect();
    report.check(
        "every consumer matched the producer at every version",
        inconsistent == 0 && checked > 0 && behind.is_empty(),
        format!("{checked} versions checked, {inconsistent} inconsistent, consumers behind at the end: {behind:?}"),
    );
    if options.fault_rate > 0.0 {
        report.check("faults were injected", faults.total() > 0, format!("{faults:?}"));
    }
    let failed = failed_cycles.load(Ordering::Relaxed);
    report.check(
        "every failed cycle met an injected publish fault",
        failed <= faults.failed_publishes,
        format!("{failed} cycles failed, {} publishes failed", faults.failed_publishes),
    );
    if let Some((announced, version)) = restored {
        report.check(
            "the restarted producer resumed at the announced version",
            announced == Some(version),
            format!("announced {announced:?}, restored {version} after {restore_attempts} attempt(s)"),
        );
    }
    if let Some(rival) = &rival {
        report.check("the rival producer was refused", rival.is_ok(), rival.clone().unwrap_or_else(|e| e));
    }
    let wrong = wrong_reads.load(Ordering::Relaxed);
    report.check("reads found the movie asked for", wrong == 0, format!("{wrong} wrong answers"));

    let (clean, faulty) = run.latency.split_at(faults_start_s.unwrap_or(f64::INFINITY));
    let (clean, faulty) = (Percentiles::of(&clean), Percentiles::of(&faulty));
    report.figure("read_p99_clean_us", clean.p99_us);
    report.figure("read_p99_faults_us", faulty.p99_us);
    if clean.count > 0 && faulty.count > 0 {
        report.target_at_most("read p99 under faults vs clean (ratio)", 2.0, faulty.p99_us / clean.p99_us.max(1e-3));
    }
    report.target_at_most("read p99 under faults (µs)", TARGET_P99_US, faulty.p99_us);
    report.figure("inconsistencies", inconsistent as f64);
    report.figure("faults_injected", faults.total() as f64);
    report.figure("refresh_failures", refresh_failures.load(Ordering::Relaxed) as f64);
    report.figure("failed_cycles", failed as f64);
    report.note(format!(
        "faults: {} failed retrievals, {} delayed, {} truncated blobs, {} failed publishes",
        faults.failed_retrievals, faults.delayed_retrievals, faults.corrupted_blobs, faults.failed_publishes
    ));
    report.note(format!(
        "{} consumers: {} refreshes failed and were retried; {failed} producer cycles failed and were retried",
        consumers.len(),
        refresh_failures.load(Ordering::Relaxed)
    ));
    report.note(format!("read p99: {:.2} µs clean, {:.2} µs under faults", clean.p99_us, faulty.p99_us));
    report.details.insert("faults".into(), serde_json::to_value(faults)?);
    report.details.insert("store".into(), url.into());
    Ok(report)
}

/// A second producer on the same store tries to publish and announce: `Ok(why it was refused)`, or
/// `Err(what it managed)` when it was not refused.
fn try_rival(store: &Arc<dyn BlobStore>) -> std::result::Result<String, String> {
    let rival = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_object_mapper(movies::mapper())
        .build()
        .and_then(|mut rival| {
            rival.run_cycle(|ws| {
                let movie = Movie { id: -1, title: "Rival".into(), year: 2000, genre: "drama".into(), votes: 0 };
                ws.add(&movie).map(drop)
            })
        });
    match rival {
        Err(e) if e.kind() == ErrorKind::Conflict => Ok(format!("refused: {e}")),
        Err(e) => Err(format!("failed for another reason: {e}")),
        Ok(v) => Err(format!("announced version {v}")),
    }
}

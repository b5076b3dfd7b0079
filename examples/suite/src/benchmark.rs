//! Benchmark: several independent datasets side by side, each with its own store, producer, consumers
//! and readers, all fed by one schedule of a chosen shape (normal, uniform or bursty; events go to
//! the datasets in turn). Reports read latency, event and read throughput, and memory per consumer
//! (heap per type and index, and the process's RSS).

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hollow::{Consumer, Producer};

use crate::args::Common;
use crate::fleet::{follow, readers};
use crate::movies::{self, Catalog};
use crate::run::{open_store, rss_bytes, Result, Run};
use crate::schedule::{drive, Schedule, Shape, Tick};
use crate::Report;

/// Independent datasets in parallel on one schedule of the chosen shape.
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "benchmark")]
pub struct Options {
    #[command(flatten)]
    pub common: Common,
    /// How the events are spread over the window.
    #[arg(long, value_enum, default_value = "normal")]
    pub shape: Shape,
    /// Independent datasets, each with its own store, producer and consumers.
    #[arg(long, default_value_t = 3)]
    pub datasets: usize,
    /// Consumers per dataset.
    #[arg(long, default_value_t = 2)]
    pub consumers: usize,
    /// Reader threads per dataset (on its first consumer).
    #[arg(long, default_value_t = 1)]
    pub readers: usize,
    /// Movies per dataset before the first event.
    #[arg(long, default_value_t = 1_000)]
    pub catalog: usize,
}

/// What one dataset ended with.
#[derive(Debug, serde::Serialize)]
struct DatasetResult {
    dataset: usize,
    events: usize,
    versions: usize,
    /// Per consumer: (version reached, agrees with the producer's catalog, heap bytes by type and index).
    consumers: Vec<(hollow::Version, bool, std::collections::BTreeMap<String, usize>)>,
    producer_version: hollow::Version,
    wrong_reads: u64,
}

fn dataset(d: usize, options: &Options, run: &Arc<Run>, schedule: Schedule) -> Result<DatasetResult> {
    let common = Common {
        store: options.common.store.as_ref().map(|s| format!("{}/dataset-{d}", s.trim_end_matches('/'))),
        ..options.common.clone()
    };
    let (store, _url, _temp_dir) = open_store(&common)?;
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_object_mapper(movies::mapper())
        .with_name(&format!("dataset-{d}"))
        .build()?;
    let mut catalog = Catalog::new(options.catalog, common.seed + d as u64);
    let mut versions = 0;
    let mut cycle = |producer: &mut Producer, catalog: &Catalog| -> hollow::Result<()> {
        let before = producer.current_version();
        let v = producer.run_cycle(|ws| catalog.add_to(ws))?;
        let new = Some(v) != before;
        versions += usize::from(new);
        // The versions chart follows dataset 0: versions of different producers do not interleave in order.
        run.cycle_done((new && d == 0).then_some((v, catalog.movies.len())));
        Ok(())
    };
    cycle(&mut producer, &catalog)?;

    let stop = Arc::new(AtomicBool::new(false));
    let consumers: Vec<Consumer> = (0..options.consumers.max(1))
        .map(|_| {
            Consumer::builder(store.clone())
                .with_announcement_watcher(store.clone())
                .with_primary_key_index("Movie")
                .build()
        })
        .collect();
    let followers: Vec<_> = consumers
        .iter()
        .enumerate()
        .map(|(c, consumer)| {
            follow(
                format!("dataset {d} consumer {c}"),
                consumer.clone(),
                run.clone(),
                stop.clone(),
                Arc::default(),
                |_| {},
            )
        })
        .collect();
    let wrong = Arc::new(AtomicU64::new(0));
    let max_id = Arc::new(AtomicI64::new(options.catalog as i64));
    let reader_threads =
        readers(consumers[0].clone(), run.clone(), options.readers, max_id.clone(), stop.clone(), wrong.clone());

    let cycle_every = (common.window() / 50).max(Duration::from_millis(20));
    drive(&schedule, cycle_every, |tick| {
        match tick {
            Tick::Event(_) => {
                catalog.random_event();
                max_id.store(catalog.random_id().max(max_id.load(Ordering::Relaxed)), Ordering::Relaxed);
                run.event_done();
            }
            Tick::Cycle => cycle(&mut producer, &catalog)?,
        }
        Ok::<(), crate::run::Error>(())
    })?;
    stop.store(true, Ordering::Release);
    for t in followers.into_iter().chain(reader_threads) {
        t.join().map_err(|_| "a dataset thread panicked")?;
    }

    let expected = movies::fingerprint(catalog.movies.values());
    let mut results = Vec::new();
    for consumer in &consumers {
        let state = consumer.read_state().ok_or("a consumer has no state")?;
        let agrees = movies::fingerprint(movies::read_all(&state)?.values()) == expected;
        let mut heap: std::collections::BTreeMap<String, usize> =
            state.engine().types().map(|t| (t.schema().name().to_owned(), t.approximate_heap_bytes())).collect();
        heap.insert("primary-key index".into(), state.primary_key_index("Movie")?.heap_bytes());
        results.push((state.version(), agrees, heap));
    }
    Ok(DatasetResult {
        dataset: d,
        events: schedule.len(),
        versions,
        consumers: results,
        producer_version: producer.current_version().ok_or("nothing published")?,
        wrong_reads: wrong.load(Ordering::Relaxed),
    })
}

pub fn run(options: &Options) -> Result<Report> {
    let common = &options.common;
    let schedule = Schedule::shaped(options.shape, common.events, common.window(), common.sigma, common.seed);
    let run = Run::with_schedule("benchmark", schedule.clone());
    let k = options.datasets.max(1);
    // Event i goes to dataset i % k: each dataset plays its share of the one schedule.
    let shares: Vec<Schedule> = (0..k)
        .map(|d| Schedule {
            offsets: schedule.offsets.iter().skip(d).step_by(k).copied().collect(),
            window: schedule.window,
        })
        .collect();
    let results: Vec<Result<DatasetResult>> = std::thread::scope(|s| {
        let handles: Vec<_> = shares
            .into_iter()
            .enumerate()
            .map(|(d, share)| {
                let run = &run;
                s.spawn(move || dataset(d, options, run, share))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a dataset panicked".into()))).collect()
    });
    let results: Vec<DatasetResult> = results.into_iter().collect::<Result<_>>()?;
    let rss = rss_bytes();

    let mut report = run.report();
    for r in &results {
        let behind = r.consumers.iter().filter(|c| c.0 != r.producer_version || !c.1).count();
        report.check(
            &format!("dataset {}: every consumer holds the producer's last catalog", r.dataset),
            behind == 0 && r.wrong_reads == 0,
            format!(
                "{} versions, {} consumers, {behind} behind or different, {} wrong reads",
                r.versions,
                r.consumers.len(),
                r.wrong_reads
            ),
        );
    }
    let consumers = results.iter().map(|r| r.consumers.len()).sum::<usize>().max(1);
    let heap_per_consumer =
        results.iter().flat_map(|r| &r.consumers).map(|c| c.2.values().sum::<usize>()).sum::<usize>() / consumers;
    let seconds = report.duration_s.max(1e-9);
    report.figure("events_per_s", report.events as f64 / seconds);
    report.figure("reads_per_s", report.latency.overall.count as f64 / seconds);
    report.figure("heap_per_consumer_bytes", heap_per_consumer as f64);
    report.figure("rss_bytes", rss as f64);
    report.figure("rss_per_consumer_bytes", rss as f64 / consumers as f64);
    report.note(format!("{k} datasets x {} consumers, {:?} schedule", options.consumers, options.shape));
    report.note(format!(
        "throughput: {:.0} events/s, {:.0} timed reads/s",
        report.figures["events_per_s"], report.figures["reads_per_s"]
    ));
    report.note(format!(
        "memory: {} KiB heap per consumer (types and index), RSS {} MiB for the process ({} KiB per consumer)",
        heap_per_consumer >> 10,
        rss >> 20,
        (rss as usize / consumers) >> 10
    ));
    report.details.insert("shape".into(), serde_json::to_value(options.shape)?);
    report.details.insert("datasets".into(), serde_json::to_value(&results)?);
    Ok(report)
}

//! Performance: read latency on a large catalog (1M movies by default), single and batched, against
//! the 5 µs p99 target; memory per type and RSS; CPU time; read throughput per thread; then the event
//! schedule applied as incremental cycles while readers keep timing lookups. `--baseline FILE`
//! compares the figures with a saved `report.json` and fails the run when one regressed by more than
//! `--threshold`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hollow::{Consumer, KeyValue, Producer};

use crate::args::{parse_duration, Common};
use crate::fleet::readers;
use crate::latency::{histogram, timed, Percentiles, TARGET_P99_US};
use crate::movies::{self, Movie, GENRES};
use crate::run::{cpu_time, open_store, rss_bytes, Result, Run};
use crate::schedule::{drive, Tick};
use crate::Report;

/// Read latency, memory, CPU and throughput on a large catalog, with regression detection.
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "performance")]
pub struct Options {
    #[command(flatten)]
    pub common: Common,
    /// Movies in the catalog.
    #[arg(long, default_value_t = 1_000_000)]
    pub records: usize,
    /// Timed reads per latency measurement.
    #[arg(long, default_value_t = 200_000)]
    pub reads: usize,
    /// Reads per timed batch in the batched measurement.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Thread counts for the throughput measurement.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub threads: Vec<usize>,
    /// How long each throughput measurement runs.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub throughput_for: Duration,
    /// Reader threads while the schedule's updates are published.
    #[arg(long, default_value_t = 1)]
    pub readers: usize,
    /// A saved report.json to compare with.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// How much worse than the baseline a figure may be (0.25: 25%).
    #[arg(long, default_value_t = 0.25)]
    pub threshold: f64,
}

/// The figures a baseline is compared on, and whether lower is better.
pub const COMPARED: [(&str, bool); 6] = [
    ("single_get_p99_us", true),
    ("single_lookup_p99_us", true),
    ("batched_get_p99_us", true),
    ("load_ms", true),
    ("heap_bytes", true),
    ("throughput_1_thread_ops_per_s", false),
];

fn movie(id: i64) -> Movie {
    Movie {
        id,
        title: format!("Movie {id}"),
        year: 1950 + (id % 77) as i32,
        genre: GENRES[(id % GENRES.len() as i64) as usize].to_owned(),
        votes: id % 1000,
    }
}

/// xorshift: cheap random ids that do not allocate or lock.
fn next_id(state: &mut u64, max: i64) -> i64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state % max.max(1) as u64) as i64 + 1
}

pub fn run(options: &Options) -> Result<Report> {
    let common = &options.common;
    let (store, url, _temp_dir) = open_store(common)?;
    let records = options.records.max(1) as i64;
    let rss_start = rss_bytes();

    // Publish the catalog in one cycle, and load it into a consumer.
    let (cpu, wall) = (cpu_time(), Instant::now());
    let mut producer =
        Producer::builder(store.clone()).with_announcer(store.clone()).with_object_mapper(movies::mapper()).build()?;
    producer.run_cycle(|ws| (1..=records).try_for_each(|id| ws.add(&movie(id)).map(drop)))?;
    let publish_s = wall.elapsed().as_secs_f64();
    let publish_cpu_s = (cpu_time() - cpu).as_secs_f64();
    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_primary_key_index("Movie")
        .build();
    let loading = Instant::now();
    consumer.refresh()?;
    let state = consumer.read_state().ok_or("no state after the refresh")?;
    let by_id = state.primary_key_index("Movie")?;
    let load_ms = loading.elapsed().as_secs_f64() * 1000.0;
    let rss_loaded = rss_bytes();

    // Single reads: one lookup per timer pair. Batched: `batch` reads per pair, divided.
    let (cpu, mut key) = (cpu_time(), 0x2545_F491_4F6C_DD1D_u64);
    let typed = state.index::<Movie>()?;
    let mut wrong = 0u64;
    let (mut get, mut lookup, mut batched) = (histogram(), histogram(), histogram());
    for _ in 0..options.reads {
        let id = next_id(&mut key, records);
        let found = timed(&mut get, || typed.get(id));
        wrong += u64::from(!matches!(found, Ok(Some(ref m)) if m.id == id));
        let ordinal = timed(&mut lookup, || by_id.get(state.engine(), &[KeyValue::from(id)]));
        wrong += u64::from(ordinal.is_none());
    }
    let batch = options.batch.max(1);
    for _ in 0..options.reads / batch {
        let started = Instant::now();
        for _ in 0..batch {
            let id = next_id(&mut key, records);
            wrong += u64::from(!matches!(std::hint::black_box(typed.get(id)), Ok(Some(ref m)) if m.id == id));
        }
        let _ = batched.record((started.elapsed().as_nanos() as u64 / batch as u64).max(1));
    }
    let reads_cpu_s = (cpu_time() - cpu).as_secs_f64();
    let (get, lookup, batched) = (Percentiles::of(&get), Percentiles::of(&lookup), Percentiles::of(&batched));

    // Throughput: typed reads per second per thread, for each thread count.
    let mut throughput = Vec::new();
    for &threads in &options.threads {
        let stop = AtomicBool::new(false);
        let done = AtomicU64::new(0);
        std::thread::scope(|s| {
            for t in 0..threads.max(1) {
                let (state, stop, done) = (&state, &stop, &done);
                s.spawn(move || {
                    let Ok(index) = state.index::<Movie>() else { return };
                    let (mut key, mut n) = (0x9E37_79B9_u64 * (t as u64 + 7), 0u64);
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..1024 {
                            let _ = std::hint::black_box(index.get(next_id(&mut key, records)));
                        }
                        n += 1024;
                    }
                    done.fetch_add(n, Ordering::Relaxed);
                });
            }
            std::thread::sleep(options.throughput_for);
            stop.store(true, Ordering::Relaxed);
        });
        let per_thread =
            done.load(Ordering::Relaxed) as f64 / options.throughput_for.as_secs_f64() / threads.max(1) as f64;
        throughput.push((threads, per_thread));
    }
    drop(typed);

    // The schedule: each event bumps a movie's votes; cycles publish them as incremental cycles
    // (deltas), and the consumer follows while readers time lookups.
    let run = Run::new("performance", common);
    run.cycle_done(producer.current_version().map(|v| (v, records as usize)));
    let stop = Arc::new(AtomicBool::new(false));
    let wrong_later = Arc::new(AtomicU64::new(0));
    let reader_threads = readers(
        consumer.clone(),
        run.clone(),
        options.readers,
        Arc::new(AtomicI64::new(records)),
        stop.clone(),
        wrong_later.clone(),
    );
    let cycle_every = (common.window() / 20).max(Duration::from_millis(50));
    let mut pending: Vec<i64> = Vec::new();
    drive(&run.schedule.clone(), cycle_every, |tick| {
        match tick {
            Tick::Event(_) => {
                pending.push(next_id(&mut key, records));
                run.event_done();
            }
            Tick::Cycle if pending.is_empty() => run.cycle_done(None),
            Tick::Cycle => {
                let version = producer.run_incremental_cycle(|changes| {
                    for id in pending.drain(..) {
                        let mut m = movie(id);
                        m.votes += 1;
                        changes.add_or_modify(&m)?;
                    }
                    Ok(())
                })?;
                run.cycle_done(Some((version, records as usize)));
                let started = Instant::now();
                consumer.refresh()?;
                run.refreshed("consumer", version, started.elapsed());
            }
        }
        Ok::<(), crate::run::Error>(())
    })?;
    stop.store(true, Ordering::Release);
    for r in reader_threads {
        r.join().map_err(|_| "a reader panicked")?;
    }

    let mut report = run.report();
    let final_state = consumer.read_state().ok_or("no state")?;
    report.check(
        "the consumer reached the last version",
        Some(final_state.version()) == producer.current_version(),
        format!("consumer at {}, producer at {:?}", final_state.version(), producer.current_version()),
    );
    let wrong = wrong + wrong_later.load(Ordering::Relaxed);
    report.check("reads found the movie asked for", wrong == 0, format!("{wrong} wrong answers"));
    report.target_at_most("single typed get p99 (µs)", TARGET_P99_US, get.p99_us);
    report.target_at_most("single key lookup p99 (µs)", TARGET_P99_US, lookup.p99_us);
    report.target_at_most("batched typed get p99 (µs per read)", TARGET_P99_US, batched.p99_us);

    let mut heap_total = by_id.heap_bytes();
    let mut heap = serde_json::Map::new();
    for t in final_state.engine().types() {
        let bytes = t.approximate_heap_bytes();
        heap_total += bytes;
        heap.insert(t.schema().name().to_owned(), bytes.into());
        report.note(format!("heap: type {:<10} {:>12} bytes", t.schema().name(), bytes));
    }
    report.note(format!("heap: primary-key index {:>8} bytes", by_id.heap_bytes()));
    for (name, value) in [
        ("records", records as f64),
        ("publish_s", publish_s),
        ("publish_cpu_s", publish_cpu_s),
        ("load_ms", load_ms),
        ("reads_cpu_s", reads_cpu_s),
        ("single_get_p50_us", get.p50_us),
        ("single_get_p99_us", get.p99_us),
        ("single_lookup_p50_us", lookup.p50_us),
        ("single_lookup_p99_us", lookup.p99_us),
        ("batched_get_p50_us", batched.p50_us),
        ("batched_get_p99_us", batched.p99_us),
        ("heap_bytes", heap_total as f64),
        ("rss_loaded_bytes", rss_loaded as f64),
        ("rss_growth_bytes", rss_loaded.saturating_sub(rss_start) as f64),
    ] {
        report.figure(name, value);
    }
    for (threads, per_thread) in &throughput {
        let name = if *threads == 1 {
            "throughput_1_thread_ops_per_s".to_owned()
        } else {
            format!("throughput_{threads}_threads_ops_per_s")
        };
        report.figure(&name, *per_thread);
        report.note(format!("throughput with {threads} thread(s): {per_thread:.0} reads/s per thread"));
    }
    report.note(format!(
        "{records} movies: published in {publish_s:.2} s ({publish_cpu_s:.2} s CPU), loaded in {load_ms:.1} ms"
    ));
    report.note(format!(
        "single typed get p50 {:.2} / p99 {:.2} µs; key lookup p50 {:.2} / p99 {:.2} µs; batched get p99 {:.2} µs per read",
        get.p50_us, get.p99_us, lookup.p50_us, lookup.p99_us, batched.p99_us
    ));
    report.note(format!(
        "RSS {} MiB after loading ({} MiB more than at start)",
        rss_loaded >> 20,
        rss_loaded.saturating_sub(rss_start) >> 20
    ));
    report.details.insert("heap_by_type".into(), heap.into());
    report.details.insert("store".into(), url.into());
    if let Some(path) = &options.baseline {
        compare_with_baseline(&mut report, &Report::read(path)?, options.threshold);
    }
    Ok(report)
}

/// One check per compared figure present in both reports: worse by more than `threshold` fails it.
pub fn compare_with_baseline(report: &mut Report, baseline: &Report, threshold: f64) {
    for (name, lower_is_better) in COMPARED {
        let (Some(&now), Some(&then)) = (report.figures.get(name), baseline.figures.get(name)) else { continue };
        let worse_by = if lower_is_better { now / then.max(1e-12) - 1.0 } else { then / now.max(1e-12) - 1.0 };
        report.check(
            &format!("no regression in {name}"),
            worse_by <= threshold,
            format!(
                "{name}: {now:.3} now, {then:.3} in the baseline ({:+.0}%, threshold {:.0}%)",
                worse_by * 100.0,
                threshold * 100.0
            ),
        );
    }
}

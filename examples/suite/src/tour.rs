//! The tour: a movie catalog changes as events arrive on the schedule; a producer publishes the
//! catalog in cycles (a snapshot first, then deltas); two consumers follow, one on a thread of this
//! process and one in a subprocess; a pool of readers times lookups by primary key; and each cycle's
//! change is computed by `hollow::diff` and checked against what the events did.
//!
//! Both consumers compare every version they reach with the catalog the producer published as that
//! version (a fingerprint of all records), so the report says whether anyone ever saw a wrong state.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hollow::diff::DiffOptions;
use hollow::{Consumer, Producer, Version};

use crate::args::{parse_duration, Common};
use crate::fleet::{follow, readers};
use crate::movies::{self, Catalog, Movie};
use crate::run::{open_store, Result, Run};
use crate::schedule::Tick;
use crate::Report;

/// The hollow-rs tour: producer cycles, two consumers (one a subprocess), readers, diffs.
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "tour")]
pub struct Options {
    #[command(flatten)]
    pub common: Common,
    /// Movies in the catalog before the first event.
    #[arg(long, default_value_t = 1_000)]
    pub catalog: usize,
    /// Time between producer cycles (default: a fiftieth of the window, at least 20 ms).
    #[arg(long, value_parser = parse_duration)]
    pub cycle_every: Option<Duration>,
    /// Reader threads timing lookups.
    #[arg(long, default_value_t = 2)]
    pub readers: usize,
    /// Run as the subprocess consumer of the store at this URL (the tour starts it itself).
    #[arg(long, hide = true)]
    pub follow_store: Option<String>,
    /// The executable to start as the subprocess consumer (default: this program).
    #[arg(long, hide = true)]
    pub follower_exe: Option<PathBuf>,
}

/// What the producer published as each version: (records, fingerprint).
type Published = Arc<Mutex<HashMap<Version, (usize, u64)>>>;

/// Compare a consumer's view of `version` with what was published; false on a mismatch.
fn agrees(published: &Published, version: Version, records: usize, fingerprint: u64) -> bool {
    published.lock().unwrap_or_else(|e| e.into_inner()).get(&version) == Some(&(records, fingerprint))
}

pub fn run(options: &Options) -> Result<Report> {
    let common = &options.common;
    let (store, url, _temp_dir) = open_store(common)?;
    let run = Run::new("tour", common);
    let cycle_every = options.cycle_every.unwrap_or((common.window() / 50).max(Duration::from_millis(20)));

    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_object_mapper(movies::mapper())
        .with_name("movies")
        .build()?;
    let mut catalog = Catalog::new(options.catalog, common.seed);
    let published: Published = Arc::default();
    let publish = |producer: &mut Producer, catalog: &Catalog| -> hollow::Result<Version> {
        producer.run_cycle(|ws| {
            // Recorded before the announcement, so a consumer never reaches a version not yet recorded.
            let fp = movies::fingerprint(catalog.movies.values());
            published.lock().unwrap_or_else(|e| e.into_inner()).insert(ws.version(), (catalog.movies.len(), fp));
            catalog.add_to(ws)
        })
    };
    let first = publish(&mut producer, &catalog)?;
    run.cycle_done(Some((first, catalog.movies.len())));

    // Consumer 1: a thread of this process, checking each version it reaches.
    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_primary_key_index("Movie")
        .with_hash_index("Movie", &["year"])
        .with_name("tour")
        .build();
    let stop_followers = Arc::new(AtomicBool::new(false));
    let refresh_failures = Arc::new(AtomicU64::new(0));
    let (checked, mismatched) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let last_seen = Arc::new(AtomicU64::new(0));
    let follower = {
        let (published, checked, mismatched, last_seen) =
            (published.clone(), checked.clone(), mismatched.clone(), last_seen.clone());
        follow(
            "in-process".into(),
            consumer.clone(),
            run.clone(),
            stop_followers.clone(),
            refresh_failures.clone(),
            move |state| {
                let ok = movies::read_all(state)
                    .map(|all| agrees(&published, state.version(), all.len(), movies::fingerprint(all.values())))
                    .unwrap_or(false);
                checked.fetch_add(1, Ordering::Relaxed);
                if !ok {
                    mismatched.fetch_add(1, Ordering::Relaxed);
                }
                last_seen.store(state.version() as u64, Ordering::Relaxed);
            },
        )
    };

    // Consumer 2: a subprocess, reporting each version it reaches on its standard output.
    let mut child = {
        let exe = match &options.follower_exe {
            Some(exe) => exe.clone(),
            None => std::env::current_exe()?,
        };
        Command::new(exe).args(["--follow-store", &url]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?
    };
    let child_lines = {
        let stdout = child.stdout.take().ok_or("the subprocess has no standard output")?;
        let (run, published) = (run.clone(), published.clone());
        std::thread::spawn(move || {
            let (mut reached, mut agreed, mut disagreed) = (0u64, 0u64, 0u64);
            for line in BufReader::new(stdout).lines().map_while(std::io::Result::ok) {
                let Some(seen) = FollowerLine::parse(&line) else { continue };
                run.refreshed("subprocess", seen.version, Duration::from_secs_f64(seen.refresh_ms / 1000.0));
                reached = seen.version as u64;
                if agrees(&published, seen.version, seen.records, seen.fingerprint) {
                    agreed += 1;
                } else {
                    disagreed += 1;
                }
            }
            (reached, agreed, disagreed)
        })
    };

    let max_id = Arc::new(AtomicI64::new(catalog.movies.len() as i64));
    let stop_readers = Arc::new(AtomicBool::new(false));
    let wrong_reads = Arc::new(AtomicU64::new(0));
    let reader_threads = readers(
        consumer.clone(),
        run.clone(),
        options.readers,
        max_id.clone(),
        stop_readers.clone(),
        wrong_reads.clone(),
    );

    // The schedule: events change the catalog; every `cycle_every` the producer publishes it, and the
    // diff of the two versions is checked against the catalog's own change.
    let mut before = catalog.movies.clone();
    let mut diffs = Vec::new();
    let mut diff_disagreements = 0;
    crate::schedule::drive(&run.schedule.clone(), cycle_every, |tick| {
        if let Tick::Event(_) = tick {
            catalog.random_event();
            max_id.store(catalog.random_id().max(max_id.load(Ordering::Relaxed)), Ordering::Relaxed);
            run.event_done();
            return Ok::<(), crate::run::Error>(());
        }
        let previous = producer.read_state();
        let version = publish(&mut producer, &catalog)?;
        let current = producer.read_state();
        let changed = previous.as_ref().map(|p| p.version()) != Some(version);
        run.cycle_done(changed.then_some((version, catalog.movies.len())));
        if let (true, Some(previous), Some(current)) = (changed, previous, current) {
            let options = DiffOptions { detail_limit: Some(0), ..DiffOptions::default() };
            let diff = hollow::diff::diff(previous.engine(), current.engine(), &options)?;
            let movie = diff.type_diff("Movie").ok_or("the diff has no Movie type")?;
            let expected = catalog_change(&before, &catalog.movies);
            if (movie.added, movie.removed, movie.modified) != expected {
                diff_disagreements += 1;
            }
            diffs.push(serde_json::json!({
                "version": version, "added": movie.added, "removed": movie.removed, "modified": movie.modified,
            }));
            before = catalog.movies.clone();
        }
        Ok(())
    })?;
    let final_version = producer.current_version().ok_or("nothing was published")?;

    stop_followers.store(true, Ordering::Release);
    follower.join().map_err(|_| "the consumer thread panicked")?;
    stop_readers.store(true, Ordering::Release);
    for r in reader_threads {
        r.join().map_err(|_| "a reader panicked")?;
    }
    // Closing its standard input tells the subprocess to catch up and exit.
    drop(child.stdin.take());
    let status = child.wait()?;
    let (child_reached, child_agreed, child_disagreed) = child_lines.join().map_err(|_| "the line reader panicked")?;

    let mut report = run.report();
    let (checked, mismatched) = (checked.load(Ordering::Relaxed), mismatched.load(Ordering::Relaxed));
    report.check(
        "in-process consumer saw exactly what was published",
        mismatched == 0 && checked > 0 && last_seen.load(Ordering::Relaxed) == final_version as u64,
        format!("{checked} versions checked, {mismatched} mismatched, ended at {}", last_seen.load(Ordering::Relaxed)),
    );
    report.check(
        "subprocess consumer saw exactly what was published",
        status.success() && child_disagreed == 0 && child_agreed > 0 && child_reached == final_version as u64,
        format!("{child_agreed} versions agreed, {child_disagreed} disagreed, ended at {child_reached} ({status})"),
    );
    report.check(
        "each cycle's diff matches the catalog's change",
        diff_disagreements == 0 && !diffs.is_empty(),
        format!("{} cycles diffed, {diff_disagreements} disagreed", diffs.len()),
    );
    let wrong = wrong_reads.load(Ordering::Relaxed);
    report.check("reads found the movie asked for", wrong == 0, format!("{wrong} wrong answers"));
    let metrics = consumer.metrics();
    report.figure("snapshots_applied", metrics.snapshots_applied as f64);
    report.figure("deltas_applied", metrics.deltas_applied as f64);
    report.figure("refresh_failures", refresh_failures.load(Ordering::Relaxed) as f64);
    report.note(format!(
        "in-process consumer: {} snapshot(s), {} delta(s), {} bytes applied",
        metrics.snapshots_applied, metrics.deltas_applied, metrics.bytes_applied
    ));
    let totals = diffs.iter().fold((0, 0, 0), |acc, d| {
        let n = |k: &str| d[k].as_u64().unwrap_or(0);
        (acc.0 + n("added"), acc.1 + n("removed"), acc.2 + n("modified"))
    });
    report.note(format!(
        "diffs: {} added, {} removed, {} modified over {} cycles",
        totals.0,
        totals.1,
        totals.2,
        diffs.len()
    ));
    report.note("shown: typed records through ObjectMapper, cycles publishing a snapshot then deltas, a consumer");
    report.note("  thread and a consumer process following the announcements, lookups by primary key while");
    report.note("  versions change under the readers, and hollow::diff summarizing every cycle.");
    report.details.insert("diffs".into(), serde_json::Value::Array(diffs));
    report.details.insert("store".into(), url.into());
    Ok(report)
}

/// (added, removed, modified) from one catalog to the next.
fn catalog_change(before: &BTreeMap<i64, Movie>, after: &BTreeMap<i64, Movie>) -> (usize, usize, usize) {
    let added = after.keys().filter(|id| !before.contains_key(id)).count();
    let removed = before.keys().filter(|id| !after.contains_key(id)).count();
    let modified = after.iter().filter(|(id, m)| before.get(id).is_some_and(|b| b != *m)).count();
    (added, removed, modified)
}

/// One line of the subprocess consumer: `version V records N fingerprint F refresh_ms T`.
struct FollowerLine {
    version: Version,
    records: usize,
    fingerprint: u64,
    refresh_ms: f64,
}

impl FollowerLine {
    fn parse(line: &str) -> Option<FollowerLine> {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            ["version", v, "records", n, "fingerprint", fp, "refresh_ms", t] => Some(FollowerLine {
                version: v.parse().ok()?,
                records: n.parse().ok()?,
                fingerprint: fp.parse().ok()?,
                refresh_ms: t.parse().ok()?,
            }),
            _ => None,
        }
    }
}

/// The subprocess consumer: follow the store at `url`, print a line per version reached, and stop
/// once standard input is closed and the announced version is reached.
pub fn follow_store(url: &str) -> Result<()> {
    let options = hollow::StoreOptions { poll_interval: Duration::from_millis(5), ..Default::default() };
    let store = hollow::store::open(url, &options)?;
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store).with_name("subprocess").build();
    let stdin_closed = Arc::new(AtomicBool::new(false));
    {
        let stdin_closed = stdin_closed.clone();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            stdin_closed.store(true, Ordering::Release);
        });
    }
    let mut out = std::io::stdout().lock();
    let mut last = None;
    loop {
        let stopping = stdin_closed.load(Ordering::Acquire);
        let started = Instant::now();
        let reached = consumer.refresh()?;
        if reached != last {
            let took = started.elapsed().as_secs_f64() * 1000.0;
            let state = consumer.read_state().ok_or("refreshed without a state")?;
            let all = movies::read_all(&state)?;
            let fp = movies::fingerprint(all.values());
            writeln!(out, "version {} records {} fingerprint {fp} refresh_ms {took:.3}", state.version(), all.len())?;
            out.flush()?;
            last = reached;
        } else if stopping {
            return Ok(());
        } else {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

//! What every example records while it runs, and the `main` they share.
//!
//! A [`Run`] is shared by the producer loop, consumer threads and readers (`Arc<Run>`): each appends
//! what it saw with a timestamp, and [`Run::report`] turns it into the common part of a [`Report`].

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hollow::store::BlobStore;

use crate::args::Common;
use crate::latency::{LatencyRecorder, Percentiles, TARGET_P99_US};
use crate::progress::Progress;
use crate::report::{Point, RefreshPoint, Report, VersionPoint};
use crate::schedule::Schedule;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub struct Run {
    pub name: String,
    pub start: Instant,
    pub schedule: Schedule,
    pub latency: LatencyRecorder,
    pub progress: Progress,
    events_done: AtomicUsize,
    cycles: AtomicU64,
    version: AtomicU64,
    versions: Mutex<Vec<VersionPoint>>,
    refreshes: Mutex<Vec<RefreshPoint>>,
}

impl Run {
    /// A run of `common.events` events on the normal schedule of the common options.
    pub fn new(name: &str, common: &Common) -> Arc<Run> {
        let schedule = Schedule::normal(common.events, common.window(), common.sigma, common.seed);
        Run::with_schedule(name, schedule)
    }

    pub fn with_schedule(name: &str, schedule: Schedule) -> Arc<Run> {
        let start = Instant::now();
        let latency_window = (schedule.window / 40).max(Duration::from_millis(20));
        Arc::new(Run {
            name: name.to_owned(),
            start,
            latency: LatencyRecorder::new(start, latency_window),
            progress: Progress::new(name, schedule.len()),
            schedule,
            events_done: AtomicUsize::new(0),
            cycles: AtomicU64::new(0),
            version: AtomicU64::new(0),
            versions: Mutex::new(Vec::new()),
            refreshes: Mutex::new(Vec::new()),
        })
    }

    pub fn seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    pub fn event_done(&self) {
        let done = self.events_done.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(64) {
            self.show();
        }
    }

    pub fn events_done(&self) -> usize {
        self.events_done.load(Ordering::Relaxed)
    }

    /// A cycle ran; `announced` is the version it announced when that is a new one.
    pub fn cycle_done(&self, announced: Option<(hollow::Version, usize)>) {
        self.cycles.fetch_add(1, Ordering::Relaxed);
        if let Some((version, records)) = announced {
            let mut versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
            if versions.last().is_none_or(|last| last.version != version as u64) {
                versions.push(VersionPoint { t_s: self.seconds(), version: version as u64, records });
                self.version.store(version as u64, Ordering::Relaxed);
            }
        }
        self.show();
    }

    pub fn refreshed(&self, consumer: &str, version: hollow::Version, took: Duration) {
        let point = RefreshPoint {
            t_s: self.seconds(),
            consumer: consumer.to_owned(),
            version: version as u64,
            duration_ms: took.as_secs_f64() * 1000.0,
        };
        self.refreshes.lock().unwrap_or_else(|e| e.into_inner()).push(point);
    }

    pub fn versions(&self) -> Vec<VersionPoint> {
        self.versions.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn show(&self) {
        let version = Some(self.version.load(Ordering::Relaxed) as hollow::Version).filter(|v| *v != 0);
        self.progress.update(self.events_done(), self.cycles.load(Ordering::Relaxed), version, self.latency.p99_us());
    }

    /// The common part of the report: schedule, cycles, versions, refreshes and read latency, with
    /// the checks every example makes (every event played; versions only go up) and the p99 target.
    pub fn report(&self) -> Report {
        self.progress.finish();
        let mut report = Report {
            example: self.name.clone(),
            events: self.schedule.len(),
            duration_s: self.seconds(),
            cycles: self.cycles.load(Ordering::Relaxed),
            versions: self.versions(),
            refreshes: self.refreshes.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            ..Report::default()
        };
        report.event_timeline = timeline(&self.schedule, 50);
        let total = self.latency.total();
        report.latency.overall = Percentiles::of(&total);
        report.latency.over_time = self.latency.over_time();
        if !total.is_empty() {
            let top = total.value_at_quantile(0.999).max(1);
            let step = (top / 40).max(1);
            report.latency.histogram = total
                .iter_linear(step)
                .map(|v| (v.value_iterated_to() as f64 / 1000.0, v.count_since_last_iteration()))
                .collect();
            report.latency.histogram.truncate(41);
            report.target_at_most("read p99 (µs)", TARGET_P99_US, report.latency.overall.p99_us);
        }
        let played = self.events_done();
        report.check("every event played", played == report.events, format!("{played} of {} events", report.events));
        let increasing = report.versions.windows(2).all(|w| w[0].version < w[1].version);
        report.check(
            "versions only go up",
            increasing && !report.versions.is_empty(),
            format!("{} versions announced", report.versions.len()),
        );
        report
    }
}

/// Events per bucket, `buckets` buckets over the schedule's window.
fn timeline(schedule: &Schedule, buckets: usize) -> Vec<Point> {
    let width = schedule.window.as_secs_f64().max(1e-3) / buckets as f64;
    let mut counts = vec![0usize; buckets];
    for o in &schedule.offsets {
        counts[((o.as_secs_f64() / width) as usize).min(buckets - 1)] += 1;
    }
    counts.into_iter().enumerate().map(|(i, n)| Point { t_s: i as f64 * width, value: n as f64 }).collect()
}

/// The store of `--store`, or a new temp directory (kept while the returned guard lives).
pub fn open_store(common: &Common) -> Result<(Arc<dyn BlobStore>, String, Option<tempfile::TempDir>)> {
    let options = hollow::StoreOptions { poll_interval: Duration::from_millis(5), create: true, ..Default::default() };
    match &common.store {
        Some(url) => Ok((hollow::store::open(url, &options)?, url.clone(), None)),
        None => {
            let dir = tempfile::Builder::new().prefix("hollow-example-").tempdir()?;
            let url = dir.path().to_string_lossy().into_owned();
            Ok((hollow::store::open(&url, &options)?, url, Some(dir)))
        }
    }
}

/// The `main` of every example: run the scenario, print the summary, write the report when asked,
/// and exit 1 when a check failed (2 when the run itself failed).
pub fn main_with(report_dir: Option<PathBuf>, scenario: impl FnOnce() -> Result<Report>) -> ExitCode {
    let report = match scenario() {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", report.text());
    if let Some(dir) = report_dir {
        match report.write(&dir) {
            Ok(()) => println!("report: {}", dir.join("report.html").display()),
            Err(e) => {
                eprintln!("error: writing the report to {}: {e}", dir.display());
                return ExitCode::from(2);
            }
        }
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Resident set size of this process, in bytes (Linux; 0 elsewhere).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .map_or(0, |kib: u64| kib * 1024)
}

/// CPU time (user + system) this process used so far (Linux; zero elsewhere). Linux reports it in
/// clock ticks, 100 per second on every mainstream configuration.
pub fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return Duration::ZERO };
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return Duration::ZERO };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

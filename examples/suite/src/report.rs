//! What a run found, three ways: a text summary on the terminal, `report.json` (every figure, for
//! scripts and baselines) and `report.html` (the same with SVG charts inline, one file to open or
//! mail). A run fails (non-zero exit) when any of its checks failed; targets are only reported.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::latency::Percentiles;

/// A point of a time series: seconds since the run started, and a value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Point {
    pub t_s: f64,
    pub value: f64,
}

/// A version a producer announced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionPoint {
    pub t_s: f64,
    pub version: u64,
    pub records: usize,
}

/// A consumer refresh that moved it to a new version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshPoint {
    pub t_s: f64,
    pub consumer: String,
    pub version: u64,
    pub duration_ms: f64,
}

/// Something the run verified. A failed check fails the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

/// A goal the run measured itself against (the 5 µs p99, for one). Missing it does not fail the run:
/// on a loaded machine it measures the machine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    pub name: String,
    pub goal: f64,
    pub measured: f64,
    pub met: bool,
}

/// Read latency: overall percentiles, their histogram, and percentiles per window of time.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LatencyReport {
    pub overall: Percentiles,
    /// (upper bound in µs, reads) per histogram bucket.
    pub histogram: Vec<(f64, u64)>,
    pub over_time: Vec<(f64, Percentiles)>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub example: String,
    /// Events played (the schedule's length).
    pub events: usize,
    pub duration_s: f64,
    pub cycles: u64,
    /// Events per bucket of time, for the timeline chart.
    pub event_timeline: Vec<Point>,
    pub versions: Vec<VersionPoint>,
    pub refreshes: Vec<RefreshPoint>,
    pub latency: LatencyReport,
    pub checks: Vec<Check>,
    pub targets: Vec<Target>,
    /// Named figures (a baseline compares these). Names end in their unit.
    pub figures: BTreeMap<String, f64>,
    /// Lines of the text summary that are the example's own.
    pub notes: Vec<String>,
    /// Anything else the example records (per-cycle diffs, business metrics, sub-reports).
    pub details: BTreeMap<String, serde_json::Value>,
}

impl Report {
    pub fn check(&mut self, name: &str, passed: bool, detail: impl Into<String>) {
        self.checks.push(Check { name: name.to_owned(), passed, detail: detail.into() });
    }

    /// A goal where lower is better (latency): met when `measured <= goal`.
    pub fn target_at_most(&mut self, name: &str, goal: f64, measured: f64) {
        self.targets.push(Target { name: name.to_owned(), goal, measured, met: measured <= goal });
    }

    pub fn figure(&mut self, name: &str, value: f64) {
        self.figures.insert(name.to_owned(), value);
    }

    pub fn note(&mut self, line: impl Into<String>) {
        self.notes.push(line.into());
    }

    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The summary printed at the end of a run.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line(format!(
            "== {}: {} events in {:.1} s, {} cycles",
            self.example, self.events, self.duration_s, self.cycles
        ));
        if let (Some(first), Some(last)) = (self.versions.first(), self.versions.last()) {
            line(format!(
                "versions: {} announced, {} .. {} ({} records at the end)",
                self.versions.len(),
                first.version,
                last.version,
                last.records
            ));
        }
        let l = &self.latency.overall;
        if l.count > 0 {
            line(format!(
                "reads: {} timed, p50 {:.2} µs, p99 {:.2} µs, p99.9 {:.2} µs, max {:.1} µs",
                l.count, l.p50_us, l.p99_us, l.p999_us, l.max_us
            ));
        }
        if !self.refreshes.is_empty() {
            let mut d: Vec<f64> = self.refreshes.iter().map(|r| r.duration_ms).collect();
            d.sort_by(f64::total_cmp);
            line(format!("refreshes: {}, median {:.2} ms, max {:.2} ms", d.len(), d[d.len() / 2], d[d.len() - 1]));
        }
        for n in &self.notes {
            line(n.clone());
        }
        for t in &self.targets {
            let verdict = if t.met { "met" } else { "missed" };
            line(format!("target {}: {:.2} against {:.2}: {verdict}", t.name, t.measured, t.goal));
        }
        for c in &self.checks {
            line(format!("[{}] {}: {}", if c.passed { "ok" } else { "FAILED" }, c.name, c.detail));
        }
        out
    }

    /// Write `report.json` and `report.html` into `dir` (created if missing).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("report.json"), json)?;
        std::fs::write(dir.join("report.html"), crate::html::page(self))
    }

    pub fn read(path: &Path) -> Result<Report, Box<dyn std::error::Error + Send + Sync>> {
        Ok(serde_json::from_slice(&std::fs::read(path)?)?)
    }
}

//! Comprehensive: the scenarios of the other examples one after the other (tour, ecommerce, metrics,
//! benchmark with bursty traffic, stress with faults, performance), the events split between them,
//! and one combined report: every check of every scenario, prefixed with its name; versions and
//! latency over time laid end to end; and each scenario's own summary in the details.

use std::path::PathBuf;
use std::time::Duration;

use crate::args::Common;
use crate::latency::Percentiles;
use crate::run::Result;
use crate::{benchmark, ecommerce, metrics, performance, stress, tour, Report};

/// Every scenario in one run, one combined report.
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "comprehensive")]
pub struct Options {
    #[command(flatten)]
    pub common: Common,
    /// Movies in the performance scenario's catalog.
    #[arg(long, default_value_t = 100_000)]
    pub performance_records: usize,
    /// Run as the tour's subprocess consumer (started by the tour scenario itself).
    #[arg(long, hide = true)]
    pub follow_store: Option<String>,
    /// The executable the tour starts as its subprocess consumer (default: this program).
    #[arg(long, hide = true)]
    pub follower_exe: Option<PathBuf>,
}

const SCENARIOS: usize = 6;

pub fn run(options: &Options) -> Result<Report> {
    // Each scenario gets its share of the events and of the window, and no report of its own.
    let share = |i: usize| Common {
        events: options.common.events / SCENARIOS + usize::from(i < options.common.events % SCENARIOS),
        duration: options.common.duration / SCENARIOS as u32,
        report: None,
        store: options.common.store.as_ref().map(|s| format!("{}/scenario-{i}", s.trim_end_matches('/'))),
        ..options.common.clone()
    };
    let parse = |name: &str, extra: &[&str]| -> Vec<String> {
        std::iter::once(name).chain(extra.iter().copied()).map(str::to_owned).collect()
    };
    use clap::Parser;
    let mut reports = Vec::new();
    let tour = tour::Options {
        common: share(0),
        follower_exe: options.follower_exe.clone(),
        ..tour::Options::parse_from(parse("tour", &[]))
    };
    reports.push(tour::run(&tour)?);
    let shop = ecommerce::Options { common: share(1), ..ecommerce::Options::parse_from(parse("ecommerce", &[])) };
    reports.push(ecommerce::run(&shop)?);
    let metrics = metrics::Options {
        common: share(2),
        ..metrics::Options::parse_from(parse("metrics", &["--listen", "127.0.0.1:0"]))
    };
    reports.push(metrics::run(&metrics)?);
    let bench = benchmark::Options {
        common: share(3),
        ..benchmark::Options::parse_from(parse("benchmark", &["--shape", "bursty"]))
    };
    reports.push(benchmark::run(&bench)?);
    let stress =
        stress::Options { common: share(4), ..stress::Options::parse_from(parse("stress", &["--fault-rate", "0.2"])) };
    reports.push(stress::run(&stress)?);
    let records = options.performance_records.to_string();
    let perf = performance::Options {
        common: share(5),
        throughput_for: Duration::from_millis(300),
        ..performance::Options::parse_from(parse("performance", &["--records", &records, "--reads", "50000"]))
    };
    reports.push(performance::run(&perf)?);
    Ok(combine(reports))
}

/// One report from several run one after the other.
pub fn combine(reports: Vec<Report>) -> Report {
    let mut all = Report { example: "comprehensive".into(), ..Report::default() };
    let mut offset = 0.0;
    let mut overall = Percentiles::default();
    for r in &reports {
        let name = &r.example;
        all.events += r.events;
        all.cycles += r.cycles;
        let shift = |t: f64| t + offset;
        all.event_timeline
            .extend(r.event_timeline.iter().map(|p| crate::report::Point { t_s: shift(p.t_s), value: p.value }));
        all.versions.extend(r.versions.iter().map(|v| crate::report::VersionPoint { t_s: shift(v.t_s), ..v.clone() }));
        all.refreshes.extend(r.refreshes.iter().map(|x| crate::report::RefreshPoint {
            t_s: shift(x.t_s),
            consumer: format!("{name}: {}", x.consumer),
            ..x.clone()
        }));
        all.latency.over_time.extend(r.latency.over_time.iter().map(|(t, p)| (shift(*t), p.clone())));
        // Percentiles of different runs do not merge: the combined figure is the highest (an upper bound).
        let l = &r.latency.overall;
        overall.count += l.count;
        overall.p50_us = overall.p50_us.max(l.p50_us);
        overall.p90_us = overall.p90_us.max(l.p90_us);
        overall.p99_us = overall.p99_us.max(l.p99_us);
        overall.p999_us = overall.p999_us.max(l.p999_us);
        overall.max_us = overall.max_us.max(l.max_us);
        for c in &r.checks {
            all.check(&format!("{name}: {}", c.name), c.passed, c.detail.clone());
        }
        for t in &r.targets {
            all.targets.push(crate::report::Target { name: format!("{name}: {}", t.name), ..t.clone() });
        }
        for (k, v) in &r.figures {
            all.figures.insert(format!("{name}.{k}"), *v);
        }
        all.note(format!(
            "{name}: {} events, {} versions, read p99 {:.2} µs, {}/{} checks passed",
            r.events,
            r.versions.len(),
            l.p99_us,
            r.checks.iter().filter(|c| c.passed).count(),
            r.checks.len()
        ));
        all.details.insert(name.clone(), serde_json::json!({ "summary": r.text(), "details": r.details }));
        offset += r.duration_s;
    }
    all.duration_s = offset;
    all.latency.histogram = merge_histograms(reports.iter().map(|r| r.latency.histogram.as_slice()));
    all.targets.insert(
        0,
        crate::report::Target {
            name: "read p99 (µs), the highest of the scenarios".into(),
            goal: crate::latency::TARGET_P99_US,
            measured: overall.p99_us,
            met: overall.p99_us <= crate::latency::TARGET_P99_US,
        },
    );
    all.latency.overall = overall;
    all
}

/// Histograms of different bucket widths on one set of 40 linear buckets: each count moves to the
/// first bucket whose upper bound is at or above its own (placement coarsened, counts exact).
fn merge_histograms<'a>(histograms: impl Iterator<Item = &'a [(f64, u64)]> + Clone) -> Vec<(f64, u64)> {
    let top = histograms.clone().flatten().map(|b| b.0).fold(0.0, f64::max);
    if top <= 0.0 {
        return Vec::new();
    }
    let width = top / 40.0;
    let mut merged: Vec<(f64, u64)> = (1..=40).map(|i| (width * i as f64, 0)).collect();
    for &(upper, count) in histograms.flatten() {
        let i = ((upper / width).ceil() as usize).clamp(1, 40) - 1;
        merged[i].1 += count;
    }
    merged
}

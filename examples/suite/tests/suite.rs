//! Every example, run in-process on a compressed schedule, and its report checked: the figures the
//! example promises are in `report.json`, and `report.html` holds its charts. The tour also starts a
//! real subprocess consumer (the `follower` binary).

use std::path::Path;

use clap::Parser;
use hollow_examples::{benchmark, comprehensive, ecommerce, metrics, performance, stress, tour, Report};

fn args(example: &str, dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = [example, "--report"].iter().map(|s| s.to_string()).collect();
    all.push(dir.to_string_lossy().into_owned());
    all.extend(extra.iter().map(|s| s.to_string()));
    all
}

/// Run a scenario, write its report, and read `report.json` back.
fn run_and_read(dir: &Path, scenario: impl FnOnce() -> hollow_examples::Result<Report>) -> (Report, String) {
    let report = scenario().unwrap_or_else(|e| panic!("the scenario fails: {e}"));
    report.write(dir).expect("the report is written");
    let json = Report::read(&dir.join("report.json")).expect("report.json parses");
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html exists");
    (json, html)
}

/// What every report promises: N events, versions going up, passed checks, latency percentiles, charts.
fn assert_common(report: &Report, html: &str, example: &str, events: usize) {
    assert_eq!(report.example, example);
    assert_eq!(report.events, events);
    assert_eq!(report.event_timeline.iter().map(|p| p.value).sum::<f64>() as usize, events);
    assert!(report.versions.len() >= 2, "{} versions", report.versions.len());
    assert!(report.versions.windows(2).all(|w| w[0].t_s <= w[1].t_s));
    // Each store mints its own versions: the combined report's go up within each scenario (its checks).
    if example != "comprehensive" {
        assert!(report.versions.windows(2).all(|w| w[0].version < w[1].version), "{:?}", report.versions);
    }
    let failed: Vec<_> = report.checks.iter().filter(|c| !c.passed).collect();
    assert!(failed.is_empty(), "failed checks: {failed:?}");
    let l = &report.latency.overall;
    assert!(l.count > 0 && l.p50_us > 0.0 && l.p50_us <= l.p99_us && l.p99_us <= l.max_us, "{l:?}");
    assert!(!report.latency.histogram.is_empty() && !report.latency.over_time.is_empty());
    // The histogram runs up to about the 99.9th percentile.
    let charted = report.latency.histogram.iter().map(|b| b.1).sum::<u64>();
    assert!(charted <= l.count && charted as f64 >= l.count as f64 * 0.99, "{charted} of {} reads charted", l.count);
    assert!(report.targets.iter().any(|t| t.name.starts_with("read p99") && t.goal == 5.0));
    // Five charts, each an inline SVG under its caption, and the summary.
    assert_eq!(html.matches("<svg").count(), 5, "charts in the page");
    for caption in [
        "Events per second",
        "Read latency histogram",
        "percentiles over time",
        "Refresh durations",
        "Announced versions",
    ] {
        assert!(html.contains(caption), "no {caption:?} chart");
    }
    assert!(html.contains(&format!("{example}: {events} events")));
}

#[test]
fn tour_reports_both_consumers_agreeing_at_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let follower = env!("CARGO_BIN_EXE_follower");
    let argv = args(
        "tour",
        dir.path(),
        &["--events", "500", "--duration", "2s", "--catalog", "300", "--follower-exe", follower],
    );
    let options = tour::Options::try_parse_from(argv).unwrap();
    let (report, html) = run_and_read(dir.path(), || tour::run(&options));
    assert_common(&report, &html, "tour", 500);
    for check in ["in-process consumer saw exactly", "subprocess consumer saw exactly", "each cycle's diff matches"] {
        assert!(report.checks.iter().any(|c| c.name.starts_with(check) && c.passed), "no passed check {check:?}");
    }
    // Both consumers refreshed; the diffs add up to the catalog's growth.
    assert!(report.refreshes.iter().any(|r| r.consumer == "subprocess"));
    assert!(report.refreshes.iter().any(|r| r.consumer == "in-process"));
    let diffs = report.details["diffs"].as_array().unwrap();
    let net: i64 = diffs.iter().map(|d| d["added"].as_i64().unwrap() - d["removed"].as_i64().unwrap()).sum();
    let records = |v: &hollow_examples::report::VersionPoint| v.records as i64;
    assert_eq!(net, records(report.versions.last().unwrap()) - records(&report.versions[0]));
    assert!(report.figures["deltas_applied"] >= 1.0);
}

#[test]
fn stress_with_faults_ends_consistent_and_counts_the_faults() {
    let dir = tempfile::tempdir().unwrap();
    let argv = args(
        "stress",
        dir.path(),
        &["--events", "600", "--duration", "2s", "--consumers", "3", "--fault-rate", "0.3", "--catalog", "200"],
    );
    let options = stress::Options::try_parse_from(argv).unwrap();
    let (report, html) = run_and_read(dir.path(), || stress::run(&options));
    assert_common(&report, &html, "stress", 600);
    assert_eq!(report.figures["inconsistencies"], 0.0);
    assert!(report.figures["faults_injected"] > 0.0, "{:?}", report.details["faults"]);
    let faults = &report.details["faults"];
    let sum: u64 = ["failed_retrievals", "delayed_retrievals", "corrupted_blobs", "failed_publishes"]
        .iter()
        .map(|k| faults[k].as_u64().unwrap())
        .sum();
    assert_eq!(sum as f64, report.figures["faults_injected"]);
    for check in ["the restarted producer resumed", "the rival producer was refused", "every consumer matched"] {
        assert!(report.checks.iter().any(|c| c.name.starts_with(check) && c.passed), "no passed check {check:?}");
    }
}

fn performance_options(dir: &Path, extra: &[&str]) -> performance::Options {
    let mut base = vec!["--events", "200", "--duration", "1s", "--records", "20000", "--reads", "4000"];
    base.extend(["--threads", "1,2", "--throughput-for", "100ms"]);
    base.extend(extra);
    performance::Options::try_parse_from(args("performance", dir, &base)).unwrap()
}

#[test]
fn performance_fails_against_a_clearly_better_baseline() {
    let first = tempfile::tempdir().unwrap();
    let options = performance_options(first.path(), &[]);
    let (report, html) = run_and_read(first.path(), || performance::run(&options));
    assert_common(&report, &html, "performance", 200);
    assert_eq!(report.figures["records"], 20_000.0);
    assert!(report.figures["heap_bytes"] > 0.0 && report.figures["rss_loaded_bytes"] > 0.0);
    assert!(
        report.figures["throughput_1_thread_ops_per_s"] > 0.0 && report.figures["throughput_2_threads_ops_per_s"] > 0.0
    );
    assert!(report.details["heap_by_type"]["Movie"].as_u64().unwrap() > 0);

    // A baseline ten times better on every compared figure.
    let mut better = report.clone();
    for (name, lower_is_better) in performance::COMPARED {
        let value = better.figures.get_mut(name).unwrap();
        *value = if lower_is_better { *value / 10.0 } else { *value * 10.0 };
    }
    let baseline_dir = tempfile::tempdir().unwrap();
    better.write(baseline_dir.path()).unwrap();
    let second = tempfile::tempdir().unwrap();
    let baseline = baseline_dir.path().join("report.json");
    let options = performance_options(second.path(), &["--baseline", baseline.to_str().unwrap()]);
    let code = hollow_examples::main_with(Some(second.path().to_owned()), || performance::run(&options));
    assert_eq!(format!("{code:?}"), format!("{:?}", std::process::ExitCode::from(1)));
    let report = Report::read(&second.path().join("report.json")).unwrap();
    let regressed: Vec<_> = report.checks.iter().filter(|c| !c.passed).map(|c| c.detail.clone()).collect();
    assert!(regressed.iter().any(|d| d.starts_with("single_get_p99_us:")), "{regressed:?}");
    assert!(regressed.iter().any(|d| d.starts_with("throughput_1_thread_ops_per_s:")), "{regressed:?}");

    // A run compared with itself, with no tolerance at all, passes every comparison.
    let mut same = report.clone();
    same.checks.clear();
    performance::compare_with_baseline(&mut same, &report, 0.0);
    assert_eq!(same.checks.len(), performance::COMPARED.len());
    assert!(same.passed(), "{:?}", same.checks);
}

#[test]
fn ecommerce_books_match_the_storefront() {
    let dir = tempfile::tempdir().unwrap();
    let argv =
        args("ecommerce", dir.path(), &["--events", "400", "--duration", "2s", "--users", "50", "--products", "80"]);
    let options = ecommerce::Options::try_parse_from(argv).unwrap();
    let (report, html) = run_and_read(dir.path(), || ecommerce::run(&options));
    assert_common(&report, &html, "ecommerce", 400);
    // 400 session steps on 50 users: some carts were bought.
    assert!(report.figures["orders"] > 0.0 && report.figures["revenue_cents"] > 0.0);
    let by_category = report.details["revenue_by_category_cents"].as_object().unwrap();
    let sum: f64 = by_category.values().map(|v| v.as_f64().unwrap()).sum();
    assert_eq!(sum, report.figures["revenue_cents"]);
    let conversion = report.figures["conversion"];
    assert!(conversion > 0.0 && conversion <= 1.0, "conversion {conversion}");
    assert!(report.checks.iter().any(|c| c.name.starts_with("orders and revenue on the storefront") && c.passed));
}

#[test]
fn metrics_series_follow_every_version_and_prometheus_serves_them() {
    let dir = tempfile::tempdir().unwrap();
    let argv = args(
        "metrics",
        dir.path(),
        &["--events", "400", "--duration", "2s", "--catalog", "200", "--listen", "127.0.0.1:0"],
    );
    let options = metrics::Options::try_parse_from(argv).unwrap();
    let (report, html) = run_and_read(dir.path(), || metrics::run(&options));
    assert_common(&report, &html, "metrics", 400);
    let series = report.details["series"].as_array().unwrap();
    assert_eq!(series.len() as f64, report.figures["samples"]);
    // One sample per version the consumer reached, in order, each adding up by genre.
    assert!(series.windows(2).all(|w| w[0]["version"].as_u64() < w[1]["version"].as_u64()));
    assert_eq!(series.last().unwrap()["version"].as_u64(), Some(report.versions.last().unwrap().version));
    for sample in series {
        let by_genre: u64 = sample["by_genre"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert_eq!(Some(by_genre), sample["movies"].as_u64());
    }
    assert!(report.checks.iter().any(|c| c.name.starts_with("/metrics serves") && c.passed));
}

#[test]
fn benchmark_runs_independent_datasets_on_a_bursty_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let argv = args(
        "benchmark",
        dir.path(),
        &["--events", "450", "--duration", "2s", "--shape", "bursty", "--catalog", "200"],
    );
    let options = benchmark::Options::try_parse_from(argv).unwrap();
    let (report, html) = run_and_read(dir.path(), || benchmark::run(&options));
    assert_common(&report, &html, "benchmark", 450);
    let datasets = report.details["datasets"].as_array().unwrap();
    assert_eq!(datasets.len(), 3);
    // Events went to the datasets in turn, and each dataset published versions of its own.
    assert_eq!(datasets.iter().map(|d| d["events"].as_u64().unwrap()).collect::<Vec<_>>(), [150, 150, 150]);
    assert!(datasets.iter().all(|d| d["versions"].as_u64().unwrap() >= 1));
    assert!(report.figures["heap_per_consumer_bytes"] > 0.0 && report.figures["events_per_s"] > 0.0);
    // Bursty: five bursts, so most of the timeline's buckets are (nearly) empty.
    let empty = report.event_timeline.iter().filter(|p| p.value == 0.0).count();
    assert!(empty > report.event_timeline.len() / 2, "{empty} empty buckets of {}", report.event_timeline.len());
}

#[test]
fn comprehensive_combines_every_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let follower = env!("CARGO_BIN_EXE_follower");
    let argv = args(
        "comprehensive",
        dir.path(),
        &["--events", "600", "--duration", "3s", "--performance-records", "5000", "--follower-exe", follower],
    );
    let options = comprehensive::Options::try_parse_from(argv).unwrap();
    let (report, html) = run_and_read(dir.path(), || comprehensive::run(&options));
    assert_common(&report, &html, "comprehensive", 600);
    for scenario in ["tour", "ecommerce", "metrics", "benchmark", "stress", "performance"] {
        for check in ["every event played", "versions only go up"] {
            let name = format!("{scenario}: {check}");
            assert!(report.checks.iter().any(|c| c.name == name && c.passed), "{name}");
        }
        assert!(report.details.contains_key(scenario), "{scenario}");
    }
    assert_eq!(report.figures["stress.inconsistencies"], 0.0);
}

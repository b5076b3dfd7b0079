//! The Prometheus example (`examples/prometheus.rs`) serves hollow's metrics over HTTP: run it, scrape
//! its endpoint over loopback, parse the exposition text, and check the figures against the sequence
//! the example runs.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The example's binary, built with the profile of the running tests.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let target_dir = profile_dir.parent().unwrap();
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("release") => "release",
        _ => "test",
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // The whole workspace's libraries and examples with every feature: the same feature resolution as
    // `cargo test --workspace --all-features` (CI's), which has built all of it already, so nothing is
    // recompiled there. `-p hollow --example prometheus` alone resolves features differently and rebuilt
    // twenty crates (about two minutes of CI).
    let status = Command::new(cargo)
        .args(["build", "--workspace", "--all-features", "--lib", "--examples", "--profile", profile, "--target-dir"])
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success());
    profile_dir.join("examples").join("prometheus")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn scrape(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response.split_once("\r\n\r\n").unwrap().1.to_owned()
}

/// One sample of the exposition text: metric name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parse Prometheus' text format (the subset exporters write: no escapes inside label values here).
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("bad labels: {line}"));
                let labels = body
                    .split("\",")
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once("=\"").unwrap_or_else(|| panic!("bad label {p}: {line}"));
                        (k.to_owned(), v.trim_end_matches('"').to_owned())
                    })
                    .collect();
                (name.to_owned(), labels)
            }
            None => (series.to_owned(), BTreeMap::new()),
        };
        samples.push((name, labels, value));
    }
    samples
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = samples
        .iter()
        .filter(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
        .map(|(_, _, v)| *v)
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0]
}

#[test]
fn the_example_endpoint_serves_the_documented_metrics() {
    let binary = example_binary();
    let port = free_port();
    let mut child = Command::new(binary)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--cycles", "3", "--interval-ms", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let version: f64 = loop {
        let line = lines.next().expect("the example ended before it was ready").unwrap();
        if let Some(v) = line.strip_prefix("ready: version ") {
            break v.parse().unwrap();
        }
    };
    let text = scrape(port);
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());

    assert!(text.contains("# HELP hollow_consumer_refreshes_total"), "descriptions are served");
    let samples = parse(&text);
    let movies = ("dataset", "movies");
    assert_eq!(value(&samples, "hollow_consumer_refreshes_total", &[movies, ("result", "succeeded")]), 3.0);
    assert_eq!(value(&samples, "hollow_consumer_refreshes_total", &[movies, ("result", "failed")]), 1.0);
    assert_eq!(value(&samples, "hollow_consumer_version", &[movies]), version);
    assert_eq!(value(&samples, "hollow_consumer_versions_behind", &[movies]), 0.0);
    assert_eq!(value(&samples, "hollow_consumer_records", &[movies, ("type", "Movie")]), 30.0);
    assert_eq!(value(&samples, "hollow_consumer_blobs_applied_total", &[movies, ("kind", "snapshot")]), 1.0);
    assert_eq!(value(&samples, "hollow_consumer_blobs_applied_total", &[movies, ("kind", "delta")]), 2.0);
    assert_eq!(
        value(&samples, "hollow_consumer_refresh_duration_seconds_count", &[movies, ("result", "succeeded")]),
        3.0
    );
    assert_eq!(value(&samples, "hollow_producer_cycles_total", &[movies, ("result", "succeeded")]), 3.0);
    assert_eq!(value(&samples, "hollow_producer_cycles_total", &[movies, ("result", "no_change")]), 1.0);
    assert_eq!(value(&samples, "hollow_producer_announced_version", &[movies]), version);
    assert_eq!(value(&samples, "hollow_producer_records", &[movies, ("type", "Movie")]), 30.0);
    assert_eq!(value(&samples, "hollow_producer_phase_duration_seconds_count", &[movies, ("phase", "announce")]), 3.0);
    assert!(value(&samples, "hollow_producer_published_bytes_total", &[movies, ("kind", "snapshot")]) > 0.0);
}

//! The `hollow` command-line tool, run as a user would.

mod common;

use std::process::Command;

use common::{read_expected, scenario_dir, temp_dir, versions, SCENARIOS};

fn hollow(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hollow")).args(args).output().expect("run hollow");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn without_max_ordinals(text: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(text).expect("dump is JSON");
    for t in v["types"].as_array_mut().expect("types") {
        t.as_object_mut().unwrap().remove("maxOrdinal");
    }
    v
}

#[test]
fn dump_of_every_vector_version_equals_the_expected_json() {
    for scenario in SCENARIOS {
        let dir = scenario_dir(scenario).join("blobs");
        for v in versions(scenario) {
            let (ok, out, err) = hollow(&["dump", dir.to_str().unwrap(), "--version", &v.to_string()]);
            assert!(ok, "{scenario} {v}: {err}");
            assert!(out == read_expected(scenario, v), "{scenario} {v}: dump differs from the expected JSON");
        }
    }
}

#[test]
fn dump_walks_deltas_forward_and_reverse_deltas_back() {
    // A directory with the first snapshot only, so every later version is reached by deltas.
    let scenario = "collections";
    let vs = versions(scenario);
    let dir = temp_dir("cli-walk");
    for entry in std::fs::read_dir(scenario_dir(scenario).join("blobs")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if !name.starts_with("snapshot-") || name == format!("snapshot-{}", vs[0]) {
            std::fs::copy(entry.path(), dir.join(&name)).unwrap();
        }
    }
    let d = dir.to_str().unwrap();
    let last = vs[vs.len() - 1];
    let (ok, out, err) = hollow(&["dump", d]);
    assert!(ok, "{err}");
    assert_eq!(out, read_expected(scenario, last), "announced version reached by deltas");
    let (ok, out, err) = hollow(&["dump", d, "--from", &last.to_string(), "--version", &vs[0].to_string()]);
    assert!(ok, "{err}");
    assert_eq!(without_max_ordinals(&out), without_max_ordinals(&read_expected(scenario, vs[0])));
    let (ok, out, _) = hollow(&["dump", d, "--version", &vs[1].to_string(), "--type", "Show"]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> =
        json["types"].as_array().unwrap().iter().map(|t| t["schema"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Show"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn inspect_lists_versions_and_types() {
    let dir = scenario_dir("sharded").join("blobs");
    let (ok, out, err) = hollow(&["inspect", dir.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("announced version: 20250101000000002"), "{out}");
    assert!(out.contains("delta from 20250101000000001 (50924 bytes)"), "{out}");
    let item = out.lines().find(|l| l.trim_start().starts_with("Item ")).expect("Item row");
    let cols: Vec<&str> = item.split_whitespace().collect();
    assert_eq!(&cols[..4], ["Item", "OBJECT", "6200", "32"], "{item}");
}

#[test]
fn errors_are_reported_with_a_failing_exit_status() {
    let (ok, _, err) = hollow(&["dump", "/nonexistent/hollow"]);
    assert!(!ok);
    assert!(err.contains("not found"), "{err}");
    let dir = scenario_dir("strings").join("blobs");
    let (ok, _, err) = hollow(&["dump", dir.to_str().unwrap(), "--version", "42"]);
    assert!(!ok);
    assert!(err.contains("version 42"), "{err}");
    let (ok, _, err) = hollow(&["dump", dir.to_str().unwrap(), "--type", "Nope"]);
    assert!(!ok && err.contains("type Nope"), "{err}");
}

/// The records of every type of `scenario`'s version `v`, in the order Java's producer added them
/// (types dependencies first, ordinals ascending), as `hollow produce` input lines.
fn produce_input(scenario: &str, v: i64) -> (String, String) {
    let blob = common::read_blob(scenario, &format!("snapshot-{v}"));
    let header = hollow::blob::BlobHeader::read(&mut hollow::encoding::ByteReader::new(&blob)).unwrap();
    let engine = hollow::read::ReadStateEngine::from_snapshot(&blob).unwrap();
    let schema_text: Vec<String> = header.schemas.iter().map(|s| s.to_string()).collect();
    let mut lines = String::new();
    for schema in &header.schemas {
        let state = engine.type_state(schema.name()).unwrap();
        for ordinal in state.populated().iter() {
            let value = hollow::mapper::read_generic(&engine, schema.name(), ordinal).unwrap().to_json();
            lines.push_str(&serde_json::json!({"type": schema.name(), "value": value}).to_string());
            lines.push('\n');
        }
    }
    (schema_text.join("\n"), lines)
}

#[test]
fn produce_then_dump_round_trips_the_collections_data() {
    let scenario = "collections";
    let vs = versions(scenario);
    let work = temp_dir("cli-produce");
    let store = work.join("store");
    let d = store.to_str().unwrap();
    for (i, &v) in vs.iter().enumerate() {
        let (schema, input) = produce_input(scenario, v);
        std::fs::write(work.join("schema.txt"), schema).unwrap();
        std::fs::write(work.join("records.jsonl"), input).unwrap();
        let schema_arg = work.join("schema.txt");
        let input_arg = work.join("records.jsonl");
        let (ok, out, err) =
            hollow(&["produce", d, "--schema", schema_arg.to_str().unwrap(), "--input", input_arg.to_str().unwrap()]);
        assert!(ok, "{err}");
        assert!(out.starts_with("announced version"), "{out}");
        let (ok, dumped, err) = hollow(&["dump", d]);
        assert!(ok, "{err}");
        let got: serde_json::Value = serde_json::from_str(&dumped).unwrap();
        let want: serde_json::Value = serde_json::from_str(&read_expected(scenario, v)).unwrap();
        if i < 2 {
            // Java's v1 and v2 ordinals are reproduced exactly, so the whole data section matches.
            assert_eq!(got["types"], want["types"], "version {v}");
        } else {
            // After a restore, Java refills holes largest first, so only the records' content compares.
            let counts = |j: &serde_json::Value| -> Vec<(String, u64)> {
                j["types"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| (t["schema"]["name"].as_str().unwrap().to_owned(), t["populatedCount"].as_u64().unwrap()))
                    .collect()
            };
            assert_eq!(counts(&got), counts(&want), "version {v}");
        }
    }
    // Three runs made one chain: snapshots for each, and deltas between them.
    let names: Vec<String> =
        std::fs::read_dir(&store).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names.iter().filter(|n| n.starts_with("delta-")).count(), 2, "{names:?}");
    assert_eq!(names.iter().filter(|n| n.starts_with("reversedelta-")).count(), 2, "{names:?}");

    // Bad input: a line that is not JSON, and a record that does not fit its schema.
    std::fs::write(work.join("bad.jsonl"), "{\"type\":\"Show\",\"value\":{\"id\":\"x\"}}\n").unwrap();
    let bad = work.join("bad.jsonl");
    let schema_arg = work.join("schema.txt");
    let (ok, _, err) =
        hollow(&["produce", d, "--schema", schema_arg.to_str().unwrap(), "--input", bad.to_str().unwrap()]);
    assert!(!ok && err.contains("line 1"), "{err}");
    std::fs::write(&bad, "not json\n").unwrap();
    let (ok, _, err) =
        hollow(&["produce", d, "--schema", schema_arg.to_str().unwrap(), "--input", bad.to_str().unwrap()]);
    assert!(!ok && err.contains(":1: not JSON"), "{err}");
    std::fs::remove_dir_all(&work).unwrap();
}

/// Produce `values` as `String` records into the store directory `d` with the CLI.
fn produce_strings(work: &std::path::Path, d: &str, values: &[&str]) {
    std::fs::write(work.join("schema.txt"), "String { string value; }").unwrap();
    let lines: String = values.iter().map(|v| format!("{{\"type\":\"String\",\"value\":\"{v}\"}}\n")).collect();
    std::fs::write(work.join("strings.jsonl"), lines).unwrap();
    let schema = work.join("schema.txt");
    let input = work.join("strings.jsonl");
    let (ok, _, err) = hollow(&[
        "produce",
        d,
        "--schema",
        schema.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--max-removed-share",
        "1",
    ]);
    assert!(ok, "{err}");
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn watch_prints_a_line_per_refresh_and_serves_metrics() {
    use std::io::BufRead;
    let work = temp_dir("cli-watch");
    let store = work.join("store");
    let d = store.to_str().unwrap().to_owned();
    produce_strings(&work, &d, &["a", "b", "c"]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hollow"))
        .args(["watch", &d, "--count", "2", "--interval-ms", "50", "--metrics-listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_refresh = || loop {
        let line = lines.next().expect("watch ended early").unwrap();
        if line.starts_with("version ") {
            return line;
        }
    };
    let first = next_refresh();
    assert!(first.contains("plan snapshot") && first.contains("String=3"), "{first}");
    let v1: i64 = first.split_whitespace().nth(1).unwrap().parse().unwrap();

    let metrics = http_get(port, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    // Versions are gauges, f64 in the exposition: a timestamp version may be rounded by a few units.
    let gauge_line = metrics.lines().find(|l| l.starts_with("hollow_consumer_version{dataset=\"default\"} ")).unwrap();
    let shown: f64 = gauge_line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((shown - v1 as f64).abs() <= 8.0, "{gauge_line} vs {v1}");
    assert!(metrics.contains("hollow_consumer_records{dataset=\"default\",type=\"String\"} 3"), "{metrics}");
    assert!(http_get(port, "/other").starts_with("HTTP/1.1 404"));

    produce_strings(&work, &d, &["a", "b", "c", "d"]);
    let second = next_refresh();
    assert!(second.contains("plan 1 delta") && second.contains("String=4"), "{second}");
    let v2: i64 = second.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(v2 > v1);
    assert!(child.wait().unwrap().success(), "watch stops after --count refreshes");
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn log_level_prints_records_on_standard_error() {
    let work = temp_dir("cli-log-level");
    let store = work.join("store");
    let d = store.to_str().unwrap().to_owned();
    produce_strings(&work, &d, &["a"]);
    let (ok, _, err) = hollow(&["inspect", &d, "--log-level", "info"]);
    assert!(ok, "{err}");
    assert!(err.contains("hollow::consumer") && err.contains("refreshed to version"), "{err}");
    let (ok, _, err) = hollow(&["inspect", &d]);
    assert!(ok && err.is_empty(), "nothing below warnings by default: {err}");
    let (ok, _, err) = hollow(&["inspect", &d, "--log-level", "loud"]);
    assert!(!ok && err.contains("--log-level"), "{err}");
    std::fs::remove_dir_all(&work).unwrap();
}

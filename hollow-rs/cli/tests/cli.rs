//! The `hollow` command-line tool, run as a user would.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::process::Command;

use common::{read_expected, scenario_dir, temp_dir, versions, SCENARIOS};
use support::{announced, hollow, hollow_with_input, produce_records, string_records};

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
    produce_records(&work, &d, "String { string value; }", &string_records(&["a", "b", "c"]));
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

    produce_records(&work, &d, "String { string value; }", &string_records(&["a", "b", "c", "d"]));
    let second = next_refresh();
    assert!(second.contains("plan 1 delta") && second.contains("String=4"), "{second}");
    let v2: i64 = second.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(v2 > v1);
    assert!(child.wait().unwrap().success(), "watch stops after --count refreshes");
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn watch_maps_snapshots_when_asked_and_reads_the_same_records() {
    let work = temp_dir("cli-watch-mapping");
    let store = work.join("store");
    let d = store.to_str().unwrap().to_owned();
    produce_records(&work, &d, "String { string value; }", &string_records(&["a", "b", "c"]));
    let refresh_line = |mode: &str| {
        let (ok, out, err) = hollow(&["watch", &d, "--count", "1", "--interval-ms", "50", "--memory-mapping", mode]);
        assert!(ok, "{err}");
        out.lines().find(|l| l.starts_with("version ")).unwrap_or_else(|| panic!("no refresh line: {out}")).to_owned()
    };
    let shared = refresh_line("shared");
    let copied = refresh_line("copy");
    // `version V  plan snapshot  bytes B  T ms  String=3[  mapped shards N]`: the same version, plan, bytes
    // and records either way; only the shared state reads its shard from the mapped file.
    let fields = |line: &str| {
        let words: Vec<&str> = line.split_whitespace().collect();
        (words[1].to_owned(), words[3].to_owned(), words[5].to_owned(), words[8].to_owned())
    };
    assert_eq!(fields(&shared), fields(&copied));
    assert!(shared.contains("String=3"), "{shared}");
    let mapped: usize = shared.rsplit_once("mapped shards ").map(|(_, n)| n.trim().parse().unwrap()).unwrap_or(0);
    assert!(mapped > 0, "the shared consumer maps its snapshot: {shared}");
    assert!(!copied.contains("mapped"), "{copied}");
    let (ok, _, err) = hollow(&["watch", &d, "--count", "1", "--memory-mapping", "mmap"]);
    assert!(!ok && err.contains("--memory-mapping") && err.contains("shared"), "{err}");
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn log_level_prints_records_on_standard_error() {
    let work = temp_dir("cli-log-level");
    let store = work.join("store");
    let d = store.to_str().unwrap().to_owned();
    produce_records(&work, &d, "String { string value; }", &string_records(&["a"]));
    let (ok, _, err) = hollow(&["inspect", &d, "--log-level", "info"]);
    assert!(ok, "{err}");
    assert!(err.contains("hollow::consumer") && err.contains("refreshed to version"), "{err}");
    let (ok, _, err) = hollow(&["inspect", &d]);
    assert!(ok && err.is_empty(), "nothing below warnings by default: {err}");
    let (ok, _, err) = hollow(&["inspect", &d, "--log-level", "loud"]);
    assert!(!ok && err.contains("--log-level"), "{err}");
    std::fs::remove_dir_all(&work).unwrap();
}

/// A store with two versions of a small movie dataset, made with `hollow produce`: from the first to
/// the second, movie 2 is removed, movie 4 added, movie 1 retitled and tagged, movie 3 unchanged.
fn movie_store(work: &std::path::Path) -> (String, i64, i64) {
    std::fs::write(
        work.join("movies.schema"),
        "Movie @PrimaryKey(id) { long id; String title; int year; ListOfString tags; }\n\
         String { string value; }\nListOfString List<String>;\n",
    )
    .unwrap();
    let v1 = [
        r#"{"type":"Movie","value":{"id":1,"title":"Heat","year":1995,"tags":["crime"]}}"#,
        r#"{"type":"Movie","value":{"id":2,"title":"Alien","year":1979,"tags":[]}}"#,
        r#"{"type":"Movie","value":{"id":3,"title":"Up","year":2009,"tags":["kids"]}}"#,
    ];
    let v2 = [
        r#"{"type":"Movie","value":{"id":1,"title":"Heat (1995)","year":1995,"tags":["crime","la"]}}"#,
        r#"{"type":"Movie","value":{"id":3,"title":"Up","year":2009,"tags":["kids"]}}"#,
        r#"{"type":"Movie","value":{"id":4,"title":"Big","year":1988,"tags":[]}}"#,
    ];
    let store = work.join("movies");
    let d = store.to_str().unwrap().to_owned();
    let mut versions = Vec::new();
    for lines in [&v1[..], &v2[..]] {
        produce_lines(work, &d, "movies.schema", lines);
        versions.push(announced(&d));
    }
    (d, versions[0], versions[1])
}

/// One `hollow produce` cycle of `lines` into `d`, with the schema file `work/schema_file`.
fn produce_lines(work: &std::path::Path, d: &str, schema_file: &str, lines: &[&str]) {
    let schema = std::fs::read_to_string(work.join(schema_file)).unwrap();
    produce_records(work, d, &schema, lines);
}

#[test]
fn diff_counts_and_shows_what_changed() {
    let work = temp_dir("cli-diff");
    let (d, v1, v2) = movie_store(&work);

    // JSON: --to defaults to the announced version, --from to the version the delta starts from.
    let (ok, out, err) = hollow(&["diff", &d, "--format", "json"]);
    assert!(ok, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((json["from"].as_i64(), json["to"].as_i64()), (Some(v1), Some(v2)));
    assert_eq!(json["method"], "oneDelta", "reached by a delta, so the fast path");
    let movie = json["types"].as_array().unwrap().iter().find(|t| t["type"] == "Movie").unwrap();
    let counts = |t: &serde_json::Value| ["added", "removed", "modified", "unchanged"].map(|k| t[k].as_u64().unwrap());
    assert_eq!(counts(movie), [1, 1, 1, 1]);
    assert_eq!(movie["removedRecords"][0]["key"], serde_json::json!([2]));
    assert_eq!(movie["addedRecords"][0]["key"], serde_json::json!([4]));
    let fields: Vec<&str> =
        movie["modifiedRecords"][0]["fields"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(fields, ["title", "tags[1]"]);
    // Strings: "Alien" and "Heat" went, "Big", "Heat (1995)" and "la" came.
    let string = json["types"].as_array().unwrap().iter().find(|t| t["type"] == "String").unwrap();
    assert_eq!(counts(string)[..2], [3, 2]);

    // Text: the table, and each changed field as old -> new.
    let (ok, out, err) = hollow(&["diff", &d, "--from", &v1.to_string(), "--to", &v2.to_string()]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("version {v1} -> {v2}")), "{out}");
    assert!(out.contains("title: \"Heat\" -> \"Heat (1995)\""), "{out}");
    assert!(out.contains("  - [2] "), "{out}");
    // --type and --limit.
    let (ok, out, err) = hollow(&["diff", &d, "--type", "Movie", "--limit", "0"]);
    assert!(ok, "{err}");
    assert!(out.contains("1 of 1 types changed") && !out.contains("String "), "{out}");
    assert!(out.contains("  ~ … and 1 more"), "{out}");
    // Backwards: the reverse delta; and a version against itself: no difference, still exit 0.
    let (ok, out, err) = hollow(&["diff", &d, "--from", &v2.to_string(), "--to", &v1.to_string(), "--format", "json"]);
    assert!(ok, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let movie = json["types"].as_array().unwrap().iter().find(|t| t["type"] == "Movie").unwrap();
    assert_eq!(counts(movie), [1, 1, 1, 1]);
    let (ok, out, _) = hollow(&["diff", &d, "--from", &v2.to_string(), "--to", &v2.to_string()]);
    assert!(ok && out.contains("0 of 3 types changed"), "{out}");
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn diff_errors_are_clear_and_fail() {
    let work = temp_dir("cli-diff-errors");
    let (d, v1, _) = movie_store(&work);
    let (ok, _, err) = hollow(&["diff", &d, "--to", "42"]);
    assert!(!ok && err.contains("version 42 is not in the store"), "{err}");
    let (ok, _, err) = hollow(&["diff", &d, "--from", "42"]);
    assert!(!ok && err.contains("42"), "{err}");
    // The first version has no delta leading to it.
    let (ok, _, err) = hollow(&["diff", &d, "--to", &v1.to_string()]);
    assert!(!ok && err.contains("no delta leads to version") && err.contains("--from"), "{err}");
    let (ok, _, err) = hollow(&["diff", &d, "--type", "Nope"]);
    assert!(!ok && err.contains("type Nope"), "{err}");
    let (ok, _, err) = hollow(&["diff", &d, "--format", "yaml"]);
    assert!(!ok && err.contains("yaml"), "{err}");
    let (ok, _, err) = hollow(&["diff", "/nonexistent/hollow"]);
    assert!(!ok && err.contains("not found"), "{err}");
    std::fs::remove_dir_all(&work).unwrap();
}

/// A dump's records per type, as their text, sorted: what a version holds, whatever its ordinals.
fn dumped_records(dump: &str) -> Vec<(String, Vec<String>)> {
    let json: serde_json::Value = serde_json::from_str(dump).unwrap();
    json["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let mut records: Vec<String> = t["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["stringifier"].as_str().unwrap().to_owned())
                .collect();
            records.sort();
            (t["schema"]["name"].as_str().unwrap().to_owned(), records)
        })
        .collect()
}

#[test]
fn diff_changes_piped_into_produce_incremental_reproduce_the_new_version() {
    // The collections vectors: every version's change set, applied to a store holding the one before,
    // gives that version's records.
    let scenario = "collections";
    let vs = versions(scenario);
    let work = temp_dir("cli-diff-apply");
    let source = work.join("source");
    let source = source.to_str().unwrap();
    let target = work.join("target");
    let target = target.to_str().unwrap();
    for &v in &vs {
        let (schema, input) = produce_input(scenario, v);
        std::fs::write(work.join("schema.txt"), schema).unwrap();
        let lines: Vec<&str> = input.lines().collect();
        produce_lines(&work, source, "schema.txt", &lines);
        if v == vs[0] {
            produce_lines(&work, target, "schema.txt", &lines);
        }
    }
    let source_versions = source_versions(source);
    assert_eq!(source_versions.len(), vs.len());
    for pair in source_versions.windows(2) {
        let (from, to) = (pair[0].to_string(), pair[1].to_string());
        let (ok, changes, err) = hollow(&["diff", source, "--from", &from, "--to", &to, "--format", "changes"]);
        assert!(ok, "{err}");
        assert!(!changes.is_empty());
        let (ok, out, err) = hollow_with_input(&["produce", target, "--incremental", "--input", "-"], &changes);
        assert!(ok, "{err}");
        assert!(out.starts_with("announced version") && out.contains("upserts"), "{out}");
        let (ok, want, err) = hollow(&["dump", source, "--version", &to]);
        assert!(ok, "{err}");
        let (ok, got, err) = hollow(&["dump", target]);
        assert!(ok, "{err}");
        assert_eq!(dumped_records(&got), dumped_records(&want), "version {to}");
    }
    // The same changes again change nothing.
    let last = source_versions.windows(2).last().unwrap();
    let (_, changes, _) =
        hollow(&["diff", source, "--from", &last[0].to_string(), "--to", &last[1].to_string(), "--format", "changes"]);
    let (ok, out, err) = hollow_with_input(&["produce", target, "--incremental", "--input", "-"], &changes);
    assert!(ok && out.starts_with("no change"), "{out}{err}");
    std::fs::remove_dir_all(&work).unwrap();
}

/// The versions of the snapshots of a store directory, ascending.
fn source_versions(d: &str) -> Vec<i64> {
    let mut vs: Vec<i64> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().unwrap().strip_prefix("snapshot-")?.parse().ok())
        .collect();
    vs.sort();
    vs
}

#[test]
fn produce_incremental_applies_changes_and_reports_bad_lines() {
    let work = temp_dir("cli-incremental");
    let (d, _, v2) = movie_store(&work);
    let changes = [
        r#"{"op":"upsert","type":"Movie","record":{"id":3,"title":"Up!","year":2009,"tags":["kids"]}}"#,
        r#"{"op":"delete","type":"Movie","key":[4]}"#,
        r#"{"op":"delete","type":"Movie","key":[99]}"#,
    ]
    .join("\n");
    std::fs::write(work.join("changes.jsonl"), &changes).unwrap();
    let input = work.join("changes.jsonl");
    let (ok, out, err) = hollow(&["produce", &d, "--incremental", "--input", input.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("1 upserts, 1 deletes, 1 absent deletes"), "{out}");
    let v3 = announced(&d);
    assert!(v3 > v2);
    let (ok, out, _) = hollow(&["diff", &d, "--type", "Movie"]);
    assert!(ok && out.contains(&format!("version {v2} -> {v3}")), "{out}");
    assert!(out.contains("title: \"Up\" -> \"Up!\"") && out.contains("  - [4]"), "{out}");

    // A bad line names its number; nothing is announced.
    let bad = "\n{\"op\":\"delete\",\"type\":\"Movie\",\"key\":[1]}\n{\"op\":\"upsert\",\"type\":\"Movie\",\"record\":{\"id\":\"x\"}}\n";
    let (ok, _, err) = hollow_with_input(&["produce", &d, "--incremental", "--input", "-"], bad);
    assert!(!ok && err.contains("standard input: change line 3"), "{err}");
    let (ok, _, err) = hollow_with_input(&["produce", &d, "--incremental", "--input", "-"], "{\"op\":\"nope\"}\n");
    assert!(!ok && err.contains("change line 1"), "{err}");
    assert_eq!(announced(&d), v3);
    // The removal guard still holds: deleting most movies is refused.
    let deletes =
        "{\"op\":\"delete\",\"type\":\"Movie\",\"key\":[1]}\n{\"op\":\"delete\",\"type\":\"Movie\",\"key\":[3]}\n";
    let (ok, _, err) = hollow_with_input(&["produce", &d, "--incremental", "--input", "-"], deletes);
    assert!(!ok && err.contains("validation"), "{err}");
    assert_eq!(announced(&d), v3);

    // No announced version: --schema starts from nothing; without it, a clear error.
    let empty = work.join("empty");
    let e = empty.to_str().unwrap();
    let (ok, _, err) = hollow(&["produce", e, "--incremental", "--input", input.to_str().unwrap()]);
    assert!(!ok && err.contains("announces no version") && err.contains("--schema"), "{err}");
    let schema = work.join("movies.schema");
    let (ok, out, err) = hollow(&[
        "produce",
        e,
        "--incremental",
        "--schema",
        schema.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("1 upserts, 0 deletes, 2 absent deletes"), "{out}");
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn codegen_prints_the_checked_in_generated_code() {
    let generated = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/generated");
    let schema = generated.join("collections.schema");
    for (lang, file) in [("rust", "collections.rs"), ("python", "collections.py")] {
        let (ok, out, err) = hollow(&["codegen", "--lang", lang, schema.to_str().unwrap()]);
        assert!(ok, "codegen --lang {lang}: {err}");
        let expected = std::fs::read_to_string(generated.join(file)).unwrap();
        assert!(out == expected, "hollow codegen --lang {lang} differs from tests/generated/{file}");
    }
    let dir = temp_dir("codegen-bad");
    let bad = dir.join("bad.schema");
    std::fs::write(&bad, "Movie { Title title; }").unwrap();
    let (ok, _, err) = hollow(&["codegen", "--lang", "rust", bad.to_str().unwrap()]);
    assert!(!ok && err.contains("Title"), "{err}");
    let (ok, _, err) = hollow(&["codegen", "--lang", "rust", dir.join("missing").to_str().unwrap()]);
    assert!(!ok && err.contains("missing"), "{err}");
}

/// A store of one movie whose fields cover the plain form: a float, a list, a referenced record, a map
/// with integer keys and one with string keys. Returns the store directory and the schema file.
fn plain_store(work: &std::path::Path) -> (String, std::path::PathBuf) {
    let schema = work.join("plain.schema");
    std::fs::write(
        &schema,
        "Movie @PrimaryKey(id) { long id; String title; float rating; ListOfString tags; Person director; \
         MapOfIntegerToString notes; MapOfStringToInteger scores; }\n\
         Person { String name; int born; }\nString { string value; }\nInteger { int value; }\n\
         ListOfString List<String>;\nMapOfIntegerToString Map<Integer, String>;\n\
         MapOfStringToInteger Map<String, Integer>;\n",
    )
    .unwrap();
    let store = work.join("plain");
    let d = store.to_str().unwrap().to_owned();
    produce_lines(
        work,
        &d,
        "plain.schema",
        &[r#"{"type":"Movie","value":{"id":1,"title":"Heat","rating":0.1,"tags":["crime","la"],
             "director":{"name":"Mann","born":1943},"notes":{"7":"x"},"scores":{"imdb":8}}}"#
            .replace('\n', "")
            .as_str()],
    );
    (d, schema)
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

#[test]
fn dump_plain_prints_records_as_plain_json_to_a_depth() {
    let work = temp_dir("cli-plain");
    let (d, _) = plain_store(&work);

    let (ok, out, err) = hollow(&["dump", &d, "--format", "plain", "--type", "Movie"]);
    assert!(ok, "{err}");
    let expected = serde_json::json!({
        "id": 1, "title": "Heat", "rating": 0.1, "tags": ["crime", "la"],
        "director": {"name": "Mann", "born": 1943},
        "notes": [{"key": 7, "value": "x"}], "scores": {"imdb": 8}
    });
    assert_eq!(json_lines(&out), vec![expected.clone()], "{out}");
    // The float is written in its shortest form, as jq users expect.
    assert!(out.contains("\"rating\":0.1,"), "{out}");

    // Depth 0: one-field records are still values, other references are named, not expanded.
    let (ok, out, err) = hollow(&["dump", &d, "--format", "plain", "--type", "Movie", "--depth", "0"]);
    assert!(ok, "{err}");
    let shallow = &json_lines(&out)[0];
    assert_eq!(shallow["title"], "Heat");
    assert_eq!(shallow["director"], serde_json::json!({"$type": "Person", "$ordinal": 0}));
    assert_eq!(shallow["tags"]["$type"], "ListOfString");

    // Every type: {"type", "value"} lines; the String records are strings.
    let (ok, out, err) = hollow(&["dump", &d, "--format", "plain"]);
    assert!(ok, "{err}");
    let lines = json_lines(&out);
    let of_type = |t: &str| lines.iter().filter(|l| l["type"] == t).map(|l| l["value"].clone()).collect::<Vec<_>>();
    assert_eq!(of_type("Movie"), vec![expected.clone()]);
    let mut strings: Vec<String> = of_type("String").iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    strings.sort();
    assert_eq!(strings, ["Heat", "Mann", "crime", "imdb", "la", "x"]);
    assert_eq!(of_type("Integer").len(), 2, "{out}");

    // The default format is still the conformance layout.
    let (ok, out, _) = hollow(&["dump", &d, "--type", "Movie"]);
    assert!(ok && out.contains("\"populatedCount\""), "{out}");

    // Too deep is refused by the argument parser.
    let (ok, _, err) = hollow(&["dump", &d, "--format", "plain", "--depth", "65"]);
    assert!(!ok && err.contains("--depth"), "{err}");
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn dump_plain_is_input_for_produce_with_the_schema_on_standard_input() {
    let work = temp_dir("cli-plain-produce");
    let (d, schema) = plain_store(&work);
    let (ok, dumped, err) = hollow(&["dump", &d, "--format", "plain", "--type", "Movie", "--depth", "10"]);
    assert!(ok, "{err}");
    let records = work.join("movies.jsonl");
    std::fs::write(&records, &dumped).unwrap();

    let copy = work.join("copy");
    let schema_text = std::fs::read_to_string(&schema).unwrap();
    let (ok, out, err) = hollow_with_input(
        &["produce", copy.to_str().unwrap(), "--schema", "-", "--type", "Movie", "--input", records.to_str().unwrap()],
        &schema_text,
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("announced version"), "{out}");
    let (ok, copied, err) = hollow(&["dump", copy.to_str().unwrap(), "--format", "plain", "--type", "Movie"]);
    assert!(ok, "{err}");
    assert_eq!(json_lines(&copied), json_lines(&dumped));

    // Standard input cannot carry both the schemas and the records.
    let (ok, _, err) = hollow_with_input(
        &["produce", copy.to_str().unwrap(), "--schema", "-", "--type", "Movie", "--input", "-"],
        &schema_text,
    );
    assert!(!ok && err.contains("both name standard input"), "{err}");
    // A missing schema file is named.
    let (ok, _, err) = hollow(&["produce", copy.to_str().unwrap(), "--schema", "/nonexistent.schema", "--input", "-"]);
    assert!(!ok && err.contains("/nonexistent.schema"), "{err}");
    // --help says what --schema takes.
    let (_, help, _) = hollow(&["produce", "--help"]);
    assert!(help.contains("A file of schemas") && help.contains("`-` for standard input"), "{help}");
    std::fs::remove_dir_all(&work).unwrap();
}

/// The README's `produce` example, run as written (after its `cargo install` line, with this build's
/// `hollow` first on PATH and a scratch directory for /tmp/hollow-demo); jq is a system tool: where
/// it is missing, the last command's `jq` filter is checked on the plain dump here instead.
#[test]
fn readme_produce_example_runs_as_written() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme.find("```sh\ncargo install --path hollow-rs/cli").expect("the README's produce example");
    let block = &readme[start + "```sh\n".len()..];
    let block = &block[..block.find("```").unwrap()];
    let mut lines = block.lines();
    assert!(lines.next().unwrap().starts_with("cargo install --path hollow-rs/cli"));
    let work = temp_dir("cli-readme");
    let script = lines.collect::<Vec<_>>().join("\n").replace("/tmp/hollow-demo", work.to_str().unwrap());
    let has_jq = Command::new("jq").arg("--version").output().is_ok_and(|o| o.status.success());
    let script = if has_jq { script } else { script.replace(" | jq -r 'select(.year > 1990) | .title'", "") };
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_hollow")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash").args(["-euo", "pipefail", "-c", &script]).env("PATH", path).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("announced version"), "{stdout}");
    let last = stdout.lines().last().unwrap();
    if has_jq {
        assert_eq!(last, "Heat", "{stdout}");
    } else {
        let heat: serde_json::Value = serde_json::from_str(last).unwrap();
        assert_eq!(heat, serde_json::json!({"id": 2, "title": "Heat", "year": 1995}));
    }
    std::fs::remove_dir_all(&work).unwrap();
}

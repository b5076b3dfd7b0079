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

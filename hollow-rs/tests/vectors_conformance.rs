//! Conformance with Java Hollow: every reference state, read by this crate and dumped, must equal
//! the dump Java made of the same state (`tests/vectors/<scenario>/expected/state-<v>.json`), record
//! values, stringifier output and `HollowChecksum` included.
//!
//! * Snapshots: the dump of `ReadStateEngine::from_snapshot(snapshot-<v>)` equals the expected file
//!   byte for byte.
//! * Traversal: starting from the first snapshot, applying every delta forward and then every
//!   reverse delta back gives, at each step, the expected state of the version reached. The one
//!   allowed difference is `maxOrdinal` after a reverse delta: Java keeps the newer state's value
//!   there, and each step's `maxOrdinal`s must equal what the manifest's `traversalCheck.steps`
//!   recorded Java seeing.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use hollow::read::ReadStateEngine;
use hollow::tools::dump::dump_state;
use serde_json::Value;

fn scenario_dir(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(scenario)
}

fn read_blob(scenario: &str, name: &str) -> Vec<u8> {
    let path = scenario_dir(scenario).join("blobs").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// `expected/state-<v>.json`, or its `.json.gz` when the file is large.
fn read_expected(scenario: &str, version: i64) -> String {
    let dir = scenario_dir(scenario).join("expected");
    let plain = dir.join(format!("state-{version}.json"));
    if plain.exists() {
        return std::fs::read_to_string(&plain).unwrap_or_else(|e| panic!("reading {}: {e}", plain.display()));
    }
    let gz = dir.join(format!("state-{version}.json.gz"));
    let file = std::fs::File::open(&gz).unwrap_or_else(|e| panic!("reading {}: {e}", gz.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut text).expect("gzip JSON");
    text
}

struct Manifest {
    versions: Vec<i64>,
    steps: Vec<TraversalStep>,
}

/// One consumer transition Java made, and the `maxOrdinal` of each type it then saw.
struct TraversalStep {
    target: i64,
    max_ordinals: BTreeMap<String, i64>,
}

fn read_manifest(scenario: &str) -> Manifest {
    let path = scenario_dir(scenario).join("manifest.json");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("manifest")).expect("manifest JSON");
    let versions =
        json["versions"].as_array().expect("versions").iter().map(|v| v.as_i64().expect("version")).collect();
    let steps = json["traversalCheck"]["steps"]
        .as_array()
        .expect("traversal steps")
        .iter()
        .map(|step| {
            assert_eq!(step["reached"], step["target"], "Java's traversal reached its target");
            TraversalStep {
                target: step["target"].as_i64().expect("target"),
                max_ordinals: step["maxOrdinals"]
                    .as_object()
                    .expect("maxOrdinals")
                    .iter()
                    .map(|(name, max)| (name.clone(), max.as_i64().expect("maxOrdinal")))
                    .collect(),
            }
        })
        .collect();
    Manifest { versions, steps }
}

/// Fails with the position and surroundings of the first difference.
fn assert_same_text(actual: &str, expected: &str, what: &str) {
    if actual == expected {
        return;
    }
    let at = actual.bytes().zip(expected.bytes()).position(|(a, b)| a != b).unwrap_or(actual.len().min(expected.len()));
    let line = expected[..at].matches('\n').count() + 1;
    let context = |text: &str| {
        let mut start = at.saturating_sub(150).min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (at + 150).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        text[start..end].to_owned()
    };
    panic!(
        "{what}: dump differs from Java's at byte {at} (line {line}; lengths {} vs {})\n  ours: …{}…\n  java: …{}…",
        actual.len(),
        expected.len(),
        context(actual),
        context(expected)
    );
}

/// The JSON path of the first difference between two values, with both values there.
fn first_difference(actual: &Value, expected: &Value, path: &str) -> Option<String> {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (key, ev) in e {
                let child = format!("{path}.{key}");
                match a.get(key) {
                    Some(av) => {
                        if let Some(d) = first_difference(av, ev, &child) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{child}: missing in ours")),
                }
            }
            a.keys().find(|k| !e.contains_key(*k)).map(|k| format!("{path}.{k}: only in ours"))
        }
        (Value::Array(a), Value::Array(e)) => {
            for (i, (av, ev)) in a.iter().zip(e).enumerate() {
                if let Some(d) = first_difference(av, ev, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (a.len() != e.len()).then(|| format!("{path}: {} elements in ours, {} in Java's", a.len(), e.len()))
        }
        _ => (actual != expected).then(|| format!("{path}: ours {actual}, Java's {expected}")),
    }
}

fn check_snapshots(scenario: &str) {
    let manifest = read_manifest(scenario);
    assert!(!manifest.versions.is_empty());
    for &version in &manifest.versions {
        let engine = ReadStateEngine::from_snapshot(&read_blob(scenario, &format!("snapshot-{version}")))
            .unwrap_or_else(|e| panic!("{scenario} snapshot {version}: {e}"));
        let dump = dump_state(&engine, version);
        assert_same_text(&dump, &read_expected(scenario, version), &format!("{scenario} snapshot {version}"));
    }
}

fn check_traversal(scenario: &str) {
    let manifest = read_manifest(scenario);
    let (first, rest) = manifest.steps.split_first().expect("traversal steps");
    assert_eq!(first.target, manifest.versions[0], "the traversal starts from the first snapshot");
    let mut engine = ReadStateEngine::from_snapshot(&read_blob(scenario, &format!("snapshot-{}", first.target)))
        .unwrap_or_else(|e| panic!("{scenario} snapshot {}: {e}", first.target));
    check_step(scenario, &engine, first, "snapshot");
    let mut current = first.target;
    for step in rest {
        let (blob, kind) = if step.target > current {
            (format!("delta-{current}-{}", step.target), "delta")
        } else {
            (format!("reversedelta-{current}-{}", step.target), "reverse delta")
        };
        engine = engine.apply_delta(&read_blob(scenario, &blob)).unwrap_or_else(|e| panic!("{scenario} {blob}: {e}"));
        check_step(scenario, &engine, step, &format!("{kind} {current} -> {}", step.target));
        current = step.target;
    }
    assert_eq!(current, manifest.versions[0], "the traversal ends back at the first version");
}

/// The dump after a step equals Java's snapshot dump of that version, except that `maxOrdinal` is
/// what Java saw after the same transition.
fn check_step(scenario: &str, engine: &ReadStateEngine, step: &TraversalStep, what: &str) {
    let ours: Value = serde_json::from_str(&dump_state(engine, step.target)).expect("our dump is JSON");
    let mut expected: Value = serde_json::from_str(&read_expected(scenario, step.target)).expect("expected JSON");
    let types = expected["types"].as_array_mut().expect("types");
    assert_eq!(types.len(), step.max_ordinals.len(), "{scenario} {what}: manifest and dump list the same types");
    for state in types {
        let name = state["schema"]["name"].as_str().expect("type name").to_owned();
        let max = step.max_ordinals.get(&name).unwrap_or_else(|| panic!("{scenario} {what}: no maxOrdinal for {name}"));
        state["maxOrdinal"] = Value::from(*max);
    }
    if let Some(difference) = first_difference(&ours, &expected, "$") {
        panic!("{scenario} after {what}: {difference}");
    }
}

macro_rules! scenario_tests {
    ($($module:ident => $scenario:literal),* $(,)?) => {$(
        mod $module {
            #[test]
            fn snapshots_match_java() {
                super::check_snapshots($scenario);
            }

            #[test]
            fn delta_traversal_matches_java() {
                super::check_traversal($scenario);
            }
        }
    )*};
}

scenario_tests! {
    strings => "strings",
    primitives => "primitives",
    collections => "collections",
    sharded => "sharded",
    sharded_reshard => "sharded-reshard",
}

#[test]
fn first_difference_reports_the_path() {
    let a: Value = serde_json::json!({"types": [{"maxOrdinal": 3, "records": [1, 2]}]});
    let b: Value = serde_json::json!({"types": [{"maxOrdinal": 3, "records": [1, 5]}]});
    assert_eq!(first_difference(&a, &b, "$").as_deref(), Some("$.types[0].records[1]: ours 2, Java's 5"));
    assert_eq!(first_difference(&a, &a, "$"), None);
}

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
//!
//! Both run twice: with the snapshot read into the heap, and with it memory-mapped and read in place
//! (`MappingMode::Shared`, asserted to have left every shard mapped), deltas then building heap shards
//! beside the mapped ones.

mod common;

use std::collections::BTreeMap;

use common::{load_json, read_blob, read_expected, scenario_dir, versions};
use hollow::mapped::MappingMode;
use hollow::read::ReadStateEngine;
use hollow::tools::dump::dump_state;
use hollow::tools::stringify::{Stringifier, StringifyOptions};
use serde_json::Value;

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
    let json = load_json(&scenario_dir(scenario).join("manifest.json"));
    let versions = versions(scenario);
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

/// A snapshot of a scenario, loaded from its file in `mode`; a mapped load must have left every shard
/// and every populated bitset of every type in the mapping.
fn load_snapshot(scenario: &str, version: i64, mode: MappingMode) -> ReadStateEngine {
    let path = scenario_dir(scenario).join("blobs").join(format!("snapshot-{version}"));
    let engine = ReadStateEngine::from_snapshot_file(&path, mode)
        .unwrap_or_else(|e| panic!("{scenario} snapshot {version} ({mode:?}): {e}"));
    let shards: usize = engine.types().map(|t| t.num_shards() as usize).sum();
    let expected = if mode == MappingMode::Shared { shards } else { 0 };
    assert_eq!(engine.mapped_shards(), expected, "{scenario} snapshot {version} ({mode:?}): mapped shards");
    if mode == MappingMode::Shared {
        for t in engine.types() {
            let name = t.name();
            assert_eq!(t.populated().heap_bytes(), 0, "{scenario} snapshot {version} {name}: populated bits copied");
        }
    }
    engine
}

fn check_snapshots(scenario: &str, mode: MappingMode) {
    let manifest = read_manifest(scenario);
    assert!(!manifest.versions.is_empty());
    for &version in &manifest.versions {
        let engine = load_snapshot(scenario, version, mode);
        let dump = dump_state(&engine, version);
        assert_same_text(&dump, &read_expected(scenario, version), &format!("{scenario} snapshot {version}"));
    }
}

fn check_traversal(scenario: &str, mode: MappingMode) {
    let manifest = read_manifest(scenario);
    let (first, rest) = manifest.steps.split_first().expect("traversal steps");
    assert_eq!(first.target, manifest.versions[0], "the traversal starts from the first snapshot");
    let mut engine = load_snapshot(scenario, first.target, mode);
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
            use hollow::mapped::MappingMode;

            #[test]
            fn snapshots_match_java() {
                super::check_snapshots($scenario, MappingMode::Copy);
            }

            #[test]
            fn delta_traversal_matches_java() {
                super::check_traversal($scenario, MappingMode::Copy);
            }

            #[test]
            fn mapped_snapshots_match_java() {
                super::check_snapshots($scenario, MappingMode::Shared);
            }

            #[test]
            fn mapped_delta_traversal_matches_java() {
                super::check_traversal($scenario, MappingMode::Shared);
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

/// `HollowRecordJsonStringifier` with its other options (the dumps only use compact, uncollapsed
/// output): (scenario, version, prettyPrint, collapseAllSingleFieldObjects, type, ordinal, what Java
/// Hollow v7.14.51 printed for that record of that snapshot).
const STRINGIFIER_OPTION_CASES: &[(&str, i64, bool, bool, &str, u32, &str)] = &[
    (
        "collections",
        3,
        true,
        false,
        "Show",
        3,
        r#"{
  "id": 2,
  "title": "The Crown",
  "tags": [
    {
      "value": "history"
    },
    {
      "value": "drama"
    },
    {
      "value": "royal"
    }
  ],
  "seasons": [
    {
      "value": 6
    },    {
      "value": 4
    },    {
      "value": 3
    },    {
      "value": 2
    },    {
      "value": 1
    },    {
      "value": 5
    }
  ],
  "counters": {
    "views": {
      "value": 800000
    }
  },
  "cast": [
    {
      "personId": 13,
      "name": "Claire"
    },
    {
      "personId": 14,
      "name": "Olivia"
    },
    {
      "personId": 18,
      "name": "Imelda"
    }
  ],
  "crew": [
    {
      "personId": 22,
      "name": "Peter Morgan"
    }
  ],
  "roles": [
  {
    "key":{
        "personId": 13,
        "name": "Claire"
      },
    "value":{
        "name": {
          "value": "Elizabeth"
        },
        "lead": true
      }
  }],
  "episodesBySeason": {
    "S1": [
      {
        "value": 1
      },
      {
        "value": 2
      },
      {
        "value": 3
      }
    ]
  },
  "nestedLists": [
    [
      {
        "value": "x"
      }
    ]
  ],
  "studio": {
    "name": "Left Bank",
    "address": {
      "city": {
        "value": "London"
      },
      "zip": 10000
    }
  },
  "keywords": [
    {
      "value": "royalty"
    }
  ]
}"#,
    ),
    (
        "collections",
        3,
        false,
        true,
        "Show",
        3,
        r#"{"id": 2,"title": "The Crown","tags": ["history","drama","royal"],"seasons": [6,4,3,2,1,5],"counters": {"views": 800000},"cast": [{"personId": 13,"name": "Claire"},{"personId": 14,"name": "Olivia"},{"personId": 18,"name": "Imelda"}],"crew": [{"personId": 22,"name": "Peter Morgan"}],"roles": [{"key":{"personId": 13,"name": "Claire"},"value":{"name": "Elizabeth","lead": true}}],"episodesBySeason": {"S1": [1,2,3]},"nestedLists": [["x"]],"studio": {"name": "Left Bank","address": {"city": "London","zip": 10000}},"keywords": ["royalty"]}"#,
    ),
    (
        "collections",
        3,
        true,
        true,
        "Show",
        3,
        r#"{
  "id": 2,
  "title": "The Crown",
  "tags": [
    "history",
    "drama",
    "royal"
  ],
  "seasons": [
    6,    4,    3,    2,    1,    5
  ],
  "counters": {
    "views": 800000
  },
  "cast": [
    {
      "personId": 13,
      "name": "Claire"
    },
    {
      "personId": 14,
      "name": "Olivia"
    },
    {
      "personId": 18,
      "name": "Imelda"
    }
  ],
  "crew": [
    {
      "personId": 22,
      "name": "Peter Morgan"
    }
  ],
  "roles": [
  {
    "key":{
        "personId": 13,
        "name": "Claire"
      },
    "value":{
        "name": "Elizabeth",
        "lead": true
      }
  }],
  "episodesBySeason": {
    "S1": [
      1,
      2,
      3
    ]
  },
  "nestedLists": [
    [
      "x"
    ]
  ],
  "studio": {
    "name": "Left Bank",
    "address": {
      "city": "London",
      "zip": 10000
    }
  },
  "keywords": [
    "royalty"
  ]
}"#,
    ),
    (
        "collections",
        3,
        true,
        false,
        "Show",
        1,
        r#"{
  "id": 1,
  "title": "",
  "tags": [],
  "seasons": [],
  "counters": { },
  "cast": [],
  "crew": [],
  "roles": { },
  "episodesBySeason": { },
  "nestedLists": [],
  "studio": {
    "name": "21 Laps",
    "address": {
      "city": {
        "value": "Los Angeles"
      },
      "zip": 90001
    }
  },
  "keywords": []
}"#,
    ),
    (
        "primitives",
        2,
        true,
        false,
        "AllTypes",
        3,
        r#"{
  "id": 4,
  "intVal": -1,
  "longVal": -1,
  "doubleVal": -Infinity,
  "boolVal": false,
  "shortVal": -1,
  "byteVal": -1,
  "charVal": 233,
  "inlineString": "naïve café – 日本語 Ελληνικά",
  "refString": {
    "value": "emoji 😀🎬 👩‍👩‍👧"
  },
  "bytesVal": [0, -1, 127, -128],
  "boxedInt": {
    "value": 0
  },
  "boxedLong": {
    "value": 0
  },
  "boxedFloat": {
    "value": -0.0
  },
  "boxedDouble": {
    "value": -0.0
  },
  "boxedBool": {
    "value": true
  },
  "boxedShort": {
    "value": 0
  },
  "boxedByte": {
    "value": 0
  },
  "boxedChar": {
    "value": 55357
  },
  "inlineInt": -1,
  "inlineLong": -1,
  "inlineFloat": Infinity,
  "inlineDouble": NaN,
  "inlineBool": true,
  "inlineShort": -1,
  "inlineByte": -1,
  "inlineChar": 8364,
  "color": {
    "_name": "RED"
  },
  "date": {
    "value": -1
  }
}"#,
    ),
];

#[test]
fn stringifier_options_match_java() {
    for &(scenario, version, pretty_print, collapse, type_name, ordinal, expected) in STRINGIFIER_OPTION_CASES {
        let version = 20250101000000000 + version;
        let engine =
            ReadStateEngine::from_snapshot(&read_blob(scenario, &format!("snapshot-{version}"))).expect("snapshot");
        let options = StringifyOptions { pretty_print, collapse_all_single_field_objects: collapse };
        let text = Stringifier::new(&engine, options).stringify(type_name, ordinal);
        assert_same_text(&text, expected, &format!("{scenario} {type_name} {ordinal} {options:?}"));
    }
}

/// `HollowChecksum.forStateEngineWithCommonSchemas(a, b)` covers only the types `b` also has; values
/// computed by Java Hollow v7.14.51 over these snapshots.
#[test]
fn checksum_with_common_schemas_matches_java() {
    use hollow::tools::checksum::HollowChecksum;
    let load = |scenario: &str, version: i64| {
        ReadStateEngine::from_snapshot(&read_blob(scenario, &format!("snapshot-{}", 20250101000000000 + version)))
            .expect("snapshot")
    };
    let primitives = load("primitives", 1);
    let collections = load("collections", 1);
    let strings = load("strings", 3);
    let sharded = load("sharded", 2);
    let cases = [
        (&primitives, &collections, "3c2cf81e"),
        (&collections, &primitives, "bddcad9e"),
        (&strings, &sharded, "dd9c5355"),
        (&sharded, &collections, "edfdf4c9"),
    ];
    for (i, (engine, common_with, expected)) in cases.into_iter().enumerate() {
        let checksum = HollowChecksum::for_state_engine_with_common_schemas(engine, common_with).expect("compatible");
        assert_eq!(checksum.to_string(), expected, "case {i}");
    }
    assert_eq!(HollowChecksum::for_state_engine(&primitives).to_string(), "4e6b2dc2");
    assert_eq!(HollowChecksum::for_state_engine(&collections).to_string(), "1a4479b1");
}

//! The read engine against Java's reference vectors: every snapshot loads to what Java read, and each
//! chain walked forward by deltas and back by reverse deltas matches Java at every step.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{load_json, scenario_dir, SCENARIOS};
use hollow::read::{ReadStateEngine, TypeReadState};
use hollow::schema::FieldType;
use serde_json::Value;

struct Scenario {
    dir: PathBuf,
    versions: Vec<u64>,
    manifest: Value,
}

impl Scenario {
    fn load(name: &str) -> Self {
        let dir = scenario_dir(name);
        let manifest = load_json(&dir.join("manifest.json"));
        let versions = manifest["versions"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        Scenario { dir, versions, manifest }
    }

    fn blob(&self, name: String) -> Vec<u8> {
        std::fs::read(self.dir.join("blobs").join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn expected(&self, v: u64) -> Value {
        load_json(&self.dir.join("expected").join(format!("state-{v}.json")))
    }

    /// Java's maxOrdinal per type after traversal step `i` (v1, forward..., back...).
    fn step_max_ordinals(&self, i: usize) -> BTreeMap<String, i64> {
        let step = &self.manifest["traversalCheck"]["steps"][i];
        step["maxOrdinals"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_i64().unwrap())).collect()
    }
}

/// Compare `engine` with Java's dump; `max_ordinals` overrides the dump's maxOrdinal (after deltas).
fn check(engine: &ReadStateEngine, expected: &Value, max_ordinals: Option<&BTreeMap<String, i64>>, what: &str) {
    let mut errors = Vec::new();
    let mut err = |m: String| {
        if errors.len() < 20 {
            errors.push(m)
        }
    };
    if engine.randomized_tag() != expected["randomizedTag"].as_i64().unwrap() {
        err(format!("randomizedTag {:x}", engine.randomized_tag()));
    }
    let tags: BTreeMap<String, String> = expected["headerTags"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    if engine.header_tags() != &tags {
        err(format!("header tags {:?}", engine.header_tags()));
    }
    let types = expected["types"].as_array().unwrap();
    let names: Vec<&str> = types.iter().map(|t| t["schema"]["name"].as_str().unwrap()).collect();
    assert_eq!(engine.type_names(), names, "{what}: type names");
    for t in types {
        let name = t["schema"]["name"].as_str().unwrap();
        let state = engine.type_state(name).unwrap();
        if state.num_shards() as u64 != t["numShards"].as_u64().unwrap() {
            err(format!("{name}: numShards {}", state.num_shards()));
        }
        let max = max_ordinals.map_or_else(|| t["maxOrdinal"].as_i64().unwrap(), |m| m[name]);
        if state.max_ordinal() as i64 != max {
            err(format!("{name}: maxOrdinal {} expected {max}", state.max_ordinal()));
        }
        let populated: Vec<u64> =
            t["populatedOrdinals"].as_array().unwrap().iter().map(|o| o.as_u64().unwrap()).collect();
        let actual: Vec<u64> = state.populated().iter().map(u64::from).collect();
        if actual != populated {
            err(format!("{name}: populated ordinals differ ({} vs {})", actual.len(), populated.len()));
        }
        assert_eq!(state.populated().count(), populated.len());
        for rec in t["records"].as_array().unwrap() {
            let ord = rec["ordinal"].as_u64().unwrap() as u32;
            let value = &rec["value"];
            if let Some(m) = check_record(state, ord, value) {
                err(format!("{name}[{ord}]: {m}"));
            }
        }
    }
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_record(state: &TypeReadState, ord: u32, value: &Value) -> Option<String> {
    match state {
        TypeReadState::Object(o) => {
            for (f, field) in o.schema().fields.iter().enumerate() {
                let exp = &value[&field.name];
                let actual = match field.field_type {
                    FieldType::Int => o.read_int(ord, f).map_or(Value::Null, Value::from),
                    FieldType::Long => o.read_long(ord, f).map_or(Value::Null, Value::from),
                    FieldType::Boolean => o.read_boolean(ord, f).map_or(Value::Null, Value::from),
                    FieldType::String => o.read_string(ord, f).map_or(Value::Null, |s| Value::from(s.into_owned())),
                    FieldType::Reference => {
                        o.read_ordinal(ord, f).map_or(Value::Null, |r| serde_json::json!({"ref": r}))
                    }
                    FieldType::Bytes => {
                        o.read_bytes(ord, f).map_or(Value::Null, |b| serde_json::json!({"hex": hex(b), "len": b.len()}))
                    }
                    FieldType::Float => {
                        o.read_float_bits(ord, f).map_or(Value::Null, |b| Value::from(format!("{b:08x}")))
                    }
                    FieldType::Double => {
                        o.read_double_bits(ord, f).map_or(Value::Null, |b| Value::from(format!("{b:016x}")))
                    }
                };
                let exp = match field.field_type {
                    FieldType::Float | FieldType::Double if !exp.is_null() => exp["bits"].clone(),
                    _ => exp.clone(),
                };
                if actual != exp {
                    return Some(format!("field {}: {actual} != {exp}", field.name));
                }
                if o.is_null(ord, f) != exp.is_null() {
                    return Some(format!("field {}: is_null disagrees", field.name));
                }
            }
            None
        }
        TypeReadState::List(l) => {
            let elements: Vec<u32> = l.elements(ord).collect();
            let exp: Vec<u32> =
                value["elements"].as_array().unwrap().iter().map(|e| e.as_u64().unwrap() as u32).collect();
            let by_index: Vec<u32> = (0..l.size(ord)).map(|i| l.element_ordinal(ord, i).unwrap()).collect();
            (elements != exp || by_index != exp || l.size(ord) as u64 != value["size"].as_u64().unwrap())
                .then(|| format!("list {elements:?} != {exp:?}"))
        }
        TypeReadState::Set(s) => {
            let elements: Vec<u32> = s.elements(ord).collect();
            let exp: Vec<u32> =
                value["elements"].as_array().unwrap().iter().map(|e| e.as_u64().unwrap() as u32).collect();
            let buckets: Vec<i64> = (0..s.num_buckets(ord)).map(|b| s.bucket(ord, b).map_or(-1, i64::from)).collect();
            let exp_buckets: Vec<i64> =
                value["buckets"].as_array().unwrap().iter().map(|e| e.as_i64().unwrap()).collect();
            (elements != exp || buckets != exp_buckets || s.size(ord) as u64 != value["size"].as_u64().unwrap())
                .then(|| format!("set {elements:?} {buckets:?} != {exp:?} {exp_buckets:?}"))
        }
        TypeReadState::Map(m) => {
            let pair = |e: &Value| (e[0].as_u64().unwrap() as u32, e[1].as_u64().unwrap() as u32);
            let entries: Vec<(u32, u32)> = m.entries(ord).collect();
            let exp: Vec<(u32, u32)> = value["entries"].as_array().unwrap().iter().map(pair).collect();
            let buckets: Vec<Option<(u32, u32)>> = (0..m.num_buckets(ord)).map(|b| m.bucket(ord, b)).collect();
            let exp_buckets: Vec<Option<(u32, u32)>> =
                value["buckets"].as_array().unwrap().iter().map(|e| (!e.is_null()).then(|| pair(e))).collect();
            (entries != exp || buckets != exp_buckets || m.size(ord) as u64 != value["size"].as_u64().unwrap())
                .then(|| format!("map {entries:?} {buckets:?} != {exp:?} {exp_buckets:?}"))
        }
    }
}

fn snapshots_load_as_java_reads_them(name: &str) {
    let s = Scenario::load(name);
    for &v in &s.versions {
        let engine = ReadStateEngine::from_snapshot(&s.blob(format!("snapshot-{v}"))).unwrap();
        check(&engine, &s.expected(v), None, &format!("{name} snapshot {v}"));
    }
}

fn chain_walks_forward_and_back(name: &str) {
    let s = Scenario::load(name);
    let vs = &s.versions;
    let expected: Vec<Value> = vs.iter().map(|&v| s.expected(v)).collect();
    let mut engine = ReadStateEngine::from_snapshot(&s.blob(format!("snapshot-{}", vs[0]))).unwrap();
    check(&engine, &expected[0], Some(&s.step_max_ordinals(0)), &format!("{name} v1"));
    let mut path: Vec<(usize, String)> = (1..vs.len()).map(|i| (i, format!("delta-{}-{}", vs[i - 1], vs[i]))).collect();
    path.extend((0..vs.len() - 1).rev().map(|i| (i, format!("reversedelta-{}-{}", vs[i + 1], vs[i]))));
    for (step, (target, blob_name)) in (1..).zip(path) {
        let blob = s.blob(blob_name.clone());
        let next = engine.apply_delta(&blob).unwrap_or_else(|e| panic!("{name} {blob_name}: {e}"));
        check(&next, &expected[target], Some(&s.step_max_ordinals(step)), &format!("{name} after {blob_name}"));
        // The delta does not apply twice, and the state it was applied to is untouched.
        assert!(matches!(next.apply_delta(&blob), Err(hollow::Error::TagMismatch { .. })));
        let before = &expected[if blob_name.starts_with("delta") { target - 1 } else { target + 1 }];
        check(&engine, before, Some(&s.step_max_ordinals(step - 1)), &format!("{name} before {blob_name}"));
        engine = next;
    }
}

#[test]
fn strings_snapshots() {
    snapshots_load_as_java_reads_them("strings");
}

#[test]
fn strings_chain() {
    chain_walks_forward_and_back("strings");
}

#[test]
fn primitives_snapshots() {
    snapshots_load_as_java_reads_them("primitives");
}

#[test]
fn primitives_chain() {
    chain_walks_forward_and_back("primitives");
}

#[test]
fn collections_snapshots() {
    snapshots_load_as_java_reads_them("collections");
}

#[test]
fn collections_chain() {
    chain_walks_forward_and_back("collections");
}

#[test]
fn sharded_snapshots() {
    snapshots_load_as_java_reads_them("sharded");
}

#[test]
fn sharded_chain() {
    chain_walks_forward_and_back("sharded");
}

#[test]
fn sharded_reshard_snapshots() {
    snapshots_load_as_java_reads_them("sharded-reshard");
}

#[test]
fn sharded_reshard_chain() {
    chain_walks_forward_and_back("sharded-reshard");
}

#[test]
fn every_scenario_is_covered() {
    for name in SCENARIOS {
        assert!(scenario_dir(name).join("manifest.json").exists(), "{name}");
    }
}

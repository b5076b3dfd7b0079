//! The write engine against Java Hollow's own blobs.
//!
//! For every scenario in `tests/vectors`, rebuild each version's records from the JSON dump of what
//! Java wrote (`expected/state-<v>.json`), cycle by cycle, with the producer settings of the scenario,
//! and check that every snapshot, delta, reverse delta and header blob this engine writes equals
//! Java's: the same header (schemas, tags, and — since the test hands the engine Java's randomized tags
//! — the same origin and destination) and a byte-identical body. Only the order of header tags (Java
//! writes them in hash-map order) and the order of entries in `hollow.type.resharding.invoked`
//! (Java builds it from parallel tasks) are not compared. Records are added dependencies first and,
//! within a type, by ascending ordinal; the engine must assign the same ordinals Java did.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use hollow::blob::{BlobHeader, TAG_RESHARDING_INVOKED};
use hollow::encoding::ByteReader;
use hollow::schema::{FieldType, ListSchema, MapSchema, ObjectField, ObjectSchema, Schema, SetSchema};
use hollow::write::{ListRecord, MapRecord, ObjectRecord, SetRecord, WriteStateEngine};
use serde_json::Value;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn load_json(path: &Path) -> Value {
    let bytes = if path.exists() {
        fs::read(path).unwrap()
    } else {
        let gz = path.with_extension("json.gz");
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(fs::File::open(&gz).unwrap_or_else(|e| panic!("{}: {e}", gz.display())))
            .read_to_end(&mut out)
            .unwrap();
        out
    };
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
}

fn schema_from_json(s: &Value) -> Schema {
    let name = s["name"].as_str().unwrap().to_owned();
    let text = |k: &str| s[k].as_str().unwrap().to_owned();
    match s["kind"].as_str().unwrap() {
        "OBJECT" => {
            let fields = s["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let field_type = FieldType::from_java_name(f["type"].as_str().unwrap()).unwrap();
                    let name = f["name"].as_str().unwrap();
                    match field_type {
                        FieldType::Reference => ObjectField::reference(name, f["referencedType"].as_str().unwrap()),
                        t => ObjectField::new(name, t),
                    }
                })
                .collect();
            ObjectSchema { name, fields, primary_key: strings(&s["primaryKey"]) }.into()
        }
        "LIST" => ListSchema { name, element_type: text("elementType") }.into(),
        "SET" => SetSchema { name, element_type: text("elementType"), hash_key: strings(&s["hashKey"]) }.into(),
        "MAP" => MapSchema {
            name,
            key_type: text("keyType"),
            value_type: text("valueType"),
            hash_key: strings(&s["hashKey"]),
        }
        .into(),
        other => panic!("unknown kind {other}"),
    }
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn ordinal(v: &Value) -> u32 {
    v.as_u64().unwrap() as u32
}

/// Add one record from its JSON dump; return the ordinal the engine assigned.
fn add_record(engine: &mut WriteStateEngine, schema: &Schema, value: &Value) -> u32 {
    let result = match schema {
        Schema::Object(s) => {
            let mut r = ObjectRecord::new();
            for f in &s.fields {
                let v = &value[&f.name];
                if v.is_null() {
                    continue;
                }
                let name = f.name.clone();
                match f.field_type {
                    FieldType::Int => r.set_int(name, v.as_i64().unwrap() as i32),
                    FieldType::Long => r.set_long(name, v.as_i64().unwrap()),
                    FieldType::Boolean => r.set_boolean(name, v.as_bool().unwrap()),
                    FieldType::Float => {
                        r.set_float(name, f32::from_bits(u32::from_str_radix(v["bits"].as_str().unwrap(), 16).unwrap()))
                    }
                    FieldType::Double => r.set_double(
                        name,
                        f64::from_bits(u64::from_str_radix(v["bits"].as_str().unwrap(), 16).unwrap()),
                    ),
                    FieldType::String => {
                        let units: Vec<u16> = v.as_str().unwrap().encode_utf16().collect();
                        r.set_string_utf16(name, &units)
                    }
                    FieldType::Bytes => r.set_bytes(name, &hex_bytes(v["hex"].as_str().unwrap())),
                    FieldType::Reference => r.set_reference(name, ordinal(&v["ref"])),
                };
            }
            engine.add(&s.name, &r)
        }
        Schema::List(s) => {
            let r: ListRecord = value["elements"].as_array().unwrap().iter().map(ordinal).collect();
            engine.add(&s.name, &r)
        }
        Schema::Set(s) => {
            let r: SetRecord = value["elements"].as_array().unwrap().iter().map(ordinal).collect();
            engine.add(&s.name, &r)
        }
        Schema::Map(s) => {
            let r: MapRecord =
                value["entries"].as_array().unwrap().iter().map(|e| (ordinal(&e[0]), ordinal(&e[1]))).collect();
            engine.add(&s.name, &r)
        }
    };
    result.unwrap_or_else(|e| panic!("adding a {} record: {e}", schema.name()))
}

/// Header tags with the resharding tag's entries put in a canonical order.
fn comparable_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut tags = tags.clone();
    if let Some(v) = tags.get_mut(TAG_RESHARDING_INVOKED) {
        let mut parts: Vec<&str> = v.split(' ').collect();
        parts.sort_unstable();
        *v = parts.join(" ");
    }
    tags
}

/// Split a blob into its header and body.
fn split(blob: &[u8]) -> (BlobHeader, &[u8]) {
    let mut r = ByteReader::new(blob);
    let header = BlobHeader::read(&mut r).unwrap();
    let at = r.position() as usize;
    (header, &blob[at..])
}

/// The first index at which two byte strings differ.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| x != y).or(if a.len() != b.len() { Some(a.len().min(b.len())) } else { None })
}

/// Compare one blob with Java's; return a description of the difference, if any.
fn compare(name: &str, ours: &[u8], java_path: &Path) -> Option<String> {
    let java = fs::read(java_path).unwrap_or_else(|e| panic!("{}: {e}", java_path.display()));
    let (our_header, our_body) = split(ours);
    let (java_header, java_body) = split(&java);
    let mut problems = Vec::new();
    if our_header.schemas != java_header.schemas {
        let names = |h: &BlobHeader| h.schemas.iter().map(|s| s.name().to_owned()).collect::<Vec<_>>();
        problems.push(format!("schemas differ: ours {:?}, Java {:?}", names(&our_header), names(&java_header)));
    }
    if (our_header.origin_tag, our_header.destination_tag) != (java_header.origin_tag, java_header.destination_tag) {
        problems.push(format!(
            "tags differ: ours {}→{}, Java {}→{}",
            our_header.origin_tag, our_header.destination_tag, java_header.origin_tag, java_header.destination_tag
        ));
    }
    if comparable_tags(&our_header.tags) != comparable_tags(&java_header.tags) {
        problems.push(format!("header tags differ: ours {:?}, Java {:?}", our_header.tags, java_header.tags));
    }
    if let Some(at) = first_difference(our_body, java_body) {
        let window = |b: &[u8]| format!("{:02x?}", &b[at.saturating_sub(8).min(b.len())..(at + 16).min(b.len())]);
        problems.push(format!(
            "bodies differ at body byte {at} (ours {} bytes, Java {}): ours {} Java {}",
            our_body.len(),
            java_body.len(),
            window(our_body),
            window(java_body)
        ));
    }
    (!problems.is_empty()).then(|| format!("{name}: {}", problems.join("; ")))
}

/// Replay a scenario; return the number of blobs compared.
fn replay(scenario: &str) -> usize {
    let dir = vectors().join(scenario);
    let manifest = load_json(&dir.join("manifest.json"));
    let versions: Vec<u64> = manifest["versions"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    let settings = &manifest["producerSettings"];

    let mut engine = WriteStateEngine::new();
    if let Some(size) = settings["targetMaxTypeShardSize"].as_str() {
        engine.set_target_max_type_shard_size(size.parse().unwrap());
    }
    engine.set_allow_type_resharding(settings["typeResharding"].as_str() == Some("true"));

    // Register types in the order Java's engine holds them (its first snapshot lists them all).
    let first_snapshot = fs::read(dir.join(format!("blobs/snapshot-{}", versions[0]))).unwrap();
    let java_order: Vec<String> = split(&first_snapshot).0.schemas.iter().map(|s| s.name().to_owned()).collect();
    let first_state = load_json(&dir.join(format!("expected/state-{}.json", versions[0])));
    let mut schemas = BTreeMap::new();
    for t in first_state["types"].as_array().unwrap() {
        let s = schema_from_json(&t["schema"]);
        schemas.insert(s.name().to_owned(), s);
    }
    assert_eq!(java_order.len(), schemas.len(), "{scenario}: types in the dump vs the blob");
    for name in &java_order {
        engine.add_schema(schemas[name].clone()).unwrap();
    }

    let mut failures = Vec::new();
    let mut compared = 0;
    let mut previous: Option<u64> = None;
    for &version in &versions {
        let state = if version == versions[0] {
            first_state.clone()
        } else {
            load_json(&dir.join(format!("expected/state-{version}.json")))
        };
        engine.prepare_for_next_cycle();
        let types: BTreeMap<&str, &Value> =
            state["types"].as_array().unwrap().iter().map(|t| (t["schema"]["name"].as_str().unwrap(), t)).collect();
        for name in &java_order {
            let schema = schemas[name].clone();
            for record in types[name.as_str()]["records"].as_array().unwrap() {
                let expected = ordinal(&record["ordinal"]);
                let assigned = add_record(&mut engine, &schema, &record["value"]);
                assert_eq!(assigned, expected, "{scenario} v{version}: ordinal of a {name} record");
            }
        }
        for (k, v) in state["headerTags"].as_object().unwrap() {
            engine.set_header_tag(k.clone(), v.as_str().unwrap());
        }
        engine.override_next_randomized_tag(state["randomizedTag"].as_i64().unwrap());

        let blobs = dir.join("blobs");
        let mut check = |name: String, write: &dyn Fn(&mut WriteStateEngine, &mut Vec<u8>) -> hollow::Result<()>| {
            let mut out = Vec::new();
            write(&mut engine, &mut out).unwrap_or_else(|e| panic!("{scenario} {name}: {e}"));
            if let Some(problem) = compare(&name, &out, &blobs.join(&name)) {
                failures.push(format!("{scenario} {problem}"));
            }
            compared += 1;
        };
        check(format!("header-{version}"), &|e, out| e.write_header_blob(out));
        check(format!("snapshot-{version}"), &|e, out| e.write_snapshot(out));
        if let Some(prev) = previous {
            check(format!("delta-{prev}-{version}"), &|e, out| e.write_delta(out));
            check(format!("reversedelta-{version}-{prev}"), &|e, out| e.write_reverse_delta(out));
        }
        previous = Some(version);
    }
    assert!(failures.is_empty(), "{} of {compared} blobs differ:\n{}", failures.len(), failures.join("\n"));
    compared
}

#[test]
fn strings_scenario_is_byte_identical() {
    assert_eq!(replay("strings"), 10);
}

#[test]
fn primitives_scenario_is_byte_identical() {
    assert_eq!(replay("primitives"), 10);
}

#[test]
fn collections_scenario_is_byte_identical() {
    assert_eq!(replay("collections"), 10);
}

#[test]
fn sharded_scenario_is_byte_identical() {
    assert_eq!(replay("sharded"), 6);
}

#[test]
fn sharded_reshard_scenario_is_byte_identical() {
    assert_eq!(replay("sharded-reshard"), 10);
}

//! Helpers shared by the integration tests, mostly about the Java reference vectors (`tests/vectors`):
//! reading a scenario's blobs, manifest, schemas and expected states, rebuilding records from the
//! expected JSON, and comparing blobs with Java's.
//!
//! Each test crate includes this module and uses a part of it.
#![allow(dead_code)]

pub mod recording;
pub mod s3;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use hollow::blob::{BlobHeader, TAG_RESHARDING_INVOKED};
use hollow::encoding::ByteReader;
use hollow::schema::{FieldType, ListSchema, MapSchema, ObjectField, ObjectSchema, Schema, SetSchema};
use hollow::write::{ListRecord, MapRecord, ObjectRecord, SetRecord, WriteStateEngine};
use serde_json::Value;

/// The scenarios of the reference vectors.
pub const SCENARIOS: [&str; 5] = ["strings", "primitives", "collections", "sharded", "sharded-reshard"];

/// `tests/vectors/<scenario>`.
pub fn scenario_dir(scenario: &str) -> PathBuf {
    vectors().join(scenario)
}

/// A blob of a scenario, by file name.
pub fn read_blob(scenario: &str, name: &str) -> Vec<u8> {
    let path = scenario_dir(scenario).join("blobs").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// `expected/state-<v>.json`, or its `.json.gz` when the file is large.
pub fn read_expected(scenario: &str, version: i64) -> String {
    let path = scenario_dir(scenario).join("expected").join(format!("state-{version}.json"));
    String::from_utf8(read_maybe_gzipped(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The versions of a scenario, ascending (from its manifest).
pub fn versions(scenario: &str) -> Vec<i64> {
    let json = load_json(&scenario_dir(scenario).join("manifest.json"));
    json["versions"].as_array().expect("versions").iter().map(|v| v.as_i64().expect("version")).collect()
}

/// A fresh empty directory under the system temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hollow-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `hollow-rs/tests/vectors` (this module is shared by the library's tests and the CLI crate's,
/// whose manifest sits one level down in `hollow-rs/cli`).
pub fn vectors() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let own = here.join("tests/vectors");
    if own.is_dir() {
        own
    } else {
        here.join("../tests/vectors")
    }
}

/// A JSON file of the vectors, parsed; read from its `.json.gz` when the file is large.
pub fn load_json(path: &Path) -> Value {
    serde_json::from_slice(&read_maybe_gzipped(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The bytes of `path`, or, when it does not exist, the gunzipped bytes of `path` + `.gz`.
fn read_maybe_gzipped(path: &Path) -> Vec<u8> {
    if path.exists() {
        return fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    }
    let gz = path.with_extension("json.gz");
    let file = fs::File::open(&gz).unwrap_or_else(|e| panic!("reading {}: {e}", gz.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file).read_to_end(&mut out).unwrap_or_else(|e| panic!("{}: {e}", gz.display()));
    out
}

/// xorshift64: deterministic, dependency-free pseudo-randomness (a test's data follows from its seed,
/// which must not be 0).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`; 0 when `n` is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    /// True once in `one_in` times, on average.
    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

pub fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
}

pub fn schema_from_json(s: &Value) -> Schema {
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

pub fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

pub fn ordinal(v: &Value) -> u32 {
    v.as_u64().unwrap() as u32
}

/// Add one record from its JSON dump; return the ordinal the engine assigned.
pub fn add_record(engine: &mut WriteStateEngine, schema: &Schema, value: &Value) -> u32 {
    add_record_translated(engine, schema, value, &|_, o| o)
}

/// Add one record from its JSON dump, with each ordinal it refers to (of type `t`, as Java numbered
/// it) replaced by `translate(t, ordinal)`; return the ordinal the engine assigned.
pub fn add_record_translated(
    engine: &mut WriteStateEngine,
    schema: &Schema,
    value: &Value,
    translate: &dyn Fn(&str, u32) -> u32,
) -> u32 {
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
                    FieldType::Reference => r.set_reference(
                        name,
                        translate(f.referenced_type.as_deref().unwrap_or_default(), ordinal(&v["ref"])),
                    ),
                };
            }
            engine.add(&s.name, &r)
        }
        Schema::List(s) => {
            let r: ListRecord =
                value["elements"].as_array().unwrap().iter().map(|e| translate(&s.element_type, ordinal(e))).collect();
            engine.add(&s.name, &r)
        }
        Schema::Set(s) => {
            let r: SetRecord =
                value["elements"].as_array().unwrap().iter().map(|e| translate(&s.element_type, ordinal(e))).collect();
            engine.add(&s.name, &r)
        }
        Schema::Map(s) => {
            let r: MapRecord = value["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (translate(&s.key_type, ordinal(&e[0])), translate(&s.value_type, ordinal(&e[1]))))
                .collect();
            engine.add(&s.name, &r)
        }
    };
    result.unwrap_or_else(|e| panic!("adding a {} record: {e}", schema.name()))
}

/// Header tags with the resharding tag's entries put in a canonical order.
pub fn comparable_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut tags = tags.clone();
    if let Some(v) = tags.get_mut(TAG_RESHARDING_INVOKED) {
        let mut parts: Vec<&str> = v.split(' ').collect();
        parts.sort_unstable();
        *v = parts.join(" ");
    }
    tags
}

/// Split a blob into its header and body.
pub fn split(blob: &[u8]) -> (BlobHeader, &[u8]) {
    let mut r = ByteReader::new(blob);
    let header = BlobHeader::read(&mut r).unwrap();
    let at = r.position() as usize;
    (header, &blob[at..])
}

/// The first index at which two byte strings differ.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| x != y).or(if a.len() != b.len() { Some(a.len().min(b.len())) } else { None })
}

/// Compare one blob with Java's; return a description of the difference, if any.
pub fn compare(name: &str, ours: &[u8], java_path: &Path) -> Option<String> {
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

/// One scenario of the reference vectors: its versions, producer settings and schemas.
pub struct Scenario {
    pub name: String,
    pub dir: PathBuf,
    pub versions: Vec<u64>,
    pub settings: Value,
    /// Type names in the order Java's write engine holds them (its first snapshot lists them all).
    pub java_order: Vec<String>,
    pub schemas: BTreeMap<String, Schema>,
}

impl Scenario {
    pub fn load(name: &str) -> Scenario {
        let dir = vectors().join(name);
        let manifest = load_json(&dir.join("manifest.json"));
        let versions: Vec<u64> = manifest["versions"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        let first_snapshot = fs::read(dir.join(format!("blobs/snapshot-{}", versions[0]))).unwrap();
        let java_order: Vec<String> = split(&first_snapshot).0.schemas.iter().map(|s| s.name().to_owned()).collect();
        let first_state = load_json(&dir.join(format!("expected/state-{}.json", versions[0])));
        let mut schemas = BTreeMap::new();
        for t in first_state["types"].as_array().unwrap() {
            let s = schema_from_json(&t["schema"]);
            schemas.insert(s.name().to_owned(), s);
        }
        assert_eq!(java_order.len(), schemas.len(), "{name}: types in the dump vs the blob");
        Scenario {
            name: name.to_owned(),
            dir,
            versions,
            settings: manifest["producerSettings"].clone(),
            java_order,
            schemas,
        }
    }

    /// The expected state of `version`.
    pub fn state(&self, version: u64) -> Value {
        load_json(&self.dir.join(format!("expected/state-{version}.json")))
    }

    /// The path of one of Java's blobs, by its file name.
    pub fn blob_path(&self, name: &str) -> PathBuf {
        self.dir.join("blobs").join(name)
    }

    /// A write engine with the scenario's producer settings and its types registered in Java's order.
    pub fn new_engine(&self) -> WriteStateEngine {
        let mut engine = WriteStateEngine::new();
        if let Some(size) = self.settings["targetMaxTypeShardSize"].as_str() {
            engine.set_target_max_type_shard_size(size.parse().unwrap());
        }
        engine.set_allow_type_resharding(self.settings["typeResharding"].as_str() == Some("true"));
        for name in &self.java_order {
            engine.add_schema(self.schemas[name].clone()).unwrap();
        }
        engine
    }

    /// Add every record of `state` (an expected state), dependencies first and by ascending ordinal
    /// within a type, checking that each gets the ordinal Java gave it. Then set the state's header
    /// tags and randomized tag, so the engine writes the blobs Java wrote.
    pub fn add_state(&self, engine: &mut WriteStateEngine, state: &Value) {
        let version = &state["version"];
        for (name, ordinals) in self.add_state_translated(engine, state) {
            for (java, assigned) in ordinals {
                assert_eq!(assigned, java, "{} v{version}: ordinal of a {name} record", self.name);
            }
        }
    }

    /// Add every record of `state` like [`Self::add_state`], but let the engine number records its own
    /// way: references are translated to the ordinals the engine gave. Returns, per type, Java's
    /// ordinal → the engine's.
    pub fn add_state_translated(
        &self,
        engine: &mut WriteStateEngine,
        state: &Value,
    ) -> BTreeMap<String, BTreeMap<u32, u32>> {
        let types: BTreeMap<&str, &Value> =
            state["types"].as_array().unwrap().iter().map(|t| (t["schema"]["name"].as_str().unwrap(), t)).collect();
        let mut assigned: BTreeMap<String, BTreeMap<u32, u32>> = BTreeMap::new();
        for name in &self.java_order {
            let schema = &self.schemas[name];
            let mut ordinals = BTreeMap::new();
            for record in types[name.as_str()]["records"].as_array().unwrap() {
                let translate = |t: &str, o: u32| {
                    *assigned.get(t).and_then(|m| m.get(&o)).unwrap_or_else(|| panic!("{name} refers to {t} {o}"))
                };
                let ours = add_record_translated(engine, schema, &record["value"], &translate);
                ordinals.insert(ordinal(&record["ordinal"]), ours);
            }
            assigned.insert(name.clone(), ordinals);
        }
        for (k, v) in state["headerTags"].as_object().unwrap() {
            engine.set_header_tag(k.clone(), v.as_str().unwrap());
        }
        engine.override_next_randomized_tag(state["randomizedTag"].as_i64().unwrap());
        assigned
    }
}

/// A retriever that hands out `inner`'s blobs but names a local file that is not there (as when the
/// file was removed between its retrieval and its mapping): a mapping consumer must fall back to the
/// bytes retrieved.
pub struct VanishedLocalFile<R>(pub R, pub PathBuf);

impl<R: hollow::store::BlobRetriever> hollow::store::BlobRetriever for VanishedLocalFile<R> {
    fn retrieve_snapshot(&self, desired: hollow::store::Version) -> hollow::Result<Option<hollow::store::Blob>> {
        self.0.retrieve_snapshot(desired)
    }
    fn retrieve_delta(&self, from: hollow::store::Version) -> hollow::Result<Option<hollow::store::Blob>> {
        self.0.retrieve_delta(from)
    }
    fn retrieve_reverse_delta(&self, from: hollow::store::Version) -> hollow::Result<Option<hollow::store::Blob>> {
        self.0.retrieve_reverse_delta(from)
    }
    fn local_file(&self, _: &hollow::store::BlobId) -> Option<PathBuf> {
        Some(self.1.clone())
    }
}

//! Helpers shared by the robustness tests (`corrupt_blobs`, `alloc_bound`): vector blobs, a small
//! sharded chain that reshards, and a reader that touches everything a state holds.
#![allow(dead_code)]

use hollow::read::lookup::{find_map_entry, find_set_element, BoundKey, SetMapKeyValue};
use hollow::read::{ReadStateEngine, TypeReadState};
use hollow::schema::{FieldType, ListSchema, MapSchema, ObjectField, ObjectSchema, Schema, SetSchema};
use hollow::tools::checksum::HollowChecksum;
use hollow::tools::stringify::stringify;
use hollow::write::{ListRecord, MapRecord, ObjectRecord, SetRecord, WriteStateEngine};

pub const V1: &str = "20250101000000001";
pub const V2: &str = "20250101000000002";

/// A blob of the Java-written vectors.
pub fn vector(scenario: &str, file: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/{scenario}/blobs/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// xorshift64: deterministic, dependency-free pseudo-randomness.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Read everything a state holds through the public API: every record of every type (ghosts and one
/// ordinal past the end included), the checksum, and a few stringified records (which follow
/// references into other types). Whatever a blob loaded into, none of this may panic.
pub fn read_everything(engine: &ReadStateEngine) {
    let _ = HollowChecksum::for_state_engine(engine);
    for t in engine.types() {
        let end = (t.max_ordinal().max(-1) + 2) as u32;
        for o in 0..end.min(5000) {
            touch(t, o);
        }
        touch(t, u32::MAX);
        for o in t.populated().iter().take(4) {
            let _ = stringify(engine, t.name(), o);
        }
        probe_hash_key(engine, t);
    }
}

/// Look up a few sets or maps by a hash key, binding its paths through the blob's schemas.
fn probe_hash_key(engine: &ReadStateEngine, t: &TypeReadState) {
    let (root, paths) = match t.schema() {
        Schema::Set(s) => (&s.element_type, &s.hash_key),
        Schema::Map(m) => (&m.key_type, &m.hash_key),
        _ => return,
    };
    let Some(paths) = paths else { return };
    let Ok(bound) = BoundKey::bind(engine, root, paths) else { return };
    let key: Vec<SetMapKeyValue<'_>> = bound
        .paths()
        .iter()
        .map(|p| match p.leaf_type() {
            FieldType::Int => SetMapKeyValue::Int(1),
            FieldType::Long => SetMapKeyValue::Long(1),
            FieldType::Boolean => SetMapKeyValue::Boolean(true),
            FieldType::Float => SetMapKeyValue::Float(1.0),
            FieldType::Double => SetMapKeyValue::Double(1.0),
            FieldType::String => SetMapKeyValue::String("a"),
            FieldType::Bytes => SetMapKeyValue::Bytes(b"a"),
            FieldType::Reference => SetMapKeyValue::Reference(1),
        })
        .collect();
    for o in t.populated().iter().take(4) {
        let _ = find_set_element(engine, t.name(), o, &key);
        let _ = find_map_entry(engine, t.name(), o, &key);
    }
}

fn touch(t: &TypeReadState, o: u32) {
    match t {
        TypeReadState::Object(obj) => {
            for f in 0..obj.schema().fields.len() + 1 {
                let _ = (obj.read_int(o, f), obj.read_long(o, f), obj.read_ordinal(o, f), obj.is_null(o, f));
                let _ = (obj.read_string(o, f), obj.read_string_utf16(o, f), obj.read_bytes(o, f));
                let _ = (obj.read_float_bits(o, f), obj.read_double_bits(o, f), obj.read_boolean(o, f));
            }
        }
        TypeReadState::List(l) => {
            let _ = l.elements(o).count();
        }
        TypeReadState::Set(s) => {
            let _ = (s.size(o), s.elements(o).count(), s.contains_ordinal(o, 0), s.contains_ordinal(o, 3));
            for b in 0..s.num_buckets(o).min(64) {
                let _ = s.bucket(o, b);
            }
        }
        TypeReadState::Map(m) => {
            let _ = (m.size(o), m.entries(o).count(), m.get_by_key_ordinal(o, 0), m.get_by_key_ordinal(o, 3));
            for b in 0..m.num_buckets(o).min(64) {
                let _ = m.bucket(o, b);
            }
        }
    }
}

/// Two states written here, with the blobs between them.
pub struct Chain {
    pub snapshot1: Vec<u8>,
    pub snapshot2: Vec<u8>,
    pub delta: Vec<u8>,
    pub reverse: Vec<u8>,
}

fn schemas() -> Vec<Schema> {
    vec![
        ObjectSchema::new("Item")
            .with_field(ObjectField::new("id", FieldType::Int))
            .with_field(ObjectField::new("name", FieldType::String))
            .with_field(ObjectField::new("weight", FieldType::Double))
            .into(),
        ListSchema { name: "ListOfItem".into(), element_type: "Item".into() }.into(),
        SetSchema { name: "SetOfItem".into(), element_type: "Item".into(), hash_key: Some(vec!["id".into()]) }.into(),
        MapSchema {
            name: "MapOfItemToItem".into(),
            key_type: "Item".into(),
            value_type: "Item".into(),
            hash_key: None,
        }
        .into(),
    ]
}

fn populate(engine: &mut WriteStateEngine, ids: std::ops::Range<i32>) {
    let mut items = Vec::new();
    for id in ids {
        let mut r = ObjectRecord::new();
        r.set_int("id", id).set_string("name", &format!("item {id}")).set_double("weight", id as f64 / 4.0);
        items.push(engine.add("Item", &r).unwrap());
    }
    for (k, w) in items.windows(3).enumerate() {
        if k % 2 == 0 {
            engine.add("ListOfItem", &w.iter().copied().collect::<ListRecord>()).unwrap();
            engine.add("SetOfItem", &w.iter().copied().collect::<SetRecord>()).unwrap();
            engine.add("MapOfItemToItem", &[(w[0], w[1]), (w[2], w[0])].into_iter().collect::<MapRecord>()).unwrap();
        }
    }
}

/// A small chain whose types have several shards and change shard counts between the two states.
pub fn sharded_chain() -> Chain {
    let mut engine = WriteStateEngine::new();
    for s in schemas() {
        engine.add_schema(s).unwrap();
    }
    engine.set_target_max_type_shard_size(64);
    engine.set_allow_type_resharding(true);
    engine.seed_randomized_tags(7);
    populate(&mut engine, 0..40);
    let mut snapshot1 = Vec::new();
    engine.write_snapshot(&mut snapshot1).unwrap();
    let shards1 = engine.num_shards("Item").unwrap();
    engine.prepare_for_next_cycle();
    populate(&mut engine, 20..110);
    let (mut snapshot2, mut delta, mut reverse) = (Vec::new(), Vec::new(), Vec::new());
    engine.write_snapshot(&mut snapshot2).unwrap();
    engine.write_delta(&mut delta).unwrap();
    engine.write_reverse_delta(&mut reverse).unwrap();
    let shards2 = engine.num_shards("Item").unwrap();
    assert!(shards1 > 1 && shards2 != shards1, "Item shards {shards1} -> {shards2}: the chain should reshard");
    Chain { snapshot1, snapshot2, delta, reverse }
}

//! Bytes as a change script over a small keyed dataset: the typed diff between its states.
//!
//! The first byte sizes the first state; the rest are operations (add, delete, change a scalar, a list
//! element, a set, a map value, a shared referenced record), with a `0xFF` byte ending the first run
//! of changes (state `b`) and the rest leading through further states to `c`, so ordinals are freed
//! and reused. Checked, for every pair: no panic; `diff(x, x)` is empty; `diff(y, x)` is the inverse
//! of `diff(x, y)`; the fast path (one delta apart) and the in-place comparison agree; and the change
//! set, applied in memory to `x`'s root records by key, gives `y`'s.

#![no_main]

use std::collections::BTreeMap;

use hollow::diff::{canonical, diff, Change, DiffOptions, StateDiff};
use hollow::mapper::{read_generic, GenericValue};
use hollow::read::ReadStateEngine;
use hollow::schema::dsl::parse_schemas;
use hollow::write::WriteStateEngine;
use hollow::ObjectMapper;
use libfuzzer_sys::fuzz_target;

const SCHEMAS: &str = "String { string value; } Integer { int value; } \
    Owner { String name; int age; } \
    ListOfString List<String>; SetOfString Set<String>; MapOfStringToInteger Map<String,Integer>; \
    Item @PrimaryKey(id) { int id; String name; Owner owner; ListOfString tags; SetOfString labels; \
        MapOfStringToInteger counts; } \
    Note { string text; }";

#[derive(Clone, Default)]
struct Item {
    name: u8,
    owner: u8,
    tags: Vec<u8>,
    labels: Vec<u8>,
    counts: BTreeMap<u8, i32>,
}

#[derive(Clone, Default)]
struct Dataset {
    items: BTreeMap<i32, Item>,
    owners: [u8; 4],
    notes: Vec<u8>,
}

fn string(s: String) -> GenericValue {
    GenericValue::Object { type_name: "String".into(), fields: vec![("value".into(), GenericValue::String(s))] }
}

fn record(type_name: &str, fields: Vec<(&str, GenericValue)>) -> GenericValue {
    GenericValue::Object {
        type_name: type_name.into(),
        fields: fields.into_iter().map(|(n, v)| (n.into(), v)).collect(),
    }
}

impl Dataset {
    fn write(&self, engine: &mut WriteStateEngine) {
        let mut mapper = ObjectMapper::new();
        for (&id, item) in &self.items {
            let owner = self.owners[item.owner as usize % 4];
            let mut labels = item.labels.clone();
            labels.sort_unstable();
            labels.dedup();
            let value = record(
                "Item",
                vec![
                    ("id", GenericValue::Int(id)),
                    ("name", string(format!("n{}", item.name))),
                    (
                        "owner",
                        record(
                            "Owner",
                            vec![("name", string(format!("o{owner}"))), ("age", GenericValue::Int(i32::from(owner)))],
                        ),
                    ),
                    (
                        "tags",
                        GenericValue::List {
                            type_name: "ListOfString".into(),
                            elements: item.tags.iter().map(|t| string(format!("t{t}"))).collect(),
                        },
                    ),
                    (
                        "labels",
                        GenericValue::Set {
                            type_name: "SetOfString".into(),
                            elements: labels.iter().map(|t| string(format!("l{t}"))).collect(),
                        },
                    ),
                    (
                        "counts",
                        GenericValue::Map {
                            type_name: "MapOfStringToInteger".into(),
                            entries: item
                                .counts
                                .iter()
                                .map(|(k, v)| {
                                    (string(format!("k{k}")), record("Integer", vec![("value", GenericValue::Int(*v))]))
                                })
                                .collect(),
                        },
                    ),
                ],
            );
            mapper.add_generic(engine, &value).expect("an item is written");
        }
        for n in &self.notes {
            mapper
                .add_generic(engine, &record("Note", vec![("text", GenericValue::String(format!("note {n}")))]))
                .expect("a note is written");
        }
    }

    fn apply(&mut self, op: u8, arg: u8) {
        let ids: Vec<i32> = self.items.keys().copied().collect();
        let pick = ids.get(arg as usize % ids.len().max(1)).copied();
        match op % 9 {
            0 => {
                self.items
                    .insert(i32::from(arg), Item { name: arg, owner: arg, tags: vec![arg % 3], ..Item::default() });
            }
            1 => {
                pick.map(|id| self.items.remove(&id));
            }
            2 => {
                if let Some(item) = pick.and_then(|id| self.items.get_mut(&id)) {
                    item.name = item.name.wrapping_add(1);
                }
            }
            3 => {
                if let Some(item) = pick.and_then(|id| self.items.get_mut(&id)) {
                    match item.tags.len() {
                        0 => item.tags.push(arg % 5),
                        n => item.tags[arg as usize % n] = item.tags[arg as usize % n].wrapping_add(1),
                    }
                }
            }
            4 => self.owners[arg as usize % 4] = self.owners[arg as usize % 4].wrapping_add(1),
            5 => {
                if let Some(item) = pick.and_then(|id| self.items.get_mut(&id)) {
                    item.labels.push(arg % 7);
                }
            }
            6 => {
                if let Some(item) = pick.and_then(|id| self.items.get_mut(&id)) {
                    *item.counts.entry(arg % 3).or_insert(0) += 1;
                }
            }
            7 => self.notes.push(arg % 8),
            _ => {
                if let Some(item) = pick.and_then(|id| self.items.get_mut(&id)) {
                    item.owner = item.owner.wrapping_add(1);
                }
            }
        }
        self.notes.sort_unstable();
        self.notes.dedup();
    }
}

fn key_text(key: &[GenericValue]) -> String {
    // `Display` is the JSON form.
    key.iter().map(GenericValue::to_string).collect::<Vec<_>>().join(",")
}

fn key_of(record: &GenericValue, primary_key: Option<&[String]>) -> String {
    match primary_key {
        None => key_text(std::slice::from_ref(record)),
        Some(paths) => key_text(
            &paths
                .iter()
                .map(|p| p.split('.').try_fold(record, |v, f| v.field(f)).cloned().unwrap_or(GenericValue::Null))
                .collect::<Vec<_>>(),
        ),
    }
}

fn root_records(engine: &ReadStateEngine, d: &StateDiff) -> BTreeMap<String, BTreeMap<String, GenericValue>> {
    let mut out = BTreeMap::new();
    for t in d.types.iter().filter(|t| t.is_root) {
        let mut records = BTreeMap::new();
        if let Some(state) = engine.type_state(&t.type_name) {
            for o in state.populated().iter() {
                let value = canonical(read_generic(engine, &t.type_name, o).expect("a populated record reads"));
                records.insert(key_of(&value, t.primary_key.as_deref()), value);
            }
        }
        out.insert(t.type_name.clone(), records);
    }
    out
}

fn check_pair(x: &ReadStateEngine, y: &ReadStateEngine) {
    let options = DiffOptions::default();
    let forward = diff(x, y, &options).expect("diff");
    let backward = diff(y, x, &options).expect("reverse diff");
    let compared = diff(x, y, &DiffOptions { compare_all: true, ..options.clone() }).expect("diff compared");
    assert_eq!(forward.types, compared.types, "the fast path and the comparison agree");
    for (f, b) in forward.types.iter().zip(&backward.types) {
        assert_eq!((f.added, f.removed, f.modified, f.unchanged), (b.removed, b.added, b.modified, b.unchanged));
        assert_eq!(f.added_records, b.removed_records);
        assert_eq!(f.removed_records, b.added_records);
        for (m, n) in f.modified_records.iter().zip(&b.modified_records) {
            assert_eq!((&m.key, &m.old, &m.new), (&n.key, &n.new, &n.old));
        }
    }
    let mut records = root_records(x, &forward);
    for change in forward.to_change_set() {
        let t = forward.type_diff(change.type_name()).expect("a changed type is in the diff");
        let of_type = records.get_mut(change.type_name()).expect("a root type");
        match change {
            Change::Upsert { record, .. } => {
                of_type.insert(key_of(&record, t.primary_key.as_deref()), record);
            }
            Change::Delete { key, .. } => {
                assert!(of_type.remove(&key_text(&key)).is_some(), "a deleted key was there");
            }
        }
    }
    assert!(records == root_records(y, &forward), "the change set takes x's root records to y's");
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, script)) = data.split_first() else { return };
    let mut dataset = Dataset::default();
    for i in 0..(size % 16) {
        dataset.apply(0, i.wrapping_mul(37));
    }
    let mut states = vec![dataset.clone()];
    for (i, pair) in script.chunks(2).take(64).enumerate() {
        if pair[0] == 0xFF || i % 16 == 15 {
            states.push(dataset.clone());
            continue;
        }
        dataset.apply(pair[0], pair.get(1).copied().unwrap_or(0));
    }
    states.push(dataset);
    states.truncate(5);

    let mut engine = WriteStateEngine::new();
    for schema in parse_schemas(SCHEMAS).expect("the schemas parse") {
        engine.add_schema(schema).expect("a schema registers");
    }
    engine.seed_randomized_tags(u64::from(size) + 1);
    let mut read: Vec<ReadStateEngine> = Vec::new();
    for (cycle, d) in states.iter().enumerate() {
        if cycle > 0 {
            engine.prepare_for_next_cycle();
        }
        d.write(&mut engine);
        let next = match read.last() {
            None => {
                let mut snapshot = Vec::new();
                engine.write_snapshot(&mut snapshot).expect("snapshot");
                ReadStateEngine::from_snapshot(&snapshot).expect("snapshot loads")
            }
            Some(previous) => {
                let mut delta = Vec::new();
                engine.write_delta(&mut delta).expect("delta");
                previous.apply_delta(&delta).expect("delta applies")
            }
        };
        read.push(next);
    }
    let first = &read[0];
    assert!(diff(first, first, &DiffOptions::default()).expect("diff").is_empty());
    for later in &read[1..] {
        check_pair(first, later);
    }
    if read.len() > 2 {
        check_pair(&read[1], &read[2]);
    }
});

//! Restoring a write engine from a state consumers hold, then continuing the delta chain.
//!
//! An engine writes a state; a fresh engine restores from that state as read back from its snapshot
//! and runs the next cycle. Its delta must apply to the consumers' state (the origin tag matches),
//! reach exactly the state its own snapshot holds, keep the ordinals of unchanged records, and, when
//! the first engine carried on instead, be the very same blob.

use hollow::read::ReadStateEngine;
use hollow::schema::{FieldType, ListSchema, MapSchema, ObjectField, ObjectSchema, Schema, SetSchema};
use hollow::tools::dump::dump_state;
use hollow::write::{ListRecord, MapRecord, ObjectRecord, SetRecord, WriteStateEngine};
use hollow::Error;

fn studio_schema() -> Schema {
    ObjectSchema::new("Studio").with_field(ObjectField::new("name", FieldType::String)).into()
}

fn item_schema() -> ObjectSchema {
    ObjectSchema::new("Item")
        .with_field(ObjectField::new("id", FieldType::Int))
        .with_field(ObjectField::new("count", FieldType::Long))
        .with_field(ObjectField::new("ratio", FieldType::Float))
        .with_field(ObjectField::new("weight", FieldType::Double))
        .with_field(ObjectField::new("flag", FieldType::Boolean))
        .with_field(ObjectField::new("name", FieldType::String))
        .with_field(ObjectField::new("blob", FieldType::Bytes))
        .with_field(ObjectField::reference("studio", "Studio"))
}

fn schemas() -> Vec<Schema> {
    vec![
        studio_schema(),
        item_schema().into(),
        ListSchema { name: "ListOfItem".into(), element_type: "Item".into() }.into(),
        SetSchema { name: "SetOfItem".into(), element_type: "Item".into(), hash_key: Some(vec!["id".into()]) }.into(),
        MapSchema {
            name: "MapOfStudioToItem".into(),
            key_type: "Studio".into(),
            value_type: "Item".into(),
            hash_key: Some(vec!["name".into()]),
        }
        .into(),
    ]
}

fn engine_with(schemas: Vec<Schema>) -> WriteStateEngine {
    let mut engine = WriteStateEngine::new();
    for s in schemas {
        engine.add_schema(s).unwrap();
    }
    engine
}

/// An Item's values. `name` is UTF-16 so it can hold lone surrogates.
#[derive(Debug, Clone)]
struct Item {
    id: i32,
    count: Option<i64>,
    ratio: Option<f32>,
    weight: Option<f64>,
    flag: Option<bool>,
    name: Option<Vec<u16>>,
    blob: Option<Vec<u8>>,
    studio: Option<usize>,
}

impl PartialEq for Item {
    /// Equal when the record would be: floats by bits, so NaN equals NaN.
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.count == other.count
            && self.ratio.map(f32::to_bits) == other.ratio.map(f32::to_bits)
            && self.weight.map(f64::to_bits) == other.weight.map(f64::to_bits)
            && self.flag == other.flag
            && self.name == other.name
            && self.blob == other.blob
            && self.studio == other.studio
    }
}

fn item(id: i32) -> Item {
    let text = format!("item {id}");
    Item {
        id,
        count: (id % 5 != 1).then_some(id as i64 * 1_000_000_007),
        ratio: (id % 7 != 4).then(|| match id % 6 {
            0 => f32::NAN,
            1 => f32::from_bits(0x7FC0_1234), // a NaN with a payload: stored as the canonical NaN
            2 => -0.0,
            3 => f32::INFINITY,
            _ => id as f32 / 3.0,
        }),
        weight: (id % 9 != 2).then(|| if id % 4 == 0 { f64::NAN } else { id as f64 * -1.5 }),
        flag: [None, Some(true), Some(false)][id as usize % 3],
        name: match id % 4 {
            0 => None,
            1 => Some(vec![0xD800, b'x' as u16]), // a lone high surrogate
            2 => Some(text.encode_utf16().chain([0xDC01]).collect()), // a lone low surrogate
            _ => Some(format!("{text} é ✓ 𝄞").encode_utf16().collect()),
        },
        blob: (id % 3 != 0).then(|| (0..id as u8 % 7).collect()),
        studio: (id % 8 != 3).then_some(id as usize % 3),
    }
}

/// The records of one state, by value; references are indices into the same state's vectors.
#[derive(Debug, Clone, Default)]
struct Data {
    studios: Vec<String>,
    items: Vec<Item>,
    lists: Vec<Vec<usize>>,
    sets: Vec<Vec<usize>>,
    maps: Vec<Vec<(usize, usize)>>,
}

fn data(ids: impl IntoIterator<Item = i32>) -> Data {
    let items: Vec<Item> = ids.into_iter().map(item).collect();
    let n = items.len();
    Data {
        studios: vec!["Acme".into(), "Bolt".into(), "Ça va".into()],
        lists: (0..n / 3).map(|i| vec![i, (i * 7) % n, i, (i * 5 + 1) % n]).collect(),
        sets: (0..n / 4).map(|i| vec![(i * 3) % n, (i * 11 + 2) % n, (i + 1) % n]).collect(),
        maps: (0..n / 5).map(|i| vec![(i % 3, (i * 13) % n), ((i + 1) % 3, i)]).collect(),
        items,
    }
}

/// The ordinals one `populate` call got, per type, in the order of `Data`'s vectors.
#[derive(Debug, Clone, Default, PartialEq)]
struct Ordinals {
    studios: Vec<u32>,
    items: Vec<u32>,
    lists: Vec<u32>,
    sets: Vec<u32>,
    maps: Vec<u32>,
}

fn populate(engine: &mut WriteStateEngine, d: &Data) -> Ordinals {
    let mut o = Ordinals::default();
    let mut r = ObjectRecord::new();
    for s in &d.studios {
        r.clear().set_string("name", s);
        o.studios.push(engine.add("Studio", &r).unwrap());
    }
    for it in &d.items {
        r.clear().set_int("id", it.id);
        it.count.map(|v| r.set_long("count", v));
        it.ratio.map(|v| r.set_float("ratio", v));
        it.weight.map(|v| r.set_double("weight", v));
        it.flag.map(|v| r.set_boolean("flag", v));
        it.name.as_ref().map(|v| r.set_string_utf16("name", v));
        it.blob.as_ref().map(|v| r.set_bytes("blob", v));
        it.studio.map(|s| r.set_reference("studio", o.studios[s]));
        o.items.push(engine.add("Item", &r).unwrap());
    }
    for l in &d.lists {
        o.lists.push(engine.add("ListOfItem", &l.iter().map(|&i| o.items[i]).collect::<ListRecord>()).unwrap());
    }
    for s in &d.sets {
        // Added in a different order than the set holds them: the canonical form sorts.
        o.sets.push(engine.add("SetOfItem", &s.iter().rev().map(|&i| o.items[i]).collect::<SetRecord>()).unwrap());
    }
    for m in &d.maps {
        let map: MapRecord = m.iter().map(|&(k, v)| (o.studios[k], o.items[v])).collect();
        o.maps.push(engine.add("MapOfStudioToItem", &map).unwrap());
    }
    o
}

fn snapshot(engine: &mut WriteStateEngine) -> Vec<u8> {
    let mut out = Vec::new();
    engine.write_snapshot(&mut out).unwrap();
    out
}

fn delta(engine: &mut WriteStateEngine) -> Vec<u8> {
    let mut out = Vec::new();
    engine.write_delta(&mut out).unwrap();
    out
}

fn reverse_delta(engine: &mut WriteStateEngine) -> Vec<u8> {
    let mut out = Vec::new();
    engine.write_reverse_delta(&mut out).unwrap();
    out
}

/// Every type's schema, shard count, populated ordinals and records, as the dump tool writes them,
/// without what may differ between equal states (tags, and the max ordinal, which counts ghosts).
fn contents(state: &ReadStateEngine) -> Vec<String> {
    let dump = dump_state(state, 0);
    let types = &dump[dump.find("\"types\":[").unwrap()..];
    types
        .lines()
        .map(|line| match line.find("\"maxOrdinal\":") {
            Some(at) => {
                let end = at + line[at..].find(',').unwrap();
                format!("{}{}", &line[..at], &line[end + 1..])
            }
            None => line.to_owned(),
        })
        .collect()
}

fn assert_same_contents(a: &ReadStateEngine, b: &ReadStateEngine, what: &str) {
    let (a, b) = (contents(a), contents(b));
    if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
        panic!("{what}: states differ at dump line {i}:\n{:?}\nvs\n{:?}", a.get(i), b.get(i));
    }
}

/// Check Item records of `state` against `d` and the ordinals they were given.
fn check_items(state: &ReadStateEngine, d: &Data, o: &Ordinals, what: &str) {
    let items = state.object("Item").unwrap();
    let f = |name: &str| items.field_index(name).unwrap();
    for (it, &ordinal) in d.items.iter().zip(&o.items) {
        assert!(items.populated().contains(ordinal), "{what}: Item {} at {ordinal}", it.id);
        assert_eq!(items.read_int(ordinal, f("id")), Some(it.id), "{what}: Item at {ordinal}");
        assert_eq!(items.read_long(ordinal, f("count")), it.count, "{what}: Item {}", it.id);
        let canonical_f = |v: f32| if v.is_nan() { 0x7FC0_0000 } else { v.to_bits() };
        assert_eq!(items.read_float_bits(ordinal, f("ratio")), it.ratio.map(canonical_f), "{what}: Item {}", it.id);
        let canonical_d = |v: f64| if v.is_nan() { 0x7FF8_0000_0000_0000 } else { v.to_bits() };
        assert_eq!(items.read_double_bits(ordinal, f("weight")), it.weight.map(canonical_d), "{what}: Item {}", it.id);
        assert_eq!(items.read_boolean(ordinal, f("flag")), it.flag, "{what}: Item {}", it.id);
        assert_eq!(items.read_string_utf16(ordinal, f("name")), it.name, "{what}: Item {}", it.id);
        assert_eq!(items.read_bytes(ordinal, f("blob")), it.blob.as_deref(), "{what}: Item {}", it.id);
        assert_eq!(items.read_ordinal(ordinal, f("studio")), it.studio.map(|s| o.studios[s]), "{what}: Item {}", it.id);
    }
    assert_eq!(items.populated().count(), dedup_len(&o.items), "{what}: Item count");
}

fn dedup_len(ordinals: &[u32]) -> usize {
    let mut v = ordinals.to_vec();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// State 2 of the chain: most of state 1 kept, some records dropped, some changed, some new.
fn second_state() -> Data {
    let mut d = data((0..40).filter(|i| i % 10 != 7));
    d.items[3].count = Some(-1); // changed
    d.items.extend([item(100), item(101), item(102)]); // new
    d.lists.push(vec![0, 36, 37]);
    d.sets[2] = vec![1, 2, 38];
    d.maps.pop();
    d.studios.push("Newcomer".into());
    d
}

#[test]
fn a_restored_engine_continues_the_chain_exactly_as_the_original() {
    let s1 = data(0..40);
    let mut original = engine_with(schemas());
    original.set_header_tag("custom", "one");
    let o1 = populate(&mut original, &s1);
    let snapshot1 = snapshot(&mut original);
    let consumer = ReadStateEngine::from_snapshot(&snapshot1).unwrap();
    check_items(&consumer, &s1, &o1, "state 1");

    let mut restored = engine_with(schemas());
    restored.restore_from(&consumer).unwrap();
    assert_eq!(restored.previous_randomized_tag(), consumer.randomized_tag());
    assert_eq!(restored.previous_header_tags().get("custom").map(String::as_str), Some("one"));
    assert!(restored.has_changed_since_last_cycle(), "nothing added yet: every record would be removed");

    // The same next cycle on both engines, with the same tag for the new state.
    let s2 = second_state();
    original.prepare_for_next_cycle();
    let o2 = populate(&mut original, &s2);
    let o2_restored = populate(&mut restored, &s2);
    assert_eq!(o2_restored, o2, "the restored engine assigns the ordinals the original does");
    let kept = |i: usize| s1.items.iter().position(|it| *it == s2.items[i]);
    let unchanged = (0..s2.items.len()).filter_map(|i| kept(i).map(|j| (i, j))).collect::<Vec<_>>();
    assert_eq!(unchanged.len(), 35);
    for (i, j) in unchanged {
        assert_eq!(o2_restored.items[i], o1.items[j], "unchanged Item {} keeps its ordinal", s2.items[i].id);
    }
    for e in [&mut original, &mut restored] {
        e.override_next_randomized_tag(0x1234_5678_9ABC_DEF0);
        e.set_header_tag("custom", "two");
    }

    let (delta_r, reverse_r, snapshot_r) =
        (delta(&mut restored), reverse_delta(&mut restored), snapshot(&mut restored));
    assert_eq!(delta_r, delta(&mut original), "delta");
    assert_eq!(reverse_r, reverse_delta(&mut original), "reverse delta");
    assert_eq!(snapshot_r, snapshot(&mut original), "snapshot");

    let forward = consumer.apply_delta(&delta_r).expect("the delta continues the consumer's chain");
    let from_snapshot = ReadStateEngine::from_snapshot(&snapshot_r).unwrap();
    assert_same_contents(&forward, &from_snapshot, "state 2 via delta vs snapshot");
    check_items(&forward, &s2, &o2, "state 2 via delta");
    let back = forward.apply_reverse_delta(&reverse_r).unwrap();
    assert_same_contents(&back, &consumer, "state 1 via reverse delta");
    assert_eq!(back.header_tags().get("custom").map(String::as_str), Some("one"));
}

#[test]
fn restoring_a_state_with_holes_and_ghosts() {
    // Three cycles, so the state restored from has free ordinals below its max and removed records.
    let mut original = engine_with(schemas());
    populate(&mut original, &data(0..60));
    let snapshot1 = snapshot(&mut original);
    original.prepare_for_next_cycle();
    let s2 = data((0..60).filter(|i| i % 4 != 1));
    let o2 = populate(&mut original, &s2);
    let snapshot2 = snapshot(&mut original);
    let delta2 = delta(&mut original);
    let consumer = ReadStateEngine::from_snapshot(&snapshot2).unwrap();

    let mut restored = engine_with(schemas());
    restored.restore_from(&consumer).unwrap();
    let mut s3 = data((0..60).filter(|i| i % 4 != 1 && i % 9 != 0));
    s3.items.extend((200..220).map(item));
    s3.lists.push(vec![1, 2, 3]);
    let o3 = populate(&mut restored, &s3);
    let (delta3, reverse3, snapshot3) = (delta(&mut restored), reverse_delta(&mut restored), snapshot(&mut restored));

    // New records fill the holes left by state 2, largest first (as Java after a restore).
    let holes: Vec<u32> = (0..60u32).filter(|o| !consumer.object("Item").unwrap().populated().contains(*o)).collect();
    let new_ordinals: Vec<u32> = o3.items[o3.items.len() - 20..].to_vec();
    let mut expected_new: Vec<u32> = holes.iter().rev().copied().collect();
    let max = *o2.items.iter().max().unwrap();
    expected_new.extend((max + 1..).take(20));
    expected_new.truncate(20);
    assert_eq!(new_ordinals, expected_new);
    for (it, &o) in s3.items.iter().zip(&o3.items) {
        if let Some(j) = s2.items.iter().position(|x| x == it) {
            assert_eq!(o, o2.items[j], "Item {} keeps its ordinal", it.id);
        }
    }

    // The restored-from consumer, and one that followed the chain from state 1 (so still holds state 1's
    // removed records as ghosts), both apply the new delta and reach the snapshot's state.
    let follower = ReadStateEngine::from_snapshot(&snapshot1).unwrap().apply_delta(&delta2).unwrap();
    let from_snapshot = ReadStateEngine::from_snapshot(&snapshot3).unwrap();
    check_items(&from_snapshot, &s3, &o3, "state 3");
    for (start, what) in [(&consumer, "from snapshot 2"), (&follower, "from snapshot 1 and delta 2")] {
        let state3 = start.apply_delta(&delta3).unwrap();
        assert_same_contents(&state3, &from_snapshot, &format!("state 3 via delta, {what}"));
        assert_same_contents(&state3.apply_delta(&reverse3).unwrap(), &consumer, "state 2 via reverse delta");
    }
}

#[test]
fn an_unchanged_cycle_after_a_restore_has_no_changes() {
    let s1 = data(0..30);
    let mut original = engine_with(schemas());
    let o1 = populate(&mut original, &s1);
    let consumer = ReadStateEngine::from_snapshot(&snapshot(&mut original)).unwrap();

    let mut restored = engine_with(schemas());
    restored.restore_from(&consumer).unwrap();
    let o = populate(&mut restored, &s1);
    assert_eq!(o, o1);
    assert!(!restored.has_changed_since_last_cycle());
    let d = delta(&mut restored);
    let forward = consumer.apply_delta(&d).unwrap();
    assert_same_contents(&forward, &consumer, "after an empty delta");
    assert!(forward.types().all(|t| consumer.shares_type_with(&forward, t.name())), "no type section in the delta");

    // And the cycle after that continues normally.
    restored.prepare_for_next_cycle();
    let mut s2 = s1.clone();
    s2.items[0].id = 1000;
    populate(&mut restored, &s2);
    assert!(restored.has_changed_since_last_cycle());
    let next = forward.apply_delta(&delta(&mut restored)).unwrap();
    assert_same_contents(&next, &ReadStateEngine::from_snapshot(&snapshot(&mut restored)).unwrap(), "state 3");
}

#[test]
fn an_abandoned_cycle_after_a_restore_returns_to_the_restored_state() {
    let s1 = data(0..30);
    let mut original = engine_with(schemas());
    let o1 = populate(&mut original, &s1);
    let consumer = ReadStateEngine::from_snapshot(&snapshot(&mut original)).unwrap();

    let mut restored = engine_with(schemas());
    restored.restore_from(&consumer).unwrap();
    populate(&mut restored, &data(100..140));
    restored.reset_to_last_prepare_for_next_cycle();
    let o = populate(&mut restored, &s1);
    assert_eq!(o, o1);
    assert!(!restored.has_changed_since_last_cycle());
}

#[test]
fn shard_counts_are_kept() {
    let mut original = engine_with(schemas());
    original.set_target_max_type_shard_size(256);
    populate(&mut original, &data(0..200));
    let consumer = ReadStateEngine::from_snapshot(&snapshot(&mut original)).unwrap();
    let item_shards = consumer.type_state("Item").unwrap().num_shards();
    assert!(item_shards > 1);

    // With the default (large) target and resharding off, the restored engine keeps the counts.
    let mut restored = engine_with(schemas());
    restored.restore_from(&consumer).unwrap();
    assert_eq!(restored.num_shards("Item"), Some(item_shards));
    populate(&mut restored, &data(0..201));
    let d = delta(&mut restored);
    assert_eq!(restored.num_shards("Item"), Some(item_shards));
    assert!(restored.header_tag(hollow::blob::TAG_RESHARDING_INVOKED).is_none());
    consumer.apply_delta(&d).unwrap();

    // A pinned count that differs cannot be restored into.
    let mut pinned = engine_with(schemas());
    pinned.set_num_shards("Item", item_shards * 2).unwrap();
    let err = pinned.restore_from(&consumer).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(ref m) if m.contains("shards")), "{err}");
}

#[test]
fn types_missing_on_either_side() {
    let mut original = engine_with(schemas());
    populate(&mut original, &data(0..20));
    let consumer = ReadStateEngine::from_snapshot(&snapshot(&mut original)).unwrap();

    // The new engine dropped the map type and has a new type.
    let mut new_schemas = schemas();
    new_schemas.pop();
    new_schemas.push(ObjectSchema::new("Extra").with_field(ObjectField::new("v", FieldType::Int)).into());
    let mut restored = engine_with(new_schemas);
    restored.restore_from(&consumer).unwrap();
    assert_eq!(restored.num_shards("Extra"), None, "a type the state lacks starts empty");
    let mut d = data(0..20);
    d.maps.clear();
    populate_without_maps(&mut restored, &d);
    let mut r = ObjectRecord::new();
    r.set_int("v", 7);
    assert_eq!(restored.add("Extra", &r).unwrap(), 0);
    let bytes = delta(&mut restored);
    let forward = consumer.apply_delta(&bytes).unwrap();
    assert_eq!(forward.object("Item").unwrap().populated().count(), 20);
    // The consumer knows nothing of Extra (it skips the section), and keeps its map type as it was.
    assert!(forward.object("Extra").is_none());
    assert!(forward.shares_type_with(&consumer, "MapOfStudioToItem"));
}

fn populate_without_maps(engine: &mut WriteStateEngine, d: &Data) {
    let mut d = d.clone();
    d.maps.clear();
    populate(engine, &d);
}

#[test]
fn restoring_into_a_used_engine_or_across_incompatible_schemas_fails_cleanly() {
    let mut original = engine_with(schemas());
    populate(&mut original, &data(0..20));
    let consumer = ReadStateEngine::from_snapshot(&snapshot(&mut original)).unwrap();

    let err = original.restore_from(&consumer).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");

    let incompatible: [(Schema, &str); 4] = [
        (ObjectSchema::new("Studio").with_field(ObjectField::new("name", FieldType::Bytes)).into(), "field name"),
        (
            ObjectSchema::new("Studio").with_field(ObjectField::reference("name", "String")).into(),
            "REFERENCE to String",
        ),
        (ListSchema { name: "Studio".into(), element_type: "Item".into() }.into(), "kind"),
        (ListSchema { name: "ListOfItem".into(), element_type: "Studio".into() }.into(), "element type"),
    ];
    for (schema, message) in incompatible {
        let name = schema.name().to_owned();
        let mut engine =
            engine_with(schemas().into_iter().map(|s| if s.name() == name { schema.clone() } else { s }).collect());
        let err = engine.restore_from(&consumer).unwrap_err();
        assert!(matches!(err, Error::SchemaMismatch(ref m) if m.contains(message)), "{name}: {err}");
        // Nothing was restored: the engine starts a chain of its own as if new.
        assert_eq!(engine.previous_randomized_tag(), hollow::write::NO_STATE_TAG);
        assert!(!engine.has_changed_since_last_cycle());
    }
}

/// Item with a field added (`rank`) and one removed (`blob`).
fn evolved_item_schema() -> Schema {
    let mut s = item_schema();
    s.fields.retain(|f| f.name != "blob");
    s.fields.insert(2, ObjectField::new("rank", FieldType::Int));
    s.into()
}

fn evolved_schemas() -> Vec<Schema> {
    schemas().into_iter().map(|s| if s.name() == "Item" { evolved_item_schema() } else { s }).collect()
}

/// Add the studios and items of `d` under the evolved schema, with `rank(id)` as each item's rank;
/// `None` leaves an item's rank null.
fn add_evolved(engine: &mut WriteStateEngine, d: &Data, rank: &dyn Fn(i32) -> Option<i32>) -> Ordinals {
    let mut o = Ordinals::default();
    let mut r = ObjectRecord::new();
    for s in &d.studios {
        r.clear().set_string("name", s);
        o.studios.push(engine.add("Studio", &r).unwrap());
    }
    for it in &d.items {
        r.clear().set_int("id", it.id);
        it.count.map(|v| r.set_long("count", v));
        it.ratio.map(|v| r.set_float("ratio", v));
        it.weight.map(|v| r.set_double("weight", v));
        it.flag.map(|v| r.set_boolean("flag", v));
        it.name.as_ref().map(|v| r.set_string_utf16("name", v));
        it.studio.map(|s| r.set_reference("studio", o.studios[s]));
        rank(it.id).map(|v| r.set_int("rank", v));
        o.items.push(engine.add("Item", &r).unwrap());
    }
    o
}

#[test]
fn a_schema_change_keeps_ordinals_like_java() {
    let s1 = data(0..30);
    let mut original = engine_with(schemas());
    let o1 = populate(&mut original, &s1);
    let consumer = ReadStateEngine::from_snapshot(&snapshot(&mut original)).unwrap();

    let evolved = evolved_schemas();
    let mut restored = engine_with(evolved.clone());
    restored.restore_from(&consumer).unwrap();
    // Every record gains a rank, except Item 5. They keep their ordinals: Java matches records on the
    // fields both schemas have.
    let ranks = |id: i32| (id != 5).then_some(id * 10);
    let o2 = add_evolved(&mut restored, &s1, &ranks);
    assert_eq!(o2.items, o1.items);
    assert_eq!(o2.studios, o1.studios);

    // Abandoning the cycle puts the restored records back; the same adds give the same result.
    restored.reset_to_last_prepare_for_next_cycle();
    assert_eq!(add_evolved(&mut restored, &s1, &ranks).items, o1.items);

    let lists_etc = |engine: &mut WriteStateEngine, o: &Ordinals| {
        for l in &s1.lists {
            engine.add("ListOfItem", &l.iter().map(|&i| o.items[i]).collect::<ListRecord>()).unwrap();
        }
        for s in &s1.sets {
            engine.add("SetOfItem", &s.iter().map(|&i| o.items[i]).collect::<SetRecord>()).unwrap();
        }
        for m in &s1.maps {
            engine
                .add("MapOfStudioToItem", &m.iter().map(|&(k, v)| (o.studios[k], o.items[v])).collect::<MapRecord>())
                .unwrap();
        }
    };
    lists_etc(&mut restored, &o2);
    // Only the removed field's values changed, and records are matched without it: no change at all.
    assert!(!restored.has_changed_since_last_cycle());
    let snap = ReadStateEngine::from_snapshot(&snapshot(&mut restored)).unwrap();
    let items = snap.object("Item").unwrap();
    let rank = items.field_index("rank").unwrap();
    for (it, &o) in s1.items.iter().zip(&o2.items) {
        assert_eq!(items.read_int(o, rank), ranks(it.id), "Item {} in the new snapshot", it.id);
    }

    // The next cycle is an ordinary one: records are matched on all fields again.
    restored.prepare_for_next_cycle();
    let o3 = add_evolved(&mut restored, &s1, &|id| Some(id * 10));
    assert_eq!(o3.items.iter().filter(|&&o| !o1.items.contains(&o)).count(), 1, "Item 5 changed");
    lists_etc(&mut restored, &o3);
    let d = delta(&mut restored);
    let s = snapshot(&mut restored);
    let after = snap.apply_delta(&d).unwrap();
    assert_same_contents(&after, &ReadStateEngine::from_snapshot(&s).unwrap(), "evolved state 3");
}

#[test]
fn restored_records_are_the_bytes_add_produces() {
    // After a restore, adding a value `add` canonicalizes (a NaN with a payload, an explicit null) must
    // find the restored record, whose bytes were rebuilt through the same canonicalization.
    let schema: Schema = ObjectSchema::new("F").with_field(ObjectField::new("v", FieldType::Float)).into();
    let mut original = engine_with(vec![schema.clone()]);
    let mut r = ObjectRecord::new();
    r.set_float("v", f32::NAN);
    original.add("F", &r).unwrap();
    r.clear().set_float("v", 1.5);
    original.add("F", &r).unwrap();
    r.clear();
    original.add("F", &r).unwrap();
    let consumer = ReadStateEngine::from_snapshot(&snapshot(&mut original)).unwrap();

    let mut restored = engine_with(vec![schema]);
    restored.restore_from(&consumer).unwrap();
    r.clear().set_float("v", f32::from_bits(0xFFC0_0042));
    assert_eq!(restored.add("F", &r).unwrap(), 0);
    r.clear().set_float("v", 1.5);
    assert_eq!(restored.add("F", &r).unwrap(), 1);
    r.clear().set_null("v");
    assert_eq!(restored.add("F", &r).unwrap(), 2);
    assert!(!restored.has_changed_since_last_cycle());
}

#[test]
fn a_type_registered_after_the_restore_is_restored_too() {
    let s1 = data(0..20);
    let mut original = engine_with(schemas());
    let o1 = populate(&mut original, &s1);
    let consumer = ReadStateEngine::from_snapshot(&snapshot(&mut original)).unwrap();

    // The map type is registered only once the cycle is under way (a producer may register types from
    // its populate function).
    let mut restored = engine_with(schemas()[..4].to_vec());
    restored.restore_from(&consumer).unwrap();
    let map_schema = schemas().pop().unwrap();
    restored.add_schema(map_schema.clone()).unwrap();
    assert_eq!(populate(&mut restored, &s1), o1);
    assert!(!restored.has_changed_since_last_cycle());
    let d = delta(&mut restored);
    assert_same_contents(&consumer.apply_delta(&d).unwrap(), &consumer, "after the cycle");

    // Once the first cycle after the restore is written and the next begins, a type registered then
    // starts empty: the restored state is no longer the previous state.
    let mut late = engine_with(schemas()[..4].to_vec());
    late.restore_from(&consumer).unwrap();
    populate_without_maps(&mut late, &s1);
    delta(&mut late);
    late.prepare_for_next_cycle();
    late.add_schema(map_schema).unwrap();
    assert_eq!(late.num_shards("MapOfStudioToItem"), None);
    assert_eq!(late.add("MapOfStudioToItem", &MapRecord::new()).unwrap(), 0);
}

#[test]
fn an_abandoned_cycle_after_a_schema_change_puts_the_restored_records_back() {
    let s1 = data(0..12);
    let mut original = engine_with(schemas());
    let o1 = populate(&mut original, &s1);
    let consumer = ReadStateEngine::from_snapshot(&snapshot(&mut original)).unwrap();

    let mut restored = engine_with(evolved_schemas());
    restored.restore_from(&consumer).unwrap();
    // Every item takes over its restored record with a rank...
    assert_eq!(add_evolved(&mut restored, &s1, &|id| Some(id)).items, o1.items);
    restored.reset_to_last_prepare_for_next_cycle();
    // ...then the cycle is abandoned, and the next attempt leaves Item 7 out.
    let mut without_7 = s1.clone();
    without_7.items.retain(|it| it.id != 7);
    add_evolved(&mut restored, &without_7, &|id| Some(id));
    let removed = o1.items[7];

    // Item 7 is the restored record again, without a rank, as the reverse delta shows.
    let forward = ReadStateEngine::from_snapshot(&snapshot(&mut restored)).unwrap();
    let back = forward.apply_delta(&reverse_delta(&mut restored)).unwrap();
    let items = back.object("Item").unwrap();
    assert!(items.populated().contains(removed));
    assert_eq!(items.read_int(removed, items.field_index("id").unwrap()), Some(7));
    assert_eq!(items.read_int(removed, items.field_index("rank").unwrap()), None);
    assert_eq!(items.read_int(o1.items[6], items.field_index("rank").unwrap()), Some(6));
}

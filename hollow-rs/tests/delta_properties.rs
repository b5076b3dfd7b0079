//! Property: for random chains of cycles, the state reached by applying deltas equals the state loaded
//! from that version's snapshot, and reverse deltas walk back through the same states.
//!
//! Each case runs 2-8 cycles over a schema with an OBJECT type of every interesting field kind (int,
//! long, string, bytes, double, reference), a LIST, a SET with a hash key and a MAP, with records
//! added, removed and modified between cycles; some cases use tiny target shard sizes with resharding
//! on, so shard counts move. States are compared on every populated ordinal (every field, list, set
//! and map contents in bucket order) and on `HollowChecksum`.

mod common;

use std::collections::BTreeMap;

use common::Rng;
use hollow::read::{ReadStateEngine, TypeReadState};
use hollow::schema::{FieldType, ListSchema, MapSchema, ObjectField, ObjectSchema, Schema, SetSchema};
use hollow::tools::checksum::HollowChecksum;
use hollow::write::{ListRecord, MapRecord, ObjectRecord, SetRecord, WriteStateEngine};
use proptest::prelude::*;

fn schemas() -> Vec<Schema> {
    vec![
        ObjectSchema::new("Tag").with_field(ObjectField::new("label", FieldType::String)).into(),
        ObjectSchema::new("Item")
            .with_field(ObjectField::new("id", FieldType::Int))
            .with_field(ObjectField::new("count", FieldType::Long))
            .with_field(ObjectField::new("name", FieldType::String))
            .with_field(ObjectField::new("payload", FieldType::Bytes))
            .with_field(ObjectField::new("score", FieldType::Double))
            .with_field(ObjectField::reference("tag", "Tag"))
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

/// One item's values; `None` is null.
#[derive(Debug, Clone)]
struct Item {
    count: Option<i64>,
    name: Option<String>,
    payload: Option<Vec<u8>>,
    score: Option<f64>,
    tag: Option<u32>,
}

fn random_item(rng: &mut Rng, id: u64) -> Item {
    Item {
        count: (!rng.chance(5)).then(|| (rng.next() as i64) >> rng.below(64)),
        name: (!rng.chance(6)).then(|| format!("item-{id}-{}", rng.below(1000))),
        payload: (!rng.chance(4)).then(|| (0..rng.below(9)).map(|_| rng.next() as u8).collect()),
        score: (!rng.chance(5)).then(|| rng.below(1 << 20) as f64 / 7.0 - 1000.0),
        tag: (!rng.chance(3)).then(|| rng.below(6) as u32),
    }
}

/// The dataset of one cycle: items by id (changing between cycles), and collections by index.
#[derive(Default)]
struct Dataset {
    items: BTreeMap<u64, Item>,
    lists: Vec<Vec<u64>>,
    sets: Vec<Vec<u64>>,
    maps: Vec<Vec<(u64, u64)>>,
}

/// The next cycle's dataset: some items removed, some modified, some added; collections redrawn in part.
fn next_dataset(rng: &mut Rng, previous: &Dataset, next_id: &mut u64) -> Dataset {
    let mut d = Dataset::default();
    for (&id, item) in &previous.items {
        if rng.chance(5) {
            continue; // removed
        }
        let item = if rng.chance(4) { random_item(rng, id) } else { item.clone() };
        d.items.insert(id, item);
    }
    for _ in 0..rng.below(25) {
        let id = *next_id;
        *next_id += 1;
        d.items.insert(id, random_item(rng, id));
    }
    let ids: Vec<u64> = d.items.keys().copied().collect();
    if ids.is_empty() {
        return d;
    }
    let pick = |rng: &mut Rng| ids[rng.below(ids.len() as u64) as usize];
    let keep = |rng: &mut Rng, v: &[u64]| v.iter().all(|id| d.items.contains_key(id)) && !rng.chance(3);
    d.lists = previous.lists.iter().filter(|l| keep(rng, l)).cloned().collect();
    d.sets = previous.sets.iter().filter(|s| keep(rng, s)).cloned().collect();
    d.maps = previous
        .maps
        .iter()
        .filter(|m| {
            let flat: Vec<u64> = m.iter().flat_map(|&(k, v)| [k, v]).collect();
            keep(rng, &flat)
        })
        .cloned()
        .collect();
    for _ in 0..rng.below(8) {
        d.lists.push((0..rng.below(6)).map(|_| pick(rng)).collect());
        let mut set: Vec<u64> = (0..rng.below(7)).map(|_| pick(rng)).collect();
        set.sort_unstable();
        set.dedup();
        d.sets.push(set);
        let mut map = BTreeMap::new();
        for _ in 0..rng.below(6) {
            map.insert(pick(rng), pick(rng));
        }
        d.maps.push(map.into_iter().collect());
    }
    d
}

fn write_dataset(engine: &mut WriteStateEngine, d: &Dataset) {
    let mut tags = Vec::new();
    for t in 0..6 {
        let mut r = ObjectRecord::new();
        r.set_string("label", &format!("tag {t}"));
        tags.push(engine.add("Tag", &r).unwrap());
    }
    let mut ordinals = BTreeMap::new();
    for (&id, item) in &d.items {
        let mut r = ObjectRecord::new();
        r.set_int("id", id as i32);
        item.count.map(|v| r.set_long("count", v));
        item.name.as_ref().map(|v| r.set_string("name", v));
        item.payload.as_ref().map(|v| r.set_bytes("payload", v));
        item.score.map(|v| r.set_double("score", v));
        item.tag.map(|t| r.set_reference("tag", tags[t as usize]));
        ordinals.insert(id, engine.add("Item", &r).unwrap());
    }
    for l in &d.lists {
        engine.add("ListOfItem", &l.iter().map(|id| ordinals[id]).collect::<ListRecord>()).unwrap();
    }
    for s in &d.sets {
        engine.add("SetOfItem", &s.iter().map(|id| ordinals[id]).collect::<SetRecord>()).unwrap();
    }
    for m in &d.maps {
        engine
            .add("MapOfItemToItem", &m.iter().map(|(k, v)| (ordinals[k], ordinals[v])).collect::<MapRecord>())
            .unwrap();
    }
}

/// Everything the read API says about a record, to compare two states.
fn describe(t: &TypeReadState, o: u32) -> String {
    match t {
        TypeReadState::Object(obj) => (0..obj.schema().fields.len())
            .map(|f| match obj.field_type(f).unwrap() {
                FieldType::Int => format!("{:?}", obj.read_int(o, f)),
                FieldType::Long => format!("{:?}", obj.read_long(o, f)),
                FieldType::Boolean => format!("{:?}", obj.read_boolean(o, f)),
                FieldType::Float => format!("{:?}", obj.read_float_bits(o, f)),
                FieldType::Double => format!("{:?}", obj.read_double_bits(o, f)),
                FieldType::Reference => format!("{:?}", obj.read_ordinal(o, f)),
                FieldType::String => format!("{:?}", obj.read_string(o, f)),
                FieldType::Bytes => format!("{:?}", obj.read_bytes(o, f)),
            })
            .collect::<Vec<_>>()
            .join(","),
        TypeReadState::List(l) => format!("{:?}", l.elements(o).collect::<Vec<_>>()),
        TypeReadState::Set(s) => {
            format!("{} {:?}", s.size(o), (0..s.num_buckets(o)).map(|b| s.bucket(o, b)).collect::<Vec<_>>())
        }
        TypeReadState::Map(m) => {
            format!("{} {:?}", m.size(o), (0..m.num_buckets(o)).map(|b| m.bucket(o, b)).collect::<Vec<_>>())
        }
    }
}

/// A state's populated records, fully described, by type.
fn contents(e: &ReadStateEngine) -> BTreeMap<String, Vec<(u32, String)>> {
    e.types().map(|t| (t.name().to_owned(), t.populated().iter().map(|o| (o, describe(t, o))).collect())).collect()
}

fn assert_same_state(got: &ReadStateEngine, want: &ReadStateEngine, what: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.randomized_tag(), want.randomized_tag(), "{}: tag", what);
    let (g, w) = (contents(got), contents(want));
    prop_assert_eq!(g.keys().collect::<Vec<_>>(), w.keys().collect::<Vec<_>>(), "{}: types", what);
    for (name, records) in &w {
        prop_assert!(&g[name] == records, "{}: type {} differs:\n got  {:?}\n want {:?}", what, name, g[name], records);
    }
    prop_assert_eq!(
        HollowChecksum::for_state_engine(got),
        HollowChecksum::for_state_engine(want),
        "{}: checksum",
        what
    );
    Ok(())
}

/// Shard counts seen over a case (to check that resharding cases do reshard).
fn run_chain(seed: u64, cycles: usize, shard_size: Option<u64>) -> Result<Vec<u32>, TestCaseError> {
    let mut rng = Rng(seed | 1);
    let mut engine = WriteStateEngine::new();
    for s in schemas() {
        engine.add_schema(s).unwrap();
    }
    if let Some(size) = shard_size {
        engine.set_target_max_type_shard_size(size);
        engine.set_allow_type_resharding(true);
    }
    engine.seed_randomized_tags(seed);
    let mut next_id = 0;
    let mut dataset = Dataset::default();
    let mut snapshots = Vec::new();
    let mut reverses = Vec::new();
    let mut shard_counts = Vec::new();
    let mut via_deltas: Option<ReadStateEngine> = None;
    for cycle in 0..cycles {
        if cycle > 0 {
            engine.prepare_for_next_cycle();
        }
        dataset = next_dataset(&mut rng, &dataset, &mut next_id);
        write_dataset(&mut engine, &dataset);
        let mut snapshot = Vec::new();
        engine.write_snapshot(&mut snapshot).unwrap();
        let from_snapshot = ReadStateEngine::from_snapshot(&snapshot).unwrap();
        shard_counts.push(engine.num_shards("Item").unwrap_or(0));
        via_deltas = Some(match via_deltas {
            None => from_snapshot.clone(),
            Some(previous) => {
                let (mut delta, mut reverse) = (Vec::new(), Vec::new());
                engine.write_delta(&mut delta).unwrap();
                engine.write_reverse_delta(&mut reverse).unwrap();
                let next =
                    previous.apply_delta(&delta).map_err(|e| TestCaseError::fail(format!("cycle {cycle}: {e}")))?;
                assert_same_state(&next, &from_snapshot, &format!("cycle {cycle} via deltas"))?;
                reverses.push(reverse);
                next
            }
        });
        snapshots.push(from_snapshot);
    }
    // Walk back from the last state, reached through deltas, by reverse deltas.
    let mut state = via_deltas.expect("at least one cycle");
    for (cycle, reverse) in reverses.iter().enumerate().rev() {
        state =
            state.apply_reverse_delta(reverse).map_err(|e| TestCaseError::fail(format!("reverse to {cycle}: {e}")))?;
        assert_same_state(&state, &snapshots[cycle], &format!("back to cycle {cycle} via reverse deltas"))?;
    }
    Ok(shard_counts)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn deltas_reach_the_snapshot_states_and_reverse_deltas_walk_back(
        seed in any::<u64>(),
        cycles in 2usize..=8,
        shard_size in prop_oneof![Just(None), (6u32..=10).prop_map(|b| Some(1u64 << b))],
    ) {
        run_chain(seed, cycles, shard_size)?;
    }
}

/// The generator does exercise resharding: with tiny shards, shard counts move within a chain.
#[test]
fn tiny_shards_make_chains_reshard() {
    let moved = (0..8u64)
        .filter(|&seed| {
            let counts = run_chain(seed * 7919 + 13, 8, Some(64)).unwrap();
            counts.windows(2).any(|w| w[0] != w[1])
        })
        .count();
    assert!(moved >= 4, "only {moved} of 8 chains resharded");
}

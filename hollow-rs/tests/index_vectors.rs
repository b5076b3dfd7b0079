//! Indexes over Java-written blobs: each scenario is walked from the first snapshot by deltas to the
//! last version and back by reverse deltas. At every step the incrementally updated indexes and
//! indexes built from scratch must answer every key exactly as a scan of the populated records does.

mod common;

use std::collections::BTreeMap;

use common::read_blob;
use hollow::index::{HashIndex, KeyValue, PrimaryKeyIndex};
use hollow::read::ReadStateEngine;

/// The scenario's versions (from its manifest), as they appear in blob names.
fn versions(scenario: &str) -> Vec<String> {
    common::versions(scenario).iter().map(i64::to_string).collect()
}

/// The engines of a walk v1 -> ... -> vN -> ... -> v1, each with its version.
fn walk(scenario: &str) -> Vec<(String, ReadStateEngine)> {
    let vs = versions(scenario);
    let mut engine = ReadStateEngine::from_snapshot(&read_blob(scenario, &format!("snapshot-{}", vs[0]))).unwrap();
    let mut steps = vec![(vs[0].clone(), engine.clone())];
    for pair in vs.windows(2) {
        engine = engine.apply_delta(&read_blob(scenario, &format!("delta-{}-{}", pair[0], pair[1]))).unwrap();
        steps.push((pair[1].clone(), engine.clone()));
    }
    for pair in vs.windows(2).rev() {
        engine =
            engine.apply_reverse_delta(&read_blob(scenario, &format!("reversedelta-{}-{}", pair[1], pair[0]))).unwrap();
        steps.push((pair[0].clone(), engine.clone()));
    }
    steps
}

/// A key read by plain engine accessors, as an owned value to query with.
type Key = Vec<KeyValue<'static>>;

/// Every populated record of `type_name` with its key (records with a null key field are left
/// out), computed by `read_key` straight from the engine.
fn scan(e: &ReadStateEngine, type_name: &str, read_key: impl Fn(u32) -> Option<Key>) -> Vec<(u32, Key)> {
    let populated: Vec<u32> = e.type_state(type_name).unwrap().populated().iter().collect();
    populated.into_iter().filter_map(|o| Some((o, read_key(o)?))).collect()
}

fn string_of(e: &ReadStateEngine, type_name: &str, ordinal: u32, field: &str) -> Option<String> {
    let t = e.object(type_name).unwrap();
    t.read_string(ordinal, t.field_index(field).unwrap()).map(|s| s.into_owned())
}

fn reference(e: &ReadStateEngine, type_name: &str, ordinal: u32, field: &str) -> Option<u32> {
    let t = e.object(type_name).unwrap();
    t.read_ordinal(ordinal, t.field_index(field).unwrap())
}

/// Compare a primary key index with a scan: every scanned key finds a record with that key, and
/// keys that no record has find nothing.
fn check_primary(ix: &PrimaryKeyIndex, e: &ReadStateEngine, expected: &[(u32, Key)], absent: &[Key], what: &str) {
    let mut by_key: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (o, k) in expected {
        by_key.entry(format!("{k:?}")).or_default().push(*o);
    }
    for (_, k) in expected {
        let got = ix.get(e, k).unwrap_or_else(|| panic!("{what}: {k:?} not found"));
        assert!(by_key[&format!("{k:?}")].contains(&got), "{what}: {k:?} found {got}");
    }
    let keys: Vec<&[KeyValue<'_>]> = expected.iter().map(|(_, k)| k.as_slice()).collect();
    let batch = ix.get_many(e, &keys);
    assert_eq!(batch.len(), keys.len(), "{what}: one answer per key");
    for (got, (_, k)) in batch.into_iter().zip(expected) {
        assert!(got.is_some_and(|o| by_key[&format!("{k:?}")].contains(&o)), "{what}: batch {k:?}");
    }
    for k in absent {
        assert_eq!(ix.get(e, k), None, "{what}: {k:?} should not be found");
    }
}

/// Compare a hash index with a scan: each key finds exactly the records that have it.
fn check_hash(ix: &HashIndex, e: &ReadStateEngine, expected: &[(u32, Key)], what: &str) {
    let mut by_key: BTreeMap<String, (Key, Vec<u32>)> = BTreeMap::new();
    for (o, k) in expected {
        by_key.entry(format!("{k:?}")).or_insert_with(|| (k.clone(), Vec::new())).1.push(*o);
    }
    for (k, records) in by_key.values_mut() {
        records.sort_unstable();
        records.dedup();
        assert_eq!(&ix.find(e, k).to_vec(), records, "{what}: {k:?}");
    }
}

#[test]
fn collections_primary_keys_and_nested_hash_keys() {
    let steps = walk("collections");
    let build = |e: &ReadStateEngine| {
        (
            PrimaryKeyIndex::new(e, "Show").unwrap(),
            PrimaryKeyIndex::new(e, "Studio").unwrap(),
            PrimaryKeyIndex::new(e, "Person").unwrap(),
            HashIndex::new(e, "Show", &["cast.element.name"]).unwrap(),
            HashIndex::new(e, "Show", &["tags.element.value"]).unwrap(),
            HashIndex::new(e, "Show", &["roles.key.personId", "roles.value.lead"]).unwrap(),
            HashIndex::new(e, "Show", &["studio.address.city.value"]).unwrap(),
        )
    };
    let mut current = build(&steps[0].1);
    for (i, (version, e)) in steps.iter().enumerate() {
        if i > 0 {
            let prev = &steps[i - 1].1;
            current = (
                current.0.updated(prev, e).unwrap(),
                current.1.updated(prev, e).unwrap(),
                current.2.updated(prev, e).unwrap(),
                current.3.updated(prev, e).unwrap(),
                current.4.updated(prev, e).unwrap(),
                current.5.updated(prev, e).unwrap(),
                current.6.updated(prev, e).unwrap(),
            );
        }
        let show = e.object("Show").unwrap();
        let show_ids = scan(e, "Show", |o| Some(vec![show.read_long(o, 0)?.into()]));
        let studios = scan(e, "Studio", |o| {
            let city = reference(e, "Address", reference(e, "Studio", o, "address")?, "city")?;
            Some(vec![string_of(e, "Studio", o, "name")?.into(), string_of(e, "String", city, "value")?.into()])
        });
        let person = e.object("Person").unwrap();
        let people = scan(e, "Person", |o| Some(vec![person.read_int(o, 0)?.into()]));
        assert!(!show_ids.is_empty() && !studios.is_empty() && !people.is_empty());
        let elements = |list_type: &str, o: u32| -> Vec<u32> { e.list(list_type).unwrap().elements(o).collect() };
        let mut cast_names = Vec::new();
        let mut tags = Vec::new();
        let mut roles = Vec::new();
        let mut cities = Vec::new();
        for (o, _) in &show_ids {
            for p in reference(e, "Show", *o, "cast").map(|l| elements("ListOfPerson", l)).unwrap_or_default() {
                cast_names.extend(string_of(e, "Person", p, "name").map(|n| (*o, vec![n.into()])));
            }
            for s in reference(e, "Show", *o, "tags").map(|l| elements("ListOfString", l)).unwrap_or_default() {
                tags.extend(string_of(e, "String", s, "value").map(|t| (*o, vec![t.into()])));
            }
            if let Some(m) = reference(e, "Show", *o, "roles") {
                for (p, r) in e.map("MapOfPersonToRole").unwrap().entries(m) {
                    let (Some(id), Some(lead)) = (person.read_int(p, 0), e.object("Role").unwrap().read_boolean(r, 1))
                    else {
                        continue;
                    };
                    roles.push((*o, vec![id.into(), lead.into()]));
                }
            }
            let city = reference(e, "Show", *o, "studio")
                .and_then(|s| reference(e, "Studio", s, "address"))
                .and_then(|a| reference(e, "Address", a, "city"))
                .and_then(|c| string_of(e, "String", c, "value"));
            cities.extend(city.map(|c| (*o, vec![c.into()])));
        }
        assert!(!cast_names.is_empty() && !tags.is_empty() && !roles.is_empty() && !cities.is_empty());

        let fresh = build(e);
        for (ix, how) in [(&current, "updated"), (&fresh, "built")] {
            let what = format!("collections v{version} step {i} ({how})");
            check_primary(&ix.0, e, &show_ids, &[vec![KeyValue::Long(-42)]], &format!("{what} Show"));
            check_primary(&ix.1, e, &studios, &[vec!["nope".into(), "nowhere".into()]], &format!("{what} Studio"));
            check_primary(&ix.2, e, &people, &[vec![KeyValue::Int(-1)]], &format!("{what} Person"));
            check_hash(&ix.3, e, &cast_names, &format!("{what} cast names"));
            check_hash(&ix.4, e, &tags, &format!("{what} tags"));
            check_hash(&ix.5, e, &roles, &format!("{what} roles"));
            check_hash(&ix.6, e, &cities, &format!("{what} cities"));
            assert!(ix.3.find(e, &["nobody".into()]).is_empty());
        }
    }
}

/// An index, the state it is for, and the keys it must find there.
type Step = (PrimaryKeyIndex, ReadStateEngine, Vec<(u32, Key)>);

/// Thousands of changed records over many shards, with and without resharding.
#[test]
fn sharded_items_by_id_and_category() {
    for scenario in ["sharded", "sharded-reshard"] {
        let steps = walk(scenario);
        let mut by_id = PrimaryKeyIndex::new(&steps[0].1, "Item").unwrap();
        let mut by_category = HashIndex::new(&steps[0].1, "Item", &["category.value"]).unwrap();
        let mut by_part = HashIndex::new(&steps[0].1, "Item", &["parts.element.partNo"]).unwrap();
        let mut old: Option<Step> = None;
        for (i, (version, e)) in steps.iter().enumerate() {
            if i > 0 {
                let prev = &steps[i - 1].1;
                by_id = by_id.updated(prev, e).unwrap();
                by_category = by_category.updated(prev, e).unwrap();
                by_part = by_part.updated(prev, e).unwrap();
            }
            let item = e.object("Item").unwrap();
            let ids = scan(e, "Item", |o| Some(vec![item.read_long(o, 0)?.into()]));
            let categories = scan(e, "Item", |o| {
                Some(vec![string_of(e, "String", reference(e, "Item", o, "category")?, "value")?.into()])
            });
            let mut parts = Vec::new();
            for (o, _) in &ids {
                let list: Vec<u32> = match reference(e, "Item", *o, "parts") {
                    Some(l) => e.list("ListOfPart").unwrap().elements(l).collect(),
                    None => Vec::new(),
                };
                for p in list {
                    parts.extend(e.object("Part").unwrap().read_int(p, 0).map(|n| (*o, vec![n.into()])));
                }
            }
            let what = format!("{scenario} v{version} step {i}");
            check_primary(&by_id, e, &ids, &[vec![KeyValue::Long(1 << 40)]], &what);
            check_hash(&by_category, e, &categories, &what);
            check_hash(&by_part, e, &parts, &what);
            if i == 1 {
                check_primary(&PrimaryKeyIndex::new(e, "Item").unwrap(), e, &ids, &[], &format!("{what} (built)"));
                check_hash(&HashIndex::new(e, "Item", &["category.value"]).unwrap(), e, &categories, &what);
            }
            // The index of the previous step still answers for the previous state.
            if let Some((old_ix, old_engine, old_ids)) = &old {
                check_primary(old_ix, old_engine, old_ids, &[], &format!("{what} (previous index)"));
            }
            old = Some((by_id.clone(), e.clone(), ids));
        }
    }
}

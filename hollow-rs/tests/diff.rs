//! The typed diff (`hollow::diff`) on states built by the write engine and on the Java reference
//! vectors:
//!
//! * a random movie dataset (a keyed top type with a referenced record, a list, a set and a map) and
//!   random changes to it: the diff reports exactly the changed keys and the changed field paths, the
//!   reverse diff is its inverse, and the result is the same whether the new state is a snapshot, one
//!   delta away or several (the fast path and the in-place comparison agree);
//! * the change set, applied in memory to the old state's root records, gives the new state's;
//! * a parent whose bytes did not change but whose child ordinal was reused for another value;
//! * the `collections` vectors: per-type counts against the expected dumps.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::Rng;
use hollow::diff::{self, canonical, Change, DiffMethod, DiffOptions, StateDiff};
use hollow::mapper::{read_generic, GenericValue};
use hollow::read::ReadStateEngine;
use hollow::schema::dsl::parse_schemas;
use hollow::write::WriteStateEngine;
use hollow::ObjectMapper;
use proptest::prelude::*;
use serde_json::Value as Json;

const SCHEMAS: &str = "String { string value; } \
    Integer { int value; } \
    Director { String name; int born; } \
    ListOfString List<String>; \
    SetOfString Set<String>; \
    MapOfStringToInteger Map<String,Integer>; \
    Movie @PrimaryKey(id) { long id; String title; int year; Director director; ListOfString tags; \
        SetOfString genres; MapOfStringToInteger ratings; }";

#[derive(Debug, Clone, PartialEq)]
struct Movie {
    title: String,
    year: i32,
    director: usize,
    tags: Vec<String>,
    genres: BTreeSet<String>,
    ratings: BTreeMap<String, i32>,
}

/// Movies by id, and the directors they point at (by index).
#[derive(Debug, Clone, Default)]
struct Dataset {
    movies: BTreeMap<i64, Movie>,
    directors: Vec<(String, i32)>,
}

fn string(s: &str) -> GenericValue {
    GenericValue::Object { type_name: "String".into(), fields: vec![("value".into(), GenericValue::String(s.into()))] }
}

fn object(type_name: &str, fields: Vec<(&str, GenericValue)>) -> GenericValue {
    GenericValue::Object {
        type_name: type_name.into(),
        fields: fields.into_iter().map(|(n, v)| (n.into(), v)).collect(),
    }
}

impl Dataset {
    fn movie_value(&self, id: i64, m: &Movie) -> GenericValue {
        let (name, born) = &self.directors[m.director];
        object(
            "Movie",
            vec![
                ("id", GenericValue::Long(id)),
                ("title", string(&m.title)),
                ("year", GenericValue::Int(m.year)),
                ("director", object("Director", vec![("name", string(name)), ("born", GenericValue::Int(*born))])),
                (
                    "tags",
                    GenericValue::List {
                        type_name: "ListOfString".into(),
                        elements: m.tags.iter().map(|t| string(t)).collect(),
                    },
                ),
                (
                    "genres",
                    GenericValue::Set {
                        type_name: "SetOfString".into(),
                        elements: m.genres.iter().map(|t| string(t)).collect(),
                    },
                ),
                (
                    "ratings",
                    GenericValue::Map {
                        type_name: "MapOfStringToInteger".into(),
                        entries: m
                            .ratings
                            .iter()
                            .map(|(k, v)| (string(k), object("Integer", vec![("value", GenericValue::Int(*v))])))
                            .collect(),
                    },
                ),
            ],
        )
    }

    fn write(&self, engine: &mut WriteStateEngine) {
        let mut mapper = ObjectMapper::new();
        for (&id, m) in &self.movies {
            mapper.add_generic(engine, &self.movie_value(id, m)).unwrap();
        }
    }
}

fn random_movie(rng: &mut Rng, directors: usize) -> Movie {
    Movie {
        title: format!("title {}", rng.below(50)),
        year: 1950 + rng.below(70) as i32,
        director: rng.below(directors as u64) as usize,
        tags: (0..rng.below(4)).map(|_| format!("t{}", rng.below(8))).collect(),
        genres: (0..rng.below(4)).map(|_| format!("g{}", rng.below(6))).collect(),
        ratings: (0..rng.below(3)).map(|_| (format!("r{}", rng.below(4)), rng.below(10) as i32)).collect(),
    }
}

fn initial(rng: &mut Rng, n: usize) -> Dataset {
    let directors: Vec<(String, i32)> = (0..5).map(|d| (format!("director {d}"), 1930 + d)).collect();
    let mut d = Dataset { movies: BTreeMap::new(), directors };
    for id in 0..n as i64 {
        let m = random_movie(rng, d.directors.len());
        d.movies.insert(id, m);
    }
    d
}

/// Random changes of every kind the diff must see: add, delete, a scalar, a list element, a set, a map
/// value, a referenced record (a director's name, shared by all their movies).
fn changed(rng: &mut Rng, from: &Dataset, changes: usize, next_id: &mut i64) -> Dataset {
    let mut d = from.clone();
    for _ in 0..changes {
        let ids: Vec<i64> = d.movies.keys().copied().collect();
        let pick = |rng: &mut Rng| ids.get(rng.below(ids.len().max(1) as u64) as usize).copied();
        match rng.below(7) {
            0 => {
                let m = random_movie(rng, d.directors.len());
                d.movies.insert(*next_id, m);
                *next_id += 1;
            }
            1 => {
                pick(rng).map(|id| d.movies.remove(&id));
            }
            2 => {
                if let Some(m) = pick(rng).and_then(|id| d.movies.get_mut(&id)) {
                    m.year += 1;
                }
            }
            3 => {
                if let Some(m) = pick(rng).and_then(|id| d.movies.get_mut(&id)) {
                    if !m.tags.is_empty() {
                        let i = rng.below(m.tags.len() as u64) as usize;
                        m.tags[i].push('x');
                    }
                }
            }
            4 => {
                let director = rng.below(d.directors.len() as u64) as usize;
                d.directors[director].0.push('!');
            }
            5 => {
                if let Some(m) = pick(rng).and_then(|id| d.movies.get_mut(&id)) {
                    m.genres.insert(format!("g{}", rng.below(9)));
                }
            }
            _ => {
                if let Some(m) = pick(rng).and_then(|id| d.movies.get_mut(&id)) {
                    let key = format!("r{}", rng.below(4));
                    *m.ratings.entry(key).or_insert(0) += 1;
                }
            }
        }
    }
    d
}

/// The field paths that differ between two movies, worked out from the model (not by the diff's walk).
fn expected_paths(a: &Dataset, ma: &Movie, b: &Dataset, mb: &Movie) -> Vec<String> {
    let mut paths = Vec::new();
    if ma.title != mb.title {
        paths.push("title".to_owned());
    }
    if ma.year != mb.year {
        paths.push("year".to_owned());
    }
    let (da, db) = (&a.directors[ma.director], &b.directors[mb.director]);
    if da.0 != db.0 {
        paths.push("director.name".to_owned());
    }
    if da.1 != db.1 {
        paths.push("director.born".to_owned());
    }
    for i in 0..ma.tags.len().max(mb.tags.len()) {
        if ma.tags.get(i) != mb.tags.get(i) {
            paths.push(format!("tags[{i}]"));
        }
    }
    if ma.genres != mb.genres {
        paths.push("genres".to_owned());
    }
    let keys: BTreeSet<&String> = ma.ratings.keys().chain(mb.ratings.keys()).collect();
    for k in keys {
        if ma.ratings.get(k) != mb.ratings.get(k) {
            paths.push(format!("ratings{{\"{k}\"}}"));
        }
    }
    paths
}

/// The states of one producer run over `datasets`: each version's snapshot, and the state reached from
/// the first by deltas.
struct Run {
    snapshots: Vec<ReadStateEngine>,
    by_deltas: Vec<ReadStateEngine>,
}

fn produce(datasets: &[&Dataset], seed: u64) -> Run {
    let mut engine = WriteStateEngine::new();
    for schema in parse_schemas(SCHEMAS).unwrap() {
        engine.add_schema(schema).unwrap();
    }
    engine.seed_randomized_tags(seed);
    let mut run = Run { snapshots: Vec::new(), by_deltas: Vec::new() };
    for (cycle, d) in datasets.iter().enumerate() {
        if cycle > 0 {
            engine.prepare_for_next_cycle();
        }
        d.write(&mut engine);
        let mut snapshot = Vec::new();
        engine.write_snapshot(&mut snapshot).unwrap();
        let loaded = ReadStateEngine::from_snapshot(&snapshot).unwrap();
        let next = match run.by_deltas.last() {
            None => loaded.clone(),
            Some(previous) => {
                let mut delta = Vec::new();
                engine.write_delta(&mut delta).unwrap();
                previous.apply_delta(&delta).unwrap()
            }
        };
        run.snapshots.push(loaded);
        run.by_deltas.push(next);
    }
    run
}

/// The diff's content without its stats (which differ by method).
fn content(d: &StateDiff) -> Vec<hollow::diff::TypeDiff> {
    d.types.clone()
}

fn check_inverse(forward: &StateDiff, backward: &StateDiff) {
    assert_eq!(forward.types.len(), backward.types.len());
    for (f, b) in forward.types.iter().zip(&backward.types) {
        assert_eq!(f.type_name, b.type_name);
        assert_eq!(
            (f.added, f.removed, f.modified, f.unchanged),
            (b.removed, b.added, b.modified, b.unchanged),
            "{}",
            f.type_name
        );
        assert_eq!(f.added_records, b.removed_records, "{}", f.type_name);
        assert_eq!(f.removed_records, b.added_records, "{}", f.type_name);
        assert_eq!(f.modified_records.len(), b.modified_records.len());
        for (m, n) in f.modified_records.iter().zip(&b.modified_records) {
            assert_eq!((&m.key, &m.old, &m.new), (&n.key, &n.new, &n.old));
            let swapped: Vec<_> = n.fields.iter().map(|c| (c.path.clone(), c.new.clone(), c.old.clone())).collect();
            let fields: Vec<_> = m.fields.iter().map(|c| (c.path.clone(), c.old.clone(), c.new.clone())).collect();
            assert_eq!(fields, swapped);
        }
    }
}

/// The key of a root record, from the primary-key paths the diff reports (whole record without one).
fn key_of(record: &GenericValue, primary_key: Option<&[String]>) -> String {
    let key: Vec<GenericValue> = match primary_key {
        None => vec![record.clone()],
        Some(paths) => paths
            .iter()
            .map(|p| p.split('.').try_fold(record, |v, f| v.field(f)).cloned().unwrap_or(GenericValue::Null))
            .collect(),
    };
    Json::Array(key.iter().map(GenericValue::to_json).collect()).to_string()
}

/// Every root type's records (canonical), by key.
fn root_records(engine: &ReadStateEngine, d: &StateDiff) -> BTreeMap<String, BTreeMap<String, GenericValue>> {
    let mut out = BTreeMap::new();
    for t in d.types.iter().filter(|t| t.is_root) {
        let mut records = BTreeMap::new();
        if let Some(state) = engine.type_state(&t.type_name) {
            for o in state.populated().iter() {
                let record = canonical(read_generic(engine, &t.type_name, o).unwrap());
                records.insert(key_of(&record, t.primary_key.as_deref()), record);
            }
        }
        out.insert(t.type_name.clone(), records);
    }
    out
}

/// Apply the change set to `from`'s root records in memory and compare with `to`'s.
fn check_change_set_applies(from: &ReadStateEngine, to: &ReadStateEngine, d: &StateDiff) {
    let mut records = root_records(from, d);
    for change in d.to_change_set() {
        let t = d.type_diff(change.type_name()).unwrap();
        let of_type = records.get_mut(change.type_name()).unwrap();
        match change {
            Change::Upsert { record, .. } => {
                of_type.insert(key_of(&record, t.primary_key.as_deref()), record);
            }
            Change::Delete { key, .. } => {
                let key = Json::Array(key.iter().map(GenericValue::to_json).collect()).to_string();
                assert!(of_type.remove(&key).is_some(), "delete of a missing key {key}");
            }
        }
    }
    assert_eq!(records, root_records(to, d));
}

fn all_details() -> DiffOptions {
    DiffOptions::default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn diff_reports_exactly_the_changes_whatever_the_path_between_states(
        seed in 1u64..u64::MAX, size in 0usize..40, changes in 0usize..12, hops in 2usize..4,
    ) {
        let mut rng = Rng(seed);
        let a = initial(&mut rng, size);
        let mut next_id = size as i64;
        let b = changed(&mut rng, &a, changes, &mut next_id);
        // A second run reaches b through intermediate states that free and reuse ordinals.
        let mut via = vec![a.clone()];
        for _ in 1..hops {
            let next = changed(&mut rng, via.last().unwrap(), 6, &mut next_id);
            via.push(next);
        }
        via.push(b.clone());

        let direct = produce(&[&a, &b], seed);
        let chained = produce(&via.iter().collect::<Vec<_>>(), seed ^ 1);
        let (old, new) = (&direct.snapshots[0], &direct.by_deltas[1]);

        // diff(a, a) is empty, whether the same engine or the same snapshot loaded twice.
        let same = diff::diff(old, old, &all_details()).unwrap();
        prop_assert!(same.is_empty());
        let compare_all = DiffOptions { compare_all: true, ..all_details() };
        prop_assert!(diff::diff(old, &chained.snapshots[0], &compare_all).unwrap().is_empty());

        let one_delta = diff::diff(old, new, &all_details()).unwrap();
        prop_assert_eq!(one_delta.stats.method, DiffMethod::OneDelta);
        prop_assert_eq!(one_delta.stats.ordinals_compared, 0);
        // The fast path reads exactly the removed and added ordinals of the types the delta touched.
        let mut changed_ordinals = 0u64;
        for t in new.types() {
            let (mut removed, mut added) = (Vec::new(), Vec::new());
            old.type_state(t.name()).unwrap().populated().diff(t.populated(), &mut removed, &mut added);
            changed_ordinals += (removed.len() + added.len()) as u64;
        }
        prop_assert_eq!(one_delta.stats.records_read, changed_ordinals);

        // Exactly the changed keys, and exactly the changed paths.
        let movies = one_delta.type_diff("Movie").unwrap();
        let removed: Vec<i64> = a.movies.keys().filter(|id| !b.movies.contains_key(id)).copied().collect();
        let added: Vec<i64> = b.movies.keys().filter(|id| !a.movies.contains_key(id)).copied().collect();
        let mut modified = Vec::new();
        for (id, ma) in &a.movies {
            if let Some(mb) = b.movies.get(id) {
                let paths = expected_paths(&a, ma, &b, mb);
                if !paths.is_empty() {
                    modified.push((*id, paths));
                }
            }
        }
        let key_ids = |keys: Vec<&Vec<GenericValue>>| -> Vec<i64> { keys.iter().map(|k| k[0].as_i64().unwrap()).collect() };
        prop_assert_eq!(key_ids(movies.removed_records.iter().map(|r| &r.key).collect()), removed.clone());
        prop_assert_eq!(key_ids(movies.added_records.iter().map(|r| &r.key).collect()), added.clone());
        let reported: Vec<(i64, Vec<String>)> = movies
            .modified_records
            .iter()
            .map(|m| (m.key[0].as_i64().unwrap(), m.fields.iter().map(|f| f.path.clone()).collect()))
            .collect();
        prop_assert_eq!(&reported, &modified);
        prop_assert_eq!((movies.added, movies.removed, movies.modified), (added.len(), removed.len(), modified.len()));
        prop_assert_eq!(movies.unchanged, a.movies.len() - removed.len() - modified.len());
        for r in &movies.added_records {
            let id = r.key[0].as_i64().unwrap();
            prop_assert_eq!(&r.record, &canonical(b.movie_value(id, &b.movies[&id])));
        }

        // The same result by every route from a to b, fast path or in-place comparison.
        let routes = [
            ("snapshot", diff::diff(old, &direct.snapshots[1], &all_details()).unwrap()),
            ("compare all", diff::diff(old, new, &compare_all).unwrap()),
            ("delta chain", diff::diff(old, chained.by_deltas.last().unwrap(), &all_details()).unwrap()),
            ("chain snapshot", diff::diff(old, chained.snapshots.last().unwrap(), &all_details()).unwrap()),
            ("chain from its own a", diff::diff(&chained.by_deltas[0], chained.by_deltas.last().unwrap(), &all_details()).unwrap()),
        ];
        for (route, d) in &routes {
            prop_assert_eq!(content(d), content(&one_delta), "route {}", route);
        }
        prop_assert_eq!(routes[2].1.stats.method, DiffMethod::Compared);

        // The reverse diff is the inverse, by the fast path and by comparison.
        check_inverse(&one_delta, &diff::diff(new, old, &all_details()).unwrap());
        check_inverse(&routes[2].1, &diff::diff(chained.by_deltas.last().unwrap(), old, &all_details()).unwrap());

        // The change set takes a's root records to b's.
        check_change_set_applies(old, new, &one_delta);
        check_change_set_applies(old, chained.snapshots.last().unwrap(), &routes[3].1);

        // A limit keeps the counts and the first records in key order.
        let limited = diff::diff(old, new, &DiffOptions { detail_limit: Some(1), ..all_details() }).unwrap();
        let lm = limited.type_diff("Movie").unwrap();
        prop_assert_eq!((lm.added, lm.removed, lm.modified), (movies.added, movies.removed, movies.modified));
        prop_assert_eq!(&lm.modified_records[..], &movies.modified_records[..movies.modified.min(1)]);
        prop_assert_eq!(limited.is_complete(), movies.added <= 1 && movies.removed <= 1 && movies.modified <= 1);
    }
}

#[test]
fn a_reused_child_ordinal_changes_the_parent_without_changing_its_bytes() {
    let movie = |title: &str| {
        let mut d = Dataset { movies: BTreeMap::new(), directors: vec![("d".into(), 1)] };
        let m = Movie {
            title: title.into(),
            year: 2000,
            director: 0,
            tags: vec![],
            genres: BTreeSet::new(),
            ratings: BTreeMap::new(),
        };
        d.movies.insert(1, m);
        d
    };
    let (first, second) = (movie("Heat"), movie("Ronin"));
    let run = produce(&[&first, &Dataset { directors: first.directors.clone(), ..Dataset::default() }, &second], 7);
    let (a, c) = (&run.by_deltas[0], &run.by_deltas[2]);
    // The point of the test: the Movie record kept its ordinal and its bytes, only the title's String
    // record at the same ordinal changed.
    let movie_ordinal = |e: &ReadStateEngine| e.type_state("Movie").unwrap().populated().iter().collect::<Vec<_>>();
    assert_eq!(movie_ordinal(a), movie_ordinal(c));
    let title = |e: &ReadStateEngine| e.object("Movie").unwrap().read_raw(movie_ordinal(e)[0], 1).unwrap().0;
    assert_eq!(title(a), title(c), "the title reference kept its ordinal");

    let d = diff::diff(a, c, &DiffOptions::default()).unwrap();
    assert_eq!(d.stats.method, DiffMethod::Compared);
    let movies = d.type_diff("Movie").unwrap();
    assert_eq!((movies.added, movies.removed, movies.modified, movies.unchanged), (0, 0, 1, 0));
    let change = &movies.modified_records[0].fields;
    assert_eq!(change.len(), 1);
    assert_eq!(change[0].path, "title");
    assert_eq!(change[0].new, GenericValue::String("Ronin".into()));
    let strings = d.type_diff("String").unwrap();
    assert_eq!((strings.added, strings.removed), (1, 1));
    assert!(!strings.is_root, "String is referenced and has no key: it travels inside Movie");
    let text = d.render_text(10);
    assert!(text.contains("title: \"Heat\" -> \"Ronin\""), "{text}");
}

#[test]
fn options_restrict_types_and_override_keys() {
    let mut rng = Rng(99);
    let a = initial(&mut rng, 20);
    let mut b = a.clone();
    b.movies.get_mut(&3).unwrap().year += 5;
    let run = produce(&[&a, &b], 3);
    let only = DiffOptions { types: Some(["Movie".to_owned()].into()), ..DiffOptions::default() };
    let d = diff::diff(&run.by_deltas[0], &run.by_deltas[1], &only).unwrap();
    assert_eq!(d.types.iter().map(|t| t.type_name.as_str()).collect::<Vec<_>>(), ["Movie"]);
    assert_eq!(d.type_diff("Movie").unwrap().modified, 1);
    // Keyed by year instead of id: the changed movie is a different key, so a removal and an addition
    // (unless another movie has that year; then counts still add up).
    let by_year = DiffOptions {
        primary_keys: [("Movie".to_owned(), vec!["title".to_owned(), "id".to_owned(), "year".to_owned()])].into(),
        ..only
    };
    let d = diff::diff(&run.by_deltas[0], &run.by_deltas[1], &by_year).unwrap();
    let m = d.type_diff("Movie").unwrap();
    assert_eq!((m.added, m.removed, m.modified), (1, 1, 0));
    assert_eq!(m.removed_records[0].key.len(), 3);
    let bad = DiffOptions {
        primary_keys: [("ListOfString".to_owned(), vec!["x".to_owned()])].into(),
        ..DiffOptions::default()
    };
    assert!(diff::diff(&run.by_deltas[0], &run.by_deltas[1], &bad).is_err());
}

// ---- Java reference vectors ----

/// Per type, each record's key (primary key values from the stringified record, or the whole
/// stringified record) and its stringified value, from an expected dump.
fn expected_records(version: i64) -> BTreeMap<String, BTreeMap<String, String>> {
    let dump: Json = serde_json::from_str(&common::read_expected("collections", version)).unwrap();
    let mut out = BTreeMap::new();
    for t in dump["types"].as_array().unwrap() {
        let name = t["schema"]["name"].as_str().unwrap().to_owned();
        let key = common::strings(&t["schema"]["primaryKey"]);
        let mut records = BTreeMap::new();
        for r in t["records"].as_array().unwrap() {
            let text = r["stringifier"].as_str().unwrap().to_owned();
            let k = match &key {
                Some(paths) => {
                    let value: Json = serde_json::from_str(&text).unwrap();
                    let parts: Vec<Json> =
                        paths.iter().map(|p| p.split('.').fold(&value, |v, f| &v[f]).clone()).collect();
                    Json::Array(parts).to_string()
                }
                None => text.clone(),
            };
            records.insert(k, text);
        }
        out.insert(name, records);
    }
    out
}

fn check_vectors_transition(old_version: i64, new_version: i64, old: &ReadStateEngine, new: &ReadStateEngine) {
    let d = diff::diff(old, new, &DiffOptions::default()).unwrap();
    let (a, b) = (expected_records(old_version), expected_records(new_version));
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let empty = BTreeMap::new();
    let mut changed_types = 0;
    for name in names {
        let (ra, rb) = (a.get(name).unwrap_or(&empty), b.get(name).unwrap_or(&empty));
        let added = rb.keys().filter(|k| !ra.contains_key(*k)).count();
        let removed = ra.keys().filter(|k| !rb.contains_key(*k)).count();
        let modified = ra.iter().filter(|(k, v)| rb.get(*k).is_some_and(|w| w != *v)).count();
        let t = d.type_diff(name).unwrap_or_else(|| panic!("type {name} missing from the diff"));
        assert_eq!(
            (t.added, t.removed, t.modified, t.unchanged),
            (added, removed, modified, ra.len() - removed - modified),
            "{name} {old_version} -> {new_version}"
        );
        changed_types += usize::from(added + removed + modified > 0);
    }
    assert!(changed_types > 0);
    check_inverse(&d, &diff::diff(new, old, &DiffOptions::default()).unwrap());
    check_change_set_applies(old, new, &d);
}

#[test]
fn java_vectors_counts_match_the_expected_dumps() {
    let versions = common::versions("collections");
    let snapshot =
        |v: i64| ReadStateEngine::from_snapshot(&common::read_blob("collections", &format!("snapshot-{v}"))).unwrap();
    for pair in versions.windows(2) {
        let (v1, v2) = (pair[0], pair[1]);
        let old = snapshot(v1);
        let by_delta = old.apply_delta(&common::read_blob("collections", &format!("delta-{v1}-{v2}"))).unwrap();
        check_vectors_transition(v1, v2, &old, &snapshot(v2));
        check_vectors_transition(v1, v2, &old, &by_delta);
        // Compared in place, the counts are the same.
        let compared =
            diff::diff(&old, &snapshot(v2), &DiffOptions { compare_all: true, ..DiffOptions::default() }).unwrap();
        assert_eq!(compared.stats.method, DiffMethod::Compared);
        assert_eq!(content(&compared), content(&diff::diff(&old, &by_delta, &DiffOptions::default()).unwrap()));
    }
    // Across both transitions at once (v1 -> v3), against the dumps too.
    check_vectors_transition(versions[0], versions[2], &snapshot(versions[0]), &snapshot(versions[2]));
}

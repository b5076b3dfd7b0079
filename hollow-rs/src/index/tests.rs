//! Index tests against the record model of [`super::model`]: every lookup is compared with an
//! oracle computed from the logical data, after a snapshot load and after every delta and reverse
//! delta, for incrementally updated indexes and freshly built ones alike.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::model::{Engine, Field, Producer, Record, State};
use super::table::tests::{BUILD_REGIONS, KEY_THREADS, THRESHOLD};
use super::{HashIndex, KeyValue, PrimaryKeyIndex};
use crate::encoding::hollow_string;
use crate::schema::{FieldType, ListSchema, MapSchema, ObjectField, ObjectSchema, Schema};

const WORDS: [&str; 5] = ["alpha", "béta", "中文 text", "", "a longer ascii word"];
const RATINGS: [f64; 4] = [1.5, -0.0, 0.0, f64::NAN];
const MAX_ID: i64 = 12;
const YEARS: i32 = 3;

#[derive(Debug, Clone)]
struct Movie {
    id: i64,
    title: usize,
    year: i32,
    tags: Vec<usize>,
    /// (name, city, zip)
    studio: Option<(usize, usize, i32)>,
    /// (role, actor), roles distinct
    cast: Vec<(usize, usize)>,
    rating: usize,
}

fn schemas() -> Vec<Schema> {
    vec![
        ObjectSchema::new("String").with_field(ObjectField::new("value", FieldType::String)).into(),
        ObjectSchema::new("Address")
            .with_field(ObjectField::reference("city", "String"))
            .with_field(ObjectField::new("zip", FieldType::Int))
            .into(),
        ObjectSchema::new("Studio")
            .with_field(ObjectField::new("name", FieldType::String))
            .with_field(ObjectField::reference("address", "Address"))
            .with_primary_key(["name", "address.city.value"])
            .into(),
        ListSchema { name: "ListOfString".into(), element_type: "String".into() }.into(),
        MapSchema {
            name: "MapOfStringToString".into(),
            key_type: "String".into(),
            value_type: "String".into(),
            hash_key: None,
        }
        .into(),
        ObjectSchema::new("Movie")
            .with_field(ObjectField::new("id", FieldType::Long))
            .with_field(ObjectField::reference("title", "String"))
            .with_field(ObjectField::new("year", FieldType::Int))
            .with_field(ObjectField::reference("tags", "ListOfString"))
            .with_field(ObjectField::reference("studio", "Studio"))
            .with_field(ObjectField::reference("cast", "MapOfStringToString"))
            .with_field(ObjectField::new("rating", FieldType::Double))
            .with_primary_key(["id"])
            .into(),
    ]
}

fn stored(word: usize) -> Vec<u8> {
    let mut out = Vec::new();
    hollow_string::encode_into(&mut out, WORDS[word]);
    out
}

fn add_string(p: &mut Producer, word: usize) -> u32 {
    p.add("String", Record::Object(vec![Some(Field::Str(stored(word)))]))
}

fn add_movie(p: &mut Producer, m: &Movie) -> u32 {
    let title = add_string(p, m.title);
    let tags: Vec<u32> = m.tags.iter().map(|&w| add_string(p, w)).collect();
    let tags = p.add("ListOfString", Record::Elements(tags));
    let studio = m.studio.map(|(name, city, zip)| {
        let city = add_string(p, city);
        let address = p.add("Address", Record::Object(vec![Some(Field::Ref(city)), Some(Field::Int(zip))]));
        p.add("Studio", Record::Object(vec![Some(Field::Str(stored(name))), Some(Field::Ref(address))]))
    });
    let cast: Vec<(u32, u32)> = m.cast.iter().map(|&(r, a)| (add_string(p, r), add_string(p, a))).collect();
    let cast = p.add("MapOfStringToString", Record::Entries(cast));
    p.add(
        "Movie",
        Record::Object(vec![
            Some(Field::Long(m.id)),
            Some(Field::Ref(title)),
            Some(Field::Int(m.year)),
            Some(Field::Ref(tags)),
            studio.map(Field::Ref),
            Some(Field::Ref(cast)),
            Some(Field::Double(RATINGS[m.rating].to_bits())),
        ]),
    )
}

/// One published version: the state and the logical movie behind each Movie ordinal.
struct Version {
    state: State,
    movies: BTreeMap<u32, Movie>,
}

fn publish(p: &mut Producer, movies: &[Movie]) -> Version {
    let mut by_ordinal = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for m in movies {
        if ids.insert(m.id) {
            by_ordinal.insert(add_movie(p, m), m.clone());
        }
    }
    Version { state: p.finish_cycle(), movies: by_ordinal }
}

/// Every index under test, at one version.
#[derive(Clone)]
struct Indexes {
    by_id: PrimaryKeyIndex,
    /// Two inline fields of the root: the direct lookup path with a composite key.
    by_id_year: PrimaryKeyIndex,
    by_title_year: PrimaryKeyIndex,
    by_studio_ref: PrimaryKeyIndex,
    studio: PrimaryKeyIndex,
    by_year: HashIndex,
    by_tag: HashIndex,
    by_city_year: HashIndex,
    by_cast_entry: HashIndex,
    by_title_ref: HashIndex,
    by_rating: HashIndex,
}

impl Indexes {
    fn build(e: &Engine) -> Indexes {
        Indexes {
            by_id: PrimaryKeyIndex::build_by_schema_key(e, "Movie").unwrap(),
            by_id_year: PrimaryKeyIndex::build_in(e, "Movie", &["id", "year"]).unwrap(),
            by_title_year: PrimaryKeyIndex::build_in(e, "Movie", &["title", "year"]).unwrap(),
            by_studio_ref: PrimaryKeyIndex::build_in(e, "Movie", &["studio!"]).unwrap(),
            studio: PrimaryKeyIndex::build_by_schema_key(e, "Studio").unwrap(),
            by_year: HashIndex::build_in(e, "Movie", &["year"]).unwrap(),
            by_tag: HashIndex::build_in(e, "Movie", &["tags.element.value"]).unwrap(),
            by_city_year: HashIndex::build_in(e, "Movie", &["studio.address.city.value", "year"]).unwrap(),
            by_cast_entry: HashIndex::build_in(e, "Movie", &["cast.key.value", "cast.value.value"]).unwrap(),
            by_title_ref: HashIndex::build_in(e, "Movie", &["title"]).unwrap(),
            by_rating: HashIndex::build_in(e, "Movie", &["rating"]).unwrap(),
        }
    }

    fn updated(&self, from: &Engine, to: &Engine) -> Indexes {
        Indexes {
            by_id: self.by_id.updated_in(from, to).unwrap(),
            by_id_year: self.by_id_year.updated_in(from, to).unwrap(),
            by_title_year: self.by_title_year.updated_in(from, to).unwrap(),
            by_studio_ref: self.by_studio_ref.updated_in(from, to).unwrap(),
            studio: self.studio.updated_in(from, to).unwrap(),
            by_year: self.by_year.updated_in(from, to).unwrap(),
            by_tag: self.by_tag.updated_in(from, to).unwrap(),
            by_city_year: self.by_city_year.updated_in(from, to).unwrap(),
            by_cast_entry: self.by_cast_entry.updated_in(from, to).unwrap(),
            by_title_ref: self.by_title_ref.updated_in(from, to).unwrap(),
            by_rating: self.by_rating.updated_in(from, to).unwrap(),
        }
    }
}

fn matching(movies: &BTreeMap<u32, Movie>, f: impl Fn(&Movie) -> bool) -> Vec<u32> {
    movies.iter().filter(|(_, m)| f(m)).map(|(&o, _)| o).collect()
}

/// The populated String ordinal holding `word`, if any.
fn string_ordinal(e: &Engine, word: usize) -> Option<u32> {
    let want = stored(word);
    e.populated("String").into_iter().find(|&o| {
        matches!(e.populated_record("String", o), Some(Record::Object(f)) if f[0] == Some(Field::Str(want.clone())))
    })
}

/// (name, city) of each populated Studio, read straight from the model's records.
fn studios(e: &Engine) -> Vec<(u32, Vec<u8>, Vec<u8>)> {
    let obj = |t: &str, o: u32| match e.populated_record(t, o) {
        Some(Record::Object(f)) => f.clone(),
        other => panic!("{t} {o}: {other:?}"),
    };
    e.populated("Studio")
        .into_iter()
        .map(|s| {
            let f = obj("Studio", s);
            let (Some(Field::Str(name)), Some(Field::Ref(address))) = (&f[0], &f[1]) else { panic!() };
            let Some(Field::Ref(city)) = obj("Address", *address)[0].clone() else { panic!() };
            let Some(Field::Str(city)) = obj("String", city)[0].clone() else { panic!() };
            (s, name.clone(), city)
        })
        .collect()
}

fn assert_unique_hit(got: Option<u32>, expected: &[u32], what: &str) {
    match got {
        None => assert!(expected.is_empty(), "{what}: missed, expected one of {expected:?}"),
        Some(o) => assert!(expected.contains(&o), "{what}: got {o}, expected one of {expected:?}"),
    }
}

/// Every lookup of every index against the oracle.
fn check(ix: &Indexes, e: &Engine, movies: &BTreeMap<u32, Movie>, label: &str) {
    for id in -1..=MAX_ID {
        let expected = matching(movies, |m| m.id == id);
        assert_eq!(ix.by_id.get_in(e, &[id.into()]), expected.first().copied(), "{label}: id {id}");
        // An INT key for a LONG field.
        assert_eq!(ix.by_id.get_in(e, &[(id as i32).into()]), expected.first().copied(), "{label}: int id {id}");
    }
    let all_ids: Vec<[KeyValue<'_>; 1]> = (-1..=MAX_ID).map(|id| [KeyValue::from(id)]).collect();
    let batch = ix.by_id.get_many_in(e, &all_ids);
    for (id, got) in (-1..=MAX_ID).zip(batch) {
        assert_eq!(got, matching(movies, |m| m.id == id).first().copied(), "{label}: batch id {id}");
    }
    assert_eq!(ix.by_id.get_in(e, &["1".into()]), None, "{label}: wrong key kind");
    assert_eq!(ix.by_id.get_in(e, &[]), None, "{label}: wrong key length");
    let id_years: Vec<[KeyValue<'_>; 2]> =
        (-1..=MAX_ID).flat_map(|id| (0..YEARS).map(move |y| [KeyValue::from(id), KeyValue::from(y)])).collect();
    let batch = ix.by_id_year.get_many_in(e, &id_years);
    for (key, got) in id_years.iter().zip(batch) {
        let (KeyValue::Long(id), KeyValue::Int(year)) = (&key[0], &key[1]) else { unreachable!() };
        let expected = matching(movies, |m| m.id == *id && m.year == *year).first().copied();
        assert_eq!(ix.by_id_year.get_in(e, key), expected, "{label}: id {id} year {year}");
        assert_eq!(got, expected, "{label}: batch id {id} year {year}");
    }
    assert_eq!(ix.by_id_year.get_in(e, &[1.into()]), None, "{label}: a composite key needs both fields");
    assert_eq!(ix.by_id_year.get_in(e, &[1.into(), 2.5.into()]), None, "{label}: wrong kind in a composite key");

    for year in 0..YEARS {
        let got = ix.by_year.find_in(e, &[year.into()]).to_vec();
        assert_eq!(got, matching(movies, |m| m.year == year), "{label}: year {year}");
    }
    for (w, word) in WORDS.iter().enumerate() {
        for year in 0..YEARS {
            let expected = matching(movies, |m| m.title == w && m.year == year);
            let got = ix.by_title_year.get_in(e, &[(*word).into(), year.into()]);
            assert_unique_hit(got, &expected, &format!("{label}: title {word:?} year {year}"));
            let got = ix.by_city_year.find_in(e, &[(*word).into(), year.into()]).to_vec();
            let expected = matching(movies, |m| m.studio.is_some_and(|s| s.1 == w) && m.year == year);
            assert_eq!(got, expected, "{label}: city {word:?} year {year}");
        }
        let got = ix.by_tag.find_in(e, &[(*word).into()]).to_vec();
        assert_eq!(got, matching(movies, |m| m.tags.contains(&w)), "{label}: tag {word:?}");
        for (a, actor) in WORDS.iter().enumerate() {
            let got = ix.by_cast_entry.find_in(e, &[(*word).into(), (*actor).into()]).to_vec();
            assert_eq!(got, matching(movies, |m| m.cast.contains(&(w, a))), "{label}: cast {word:?}={actor:?}");
        }
        let expected_by_title = matching(movies, |m| m.title == w);
        match string_ordinal(e, w) {
            Some(s) => {
                let got = ix.by_title_ref.find_in(e, &[KeyValue::Reference(s)]).to_vec();
                assert_eq!(got, expected_by_title, "{label}: title ref {word:?}");
            }
            None => assert!(expected_by_title.is_empty()),
        }
    }
    for (r, rating) in RATINGS.iter().enumerate() {
        let got = ix.by_rating.find_in(e, &[(*rating).into()]).to_vec();
        assert_eq!(got, matching(movies, |m| m.rating == r), "{label}: rating {rating}");
    }
    let studios = studios(e);
    for &(s, ref name, ref city) in &studios {
        let expected = matching(movies, |m| m.studio.is_some() && movie_studio(e, m, movies) == Some(s));
        assert_unique_hit(ix.by_studio_ref.get_in(e, &[KeyValue::Reference(s)]), &expected, label);
        let expected: Vec<u32> =
            studios.iter().filter(|(_, n, c)| n == name && c == city).map(|&(o, _, _)| o).collect();
        let name = hollow_string::decode(name).unwrap();
        let city = hollow_string::decode(city).unwrap();
        let got = ix.studio.get_in(e, &[KeyValue::from(&*name), KeyValue::from(&*city)]);
        assert_unique_hit(got, &expected, &format!("{label}: studio {name:?} {city:?}"));
    }
    // No studio has a city outside the vocabulary.
    assert_eq!(ix.studio.get_in(e, &["alpha".into(), "nowhere".into()]), None);
}

/// The Studio ordinal a movie references (from the model's records).
fn movie_studio(e: &Engine, m: &Movie, movies: &BTreeMap<u32, Movie>) -> Option<u32> {
    let (&o, _) = movies.iter().find(|(_, x)| x.id == m.id)?;
    match e.populated_record("Movie", o) {
        Some(Record::Object(f)) => match f[4] {
            Some(Field::Ref(s)) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// Walk snapshot v0, deltas to the last version, reverse deltas back to v0. At each step the
/// incrementally updated indexes and fresh ones must agree with the oracle, and the indexes of the
/// previous step must still answer for the previous engine.
fn walk(versions: &[Vec<Movie>]) {
    let schemas = schemas();
    let mut producer = Producer::default();
    let published: Vec<Version> = versions.iter().map(|v| publish(&mut producer, v)).collect();
    let mut path: Vec<usize> = (0..published.len()).collect();
    path.extend((0..published.len().saturating_sub(1)).rev());

    let mut engine = Engine::snapshot(&schemas, &published[0].state);
    let mut indexes = Indexes::build(&engine);
    check(&indexes, &engine, &published[0].movies, "snapshot v0");
    for pair in path.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        let next_engine = engine.transition(&published[to].state);
        let next = indexes.updated(&engine, &next_engine);
        let label = format!("v{from} -> v{to}");
        check(&next, &next_engine, &published[to].movies, &format!("{label} (updated)"));
        check(&Indexes::build(&next_engine), &next_engine, &published[to].movies, &format!("{label} (built)"));
        check(&indexes, &engine, &published[from].movies, &format!("{label} (old index, old state)"));
        engine = next_engine;
        indexes = next;
    }
}

/// Runs `f` always rebuilding (with primary-key builds split over three threads and eight regions,
/// so that the parallel key pass and fill see every shape of data, probes crossing from one
/// thread's slots into the next), never rebuilding, and with the real policy.
fn with_each_rebuild_policy(f: impl Fn()) {
    for (threshold, threads, regions) in
        [(Some(0), Some(3), Some(8)), (Some(usize::MAX), None, None), (None, None, None)]
    {
        THRESHOLD.with(|t| t.set(threshold));
        KEY_THREADS.with(|t| t.set(threads));
        BUILD_REGIONS.with(|r| r.set(regions));
        f();
    }
    THRESHOLD.with(|t| t.set(None));
    KEY_THREADS.with(|t| t.set(None));
    BUILD_REGIONS.with(|r| r.set(None));
}

fn movie(id: i64, title: usize, year: i32) -> Movie {
    Movie { id, title, year, tags: vec![], studio: None, cast: vec![], rating: 0 }
}

#[test]
fn ordinals_freed_and_reused_with_other_keys() {
    // v1 removes movie 1; v2 reuses its ordinal for movie 5; v3 changes movie 2's title (a new
    // String and a new Movie record, the old ones freed).
    let v0 = vec![movie(1, 0, 0), movie(2, 1, 1), movie(3, 2, 2)];
    let v1 = vec![movie(2, 1, 1), movie(3, 2, 2)];
    let v2 = vec![movie(2, 1, 1), movie(3, 2, 2), movie(5, 0, 1)];
    let v3 = vec![movie(2, 4, 1), movie(3, 2, 2), movie(5, 0, 1)];
    with_each_rebuild_policy(|| walk(&[v0.clone(), v1.clone(), v2.clone(), v3.clone()]));
}

#[test]
fn nested_keys_collections_and_maps() {
    let mut a = movie(1, 0, 0);
    a.tags = vec![1, 1, 2];
    a.studio = Some((0, 1, 7));
    a.cast = vec![(0, 1), (2, 3)];
    a.rating = 3;
    let mut b = movie(2, 1, 0);
    b.tags = vec![2];
    b.studio = Some((0, 1, 8)); // same name and city, another zip: two Studios with one key
    b.cast = vec![(0, 3)];
    let mut c = a.clone();
    c.id = 3;
    c.studio = Some((1, 1, 7));
    let mut a2 = a.clone();
    a2.studio = Some((0, 2, 7)); // the city changes: new String, Address, Studio and Movie ordinals
    with_each_rebuild_policy(|| {
        walk(&[vec![a.clone(), b.clone()], vec![a.clone(), b.clone(), c.clone()], vec![a2.clone(), c.clone()]])
    });
}

#[test]
fn updated_checks_the_version() {
    let schemas = schemas();
    let mut p = Producer::default();
    let v0 = publish(&mut p, &[movie(1, 0, 0)]);
    let v1 = publish(&mut p, &[movie(2, 0, 0)]);
    let e0 = Engine::snapshot(&schemas, &v0.state);
    let e1 = e0.transition(&v1.state);
    let ix = PrimaryKeyIndex::build_by_schema_key(&e0, "Movie").unwrap();
    let err = ix.updated_in(&e1, &e1).unwrap_err();
    assert!(err.to_string().contains("is for state"), "{err}");
    let hx = HashIndex::build_in(&e0, "Movie", &["year"]).unwrap();
    assert!(hx.updated_in(&e1, &e1).is_err());
}

#[test]
fn a_state_more_than_one_transition_away_is_rebuilt_not_diffed() {
    // Movie 1's ordinal is freed in v1 and reused by movie 5 in v2: between v0 and v2 it looks
    // unchanged, so diffing v0 against v2 would keep id 1 and miss id 5.
    let schemas = schemas();
    let mut p = Producer::default();
    let v0 = publish(&mut p, &[movie(1, 0, 0), movie(2, 1, 1)]);
    let v1 = publish(&mut p, &[movie(2, 1, 1)]);
    let v2 = publish(&mut p, &[movie(2, 1, 1), movie(5, 2, 2)]);
    assert_eq!(v0.movies.keys().next(), v2.movies.keys().next(), "the model reused the ordinal");
    let e0 = Engine::snapshot(&schemas, &v0.state);
    let e2 = e0.transition(&v1.state).transition(&v2.state);
    let ix = PrimaryKeyIndex::build_by_schema_key(&e0, "Movie").unwrap().updated_in(&e0, &e2).unwrap();
    assert_eq!(ix.get_in(&e2, &[1_i64.into()]), None);
    assert_eq!(ix.get_in(&e2, &[5_i64.into()]), v2.movies.keys().next().copied());
    let hx = HashIndex::build_in(&e0, "Movie", &["year"]).unwrap().updated_in(&e0, &e2).unwrap();
    assert_eq!(hx.find_in(&e2, &[0.into()]).len(), 0);
    assert_eq!(hx.find_in(&e2, &[2.into()]).len(), 1);
}

#[test]
fn overlay_is_folded_into_a_new_base_past_the_threshold() {
    THRESHOLD.with(|t| t.set(Some(3)));
    let schemas = schemas();
    let mut p = Producer::default();
    let v0 = publish(&mut p, &(0..10).map(|i| movie(i, 0, 0)).collect::<Vec<_>>());
    let v1 = publish(&mut p, &(1..10).map(|i| movie(i, 0, 0)).collect::<Vec<_>>());
    let v2 = publish(&mut p, &(4..10).map(|i| movie(i, 0, 0)).collect::<Vec<_>>());
    let e0 = Engine::snapshot(&schemas, &v0.state);
    let e1 = e0.transition(&v1.state);
    let e2 = e1.transition(&v2.state);
    let ix0 = PrimaryKeyIndex::build_by_schema_key(&e0, "Movie").unwrap();
    let ix1 = ix0.updated_in(&e0, &e1).unwrap();
    assert_eq!(ix1.overlay_len(), 1, "one removal is held in the overlay");
    let ix2 = ix1.updated_in(&e1, &e2).unwrap();
    assert_eq!(ix2.overlay_len(), 0, "four changes exceed the threshold: rebuilt");
    assert_eq!(ix2.get_in(&e2, &[3_i64.into()]), None);
    assert!(ix2.get_in(&e2, &[4_i64.into()]).is_some());
    assert!(ix1.get_in(&e1, &[3_i64.into()]).is_some(), "the older index still answers for its state");

    let hx0 = HashIndex::build_in(&e0, "Movie", &["year"]).unwrap();
    let hx1 = hx0.updated_in(&e0, &e1).unwrap();
    assert_eq!(hx1.overlay_len(), 1);
    let hx2 = hx1.updated_in(&e1, &e2).unwrap();
    assert_eq!(hx2.overlay_len(), 0);
    assert_eq!(hx2.find_in(&e2, &[0.into()]).len(), 6);
    assert_eq!(hx1.find_in(&e1, &[0.into()]).len(), 9);
    THRESHOLD.with(|t| t.set(None));
}

#[test]
fn default_primary_key_is_required_and_bad_paths_fail() {
    let schemas = schemas();
    let e = Engine::snapshot(&schemas, &State::default());
    let err = PrimaryKeyIndex::build_by_schema_key(&e, "Address").unwrap_err();
    assert!(err.to_string().contains("no primary key"), "{err}");
    assert!(PrimaryKeyIndex::build_by_schema_key(&e, "Nope").is_err());
    assert!(PrimaryKeyIndex::build_in(&e, "ListOfString", &["element"]).is_err());
    assert!(PrimaryKeyIndex::build_in(&e, "Movie", &["tags.element.value"]).is_err());
    assert!(HashIndex::build_in(&e, "Movie", &[]).is_err());
    assert!(HashIndex::build_in(&e, "Movie", &["cast.entry"]).is_err());
    // An empty dataset indexes nothing.
    let ix = PrimaryKeyIndex::build_by_schema_key(&e, "Movie").unwrap();
    assert_eq!(ix.get_in(&e, &[1_i64.into()]), None);
    assert!(HashIndex::build_in(&e, "Movie", &["year"]).unwrap().find_in(&e, &[0.into()]).is_empty());
}

fn movie_strategy() -> impl Strategy<Value = Movie> {
    let word = 0..WORDS.len();
    (
        0..MAX_ID,
        word.clone(),
        0..YEARS,
        prop::collection::vec(word.clone(), 0..4),
        prop::option::of((0..2usize, 0..3usize, 0..2i32)),
        prop::collection::btree_map(word.clone(), word, 0..3),
        0..RATINGS.len(),
    )
        .prop_map(|(id, title, year, tags, studio, cast, rating)| Movie {
            id,
            title,
            year,
            tags,
            studio,
            cast: cast.into_iter().collect(),
            rating,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random version histories: small vocabularies make shared records, duplicate keys and
    /// ordinal reuse common.
    #[test]
    fn incremental_updates_match_the_oracle(
        versions in prop::collection::vec(prop::collection::vec(movie_strategy(), 0..10), 1..6),
        threshold in prop::option::of(0usize..6),
    ) {
        THRESHOLD.with(|t| t.set(threshold));
        walk(&versions);
        THRESHOLD.with(|t| t.set(None));
    }
}

/// The engines of a walk over a Java vector scenario: snapshot, deltas forward, reverse deltas back.
fn vector_walk(scenario: &str) -> Vec<crate::read::ReadStateEngine> {
    use crate::read::ReadStateEngine;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(scenario).join("blobs");
    let blob = |name: String| std::fs::read(dir.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut versions: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.strip_prefix("header-").map(str::to_owned))
        .collect();
    versions.sort();
    let mut engines = vec![ReadStateEngine::from_snapshot(&blob(format!("snapshot-{}", versions[0]))).unwrap()];
    for p in versions.windows(2) {
        let next = engines.last().unwrap().apply_delta(&blob(format!("delta-{}-{}", p[0], p[1]))).unwrap();
        engines.push(next);
    }
    for p in versions.windows(2).rev() {
        let next = engines.last().unwrap().apply_delta(&blob(format!("reversedelta-{}-{}", p[1], p[0]))).unwrap();
        engines.push(next);
    }
    engines
}

/// On the real read engine, with thousands of changes per delta: indexes kept only by their
/// overlay, and indexes rebuilt on every update, answer as indexes built from scratch.
#[test]
fn real_engine_overlay_only_and_rebuild_always_agree_with_fresh_builds() {
    for threshold in [Some(usize::MAX), Some(0)] {
        THRESHOLD.with(|t| t.set(threshold));
        for scenario in ["sharded", "sharded-reshard"] {
            let engines = vector_walk(scenario);
            let mut by_id = PrimaryKeyIndex::build_by_schema_key(&engines[0], "Item").unwrap();
            let mut by_part = HashIndex::build_in(&engines[0], "Item", &["parts.element.partNo"]).unwrap();
            for (i, e) in engines.iter().enumerate() {
                if i > 0 {
                    by_id = by_id.updated_in(&engines[i - 1], e).unwrap();
                    by_part = by_part.updated_in(&engines[i - 1], e).unwrap();
                    if threshold == Some(usize::MAX) {
                        assert!(by_id.overlay_len() > 0, "{scenario} step {i}: the overlay holds the changes");
                    }
                }
                let fresh_id = PrimaryKeyIndex::build_by_schema_key(e, "Item").unwrap();
                let fresh_part = HashIndex::build_in(e, "Item", &["parts.element.partNo"]).unwrap();
                let item = e.object("Item").unwrap();
                let mut checked = 0;
                for o in e.type_state("Item").unwrap().populated().iter() {
                    let key = [KeyValue::Long(item.read_long(o, 0).unwrap())];
                    assert_eq!(by_id.get_in(e, &key), Some(o), "{scenario} step {i}: {key:?}");
                    assert_eq!(fresh_id.get_in(e, &key), Some(o));
                    checked += 1;
                }
                assert!(checked > 500, "{scenario} step {i}: {checked} items");
                let mut matched = 0;
                for part_no in -1..501 {
                    let key = [KeyValue::Int(part_no)];
                    let found = by_part.find_in(e, &key).to_vec();
                    assert_eq!(found, fresh_part.find_in(e, &key).to_vec(), "{scenario} step {i}: part {part_no}");
                    matched += found.len();
                }
                assert!(matched > checked, "{scenario} step {i}: {matched} part matches");
            }
        }
    }
    THRESHOLD.with(|t| t.set(None));
}

/// `get_many` resolves keys in a pipeline whose stages take [`LOOKAHEAD`] keys each (home slots
/// prefetched, then the records they name, then resolved): for every batch length around the
/// stages' size, on the real engine, with and without an overlay, it answers each key as `get`
/// does, in order, hits, misses and keys of the wrong kind alike.
#[test]
fn get_many_answers_each_key_as_get_does_for_every_batch_length() {
    use super::primary_key::LOOKAHEAD;
    THRESHOLD.with(|t| t.set(Some(usize::MAX)));
    let engines = vector_walk("sharded");
    let mut by_id = PrimaryKeyIndex::build_by_schema_key(&engines[0], "Item").unwrap();
    for (step, e) in engines.iter().enumerate() {
        if step > 0 {
            by_id = by_id.updated_in(&engines[step - 1], e).unwrap();
            assert!(by_id.overlay_len() > 0, "step {step}: the overlay holds the changes");
        }
        let item = e.object("Item").unwrap();
        let mut keys = Vec::new();
        let (mut hits, mut misses) = (Vec::new(), Vec::new());
        for (n, o) in e.type_state("Item").unwrap().populated().iter().enumerate() {
            let id = item.read_long(o, 0).unwrap();
            keys.push([KeyValue::Long(id)]);
            hits.push((keys.len() - 1, Some(o)));
            if n % 3 == 0 {
                // No id in the vectors is this large.
                keys.push([KeyValue::Long(id + 1_000_000)]);
                misses.push((keys.len() - 1, None));
            }
            if n % 7 == 0 {
                keys.push(["1".into()]);
                misses.push((keys.len() - 1, None));
            }
        }
        let expected: Vec<Option<u32>> = keys.iter().map(|k| by_id.get_in(e, k)).collect();
        for &(at, o) in hits.iter().chain(&misses) {
            assert_eq!(expected[at], o, "step {step}: key {:?}", keys[at]);
        }
        assert!(hits.len() > 500 && misses.len() > hits.len() / 3, "step {step}: {} hits", hits.len());
        for len in (0..=3 * LOOKAHEAD + 1).chain([keys.len() - 1, keys.len()]) {
            assert_eq!(by_id.get_many_in(e, &keys[..len]), expected[..len], "step {step}: {len} keys");
        }
        let mut positions = Vec::new();
        by_id.get_many_each_in(e, &keys, |at, found| {
            assert_eq!(found, expected[at], "step {step}: key {at}");
            positions.push(at);
        });
        assert_eq!(positions, (0..keys.len()).collect::<Vec<_>>(), "step {step}: each key once, in order");
    }
    THRESHOLD.with(|t| t.set(None));
}

/// The movies of one version written with the write engine.
fn write_movies(w: &mut crate::write::WriteStateEngine, movies: &[Movie]) {
    use crate::write::{ListRecord, MapRecord, ObjectRecord};
    let mut ids = BTreeSet::new();
    let string = |w: &mut crate::write::WriteStateEngine, word: usize| {
        w.add("String", &*ObjectRecord::new().set_string("value", WORDS[word])).unwrap()
    };
    for m in movies.iter().filter(|m| ids.insert(m.id)) {
        let title = string(w, m.title);
        let mut tags = ListRecord::new();
        for &t in &m.tags {
            tags.add_element(string(w, t));
        }
        let tags = w.add("ListOfString", &tags).unwrap();
        let studio = m.studio.map(|(name, city, zip)| {
            let city = string(w, city);
            let address = w.add("Address", &*ObjectRecord::new().set_reference("city", city).set_int("zip", zip));
            let mut studio = ObjectRecord::new();
            studio.set_string("name", WORDS[name]).set_reference("address", address.unwrap());
            w.add("Studio", &studio).unwrap()
        });
        let mut cast = MapRecord::new();
        for &(r, a) in &m.cast {
            let (r, a) = (string(w, r), string(w, a));
            cast.add_entry(r, a);
        }
        let cast = w.add("MapOfStringToString", &cast).unwrap();
        let mut movie = ObjectRecord::new();
        movie
            .set_long("id", m.id)
            .set_reference("title", title)
            .set_int("year", m.year)
            .set_reference("tags", tags)
            .set_reference("cast", cast)
            .set_double("rating", RATINGS[m.rating]);
        match studio {
            Some(s) => movie.set_reference("studio", s),
            None => movie.set_null("studio"),
        };
        w.add("Movie", &movie).unwrap();
    }
}

/// Incrementally updated indexes answer every key of the test vocabulary as freshly built ones do
/// (exactly for hash indexes and unique keys; found or not for keys that repeat).
fn assert_same_answers(a: &Indexes, b: &Indexes, e: &crate::read::ReadStateEngine, label: &str) {
    let max = |t: &str| e.type_state(t).map_or(0, |s| s.max_ordinal() + 1) as u32;
    for id in -1..=MAX_ID {
        assert_eq!(a.by_id.get(e, &[id.into()]), b.by_id.get(e, &[id.into()]), "{label}: id {id}");
        // The i64 entry point through the overlay of an updated index, and through a fresh table.
        assert_eq!(a.by_id.get_i64(e, id), a.by_id.get(e, &[id.into()]), "{label}: get_i64 {id}");
        assert_eq!(b.by_id.get_i64(e, id), b.by_id.get(e, &[id.into()]), "{label}: get_i64 {id}");
        for year in 0..YEARS {
            let key = [id.into(), year.into()];
            assert_eq!(a.by_id_year.get(e, &key), b.by_id_year.get(e, &key), "{label}: id {id} year {year}");
        }
    }
    let same = |x: super::HashIndexMatches<'_>, y: super::HashIndexMatches<'_>, what: String| {
        assert_eq!(x.to_vec(), y.to_vec(), "{label}: {what}");
    };
    for (w, word) in WORDS.iter().enumerate() {
        let word: KeyValue<'_> = (*word).into();
        for year in 0..YEARS {
            let key = [word.clone(), year.into()];
            let (x, y) = (a.by_title_year.get(e, &key), b.by_title_year.get(e, &key));
            assert_eq!(x.is_some(), y.is_some(), "{label}: title {w} year {year}");
            same(a.by_city_year.find(e, &key), b.by_city_year.find(e, &key), format!("city {w} year {year}"));
        }
        let tag = std::slice::from_ref(&word);
        same(a.by_tag.find(e, tag), b.by_tag.find(e, tag), format!("tag {w}"));
        for actor in WORDS {
            let key = [word.clone(), actor.into()];
            same(a.by_cast_entry.find(e, &key), b.by_cast_entry.find(e, &key), format!("cast {w}"));
        }
        for city in WORDS {
            let key = [word.clone(), city.into()];
            // Studios with one name and city but different zips share a key.
            assert_eq!(a.studio.get(e, &key).is_some(), b.studio.get(e, &key).is_some(), "{label}: studio {w} {city}");
        }
    }
    for s in 0..max("String") {
        let key = [KeyValue::Reference(s)];
        same(a.by_title_ref.find(e, &key), b.by_title_ref.find(e, &key), format!("title ref {s}"));
    }
    for s in 0..max("Studio") {
        let key = [KeyValue::Reference(s)];
        assert_eq!(a.by_studio_ref.get(e, &key).is_some(), b.by_studio_ref.get(e, &key).is_some(), "{label}");
    }
    for r in RATINGS {
        same(a.by_rating.find(e, &[r.into()]), b.by_rating.find(e, &[r.into()]), format!("rating {r}"));
    }
}

impl Indexes {
    fn build_real(e: &crate::read::ReadStateEngine) -> Indexes {
        Indexes {
            by_id: PrimaryKeyIndex::new(e, "Movie").unwrap(),
            by_id_year: PrimaryKeyIndex::with_fields(e, "Movie", &["id", "year"]).unwrap(),
            by_title_year: PrimaryKeyIndex::with_fields(e, "Movie", &["title", "year"]).unwrap(),
            by_studio_ref: PrimaryKeyIndex::with_fields(e, "Movie", &["studio!"]).unwrap(),
            studio: PrimaryKeyIndex::new(e, "Studio").unwrap(),
            by_year: HashIndex::new(e, "Movie", &["year"]).unwrap(),
            by_tag: HashIndex::new(e, "Movie", &["tags.element.value"]).unwrap(),
            by_city_year: HashIndex::new(e, "Movie", &["studio.address.city.value", "year"]).unwrap(),
            by_cast_entry: HashIndex::new(e, "Movie", &["cast.key.value", "cast.value.value"]).unwrap(),
            by_title_ref: HashIndex::new(e, "Movie", &["title"]).unwrap(),
            by_rating: HashIndex::new(e, "Movie", &["rating"]).unwrap(),
        }
    }

    fn updated_real(&self, from: &crate::read::ReadStateEngine, to: &crate::read::ReadStateEngine) -> Indexes {
        Indexes {
            by_id: self.by_id.updated(from, to).unwrap(),
            by_id_year: self.by_id_year.updated(from, to).unwrap(),
            by_title_year: self.by_title_year.updated(from, to).unwrap(),
            by_studio_ref: self.by_studio_ref.updated(from, to).unwrap(),
            studio: self.studio.updated(from, to).unwrap(),
            by_year: self.by_year.updated(from, to).unwrap(),
            by_tag: self.by_tag.updated(from, to).unwrap(),
            by_city_year: self.by_city_year.updated(from, to).unwrap(),
            by_cast_entry: self.by_cast_entry.updated(from, to).unwrap(),
            by_title_ref: self.by_title_ref.updated(from, to).unwrap(),
            by_rating: self.by_rating.updated(from, to).unwrap(),
        }
    }
}

/// Write the versions with the write engine, walk them with the read engine (snapshot, deltas,
/// reverse deltas back), and compare updated indexes with fresh ones at every step.
fn real_walk(versions: &[Vec<Movie>]) {
    use crate::read::ReadStateEngine;
    use crate::write::WriteStateEngine;
    let mut w = WriteStateEngine::new();
    for s in schemas() {
        w.add_schema(s).unwrap();
    }
    let mut snapshot = Vec::new();
    let (mut deltas, mut reverse) = (Vec::new(), Vec::new());
    for (i, v) in versions.iter().enumerate() {
        if i > 0 {
            w.prepare_for_next_cycle();
        }
        write_movies(&mut w, v);
        if i == 0 {
            w.write_snapshot(&mut snapshot).unwrap();
        } else {
            let (mut d, mut r) = (Vec::new(), Vec::new());
            w.write_delta(&mut d).unwrap();
            w.write_reverse_delta(&mut r).unwrap();
            deltas.push(d);
            reverse.push(r);
        }
    }
    let mut engine = ReadStateEngine::from_snapshot(&snapshot).unwrap();
    let mut indexes = Indexes::build_real(&engine);
    let blobs = deltas.iter().chain(reverse.iter().rev());
    for (step, blob) in blobs.enumerate() {
        let next_engine = engine.apply_delta(blob).unwrap();
        let next = indexes.updated_real(&engine, &next_engine);
        assert_same_answers(&next, &Indexes::build_real(&next_engine), &next_engine, &format!("step {step}"));
        assert_same_answers(&indexes, &Indexes::build_real(&engine), &engine, &format!("step {step}, old"));
        engine = next_engine;
        indexes = next;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The same histories through real blobs: write engine, then read engine deltas.
    #[test]
    fn incremental_updates_over_real_blobs_match_fresh_builds(
        versions in prop::collection::vec(prop::collection::vec(movie_strategy(), 0..10), 1..6),
        threshold in prop::option::of(0usize..6),
    ) {
        THRESHOLD.with(|t| t.set(threshold));
        real_walk(&versions);
        THRESHOLD.with(|t| t.set(None));
    }
}

/// Rough timings: `cargo test -p hollow --lib index_perf_probe -- --ignored --nocapture`.
#[test]
#[ignore]
fn index_perf_probe() {
    use crate::read::ReadStateEngine;
    use crate::write::{ObjectRecord, WriteStateEngine};
    use std::time::Instant;
    let n: i64 = 200_000;
    let mut w = WriteStateEngine::new();
    w.add_schema(ObjectSchema::new("String").with_field(ObjectField::new("value", FieldType::String)).into()).unwrap();
    let movie = ObjectSchema::new("Movie")
        .with_field(ObjectField::new("id", FieldType::Long))
        .with_field(ObjectField::reference("title", "String"))
        .with_primary_key(["id"]);
    w.add_schema(movie.into()).unwrap();
    let cycle = |w: &mut WriteStateEngine, changed: i64| {
        for i in 0..n {
            let title = if i % 100 == 0 { format!("title {i} v{changed}") } else { format!("title {i}") };
            let t = w.add("String", &*ObjectRecord::new().set_string("value", &title)).unwrap();
            w.add("Movie", &*ObjectRecord::new().set_long("id", i * 7919).set_reference("title", t)).unwrap();
        }
    };
    cycle(&mut w, 0);
    let mut snapshot = Vec::new();
    w.write_snapshot(&mut snapshot).unwrap();
    w.prepare_for_next_cycle();
    cycle(&mut w, 1);
    let mut delta = Vec::new();
    w.write_delta(&mut delta).unwrap();
    let e1 = ReadStateEngine::from_snapshot(&snapshot).unwrap();
    let e2 = e1.apply_delta(&delta).unwrap();

    let t = Instant::now();
    let by_id = PrimaryKeyIndex::new(&e1, "Movie").unwrap();
    eprintln!("build by id, {n} records: {:?}", t.elapsed());
    let t = Instant::now();
    let by_title = PrimaryKeyIndex::with_fields(&e1, "Movie", &["title"]).unwrap();
    eprintln!("build by title: {:?}", t.elapsed());
    let keys: Vec<[KeyValue<'_>; 1]> = (0..n).map(|i| [KeyValue::Long((i * 104_729 % n) * 7919)]).collect();
    let t = Instant::now();
    let found = keys.iter().filter(|k| by_id.get(&e1, &k[..]).is_some()).count();
    eprintln!("get by id: {:?}/op ({found} found)", t.elapsed() / n as u32);
    let t = Instant::now();
    let found = by_id.get_many(&e1, &keys).iter().filter(|o| o.is_some()).count();
    eprintln!("get_many by id: {:?}/op ({found} found)", t.elapsed() / n as u32);
    let titles: Vec<String> = (0..n).map(|i| format!("title {}", i * 104_729 % n)).collect();
    let t = Instant::now();
    let found = titles.iter().filter(|s| by_title.get(&e1, &[s.as_str().into()]).is_some()).count();
    eprintln!("get by title: {:?}/op ({found} found)", t.elapsed() / n as u32);
    let t = Instant::now();
    let by_id2 = by_id.updated(&e1, &e2).unwrap();
    let by_title2 = by_title.updated(&e1, &e2).unwrap();
    eprintln!("update both across a 1% delta: {:?} (overlay {})", t.elapsed(), by_title2.overlay_len());
    let t = Instant::now();
    let found = keys.iter().filter(|k| by_id2.get(&e2, &k[..]).is_some()).count();
    eprintln!("get by id after the delta: {:?}/op ({found} found)", t.elapsed() / n as u32);
    let t = Instant::now();
    let found = titles.iter().filter(|s| by_title2.get(&e2, &[s.as_str().into()]).is_some()).count();
    eprintln!("get by title with overlay: {:?}/op ({found} found)", t.elapsed() / n as u32);
}

/// The direct lookup path compares every key field itself, not only through the hash: a key that
/// shares the hash of a record but differs in any field (as a fingerprint collision would) must not
/// match it.
#[test]
fn direct_keys_compare_every_field() {
    use super::path::PathRules;
    use super::shape::{DirectKey, KeyShape};
    use crate::read::ReadStateEngine;
    use crate::write::{ObjectRecord, WriteStateEngine};
    let mut w = WriteStateEngine::new();
    w.add_schema(ObjectSchema::new("String").with_field(ObjectField::new("value", FieldType::String)).into()).unwrap();
    let movie = ObjectSchema::new("Movie")
        .with_field(ObjectField::new("id", FieldType::Long))
        .with_field(ObjectField::new("year", FieldType::Int))
        .with_field(ObjectField::new("name", FieldType::String))
        .with_field(ObjectField::reference("title", "String"));
    w.add_schema(movie.into()).unwrap();
    let t = w.add("String", &*ObjectRecord::new().set_string("value", "x")).unwrap();
    let a =
        w.add("Movie", &*ObjectRecord::new().set_long("id", 7).set_int("year", 1999).set_string("name", "é")).unwrap();
    let b = w.add("Movie", &*ObjectRecord::new().set_long("id", 8).set_reference("title", t)).unwrap();
    let mut blob = Vec::new();
    w.write_snapshot(&mut blob).unwrap();
    let e = ReadStateEngine::from_snapshot(&blob).unwrap();
    let object = e.object("Movie").unwrap();

    let shape = KeyShape::bind(&e, "Movie", &["id", "year", "name"], PathRules::PrimaryKey).unwrap();
    let direct = shape.direct().expect("inline fields of the root are direct");
    let key = |id: i64, year: i32, name: &'static str| [id.into(), year.into(), name.into()];
    let hit = key(7, 1999, "é");
    let d = DirectKey::new(direct, &hit).unwrap();
    assert_eq!(Some(d.hash), shape.hash_key(&hit), "the direct path hashes as the general one");
    assert!(d.matches(object, a));
    for miss in [key(8, 1999, "é"), key(7, 2000, "é"), key(7, 1999, "e")] {
        assert!(!DirectKey::new(direct, &miss).unwrap().matches(object, a), "{miss:?}");
    }
    // Null fields match nothing.
    assert!(!DirectKey::new(direct, &key(8, 0, "")).unwrap().matches(object, b));
    assert!(DirectKey::new(direct, &[7.into(), 1999.into()]).is_none(), "wrong length");
    assert!(DirectKey::new(direct, &[7.into(), "1999".into(), "é".into()]).is_none(), "wrong kind");

    for general in [&["title"][..], &["id", "title"], &["title!"]] {
        let shape = KeyShape::bind(&e, "Movie", general, PathRules::PrimaryKey).unwrap();
        assert!(shape.direct().is_none(), "{general:?} reads through a reference");
    }
    let by_id = PrimaryKeyIndex::new(&e, "Movie");
    assert!(by_id.is_err(), "no primary key in the schema");
    let by_id = PrimaryKeyIndex::with_fields(&e, "Movie", &["id"]).unwrap();
    assert_eq!(
        (by_id.get(&e, &[7.into()]), by_id.get(&e, &[8.into()]), by_id.get(&e, &[9.into()])),
        (Some(a), Some(b), None)
    );
}

/// `get_i64` answers as `get` with one LONG key value does, for every key shape: a `long` field, an
/// `int` field (values beyond 32 bits match nothing), a `long` reached through a reference (the general
/// path), and shapes an `i64` cannot be (a string, two fields), which match nothing.
#[test]
fn get_i64_answers_as_get_does() {
    use crate::read::ReadStateEngine;
    use crate::write::{ObjectRecord, WriteStateEngine};
    let mut w = WriteStateEngine::new();
    w.add_schema(ObjectSchema::new("Box").with_field(ObjectField::new("n", FieldType::Long)).into()).unwrap();
    let movie = ObjectSchema::new("Movie")
        .with_field(ObjectField::new("id", FieldType::Long))
        .with_field(ObjectField::new("year", FieldType::Int))
        .with_field(ObjectField::new("name", FieldType::String))
        .with_field(ObjectField::reference("box", "Box"))
        .with_field(ObjectField::new("rating", FieldType::Double))
        .with_field(ObjectField::new("score", FieldType::Float))
        .with_field(ObjectField::new("flag", FieldType::Boolean));
    w.add_schema(movie.into()).unwrap();
    let rating = |id: i64| id as f64 * 0.5 + 0.25;
    let score = |id: i64| id as f32 * 0.75 - 0.125;
    let mut expected = Vec::new();
    for i in 0..40i64 {
        let boxed = w.add("Box", &*ObjectRecord::new().set_long("n", i * 1000)).unwrap();
        let mut m = ObjectRecord::new();
        m.set_long("id", i - 20).set_int("year", 1990 + i as i32).set_string("name", "x").set_reference("box", boxed);
        m.set_double("rating", rating(i - 20)).set_float("score", score(i - 20)).set_boolean("flag", i % 2 == 0);
        expected.push((i - 20, w.add("Movie", &m).unwrap()));
    }
    let mut blob = Vec::new();
    w.write_snapshot(&mut blob).unwrap();
    let e = ReadStateEngine::from_snapshot(&blob).unwrap();
    let by = |fields: &[&str]| PrimaryKeyIndex::with_fields(&e, "Movie", fields).unwrap();
    let (by_id, by_year, by_box, by_name, by_pair) =
        (by(&["id"]), by(&["year"]), by(&["box.n"]), by(&["name"]), by(&["id", "year"]));
    for &(id, ordinal) in &expected {
        assert_eq!(by_id.get_i64(&e, id), Some(ordinal), "id {id}");
        assert_eq!(by_year.get_i64(&e, 2010 + id), Some(ordinal), "year of id {id}");
        assert_eq!(by_box.get_i64(&e, (id + 20) * 1000), Some(ordinal), "box of id {id}");
    }
    for key in [-21, 20, i64::MIN, i64::MAX, 1999 + (1 << 32), 1999 - (1 << 32), 500] {
        for index in [&by_id, &by_year, &by_box, &by_name, &by_pair] {
            assert_eq!(index.get_i64(&e, key), index.get(&e, &[KeyValue::Long(key)]), "key {key}");
        }
    }
    assert_eq!(by_year.get(&e, &[KeyValue::Long(1999)]), by_year.get_i64(&e, 1999));
    assert!(by_year.get_i64(&e, 1999).is_some());
    assert_eq!(by_year.get_i64(&e, 1999 + (1 << 32)), None, "an int field never holds a value beyond 32 bits");
    assert_eq!(by_name.get_i64(&e, 0), None);
    assert_eq!(by_pair.get_i64(&e, -20), None, "a key of two fields");

    // `get_many` by every path, over more keys than one stage of its pipeline: the number path (a
    // LONG field; an INT one, given longs in and out of 32 bits), a field through a reference, a
    // string, two fields, and DOUBLE, FLOAT and BOOLEAN fields, which must not take the number path.
    let (by_rating, by_score, by_flag) = (by(&["rating"]), by(&["score"]), by(&["flag"]));
    let specials = [i64::MIN, i64::MAX, 1999 + (1 << 32), 1999 - (1 << 32)];
    let longs: Vec<[KeyValue<'_>; 1]> =
        (-25..25).chain(1985..2035).chain((0..45).map(|n| n * 1000)).chain(specials).map(|k| [k.into()]).collect();
    let doubles: Vec<[KeyValue<'_>; 1]> = (-25..25).map(|id| [rating(id).into()]).collect();
    let floats: Vec<[KeyValue<'_>; 1]> = (-25..25).map(|id| [KeyValue::Float(score(id))]).collect();
    let flags: Vec<[KeyValue<'_>; 1]> = [true, false, true].map(|f| [f.into()]).to_vec();
    let indexes = [&by_id, &by_year, &by_box, &by_name, &by_pair, &by_rating, &by_score, &by_flag];
    for (i, index) in indexes.into_iter().enumerate() {
        for keys in [&longs, &doubles, &floats, &flags] {
            let got = index.get_many(&e, keys);
            assert_eq!(got.len(), keys.len(), "index {i}");
            for (key, got) in keys.iter().zip(got) {
                assert_eq!(got, index.get(&e, key), "index {i}: {key:?}");
            }
        }
    }
    for &(id, ordinal) in &expected {
        assert_eq!(by_rating.get(&e, &[rating(id).into()]), Some(ordinal), "rating of id {id}");
        assert_eq!(by_score.get(&e, &[KeyValue::Float(score(id))]), Some(ordinal), "score of id {id}");
        assert_eq!(by_id.get_many(&e, &[[id.into()]]), [Some(ordinal)], "id {id}");
    }
    let years = longs.iter().filter(|k| matches!(k[0], KeyValue::Long(y) if (1990..2030).contains(&y))).count();
    assert_eq!(years, 41, "each year once, and 2000 as a box number too");
    let found = by_year.get_many(&e, &longs).into_iter().flatten().count();
    assert_eq!(found, years, "the years, and no value beyond 32 bits");
    assert_eq!(by_rating.get_many(&e, &longs).into_iter().flatten().count(), 0, "a long never matches a double");
    let movie = e.object("Movie").unwrap();
    for (key, got) in flags.iter().zip(by_flag.get_many(&e, &flags)) {
        let KeyValue::Boolean(flag) = key[0] else { unreachable!() };
        assert_eq!(got.and_then(|o| movie.read_boolean(o, 6)), Some(flag), "flag {flag}");
    }
}

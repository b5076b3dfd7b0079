//! The incremental producer: changes by primary key on top of the last announced state.
//!
//! The central property: an incremental cycle writes exactly the type sections (snapshot, delta,
//! reverse delta) of a full cycle that adds the records of the last state that stay, then the upserted
//! records in the order of their surviving changes. Then: consumers following mixes of full and
//! incremental cycles, failed cycles, restores, change sets applied twice, orphan removal, errors.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use hollow::consumer::{Consumer, ReadState};
use hollow::diff::{Change, ChangeSet};
use hollow::mapper::{self, GenericValue, ObjectMapper};
use hollow::producer::{Producer, SequenceVersionMinter, Validator};
use hollow::store::memory::InMemoryBlobStore;
use hollow::store::{BlobPublisher, BlobRetriever, Version};
use hollow::Error;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Studio {
    name: String,
    country: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Movie {
    id: i64,
    title: String,
    tags: Vec<String>,
    genres: BTreeSet<String>,
    ratings: BTreeMap<String, i32>,
    studio: Studio,
}

fn mapper() -> ObjectMapper {
    ObjectMapper::new().primary_key("Movie", ["id"])
}

/// A producer with the movie types registered up front (so that full and incremental producers have
/// the same types whatever their first cycle adds).
fn producer(store: &Arc<InMemoryBlobStore>) -> Producer {
    let mut types = mapper();
    types.derive::<Movie>().unwrap();
    Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_schemas(types.schemas().to_vec())
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(1)))
        .with_object_mapper(mapper())
        .build()
        .unwrap()
}

fn movie(id: i64, variant: u64) -> Movie {
    let pick = |n: u64, salt: u64| (variant.wrapping_mul(2654435761).wrapping_add(salt * 97)) % n;
    Movie {
        id,
        title: format!("movie {id} v{}", pick(3, 1)),
        tags: (0..pick(4, 2)).map(|i| format!("tag{}", (pick(7, 3 + i) + i) % 7)).collect(),
        genres: (0..pick(3, 4)).map(|i| format!("genre{}", (pick(5, 5 + i) + i) % 5)).collect(),
        ratings: (0..pick(3, 6)).map(|i| (format!("src{i}"), pick(10, 7 + i) as i32)).collect(),
        studio: Studio { name: format!("studio{}", pick(4, 8)), country: "US".into() },
    }
}

/// Every Movie of a state, by id.
fn movies_of(state: &ReadState) -> BTreeMap<i64, Movie> {
    let Some(t) = state.engine().object("Movie") else { return BTreeMap::new() };
    t.populated()
        .iter()
        .map(|o| {
            let m: Movie = mapper::get(state.engine(), "Movie", o).unwrap();
            (m.id, m)
        })
        .collect()
}

fn populated(state: &ReadState, type_name: &str) -> usize {
    state.engine().type_state(type_name).map_or(0, |t| t.populated().count())
}

/// The body of a blob: everything after its header (tags and randomized tags differ between producers).
fn body(blob: &[u8]) -> Vec<u8> {
    common::split(blob).1.to_vec()
}

/// One change of a random cycle.
#[derive(Debug, Clone)]
enum Op {
    Upsert(i64, u64),
    Delete(i64),
    /// Delete a studio (no primary key: by record); still referenced studios stay.
    DeleteStudio(u64),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0i64..40, any::<u64>()).prop_map(|(id, v)| Op::Upsert(id, v)),
        3 => (0i64..40).prop_map(Op::Delete),
        1 => (0u64..6).prop_map(Op::DeleteStudio),
    ]
}

fn studio_value(n: u64) -> GenericValue {
    let string = |s: String| GenericValue::Object {
        type_name: "String".into(),
        fields: vec![("value".into(), GenericValue::String(s))],
    };
    GenericValue::Object {
        type_name: "Studio".into(),
        fields: vec![("name".into(), string(format!("studio{n}"))), ("country".into(), string("US".into()))],
    }
}

/// Apply `ops` to `model`; return the upserted movies in the order a full cycle adds them (the
/// surviving change of each key, in change order).
fn apply_to_model(model: &mut BTreeMap<i64, Movie>, ops: &[Op]) -> Vec<Movie> {
    let mut last = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Upsert(id, _) | Op::Delete(id) => {
                last.insert(*id, i);
            }
            Op::DeleteStudio(_) => {}
        }
    }
    let mut upserted = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Upsert(id, v) if last[id] == i => {
                let m = movie(*id, *v);
                model.insert(*id, m.clone());
                upserted.push(m);
            }
            Op::Delete(id) if last[id] == i => {
                model.remove(id);
            }
            _ => {}
        }
    }
    upserted
}

fn run_ops(producer: &mut Producer, ops: &[Op]) -> hollow::Result<Version> {
    producer.run_incremental_cycle(|c| {
        for op in ops {
            match op {
                Op::Upsert(id, v) => c.add_or_modify(&movie(*id, *v))?,
                Op::Delete(id) => c.delete_of::<Movie>(&[GenericValue::Long(*id)])?,
                Op::DeleteStudio(n) => c.delete("Studio", &[studio_value(*n)])?,
            }
        }
        Ok(())
    })
}

/// A full cycle adding the movies of `model` that were not upserted, then `upserted` in order.
fn run_full(producer: &mut Producer, model: &BTreeMap<i64, Movie>, upserted: &[Movie]) -> Version {
    let fresh: BTreeSet<i64> = upserted.iter().map(|m| m.id).collect();
    producer
        .run_cycle(|ws| {
            for m in model.values().filter(|m| !fresh.contains(&m.id)) {
                ws.add(m)?;
            }
            for m in upserted {
                ws.add(m)?;
            }
            Ok(())
        })
        .unwrap()
}

fn assert_same_blobs(a: &InMemoryBlobStore, b: &InMemoryBlobStore, version: Version, previous: Option<Version>) {
    let snap = |s: &InMemoryBlobStore| s.retrieve_snapshot(version).unwrap().filter(|b| b.to_version == version);
    let (sa, sb) = (snap(a).expect("snapshot"), snap(b).expect("snapshot"));
    assert_eq!(body(&sa.data), body(&sb.data), "snapshot type sections of version {version}");
    if let Some(p) = previous {
        let (da, db) = (a.retrieve_delta(p).unwrap().unwrap(), b.retrieve_delta(p).unwrap().unwrap());
        assert_eq!((da.to_version, db.to_version), (version, version));
        assert_eq!(body(&da.data), body(&db.data), "delta type sections {p} -> {version}");
        let (ra, rb) =
            (a.retrieve_reverse_delta(version).unwrap().unwrap(), b.retrieve_reverse_delta(version).unwrap().unwrap());
        assert_eq!(body(&ra.data), body(&rb.data), "reverse delta type sections {version} -> {p}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Several cycles of random upserts and deletes (double changes to a key, deletes of absent keys,
    /// studio deletes included): the incremental producer's blobs have the type sections of a full
    /// producer's that adds the resulting dataset, and both states hold the model.
    #[test]
    fn incremental_cycles_write_what_full_cycles_write(cycles in prop::collection::vec(prop::collection::vec(op_strategy(), 0..25), 1..6)) {
        let (inc_store, full_store) = (Arc::new(InMemoryBlobStore::new()), Arc::new(InMemoryBlobStore::new()));
        let (mut inc, mut full) = (producer(&inc_store), producer(&full_store));
        let mut model = BTreeMap::new();
        let mut previous: Option<Version> = None;
        for ops in &cycles {
            let upserted = apply_to_model(&mut model, ops);
            let vi = run_ops(&mut inc, ops).unwrap();
            let vf = run_full(&mut full, &model, &upserted);
            prop_assert_eq!(vi, vf);
            let state = inc.read_state().unwrap();
            prop_assert_eq!(&movies_of(&state), &model);
            prop_assert_eq!(&movies_of(&full.read_state().unwrap()), &model);
            if previous != Some(vi) {
                assert_same_blobs(&inc_store, &full_store, vi, previous);
                for t in ["Movie", "String", "Studio", "ListOfString", "SetOfString", "MapOfStringToInteger", "Integer"] {
                    prop_assert_eq!(populated(&state, t), populated(&full.read_state().unwrap(), t), "type {}", t);
                }
            }
            previous = Some(vi);
        }
    }
}

#[test]
fn a_consumer_follows_a_mix_of_full_and_incremental_cycles() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = producer(&store);
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    let mut rng = common::Rng(7);
    let mut model = BTreeMap::new();
    let mut history = Vec::new();
    for cycle in 0..16 {
        let version = if cycle % 3 == 2 {
            // A full cycle: some movies change, one goes.
            for _ in 0..4 {
                let id = rng.below(30) as i64;
                model.insert(id, movie(id, rng.next()));
            }
            if let Some(&id) = model.keys().nth(rng.below(model.len() as u64) as usize) {
                model.remove(&id);
            }
            let m = model.clone();
            producer
                .run_cycle(|ws| {
                    for movie in m.values() {
                        ws.add(movie)?;
                    }
                    Ok(())
                })
                .unwrap()
        } else {
            let ops: Vec<Op> = (0..8)
                .map(|_| match rng.below(3) {
                    0 => Op::Delete(rng.below(30) as i64),
                    _ => Op::Upsert(rng.below(30) as i64, rng.next()),
                })
                .collect();
            apply_to_model(&mut model, &ops);
            run_ops(&mut producer, &ops).unwrap()
        };
        assert_eq!(consumer.refresh().unwrap(), Some(version));
        assert_eq!(movies_of(&consumer.read_state().unwrap()), model, "cycle {cycle}");
        history.push((version, model.clone()));
    }
    // Every version, reached again by deltas and reverse deltas, holds its dataset.
    for (version, expected) in history.iter().rev().chain(history.iter()) {
        consumer.refresh_to(*version).unwrap();
        assert_eq!(&movies_of(&consumer.read_state().unwrap()), expected, "version {version}");
    }
    assert_eq!(producer.current_version(), Some(history.last().unwrap().0));
}

struct RefuseTitle(&'static str);

impl Validator for RefuseTitle {
    fn name(&self) -> &str {
        "refuse title"
    }
    fn validate(&self, state: &ReadState) -> Result<(), String> {
        match movies_of(state).values().find(|m| m.title == self.0) {
            Some(m) => Err(format!("movie {} has the refused title", m.id)),
            None => Ok(()),
        }
    }
}

#[test]
fn failed_incremental_cycles_announce_nothing_leave_no_blobs_and_the_next_cycle_continues() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(1)))
        .with_object_mapper(mapper())
        .with_validator(Arc::new(RefuseTitle("refused")))
        .build()
        .unwrap();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    let v1 = run_ops(&mut producer, &[Op::Upsert(1, 1), Op::Upsert(2, 2), Op::Upsert(3, 3)]).unwrap();
    assert_eq!(v1, 1);
    let blobs = store.list().unwrap();

    // 1. The change function fails half-way.
    let err = producer
        .run_incremental_cycle(|c| {
            c.add_or_modify(&movie(4, 4))?;
            c.delete_of::<Movie>(&[GenericValue::Long(1)])?;
            Err(Error::InvalidArgument("the source went away".into()))
        })
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(ref m) if m == "the source went away"), "{err}");
    // 2. A validator vetoes.
    let err = producer
        .run_incremental_cycle(|c| c.add_or_modify(&Movie { title: "refused".into(), ..movie(2, 9) }))
        .unwrap_err();
    assert!(matches!(err, Error::ValidationFailed(_)), "{err}");
    // 3. The change function panics.
    let err = producer
        .run_incremental_cycle(|c| {
            c.add_or_modify(&movie(5, 5))?;
            panic!("boom");
        })
        .unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    // 4. A change that does not fit.
    let err = producer.run_incremental_cycle(|c| c.delete("Movie", &[GenericValue::String("1".into())])).unwrap_err();
    assert!(matches!(err, Error::SchemaMismatch(_)), "{err}");

    assert_eq!(store.announced_version_for_test(), Some(v1));
    assert_eq!(store.list().unwrap(), blobs, "failed cycles leave no blob");
    assert_eq!(producer.current_version(), Some(v1));

    // The next cycle starts from version 1: its delta starts there and holds only its change.
    let v = run_ops(&mut producer, &[Op::Upsert(2, 20)]).unwrap();
    assert!(v > v1);
    let mut model = BTreeMap::new();
    apply_to_model(&mut model, &[Op::Upsert(1, 1), Op::Upsert(2, 20), Op::Upsert(3, 3)]);
    assert_eq!(store.retrieve_delta(v1).unwrap().unwrap().to_version, v);
    assert_eq!(consumer.refresh().unwrap(), Some(v));
    assert_eq!(movies_of(&consumer.read_state().unwrap()), model);
    let stats = producer.last_incremental_stats().unwrap();
    assert_eq!((stats.upserts, stats.deletes, stats.absent_deletes), (1, 0, 0));
    assert_eq!(stats.removed.get("Movie"), Some(&1));
    assert_eq!(stats.added.get("Movie"), Some(&1));
}

trait AnnouncedForTest {
    fn announced_version_for_test(&self) -> Option<Version>;
}

impl AnnouncedForTest for InMemoryBlobStore {
    fn announced_version_for_test(&self) -> Option<Version> {
        hollow::store::Announcer::announced_version(self).unwrap()
    }
}

#[test]
fn incremental_cycles_after_a_restore_keep_ordinals_and_the_delta_chain() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut first = producer(&store);
    let v1 = run_ops(&mut first, &[Op::Upsert(1, 1), Op::Upsert(2, 2), Op::Upsert(3, 3), Op::Upsert(4, 4)]).unwrap();
    let v2 = run_ops(&mut first, &[Op::Delete(2)]).unwrap();
    let before = first.read_state().unwrap();
    let ordinal_of = |state: &ReadState, id: i64| {
        let t = state.engine().object("Movie").unwrap();
        t.populated().iter().find(|&o| mapper::get::<Movie>(state.engine(), "Movie", o).unwrap().id == id).unwrap()
    };
    drop(first);
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    assert_eq!(consumer.refresh().unwrap(), Some(v2));

    // The restarted producer knows the types only from its mapper: the first change registers them.
    let mut second = producer(&store);
    assert_eq!(second.restore_announced(&*store).unwrap(), v2);
    let v3 = run_ops(&mut second, &[Op::Upsert(3, 30), Op::Upsert(5, 5)]).unwrap();
    assert!(v3 > v2 && v2 > v1);
    let after = second.read_state().unwrap();
    for id in [1, 4] {
        assert_eq!(ordinal_of(&after, id), ordinal_of(&before, id), "movie {id} keeps its ordinal");
    }
    let mut model = BTreeMap::new();
    apply_to_model(&mut model, &[Op::Upsert(1, 1), Op::Upsert(3, 30), Op::Upsert(4, 4), Op::Upsert(5, 5)]);
    assert_eq!(movies_of(&after), model);
    // Consumers on version 2 follow with the delta.
    assert_eq!(store.retrieve_delta(v2).unwrap().unwrap().to_version, v3);
    assert_eq!(consumer.refresh().unwrap(), Some(v3));
    assert_eq!(movies_of(&consumer.read_state().unwrap()), model);
    // Movie 3 was modified: removed and added (the freed ordinal 1 of movie 2 is reused).
    let stats = second.last_incremental_stats().unwrap();
    assert_eq!((stats.upserts, stats.deletes), (2, 0));
    assert_eq!(stats.removed.get("Movie"), Some(&1));
    assert_eq!(stats.added.get("Movie"), Some(&2));
}

#[test]
fn a_change_set_applied_twice_changes_nothing_the_second_time() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = producer(&store);
    let v1 = run_ops(&mut producer, &[Op::Upsert(1, 1), Op::Upsert(2, 2), Op::Upsert(3, 3)]).unwrap();
    let schemas: Vec<_> = producer.engine_mut().schemas().cloned().collect();
    let json = format!(
        "{}\n{}\n{}\n",
        r#"{"op":"upsert","type":"Movie","record":{"id":2,"title":"Two","tags":["a","b"],"genres":["g"],"ratings":{"imdb":7},"studio":{"name":"S","country":"FR"}}}"#,
        r#"{"op":"delete","type":"Movie","key":[3]}"#,
        r#"{"op":"delete","type":"Movie","key":[99]}"#
    );
    let changes = ChangeSet::read_json_lines(json.as_bytes(), &schemas).unwrap();
    assert_eq!(changes.len(), 3);
    let v2 = producer.apply_change_set(&changes).unwrap();
    assert!(v2 > v1);
    let state = producer.read_state().unwrap();
    let movies = movies_of(&state);
    assert_eq!(movies.keys().copied().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(movies[&2].title, "Two");
    assert_eq!(movies[&2].studio, Studio { name: "S".into(), country: "FR".into() });
    let stats = producer.last_incremental_stats().unwrap().clone();
    assert_eq!((stats.upserts, stats.deletes, stats.absent_deletes), (1, 1, 1));
    let blobs = store.list().unwrap();

    let again = producer.apply_change_set(&changes).unwrap();
    assert_eq!(again, v2, "nothing changed: no new version");
    assert_eq!(store.list().unwrap(), blobs, "and no blob");
    let stats = producer.last_incremental_stats().unwrap();
    assert_eq!((stats.upserts, stats.deletes, stats.absent_deletes), (1, 0, 2));
    assert!(stats.removed.is_empty() && stats.added.is_empty(), "{stats:?}");
    assert_eq!(movies_of(&producer.read_state().unwrap()), movies);
}

#[test]
fn deleting_a_record_removes_its_orphans_and_keeps_shared_children() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = producer(&store);
    let m = |id: i64, title: &str, tags: &[&str], studio: &str| Movie {
        id,
        title: title.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        genres: BTreeSet::new(),
        ratings: BTreeMap::new(),
        studio: Studio { name: studio.into(), country: "US".into() },
    };
    let movies = [
        m(1, "One", &["shared", "only1"], "A"),
        m(2, "Two", &["shared", "only2"], "A"),
        m(3, "Three", &["shared", "only2"], "B"),
    ];
    producer.run_incremental_cycle(|c| movies.iter().try_for_each(|movie| c.add_or_modify(movie))).unwrap();
    let state = producer.read_state().unwrap();
    // Strings: One Two Three shared only1 only2 A B US; movies 2 and 3 share one list.
    assert_eq!(populated(&state, "String"), 9);
    assert_eq!(populated(&state, "ListOfString"), 2);
    assert_eq!(populated(&state, "Studio"), 2);

    // Movie 1 goes with its title, its list and "only1"; "shared" and studio A stay (movie 2 has them).
    producer.run_incremental_cycle(|c| c.delete("Movie", &[GenericValue::Long(1)])).unwrap();
    let state = producer.read_state().unwrap();
    assert_eq!(populated(&state, "Movie"), 2);
    assert_eq!(populated(&state, "String"), 7);
    assert_eq!(populated(&state, "ListOfString"), 1);
    assert_eq!(populated(&state, "Studio"), 2);
    let stats = producer.last_incremental_stats().unwrap();
    assert_eq!(stats.removed, BTreeMap::from([("Movie".into(), 1), ("String".into(), 2), ("ListOfString".into(), 1)]));

    // Movie 3 goes: its list is the same record as movie 2's, so it stays; studio B and its name go.
    producer.run_incremental_cycle(|c| c.delete_of::<Movie>(&[GenericValue::Int(3)])).unwrap();
    let state = producer.read_state().unwrap();
    assert_eq!(populated(&state, "ListOfString"), 1);
    assert_eq!(populated(&state, "Studio"), 1);
    assert_eq!(populated(&state, "String"), 5, "Two shared only2 A US: Three and B went");

    // A studio still referenced is not deleted by a keyless delete; an unreferenced one would be.
    let studio = |n: &str| GenericValue::Object {
        type_name: "Studio".into(),
        fields: vec![
            (
                "name".into(),
                GenericValue::Object {
                    type_name: "String".into(),
                    fields: vec![("value".into(), GenericValue::String(n.into()))],
                },
            ),
            (
                "country".into(),
                GenericValue::Object {
                    type_name: "String".into(),
                    fields: vec![("value".into(), GenericValue::String("US".into()))],
                },
            ),
        ],
    };
    let v = producer.current_version();
    assert_eq!(producer.run_incremental_cycle(|c| c.delete("Studio", &[studio("A")])).unwrap(), v.unwrap());
    assert_eq!(producer.last_incremental_stats().unwrap().deletes, 1);
    assert_eq!(populated(&producer.read_state().unwrap(), "Studio"), 1);
    assert_eq!(producer.run_incremental_cycle(|c| c.delete("Studio", &[studio("Z")])).unwrap(), v.unwrap());
    assert_eq!(producer.last_incremental_stats().unwrap().absent_deletes, 1);
}

#[test]
fn errors_are_typed_and_fail_the_cycle() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = producer(&store);
    run_ops(&mut producer, &[Op::Upsert(1, 1)]).unwrap();
    type Case = Box<dyn Fn(&mut hollow::producer::IncrementalChanges<'_>) -> hollow::Result<()>>;
    let cases: Vec<(Case, &str)> = vec![
        (Box::new(|c| c.delete("Nope", &[GenericValue::Long(1)])), "NotFound"),
        (Box::new(|c| c.upsert_json("Nope", &serde_json::json!({}))), "NotFound"),
        (Box::new(|c| c.delete("Movie", &[])), "SchemaMismatch"),
        (Box::new(|c| c.delete("Movie", &[GenericValue::Long(1), GenericValue::Long(2)])), "SchemaMismatch"),
        (Box::new(|c| c.delete("Movie", &[GenericValue::Boolean(true)])), "SchemaMismatch"),
        (Box::new(|c| c.delete("Studio", &[GenericValue::Long(1)])), "InvalidArgument"),
        (Box::new(|c| c.delete("Studio", &[])), "SchemaMismatch"),
        (Box::new(|c| c.upsert_generic("Movie", &GenericValue::Long(1))), "SchemaMismatch"),
    ];
    let v = producer.current_version();
    for (f, expected) in cases {
        let err = producer.run_incremental_cycle(|c| f(c)).unwrap_err();
        let kind = match err {
            Error::NotFound(_) => "NotFound",
            Error::SchemaMismatch(_) => "SchemaMismatch",
            Error::InvalidArgument(_) => "InvalidArgument",
            _ => "other",
        };
        assert_eq!(kind, expected, "{err}");
        assert_eq!(producer.current_version(), v);
    }
}

#[test]
fn an_incremental_cycle_before_any_state_starts_from_nothing_and_later_changes_win() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut inc = producer(&store);
    let v = inc
        .run_incremental_cycle(|c| {
            c.add_or_modify(&movie(1, 1))?;
            c.add_or_modify(&movie(2, 2))?;
            c.add_or_modify(&movie(1, 5))?;
            c.delete_of::<Movie>(&[GenericValue::Long(2)])?;
            c.delete_of::<Movie>(&[GenericValue::Long(7)])
        })
        .unwrap();
    assert_eq!(v, 1);
    assert!(store.retrieve_snapshot(1).unwrap().is_some());
    let movies = movies_of(&inc.read_state().unwrap());
    assert_eq!(movies, BTreeMap::from([(1, movie(1, 5))]));
    let stats = inc.last_incremental_stats().unwrap();
    assert_eq!((stats.upserts, stats.deletes, stats.absent_deletes, stats.superseded), (1, 0, 2, 2));
    // The same ordinals as a producer that only ever added movie 1 in its last form.
    let other_store = Arc::new(InMemoryBlobStore::new());
    let mut other = producer(&other_store);
    other.run_cycle(|ws| ws.add(&movie(1, 5)).map(|_| ())).unwrap();
    assert_eq!(
        body(&store.retrieve_snapshot(1).unwrap().unwrap().data),
        body(&other_store.retrieve_snapshot(1).unwrap().unwrap().data)
    );
}

#[test]
fn changes_of_generic_and_json_records() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = producer(&store);
    run_ops(&mut producer, &[Op::Upsert(1, 1), Op::Upsert(2, 2)]).unwrap();
    let record = mapper::read_generic(producer.read_state().unwrap().engine(), "Movie", 0).unwrap();
    let mut changes = ChangeSet::new();
    changes.push(Change::Delete { type_name: "Movie".into(), key: vec![GenericValue::Long(1)] });
    changes.push(Change::Upsert { type_name: "Movie".into(), record: record.clone() });
    producer.apply_change_set(&changes).unwrap();
    // The upsert of movie 1 came after its delete: it wins, and it is the same record.
    let stats = producer.last_incremental_stats().unwrap();
    assert_eq!((stats.upserts, stats.deletes, stats.superseded), (1, 0, 1));
    assert!(stats.removed.is_empty() && stats.added.is_empty());
    producer
        .run_incremental_cycle(|c| {
            c.upsert_json(
                "Movie",
                &serde_json::json!({"id": 3, "title": "Three", "tags": [], "genres": [], "ratings": {}, "studio": {"name": "J", "country": "US"}}),
            )
        })
        .unwrap();
    let movies = movies_of(&producer.read_state().unwrap());
    assert_eq!(movies.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(movies[&3].studio.name, "J");
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct BenchMovie {
    id: i64,
    title: String,
    year: i32,
    tags: Vec<String>,
}

fn bench_movie(id: i64, rev: i64) -> BenchMovie {
    BenchMovie {
        id,
        title: format!("movie {id} rev {rev}"),
        year: 1900 + (id % 120) as i32,
        tags: vec![format!("tag{}", id % 50), format!("tag{}", (id + rev) % 70)],
    }
}

struct Timings(std::sync::Mutex<Vec<hollow::producer::CycleMetrics>>);

impl hollow::producer::MetricsCollector for Timings {
    fn collect(&self, metrics: &hollow::producer::CycleMetrics) {
        self.0.lock().unwrap().push(metrics.clone());
    }
}

/// 1M movies, 1% of them changed (0.5% modified, 0.25% deleted, 0.25% new): a full cycle against an
/// incremental one. Run with `cargo test --release --test incremental_producer -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a test; run in release"]
fn one_million_movies_one_percent_changed() {
    const N: i64 = 1_000_000;
    let run = |incremental: bool| {
        let store = Arc::new(InMemoryBlobStore::new());
        let timings = Arc::new(Timings(std::sync::Mutex::new(Vec::new())));
        let mut producer = Producer::builder(store.clone())
            .with_announcer(store.clone())
            .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(1)))
            .with_object_mapper(ObjectMapper::new().primary_key("BenchMovie", ["id"]))
            .with_metrics_collector(timings.clone())
            .build()
            .unwrap();
        producer.run_cycle(|ws| (0..N).try_for_each(|id| ws.add(&bench_movie(id, 0)).map(|_| ()))).unwrap();
        let modified = (0..N).step_by(200);
        let deleted = (100..N).step_by(400);
        let added = N..N + N / 400;
        let started = std::time::Instant::now();
        if incremental {
            producer
                .run_incremental_cycle(|c| {
                    for id in modified.clone() {
                        c.add_or_modify(&bench_movie(id, 1))?;
                    }
                    for id in deleted.clone() {
                        c.delete_of::<BenchMovie>(&[GenericValue::Long(id)])?;
                    }
                    for id in added.clone() {
                        c.add_or_modify(&bench_movie(id, 1))?;
                    }
                    Ok(())
                })
                .unwrap();
        } else {
            let gone: BTreeSet<i64> = deleted.clone().collect();
            producer
                .run_cycle(|ws| {
                    for id in (0..N).filter(|id| !gone.contains(id)) {
                        let rev = i64::from(id % 200 == 0);
                        ws.add(&bench_movie(id, rev))?;
                    }
                    for id in added.clone() {
                        ws.add(&bench_movie(id, 1))?;
                    }
                    Ok(())
                })
                .unwrap();
        }
        let elapsed = started.elapsed();
        let m = timings.0.lock().unwrap().last().cloned().unwrap();
        let state = producer.read_state().unwrap();
        (
            elapsed,
            m.populate_duration,
            m.delta_bytes,
            body(&store.retrieve_delta(1).unwrap().unwrap().data),
            populated(&state, "BenchMovie"),
        )
    };
    let (full, full_populate, full_delta, full_body, full_count) = run(false);
    let (inc, inc_populate, inc_delta, inc_body, inc_count) = run(true);
    println!(
        "full cycle:        {full:?} (populate {full_populate:?}), delta {full_delta:?} bytes, {full_count} movies"
    );
    println!("incremental cycle: {inc:?} (populate {inc_populate:?}), delta {inc_delta:?} bytes, {inc_count} movies");
    assert_eq!(full_count, inc_count);
    assert_eq!(full_body, inc_body, "the same delta type sections");
}

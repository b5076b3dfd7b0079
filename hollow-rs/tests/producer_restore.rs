//! A producer that restarts: it restores the announced version from a filesystem blob store and
//! carries on, and a consumer that followed the first producer keeps following with deltas.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use hollow::consumer::Consumer;
use hollow::producer::{Producer, SequenceVersionMinter, WriteState};
use hollow::read::ReadStateEngine;
use hollow::schema::{FieldType, ListSchema, ObjectField, ObjectSchema, Schema};
use hollow::store::filesystem::FilesystemBlobStore;
use hollow::store::{AnnouncementWatcher, BlobRetriever};
use hollow::tools::stringify::stringify;
use hollow::write::{ListRecord, ObjectRecord};
use hollow::Error;

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("hollow-producer-restore-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn schemas() -> Vec<Schema> {
    vec![
        ObjectSchema::new("Actor").with_field(ObjectField::new("name", FieldType::String)).into(),
        ListSchema { name: "ListOfActor".into(), element_type: "Actor".into() }.into(),
        ObjectSchema::new("Movie")
            .with_field(ObjectField::new("id", FieldType::Int))
            .with_field(ObjectField::new("title", FieldType::String))
            .with_field(ObjectField::new("rating", FieldType::Double))
            .with_field(ObjectField::reference("cast", "ListOfActor"))
            .with_primary_key(["id"])
            .into(),
    ]
}

fn producer(
    store: &Arc<FilesystemBlobStore>,
    configure: impl FnOnce(hollow::producer::ProducerBuilder) -> hollow::producer::ProducerBuilder,
) -> Producer {
    let mut builder = Producer::builder(store.clone())
        .with_announcer(store.clone())
        // A restarted producer's minter starts over: restoring must move it past the restored version.
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(100)));
    for s in schemas() {
        builder = builder.with_schema(s);
    }
    configure(builder).build().unwrap()
}

/// A movie: id, title, rating (NaN for some) and cast.
#[derive(Debug, Clone)]
struct Movie {
    id: i32,
    title: String,
    rating: Option<f64>,
    cast: Vec<&'static str>,
}

fn movie(id: i32, revision: u32) -> Movie {
    const ACTORS: [&str; 6] = ["Ana", "Bo", "Cy", "Dee", "Eve", "Flo"];
    Movie {
        id,
        title: format!("Movie {id}{}", if revision > 0 { format!(" (cut {revision})") } else { String::new() }),
        rating: match id % 5 {
            0 => None,
            1 => Some(f64::NAN),
            _ => Some(id as f64 / 4.0),
        },
        cast: (0..(id % 4) as usize).map(|i| ACTORS[(id as usize + i) % ACTORS.len()]).collect(),
    }
}

/// The movies of each version of the test: a few added, removed and changed every time.
fn movies(version: u32) -> Vec<Movie> {
    match version {
        1 => (0..30).map(|id| movie(id, 0)).collect(),
        2 => (0..34).filter(|id| id % 7 != 3).map(|id| movie(id, (id == 5) as u32)).collect(),
        3 => (0..36).filter(|id| id % 7 != 3 && id % 11 != 2).map(|id| movie(id, (id == 5) as u32)).collect(),
        _ => (0..40)
            .filter(|id| id % 7 != 3 && id % 13 != 4)
            .map(|id| movie(id, (id == 5 || id == 8) as u32 * 2))
            .collect(),
    }
}

fn populate(movies: Vec<Movie>) -> impl FnOnce(&mut WriteState<'_>) -> hollow::Result<()> {
    move |ws| {
        let mut actors = BTreeMap::new();
        let mut r = ObjectRecord::new();
        for m in &movies {
            let mut cast = ListRecord::new();
            for &name in &m.cast {
                let ordinal = match actors.get(name) {
                    Some(&o) => o,
                    None => {
                        r.clear().set_string("name", name);
                        let o = ws.add_object("Actor", &r)?;
                        actors.insert(name, o);
                        o
                    }
                };
                cast.add_element(ordinal);
            }
            let cast = ws.add_list("ListOfActor", &cast)?;
            r.clear().set_int("id", m.id).set_string("title", &m.title).set_reference("cast", cast);
            m.rating.map(|v| r.set_double("rating", v));
            ws.add_object("Movie", &r)?;
        }
        Ok(())
    }
}

/// Movie ordinal by id in a state.
fn movie_ordinals(state: &ReadStateEngine) -> BTreeMap<i32, u32> {
    let t = state.object("Movie").unwrap();
    let id = t.field_index("id").unwrap();
    t.populated().iter().map(|o| (t.read_int(o, id).unwrap(), o)).collect()
}

/// Check a state holds exactly `expected`, by value.
fn check_movies(state: &ReadStateEngine, expected: &[Movie], what: &str) {
    let t = state.object("Movie").unwrap();
    let f = |n: &str| t.field_index(n).unwrap();
    let by_id = movie_ordinals(state);
    assert_eq!(by_id.keys().copied().collect::<Vec<_>>(), expected.iter().map(|m| m.id).collect::<Vec<_>>(), "{what}");
    let lists = state.list("ListOfActor").unwrap();
    let actors = state.object("Actor").unwrap();
    for m in expected {
        let o = by_id[&m.id];
        assert_eq!(t.read_string(o, f("title")).as_deref(), Some(m.title.as_str()), "{what}: movie {}", m.id);
        assert_eq!(
            t.read_double(o, f("rating")).map(f64::to_bits),
            m.rating.map(|v| if v.is_nan() { f64::NAN.to_bits() } else { v.to_bits() }),
            "{what}: movie {}",
            m.id
        );
        let cast = t.read_ordinal(o, f("cast")).unwrap();
        let names: Vec<String> = lists.elements(cast).map(|a| actors.read_string(a, 0).unwrap().into_owned()).collect();
        assert_eq!(names, m.cast, "{what}: movie {} cast", m.id);
    }
}

/// Every populated record of every type, stringified (references expanded), sorted per type.
fn records(state: &ReadStateEngine) -> BTreeMap<String, Vec<String>> {
    state
        .types()
        .map(|t| {
            let mut r: Vec<String> = t.populated().iter().map(|o| stringify(state, t.name(), o)).collect();
            r.sort();
            (t.name().to_owned(), r)
        })
        .collect()
}

#[test]
fn a_restarted_producer_continues_the_delta_chain() {
    let dir = TempDir::new("chain");
    let store = Arc::new(FilesystemBlobStore::create(&dir.0).unwrap());
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();

    let mut first = producer(&store, |b| b);
    for v in 1..=3 {
        first.run_cycle(populate(movies(v))).unwrap();
        consumer.refresh().unwrap();
    }
    drop(first);
    let v3 = store.latest_version().unwrap().unwrap();
    assert_eq!(v3, 102);
    let state3 = consumer.read_state().unwrap().engine().clone();
    check_movies(&state3, &movies(3), "v3");
    assert_eq!(consumer.metrics().snapshots_applied, 1);

    let mut second = producer(&store, |b| b);
    second.restore(v3, store.as_ref()).unwrap();
    assert_eq!(second.current_version(), Some(v3));
    let v4 = second.run_cycle(populate(movies(4))).unwrap();
    assert_eq!(v4, 103, "versions continue after the restored one");
    assert!(store.retrieve_delta(v3).unwrap().is_some_and(|d| d.to_version == v4));

    assert_eq!(consumer.refresh().unwrap(), Some(v4));
    let metrics = consumer.metrics();
    assert_eq!(metrics.snapshots_applied, 1, "the consumer followed with the delta, no second snapshot");
    assert_eq!(metrics.deltas_applied, 3);
    let state4 = consumer.read_state().unwrap().engine().clone();
    check_movies(&state4, &movies(4), "v4 via delta");

    // Unchanged movies kept their ordinals across the restart.
    let (before, after) = (movie_ordinals(&state3), movie_ordinals(&state4));
    let unchanged: Vec<i32> = movies(4)
        .iter()
        .filter(|m| movies(3).iter().any(|p| p.id == m.id && p.title == m.title))
        .map(|m| m.id)
        .collect();
    assert!(unchanged.len() > 20);
    for id in unchanged {
        assert_eq!(after[&id], before[&id], "movie {id} keeps its ordinal");
    }

    // The state reached by the delta is the one a fresh consumer loads from the new snapshot.
    let fresh = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    fresh.refresh().unwrap();
    assert_eq!(fresh.metrics().snapshots_applied, 1);
    assert_eq!(records(&state4), records(fresh.read_state().unwrap().engine()));
    // And the reverse delta leads back to v3.
    consumer.refresh_to(v3).unwrap();
    assert_eq!(records(consumer.read_state().unwrap().engine()), records(&state3));
}

#[test]
fn restoring_through_deltas_and_an_unchanged_cycle() {
    let dir = TempDir::new("deltas");
    let store = Arc::new(FilesystemBlobStore::create(&dir.0).unwrap());
    // Snapshots only every 10 states: restoring v3 takes the v1 snapshot and two deltas.
    let mut first = producer(&store, |b| b.with_num_states_between_snapshots(10));
    for v in 1..=3 {
        first.run_cycle(populate(movies(v))).unwrap();
    }
    drop(first);
    assert!(store.retrieve_snapshot(102).unwrap().is_some_and(|s| s.to_version == 100));

    let mut second = producer(&store, |b| b.with_num_states_between_snapshots(10));
    second.restore(102, store.as_ref()).unwrap();
    check_movies(second.read_state().unwrap().engine(), &movies(3), "restored v3");
    // The same records again: nothing to publish.
    assert_eq!(second.run_cycle(populate(movies(3))).unwrap(), 102);
    assert!(store.retrieve_delta(102).unwrap().is_none());
    // Then a real change (version 103 was minted for the unchanged cycle and not used).
    assert_eq!(second.run_cycle(populate(movies(4))).unwrap(), 104);
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    consumer.refresh_to(102).unwrap();
    consumer.refresh().unwrap();
    check_movies(consumer.read_state().unwrap().engine(), &movies(4), "v4 from v3");
    assert_eq!(consumer.metrics().snapshots_applied, 1);
}

#[test]
fn a_failed_restore_leaves_the_producer_as_it_was() {
    let dir = TempDir::new("missing");
    let store = Arc::new(FilesystemBlobStore::create(&dir.0).unwrap());
    let mut first = producer(&store, |b| b);
    let v1 = first.run_cycle(populate(movies(1))).unwrap();

    // While the first producer lives, it holds the store's producer lock.
    let mut other = producer(&store, |b| b);
    let err = other.restore(v1, store.as_ref()).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    drop(first);
    let err = other.restore(99, store.as_ref()).unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    assert_eq!(other.current_version(), None);
    // A version above the announced one was never announced: only a failed cycle can have made it.
    let err = other.restore(v1 + 1, store.as_ref()).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)) && err.to_string().contains("never announced"), "{err}");
    drop(other);

    // A producer whose schema does not fit the stored state cannot restore it.
    let mut incompatible = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_schema(ObjectSchema::new("Movie").with_field(ObjectField::new("id", FieldType::Long)).into())
        .build()
        .unwrap();
    let err = incompatible.restore(v1, store.as_ref()).unwrap_err();
    assert!(matches!(err, Error::SchemaMismatch(_)), "{err}");
    assert_eq!(incompatible.current_version(), None);
    assert!(incompatible.engine_mut().schema("Movie").is_some(), "the old engine is kept");
}

#[test]
fn a_type_registered_while_populating_is_restored_too() {
    // `add_string` registers the String type on first use, so a new producer does not have it yet when
    // it restores; it is restored when the first cycle registers it.
    let dir = TempDir::new("lazy");
    let store = Arc::new(FilesystemBlobStore::create(&dir.0).unwrap());
    let strings = |values: &'static [&'static str]| {
        move |ws: &mut WriteState<'_>| values.iter().try_for_each(|v| ws.add_string(v).map(drop))
    };
    let new_producer = || {
        Producer::builder(store.clone())
            .with_announcer(store.clone())
            .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(1)))
            .build()
            .unwrap()
    };
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    let mut first = new_producer();
    first.run_cycle(strings(&["a", "b", "c", "d"])).unwrap();
    let v2 = first.run_cycle(strings(&["a", "c", "d", "e"])).unwrap();
    consumer.refresh().unwrap();
    let before = consumer.read_state().unwrap();
    drop(first);

    let mut second = new_producer();
    second.restore(v2, store.as_ref()).unwrap();
    let v3 = second.run_cycle(strings(&["c", "a", "f", "e"])).unwrap();
    assert_eq!(consumer.refresh().unwrap(), Some(v3));
    assert_eq!(consumer.metrics().snapshots_applied, 1);
    let after = consumer.read_state().unwrap();
    let (b, a) = (before.engine().object("String").unwrap(), after.engine().object("String").unwrap());
    let ordinal_of =
        |t: &hollow::read::ObjectTypeReadState, s: &str| t.populated().iter().find(|&o| t.string_equals(o, 0, s));
    for s in ["a", "c", "e"] {
        assert_eq!(ordinal_of(a, s), ordinal_of(b, s), "{s} keeps its ordinal");
    }
    let mut values: Vec<String> = a.populated().iter().map(|o| a.read_string(o, 0).unwrap().into_owned()).collect();
    values.sort();
    assert_eq!(values, ["a", "c", "e", "f"]);
}

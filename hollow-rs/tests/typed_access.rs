//! The typed front door of a read state: `get_as`, `index`, `iter`, `records_of`, and their errors.

use std::sync::Arc;

use hollow::{Consumer, Error, InMemoryBlobStore, ObjectMapper, Producer, ReadState};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Address {
    city: String,
    zip: i32,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Studio {
    name: String,
    address: Address,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Movie {
    id: i64,
    title: String,
    tags: Vec<String>,
    studio: Option<Studio>,
}

/// A Rust type whose `title` disagrees with the stored kind (a number, stored as a String reference).
#[derive(Serialize, Deserialize, Debug)]
#[serde(rename = "Movie")]
struct MovieWithNumericTitle {
    id: i64,
    title: i64,
}

/// Fewer fields than stored, under another Rust name: still readable.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Headline {
    id: i64,
    title: String,
}

fn movies() -> Vec<Movie> {
    let studio =
        |name: &str, city: &str, zip| Studio { name: name.into(), address: Address { city: city.into(), zip } };
    vec![
        Movie { id: 1, title: "Alien".into(), tags: vec!["scifi".into()], studio: Some(studio("Fox", "LA", 90001)) },
        Movie { id: 2, title: "Heat".into(), tags: vec![], studio: None },
        Movie {
            id: 3,
            title: "Ran".into(),
            tags: vec!["epic".into(), "war".into()],
            studio: Some(studio("Herald", "Tokyo", 100)),
        },
    ]
}

fn state() -> Arc<ReadState> {
    let store = Arc::new(InMemoryBlobStore::new());
    let mapper = ObjectMapper::new().primary_key("Movie", ["id"]).primary_key("Studio", ["name", "address.city.value"]);
    let mut producer =
        Producer::builder(store.clone()).with_announcer(store.clone()).with_object_mapper(mapper).build().unwrap();
    producer
        .run_cycle(|ws| {
            for movie in movies() {
                ws.add(&movie)?;
            }
            Ok(())
        })
        .unwrap();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store).build();
    consumer.refresh().unwrap();
    consumer.read_state().unwrap()
}

#[test]
fn get_as_reads_a_record_by_its_primary_key() {
    let state = state();
    assert_eq!(state.get_as::<Movie>(3_i64).unwrap(), Some(movies()[2].clone()));
    assert_eq!(state.get_as::<Movie>(4_i64).unwrap(), None);
    // A key of the wrong kind matches nothing.
    assert_eq!(state.get_as::<Movie>("3").unwrap(), None);
    // A composite key through a reference, as a tuple.
    let fox = state.get_as::<Studio>(("Fox", "LA")).unwrap().expect("Fox");
    assert_eq!(fox.address, Address { city: "LA".into(), zip: 90001 });
    assert_eq!(state.get_as::<Studio>(("Fox", "Tokyo")).unwrap(), None);
    // The simple string API is untouched.
    assert!(state.contains("Alien") && state.get("Heat").as_deref() == Some("Heat"));
}

#[test]
fn a_typed_index_is_held_and_reused() {
    let state = state();
    let index = state.index::<Movie>().unwrap();
    for movie in movies() {
        assert_eq!(index.get(movie.id).unwrap().as_ref(), Some(&movie));
        assert!(index.ordinal(movie.id).is_some());
    }
    assert_eq!(index.get(99_i64).unwrap(), None);
    assert_eq!(index.untyped().type_name(), "Movie");
}

#[test]
fn iter_reads_every_record_of_the_type() {
    let state = state();
    let mut all: Vec<Movie> = state.iter::<Movie>().unwrap().collect::<hollow::Result<_>>().unwrap();
    all.sort_by_key(|m| m.id);
    assert_eq!(all, movies());
    let records = state.records::<Movie>().unwrap();
    assert_eq!((records.type_name(), records.len()), ("Movie", 3));
    let cities: Vec<Address> = state.iter::<Address>().unwrap().map(Result::unwrap).collect();
    assert_eq!(cities.len(), 2);
    assert!(matches!(records.by_ordinal(1000), Err(Error::NotFound(_))));
}

#[test]
fn another_rust_name_reads_through_records_of() {
    let state = state();
    let headlines = state.records_of::<Headline>("Movie").unwrap();
    assert_eq!(headlines.get(2_i64).unwrap(), Some(Headline { id: 2, title: "Heat".into() }));
    // Without the name, `Headline` is not a type of the state.
    match state.get_as::<Headline>(2_i64) {
        Err(Error::NotFound(message)) => assert!(message.contains("Headline"), "{message}"),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn a_rust_type_that_does_not_fit_is_a_schema_mismatch() {
    let state = state();
    match state.index::<MovieWithNumericTitle>() {
        Err(Error::SchemaMismatch(message)) => assert!(message.contains("Movie.title"), "{message}"),
        other => panic!("expected SchemaMismatch, got {other:?}"),
    }
    // A type without a primary key has no index.
    assert!(matches!(state.index::<Address>(), Err(Error::InvalidArgument(_))));
}

#[test]
fn an_inline_string_reads_into_a_string_field() {
    // Written as Java's `@HollowInline String title` (a STRING field), read by a Rust type whose
    // `String` derives a REFERENCE to `String`: the same value, so it reads.
    let store = Arc::new(InMemoryBlobStore::new());
    let mapper = ObjectMapper::new().primary_key("Headline", ["id"]).inline_field("Headline", "title");
    let mut producer =
        Producer::builder(store.clone()).with_announcer(store.clone()).with_object_mapper(mapper).build().unwrap();
    producer.run_cycle(|ws| ws.add(&Headline { id: 7, title: "Ran".into() }).map(drop)).unwrap();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store).build();
    consumer.refresh().unwrap();
    let state = consumer.read_state().unwrap();
    let schema = state.engine().schema("Headline").unwrap().to_string();
    assert!(schema.contains("string title;"), "{schema}");
    assert_eq!(state.get_as::<Headline>(7_i64).unwrap(), Some(Headline { id: 7, title: "Ran".into() }));
}

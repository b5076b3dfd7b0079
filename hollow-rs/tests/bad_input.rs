//! Bad input is refused with an error naming what was wrong, and refusing it loses nothing: the
//! announced version and its data stay as they were. Rust API (the command-line tool's refusals: `hollow-rs/cli/tests/bad_input.rs`).

use std::sync::Arc;

use hollow::consumer::Consumer;
use hollow::producer::{Producer, RecordCountVarianceValidator, WriteState};
use hollow::schema::dsl::parse_schemas;
use hollow::store::memory::InMemoryBlobStore;
use hollow::store::{Announcer, BlobPublisher};
use hollow::Error;

const MOVIES: &str = "Movie @PrimaryKey(id) { long id; String title; } String { string value; }";

fn build(schema: &str) -> hollow::Result<Producer> {
    let store = Arc::new(InMemoryBlobStore::new());
    Producer::builder(store.clone()).with_announcer(store).with_schemas(parse_schemas(schema)?).build()
}

#[test]
fn a_producer_without_an_announcer_and_a_consumer_without_a_watcher_say_so() {
    let store = Arc::new(InMemoryBlobStore::new());
    let err = Producer::builder(store.clone()).build().unwrap_err();
    assert!(matches!(&err, Error::InvalidArgument(m) if m.contains("no announcer")), "{err}");
    let mut silent = Producer::builder(store.clone()).without_announcer().build().unwrap();
    let v = silent.run_cycle(|ws| ws.add_string("x").map(drop)).unwrap();
    assert_eq!(store.announced_version().unwrap(), None);
    let consumer = Consumer::builder(store.clone()).build();
    let err = consumer.refresh().unwrap_err();
    assert!(matches!(&err, Error::InvalidArgument(m) if m.contains("no announcement watcher")), "{err}");
    assert_eq!(consumer.refresh_to(v).unwrap(), v);
}

#[test]
fn schemas_are_checked_when_the_producer_is_built() {
    let twice = build("Movie { long id; } Movie { string id; }").unwrap_err();
    assert!(matches!(&twice, Error::Schema(m) if m.contains("Movie is defined twice")), "{twice}");
    let nope = build("Movie @PrimaryKey(nope) { long id; }").unwrap_err();
    assert!(matches!(&nope, Error::Schema(m) if m.contains("nope") && m.contains("Movie")), "{nope}");
    let through_inline = build("Movie @PrimaryKey(id.x) { long id; }").unwrap_err();
    assert!(matches!(&through_inline, Error::Schema(m) if m.contains("id.x")), "{through_inline}");
    let set_key = build("SetOfMovie Set<Movie> @HashKey(missing); Movie { long id; }").unwrap_err();
    assert!(matches!(&set_key, Error::Schema(m) if m.contains("missing")), "{set_key}");
    build(MOVIES).unwrap();
}

fn add_movies(movies: &'static [(i64, &'static str)]) -> impl FnOnce(&mut WriteState<'_>) -> hollow::Result<()> {
    move |ws| {
        for &(id, title) in movies {
            let title = ws.add_string(title)?;
            let mut movie = hollow::write::ObjectRecord::new();
            movie.set_long("id", id).set_reference("title", title);
            ws.add_object("Movie", &movie)?;
        }
        Ok(())
    }
}

fn titles(consumer: &Consumer) -> usize {
    consumer.read_state().unwrap().engine().type_state("Movie").unwrap().populated().count()
}

#[test]
fn duplicate_primary_keys_are_refused_by_default_and_nothing_is_lost() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_schemas(parse_schemas(MOVIES).unwrap())
        .build()
        .unwrap();
    let v1 = producer.run_cycle(add_movies(&[(1, "Heat"), (2, "Alien")])).unwrap();
    let blobs = store.list().unwrap();
    let err = producer.run_cycle(add_movies(&[(1, "Heat"), (1, "Heat 2"), (3, "Ran")])).unwrap_err();
    let Error::ValidationFailed(message) = &err else { panic!("{err}") };
    assert!(message.contains("type Movie has records with the same primary key"), "{message}");
    assert!(message.contains("ordinals 0 and 2 (id=1)"), "{message}");
    assert_eq!(store.announced_version().unwrap(), Some(v1));
    assert_eq!(store.list().unwrap(), blobs, "the refused cycle left no blob");
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    consumer.refresh().unwrap();
    assert_eq!(titles(&consumer), 2);

    // Opting out publishes what it is given.
    let other = Arc::new(InMemoryBlobStore::new());
    let mut lax = Producer::builder(other.clone())
        .with_announcer(other.clone())
        .with_schemas(parse_schemas(MOVIES).unwrap())
        .without_duplicate_key_check()
        .build()
        .unwrap();
    lax.run_cycle(add_movies(&[(1, "Heat"), (1, "Heat 2")])).unwrap();
}

#[test]
fn a_cycle_removing_too_many_records_is_refused() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_schemas(parse_schemas(MOVIES).unwrap())
        .with_validator(Arc::new(RecordCountVarianceValidator::for_type("Movie", 0.5)))
        .build()
        .unwrap();
    let v1 = producer.run_cycle(add_movies(&[(1, "a"), (2, "b"), (3, "c"), (4, "d")])).unwrap();
    let err = producer.run_cycle(add_movies(&[(1, "a")])).unwrap_err();
    assert!(err.to_string().contains("type Movie would go from 4 to 1 records (75.0% removed"), "{err}");
    assert_eq!(store.announced_version().unwrap(), Some(v1));
    // Removing half is allowed.
    producer.run_cycle(add_movies(&[(1, "a"), (2, "b")])).unwrap();
}

// ----- random bad records -------------------------------------------------------------------------

mod random_bad_records {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    const SCHEMA: &str = "Movie @PrimaryKey(id) { long id; String title; int year; double rating; } \
                          String { string value; }";

    /// A record of `Movie` broken in one way.
    fn bad_record() -> impl Strategy<Value = Value> {
        let good = || json!({"id": 7, "title": "t", "year": 1999, "rating": 1.5});
        prop_oneof![
            // wrong field types
            any::<String>().prop_map(move |s| {
                let mut r = good();
                r["year"] = json!(s);
                r
            }),
            any::<bool>().prop_map(move |b| {
                let mut r = good();
                r["id"] = json!(b);
                r
            }),
            any::<i64>().prop_map(move |n| {
                let mut r = good();
                r["title"] = json!(n);
                r
            }),
            // out-of-range numbers
            (i64::from(i32::MAX) + 1..i64::MAX).prop_map(move |n| {
                let mut r = good();
                r["year"] = json!(n);
                r
            }),
            // a missing or null primary key
            Just({
                let mut r = good();
                r.as_object_mut().unwrap().remove("id");
                r
            }),
            Just({
                let mut r = good();
                r["id"] = Value::Null;
                r
            }),
            // fields the schema does not have
            "[a-z]{3,8}"
                .prop_filter("not a field", |k| !["id", "title", "year", "rating"].contains(&k.as_str()))
                .prop_map(move |k| {
                    let mut r = good();
                    r[k] = json!(1);
                    r
                }),
            // values that are not records
            any::<i64>().prop_map(|n| json!(n)),
            any::<String>().prop_map(|s| json!(s)),
            Just(json!([1, 2, 3])),
            Just(Value::Null),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Refused with an error, and the announced version and its records stay as they were.
        #[test]
        fn are_refused_and_change_nothing(bad in bad_record(), position in 0usize..3) {
            let store = Arc::new(InMemoryBlobStore::new());
            let mut producer = Producer::builder(store.clone())
                .with_announcer(store.clone())
                .with_schemas(parse_schemas(SCHEMA).unwrap())
                .build()
                .unwrap();
            let good = |id: i64| json!({"id": id, "title": format!("m{id}"), "year": 2000, "rating": 2.5});
            let v1 = producer.run_cycle(|ws| { for id in 1..=3 { ws.add_json("Movie", &good(id))?; } Ok(()) }).unwrap();
            let result = producer.run_cycle(|ws| {
                for id in 1..=3 {
                    if id as usize == position + 1 {
                        ws.add_json("Movie", &bad)?;
                    }
                    ws.add_json("Movie", &good(id + 10))?;
                }
                Ok(())
            });
            prop_assert!(result.is_err(), "accepted {bad}");
            prop_assert_eq!(store.announced_version().unwrap(), Some(v1));
            let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
            consumer.refresh().unwrap();
            prop_assert_eq!(titles(&consumer), 3);
        }
    }
}

//! Producer and consumer end to end on the in-memory and filesystem stores.

use std::sync::{Arc, Mutex};

use hollow::consumer::Consumer;
use hollow::producer::{CycleMetrics, MetricsCollector, Producer, SequenceVersionMinter, Validator};
use hollow::schema::{FieldType, ObjectField, ObjectSchema};
use hollow::store::memory::InMemoryBlobStore;
use hollow::store::{BlobRetriever, BlobType};
use hollow::write::ObjectRecord;
use hollow::Error;

fn string_schema() -> hollow::schema::Schema {
    ObjectSchema::new("String").with_field(ObjectField::new("value", FieldType::String)).into()
}

fn producer(store: &Arc<InMemoryBlobStore>) -> Producer {
    Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(100)))
        .with_schema(string_schema())
        .build()
        .unwrap()
}

fn add_strings<'a>(
    values: &'a [&'a str],
) -> impl FnOnce(&mut hollow::producer::WriteState<'_>) -> hollow::Result<()> + 'a {
    move |ws| {
        let mut rec = ObjectRecord::new();
        for v in values {
            rec.clear().set_string("value", v);
            ws.add_object("String", &rec)?;
        }
        Ok(())
    }
}

fn strings_of(consumer: &Consumer) -> Vec<String> {
    let rs = consumer.read_state().expect("a state");
    let t = rs.engine().object("String").expect("type String");
    let mut out: Vec<String> = t.populated().iter().map(|o| t.read_string(o, 0).unwrap().into_owned()).collect();
    out.sort();
    out
}

#[test]
fn cycles_publish_and_consumers_follow() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = producer(&store);
    let v1 = producer.run_cycle(add_strings(&["user1", "user2", "user3"])).unwrap();
    let v2 = producer.run_cycle(add_strings(&["user1", "user3", "user4"])).unwrap();
    assert_eq!((v1, v2), (100, 101));
    assert!(store.retrieve_delta(v1).unwrap().is_some());
    assert!(store.retrieve_reverse_delta(v2).unwrap().is_some());

    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    assert_eq!(consumer.refresh().unwrap(), Some(v2));
    assert_eq!(strings_of(&consumer), ["user1", "user3", "user4"]);
    consumer.refresh_to(v1).unwrap();
    assert_eq!(strings_of(&consumer), ["user1", "user2", "user3"]);
    assert_eq!(consumer.current_version(), Some(v1));
}

#[test]
fn unchanged_cycle_publishes_nothing() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = producer(&store);
    let v1 = producer.run_cycle(add_strings(&["a", "b"])).unwrap();
    let again = producer.run_cycle(add_strings(&["b", "a"])).unwrap();
    assert_eq!(again, v1);
    assert_eq!(store.snapshot_versions(), [v1]);
}

struct Veto;
impl Validator for Veto {
    fn name(&self) -> &str {
        "no-bad"
    }
    fn validate(&self, state: &hollow::consumer::ReadState) -> Result<(), String> {
        let t = state.engine().object("String").unwrap();
        match t.populated().iter().any(|o| t.read_string(o, 0).as_deref() == Some("bad")) {
            true => Err("found bad".into()),
            false => Ok(()),
        }
    }
}

#[derive(Default)]
struct Collect(Mutex<Vec<CycleMetrics>>);
impl MetricsCollector for Collect {
    fn collect(&self, m: &CycleMetrics) {
        self.0.lock().unwrap().push(m.clone());
    }
}

#[test]
fn failed_cycles_announce_nothing_and_the_next_cycle_continues_the_chain() {
    let store = Arc::new(InMemoryBlobStore::new());
    let metrics = Arc::new(Collect::default());
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(1)))
        .with_schema(string_schema())
        .with_validator(Arc::new(Veto))
        .with_metrics_collector(metrics.clone())
        .build()
        .unwrap();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    let v1 = producer.run_cycle(add_strings(&["a"])).unwrap();

    // A validator veto: nothing announced, no metrics.
    let err = producer.run_cycle(add_strings(&["a", "bad"])).unwrap_err();
    assert!(matches!(err, Error::ValidationFailed(ref m) if m.contains("found bad")), "{err}");
    // A failing populate, and a panicking one.
    let err = producer.run_cycle(|_| Err(Error::InvalidArgument("source down".into()))).unwrap_err();
    assert!(err.to_string().contains("source down"));
    let err = producer.run_cycle(|_| panic!("boom")).unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    assert_eq!(producer.current_version(), Some(v1));
    assert_eq!(consumer.refresh().unwrap(), Some(v1));

    let v_ok = producer.run_cycle(add_strings(&["a", "c"])).unwrap();
    assert_eq!(consumer.refresh().unwrap(), Some(v_ok));
    assert_eq!(strings_of(&consumer), ["a", "c"]);
    assert_eq!(consumer.metrics().deltas_applied, 1, "the consumer followed the delta from v1");
    let m = metrics.0.lock().unwrap();
    assert_eq!(m.iter().map(|m| m.version).collect::<Vec<_>>(), [v1, v_ok]);
    assert_eq!((m[1].types[0].name.as_str(), m[1].types[0].records), ("String", 2));
    assert!(m[1].types[0].heap_bytes > 0 && m[1].snapshot_bytes.unwrap() > m[1].delta_bytes.unwrap());
}

#[test]
fn missing_delta_falls_back_to_a_snapshot_and_corrupt_blobs_keep_the_last_good_state() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = producer(&store);
    let v1 = producer.run_cycle(add_strings(&["a"])).unwrap();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    consumer.refresh().unwrap();
    let v2 = producer.run_cycle(add_strings(&["a", "b"])).unwrap();
    assert!(store.remove(BlobType::Delta, v1));
    assert_eq!(consumer.refresh().unwrap(), Some(v2));
    assert_eq!(consumer.metrics().snapshots_applied, 2, "double snapshot");

    // Corrupt the next delta and snapshot: the refresh fails, readers keep v2.
    let v3 = producer.run_cycle(add_strings(&["a", "b", "c"])).unwrap();
    let mut bad = (*store.retrieve_delta(v2).unwrap().unwrap().data).to_vec();
    let n = bad.len();
    bad.truncate(n / 2);
    // Blobs are never overwritten: replace them behind the store's back.
    assert!(store.remove(BlobType::Delta, v2) && store.remove(BlobType::Snapshot, v3));
    hollow::store::BlobPublisher::publish(&*store, &hollow::store::Blob::delta(v2, v3, bad.clone())).unwrap();
    hollow::store::BlobPublisher::publish(&*store, &hollow::store::Blob::snapshot(v3, bad)).unwrap();
    let held = consumer.read_state().unwrap();
    let err = consumer.refresh().unwrap_err();
    assert_eq!(err.kind(), hollow::ErrorKind::CorruptBlob, "{err}");
    assert_eq!(consumer.current_version(), Some(v2));
    assert_eq!(strings_of(&consumer), ["a", "b"]);
    assert_eq!(held.version(), v2);

    // An announced version that does not exist.
    let err = consumer.refresh_to(999_999).unwrap_err();
    assert_eq!(err.kind(), hollow::ErrorKind::NotFound, "{err}");
    assert_eq!(consumer.current_version(), Some(v2));
}

#[test]
fn empty_store_and_refresh_with_nothing_new() {
    let store = Arc::new(InMemoryBlobStore::new());
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    assert_eq!(consumer.refresh().unwrap(), None);
    assert!(consumer.read_state().is_none());
    let mut producer = producer(&store);
    let v = producer.run_cycle(add_strings(&["x"])).unwrap();
    assert_eq!(consumer.refresh().unwrap(), Some(v));
    assert_eq!(consumer.refresh().unwrap(), Some(v));
    assert_eq!(consumer.metrics().refreshes_succeeded, 1);
}

#[test]
fn simple_string_api_across_refreshes() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(1)))
        .build()
        .unwrap();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    let v1 = producer
        .run_cycle(|ws| {
            for s in ["user1", "user2", "user3", "naïve 😀"] {
                ws.add_string(s)?;
            }
            Ok(())
        })
        .unwrap();
    consumer.refresh().unwrap();
    let rs = consumer.read_state().unwrap();
    assert_eq!(rs.size(), 4);
    assert_eq!(rs.get("user1").as_deref(), Some("user1"));
    assert_eq!(rs.get("naïve 😀").as_deref(), Some("naïve 😀"));
    assert!(rs.contains("user3") && !rs.contains("user4") && rs.get("user").is_none());

    // The next version drops user2 and adds user4; the index follows the delta.
    producer
        .run_cycle(|ws| {
            for s in ["user1", "user3", "user4"] {
                ws.add_string(s)?;
            }
            Ok(())
        })
        .unwrap();
    consumer.refresh().unwrap();
    let rs2 = consumer.read_state().unwrap();
    assert_eq!(rs2.index_specs().len(), 1, "the index built on v1 was carried over");
    assert_eq!(rs2.size(), 3);
    assert!(rs2.contains("user4") && !rs2.contains("user2") && !rs2.contains("naïve 😀"));
    // The old handle still answers for v1.
    assert!(rs.contains("user2") && !rs.contains("user4"));
    consumer.refresh_to(v1).unwrap();
    assert!(consumer.read_state().unwrap().contains("user2"));
}

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq, Clone)]
struct Movie {
    id: i64,
    title: String,
    year: i32,
    rating: Option<f64>,
    tags: Vec<String>,
}

#[test]
fn serde_values_through_the_producer_and_back() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mapper = hollow::mapper::ObjectMapper::new().with_primary_key::<Movie, _>(["id"]);
    let mut producer =
        Producer::builder(store.clone()).with_announcer(store.clone()).with_object_mapper(mapper).build().unwrap();
    let movies = vec![
        Movie { id: 7, title: "Heat".into(), year: 1995, rating: Some(8.3), tags: vec!["crime".into()] },
        Movie { id: 9, title: "Amélie".into(), year: 2001, rating: None, tags: vec![] },
    ];
    producer
        .run_cycle(|ws| {
            for m in &movies {
                ws.add(m)?;
            }
            ws.add("plain string")?;
            Ok(())
        })
        .unwrap();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    consumer.refresh().unwrap();
    let rs = consumer.read_state().unwrap();
    let schema = rs.engine().schema("Movie").unwrap().to_string();
    assert!(schema.starts_with("Movie @PrimaryKey(id) {"), "{schema}");
    let pk = rs.primary_key_index("Movie").unwrap();
    for m in &movies {
        let ord = pk.get(rs.engine(), &[hollow::index::KeyValue::from(m.id)]).unwrap();
        let back: Movie = hollow::mapper::get(rs.engine(), "Movie", ord).unwrap();
        assert_eq!(&back, m);
    }
    assert!(rs.contains("plain string") && rs.contains("Heat"));
}

#[test]
fn pinning_holds_a_version_until_unpinned_and_subscription_follows_announcements() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = producer(&store);
    let v1 = producer.run_cycle(add_strings(&["a"])).unwrap();
    let v2 = producer.run_cycle(add_strings(&["a", "b"])).unwrap();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    consumer.pin(v1).unwrap();
    assert_eq!(consumer.refresh().unwrap(), Some(v1), "pinned");
    assert!(consumer.pin(424242).is_err());
    assert_eq!(consumer.pinned_version(), Some(v1), "a failed pin keeps the old pin");

    let subscription = consumer.subscribe().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(consumer.current_version(), Some(v1), "the subscription respects the pin");
    consumer.unpin();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while consumer.current_version() != Some(v2) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(consumer.current_version(), Some(v2), "after unpin the subscription moved to the announced version");
    let v3 = producer.run_cycle(add_strings(&["a", "b", "c"])).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while consumer.current_version() != Some(v3) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(consumer.current_version(), Some(v3), "a new announcement is followed");
    subscription.stop();
    assert_eq!(strings_of(&consumer), ["a", "b", "c"]);
}

#[test]
fn index_build_failures_are_counted_not_swallowed() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = producer(&store);
    producer.run_cycle(add_strings(&["a", "b"])).unwrap();
    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        // String has no primary key: this index cannot be built although its type is there.
        .with_primary_key_index("String")
        // Fine, and a type this version lacks (built when it appears): neither is a failure.
        .with_hash_index("String", &["value"])
        .with_hash_index("Absent", &["x"])
        .build();
    consumer.refresh().unwrap();
    assert_eq!(consumer.metrics().index_build_failures, 1);
    // The declared indexes are built side by side: the failing one does not keep the other out.
    let string_values = hollow::consumer::IndexSpec::Hash { type_name: "String".into(), fields: vec!["value".into()] };
    let rs = consumer.read_state().unwrap();
    assert_eq!(rs.index_specs(), std::slice::from_ref(&string_values));
    let held = rs.hash_index("String", &["value"]).unwrap();
    assert_eq!(rs.index_specs().len(), 1, "the declared index was there, not built on this call");
    let b = held.find(rs.engine(), &[hollow::index::KeyValue::from("b")]).iter().collect::<Vec<_>>();
    assert_eq!(b.len(), 1);
    assert_eq!(rs.engine().object("String").unwrap().read_string(b[0], 0).as_deref(), Some("b"));

    // After a delta the held index is carried over, and the failing one is tried, and counted, again.
    producer.run_cycle(add_strings(&["a", "b", "c"])).unwrap();
    consumer.refresh().unwrap();
    assert_eq!(consumer.metrics().deltas_applied, 1);
    assert_eq!(consumer.metrics().index_build_failures, 2);
    let rs = consumer.read_state().unwrap();
    assert_eq!(rs.index_specs(), [string_values]);
    let c = rs.hash_index("String", &["value"]).unwrap().find(rs.engine(), &[hollow::index::KeyValue::from("c")]).len();
    assert_eq!(c, 1);
}

#[test]
fn an_index_declared_twice_is_built_once() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = producer(&store);
    let words: Vec<String> = (0..5000).map(|i| format!("word{i}")).collect();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    producer.run_cycle(add_strings(&refs)).unwrap();
    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_hash_index("String", &["value"])
        .with_hash_index("String", &["value"])
        .build();
    consumer.refresh().unwrap();
    assert_eq!(consumer.metrics().index_build_failures, 0);
    let rs = consumer.read_state().unwrap();
    assert_eq!(rs.index_specs().len(), 1);
    let index = rs.hash_index("String", &["value"]).unwrap();
    for w in ["word0", "word4999", "word2500"] {
        let found: Vec<u32> = index.find(rs.engine(), &[hollow::index::KeyValue::from(w)]).iter().collect();
        assert_eq!(found.len(), 1, "{w}");
        assert_eq!(rs.engine().object("String").unwrap().read_string(found[0], 0).as_deref(), Some(w));
    }
}

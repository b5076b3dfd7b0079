//! What hollow reports to operators: the `tracing` span tree of refreshes and cycles, and every metric
//! of the documented table (`hollow::telemetry`), checked against scripted sequences.

mod common;

use std::sync::Arc;

use common::recording::{record_metrics, record_tracing};
use hollow::consumer::Consumer;
use hollow::mapped::MappingMode;
use hollow::producer::{Producer, SequenceVersionMinter};
use hollow::schema::{FieldType, ObjectField, ObjectSchema};
use hollow::store::memory::InMemoryBlobStore;
use hollow::store::{BlobPublisher, BlobRetriever};
use hollow::telemetry::names::*;
use hollow::write::ObjectRecord;

fn producer(store: &Arc<InMemoryBlobStore>) -> Producer {
    Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(100)))
        .with_schema(ObjectSchema::new("String").with_field(ObjectField::new("value", FieldType::String)).into())
        .build()
        .unwrap()
}

fn cycle(producer: &mut Producer, values: &[&str]) -> u64 {
    producer
        .run_cycle(|ws| {
            let mut rec = ObjectRecord::new();
            for v in values {
                rec.clear().set_string("value", v);
                ws.add_object("String", &rec)?;
            }
            Ok(())
        })
        .unwrap() as u64
}

/// Three versions 100, 101, 102 in a fresh store.
fn three_versions() -> (Arc<InMemoryBlobStore>, Producer) {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut p = producer(&store);
    cycle(&mut p, &["a", "b", "c"]);
    cycle(&mut p, &["a", "b", "d"]);
    cycle(&mut p, &["a", "e", "d", "f"]);
    (store, p)
}

#[test]
fn a_refresh_by_deltas_is_one_span_with_a_child_per_blob() {
    let (store, _producer) = three_versions();
    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_hash_index("String", &["value"])
        .with_name("strings")
        .build();
    consumer.refresh_to(100).unwrap();
    let (result, rec) = record_tracing(|| consumer.refresh());
    assert_eq!(result.unwrap(), Some(102));
    let state = consumer.read_state().unwrap();
    assert_eq!(state.index_specs().len(), 1, "the declared index was built and followed both deltas");
    assert_eq!(consumer.metrics().index_build_failures, 0);

    let refreshes = rec.spans_named("hollow.consumer.refresh");
    assert_eq!(refreshes.len(), 1, "{:#?}", rec.spans);
    let r = refreshes[0];
    assert_eq!(rec.field(r, "dataset"), Some("strings"));
    assert_eq!(rec.field(r, "from_version"), Some("100"));
    assert_eq!(rec.field(r, "to_version"), Some("102"));
    assert_eq!(rec.field(r, "plan"), Some("deltas"));
    assert_eq!(rec.field(r, "blobs"), Some("2"));
    let applied = rec.children_named(r, "hollow.consumer.apply_blob");
    assert_eq!(applied.len(), 2);
    let kinds: Vec<_> =
        applied.iter().map(|&s| (rec.field(s, "kind").unwrap(), rec.field(s, "version").unwrap())).collect();
    assert_eq!(kinds, [("delta", "101"), ("delta", "102")]);
    for &s in &applied {
        let bytes: usize = rec.field(s, "bytes").unwrap().parse().unwrap();
        assert!(bytes > 20, "a delta has a header and a type section: {bytes}");
        let moved = rec.children_named(s, "hollow.consumer.update_indexes");
        assert_eq!(moved.len(), 1, "the index follows each delta");
        assert_eq!(rec.field(moved[0], "index_type"), Some("String"));
    }
    let done: Vec<_> = rec.events_in(r).into_iter().filter(|e| e.level == tracing::Level::INFO).collect();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].target, "hollow::consumer");
    assert_eq!(done[0].fields.get("version").map(String::as_str), Some("102"));
}

/// With over 8 MiB of records in two types, a delta applies them side by side where the machine has
/// two cores, and each type's index moves on the thread that applied the type (the second type's on
/// a worker thread): each index's span is still the blob's child.
#[test]
fn an_index_moved_beside_a_delta_reports_under_its_blob() {
    let store = Arc::new(InMemoryBlobStore::new());
    let text = |name: &str| ObjectSchema::new(name).with_field(ObjectField::new("text", FieldType::String));
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(100)))
        .with_schema(text("Item").with_field(ObjectField::new("id", FieldType::Long)).with_primary_key(["id"]).into())
        .with_schema(text("Note").into())
        .build()
        .unwrap();
    let mut cycle = |changed: i64| {
        producer
            .run_cycle(|ws| {
                let mut rec = ObjectRecord::new();
                for i in 0..120_000i64 {
                    let version = if i % 100 == 0 { changed } else { 0 };
                    rec.clear().set_long("id", i).set_string("text", &format!("item {i:>40} {version}"));
                    ws.add_object("Item", &rec)?;
                    rec.clear().set_string("text", &format!("note {i:>40} {version}"));
                    ws.add_object("Note", &rec)?;
                }
                Ok(())
            })
            .unwrap()
    };
    cycle(0);
    cycle(1);
    let consumer =
        Consumer::builder(store.clone()).with_primary_key_index("Item").with_hash_index("Note", &["text"]).build();
    consumer.refresh_to(100).unwrap();
    let (result, rec) = record_tracing(|| consumer.refresh_to(101));
    assert_eq!(result.unwrap(), 101);
    assert_eq!(consumer.metrics().index_build_failures, 0);
    let state = consumer.read_state().unwrap();
    let index = state.primary_key_index("Item").unwrap();
    let item = index.get(state.engine(), &[hollow::index::KeyValue::Long(500)]).unwrap();
    let text_of = state.engine().object("Item").unwrap().read_string(item, 0);
    assert_eq!(text_of.as_deref(), Some(&*format!("item {:>40} 1", 500)), "the index follows the delta");

    let applied = rec.spans_named("hollow.consumer.apply_blob");
    assert_eq!(applied.len(), 1, "{:#?}", rec.spans);
    let moved = rec.children_named(applied[0], "hollow.consumer.update_indexes");
    let mut types: Vec<_> = moved.iter().map(|&s| rec.field(s, "index_type").unwrap()).collect();
    types.sort_unstable();
    assert_eq!(types, ["Item", "Note"], "{:#?}", rec.spans);
}

#[test]
fn a_failed_refresh_is_a_warning_inside_its_span() {
    let (store, _producer) = three_versions();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    let (result, rec) = record_tracing(|| consumer.refresh_to(999));
    assert!(result.is_err());
    let r = rec.spans_named("hollow.consumer.refresh")[0];
    let warnings: Vec<_> = rec.events_in(r).into_iter().filter(|e| e.level == tracing::Level::WARN).collect();
    assert_eq!(warnings.len(), 1, "{:#?}", rec.events);
    assert!(warnings[0].fields["error"].contains("999"), "{:?}", warnings[0]);
    assert_eq!(rec.field(r, "to_version"), Some("999"));
}

#[test]
fn consumer_metrics_follow_a_scripted_sequence() {
    let (store, mut producer) = three_versions();
    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_primary_key_index("String")
        .with_name("strings")
        .build();
    let snapshot_bytes = store.retrieve_snapshot(100).unwrap().unwrap().data.len() as u64;
    let delta_bytes: u64 =
        [100, 101].iter().map(|&v| store.retrieve_delta(v).unwrap().unwrap().data.len() as u64).sum();
    let reverse_bytes = store.retrieve_reverse_delta(102).unwrap().unwrap().data.len() as u64;

    let (_, m) = record_metrics(|| {
        consumer.refresh_to(100).unwrap(); // snapshot
        consumer.refresh().unwrap(); // two deltas to 102
        consumer.refresh_to(101).unwrap(); // one reverse delta
        assert!(consumer.refresh_to(5000).is_err()); // failed
        consumer.refresh().unwrap(); // back to 102 (a snapshot plan after the failure)
    });
    let ds = ("dataset", "strings");
    assert_eq!(m.counter(CONSUMER_REFRESHES, &[ds, ("result", "succeeded")]), 4);
    assert_eq!(m.counter(CONSUMER_REFRESHES, &[ds, ("result", "failed")]), 1);
    assert_eq!(m.histogram(CONSUMER_REFRESH_DURATION, &[ds, ("result", "succeeded")]).len(), 4);
    assert_eq!(m.histogram(CONSUMER_REFRESH_DURATION, &[ds, ("result", "failed")]).len(), 1);
    assert_eq!(m.counter(CONSUMER_BLOBS_APPLIED, &[ds, ("kind", "delta")]), 2);
    assert_eq!(m.counter(CONSUMER_BLOBS_APPLIED, &[ds, ("kind", "reverse_delta")]), 1);
    let snapshots = m.counter(CONSUMER_BLOBS_APPLIED, &[ds, ("kind", "snapshot")]);
    assert_eq!(snapshots, 2, "the first load and the snapshot plan after the failure");
    let snapshot_102 = store.retrieve_snapshot(102).unwrap().unwrap().data.len() as u64;
    assert_eq!(m.counter(CONSUMER_BLOB_BYTES, &[ds, ("kind", "snapshot")]), snapshot_bytes + snapshot_102);
    assert_eq!(m.counter(CONSUMER_BLOB_BYTES, &[ds, ("kind", "delta")]), delta_bytes);
    assert_eq!(m.counter(CONSUMER_BLOB_BYTES, &[ds, ("kind", "reverse_delta")]), reverse_bytes);
    assert_eq!(m.gauge(CONSUMER_VERSION, &[ds]), Some(102.0));
    assert_eq!(m.gauge(CONSUMER_ANNOUNCED_VERSION, &[ds]), Some(102.0));
    assert_eq!(m.gauge(CONSUMER_VERSIONS_BEHIND, &[ds]), Some(0.0));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let last = m.gauge(CONSUMER_LAST_REFRESH, &[ds]).unwrap();
    assert!((now - last).abs() < 60.0, "last refresh {last}, now {now}");
    assert_eq!(m.gauge(CONSUMER_RECORDS, &[ds, ("type", "String")]), Some(4.0));
    assert!(m.gauge(CONSUMER_HEAP_BYTES, &[ds, ("type", "String")]).unwrap() > 0.0);
    assert!(m.histogram(CONSUMER_INDEX_UPDATE_DURATION, &[ds, ("type", "String")]).len() >= 4);

    // A new version announced and not yet followed shows as behind once planned.
    cycle(&mut producer, &["z"]);
    let (_, m) = record_metrics(|| consumer.refresh().unwrap());
    assert_eq!(m.gauge(CONSUMER_ANNOUNCED_VERSION, &[ds]), Some(103.0));
    assert_eq!(m.gauge(CONSUMER_VERSION, &[ds]), Some(103.0));
    assert_eq!(m.gauge(CONSUMER_RECORDS, &[ds, ("type", "String")]), Some(1.0));
    let _ = store.list().unwrap();
}

/// A validator that vetoes every state with more than `max` strings.
struct AtMost(usize);

impl hollow::producer::Validator for AtMost {
    fn name(&self) -> &str {
        "at-most"
    }
    fn validate(&self, state: &hollow::ReadState) -> Result<(), String> {
        let n = state.engine().type_state("String").map_or(0, |t| t.populated().count());
        if n > self.0 {
            Err(format!("{n} strings, more than {}", self.0))
        } else {
            Ok(())
        }
    }
}

fn named_producer(store: &Arc<InMemoryBlobStore>, max: usize) -> Producer {
    Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(100)))
        .with_schema(ObjectSchema::new("String").with_field(ObjectField::new("value", FieldType::String)).into())
        .with_validator(Arc::new(AtMost(max)))
        .with_name("strings")
        .build()
        .unwrap()
}

#[test]
fn a_cycle_is_one_span_with_a_child_per_phase() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = named_producer(&store, 10);
    cycle(&mut producer, &["a", "b"]);
    let (version, rec) = record_tracing(|| cycle(&mut producer, &["a", "b", "c"]));
    assert_eq!(version, 101);
    let cycles = rec.spans_named("hollow.producer.cycle");
    assert_eq!(cycles.len(), 1);
    let c = cycles[0];
    assert_eq!(rec.field(c, "dataset"), Some("strings"));
    assert_eq!(rec.field(c, "kind"), Some("full"));
    assert_eq!(rec.field(c, "version"), Some("101"));
    assert_eq!(rec.field(c, "from_version"), Some("100"));
    assert_eq!(
        rec.children(c),
        [
            "hollow.producer.populate",
            "hollow.producer.write",
            "hollow.producer.publish",
            "hollow.producer.integrity_check",
            "hollow.producer.validate",
            "hollow.producer.announce",
        ]
    );
    let publish = rec.children_named(c, "hollow.producer.publish")[0];
    let blobs: Vec<&str> = rec
        .children_named(publish, "hollow.producer.publish_blob")
        .iter()
        .map(|&b| rec.field(b, "kind").unwrap())
        .collect();
    assert_eq!(blobs, ["header", "delta", "reverse_delta", "snapshot"]);
    for b in rec.children_named(publish, "hollow.producer.publish_blob") {
        assert!(rec.field(b, "bytes").unwrap().parse::<usize>().unwrap() > 0);
        assert!(rec.field(b, "duration_ms").is_some(), "{:?}", rec.spans[b]);
    }
    let announced: Vec<_> = rec.events_in(c).into_iter().filter(|e| e.level == tracing::Level::INFO).collect();
    assert_eq!(announced.len(), 1);
    assert_eq!(announced[0].message, "announced version 101");
}

#[test]
fn a_failed_cycle_stops_at_the_phase_that_failed_and_announces_nothing() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = named_producer(&store, 2);
    cycle(&mut producer, &["a", "b"]);
    let (result, rec) = record_tracing(|| {
        producer.run_cycle(|ws| {
            let mut rec = ObjectRecord::new();
            for v in ["a", "b", "c"] {
                rec.clear().set_string("value", v);
                ws.add_object("String", &rec)?;
            }
            Ok(())
        })
    });
    assert!(result.is_err());
    let c = rec.spans_named("hollow.producer.cycle")[0];
    let phases = rec.children(c);
    assert_eq!(phases.last(), Some(&"hollow.producer.validate"), "{phases:?}");
    assert!(!phases.contains(&"hollow.producer.announce"));
    let validate = rec.children_named(c, "hollow.producer.validate")[0];
    let veto = rec.events_in(validate);
    assert_eq!(veto.len(), 1);
    assert_eq!(veto[0].fields["validator"], "at-most");
    let failed: Vec<_> = rec.events_in(c).into_iter().filter(|e| e.level == tracing::Level::WARN).collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].fields["error"].contains("3 strings"), "{:?}", failed[0]);
    assert_eq!(store.latest_version_for_test(), Some(100));
}

trait Announced {
    fn latest_version_for_test(&self) -> Option<i64>;
}

impl Announced for InMemoryBlobStore {
    fn latest_version_for_test(&self) -> Option<i64> {
        hollow::store::Announcer::announced_version(self).unwrap()
    }
}

#[test]
fn producer_metrics_follow_a_scripted_sequence() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = named_producer(&store, 3);
    let ((), m) = record_metrics(|| {
        cycle(&mut producer, &["a", "b"]); // 100
        cycle(&mut producer, &["a", "b", "c"]); // 101
        cycle(&mut producer, &["a", "b", "c"]); // no change
        assert!(producer
            .run_cycle(|ws| {
                let mut rec = ObjectRecord::new();
                for v in ["a", "b", "c", "d"] {
                    rec.clear().set_string("value", v);
                    ws.add_object("String", &rec)?;
                }
                Ok(())
            })
            .is_err()); // vetoed
    });
    let ds = ("dataset", "strings");
    assert_eq!(m.counter(PRODUCER_CYCLES, &[ds, ("result", "succeeded")]), 2);
    assert_eq!(m.counter(PRODUCER_CYCLES, &[ds, ("result", "no_change")]), 1);
    assert_eq!(m.counter(PRODUCER_CYCLES, &[ds, ("result", "failed")]), 1);
    assert_eq!(m.histogram(PRODUCER_CYCLE_DURATION, &[ds, ("result", "succeeded")]).len(), 2);
    // Populate ran in all four cycles; validate in the three that changed something; announce in two.
    assert_eq!(m.histogram(PRODUCER_PHASE_DURATION, &[ds, ("phase", "populate")]).len(), 4);
    assert_eq!(m.histogram(PRODUCER_PHASE_DURATION, &[ds, ("phase", "write")]).len(), 3);
    assert_eq!(m.histogram(PRODUCER_PHASE_DURATION, &[ds, ("phase", "publish")]).len(), 3);
    assert_eq!(m.histogram(PRODUCER_PHASE_DURATION, &[ds, ("phase", "integrity_check")]).len(), 3);
    assert_eq!(m.histogram(PRODUCER_PHASE_DURATION, &[ds, ("phase", "validate")]).len(), 3);
    assert_eq!(m.histogram(PRODUCER_PHASE_DURATION, &[ds, ("phase", "announce")]).len(), 2);
    let snapshot = store.retrieve_snapshot(101).unwrap().unwrap().data.len() as f64;
    // The last snapshot published is the vetoed cycle's (four strings; removed since): one more record.
    let last_snapshot = m.gauge(PRODUCER_BLOB_BYTES, &[ds, ("kind", "snapshot")]).unwrap();
    assert!(last_snapshot > snapshot && last_snapshot < snapshot + 64.0, "{last_snapshot} vs {snapshot}");
    let delta = store.retrieve_delta(100).unwrap().unwrap().data.len() as u64;
    assert!(
        m.counter(PRODUCER_PUBLISHED_BYTES, &[ds, ("kind", "delta")]) > delta,
        "the failed cycle's delta counts too"
    );
    assert_eq!(m.gauge(PRODUCER_ANNOUNCED_VERSION, &[ds]), Some(101.0));
    assert_eq!(m.gauge(PRODUCER_RECORDS, &[ds, ("type", "String")]), Some(3.0));
    assert!(m.gauge(PRODUCER_HEAP_BYTES, &[ds, ("type", "String")]).unwrap() > 0.0);

    let counts = producer.metrics();
    assert_eq!((counts.cycles_succeeded, counts.cycles_no_change, counts.cycles_failed), (2, 1, 1));
    assert_eq!(counts.current_version, Some(101));
}

/// Every metric of the documented table is recorded by the sequences above, and the table names
/// exactly the metrics hollow records.
#[test]
fn the_documented_table_names_every_metric() {
    let docs = include_str!("../src/telemetry.rs");
    let documented: std::collections::BTreeSet<&str> =
        docs.lines().filter_map(|l| l.strip_prefix("//! | `hollow_")).map(|l| &l[..l.find('`').unwrap()]).collect();
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = named_producer(&store, 10);
    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_primary_key_index("String")
        .build();
    let ((), m) = record_metrics(|| {
        cycle(&mut producer, &["a"]);
        consumer.refresh().unwrap();
        cycle(&mut producer, &["a", "b"]);
        cycle(&mut producer, &["a", "b"]);
        consumer.refresh().unwrap();
        assert!(consumer.refresh_to(1).is_err());
        let mapping = Consumer::builder(Arc::new(common::VanishedLocalFile(
            store.clone(),
            std::env::temp_dir().join(format!("hollow-observability-{}-vanished", std::process::id())),
        )))
        .with_memory_mapping(MappingMode::Shared)
        .build();
        mapping.refresh_to(consumer.current_version().unwrap()).unwrap();
    });
    let recorded: std::collections::BTreeSet<String> =
        m.names().into_iter().map(|n| n.strip_prefix("hollow_").unwrap().to_owned()).collect();
    let documented: std::collections::BTreeSet<String> = documented.into_iter().map(str::to_owned).collect();
    assert_eq!(recorded, documented);
}

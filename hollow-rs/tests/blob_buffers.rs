//! Snapshots read in place from blobs in memory (`hollow::memory::BlobBuffer`): a state loaded from
//! owned bytes, from a file read into a buffer and from a copied slice read the same, record by
//! record; truncated blobs are still `CorruptBlob`; deltas that replace most of a snapshot let its
//! buffer go (`read/retention.rs`); and a state outlives the consumer and the blob it came from.

mod common;

use std::sync::Arc;

use common::{read_blob, read_expected, temp_dir, versions};
use hollow::consumer::Consumer;
use hollow::mapped::MappingMode;
use hollow::memory::BlobBuffer;
use hollow::producer::{Producer, SequenceVersionMinter};
use hollow::read::ReadStateEngine;
use hollow::schema::{FieldType, ObjectField, ObjectSchema, Schema};
use hollow::store::memory::InMemoryBlobStore;
use hollow::tools::dump::dump_state;
use hollow::write::{ObjectRecord, WriteStateEngine};
use hollow::ErrorKind;

const SCENARIOS: [&str; 5] = ["strings", "primitives", "collections", "sharded", "sharded-reshard"];

#[test]
fn owned_file_and_copied_loads_read_the_same_records() {
    let dir = temp_dir("blob-buffers-equal");
    for scenario in SCENARIOS {
        let versions = versions(scenario);
        let first = versions[0];
        let blob = read_blob(scenario, &format!("snapshot-{first}"));
        let path = dir.join(scenario);
        std::fs::write(&path, &blob).unwrap();
        let copied = ReadStateEngine::from_snapshot(&blob).unwrap();
        let owned = ReadStateEngine::from_snapshot_owned(Arc::from(blob.clone())).unwrap();
        let file = ReadStateEngine::from_snapshot_file(&path, MappingMode::Copy).unwrap();
        let expected = read_expected(scenario, first);
        for (how, state) in [("copied", &copied), ("owned", &owned), ("file", &file)] {
            assert_eq!(dump_state(state, first), expected, "{scenario} {how}");
            assert_eq!(state.mapped_shards(), 0, "{scenario} {how}: a buffer is not a file mapping");
        }
        // The owned blob is read as it is; the others from a copy with 16 bytes of padding.
        assert_eq!(owned.blob_buffer_bytes(), blob.len(), "{scenario}");
        assert_eq!(file.blob_buffer_bytes(), blob.len() + 16, "{scenario}");
        assert_eq!(copied.blob_buffer_bytes(), blob.len() + 16, "{scenario}");
        // Deltas move all three to the same states.
        let (mut a, mut b) = (copied, owned);
        for pair in versions.windows(2) {
            let delta = read_blob(scenario, &format!("delta-{}-{}", pair[0], pair[1]));
            a = a.apply_delta(&delta).unwrap();
            b = b.apply_delta(&delta).unwrap();
            let expected = read_expected(scenario, pair[1]);
            assert_eq!(dump_state(&a, pair[1]), expected, "{scenario} copied at {}", pair[1]);
            assert_eq!(dump_state(&b, pair[1]), expected, "{scenario} owned at {}", pair[1]);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn truncated_owned_blobs_are_corrupt_blob_errors() {
    let version = versions("collections")[0];
    let blob = read_blob("collections", &format!("snapshot-{version}"));
    let step = (blob.len() / 211).max(1);
    let mut checked = 0;
    // Every length up to the last type's populated bitset (a shorter one could end between sections).
    for len in (0..blob.len() - 8).step_by(step).chain([blob.len() - 9]) {
        match ReadStateEngine::from_snapshot_owned(Arc::from(&blob[..len])) {
            Err(e) => assert_eq!(e.kind(), ErrorKind::CorruptBlob, "{len} bytes: {e}"),
            Ok(_) => panic!("{len} of {} bytes loaded", blob.len()),
        }
        checked += 1;
    }
    assert!(checked > 200, "{checked} lengths");
}

fn schemas() -> Vec<Schema> {
    let object = |name: &str, text: Option<&str>| {
        let mut schema = ObjectSchema::new(name).with_field(ObjectField::new("id", FieldType::Long));
        if let Some(text) = text {
            schema = schema.with_field(ObjectField::new(text, FieldType::String));
        }
        Schema::from(schema)
    };
    vec![object("Big", Some("name")), object("Medium", Some("note")), object("Small", None)]
}

/// A cycle of `big` Big records, 300 Medium ones and `small` Small ones; returns the snapshot and
/// (after the first cycle) the delta from the previous one.
fn cycle(engine: &mut WriteStateEngine, big: i64, small: i64, first: bool) -> (Vec<u8>, Vec<u8>) {
    engine.prepare_for_next_cycle();
    let mut record = ObjectRecord::new();
    for id in 0..big {
        record.clear().set_long("id", id).set_string("name", &format!("big record {id:>8} with a longish name"));
        engine.add("Big", &record).unwrap();
    }
    for id in 0..300 {
        record.clear().set_long("id", id).set_string("note", &format!("medium note {id:>8}"));
        engine.add("Medium", &record).unwrap();
    }
    for id in 0..small {
        record.clear().set_long("id", id);
        engine.add("Small", &record).unwrap();
    }
    let (mut snapshot, mut delta) = (Vec::new(), Vec::new());
    engine.write_snapshot(&mut snapshot).unwrap();
    if !first {
        engine.write_delta(&mut delta).unwrap();
    }
    (snapshot, delta)
}

#[test]
fn deltas_that_replace_most_of_a_snapshot_let_its_buffer_go() {
    let mut writer = WriteStateEngine::new();
    for schema in schemas() {
        writer.add_schema(schema).unwrap();
    }
    writer.set_num_shards("Big", 4).unwrap();
    let (snapshot, _) = cycle(&mut writer, 4000, 10, true);
    let buffer = BlobBuffer::copy_of(&snapshot).unwrap();
    let v1 = ReadStateEngine::from_snapshot_buffer(buffer.clone()).unwrap();
    assert_eq!(v1.blob_buffer_bytes(), buffer.held_bytes());
    let windows = buffer.handles() - 1;
    assert!(windows >= 6, "Big's 4 shards, Medium and Small read in place: {windows} windows");

    // A delta that only touches Small: the buffer is still mostly read, and kept.
    let (snapshot2, delta) = cycle(&mut writer, 4000, 11, false);
    let v2 = v1.apply_delta(&delta).unwrap();
    assert_eq!(dump_state(&v2, 2), dump_state(&ReadStateEngine::from_snapshot(&snapshot2).unwrap(), 2));
    assert_eq!(v2.blob_buffer_bytes(), buffer.held_bytes());
    assert!(v2.shares_type_with(&v1, "Big") && v2.shares_type_with(&v1, "Medium"));

    // A delta adding a Big record to each shard replaces all of Big: what is left of the buffer
    // (Medium) is under 3/4 of it (and over 64 KiB are unread), so Medium is copied out and the
    // state lets the buffer go.
    assert!(snapshot.len() > 2 * (64 << 10), "{} bytes: too small to be released", snapshot.len());
    let (snapshot3, delta) = cycle(&mut writer, 4008, 11, false);
    let v3 = v2.apply_delta(&delta).unwrap();
    assert_eq!(dump_state(&v3, 3), dump_state(&ReadStateEngine::from_snapshot(&snapshot3).unwrap(), 3));
    assert_eq!(v3.blob_buffer_bytes(), 0);
    assert!(!v3.shares_type_with(&v2, "Medium"), "Medium was copied out of the buffer");
    let medium = v3.type_state("Medium").unwrap();
    assert!(medium.approximate_heap_bytes() > 300 * 16, "{} bytes", medium.approximate_heap_bytes());
    drop((v1, v2));
    assert_eq!(buffer.handles(), 1, "only the test's own handle is left");
    let big = v3.object("Big").unwrap();
    assert_eq!(big.read_string(4007, 1).as_deref(), Some("big record     4007 with a longish name"));
}

#[test]
fn a_state_outlives_its_consumer_and_blob() {
    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(7)))
        .with_schema(schemas()[1].clone())
        .build()
        .unwrap();
    let version = producer
        .run_cycle(|ws| {
            let mut record = ObjectRecord::new();
            for id in 0..500 {
                record.clear().set_long("id", id).set_string("note", &format!("note {id}"));
                ws.add_object("Medium", &record)?;
            }
            Ok(())
        })
        .unwrap();
    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    assert_eq!(consumer.refresh().unwrap(), Some(version));
    let state = consumer.read_state().unwrap();
    assert!(state.engine().blob_buffer_bytes() > 0, "the consumer's snapshot is read in place");
    drop((consumer, producer, store));
    let medium = state.engine().object("Medium").unwrap();
    assert_eq!(medium.populated().count(), 500);
    let mut notes: Vec<String> = medium.populated().iter().map(|o| medium.read_string(o, 1).unwrap().into()).collect();
    notes.sort();
    let mut expected: Vec<String> = (0..500).map(|id| format!("note {id}")).collect();
    expected.sort();
    assert_eq!(notes, expected);
}

//! Memory-mapped snapshots (`hollow::mapped`): damaged and changed files give typed errors, deltas
//! keep the shards they do not touch mapped, and a state a reader holds keeps reading its mapping
//! after the consumer moved on, the engine that loaded it was dropped and the file was deleted.
//! (Conformance of mapped states with Java's dumps is in `vectors_conformance.rs`, the random cycles
//! in `random_cycles.rs`.)

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{read_blob, read_expected, scenario_dir, temp_dir, versions};
use hollow::consumer::Consumer;
use hollow::mapped::{MappingMode, SnapshotFile};
use hollow::read::ReadStateEngine;
use hollow::store::filesystem::FilesystemBlobStore;
use hollow::telemetry::names::CONSUMER_MAPPING_FALLBACKS;
use hollow::tools::dump::dump_state;
use hollow::ErrorKind;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn truncated_files_are_corrupt_blob_errors_in_both_modes() {
    let dir = temp_dir("mapped-truncated");
    let version = versions("collections")[0];
    let blob = read_blob("collections", &format!("snapshot-{version}"));
    let whole = write(&dir, "whole", &blob);
    let expected = dump_state(&ReadStateEngine::from_snapshot_file(&whole, MappingMode::Shared).unwrap(), version);
    assert_eq!(expected, read_expected("collections", version));
    // Every length up to the last type's populated bitset, in steps that hit each part of the blob.
    let step = (blob.len() / 97).max(1);
    let mut checked = 0;
    for len in (0..blob.len() - 8).step_by(step).chain([blob.len() - 9]) {
        let path = write(&dir, "truncated", &blob[..len]);
        for mode in [MappingMode::Shared, MappingMode::Copy] {
            match ReadStateEngine::from_snapshot_file(&path, mode) {
                Err(e) => assert_eq!(e.kind(), ErrorKind::CorruptBlob, "{len} bytes, {mode:?}: {e}"),
                Ok(_) => panic!("{len} of {} bytes loaded ({mode:?})", blob.len()),
            }
        }
        checked += 1;
    }
    assert!(checked > 90, "{checked} lengths");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn flipped_header_bytes_are_errors_not_crashes() {
    let dir = temp_dir("mapped-flipped");
    let version = versions("strings")[0];
    let blob = read_blob("strings", &format!("snapshot-{version}"));
    // The format version: refused as such.
    let mut bad = blob.clone();
    bad[2] ^= 0xFF;
    let err = ReadStateEngine::from_snapshot_file(&write(&dir, "version", &bad), MappingMode::Shared).unwrap_err();
    assert!(matches!(err, hollow::Error::UnsupportedVersion { .. }), "{err}");
    // Every other byte of the first 64 flipped: an error or a state, never a crash; a state read
    // from a damaged header must dump like the same bytes loaded into the heap.
    let mut errors = 0;
    for at in 4..64.min(blob.len()) {
        let mut bad = blob.clone();
        bad[at] ^= 0xA5;
        let path = write(&dir, "flipped", &bad);
        let mapped = ReadStateEngine::from_snapshot_file(&path, MappingMode::Shared);
        let heap = ReadStateEngine::from_snapshot(&bad);
        match (mapped, heap) {
            (Err(m), Err(h)) => {
                assert_eq!(m.to_string(), h.to_string(), "byte {at}");
                errors += 1;
            }
            (Ok(m), Ok(h)) => assert_eq!(dump_state(&m, version), dump_state(&h, version), "byte {at}"),
            (m, h) => panic!("byte {at}: mapped {:?} but heap {:?}", m.err(), h.err()),
        }
    }
    assert!(errors > 10, "only {errors} of 60 flipped bytes were errors");
    // An empty file.
    let err = ReadStateEngine::from_snapshot_file(&write(&dir, "empty", &[]), MappingMode::Shared).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptBlob, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_changed_after_it_was_mapped_is_detected() {
    let dir = temp_dir("mapped-changed");
    let version = versions("strings")[0];
    let blob = read_blob("strings", &format!("snapshot-{version}"));
    let path = write(&dir, "snapshot", &blob);
    let file = SnapshotFile::open(&path).unwrap();
    file.check_unchanged().unwrap();
    // Grown (an append), then replaced by a rename: both are seen, the load refuses the state.
    std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all_at_end(b"more");
    let err = ReadStateEngine::from_snapshot_mapped(&file).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IntegrityCheckFailed, "{err}");
    let file = SnapshotFile::open(&path).unwrap();
    let other = write(&dir, "other", &blob);
    std::fs::rename(&other, &path).unwrap();
    let err = file.check_unchanged().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IntegrityCheckFailed, "{err}");
    // The old file, still mapped, would read whole, but the state would not be the path's: refused.
    let err = ReadStateEngine::from_snapshot_mapped(&file).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IntegrityCheckFailed, "{err}");
    // Copy mode is unaffected by what happens to the file afterwards.
    let copied = ReadStateEngine::from_snapshot_file(&path, MappingMode::Copy).unwrap();
    std::fs::write(&path, b"garbage").unwrap();
    assert_eq!(dump_state(&copied, version), read_expected("strings", version));
    std::fs::remove_dir_all(&dir).unwrap();
}

trait AppendExt {
    fn write_all_at_end(self, bytes: &[u8]);
}

impl AppendExt for std::fs::File {
    fn write_all_at_end(mut self, bytes: &[u8]) {
        use std::io::Write;
        self.write_all(bytes).unwrap();
        self.sync_all().unwrap();
    }
}

/// A consumer mapping the scenario's snapshot, then following its deltas: every step equals Java's
/// dump; shards of types a delta leaves alone stay mapped; a state held by a reader reads on after
/// the consumer moved on and was dropped and the store's files were deleted.
#[test]
fn held_mapped_states_outlive_the_consumer_and_the_files() {
    // Shards a delta left mapped, over all steps of all scenarios.
    let mut kept_mapped = 0;
    for scenario in ["sharded", "collections", "strings"] {
        let dir = temp_dir(&format!("mapped-held-{scenario}"));
        let blobs = scenario_dir(scenario).join("blobs");
        for entry in std::fs::read_dir(&blobs).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
        let store = Arc::new(FilesystemBlobStore::open(&dir).unwrap());
        let consumer = Consumer::builder(store).with_memory_mapping(MappingMode::Shared).build();
        let versions = versions(scenario);
        consumer.refresh_to(versions[0]).unwrap();
        let first = consumer.read_state().unwrap();
        let total: usize = first.engine().types().map(|t| t.num_shards() as usize).sum();
        assert_eq!(first.engine().mapped_shards(), total, "{scenario}: the snapshot is mapped");
        // The populated bitsets are read in place too: a mapped consumer holds no copy of them.
        for t in first.engine().types() {
            assert_eq!(t.populated().heap_bytes(), 0, "{scenario} {}: populated bits copied", t.name());
        }
        let mut held = vec![(versions[0], first)];
        for &v in &versions[1..] {
            consumer.refresh_to(v).unwrap();
            let state = consumer.read_state().unwrap();
            let (_, previous) = held.last().unwrap();
            // Every type the delta did not touch is the previous state's, shards mapped as they were.
            for t in state.engine().types() {
                if previous.engine().shares_type_with(state.engine(), t.name()) {
                    assert_eq!(t.mapped_shards(), previous.engine().type_state(t.name()).unwrap().mapped_shards());
                }
            }
            assert_eq!(consumer.metrics().snapshots_applied, 1, "{scenario}: followed deltas");
            kept_mapped += state.engine().mapped_shards();
            held.push((v, state));
        }
        drop(consumer);
        std::fs::remove_dir_all(&dir).unwrap();
        for (version, state) in &held {
            assert_eq!(
                dump_state(state.engine(), *version),
                read_expected(scenario, *version),
                "{scenario} {version}, read after the consumer and the files are gone"
            );
        }
        assert!(held[0].1.engine().mapped_shards() > 0);
    }
    assert!(kept_mapped > 0, "no delta kept a mapped shard");
}

/// A snapshot whose local file cannot be mapped is loaded from the bytes retrieved, into the heap:
/// the same state, a warning, and the fallback counted.
#[test]
fn a_snapshot_that_cannot_be_mapped_is_loaded_into_the_heap_and_counted() {
    let scenario = "collections";
    let dir = temp_dir("mapped-fallback");
    let retriever = common::VanishedLocalFile(
        FilesystemBlobStore::open(scenario_dir(scenario).join("blobs")).unwrap(),
        dir.join("gone"),
    );
    let consumer = Consumer::builder(Arc::new(retriever)).with_memory_mapping(MappingMode::Shared).build();
    let version = versions(scenario)[0];
    let ((), metrics) = common::recording::record_metrics(|| {
        consumer.refresh_to(version).unwrap();
    });
    let state = consumer.read_state().unwrap();
    assert_eq!(state.engine().mapped_shards(), 0, "nothing could be mapped");
    assert_eq!(dump_state(state.engine(), version), read_expected(scenario, version));
    assert_eq!(metrics.counter(CONSUMER_MAPPING_FALLBACKS, &[("dataset", "default")]), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Indexes built by followers of a mapped load (`from_snapshot_file_with`) answer as indexes built
/// after it, in both modes; a file that cannot be opened gives its error and no follower result.
#[test]
fn followers_build_indexes_as_a_mapped_file_loads() {
    use hollow::index::{KeyValue, PrimaryKeyIndex};
    let dir = temp_dir("mapped-followers");
    let version = versions("collections")[0];
    let path = write(&dir, "snapshot", &read_blob("collections", &format!("snapshot-{version}")));
    for mode in [MappingMode::Shared, MappingMode::Copy] {
        let followers = [PrimaryKeyIndex::build_follower("Show", &[]), PrimaryKeyIndex::build_follower("Nope", &[])];
        let (engine, mut built) = ReadStateEngine::from_snapshot_file_with(&path, mode, &followers).unwrap();
        assert_eq!(engine.mapped_shards() > 0, mode == MappingMode::Shared, "{mode:?}");
        assert_eq!(built.pop().unwrap().unwrap_err().kind(), ErrorKind::NotFound, "{mode:?}: no such type");
        let index = built.pop().unwrap().unwrap();
        let after = PrimaryKeyIndex::new(&engine, "Show").unwrap();
        let shows = engine.object("Show").unwrap();
        let mut checked = 0;
        for o in shows.populated().iter() {
            let key = [KeyValue::Long(shows.read_long(o, 0).unwrap())];
            assert_eq!(index.get(&engine, &key), Some(o), "{mode:?}");
            assert_eq!(after.get(&engine, &key), Some(o), "{mode:?}");
            checked += 1;
        }
        assert!(checked > 1, "{mode:?}: {checked} shows");
        let missing = dir.join("missing");
        let err = ReadStateEngine::from_snapshot_file_with(&missing, mode, &followers).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io, "{mode:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

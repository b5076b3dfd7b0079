//! Restoring the write engine from Java Hollow's own snapshots (`tests/vectors`).
//!
//! * From a scenario's **last** snapshot: adding that state's records again (rebuilt from Java's JSON
//!   dump) gives every record the ordinal Java gave it, keeps every shard count, and the cycle has no
//!   change.
//! * From each **earlier** snapshot: adding the next state's records keeps the ordinal of every record
//!   the restored state had; the delta applies to the restored state and reaches the state of the
//!   engine's own snapshot, holding the records Java's next state holds, and the reverse delta leads
//!   back. Where new records also got Java's ordinals, the delta, reverse delta and snapshot are
//!   byte-identical to the ones Java's producer wrote without restarting. Where they did not, that is
//!   Java's own behaviour: after a restore Java hands out free ordinals largest first.

mod common;

use common::{compare, Scenario};
use hollow::read::ReadStateEngine;
use hollow::tools::dump::dump_state;
use hollow::tools::stringify::stringify;
use hollow::write::WriteStateEngine;
use Continued::{ByteIdentical, Renumbered};

/// Remove `"key":value,` from a dump line.
fn without(line: String, key: &str) -> String {
    match line.find(key) {
        Some(at) => format!("{}{}", &line[..at], &line[at + line[at..].find(',').unwrap() + 1..]),
        None => line,
    }
}

/// Compare the dumps of every type's records, without what may differ between equal states (tags, max
/// ordinals, which count removed records).
fn assert_same_contents(a: &ReadStateEngine, b: &ReadStateEngine, what: &str) {
    assert_same_records(a, b, what, false)
}

/// [`assert_same_contents`], optionally also ignoring shard counts.
fn assert_same_records(a: &ReadStateEngine, b: &ReadStateEngine, what: &str, ignore_shards: bool) {
    let comparable = |state: &ReadStateEngine| -> Vec<String> {
        let dump = dump_state(state, 0);
        dump[dump.find("\"types\":[").unwrap()..]
            .lines()
            .map(|line| without(line.to_owned(), "\"maxOrdinal\":"))
            .map(|line| if ignore_shards { without(line, "\"numShards\":") } else { line })
            .collect()
    };
    let (a, b) = (comparable(a), comparable(b));
    if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
        panic!("{what}: states differ at dump line {i}:\n{:?}\nvs\n{:?}", a.get(i), b.get(i));
    }
}

fn load(scenario: &Scenario, version: u64) -> ReadStateEngine {
    let path = scenario.blob_path(&format!("snapshot-{version}"));
    ReadStateEngine::from_snapshot(&std::fs::read(&path).unwrap()).unwrap()
}

fn restored(scenario: &Scenario, version: u64) -> (WriteStateEngine, ReadStateEngine) {
    let state = load(scenario, version);
    let mut engine = scenario.new_engine();
    engine.restore_from(&state).unwrap_or_else(|e| panic!("{} v{version}: {e}", scenario.name));
    assert_eq!(engine.previous_randomized_tag(), state.randomized_tag());
    assert_eq!(engine.previous_header_tags(), state.header_tags());
    (engine, state)
}

/// Restore from the last snapshot and add the same records: no change. Returns the records added.
fn re_add_last_state(name: &str) -> usize {
    let scenario = Scenario::load(name);
    let last = *scenario.versions.last().unwrap();
    let (mut engine, state) = restored(&scenario, last);
    let expected = scenario.state(last);
    scenario.add_state(&mut engine, &expected);
    assert!(!engine.has_changed_since_last_cycle(), "{name}: re-adding the restored state changes nothing");
    for t in state.types() {
        assert_eq!(engine.num_shards(t.name()), Some(t.num_shards()), "{name}: {} keeps its shard count", t.name());
    }

    // The state written again is the same state. Not byte for byte: Java's snapshot sized its fields to
    // also fit the records the previous state removed, and with type resharding on, the smaller
    // projected size may now halve a shard count, as it would in Java.
    let mut snapshot = Vec::new();
    engine.write_snapshot(&mut snapshot).unwrap();
    let resharding = engine.allow_type_resharding();
    assert_same_records(&ReadStateEngine::from_snapshot(&snapshot).unwrap(), &state, name, resharding);
    // A delta the consumer state accepts: empty, unless the write resharded a type.
    let mut delta = Vec::new();
    engine.write_delta(&mut delta).unwrap();
    let after = state.apply_delta(&delta).unwrap();
    let unchanged = state.types().filter(|t| after.shares_type_with(&state, t.name())).count();
    if !resharding {
        assert_eq!(unchanged, state.types().count(), "{name}: the delta changes no type");
    }
    assert_same_records(&after, &state, name, resharding);

    expected["types"].as_array().unwrap().iter().map(|t| t["records"].as_array().unwrap().len()).sum()
}

/// How the cycle after a restore compared with Java's producer, which never restarted.
#[derive(Debug, PartialEq, Eq)]
enum Continued {
    /// Same ordinals as Java; the delta, reverse delta and snapshot are Java's, byte for byte.
    ByteIdentical,
    /// Some new records took other free ordinals than Java's (after a restore, Java itself hands out
    /// the holes largest first, not smallest first as after a normal cycle), so the blobs differ; the
    /// states they lead to hold the same records.
    Renumbered,
}

/// Restore from every snapshot but the last and write the next cycle; compare with Java's blobs.
fn continue_from_each_snapshot(name: &str) -> Vec<Continued> {
    let scenario = Scenario::load(name);
    let mut outcomes = Vec::new();
    for pair in scenario.versions.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        let (mut engine, state) = restored(&scenario, from);
        let next = scenario.state(to);
        let ordinals = scenario.add_state_translated(&mut engine, &next);
        let mut renumbered = false;
        for (type_name, map) in &ordinals {
            let populated = state.type_state(type_name).unwrap().populated();
            for (&java, &ours) in map {
                if populated.contains(java) {
                    assert_eq!(ours, java, "{name} v{to}: a {type_name} record kept from v{from} keeps its ordinal");
                }
                renumbered |= ours != java;
            }
        }
        let write = |engine: &mut WriteStateEngine,
                     f: fn(&mut WriteStateEngine, &mut Vec<u8>) -> hollow::Result<()>| {
            let mut out = Vec::new();
            f(engine, &mut out).unwrap_or_else(|e| panic!("{name} v{from}→v{to}: {e}"));
            out
        };
        let delta = write(&mut engine, WriteStateEngine::write_delta);
        let reverse = write(&mut engine, WriteStateEngine::write_reverse_delta);
        let snapshot = write(&mut engine, WriteStateEngine::write_snapshot);

        let forward = state.apply_delta(&delta).unwrap_or_else(|e| panic!("{name} v{from}→v{to} delta: {e}"));
        assert_same_contents(&forward, &ReadStateEngine::from_snapshot(&snapshot).unwrap(), name);
        assert_same_contents(&forward.apply_reverse_delta(&reverse).unwrap(), &state, name);
        // The records Java's state holds, compared without ordinals (references are expanded).
        for t in next["types"].as_array().unwrap() {
            let type_name = t["schema"]["name"].as_str().unwrap();
            let mut java: Vec<&str> =
                t["records"].as_array().unwrap().iter().map(|r| r["stringifier"].as_str().unwrap()).collect();
            let ours_state = forward.type_state(type_name).unwrap();
            let mut ours: Vec<String> =
                ours_state.populated().iter().map(|o| stringify(&forward, type_name, o)).collect();
            java.sort_unstable();
            ours.sort_unstable();
            assert_eq!(ours, java, "{name} v{to}: the {type_name} records");
        }

        if renumbered {
            outcomes.push(Continued::Renumbered);
            continue;
        }
        let mut failures = Vec::new();
        for (blob, ours) in [
            (format!("delta-{from}-{to}"), &delta),
            (format!("reversedelta-{to}-{from}"), &reverse),
            (format!("snapshot-{to}"), &snapshot),
        ] {
            failures.extend(compare(&blob, ours, &scenario.blob_path(&blob)));
        }
        assert!(failures.is_empty(), "{name} (restored from v{from}):\n{}", failures.join("\n"));
        outcomes.push(Continued::ByteIdentical);
    }
    outcomes
}

#[test]
fn strings_re_added_after_restore_is_unchanged() {
    assert!(re_add_last_state("strings") > 0);
}

#[test]
fn strings_continued_after_restore() {
    assert_eq!(continue_from_each_snapshot("strings"), [ByteIdentical, ByteIdentical]);
}

#[test]
fn primitives_re_added_after_restore_is_unchanged() {
    assert!(re_add_last_state("primitives") > 0);
}

#[test]
fn primitives_continued_after_restore() {
    assert_eq!(continue_from_each_snapshot("primitives"), [ByteIdentical, Renumbered]);
}

#[test]
fn collections_re_added_after_restore_is_unchanged() {
    assert!(re_add_last_state("collections") > 0);
}

#[test]
fn collections_continued_after_restore() {
    assert_eq!(continue_from_each_snapshot("collections"), [ByteIdentical, Renumbered]);
}

#[test]
fn sharded_re_added_after_restore_is_unchanged() {
    assert!(re_add_last_state("sharded") > 0);
}

#[test]
fn sharded_continued_after_restore() {
    assert_eq!(continue_from_each_snapshot("sharded"), [ByteIdentical]);
}

#[test]
fn sharded_reshard_re_added_after_restore_is_unchanged() {
    assert!(re_add_last_state("sharded-reshard") > 0);
}

#[test]
fn sharded_reshard_continued_after_restore() {
    assert_eq!(continue_from_each_snapshot("sharded-reshard"), [ByteIdentical, ByteIdentical]);
}

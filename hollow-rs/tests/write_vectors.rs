//! The write engine against Java Hollow's own blobs.
//!
//! For every scenario in `tests/vectors`, rebuild each version's records from the JSON dump of what
//! Java wrote (`expected/state-<v>.json`), cycle by cycle, with the producer settings of the scenario,
//! and check that every snapshot, delta, reverse delta and header blob this engine writes equals
//! Java's: the same header (schemas, tags, and — since the test hands the engine Java's randomized tags
//! — the same origin and destination) and a byte-identical body. Only the order of header tags (Java
//! writes them in hash-map order) and the order of entries in `hollow.type.resharding.invoked`
//! (Java builds it from parallel tasks) are not compared. Records are added dependencies first and,
//! within a type, by ascending ordinal; the engine must assign the same ordinals Java did.

mod common;

use common::{compare, Scenario};
use hollow::write::WriteStateEngine;

/// Replay a scenario; return the number of blobs compared.
fn replay(name: &str) -> usize {
    let scenario = Scenario::load(name);
    let mut engine = scenario.new_engine();
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut previous: Option<u64> = None;
    for &version in &scenario.versions {
        engine.prepare_for_next_cycle();
        scenario.add_state(&mut engine, &scenario.state(version));

        let mut check = |blob: String, write: &dyn Fn(&mut WriteStateEngine, &mut Vec<u8>) -> hollow::Result<()>| {
            let mut out = Vec::new();
            write(&mut engine, &mut out).unwrap_or_else(|e| panic!("{name} {blob}: {e}"));
            if let Some(problem) = compare(&blob, &out, &scenario.blob_path(&blob)) {
                failures.push(format!("{name} {problem}"));
            }
            compared += 1;
        };
        check(format!("header-{version}"), &|e, out| e.write_header_blob(out));
        check(format!("snapshot-{version}"), &|e, out| e.write_snapshot(out));
        if let Some(prev) = previous {
            check(format!("delta-{prev}-{version}"), &|e, out| e.write_delta(out));
            check(format!("reversedelta-{version}-{prev}"), &|e, out| e.write_reverse_delta(out));
        }
        previous = Some(version);
    }
    assert!(failures.is_empty(), "{} of {compared} blobs differ:\n{}", failures.len(), failures.join("\n"));
    compared
}

#[test]
fn strings_scenario_is_byte_identical() {
    assert_eq!(replay("strings"), 10);
}

#[test]
fn primitives_scenario_is_byte_identical() {
    assert_eq!(replay("primitives"), 10);
}

#[test]
fn collections_scenario_is_byte_identical() {
    assert_eq!(replay("collections"), 10);
}

#[test]
fn sharded_scenario_is_byte_identical() {
    assert_eq!(replay("sharded"), 6);
}

#[test]
fn sharded_reshard_scenario_is_byte_identical() {
    assert_eq!(replay("sharded-reshard"), 10);
}

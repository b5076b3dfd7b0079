//! Arbitrary bytes as a delta on fixed states loaded from the Java-written vectors.
//!
//! The blob's origin tag picks the state: a real delta's tag picks the state it was written for, any
//! other tag picks a state by its first byte and is overwritten with that state's tag, so the fuzzer
//! spends its time in type sections rather than on the tag check. Whatever applies must read in full.

#![no_main]

use std::sync::OnceLock;

use hollow::read::ReadStateEngine;
use libfuzzer_sys::fuzz_target;

#[path = "support/read_all.rs"]
mod read_all;
use read_all::read_everything;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../hollow-rs/tests/vectors");

/// Every snapshot of the vectors up to 512 KiB, loaded once.
fn states() -> &'static [ReadStateEngine] {
    static STATES: OnceLock<Vec<ReadStateEngine>> = OnceLock::new();
    STATES.get_or_init(|| {
        let mut states = Vec::new();
        for scenario in ["collections", "sharded", "sharded-reshard", "strings", "primitives"] {
            let dir = format!("{VECTORS}/{scenario}/blobs");
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{dir}: {e}"))
                .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("snapshot-"))
                .collect();
            names.sort();
            for name in names {
                let bytes = std::fs::read(format!("{dir}/{name}")).expect("vector blob");
                if bytes.len() <= 512 * 1024 {
                    states.push(ReadStateEngine::from_snapshot(&bytes).expect("vector snapshot loads"));
                }
            }
        }
        states
    })
}

fuzz_target!(|data: &[u8]| {
    let states = states();
    if data.len() < 12 {
        let _ = states[0].apply_delta(data);
        return;
    }
    let origin = i64::from_be_bytes(data[4..12].try_into().expect("8 bytes"));
    let result = match states.iter().find(|s| s.randomized_tag() == origin) {
        Some(state) => state.apply_delta(data),
        None => {
            let state = &states[data[0] as usize % states.len()];
            let mut patched = data.to_vec();
            patched[4..12].copy_from_slice(&state.randomized_tag().to_be_bytes());
            state.apply_delta(&patched)
        }
    };
    if let Ok(next) = result {
        read_everything(&next);
    }
});

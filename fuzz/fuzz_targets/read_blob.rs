//! Arbitrary bytes as a snapshot and, when they load, as a delta on the state they loaded.
//!
//! Beyond "no panic, no runaway allocation": whatever loads can be read in full (checksum over every
//! record, stringified records following references, hash-key lookups) without panicking either.

#![no_main]

use hollow::read::ReadStateEngine;
use libfuzzer_sys::fuzz_target;

#[path = "support/read_all.rs"]
mod read_all;
use read_all::read_everything;

fuzz_target!(|data: &[u8]| {
    let Ok(state) = ReadStateEngine::from_snapshot(data) else { return };
    read_everything(&state);
    // Only a blob whose origin tag equals its destination tag gets past the tag check; the fuzzer can
    // find that, and then the bytes' type sections are read a second time as delta sections.
    if let Ok(next) = state.apply_delta(data) {
        read_everything(&next);
    }
});

//! Damaged blobs: every truncation of small snapshots and deltas, and thousands of random bit flips,
//! give an error that says what and where (never a panic or a hang), or a state that reads in full.
//!
//! Blobs: the Java-written `collections` vectors (snapshot, delta, reverse delta), and a small sharded
//! chain written here whose types change shard counts (so truncations and flips reach resharding).
//! The allocation side of the same promise is measured in `alloc_bound.rs`.

mod robust_support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use hollow::read::ReadStateEngine;
use hollow::Error;
use robust_support::{read_everything, sharded_chain, vector, Rng, V1, V2};

/// A parse (load or delta, plus reading what it produced) that takes longer than this is taken to hang.
/// These blobs are a few KB: a correct parse takes microseconds.
const HANG_LIMIT: Duration = Duration::from_secs(2);

/// What a damaged blob may do: fail with one of these errors, or load.
#[derive(Debug)]
enum Outcome {
    Loaded,
    Failed(Error),
}

/// Run `parse`, which must not panic nor take longer than [`HANG_LIMIT`]; read everything it loads.
fn outcome(what: &str, parse: impl FnOnce() -> hollow::Result<ReadStateEngine>) -> Outcome {
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let r = parse();
        if let Ok(state) = &r {
            read_everything(state);
        }
        r
    }));
    let took = start.elapsed();
    assert!(took < HANG_LIMIT, "{what}: took {took:?}");
    match result {
        Ok(Ok(_)) => Outcome::Loaded,
        Ok(Err(e)) => Outcome::Failed(e),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{what}: panicked: {msg}")
        }
    }
}

/// A corrupt-blob error must say where (a byte offset inside the blob) and what (a message naming the
/// item being read, in the Display text as well).
fn assert_says_what_and_where(e: &Error, blob_len: usize, what: &str) {
    match e {
        Error::CorruptBlob { message, position } => {
            assert!(
                position.offset <= blob_len as u64,
                "{what}: offset {} beyond the blob ({blob_len})",
                position.offset
            );
            assert!(message.len() >= 8, "{what}: message says too little: {message:?}");
            let text = e.to_string();
            assert!(text.contains(&format!("byte {}", position.offset)), "{what}: {text}");
        }
        // A damaged version or tag: the error names the field and both values.
        Error::UnsupportedVersion { .. } | Error::TagMismatch { .. } => {}
        other => panic!("{what}: not a blob error: {other}"),
    }
}

/// Every strict prefix of `blob` fails with a corrupt-blob error at an offset inside the prefix.
fn every_truncation_fails(name: &str, blob: &[u8], parse: impl Fn(&[u8]) -> hollow::Result<ReadStateEngine>) -> usize {
    for n in 0..blob.len() {
        let what = format!("{name} cut to {n} of {} bytes", blob.len());
        match outcome(&what, || parse(&blob[..n])) {
            Outcome::Loaded => panic!("{what}: loaded"),
            Outcome::Failed(e @ Error::CorruptBlob { .. }) => {
                assert_says_what_and_where(&e, n, &what);
                // The damage is the missing tail: the error is found at the cut (a length read before
                // it may point past the cut, but never before the item it counts).
                let Error::CorruptBlob { position, .. } = &e else { unreachable!() };
                assert!(position.offset <= n as u64, "{what}: {e}");
            }
            Outcome::Failed(e) => panic!("{what}: expected a corrupt-blob error, got {e}"),
        }
    }
    blob.len()
}

#[test]
fn every_truncation_of_a_snapshot_is_an_error_saying_where() {
    let snapshot = vector("collections", &format!("snapshot-{V1}"));
    let n = every_truncation_fails("collections snapshot", &snapshot, ReadStateEngine::from_snapshot);
    assert!(n > 2000, "the whole snapshot was cut: {n}");
    let chain = sharded_chain();
    every_truncation_fails("sharded snapshot", &chain.snapshot1, ReadStateEngine::from_snapshot);
}

#[test]
fn every_truncation_of_a_delta_is_an_error_saying_where() {
    let base = ReadStateEngine::from_snapshot(&vector("collections", &format!("snapshot-{V1}"))).unwrap();
    let next = ReadStateEngine::from_snapshot(&vector("collections", &format!("snapshot-{V2}"))).unwrap();
    let delta = vector("collections", &format!("delta-{V1}-{V2}"));
    every_truncation_fails("collections delta", &delta, |b| base.apply_delta(b));
    let reverse = vector("collections", &format!("reversedelta-{V2}-{V1}"));
    every_truncation_fails("collections reverse delta", &reverse, |b| next.apply_delta(b));

    let chain = sharded_chain();
    let sharded = ReadStateEngine::from_snapshot(&chain.snapshot1).unwrap();
    every_truncation_fails("sharded delta (resharding)", &chain.delta, |b| sharded.apply_delta(b));
    let sharded2 = ReadStateEngine::from_snapshot(&chain.snapshot2).unwrap();
    every_truncation_fails("sharded reverse delta (resharding)", &chain.reverse, |b| sharded2.apply_delta(b));
}

/// Flip one to four random bits of `blob`, `rounds` times; count what happened.
fn flip_bits(
    name: &str,
    blob: &[u8],
    rounds: usize,
    rng: &mut Rng,
    parse: impl Fn(&[u8]) -> hollow::Result<ReadStateEngine>,
) -> (usize, usize) {
    let (mut loaded, mut failed) = (0, 0);
    for round in 0..rounds {
        let mut damaged = blob.to_vec();
        let mut flipped = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let bit = rng.below(blob.len() as u64 * 8);
            damaged[(bit / 8) as usize] ^= 1 << (bit % 8);
            flipped.push(bit);
        }
        let what = format!("{name} round {round}, bits {flipped:?} flipped");
        match outcome(&what, || parse(&damaged)) {
            Outcome::Loaded => loaded += 1,
            Outcome::Failed(e) => {
                assert_says_what_and_where(&e, blob.len(), &what);
                failed += 1;
            }
        }
    }
    (loaded, failed)
}

#[test]
fn random_bit_flips_never_panic_nor_hang() {
    const ROUNDS: usize = 2000;
    let mut rng = Rng(0x0B17_F11B_5EED);
    let snapshot = vector("collections", &format!("snapshot-{V1}"));
    let delta = vector("collections", &format!("delta-{V1}-{V2}"));
    let reverse = vector("collections", &format!("reversedelta-{V2}-{V1}"));
    let base = ReadStateEngine::from_snapshot(&snapshot).unwrap();
    let next = base.apply_delta(&delta).unwrap();
    let chain = sharded_chain();
    let sharded = ReadStateEngine::from_snapshot(&chain.snapshot1).unwrap();

    let mut total = (0, 0);
    let mut run = |name: &str, counts: (usize, usize)| {
        // Most flips land in record data, where they change values rather than structure; some must
        // be caught, or the test is not looking.
        assert!(counts.1 > ROUNDS / 50, "{name}: only {} of {ROUNDS} flips were errors", counts.1);
        total = (total.0 + counts.0, total.1 + counts.1);
    };
    run("snapshot", flip_bits("collections snapshot", &snapshot, ROUNDS, &mut rng, ReadStateEngine::from_snapshot));
    run("delta", flip_bits("collections delta", &delta, ROUNDS, &mut rng, |b| base.apply_delta(b)));
    run("reverse delta", flip_bits("collections reverse delta", &reverse, ROUNDS, &mut rng, |b| next.apply_delta(b)));
    run("sharded delta", flip_bits("sharded delta", &chain.delta, ROUNDS, &mut rng, |b| sharded.apply_delta(b)));
    assert_eq!(total.0 + total.1, 4 * ROUNDS);
    eprintln!("bit flips: {} parses, {} loaded, {} errors", 4 * ROUNDS, total.0, total.1);
}

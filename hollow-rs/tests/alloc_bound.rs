//! A damaged or hostile blob never makes the read engine allocate more than the blob justifies.
//!
//! The bound, measured here with a counting global allocator (peak bytes live at once during a parse,
//! above what was live before it):
//!
//! * loading a snapshot of `n` bytes: at most `K * n + C`;
//! * applying a delta of `d` bytes to a state loaded from a snapshot of `s` bytes: at most
//!   `K * (s + d) + C` (a delta may rewrite every shard of the state, as Java's does).
//!
//! The engine keeps it by checking every count against the bytes that remain before allocating, by
//! counting at least one bit of data per record, and by bounding how far a delta's added ordinals can
//! reach past the state's largest ordinal (see `read::sharding::check_delta_max_ordinals`).
//!
//! One factor is not a constant: `a` added records may reach `max(4, n) * (a + 1)` ordinals past the
//! state's largest, for a state of `n` shards, because Java's producer can legitimately leave that many
//! holes (partitioned ordinal maps; `focusHoleFillInFewestShards`, which fills freed ordinals shard by
//! shard), and holes take record space like any record. For the states here (`n` <= 16) that is
//! inside `K`; a state of thousands of shards could see a delta allocate that many times its additions.
//!
//! Each test thread counts only its own allocations, so tests running in parallel do not disturb it.

mod robust_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use hollow::blob::{envelope, populated, BlobHeader};
use hollow::encoding::{gap, varint};
use hollow::read::ReadStateEngine;
use hollow::schema::{codec, FieldType, ObjectField, ObjectSchema, Schema};
use robust_support::{sharded_chain, vector, Rng, V1, V2};

/// Bytes allocated per byte of blob (and of the state's snapshot, for deltas).
const K: u64 = 16;
/// Fixed allowance: type states, schemas, small vectors.
const C: u64 = 16 * 1024;

struct Counting;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn track(delta: i64) {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        track(layout.size() as i64);
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        track(layout.size() as i64);
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        track(-(layout.size() as i64));
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        track(new_size as i64 - layout.size() as i64);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak bytes live at once while `f` runs, above what was live when it started (what `f` returns is
/// dropped inside, so a state that loaded counts too).
///
/// Huge pages are switched off for the whole binary: a large array on huge pages is an anonymous
/// mapping of its own, which the global allocator never sees, and every allocation must be counted.
fn peak_during<T>(f: impl FnOnce() -> T) -> u64 {
    hollow::memory::set_huge_pages(false);
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    drop(f());
    (PEAK.with(Cell::get) - start).max(0) as u64
}

/// Tracks the worst ratio seen, to report it.
#[derive(Default)]
struct Worst {
    ratio: f64,
    what: String,
    count: usize,
}

impl Worst {
    /// Check one measurement against `K * justified + C`.
    fn check(&mut self, what: &str, peak: u64, justified: u64) {
        assert!(
            peak <= K * justified + C,
            "{what}: peak allocation {peak} bytes for {justified} bytes of blobs (bound {})",
            K * justified + C
        );
        // The ratio is reported for blobs of 1 KiB and more, where fixed costs no longer dominate.
        let ratio = peak as f64 / justified.max(1) as f64;
        if justified >= 1024 && ratio > self.ratio {
            self.ratio = ratio;
            self.what = what.to_owned();
        }
        self.count += 1;
    }
}

/// Damage `blob` the ways that change sizes: bit flips, large VarInts written over random spots
/// (counts, widths, ordinals), and truncation.
fn mutate(blob: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = blob.to_vec();
    match rng.below(3) {
        0 => {
            for _ in 0..1 + rng.below(4) {
                let bit = rng.below(b.len() as u64 * 8);
                b[(bit / 8) as usize] ^= 1 << (bit % 8);
            }
        }
        1 => {
            let mut big = Vec::new();
            varint::write_i64(&mut big, (1i64 << (8 + rng.below(54))) - rng.below(3) as i64);
            let at = rng.below(b.len() as u64) as usize;
            for (i, byte) in big.into_iter().enumerate() {
                if let Some(slot) = b.get_mut(at + i) {
                    *slot = byte;
                }
            }
        }
        _ => b.truncate(rng.below(b.len() as u64) as usize),
    }
    b
}

#[test]
fn damaged_snapshots_allocate_in_proportion_to_their_size() {
    let mut rng = Rng(0xA110C);
    let mut worst = Worst::default();
    let chain = sharded_chain();
    let blobs = [
        ("collections", vector("collections", &format!("snapshot-{V1}"))),
        ("strings", vector("strings", &format!("snapshot-{V1}"))),
        ("primitives", vector("primitives", &format!("snapshot-{V1}"))),
        ("sharded chain", chain.snapshot1.clone()),
    ];
    for (name, blob) in &blobs {
        worst.check(&format!("{name} intact"), peak_during(|| ReadStateEngine::from_snapshot(blob)), blob.len() as u64);
        for round in 0..600 {
            let damaged = mutate(blob, &mut rng);
            let peak = peak_during(|| ReadStateEngine::from_snapshot(&damaged));
            worst.check(&format!("{name} snapshot, round {round}"), peak, damaged.len() as u64);
        }
    }
    eprintln!(
        "snapshots: {} loads, worst peak / blob (blobs >= 1 KiB) = {:.2} ({})",
        worst.count, worst.ratio, worst.what
    );
}

#[test]
fn damaged_deltas_allocate_in_proportion_to_the_state_and_their_size() {
    let mut rng = Rng(0xDE17A);
    let mut worst = Worst::default();
    let chain = sharded_chain();
    let cases = [
        (
            "collections delta",
            vector("collections", &format!("snapshot-{V1}")),
            vector("collections", &format!("delta-{V1}-{V2}")),
        ),
        (
            "collections reverse delta",
            vector("collections", &format!("snapshot-{V2}")),
            vector("collections", &format!("reversedelta-{V2}-{V1}")),
        ),
        ("sharded chain delta", chain.snapshot1.clone(), chain.delta.clone()),
        ("sharded chain reverse delta", chain.snapshot2.clone(), chain.reverse.clone()),
    ];
    for (name, snapshot, delta) in &cases {
        let state = ReadStateEngine::from_snapshot(snapshot).unwrap();
        let justified = |d: &[u8]| (snapshot.len() + d.len()) as u64;
        worst.check(&format!("{name} intact"), peak_during(|| state.apply_delta(delta).unwrap()), justified(delta));
        for round in 0..600 {
            let damaged = mutate(delta, &mut rng);
            let peak = peak_during(|| state.apply_delta(&damaged));
            worst.check(&format!("{name}, round {round}"), peak, justified(&damaged));
        }
    }
    eprintln!(
        "deltas: {} applications, worst peak / (state + delta) = {:.2} ({})",
        worst.count, worst.ratio, worst.what
    );
}

// ----- hand-built hostile blobs ------------------------------------------------------------------

fn movie() -> Schema {
    ObjectSchema::new("Movie")
        .with_field(ObjectField::new("id", FieldType::Int))
        .with_field(ObjectField::new("title", FieldType::String))
        .into()
}

fn blob(origin: i64, destination: i64, schema: &Schema, num_shards: u32, body: &[u8]) -> Vec<u8> {
    let header = BlobHeader {
        origin_tag: origin,
        destination_tag: destination,
        schemas: vec![schema.clone()],
        ..Default::default()
    };
    let mut out = Vec::new();
    header.write(&mut out).unwrap();
    varint::write_usize(&mut out, 1);
    codec::write_schema(&mut out, schema).unwrap();
    envelope::write_num_shards(&mut out, num_shards);
    out.extend_from_slice(body);
    out
}

/// Movie {1, "Ab"}, {-2, null}: 3-bit fields, one word of fixed data.
fn movie_snapshot() -> Vec<u8> {
    let mut body = vec![0x01, 0x03, 0x03, 0x01];
    body.extend(0xCD2u64.to_be_bytes());
    body.extend([0x00, 0x02, b'A', b'b']);
    populated::write(&mut body, &[0, 1], 256);
    blob(-1, 1, &movie(), 1, &body)
}

/// A delta adding one record {0, null} at `ordinal` (and growing the shard to it).
fn movie_delta_adding_at(ordinal: u32) -> Vec<u8> {
    let mut body = Vec::new();
    varint::write_i32(&mut body, ordinal as i32);
    gap::write(&mut body, &[]);
    gap::write(&mut body, &[ordinal]);
    body.extend([0x03, 0x03, 0x01]);
    body.extend((0b100u64 << 3).to_be_bytes());
    body.extend([0x00, 0x00]);
    blob(1, 2, &movie(), 1, &body)
}

#[test]
fn a_delta_adding_one_record_at_a_huge_ordinal_is_refused_cheaply() {
    let state = ReadStateEngine::from_snapshot(&movie_snapshot()).unwrap();
    // Within reach: two records and one addition reach at most ordinal 1 + 4 * 2.
    let near = state.apply_delta(&movie_delta_adding_at(9)).unwrap();
    assert_eq!(near.object("Movie").unwrap().populated().iter().collect::<Vec<_>>(), [0, 1, 9]);
    assert!(state.apply_delta(&movie_delta_adding_at(10)).is_err());
    for ordinal in [1 << 20, 1 << 26, (1 << 30) + 5, i32::MAX as u32 - 1] {
        let delta = movie_delta_adding_at(ordinal);
        let mut result = None;
        let peak = peak_during(|| result = Some(state.apply_delta(&delta).map(|_| ())));
        let err = result.unwrap().unwrap_err();
        assert!(err.to_string().contains(&ordinal.to_string()), "{err}");
        assert!(peak <= K * delta.len() as u64 + C, "ordinal {ordinal}: peak {peak}");
    }
}

#[test]
fn zero_width_records_cannot_claim_billions_of_records() {
    // A shard of 2^30 records whose three INT fields take 0 bits: no data, so nothing to allocate at
    // load, but a later delta giving the fields widths would allocate gigabytes.
    let schema: Schema = ObjectSchema::new("Wide")
        .with_field(ObjectField::new("a", FieldType::Int))
        .with_field(ObjectField::new("b", FieldType::Int))
        .with_field(ObjectField::new("c", FieldType::Int))
        .into();
    let mut body = Vec::new();
    varint::write_i32(&mut body, (1 << 30) - 1);
    body.extend([0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
    populated::write(&mut body, &[0], 256);
    let err = ReadStateEngine::from_snapshot(&blob(-1, 1, &schema, 1, &body)).unwrap_err();
    assert!(err.to_string().contains("width 0"), "{err}");
    // A type without fields has no widths to give: up to 64 records per word of slack are accepted.
    let empty: Schema = ObjectSchema::new("Empty").into();
    let mut body = Vec::new();
    varint::write_i32(&mut body, (1 << 30) - 1);
    body.push(0x00);
    populated::write(&mut body, &[0], 256);
    assert!(ReadStateEngine::from_snapshot(&blob(-1, 1, &empty, 1, &body)).is_err());
    let mut body = vec![0x3F, 0x00];
    populated::write(&mut body, &[0, 63], 256);
    let e = ReadStateEngine::from_snapshot(&blob(-1, 1, &empty, 1, &body)).unwrap();
    assert_eq!(e.object("Empty").unwrap().max_ordinal(), 63);
}

#[test]
fn a_huge_shard_count_in_a_delta_is_refused_before_resharding() {
    let state = ReadStateEngine::from_snapshot(&movie_snapshot()).unwrap();
    // 2^20 shards, with a few bytes behind them: resharding would allocate per shard and field.
    let delta = blob(1, 2, &movie(), 1 << 20, &[0x01; 64]);
    let mut result = None;
    let peak = peak_during(|| result = Some(state.apply_delta(&delta).map(|_| ())));
    assert!(result.unwrap().unwrap_err().to_string().contains("shards"));
    assert!(peak <= K * delta.len() as u64 + C, "peak {peak}");
}

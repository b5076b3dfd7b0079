//! Freed large arrays are kept and reused (`hollow::memory::recycler`): a reused array reads as
//! zeros whatever its last owner wrote, the bytes kept stay within the limit, states built by
//! deltas on reused memory read exactly as the same versions loaded from their snapshots, and an
//! index build's working memory is given back rather than kept.
//!
//! One test, alone in its binary: the recycler is one per process, and other tests freeing or taking
//! arrays at the same time would change the counts it checks.

use hollow::index::{KeyValue, PrimaryKeyIndex};
use hollow::memory::{self, LargeArray, HUGE_PAGE_MIN_BYTES};
use hollow::read::ReadStateEngine;
use hollow::schema::{FieldType, ObjectField, ObjectSchema, Schema};
use hollow::tools::dump::dump_state;
use hollow::write::{ObjectRecord, WriteStateEngine};

const MIB: usize = 1 << 20;
const FIELDS: [&str; 8] = ["v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7"];

/// Records wide enough that a few tens of thousands make arrays above the huge-page threshold:
/// eight 64-bit longs (64 bytes of fixed data) and a 60-byte string each.
fn wide_schema() -> Schema {
    let mut schema = ObjectSchema::new("Wide");
    for name in FIELDS {
        schema = schema.with_field(ObjectField::new(name, FieldType::Long));
    }
    Schema::from(schema.with_field(ObjectField::new("text", FieldType::String)))
}

/// One cycle of `count` records starting at id `first`; the snapshot, and the delta from the cycle
/// before (empty for the first).
fn cycle(writer: &mut WriteStateEngine, first: i64, count: i64, initial: bool) -> (Vec<u8>, Vec<u8>) {
    writer.prepare_for_next_cycle();
    let mut record = ObjectRecord::new();
    for id in first..first + count {
        record.clear();
        for (f, name) in FIELDS.iter().enumerate() {
            // Spread over the whole 64 bits so that every field is 64 bits wide.
            let v = (id as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(f as u32 * 8) as i64;
            record.set_long(*name, v);
        }
        record.set_string("text", &format!("record {id:>12} of the recycled-array test, padded out"));
        writer.add("Wide", &record).unwrap();
    }
    let (mut snapshot, mut delta) = (Vec::new(), Vec::new());
    writer.write_snapshot(&mut snapshot).unwrap();
    if !initial {
        writer.write_delta(&mut delta).unwrap();
    }
    (snapshot, delta)
}

#[test]
fn reused_arrays_are_zeroed_bounded_and_deltas_on_them_read_as_snapshots() {
    memory::set_recycle_limit(512 * MIB);

    // An array freed with every byte set comes back zeroed to the next array of its size.
    let bytes = HUGE_PAGE_MIN_BYTES + 3 * 4096;
    let mut dirty = LargeArray::<u8>::zeroed(bytes);
    if !dirty.is_huge() {
        // Huge pages are off on this platform: nothing is mapped, so nothing is recycled.
        assert_eq!(memory::recycled_bytes(), 0);
        return;
    }
    dirty.fill(0xAB);
    let kept_before = memory::recycled_bytes();
    drop(dirty);
    assert!(memory::recycled_bytes() >= kept_before + bytes, "the freed array is kept");
    let reused = LargeArray::<u8>::zeroed(bytes);
    assert_eq!(memory::recycled_bytes(), kept_before, "the next array of that size took it");
    assert!(reused.iter().all(|&b| b == 0), "a reused array reads as zeros");
    drop(reused);

    // States built by deltas on reused arrays read as the snapshots of the same versions. Each
    // round drops the state before, whose arrays the next delta reuses; the dataset changes size
    // both ways so that regions are reused for arrays larger and smaller than they last held.
    let mut writer = WriteStateEngine::new();
    writer.add_schema(wide_schema()).unwrap();
    let (snapshot, _) = cycle(&mut writer, 0, 70_000, true);
    let mut state = ReadStateEngine::from_snapshot(&snapshot).unwrap();
    let mut version = 1;
    let mut reused_some = false;
    for (first, count) in [(500, 70_000), (900, 71_000), (1_700, 69_000), (2_000, 70_500), (2_600, 70_000)] {
        let (snapshot, delta) = cycle(&mut writer, first, count, false);
        let kept = memory::recycled_bytes();
        let next = state.apply_delta(&delta).unwrap();
        reused_some |= memory::recycled_bytes() < kept;
        version += 1;
        let expected = ReadStateEngine::from_snapshot(&snapshot).unwrap();
        assert_eq!(dump_state(&next, version), dump_state(&expected, version), "version {version}");
        state = next;
        assert!(memory::recycled_bytes() <= memory::recycle_limit());
    }
    assert!(reused_some, "later deltas build their arrays on the regions earlier states freed");

    // A lower limit lets go at once; 0 keeps nothing, and freed arrays are unmapped.
    memory::set_recycle_limit(4 * MIB);
    assert!(memory::recycled_bytes() <= 4 * MIB);
    memory::set_recycle_limit(0);
    assert_eq!(memory::recycled_bytes(), 0);
    drop(state);
    assert_eq!(memory::recycled_bytes(), 0);
    assert_eq!(memory::recycle_limit(), 0);

    // A primary-key build's working memory (its keys, sorted by region of the table, several MiB
    // here) is given back when the build ends, not kept: with room in the recycler, nothing is in
    // it after the build, and the only large array left mapped is the index's table.
    memory::set_recycle_limit(512 * MIB);
    let mut writer = WriteStateEngine::new();
    writer
        .add_schema(Schema::from(ObjectSchema::new("Key").with_field(ObjectField::new("id", FieldType::Long))))
        .unwrap();
    writer.prepare_for_next_cycle();
    let mut record = ObjectRecord::new();
    for id in 0..1_200_000i64 {
        record.clear();
        record.set_long("id", id * 7);
        writer.add("Key", &record).unwrap();
    }
    let mut snapshot = Vec::new();
    writer.write_snapshot(&mut snapshot).unwrap();
    let state = ReadStateEngine::from_snapshot(&snapshot).unwrap();
    let mapped_before = memory::mapped_array_bytes();
    let index = PrimaryKeyIndex::with_fields(&state, "Key", &["id"]).unwrap();
    assert_eq!(memory::recycled_bytes(), 0, "the build kept none of its working memory");
    assert!(index.heap_bytes() >= HUGE_PAGE_MIN_BYTES, "a table large enough to be mapped");
    assert_eq!(memory::mapped_array_bytes() - mapped_before, index.heap_bytes().next_multiple_of(4096));
    for id in [0, 1, 599_999, 600_000, 1_199_999] {
        assert_eq!(index.get(&state, &[KeyValue::Long(id * 7)]), Some(id as u32), "id {}", id * 7);
    }
    assert_eq!(index.get(&state, &[KeyValue::Long(8)]), None);
}

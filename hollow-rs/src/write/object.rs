//! OBJECT type bodies (Java's `HollowObjectTypeWriteState` and `FieldStatistics`).
//!
//! Each record is a fixed-width bit string: the fields in schema order, each with a width computed
//! over every record populated in this cycle or the previous one (removed records stay readable on
//! consumers for one more cycle, so their values must still fit):
//!
//! | field | stored value | width | null |
//! |---|---|---|---|
//! | INT, LONG | zig-zag value | widest `bits(v + 1)`; a null needs 1 | all ones |
//! | REFERENCE | ordinal | widest `bits(v + 1)`; a null needs 1 | all ones |
//! | BOOLEAN | 0 / 1 | 2 | 3 |
//! | FLOAT, DOUBLE | IEEE bits | 32 / 64 | the null sentinel bits |
//! | STRING, BYTES | end offset in the shard's heap for this field | `bits(total bytes + 1) + 1` | top bit set, low bits = previous end |
//!
//! Widths are 0 for fields no record fills (but STRING/BYTES are at least 2).
//!
//! ```text
//! shard (snapshot):  VarInt maxShardOrdinal · numFields × VarInt width
//!                    · VarLong numLongs, longs (records 0..=maxShardOrdinal; holes are zeros, except that
//!                      var-length pointers carry the previous end forward)
//!                    · per field: VarLong n, n heap bytes (0 for fixed-width fields)
//! shard (delta):     the common prefix, then the same with only the added records, packed in order
//! ```

use super::canonical::{object_fields, RawField};
use super::dataset::TypeRecords;
use super::layout::{bit_width, words_for_bits, Prepared};
use crate::encoding::{varint, BitArray};
use crate::schema::{FieldType, ObjectSchema};

/// Per-field widths and offsets for the cycle being written.
#[derive(Debug, Clone)]
pub(crate) struct FieldStats {
    field_types: Vec<FieldType>,
    bits: Vec<u32>,
    null_values: Vec<u64>,
    offsets: Vec<u64>,
    var_totals: Vec<u64>,
    bits_per_record: u64,
}

impl FieldStats {
    /// Gather widths over the records populated now or in the previous cycle.
    pub fn gather(schema: &ObjectSchema, state: &TypeRecords, max_ordinal: i32) -> Self {
        let field_types: Vec<FieldType> = schema.fields.iter().map(|f| f.field_type).collect();
        let n = field_types.len();
        let mut bits = vec![0u32; n];
        let mut var_totals = vec![0u64; n];
        for ordinal in state.ordinals_in_either(max_ordinal) {
            let Some(bytes) = state.record_bytes(ordinal) else { continue };
            for (i, raw) in object_fields(field_types.iter().copied(), bytes).enumerate() {
                let needed = match (field_types[i], raw) {
                    (FieldType::Boolean, _) => 2,
                    (FieldType::Float, _) => 32,
                    (FieldType::Double, _) => 64,
                    (_, RawField::Null) => 1,
                    (_, RawField::Var(v)) => bit_width(v.wrapping_add(1)),
                    (_, RawField::Bytes(b)) => {
                        var_totals[i] += b.len() as u64;
                        0
                    }
                    _ => 0,
                };
                bits[i] = bits[i].max(needed);
            }
        }
        let mut null_values = vec![0u64; n];
        let mut offsets = vec![0u64; n];
        let mut bits_per_record = 0u64;
        for i in 0..n {
            if field_types[i].is_variable_length() {
                // One more bit than the largest end offset needs, for the null flag.
                bits[i] = bit_width(var_totals[i] + 1) + 1;
            }
            null_values[i] = crate::encoding::bits::mask(bits[i]);
            offsets[i] = bits_per_record;
            bits_per_record += bits[i] as u64;
        }
        FieldStats { field_types, bits, null_values, offsets, var_totals, bits_per_record }
    }

    /// Java's estimate of the type's size in bytes, which decides its shard count.
    pub fn projected_size(&self, max_ordinal: i32) -> i64 {
        let fixed = (self.bits_per_record as i64 * (max_ordinal as i64 + 1)) / 8;
        fixed + self.var_totals.iter().sum::<u64>() as i64
    }

    fn write_widths(&self, out: &mut Vec<u8>) {
        for &b in &self.bits {
            varint::write_i32(out, b as i32);
        }
    }

    /// Append one snapshot shard.
    pub fn write_snapshot_shard(&self, state: &TypeRecords, p: &Prepared, shard: usize, out: &mut Vec<u8>) {
        let layout = &p.forward;
        let max_local = layout.max_shard_ordinals[shard];
        varint::write_i32(out, max_local);
        self.write_widths(out);
        let count = (max_local + 1) as u64;
        let mut data = ShardData::new(self, count);
        for local in 0..count {
            let ordinal = (local * layout.num_shards as u64 + shard as u64) as u32;
            let bytes = if state.current.get(ordinal) { state.record_bytes(ordinal) } else { None };
            match bytes {
                Some(bytes) => data.add_record(self, bytes),
                None => data.add_null_record(self),
            }
        }
        data.write(self, out);
    }

    /// Append the type-specific part of one delta shard: the added records, packed.
    pub fn write_delta_shard(&self, state: &TypeRecords, added: &[u32], out: &mut Vec<u8>) {
        self.write_widths(out);
        let mut data = ShardData::new(self, added.len() as u64);
        for &ordinal in added {
            data.add_record(self, state.record_bytes(ordinal).unwrap_or_default());
        }
        data.write(self, out);
    }
}

/// The fixed-width records and var-length heaps of one shard being built.
struct ShardData {
    fixed: BitArray,
    next_record: u64,
    heaps: Vec<Vec<u8>>,
}

impl ShardData {
    fn new(stats: &FieldStats, num_records: u64) -> Self {
        ShardData {
            fixed: BitArray::zeroed_bits(stats.bits_per_record * num_records),
            next_record: 0,
            heaps: vec![Vec::new(); stats.bits.len()],
        }
    }

    fn record_offset(&self, stats: &FieldStats) -> u64 {
        self.next_record * stats.bits_per_record
    }

    fn add_record(&mut self, stats: &FieldStats, bytes: &[u8]) {
        let base = self.record_offset(stats);
        for (i, raw) in object_fields(stats.field_types.iter().copied(), bytes).enumerate() {
            let (offset, width) = (base + stats.offsets[i], stats.bits[i]);
            let value = match raw {
                RawField::Null if stats.field_types[i].is_variable_length() => {
                    self.heaps[i].len() as u64 | (1 << (width - 1))
                }
                RawField::Null if stats.field_types[i] == FieldType::Boolean => 3,
                RawField::Null => stats.null_values[i],
                RawField::Boolean(b) => b as u64,
                RawField::Float(bits) => bits as u64,
                RawField::Double(bits) | RawField::Var(bits) => bits,
                RawField::Bytes(b) => {
                    self.heaps[i].extend_from_slice(b);
                    self.heaps[i].len() as u64
                }
            };
            self.fixed.set(offset, width, value);
        }
        self.next_record += 1;
    }

    /// A hole (an ordinal not populated in this state): zeros, except that var-length fields repeat
    /// the current end offset so the next record's start is right.
    fn add_null_record(&mut self, stats: &FieldStats) {
        let base = self.record_offset(stats);
        for i in 0..stats.bits.len() {
            if stats.field_types[i].is_variable_length() {
                self.fixed.set(base + stats.offsets[i], stats.bits[i], self.heaps[i].len() as u64);
            }
        }
        self.next_record += 1;
    }

    fn write(&self, stats: &FieldStats, out: &mut Vec<u8>) {
        let num_words = words_for_bits(self.next_record * stats.bits_per_record);
        varint::write_i64(out, num_words as i64);
        self.fixed.write_words(out, num_words);
        for heap in &self.heaps {
            varint::write_i64(out, heap.len() as i64);
            out.extend_from_slice(heap);
        }
    }
}

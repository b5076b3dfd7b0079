//! LIST, SET and MAP type bodies (Java's `HollowListTypeWriteState`, `HollowSetTypeWriteState`,
//! `HollowMapTypeWriteState`).
//!
//! All three store, per record, a **pointer**: the end index (exclusive) of the record's entries in
//! the shard's entry array; the start is the previous record's pointer (0 for the first). Sets and
//! maps also store their size next to the pointer (pointer in the low bits) and keep their entries as
//! an open-addressing hash table of `hashTableSize(size)` buckets per record: an empty bucket is an
//! all-ones element (map: key), entries are inserted in ascending ordinal order at their home bucket
//! (`hashInt(ordinal)`, or the hash of the hash-key fields) with linear probing inside the record's
//! own buckets.
//!
//! ```text
//! LIST shard: VarInt maxShardOrdinal · VarInt pointerBits · VarInt elementBits · VarLong totalElements
//!             · VarInt n, n longs of pointers · VarInt n, n longs of element ordinals
//! SET shard:  VarInt maxShardOrdinal · VarInt pointerBits · VarInt sizeBits · VarInt elementBits
//!             · VarLong totalBuckets · VarInt n, n longs of (pointer, size) · VarInt n, n longs of buckets
//! MAP shard:  as SET, with VarInt keyBits · VarInt valueBits in place of elementBits, and buckets of
//!             (key, value), key in the low bits
//! ```
//! A delta shard has the common prefix (see `super::type_state`) and then the same fields with only
//! the added records. Totals count every record populated now or in the previous cycle, so they can
//! exceed what a snapshot writes (the extra longs are zeros); deltas write the totals too, which
//! consumers use to size the shard they build.

use super::canonical::{collection_size, list_elements, map_entries, set_elements};
use super::dataset::{Dataset, TypeRecords};
use super::key_hash::KeyHasher;
use super::layout::{bit_width, Direction, Layout, Prepared};
use crate::encoding::hash::hash_table_size;
use crate::encoding::{bits, varint, BitArray};
use crate::error::Result;
use crate::schema::Schema;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    Map,
}

/// Entry counts per shard and the pointer width they need, for one layout.
#[derive(Debug, Clone, Default)]
struct ShardTotals {
    per_shard: Vec<u64>,
    pointer_bits: u32,
}

/// Statistics of a collection type for the cycle being written.
#[derive(Debug, Clone)]
pub(crate) struct CollectionStats {
    kind: Kind,
    /// `(ordinal, entries)` for each record populated now or in the previous cycle, where entries is a
    /// list's size or a set's / map's bucket count.
    entries: Vec<(u32, u64)>,
    total_entries: u64,
    /// Width of a list / set element, or of a map key.
    element_bits: u32,
    /// Width of a map value (0 for lists and sets).
    value_bits: u32,
    /// Width of a set's / map's size (0 for lists).
    size_bits: u32,
    forward: ShardTotals,
    reverse: ShardTotals,
}

impl CollectionStats {
    /// Gather widths over the records populated now or in the previous cycle.
    pub fn gather(state: &TypeRecords, max_ordinal: i32) -> Self {
        let kind = match state.schema {
            Schema::List(_) => Kind::List,
            Schema::Set(_) => Kind::Set,
            _ => Kind::Map,
        };
        let (mut max_element, mut max_value, mut max_size) = (0u64, 0u64, 0u64);
        let mut entries = Vec::new();
        let mut total_entries = 0u64;
        for ordinal in state.ordinals_in_either(max_ordinal) {
            let Some(bytes) = state.record_bytes(ordinal) else { continue };
            let size = collection_size(bytes) as u64;
            max_size = max_size.max(size);
            let n = match kind {
                Kind::List => {
                    max_element = list_elements(bytes).map(u64::from).fold(max_element, u64::max);
                    size
                }
                Kind::Set => {
                    max_element = set_elements(bytes).map(|(e, _)| e as u64).fold(max_element, u64::max);
                    buckets(size)
                }
                Kind::Map => {
                    for (k, v, _) in map_entries(bytes) {
                        max_element = max_element.max(k as u64);
                        max_value = max_value.max(v as u64);
                    }
                    buckets(size)
                }
            };
            entries.push((ordinal, n));
            total_entries += n;
        }
        let at_least_one = |v: u64| if v == 0 { 1 } else { bit_width(v) };
        let (element_bits, value_bits, size_bits) = match kind {
            // A list element has no null marker, so it needs no room for all ones.
            Kind::List => (at_least_one(max_element), 0, 0),
            // All ones marks an empty bucket.
            Kind::Set => (bit_width(max_element + 1), 0, bit_width(max_size)),
            Kind::Map => (bit_width(max_element + 1), at_least_one(max_value), bit_width(max_size)),
        };
        CollectionStats {
            kind,
            entries,
            total_entries,
            element_bits,
            value_bits,
            size_bits,
            forward: ShardTotals::default(),
            reverse: ShardTotals::default(),
        }
    }

    fn pointer_bits_for(&self, max_total: u64) -> u32 {
        match self.kind {
            Kind::List if max_total == 0 => 1,
            _ => bit_width(max_total),
        }
    }

    fn entry_bits(&self) -> u32 {
        self.element_bits + self.value_bits
    }

    /// Java's estimate of the type's size in bytes, which decides its shard count.
    pub fn projected_size(&self, max_ordinal: i32) -> i64 {
        let pointer_bits = self.pointer_bits_for(self.total_entries) as i64;
        let total = self.total_entries as i64;
        let max_ordinal = max_ordinal as i64;
        match self.kind {
            // Java's expression, precedence included: `(bits * maxOrdinal + 1) / 8`.
            Kind::List => (self.element_bits as i64 * total) / 8 + (pointer_bits * max_ordinal + 1) / 8,
            Kind::Set | Kind::Map => {
                (self.size_bits as i64 + pointer_bits) * (max_ordinal + 1) / 8 + (self.entry_bits() as i64 * total) / 8
            }
        }
    }

    /// Add per-shard totals and pointer widths for the forward and reverse layouts.
    pub fn lay_out(mut self, forward: &Layout, reverse: &Layout) -> Self {
        self.forward = self.totals(forward);
        self.reverse = self.totals(reverse);
        self
    }

    fn totals(&self, layout: &Layout) -> ShardTotals {
        let mut per_shard = vec![0u64; layout.num_shards as usize];
        for &(ordinal, n) in &self.entries {
            per_shard[layout.shard_of(ordinal)] += n;
        }
        let max_total = per_shard.iter().copied().max().unwrap_or(0);
        ShardTotals { pointer_bits: self.pointer_bits_for(max_total), per_shard }
    }

    fn fixed_bits(&self, totals: &ShardTotals) -> u32 {
        totals.pointer_bits + self.size_bits
    }

    fn write_shard_stats(&self, totals: &ShardTotals, shard: usize, out: &mut Vec<u8>) {
        varint::write_i32(out, totals.pointer_bits as i32);
        if self.kind != Kind::List {
            varint::write_i32(out, self.size_bits as i32);
        }
        varint::write_i32(out, self.element_bits as i32);
        if self.kind == Kind::Map {
            varint::write_i32(out, self.value_bits as i32);
        }
        varint::write_i64(out, totals.per_shard[shard] as i64);
    }

    /// Append one snapshot shard.
    pub fn write_snapshot_shard(
        &self,
        state: &TypeRecords,
        ds: &Dataset<'_>,
        hasher: Option<&KeyHasher>,
        p: &Prepared,
        shard: usize,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let layout = &p.forward;
        let totals = &self.forward;
        let max_local = layout.max_shard_ordinals[shard];
        varint::write_i32(out, max_local);
        self.write_shard_stats(totals, shard, out);
        let count = (max_local + 1) as u64;
        let mut data = ShardData::new(self, totals, count, totals.per_shard[shard]);
        for local in 0..count {
            let ordinal = (local * layout.num_shards as u64 + shard as u64) as u32;
            match state.record_bytes(ordinal).filter(|_| state.current.get(ordinal)) {
                Some(bytes) => data.add_record(self, ds, hasher, bytes, local)?,
                None => data.set_pointer(local),
            }
        }
        data.write(count, totals.per_shard[shard], out);
        Ok(())
    }

    /// Append the type-specific part of one delta shard: the added records, packed.
    #[allow(clippy::too_many_arguments)]
    pub fn write_delta_shard(
        &self,
        state: &TypeRecords,
        ds: &Dataset<'_>,
        hasher: Option<&KeyHasher>,
        direction: Direction,
        shard: usize,
        added: &[u32],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let totals = match direction {
            Direction::Forward => &self.forward,
            Direction::Reverse => &self.reverse,
        };
        self.write_shard_stats(totals, shard, out);
        let records: Vec<&[u8]> = added.iter().map(|&o| state.record_bytes(o).unwrap_or_default()).collect();
        let num_entries: u64 = records.iter().map(|b| self.entries_of(b)).sum();
        let mut data = ShardData::new(self, totals, added.len() as u64, num_entries);
        for (i, bytes) in records.iter().enumerate() {
            data.add_record(self, ds, hasher, bytes, i as u64)?;
        }
        data.write(added.len() as u64, num_entries, out);
        Ok(())
    }

    fn entries_of(&self, bytes: &[u8]) -> u64 {
        let size = collection_size(bytes) as u64;
        match self.kind {
            Kind::List => size,
            Kind::Set | Kind::Map => buckets(size),
        }
    }
}

fn buckets(size: u64) -> u64 {
    // Sizes come from records this engine accepted, which are within Hollow's table limit.
    u32::try_from(size).ok().and_then(hash_table_size).unwrap_or(1) as u64
}

/// Java's long count for `count` elements of `bits` each (which is 1, not 0, for `count > 0` elements
/// of width 0).
fn java_num_longs(count: u64, bits: u32) -> usize {
    if count == 0 {
        0
    } else {
        ((count as i64 * bits as i64 - 1) / 64 + 1) as usize
    }
}

/// The pointer array and entry array of one shard being built.
struct ShardData {
    fixed_bits: u32,
    pointer_bits: u32,
    size_bits: u32,
    element_bits: u32,
    value_bits: u32,
    fixed: BitArray,
    entries: BitArray,
    /// Entries written so far (list elements or buckets).
    next_entry: u64,
}

impl ShardData {
    fn new(stats: &CollectionStats, totals: &ShardTotals, num_records: u64, num_entries: u64) -> Self {
        let fixed_bits = stats.fixed_bits(totals);
        ShardData {
            fixed_bits,
            pointer_bits: totals.pointer_bits,
            size_bits: stats.size_bits,
            element_bits: stats.element_bits,
            value_bits: stats.value_bits,
            fixed: BitArray::zeroed_bits(fixed_bits as u64 * num_records),
            entries: BitArray::zeroed_bits(stats.entry_bits() as u64 * num_entries),
            next_entry: 0,
        }
    }

    fn entry_bits(&self) -> u32 {
        self.element_bits + self.value_bits
    }

    /// Record `slot`'s end pointer: everything written so far.
    fn set_pointer(&mut self, slot: u64) {
        self.fixed.set(slot * self.fixed_bits as u64, self.pointer_bits, self.next_entry);
    }

    fn add_record(
        &mut self,
        stats: &CollectionStats,
        ds: &Dataset<'_>,
        hasher: Option<&KeyHasher>,
        bytes: &[u8],
        slot: u64,
    ) -> Result<()> {
        match stats.kind {
            Kind::List => {
                for element in list_elements(bytes) {
                    self.entries.set(self.next_entry * self.element_bits as u64, self.element_bits, element as u64);
                    self.next_entry += 1;
                }
            }
            Kind::Set | Kind::Map => {
                let size = collection_size(bytes) as u64;
                self.fixed.set(slot * self.fixed_bits as u64 + self.pointer_bits as u64, self.size_bits, size);
                let num_buckets = buckets(size);
                let bucket_mask = num_buckets - 1;
                let entry_bits = self.entry_bits() as u64;
                let empty = bits::mask(self.element_bits);
                let first = self.next_entry;
                for b in 0..num_buckets {
                    self.entries.set((first + b) * entry_bits, self.element_bits, empty);
                }
                let mut place = |element: u32, default_bucket: u32, value: Option<u32>| -> Result<()> {
                    let mut bucket = match hasher {
                        Some(h) => h.record_hash(ds, element)? as u32 as u64 & bucket_mask,
                        None => default_bucket as u64 & bucket_mask,
                    };
                    while self.entries.get((first + bucket) * entry_bits, self.element_bits) != empty {
                        bucket = (bucket + 1) & bucket_mask;
                    }
                    let at = (first + bucket) * entry_bits;
                    self.entries.set(at, self.element_bits, element as u64);
                    if let Some(v) = value {
                        self.entries.set(at + self.element_bits as u64, self.value_bits, v as u64);
                    }
                    Ok(())
                };
                if stats.kind == Kind::Set {
                    for (element, bucket) in set_elements(bytes) {
                        place(element, bucket, None)?;
                    }
                } else {
                    for (key, value, bucket) in map_entries(bytes) {
                        place(key, bucket, Some(value))?;
                    }
                }
                self.next_entry += num_buckets;
            }
        }
        self.set_pointer(slot);
        Ok(())
    }

    fn write(&self, num_records: u64, num_entries: u64, out: &mut Vec<u8>) {
        for (array, count, bits) in
            [(&self.fixed, num_records, self.fixed_bits), (&self.entries, num_entries, self.entry_bits())]
        {
            let n = java_num_longs(count, bits);
            varint::write_usize(out, n);
            array.write_words(out, n);
        }
    }
}

//! The data of one LIST, SET or MAP shard: its snapshot and delta encodings, delta merging and
//! resharding. The three kinds share one layout:
//!
//! ```text
//! VarInt   maxShardOrdinal                     -1 for an empty shard
//! [delta:  removals, additions (gap lists)]
//! VarInt   bitsPerPointer
//! [SET, MAP: VarInt bitsPerSizeValue]
//! VarInt   bitsPerElement                      MAP: bitsPerKeyElement, then VarInt bitsPerValueElement
//! VarLong  total elements (LIST) or buckets (SET, MAP) of the shard
//! VarLong n ; n × i64 BE    per record: [end pointer : bitsPerPointer][size : bitsPerSizeValue]
//! VarLong n ; n × i64 BE    elements / buckets; a MAP bucket is [key][value], key in the low bits
//! ```
//!
//! A record's elements (LIST) or hash buckets (SET, MAP) run from the previous record's end pointer (0
//! for the first record) to its own. A SET or MAP bucket whose element (key) is all ones is empty; SETs
//! and MAPs also store their size, since a table has more buckets than entries.
//!
//! Parsing checks that the record data holds every record, that pointers never go backwards and that
//! the last one stays inside the element data, so accessors never read outside it.

use std::sync::Arc;

use super::shard_arrays::ShardArrays;
use super::sharding::{
    merge_steps, read_max_ordinal, records_fit, reshard_ordinal_lists, resharded_max_ordinals, DeltaOrdinals,
    MergeStep, Sharding,
};
use crate::encoding::bits::{bits_needed, mask};
use crate::encoding::{BitArray, ByteReader};
use crate::error::{Error, Result};
use crate::memory::SharedBytes;

/// Which of the three collection kinds a shard holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CollectionKind {
    List,
    Set,
    Map,
}

impl CollectionKind {
    /// SETs and MAPs store a size and mark empty buckets with an all-ones element (key).
    fn is_hashed(self) -> bool {
        self != CollectionKind::List
    }
}

/// Bit widths of a collection shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CollectionWidths {
    pub(crate) pointer: u32,
    /// 0 for lists.
    pub(crate) size: u32,
    /// The element of a LIST or SET, the key of a MAP.
    pub(crate) element: u32,
    /// The value of a MAP; 0 otherwise.
    pub(crate) value: u32,
}

impl CollectionWidths {
    fn read(r: &mut ByteReader<'_>, kind: CollectionKind) -> Result<Self> {
        let mut width = |what: &str, max: i32| -> Result<u32> {
            let at = r.position();
            let b = r.varint(what)?;
            if !(0..=max).contains(&b) {
                return Err(Error::corrupt(format!("{what}: {b} is not a width up to {max}"), at));
            }
            Ok(b as u32)
        };
        let pointer = width("bits per pointer", 64)?;
        let size = if kind.is_hashed() { width("bits per size", 32)? } else { 0 };
        let element = width("bits per element", 32)?;
        let value = if kind == CollectionKind::Map { width("bits per value", 32)? } else { 0 };
        Ok(CollectionWidths { pointer, size, element, value })
    }

    #[inline]
    pub(crate) fn record(&self) -> u64 {
        (self.pointer + self.size) as u64
    }

    #[inline]
    pub(crate) fn entry(&self) -> u32 {
        self.element + self.value
    }
}

/// The records of one shard, or the added records of one delta shard.
#[derive(Debug, Clone)]
pub(crate) struct CollectionShardData {
    pub(crate) max_ordinal: i32,
    pub(crate) widths: CollectionWidths,
    records: BitArray,
    elements: BitArray,
}

/// One shard of a LIST, SET or MAP type, with the removals of the last delta that touched it.
#[derive(Debug, Clone)]
pub(crate) struct CollectionShard {
    pub(crate) data: Arc<CollectionShardData>,
    pub(crate) pending_removals: Arc<[u32]>,
}

/// One shard of a LIST, SET or MAP delta.
#[derive(Debug)]
pub(crate) struct CollectionDeltaShard {
    pub(crate) ordinals: DeltaOrdinals,
    pub(crate) data: CollectionShardData,
    at: u64,
}

impl ShardArrays for CollectionShardData {
    fn for_each_storage(&self, f: &mut dyn FnMut(&SharedBytes)) {
        f(self.records.storage());
        f(self.elements.storage());
    }

    fn for_each_storage_mut(&mut self, f: &mut dyn FnMut(&mut SharedBytes)) {
        f(self.records.storage_mut());
        f(self.elements.storage_mut());
    }
}

impl CollectionShardData {
    /// True when the shard's records are read in place from a file mapping.
    pub(crate) fn is_mapped(&self) -> bool {
        self.records.is_mapped()
    }

    /// Bytes of memory held by this shard's data.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.records.heap_bytes() + self.elements.heap_bytes()
    }

    /// Read a snapshot shard.
    pub(crate) fn read_snapshot(r: &mut ByteReader<'_>, kind: CollectionKind) -> Result<Self> {
        let at = r.position();
        let max_ordinal = read_max_ordinal(r, "shard max ordinal")?;
        let data = Self::read_body(r, kind, max_ordinal)?;
        data.validate((max_ordinal + 1) as u64).map_err(|m| Error::corrupt(m, at))?;
        Ok(data)
    }

    fn read_body(r: &mut ByteReader<'_>, kind: CollectionKind, max_ordinal: i32) -> Result<Self> {
        let widths = CollectionWidths::read(r, kind)?;
        r.varlong_count("total elements")?;
        let records = BitArray::read_from(r, "record pointers")?;
        let elements = BitArray::read_from(r, "elements")?;
        Ok(CollectionShardData { max_ordinal, widths, records, elements })
    }

    fn validate(&self, num_records: u64) -> std::result::Result<(), String> {
        if !records_fit(num_records, self.widths.record(), self.records.num_bits()) {
            return Err(format!(
                "record data of {} bits cannot hold {num_records} records of {} bits",
                self.records.num_bits(),
                self.widths.record()
            ));
        }
        let mut previous_end = 0;
        for rec in 0..num_records {
            let end = self.end(rec);
            if end < previous_end {
                return Err(format!("record {rec} ends at element {end}, before its start {previous_end}"));
            }
            previous_end = end;
        }
        let capacity = self.elements.num_bits() / (self.widths.entry().max(1) as u64);
        if previous_end > capacity {
            return Err(format!("records end at element {previous_end} but the element data holds {capacity}"));
        }
        Ok(())
    }

    /// End (exclusive) of a record's elements or buckets.
    #[inline]
    pub(crate) fn end(&self, record: u64) -> u64 {
        self.records.get(record * self.widths.record(), self.widths.pointer)
    }

    /// Start of a record's elements or buckets: the previous record's end.
    #[inline]
    pub(crate) fn start(&self, record: u64) -> u64 {
        if record == 0 {
            0
        } else {
            self.end(record - 1)
        }
    }

    /// The stored size of a SET or MAP record.
    #[inline]
    pub(crate) fn stored_size(&self, record: u64) -> u64 {
        self.records.get(record * self.widths.record() + self.widths.pointer as u64, self.widths.size)
    }

    /// The element (LIST, SET) or key (MAP) at absolute index `index`.
    #[inline]
    pub(crate) fn element(&self, index: u64) -> u64 {
        self.elements.get(index * self.widths.entry() as u64, self.widths.element)
    }

    /// The value of the MAP bucket at absolute index `index`.
    #[inline]
    pub(crate) fn value(&self, index: u64) -> u64 {
        self.elements.get(index * self.widths.entry() as u64 + self.widths.element as u64, self.widths.value)
    }

    /// The element value of an empty SET bucket (key of an empty MAP bucket).
    #[inline]
    pub(crate) fn empty_bucket(&self) -> u64 {
        mask(self.widths.element)
    }
}

/// Skip one shard of a snapshot or delta.
pub(crate) fn discard_shard(r: &mut ByteReader<'_>, kind: CollectionKind, delta: bool) -> Result<()> {
    read_max_ordinal(r, "shard max ordinal")?;
    if delta {
        DeltaOrdinals::read(r)?;
    }
    CollectionWidths::read(r, kind)?;
    r.varlong_count("total elements")?;
    for what in ["record pointers", "elements"] {
        let n = r.varlong_count(what)?;
        r.skip(n.checked_mul(8).ok_or_else(|| r.error(format!("{what}: length overflows")))?, what)?;
    }
    Ok(())
}

impl CollectionDeltaShard {
    pub(crate) fn read(r: &mut ByteReader<'_>, kind: CollectionKind) -> Result<Self> {
        let at = r.position();
        let max_ordinal = read_max_ordinal(r, "shard max ordinal")?;
        let ordinals = DeltaOrdinals::read(r)?;
        let data = CollectionShardData::read_body(r, kind, max_ordinal)?;
        data.validate(ordinals.additions.len() as u64).map_err(|m| Error::corrupt(m, at))?;
        Ok(CollectionDeltaShard { ordinals, data, at })
    }
}

/// Builds a shard's records one at a time, in ordinal order.
struct RecordWriter {
    kind: CollectionKind,
    widths: CollectionWidths,
    records: BitArray,
    elements: BitArray,
    /// Elements written so far.
    next_element: u64,
}

impl RecordWriter {
    fn new(kind: CollectionKind, widths: CollectionWidths, num_records: u64, max_elements: u64) -> Self {
        RecordWriter {
            kind,
            widths,
            records: BitArray::zeroed_bits(num_records * widths.record()),
            elements: BitArray::zeroed_bits(max_elements * widths.entry() as u64),
            next_element: 0,
        }
    }

    /// End record `record` at the current element, with `size` (SET, MAP).
    fn close_record(&mut self, record: u64, size: u64) -> std::result::Result<(), String> {
        if self.next_element > mask(self.widths.pointer) || size > mask(self.widths.size) {
            return Err(format!("record {record}: pointer {} or size {size} does not fit", self.next_element));
        }
        let at = record * self.widths.record();
        self.records.set(at, self.widths.pointer, self.next_element);
        self.records.set(at + self.widths.pointer as u64, self.widths.size, size);
        Ok(())
    }

    /// Copy record `src_record` of `src` as record `record`.
    fn copy_record(
        &mut self,
        record: u64,
        src: &CollectionShardData,
        src_record: u64,
    ) -> std::result::Result<(), String> {
        let (start, end) = (src.start(src_record), src.end(src_record));
        let count = end - start;
        if self.next_element + count > self.elements.num_bits() / self.widths.entry().max(1) as u64 {
            return Err(format!("record {record}: more elements than the shard was sized for"));
        }
        if src.widths.element == self.widths.element && src.widths.value == self.widths.value {
            let w = self.widths.entry() as u64;
            self.elements.copy_bits(&src.elements, start * w, self.next_element * w, count * w);
            self.next_element += count;
        } else {
            for index in start..end {
                let mut key = src.element(index);
                let value = src.value(index);
                if self.kind.is_hashed() && key == src.empty_bucket() {
                    key = mask(self.widths.element);
                }
                if key > mask(self.widths.element) || value > mask(self.widths.value) {
                    return Err(format!("record {record}: element {key} / {value} does not fit its width"));
                }
                let at = self.next_element * self.widths.entry() as u64;
                self.elements.set(at, self.widths.element, key);
                self.elements.set(at + self.widths.element as u64, self.widths.value, value);
                self.next_element += 1;
            }
        }
        let size = if self.kind.is_hashed() { src.stored_size(src_record) } else { 0 };
        self.close_record(record, size)
    }

    /// Copy `count` records starting at `first` from `src`, which has exactly this writer's widths, to
    /// the same ordinals: record data and elements in bulk, then pointers moved by how far the elements
    /// moved.
    fn copy_run(&mut self, src: &CollectionShardData, first: u64, count: u64) -> std::result::Result<(), String> {
        let (start, end) = (src.start(first), src.end(first + count - 1));
        let rw = self.widths.record();
        let ew = self.widths.entry() as u64;
        if self.next_element + (end - start) > self.elements.num_bits() / ew.max(1) {
            return Err(format!("record {first}: more elements than the shard was sized for"));
        }
        self.records.copy_bits(&src.records, first * rw, first * rw, count * rw);
        self.elements.copy_bits(&src.elements, start * ew, self.next_element * ew, (end - start) * ew);
        let write_start = self.next_element;
        self.next_element += end - start;
        if self.next_element > mask(self.widths.pointer) {
            return Err(format!("record {first}: pointer {} does not fit", self.next_element));
        }
        if write_start != start {
            for rec in first..first + count {
                let at = rec * rw;
                let moved = self.records.get(at, self.widths.pointer) - start + write_start;
                self.records.set(at, self.widths.pointer, moved);
            }
        }
        Ok(())
    }

    fn finish(self, max_ordinal: i32) -> CollectionShardData {
        CollectionShardData { max_ordinal, widths: self.widths, records: self.records, elements: self.elements }
    }
}

/// Apply one delta shard to one shard of the state, Java's way: the removals pending from the previous
/// delta are dropped now (those records become empty), the delta's own removals become pending, added
/// records are copied from the delta. The result takes the delta's widths.
pub(crate) fn apply_delta(
    kind: CollectionKind,
    from: &CollectionShard,
    delta: CollectionDeltaShard,
) -> Result<CollectionShard> {
    let CollectionDeltaShard { ordinals, data: added, at } = delta;
    let old = &*from.data;
    let widths = added.widths;
    if ordinals.additions.is_empty()
        && from.pending_removals.is_empty()
        && added.max_ordinal == old.max_ordinal
        && widths == old.widths
    {
        return Ok(CollectionShard { data: from.data.clone(), pending_removals: ordinals.removals.into() });
    }
    let max_ordinal = added.max_ordinal;
    let num_records = (max_ordinal + 1) as u64;
    let old_records = (old.max_ordinal + 1) as u64;
    let old_total = if old_records > 0 { old.end(old_records - 1) } else { 0 };
    let added_count = ordinals.additions.len() as u64;
    let added_total = if added_count > 0 { added.end(added_count - 1) } else { 0 };
    let mut w = RecordWriter::new(kind, widths, num_records, old_total + added_total);
    let same_widths = widths == old.widths;
    let result =
        merge_steps(num_records, old_records, same_widths, &ordinals.additions, &from.pending_removals, |step| {
            match step {
                MergeStep::Run { first, count } => w.copy_run(old, first, count),
                MergeStep::Added { ordinal, index } => w.copy_record(ordinal, &added, index),
                MergeStep::Kept(ordinal) => w.copy_record(ordinal, old, ordinal),
                // A removed record, or one that never was, is empty.
                MergeStep::Dropped(ordinal) | MergeStep::Hole(ordinal) => w.close_record(ordinal, 0),
            }
        });
    result.map_err(|m| Error::corrupt(m, at))?;
    Ok(CollectionShard { data: Arc::new(w.finish(max_ordinal)), pending_removals: ordinals.removals.into() })
}

/// Redistribute a type's records over `new` shards. Every record keeps its type-wide ordinal, its
/// elements (buckets in the same order) and its pending removal.
pub(crate) fn reshard(
    kind: CollectionKind,
    old: Sharding,
    shards: &[CollectionShard],
    new: Sharding,
) -> Vec<CollectionShard> {
    let maxes: Vec<i32> = shards.iter().map(|s| s.data.max_ordinal).collect();
    let new_maxes = resharded_max_ordinals(old, &maxes, new);
    let removal_lists: Vec<&[u32]> = shards.iter().map(|s| &*s.pending_removals).collect();
    let new_removals = reshard_ordinal_lists(old, &removal_lists, new);
    let mut totals = vec![0u64; new.num_shards() as usize];
    for (s, shard) in shards.iter().enumerate() {
        let d = &shard.data;
        for rec in 0..(d.max_ordinal + 1) as u64 {
            let g = old.global(s, rec as u32) as u32;
            totals[new.shard(g)] += d.end(rec) - d.start(rec);
        }
    }
    let widest = |f: fn(&CollectionWidths) -> u32| shards.iter().map(|s| f(&s.data.widths)).max().unwrap_or(0);
    let (size, element, value) = (widest(|w| w.size), widest(|w| w.element), widest(|w| w.value));
    new_maxes
        .iter()
        .zip(new_removals)
        .enumerate()
        .map(|(j, (&max, removals))| {
            let widths = CollectionWidths { pointer: bits_needed(totals[j]).max(1), size, element, value };
            let mut w = RecordWriter::new(kind, widths, (max + 1) as u64, totals[j]);
            for local in 0..(max + 1) as u64 {
                let g = new.global(j, local as u32) as u32;
                let src = &shards[old.shard(g)].data;
                let src_rec = old.local(g);
                // The widths and sizes above hold every record, so these writes cannot fail.
                let written = if src_rec as i64 <= src.max_ordinal as i64 {
                    w.copy_record(local, src, src_rec as u64)
                } else {
                    w.close_record(local, 0)
                };
                debug_assert!(written.is_ok(), "{written:?}");
            }
            CollectionShard { data: Arc::new(w.finish(max)), pending_removals: removals.into() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(v: u64) -> [u8; 8] {
        v.to_be_bytes()
    }

    /// A SET shard of one record {5} in 8 buckets of 8 bits: its bucket data is exactly one word, so the
    /// last bucket ends on the word boundary.
    fn one_set_in_a_full_word() -> CollectionShard {
        let mut bytes = vec![0x00, 0x04, 0x02, 0x08, 0x08, 0x01];
        bytes.extend(word(8 | 1 << 4)); // end pointer 8, size 1
        bytes.push(0x01);
        bytes.extend(word(0xFFFF_FFFF_FFFF_FF05)); // bucket 0 holds 5, the rest are empty
        let data = CollectionShardData::read_snapshot(&mut ByteReader::new(&bytes), CollectionKind::Set).unwrap();
        CollectionShard { data: Arc::new(data), pending_removals: Arc::from([]) }
    }

    fn buckets(d: &CollectionShardData, record: u64) -> Vec<u64> {
        (d.start(record)..d.end(record)).map(|i| d.element(i)).collect()
    }

    /// The resharding bug: copying a SET record whose buckets end exactly at a word boundary into a
    /// shard of wider elements read its (zero-width) value past the bucket data and panicked.
    #[test]
    fn widening_a_set_whose_buckets_end_on_a_word_boundary() {
        let from = one_set_in_a_full_word();
        // Delta: the shard grows to ordinal 1, which is added as {7} in 2 buckets; elements now take 9 bits.
        let mut bytes = vec![0x01, 0x00, 0x01, 0x01, 0x04, 0x02, 0x09, 0x02, 0x01];
        bytes.extend(word(2 | 1 << 4));
        bytes.push(0x01);
        bytes.extend(word(7 | 0x1FF << 9));
        let delta = CollectionDeltaShard::read(&mut ByteReader::new(&bytes), CollectionKind::Set).unwrap();
        let next = apply_delta(CollectionKind::Set, &from, delta).unwrap();
        let d = &*next.data;
        assert_eq!(d.widths.element, 9);
        let mut expected = vec![0x1FF; 8];
        expected[0] = 5;
        assert_eq!(buckets(d, 0), expected, "empty buckets take the new width's all-ones");
        assert_eq!(buckets(d, 1), [7, 0x1FF]);
        assert_eq!((d.stored_size(0), d.stored_size(1)), (1, 1));
    }

    /// Splitting that shard over two shards and joining it back keeps the record's buckets.
    #[test]
    fn resharding_a_set_whose_buckets_end_on_a_word_boundary() {
        let from = one_set_in_a_full_word();
        let split = reshard(CollectionKind::Set, Sharding::new(1), &[from], Sharding::new(4));
        assert_eq!(split.iter().map(|s| s.data.max_ordinal).collect::<Vec<_>>(), [0, -1, -1, -1]);
        let joined = reshard(CollectionKind::Set, Sharding::new(4), &split, Sharding::new(1));
        let mut expected = vec![0xFF; 8];
        expected[0] = 5;
        assert_eq!(buckets(&joined[0].data, 0), expected);
    }
}

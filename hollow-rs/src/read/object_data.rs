//! The data of one OBJECT shard: its snapshot and delta encodings, delta merging and resharding.
//!
//! ```text
//! VarInt   maxShardOrdinal                      -1 for an empty shard
//! [delta:  removals, additions (gap lists)]
//! numFields × VarInt bitsPerField              in the blob schema's field order, each <= 64
//! VarLong  numLongs ; numLongs × i64 BE         fixed-length records, bitsPerRecord = sum of the widths;
//!                                               snapshot: records 0..=maxShardOrdinal; delta: the added
//!                                               records only, in ordinal order
//! numFields × { VarLong n ; n bytes }           per-field variable-length heap (STRING / BYTES)
//! ```
//!
//! A STRING or BYTES field stores the **end** offset of its value in the field's heap; the start is the
//! previous record's end (0 for the first record). Its top bit marks null, and a null keeps the previous
//! end in its low bits so that offsets never go backwards. Other fields store their value directly; the
//! all-ones value of the field's width is null (FLOAT and DOUBLE use the sentinels
//! `0x7FC00001` / `0x7FF8000000000001` instead, see `object`).
//!
//! Parsing checks everything the accessors later rely on: widths, that the fixed data holds every
//! record, and that heap offsets never go backwards nor past the heap. Accessors therefore never see an
//! offset outside the data.

use std::sync::Arc;

use super::shard_arrays::ShardArrays;
use super::sharding::{
    merge_steps, read_max_ordinal, records_fit, reshard_ordinal_lists, resharded_max_ordinals, DeltaOrdinals,
    MergeStep, Sharding,
};
use crate::encoding::bits::{bits_needed, mask};
use crate::encoding::{BitArray, ByteReader};
use crate::error::{Error, Result};
use crate::memory::{ByteBuilder, SharedBytes};
use crate::schema::FieldType;

/// Bit widths of a record's fields and where each field starts inside the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldWidths {
    pub(crate) bits: Box<[u32]>,
    pub(crate) offsets: Box<[u64]>,
    pub(crate) bits_per_record: u64,
}

impl FieldWidths {
    pub(crate) fn new(bits: Vec<u32>) -> Self {
        let mut offsets = Vec::with_capacity(bits.len());
        let mut total = 0u64;
        for &b in &bits {
            offsets.push(total);
            total += b as u64;
        }
        FieldWidths { bits: bits.into(), offsets: offsets.into(), bits_per_record: total }
    }

    /// Read one VarInt width per field and check each fits its field type.
    fn read(r: &mut ByteReader<'_>, types: &[FieldType]) -> Result<Self> {
        let mut bits = Vec::with_capacity(types.len());
        for t in types {
            let at = r.position();
            let b = r.varint("bits per field")?;
            if !(0..=64).contains(&b) || (t.is_variable_length() && b == 0) {
                return Err(Error::corrupt(format!("bits per field: {b} is not a valid width for a {t:?} field"), at));
            }
            bits.push(b as u32);
        }
        Ok(Self::new(bits))
    }
}

/// The records of one shard, or the added records of one delta shard.
#[derive(Debug, Clone)]
pub(crate) struct ObjectShardData {
    /// Largest local ordinal with data; -1 when empty.
    pub(crate) max_ordinal: i32,
    pub(crate) widths: FieldWidths,
    pub(crate) fixed: BitArray,
    /// One heap per field; empty for fields that are not STRING or BYTES.
    pub(crate) heaps: Box<[SharedBytes]>,
}

/// One shard of an OBJECT type: its records, and the removals of the last delta that touched it
/// (applied by the next one: until then the removed records stay readable as ghosts).
#[derive(Debug, Clone)]
pub(crate) struct ObjectShard {
    pub(crate) data: Arc<ObjectShardData>,
    pub(crate) pending_removals: Arc<[u32]>,
}

/// One shard of an OBJECT delta.
#[derive(Debug)]
pub(crate) struct ObjectDeltaShard {
    pub(crate) ordinals: DeltaOrdinals,
    /// `max_ordinal` is the shard's new largest ordinal; the records are the additions, in order.
    pub(crate) data: ObjectShardData,
    /// Where the shard starts in the blob, for errors found while merging.
    pub(crate) at: u64,
}

impl ShardArrays for ObjectShardData {
    fn for_each_storage(&self, f: &mut dyn FnMut(&SharedBytes)) {
        f(self.fixed.storage());
        self.heaps.iter().for_each(f);
    }

    fn for_each_storage_mut(&mut self, f: &mut dyn FnMut(&mut SharedBytes)) {
        f(self.fixed.storage_mut());
        self.heaps.iter_mut().for_each(f);
    }
}

impl ObjectShardData {
    /// Bytes of memory held by this shard's data.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.fixed.heap_bytes() + self.heaps.iter().map(SharedBytes::heap_bytes).sum::<usize>()
    }

    /// Read a snapshot shard written with `types` (the blob schema's field types).
    pub(crate) fn read_snapshot(r: &mut ByteReader<'_>, types: &[FieldType]) -> Result<Self> {
        let at = r.position();
        let max_ordinal = read_max_ordinal(r, "shard max ordinal")?;
        let data = Self::read_body(r, types, max_ordinal)?;
        data.validate((max_ordinal + 1) as u64, types).map_err(|m| Error::corrupt(m, at))?;
        Ok(data)
    }

    fn read_body(r: &mut ByteReader<'_>, types: &[FieldType], max_ordinal: i32) -> Result<Self> {
        let widths = FieldWidths::read(r, types)?;
        let fixed = BitArray::read_from(r, "fixed-length data")?;
        let mut heaps = Vec::with_capacity(types.len());
        for t in types {
            let n = r.varlong_count("variable-length data length")?;
            let n = r.check_len(n, 1, "variable-length data")?;
            let heap = if !t.is_variable_length() {
                r.bytes(n, "variable-length data")?;
                SharedBytes::default()
            } else if let Some(in_place) = r.in_place(n, 0, "variable-length data")? {
                in_place
            } else {
                SharedBytes::from_vec(r.bytes(n, "variable-length data")?.to_vec())
            };
            heaps.push(heap);
        }
        Ok(ObjectShardData { max_ordinal, widths, fixed, heaps: heaps.into() })
    }

    /// Check that `num_records` records fit the fixed data and that every heap offset is in order and
    /// inside its heap.
    fn validate(&self, num_records: u64, types: &[FieldType]) -> std::result::Result<(), String> {
        // Java gives every field at least one bit as soon as the type has a record (see `records_fit`
        // for why it matters).
        if self.max_ordinal >= 0 {
            if let Some(f) = self.widths.bits.iter().position(|&b| b == 0) {
                return Err(format!("field {f} has width 0 in a shard that has records"));
            }
        }
        if !records_fit(num_records, self.widths.bits_per_record, self.fixed.num_bits()) {
            return Err(format!(
                "fixed-length data of {} bits cannot hold {num_records} records of {} bits",
                self.fixed.num_bits(),
                self.widths.bits_per_record
            ));
        }
        for (f, t) in types.iter().enumerate() {
            if !t.is_variable_length() {
                continue;
            }
            let heap_len = self.heaps[f].len() as u64;
            let mut previous_end = 0;
            for rec in 0..num_records {
                let end = self.var_end(rec, f);
                if end < previous_end || end > heap_len {
                    return Err(format!(
                        "field {f}: record {rec} ends at byte {end}, outside {previous_end}..={heap_len}"
                    ));
                }
                previous_end = end;
            }
        }
        Ok(())
    }

    #[inline]
    pub(crate) fn bit_offset(&self, record: u64, field: usize) -> u64 {
        record * self.widths.bits_per_record + self.widths.offsets[field]
    }

    /// Start loading the cache line of a field of `record` (a hint; see [`crate::memory::prefetch`]).
    #[inline]
    pub(crate) fn prefetch(&self, record: u64, field: usize) {
        self.fixed.prefetch(self.bit_offset(record, field));
    }

    /// The stored bits of a field.
    #[inline]
    pub(crate) fn value(&self, record: u64, field: usize) -> u64 {
        self.fixed.get(self.bit_offset(record, field), self.widths.bits[field])
    }

    /// True when the STRING/BYTES field of `record` is null.
    #[inline]
    pub(crate) fn var_is_null(&self, record: u64, field: usize) -> bool {
        let w = self.widths.bits[field];
        (self.value(record, field) >> (w - 1)) & 1 == 1
    }

    /// End offset of the STRING/BYTES field of `record` in its heap (null bit removed).
    #[inline]
    pub(crate) fn var_end(&self, record: u64, field: usize) -> u64 {
        self.value(record, field) & mask(self.widths.bits[field] - 1)
    }

    /// Start offset of the STRING/BYTES field of `record`: the previous record's end.
    #[inline]
    pub(crate) fn var_start(&self, record: u64, field: usize) -> u64 {
        if record == 0 {
            0
        } else {
            self.var_end(record - 1, field)
        }
    }

    /// The bytes of a non-null STRING/BYTES field.
    #[inline]
    pub(crate) fn var_bytes(&self, record: u64, field: usize) -> Option<&[u8]> {
        // The hot path of every string read: one read of the stored end (null bit included) and
        // one of the previous record's end, rather than one per helper.
        let w = self.widths.bits[field];
        let at = self.bit_offset(record, field);
        let stored = self.fixed.get(at, w);
        if (stored >> (w - 1)) & 1 == 1 {
            return None;
        }
        let offset_mask = mask(w - 1);
        let start = match record {
            0 => 0,
            _ => self.fixed.get(at - self.widths.bits_per_record, w) & offset_mask,
        };
        self.heaps[field].get(start as usize..(stored & offset_mask) as usize)
    }
}

/// Skip one shard of a snapshot (`delta == false`) or delta written with `types`.
pub(crate) fn discard_shard(r: &mut ByteReader<'_>, types: &[FieldType], delta: bool) -> Result<()> {
    read_max_ordinal(r, "shard max ordinal")?;
    if delta {
        DeltaOrdinals::read(r)?;
    }
    FieldWidths::read(r, types)?;
    let n = r.varlong_count("fixed-length data length")?;
    r.skip(n.checked_mul(8).ok_or_else(|| r.error("fixed-length data length overflows"))?, "fixed-length data")?;
    for _ in types {
        let n = r.varlong_count("variable-length data length")?;
        r.skip(n, "variable-length data")?;
    }
    Ok(())
}

impl ObjectDeltaShard {
    /// Read one delta shard written with `types` (the delta schema's field types).
    pub(crate) fn read(r: &mut ByteReader<'_>, types: &[FieldType]) -> Result<Self> {
        let at = r.position();
        let max_ordinal = read_max_ordinal(r, "shard max ordinal")?;
        let ordinals = DeltaOrdinals::read(r)?;
        let data = ObjectShardData::read_body(r, types, max_ordinal)?;
        data.validate(ordinals.additions.len() as u64, types).map_err(|m| Error::corrupt(m, at))?;
        Ok(ObjectDeltaShard { ordinals, data, at })
    }
}

/// Builds a shard's records one at a time, in ordinal order.
struct RecordWriter<'t> {
    types: &'t [FieldType],
    widths: FieldWidths,
    fixed: BitArray,
    heaps: Vec<ByteBuilder>,
}

impl<'t> RecordWriter<'t> {
    /// A writer for `num_records` records. Their bits start undefined (recycled memory is not
    /// cleared first): every step writes every field of its record, holes and dropped records
    /// included, and [`Self::finish`] clears what follows the last record.
    fn new(types: &'t [FieldType], widths: FieldWidths, num_records: u64, heap_capacity: &[usize]) -> Self {
        let fixed = BitArray::for_overwrite_bits(num_records * widths.bits_per_record);
        let heaps = types
            .iter()
            .zip(heap_capacity)
            .map(|(t, &c)| ByteBuilder::with_capacity(if t.is_variable_length() { c } else { 0 }))
            .collect();
        RecordWriter { types, widths, fixed, heaps }
    }

    fn offset(&self, record: u64, field: usize) -> u64 {
        record * self.widths.bits_per_record + self.widths.offsets[field]
    }

    /// Store a heap end offset (plus the null bit when `null`), checking it fits the field's width.
    fn write_var_end(&mut self, record: u64, field: usize, null: bool) -> std::result::Result<(), String> {
        let w = self.widths.bits[field];
        let end = self.heaps[field].len() as u64;
        if end > mask(w - 1) {
            return Err(format!("field {field}: {end} bytes of data do not fit a {w}-bit offset"));
        }
        let null_bit = if null { 1u64 << (w - 1) } else { 0 };
        let at = self.offset(record, field);
        self.fixed.set(at, w, end | null_bit);
        Ok(())
    }

    /// Write null into a field.
    fn write_null(&mut self, record: u64, field: usize) -> std::result::Result<(), String> {
        if self.types[field].is_variable_length() {
            self.write_var_end(record, field, true)
        } else {
            let w = self.widths.bits[field];
            let at = self.offset(record, field);
            self.fixed.set(at, w, mask(w));
            Ok(())
        }
    }

    /// Write the value of field `src_field` of record `src_record` in `src` into `field` of `record`.
    fn copy_field(
        &mut self,
        record: u64,
        field: usize,
        src: &ObjectShardData,
        src_record: u64,
        src_field: usize,
    ) -> std::result::Result<(), String> {
        if self.types[field].is_variable_length() {
            match src.var_bytes(src_record, src_field) {
                None => self.write_var_end(record, field, true),
                Some(bytes) => {
                    self.heaps[field].extend_from_slice(bytes);
                    self.write_var_end(record, field, false)
                }
            }
        } else {
            let v = src.value(src_record, src_field);
            if v == mask(src.widths.bits[src_field]) {
                return self.write_null(record, field);
            }
            let w = self.widths.bits[field];
            if v > mask(w) {
                return Err(format!("field {field}: value {v:#x} does not fit {w} bits"));
            }
            let at = self.offset(record, field);
            self.fixed.set(at, w, v);
            Ok(())
        }
    }

    /// A record whose data is dropped: fixed fields zero, STRING/BYTES empty (null stays null).
    fn write_dropped(
        &mut self,
        record: u64,
        src: &ObjectShardData,
        src_record: u64,
    ) -> std::result::Result<(), String> {
        for f in 0..self.types.len() {
            if self.types[f].is_variable_length() {
                let null = src.var_is_null(src_record, f);
                self.write_var_end(record, f, null)?;
            } else {
                self.write_zero(record, f);
            }
        }
        Ok(())
    }

    /// A record that never had data: fixed fields zero, STRING/BYTES null.
    fn write_hole(&mut self, record: u64) -> std::result::Result<(), String> {
        for f in 0..self.types.len() {
            if self.types[f].is_variable_length() {
                self.write_var_end(record, f, true)?;
            } else {
                self.write_zero(record, f);
            }
        }
        Ok(())
    }

    /// Zero a fixed field (the writer's bits are not cleared in advance).
    fn write_zero(&mut self, record: u64, field: usize) {
        let at = self.offset(record, field);
        self.fixed.set(at, self.widths.bits[field], 0);
    }

    /// Copy `count` records starting at `first` from `src`, which has exactly this writer's widths,
    /// to the same ordinals: fixed data in one bulk copy, heaps in one copy per field, then the heap
    /// offsets of the copied records moved by how far their bytes moved.
    fn copy_run(&mut self, src: &ObjectShardData, first: u64, count: u64) -> std::result::Result<(), String> {
        let bpr = self.widths.bits_per_record;
        self.fixed.copy_bits(&src.fixed, first * bpr, first * bpr, count * bpr);
        for f in 0..self.types.len() {
            if !self.types[f].is_variable_length() {
                continue;
            }
            let w = self.widths.bits[f];
            let (start, end) = (src.var_start(first, f), src.var_end(first + count - 1, f));
            let write_start = self.heaps[f].len() as u64;
            self.heaps[f].extend_from_slice(&src.heaps[f][start as usize..end as usize]);
            if self.heaps[f].len() as u64 > mask(w - 1) {
                return Err(format!("field {f}: data does not fit a {w}-bit offset"));
            }
            if write_start != start {
                let null_bit = 1u64 << (w - 1);
                for rec in first..first + count {
                    let at = self.offset(rec, f);
                    let v = self.fixed.get(at, w);
                    let moved = (v & !null_bit) - start + write_start;
                    self.fixed.set(at, w, moved | (v & null_bit));
                }
            }
        }
        Ok(())
    }

    fn finish(mut self, max_ordinal: i32) -> ObjectShardData {
        self.fixed.clear_from((max_ordinal + 1) as u64 * self.widths.bits_per_record);
        ObjectShardData {
            max_ordinal,
            widths: self.widths,
            fixed: self.fixed,
            heaps: self.heaps.into_iter().map(ByteBuilder::finish).collect(),
        }
    }
}

/// Apply one delta shard to one shard of the state, Java's way: the removals pending from the previous
/// delta are dropped now, the delta's own removals become pending, added records are copied from the
/// delta. `mapping[f]` is the delta field holding target field `f` (fields are matched by name and
/// type); a field the delta lacks keeps its width and is null in added records.
pub(crate) fn apply_delta(
    types: &[FieldType],
    from: &ObjectShard,
    delta: ObjectDeltaShard,
    mapping: &[Option<usize>],
) -> Result<ObjectShard> {
    let ObjectDeltaShard { ordinals, data: added, at } = delta;
    let old = &*from.data;
    let widths = FieldWidths::new(
        mapping.iter().enumerate().map(|(f, m)| m.map_or(old.widths.bits[f], |d| added.widths.bits[d])).collect(),
    );
    // Nothing added, nothing pending and nothing resized: the records stay as they are.
    if ordinals.additions.is_empty()
        && from.pending_removals.is_empty()
        && added.max_ordinal == old.max_ordinal
        && widths == old.widths
    {
        return Ok(ObjectShard { data: from.data.clone(), pending_removals: ordinals.removals.into() });
    }
    let max_ordinal = added.max_ordinal;
    let num_records = (max_ordinal + 1) as u64;
    let capacity: Vec<usize> =
        (0..types.len()).map(|f| old.heaps[f].len() + mapping[f].map_or(0, |d| added.heaps[d].len())).collect();
    let same_widths = widths == old.widths;
    let mut w = RecordWriter::new(types, widths, num_records, &capacity);
    let old_records = (old.max_ordinal + 1) as u64;
    let result =
        merge_steps(num_records, old_records, same_widths, &ordinals.additions, &from.pending_removals, |step| {
            match step {
                MergeStep::Run { first, count } => w.copy_run(old, first, count),
                MergeStep::Added { ordinal, index } => mapping.iter().enumerate().try_for_each(|(f, m)| match *m {
                    Some(d) => w.copy_field(ordinal, f, &added, index, d),
                    None => w.write_null(ordinal, f),
                }),
                MergeStep::Kept(ordinal) => {
                    (0..types.len()).try_for_each(|f| w.copy_field(ordinal, f, old, ordinal, f))
                }
                MergeStep::Dropped(ordinal) => w.write_dropped(ordinal, old, ordinal),
                MergeStep::Hole(ordinal) => w.write_hole(ordinal),
            }
        });
    result.map_err(|m| Error::corrupt(m, at))?;
    Ok(ObjectShard { data: Arc::new(w.finish(max_ordinal)), pending_removals: ordinals.removals.into() })
}

/// Redistribute a type's records over `new` shards (Java splits or joins shards when a delta arrives
/// with a different shard count). Every record keeps its type-wide ordinal, data and pending removal.
pub(crate) fn reshard(types: &[FieldType], old: Sharding, shards: &[ObjectShard], new: Sharding) -> Vec<ObjectShard> {
    let maxes: Vec<i32> = shards.iter().map(|s| s.data.max_ordinal).collect();
    let new_maxes = resharded_max_ordinals(old, &maxes, new);
    let removal_lists: Vec<&[u32]> = shards.iter().map(|s| &*s.pending_removals).collect();
    let new_removals = reshard_ordinal_lists(old, &removal_lists, new);
    // Sizes: fixed fields keep the widest width; heap offsets are sized for the bytes each new shard gets.
    let mut heap_totals = vec![vec![0u64; types.len()]; new.num_shards() as usize];
    for (s, shard) in shards.iter().enumerate() {
        let d = &shard.data;
        for rec in 0..(d.max_ordinal + 1) as u64 {
            let g = old.global(s, rec as u32) as u32;
            for (f, t) in types.iter().enumerate() {
                if t.is_variable_length() {
                    heap_totals[new.shard(g)][f] += d.var_end(rec, f) - d.var_start(rec, f);
                }
            }
        }
    }
    let fixed_bits: Vec<u32> =
        (0..types.len()).map(|f| shards.iter().map(|s| s.data.widths.bits[f]).max().unwrap_or(0)).collect();
    new_maxes
        .iter()
        .zip(new_removals)
        .enumerate()
        .map(|(j, (&max, removals))| {
            let bits =
                (0..types.len())
                    .map(|f| {
                        if types[f].is_variable_length() {
                            bits_needed(heap_totals[j][f] + 1) + 1
                        } else {
                            fixed_bits[f]
                        }
                    })
                    .collect();
            let capacity: Vec<usize> = heap_totals[j].iter().map(|&n| n as usize).collect();
            let mut w = RecordWriter::new(types, FieldWidths::new(bits), (max + 1) as u64, &capacity);
            for local in 0..(max + 1) as u64 {
                let g = new.global(j, local as u32) as u32;
                let src = &shards[old.shard(g)].data;
                let src_rec = old.local(g);
                // The widths above were computed to hold every record, so these writes cannot fail.
                let written = if src_rec as i64 <= src.max_ordinal as i64 {
                    (0..types.len()).try_for_each(|f| w.copy_field(local, f, src, src_rec as u64, f))
                } else {
                    (0..types.len()).try_for_each(|f| w.write_null(local, f))
                };
                debug_assert!(written.is_ok(), "{written:?}");
            }
            ObjectShard { data: Arc::new(w.finish(max)), pending_removals: removals.into() }
        })
        .collect()
}

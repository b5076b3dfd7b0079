//! OBJECT type states: records of named fields.
//!
//! Field values are decoded as Java's `HollowObjectTypeReadState` does:
//!
//! | field type | stored | null |
//! |---|---|---|
//! | INT, LONG | zig-zag encoded value | all ones at the field's width |
//! | REFERENCE | the referenced ordinal | all ones |
//! | BOOLEAN | 0 / 1 | all ones (3) |
//! | FLOAT | `floatToIntBits` | `0x7FC00001` |
//! | DOUBLE | `doubleToLongBits` | `0x7FF8000000000001` |
//! | STRING, BYTES | end offset in the field's heap | top bit set |
//!
//! STRING values are UTF-16 code units, one VarInt each (see [`crate::encoding::hollow_string`]).

use std::borrow::Cow;
use std::sync::Arc;

use super::body::{discard_body, read_snapshot_body, DeltaBody, TypeCore};
use super::object_data::{self, ObjectDeltaShard, ObjectShard, ObjectShardData};
use super::shard_arrays::{self, ShardArrays};
use super::sharding::{DeltaDirection, Sharding};
use crate::encoding::bits::mask;
use crate::encoding::{hollow_string, zigzag, ByteReader};
use crate::error::{Error, Result};
use crate::memory::{BlobBuffer, SharedBytes};
use crate::schema::{FieldType, ObjectSchema, Schema};

/// Stored bits of a FLOAT field that mean null (`HollowObjectWriteRecord.NULL_FLOAT_BITS`).
pub const NULL_FLOAT_BITS: u32 = 0x7FC0_0001;
/// Stored bits of a DOUBLE field that mean null (`HollowObjectWriteRecord.NULL_DOUBLE_BITS`).
pub const NULL_DOUBLE_BITS: u64 = 0x7FF8_0000_0000_0001;

/// An OBJECT type. Field accessors take the field's index in the schema and return `None` for null.
/// An ordinal beyond the type's data, or a field index beyond the schema, reads as null.
#[derive(Debug, Clone)]
pub struct ObjectTypeReadState {
    pub(crate) core: TypeCore,
    field_types: Arc<[FieldType]>,
    shards: Vec<ObjectShard>,
}

fn field_types(schema: &ObjectSchema) -> Arc<[FieldType]> {
    schema.fields.iter().map(|f| f.field_type).collect()
}

impl ObjectTypeReadState {
    /// Read a snapshot type body.
    pub(crate) fn read_snapshot(r: &mut ByteReader<'_>, schema: ObjectSchema, num_shards: u32) -> Result<Self> {
        let types = field_types(&schema);
        let (core, shards) = read_snapshot_body(
            r,
            Arc::new(Schema::Object(schema)),
            num_shards,
            |r| {
                let data = ObjectShardData::read_snapshot(r, &types)?;
                Ok(ObjectShard { data: Arc::new(data), pending_removals: Arc::from([]) })
            },
            |s| s.data.max_ordinal,
        )?;
        Ok(ObjectTypeReadState { core, field_types: types, shards })
    }

    /// Skip a type body written with `schema`.
    pub(crate) fn discard(r: &mut ByteReader<'_>, schema: &ObjectSchema, num_shards: u32, delta: bool) -> Result<()> {
        let types = field_types(schema);
        discard_body(r, num_shards, delta, |r| object_data::discard_shard(r, &types, delta))
    }

    /// Apply a delta type body written with `delta_schema` and `num_shards` shards.
    pub(crate) fn apply_delta(
        &self,
        r: &mut ByteReader<'_>,
        direction: DeltaDirection,
        delta_schema: &ObjectSchema,
        num_shards: u32,
    ) -> Result<Self> {
        // Each delta shard takes at least its largest ordinal, its two ordinal lists, its fixed data
        // length and a width and a heap length per field: a shard count the rest of the blob cannot hold
        // is not resharded for (resharding allocates per shard and field).
        let min_shard_bytes = 4 + 2 * delta_schema.fields.len() as u64;
        r.check_len(num_shards as u64, min_shard_bytes, "shards")?;
        let ObjectTypeReadState { core, shards, .. } = self.with_num_shards(num_shards);
        let delta_types = field_types(delta_schema);
        // Fields are matched by name; a field whose type changed is treated as absent from the delta.
        let mapping: Vec<Option<usize>> = self
            .schema()
            .fields
            .iter()
            .map(|f| delta_schema.field_index(&f.name).filter(|&d| delta_schema.fields[d].field_type == f.field_type))
            .collect();
        let maxes: Vec<i32> = shards.iter().map(|s| s.data.max_ordinal).collect();
        let body = DeltaBody::read(
            r,
            direction,
            &core,
            self.core.sharding.num_shards(),
            &maxes,
            |r| ObjectDeltaShard::read(r, &delta_types),
            |d| (d.data.max_ordinal, &d.ordinals),
        )?;
        let mut next = Vec::with_capacity(shards.len());
        let (deltas, next_core) = body.finish(&core);
        for (from, delta) in shards.iter().zip(deltas) {
            next.push(object_data::apply_delta(&self.field_types, from, delta, &mapping)?);
        }
        let next_core = next_core(next[0].data.max_ordinal);
        Ok(ObjectTypeReadState { core: next_core, field_types: self.field_types.clone(), shards: next })
    }

    /// This state spread over `num_shards` shards (a power of two): Java's consumer-side resharding,
    /// done when a delta arrives with a different shard count. Records, ordinals and pending removals
    /// are unchanged.
    pub(crate) fn with_num_shards(&self, num_shards: u32) -> Self {
        if num_shards == self.core.sharding.num_shards() {
            return self.clone();
        }
        let new = Sharding::new(num_shards);
        let shards = object_data::reshard(&self.field_types, self.core.sharding, &self.shards, new);
        let core = TypeCore { sharding: new, ..self.core.clone() };
        ObjectTypeReadState { core, field_types: self.field_types.clone(), shards }
    }

    /// The type's schema.
    pub fn schema(&self) -> &ObjectSchema {
        match &*self.core.schema {
            Schema::Object(s) => s,
            _ => unreachable!("an OBJECT type state is only ever built from an OBJECT schema"),
        }
    }

    /// Number of shards whose records are read in place from a file mapping.
    pub fn mapped_shards(&self) -> usize {
        self.shards.iter().filter(|s| s.data.fixed.is_mapped()).count()
    }

    /// Every array of every shard.
    pub(crate) fn for_each_storage(&self, f: &mut dyn FnMut(&SharedBytes)) {
        self.shards.iter().for_each(|s| s.data.for_each_storage(f));
    }

    /// This state with its windows into the buffers `release` picks copied to arrays of their own.
    pub(crate) fn with_windows_detached(&self, release: &dyn Fn(&BlobBuffer) -> bool) -> Self {
        let mut next = self.clone();
        next.shards.iter_mut().for_each(|shard| shard_arrays::detach_windows(&mut shard.data, release));
        next
    }

    /// Approximate bytes of process heap held by the records (mapped shards count nothing).
    pub fn approximate_heap_bytes(&self) -> usize {
        self.shards.iter().map(|s| s.data.heap_bytes()).sum()
    }

    /// The type's name.
    pub fn name(&self) -> &str {
        &self.schema().name
    }

    /// The largest ordinal with data, -1 if none.
    pub fn max_ordinal(&self) -> i32 {
        self.core.max_ordinal
    }

    /// The populated ordinals.
    pub fn populated(&self) -> &super::populated::PopulatedOrdinals {
        &self.core.populated
    }

    /// Index of the field called `name`.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.schema().field_index(name)
    }

    /// The type of field `field`.
    pub fn field_type(&self, field: usize) -> Option<FieldType> {
        self.field_types.get(field).copied()
    }

    /// The shard data and local ordinal holding `ordinal`, if it has data, and the field's type.
    #[inline]
    fn record(&self, ordinal: u32, field: usize) -> Option<(&ObjectShardData, u64, FieldType)> {
        let field_type = *self.field_types.get(field)?;
        let (shard, local) = self.core.locate(ordinal);
        let data = &*self.shards.get(shard)?.data;
        if local as i64 > data.max_ordinal as i64 {
            return None;
        }
        Some((data, local as u64, field_type))
    }

    /// Start loading the cache line that holds a field of `ordinal`, for a batch of reads that
    /// overlaps its cache misses; nothing for an ordinal without data or a field out of range.
    #[inline]
    pub(crate) fn prefetch_field(&self, ordinal: u32, field: usize) {
        if let Some((data, rec, _)) = self.record(ordinal, field) {
            data.prefetch(rec, field);
        }
    }

    /// The stored bits of a field and the field's width in the record's shard: what Java calls the
    /// fixed-length value. For STRING/BYTES it is the heap end offset with the null bit. `None` only
    /// for an ordinal without data or a field index out of range.
    pub fn read_raw(&self, ordinal: u32, field: usize) -> Option<(u64, u32)> {
        let (data, rec, _) = self.record(ordinal, field)?;
        Some((data.value(rec, field), data.widths.bits[field]))
    }

    /// The stored bits of a fixed-length field, `None` when they are the all-ones null value.
    /// Always inlined: it is the whole of a numeric read, which an index lookup makes on every
    /// candidate record (out of line, LLVM's copy cost a call and a spill per read).
    #[inline(always)]
    fn fixed_value(&self, ordinal: u32, field: usize) -> Option<u64> {
        let (data, rec, _) = self.record(ordinal, field)?;
        let v = data.value(rec, field);
        (v != mask(data.widths.bits[field])).then_some(v)
    }

    /// True when the field is null (or the record has no data), as Java's `isNull`.
    pub fn is_null(&self, ordinal: u32, field: usize) -> bool {
        let Some((data, rec, field_type)) = self.record(ordinal, field) else { return true };
        let v = data.value(rec, field);
        match field_type {
            FieldType::String | FieldType::Bytes => data.var_is_null(rec, field),
            FieldType::Float => v as u32 == NULL_FLOAT_BITS,
            FieldType::Double => v == NULL_DOUBLE_BITS,
            _ => v == mask(data.widths.bits[field]),
        }
    }

    /// An INT field.
    #[inline]
    pub fn read_int(&self, ordinal: u32, field: usize) -> Option<i32> {
        self.fixed_value(ordinal, field).map(|v| zigzag::decode_i32(v as u32))
    }

    /// A LONG field.
    #[inline]
    pub fn read_long(&self, ordinal: u32, field: usize) -> Option<i64> {
        self.fixed_value(ordinal, field).map(zigzag::decode_i64)
    }

    /// A BOOLEAN field.
    #[inline]
    pub fn read_boolean(&self, ordinal: u32, field: usize) -> Option<bool> {
        self.fixed_value(ordinal, field).map(|v| v == 1)
    }

    /// The stored bits of a FLOAT field, exactly (NaN payloads included); `None` for the null sentinel
    /// `0x7FC00001`.
    #[inline]
    pub fn read_float_bits(&self, ordinal: u32, field: usize) -> Option<u32> {
        let (data, rec, _) = self.record(ordinal, field)?;
        let bits = data.value(rec, field) as u32;
        (bits != NULL_FLOAT_BITS).then_some(bits)
    }

    /// The stored bits of a DOUBLE field, exactly; `None` for the null sentinel `0x7FF8000000000001`.
    #[inline]
    pub fn read_double_bits(&self, ordinal: u32, field: usize) -> Option<u64> {
        let (data, rec, _) = self.record(ordinal, field)?;
        let bits = data.value(rec, field);
        (bits != NULL_DOUBLE_BITS).then_some(bits)
    }

    /// A FLOAT field; `None` when the stored bits are the null sentinel `0x7FC00001`.
    #[inline]
    pub fn read_float(&self, ordinal: u32, field: usize) -> Option<f32> {
        self.read_float_bits(ordinal, field).map(f32::from_bits)
    }

    /// A DOUBLE field; `None` when the stored bits are the null sentinel `0x7FF8000000000001`.
    #[inline]
    pub fn read_double(&self, ordinal: u32, field: usize) -> Option<f64> {
        self.read_double_bits(ordinal, field).map(f64::from_bits)
    }

    /// Raw bytes of a BYTES field, or the encoded bytes of a STRING field (one VarInt per UTF-16 unit).
    #[inline]
    pub fn read_bytes(&self, ordinal: u32, field: usize) -> Option<&[u8]> {
        let (data, rec, field_type) = self.record(ordinal, field)?;
        if !field_type.is_variable_length() {
            return None;
        }
        data.var_bytes(rec, field)
    }

    /// Text of a STRING field; borrowed for ASCII, lone surrogates become U+FFFD. `None` for null, for a
    /// field that is not a STRING, or for bytes that are not valid VarInt code units.
    #[inline]
    pub fn read_string(&self, ordinal: u32, field: usize) -> Option<Cow<'_, str>> {
        if self.field_types.get(field) != Some(&FieldType::String) {
            return None;
        }
        hollow_string::decode(self.read_bytes(ordinal, field)?)
    }

    /// Exact UTF-16 code units of a STRING field.
    pub fn read_string_utf16(&self, ordinal: u32, field: usize) -> Option<Vec<u16>> {
        if self.field_types.get(field) != Some(&FieldType::String) {
            return None;
        }
        hollow_string::decode_utf16(self.read_bytes(ordinal, field)?)
    }

    /// Compare a STRING field with `s` without allocating. False for null.
    pub fn string_equals(&self, ordinal: u32, field: usize, s: &str) -> bool {
        self.field_types.get(field) == Some(&FieldType::String)
            && self.read_bytes(ordinal, field).is_some_and(|b| hollow_string::equals(b, s))
    }

    /// The referenced ordinal of a REFERENCE field.
    #[inline]
    pub fn read_ordinal(&self, ordinal: u32, field: usize) -> Option<u32> {
        self.fixed_value(ordinal, field).and_then(|v| u32::try_from(v).ok())
    }
}

/// Checks that a delta body's type matches the state's kind.
pub(crate) fn kind_mismatch(name: &str, state: &str, delta: &str, at: u64) -> Error {
    Error::corrupt(format!("type {name} is {state} in this state but {delta} in the delta"), at)
}

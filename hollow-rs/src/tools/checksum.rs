//! `HollowChecksum`: one 32-bit hash of a whole state, equal to Java's for the same data.
//!
//! The producer's integrity check loads its own blobs and compares checksums, and the reference
//! vectors record Java's value for every state, so the computation follows Java's exactly:
//!
//! * The running value starts at 0. Applying an int `v` is `c = hashInt(c ^ hashInt(v))`; applying a
//!   long is `c = hashInt(c ^ hashLong(v))` (Thomas Wang's mixes, [`hash_int`] / [`hash_long`]).
//!   The result depends on the order of application.
//! * Each type gets its own checksum. Types are visited shard by shard (`ordinal % numShards ==
//!   shard`), and within a shard in ascending populated ordinal; each record applies its ordinal and
//!   then its contents:
//!   * OBJECT: the fields both schemas share, in field-name order. A fixed-length field applies its
//!     value *as stored* (zig-zag for INT/LONG, the raw IEEE bits for FLOAT/DOUBLE, 0/1 for
//!     BOOLEAN, the ordinal for REFERENCE) as a long, or `Integer.MAX_VALUE` as an int when the
//!     stored value is the field's all-ones null. Because FLOAT/DOUBLE nulls are stored as the
//!     sentinels `0x7fc00001` / `0x7ff8000000000001`, those sentinels are applied like any value.
//!     STRING and BYTES apply the MurmurHash3 of their stored bytes, or -1 for null.
//!   * LIST: each element ordinal in order.
//!   * SET: for each occupied bucket, its index then the element ordinal.
//!   * MAP: for each occupied bucket, its index, the key ordinal, then the value ordinal.
//! * The state's checksum applies each type's checksum as an int, types in name order (Java
//!   `String.compareTo`, i.e. UTF-16 order).
//!
//! Bucket positions depend on hash collisions, so two states with the same records but tables
//! built differently have different checksums, as in Java.

use std::fmt;

use crate::encoding::hash::{hash_int, hash_long, murmur3};
use crate::encoding::zigzag;
use crate::error::{Error, Result};
use crate::read::{
    ListTypeReadState, MapTypeReadState, ObjectTypeReadState, PopulatedOrdinals, ReadStateEngine, SetTypeReadState,
    TypeReadState,
};
use crate::schema::{FieldType, ObjectSchema, Schema};

/// Stored bits of a null FLOAT (`Float.floatToIntBits(Float.NaN) + 1`).
const NULL_FLOAT_BITS: u32 = 0x7fc0_0001;
/// Stored bits of a null DOUBLE (`Double.doubleToLongBits(Double.NaN) + 1`).
const NULL_DOUBLE_BITS: u64 = 0x7ff8_0000_0000_0001;

/// An order-dependent running hash, `HollowChecksum` in Java.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct HollowChecksum {
    value: i32,
}

impl HollowChecksum {
    /// A checksum over nothing (0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Mix in an int.
    pub fn apply_int(&mut self, value: i32) {
        self.value = hash_int(self.value ^ hash_int(value));
    }

    /// Mix in a long.
    pub fn apply_long(&mut self, value: i64) {
        self.value = hash_int(self.value ^ hash_long(value));
    }

    /// The current value.
    pub fn value(&self) -> i32 {
        self.value
    }

    /// The checksum of every type of `engine` (`HollowChecksum.forStateEngine`).
    pub fn for_state_engine(engine: &ReadStateEngine) -> Self {
        // Each type is compared with its own schema, which `type_checksum` accepts without checks.
        Self::for_state_engine_with_common_schemas(engine, engine).expect("a schema is compatible with itself")
    }

    /// The checksum of the types of `engine` that `common_with` also has, OBJECT types restricted
    /// to the fields both have (`HollowChecksum.forStateEngineWithCommonSchemas`). The producer uses
    /// this to compare states whose schemas changed between cycles.
    ///
    /// # Errors
    ///
    /// Fails with [`Error::SchemaMismatch`] when a shared field has different types in the two, or a
    /// shared LIST, SET or MAP type has a different schema, as Java does.
    pub fn for_state_engine_with_common_schemas(
        engine: &ReadStateEngine,
        common_with: &ReadStateEngine,
    ) -> Result<Self> {
        let mut type_checksums = Vec::new();
        for state in engine.types() {
            if let Some(other) = common_with.type_state(state.name()) {
                type_checksums.push((state.name(), type_checksum(state, other.schema())?));
            }
        }
        type_checksums.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
        let mut total = HollowChecksum::new();
        for (_, checksum) in type_checksums {
            total.apply_int(checksum.value);
        }
        Ok(total)
    }
}

/// `Integer.toHexString`: lowercase, unsigned, no leading zeros.
impl fmt::Display for HollowChecksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}", self.value as u32)
    }
}

/// The checksum of one type, over what it shares with `with_schema` (`HollowTypeReadState.getChecksum`).
///
/// # Errors
///
/// [`Error::SchemaMismatch`] when `with_schema` is of another kind than the
/// type's, or a shared field has a different type.
pub fn type_checksum(state: &TypeReadState, with_schema: &Schema) -> Result<HollowChecksum> {
    let mut checksum = HollowChecksum::new();
    let num_shards = state.num_shards().max(1);
    let populated = state.populated();
    match state {
        TypeReadState::Object(object) => {
            let Schema::Object(other) = with_schema else {
                return Err(unequal(state.schema(), with_schema));
            };
            let fields = common_fields_by_name(object.schema(), other)?;
            for ordinal in shard_order(populated, num_shards) {
                checksum.apply_int(ordinal as i32);
                for &(field, field_type) in &fields {
                    apply_field(&mut checksum, object, ordinal, field, field_type);
                }
            }
        }
        TypeReadState::List(list) => {
            require_equal(state.schema(), with_schema)?;
            apply_lists(&mut checksum, list, shard_order(populated, num_shards));
        }
        TypeReadState::Set(set) => {
            require_equal(state.schema(), with_schema)?;
            apply_sets(&mut checksum, set, shard_order(populated, num_shards));
        }
        TypeReadState::Map(map) => {
            require_equal(state.schema(), with_schema)?;
            apply_maps(&mut checksum, map, shard_order(populated, num_shards));
        }
    }
    Ok(checksum)
}

/// Populated ordinals in Java's checksum order: shard by shard, ascending within a shard.
fn shard_order(populated: &PopulatedOrdinals, num_shards: u32) -> impl Iterator<Item = u32> + '_ {
    (0..num_shards).flat_map(move |shard| populated.iter().filter(move |ordinal| ordinal % num_shards == shard))
}

/// Indexes (in `schema`) and types of the fields `schema` shares with `other`, sorted by name
/// (`HollowObjectSchema.findCommonSchema`, then Java's name sort).
fn common_fields_by_name(schema: &ObjectSchema, other: &ObjectSchema) -> Result<Vec<(usize, FieldType)>> {
    if schema == other {
        // Every field; no comparison, so this cannot fail (even with duplicate names in corrupt data).
        let mut all: Vec<_> = schema.fields.iter().enumerate().collect();
        all.sort_by(|a, b| a.1.name.encode_utf16().cmp(b.1.name.encode_utf16()));
        return Ok(all.into_iter().map(|(index, field)| (index, field.field_type)).collect());
    }
    let mut common = Vec::new();
    for (index, field) in schema.fields.iter().enumerate() {
        let Some(theirs) = other.fields.iter().find(|f| f.name == field.name) else { continue };
        if theirs.field_type != field.field_type || theirs.referenced_type != field.referenced_type {
            return Err(Error::SchemaMismatch(format!(
                "field {}.{} is {:?} in one state and {:?} in the other",
                schema.name, field.name, field.field_type, theirs.field_type
            )));
        }
        common.push((index, &field.name));
    }
    common.sort_by(|a, b| a.1.encode_utf16().cmp(b.1.encode_utf16()));
    Ok(common.into_iter().map(|(index, _)| (index, schema.fields[index].field_type)).collect())
}

fn apply_field(checksum: &mut HollowChecksum, object: &ObjectTypeReadState, ordinal: u32, field: usize, ty: FieldType) {
    // Fixed-length fields: the stored value, or None when it is the field's all-ones null.
    let stored: Option<i64> = match ty {
        FieldType::Int => object.read_int(ordinal, field).map(|v| zigzag::encode_i32(v) as i64),
        FieldType::Long => object.read_long(ordinal, field).map(|v| zigzag::encode_i64(v) as i64),
        FieldType::Boolean => object.read_boolean(ordinal, field).map(i64::from),
        FieldType::Reference => object.read_ordinal(ordinal, field).map(i64::from),
        FieldType::Float => {
            let bits = object.read_float_bits(ordinal, field).unwrap_or(NULL_FLOAT_BITS);
            (bits != u32::MAX).then_some(bits as i64)
        }
        FieldType::Double => {
            let bits = object.read_double_bits(ordinal, field).unwrap_or(NULL_DOUBLE_BITS);
            (bits != u64::MAX).then_some(bits as i64)
        }
        FieldType::String | FieldType::Bytes => {
            checksum.apply_int(object.read_bytes(ordinal, field).map_or(-1, murmur3));
            return;
        }
    };
    match stored {
        Some(value) => checksum.apply_long(value),
        None => checksum.apply_int(i32::MAX),
    }
}

fn apply_lists(checksum: &mut HollowChecksum, list: &ListTypeReadState, ordinals: impl Iterator<Item = u32>) {
    for ordinal in ordinals {
        checksum.apply_int(ordinal as i32);
        for element in list.elements(ordinal) {
            checksum.apply_int(element as i32);
        }
    }
}

fn apply_sets(checksum: &mut HollowChecksum, set: &SetTypeReadState, ordinals: impl Iterator<Item = u32>) {
    for ordinal in ordinals {
        checksum.apply_int(ordinal as i32);
        for bucket in 0..set.num_buckets(ordinal) {
            if let Some(element) = set.bucket(ordinal, bucket) {
                checksum.apply_int(bucket as i32);
                checksum.apply_int(element as i32);
            }
        }
    }
}

fn apply_maps(checksum: &mut HollowChecksum, map: &MapTypeReadState, ordinals: impl Iterator<Item = u32>) {
    for ordinal in ordinals {
        checksum.apply_int(ordinal as i32);
        for bucket in 0..map.num_buckets(ordinal) {
            if let Some((key, value)) = map.bucket(ordinal, bucket) {
                checksum.apply_int(bucket as i32);
                checksum.apply_int(key as i32);
                checksum.apply_int(value as i32);
            }
        }
    }
}

fn require_equal(schema: &Schema, with_schema: &Schema) -> Result<()> {
    if schema == with_schema {
        Ok(())
    } else {
        Err(unequal(schema, with_schema))
    }
}

fn unequal(schema: &Schema, with_schema: &Schema) -> Error {
    Error::SchemaMismatch(format!(
        "cannot checksum type {} against a different schema ({} {} vs {} {})",
        schema.name(),
        schema.kind().name(),
        schema.name(),
        with_schema.kind().name(),
        with_schema.name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed with Java Hollow's `HollowChecksum` (v7.14.51).

    #[test]
    fn mixing_matches_java() {
        let mut c = HollowChecksum::new();
        c.apply_int(0);
        assert_eq!(c.value(), 1_073_217_462);
        c.apply_long(1_234_567_890_123);
        assert_eq!(c.value(), -1_940_912_359);
        c.apply_int(i32::MAX);
        c.apply_int(-1);
        assert_eq!(c.value(), -569_931_285);
        assert_eq!(c.to_string(), "de0789eb");
    }

    #[test]
    fn order_matters() {
        let mut a = HollowChecksum::new();
        a.apply_int(1);
        a.apply_int(2);
        let mut b = HollowChecksum::new();
        b.apply_int(2);
        b.apply_int(1);
        assert_ne!(a, b);
    }

    #[test]
    fn display_is_unpadded_lowercase_hex() {
        assert_eq!(HollowChecksum { value: 0x0214_c3f9 }.to_string(), "214c3f9");
        assert_eq!(HollowChecksum { value: -1 }.to_string(), "ffffffff");
    }

    #[test]
    fn common_fields_sorted_by_name_and_checked() {
        use crate::schema::ObjectField;
        let ours = ObjectSchema::new("T")
            .with_field(ObjectField::new("b", FieldType::Int))
            .with_field(ObjectField::new("a", FieldType::String))
            .with_field(ObjectField::new("c", FieldType::Long));
        let theirs = ObjectSchema::new("T")
            .with_field(ObjectField::new("c", FieldType::Long))
            .with_field(ObjectField::new("a", FieldType::String));
        let fields = common_fields_by_name(&ours, &theirs).unwrap();
        assert_eq!(fields, vec![(1, FieldType::String), (2, FieldType::Long)]);

        let clash = ObjectSchema::new("T").with_field(ObjectField::new("b", FieldType::Long));
        assert!(matches!(common_fields_by_name(&ours, &clash), Err(Error::SchemaMismatch(_))));
    }
}

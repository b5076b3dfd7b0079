//! Record builders: what a caller fills in and hands to [`WriteStateEngine::add`].
//!
//! A record is schema-free while it is built: an [`ObjectRecord`] collects `(field, value)` pairs by
//! field name or index, and a collection record collects ordinals. When the record is added, the
//! engine checks it against the type's schema (a wrong field name or value kind is
//! [`Error::SchemaMismatch`]) and serializes it to Java's canonical bytes (`Hollow*WriteRecord.writeDataTo`),
//! which decide its identity: two records with the same bytes are the same record and get the same
//! ordinal.
//!
//! Records can be reused: [`ObjectRecord::clear`] and friends keep their allocations.
//!
//! [`WriteStateEngine::add`]: super::WriteStateEngine::add

use std::borrow::Cow;
use std::collections::HashMap;

use crate::encoding::hash::{hash_int, hash_table_size};
use crate::encoding::{hollow_string, varint, zigzag};
use crate::error::{Error, Result};
use crate::schema::{FieldType, ObjectSchema};

/// Java's `HollowObjectWriteRecord.NULL_FLOAT_BITS`: a NaN that no real float value canonicalizes to.
pub const NULL_FLOAT_BITS: u32 = 0x7FC0_0001;
/// Java's `HollowObjectWriteRecord.NULL_DOUBLE_BITS`.
pub const NULL_DOUBLE_BITS: u64 = 0x7FF8_0000_0000_0001;

/// A field of an OBJECT record, by name or by its index in the schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldRef {
    /// The field at this position in the schema.
    Index(usize),
    /// The field with this name.
    Name(Cow<'static, str>),
}

impl From<usize> for FieldRef {
    fn from(i: usize) -> Self {
        FieldRef::Index(i)
    }
}

impl From<&'static str> for FieldRef {
    fn from(name: &'static str) -> Self {
        FieldRef::Name(Cow::Borrowed(name))
    }
}

impl From<String> for FieldRef {
    fn from(name: String) -> Self {
        FieldRef::Name(Cow::Owned(name))
    }
}

impl std::fmt::Display for FieldRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldRef::Index(i) => write!(f, "#{i}"),
            FieldRef::Name(n) => f.write_str(n),
        }
    }
}

/// A field value as set on a record. Strings and bytes are stored already encoded, in the record's
/// heap, as the byte range `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    Int(i32),
    Long(i64),
    Float(u32),
    Double(u64),
    Boolean(bool),
    String(usize, usize),
    Bytes(usize, usize),
    Reference(u32),
}

impl Value {
    fn kind_name(self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int(_) => "INT",
            Value::Long(_) => "LONG",
            Value::Float(_) => "FLOAT",
            Value::Double(_) => "DOUBLE",
            Value::Boolean(_) => "BOOLEAN",
            Value::String(..) => "STRING",
            Value::Bytes(..) => "BYTES",
            Value::Reference(_) => "REFERENCE",
        }
    }

    fn fits(self, field_type: FieldType) -> bool {
        matches!(
            (self, field_type),
            (Value::Null, _)
                | (Value::Int(_), FieldType::Int)
                | (Value::Long(_), FieldType::Long)
                | (Value::Float(_), FieldType::Float)
                | (Value::Double(_), FieldType::Double)
                | (Value::Boolean(_), FieldType::Boolean)
                | (Value::String(..), FieldType::String)
                | (Value::Bytes(..), FieldType::Bytes)
                | (Value::Reference(_), FieldType::Reference)
        )
    }
}

/// An OBJECT record under construction. Fields left unset are null.
///
/// Following Java, `i32::MIN` and `i64::MIN` are stored as null, and a NaN float or double is stored
/// with Java's canonical NaN bits (`Float.floatToIntBits`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectRecord {
    values: Vec<(FieldRef, Value)>,
    heap: Vec<u8>,
}

impl ObjectRecord {
    /// An empty record (every field null).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reset every field to null, keeping allocations.
    pub fn clear(&mut self) -> &mut Self {
        self.values.clear();
        self.heap.clear();
        self
    }

    fn put(&mut self, field: impl Into<FieldRef>, value: Value) -> &mut Self {
        self.values.push((field.into(), value));
        self
    }

    /// Set a field to null.
    pub fn set_null(&mut self, field: impl Into<FieldRef>) -> &mut Self {
        self.put(field, Value::Null)
    }

    /// Set an INT field. `i32::MIN` is null, as in Java.
    pub fn set_int(&mut self, field: impl Into<FieldRef>, value: i32) -> &mut Self {
        self.put(field, Value::Int(value))
    }

    /// Set a LONG field. `i64::MIN` is null, as in Java.
    pub fn set_long(&mut self, field: impl Into<FieldRef>, value: i64) -> &mut Self {
        self.put(field, Value::Long(value))
    }

    /// Set a FLOAT field. Every NaN is stored as Java's canonical NaN.
    pub fn set_float(&mut self, field: impl Into<FieldRef>, value: f32) -> &mut Self {
        let bits = if value.is_nan() { 0x7FC0_0000 } else { value.to_bits() };
        self.put(field, Value::Float(bits))
    }

    /// Set a DOUBLE field. Every NaN is stored as Java's canonical NaN.
    pub fn set_double(&mut self, field: impl Into<FieldRef>, value: f64) -> &mut Self {
        let bits = if value.is_nan() { 0x7FF8_0000_0000_0000 } else { value.to_bits() };
        self.put(field, Value::Double(bits))
    }

    /// Set a BOOLEAN field.
    pub fn set_boolean(&mut self, field: impl Into<FieldRef>, value: bool) -> &mut Self {
        self.put(field, Value::Boolean(value))
    }

    /// Set a STRING field.
    pub fn set_string(&mut self, field: impl Into<FieldRef>, value: &str) -> &mut Self {
        let start = self.heap.len();
        hollow_string::encode_into(&mut self.heap, value);
        let end = self.heap.len();
        self.put(field, Value::String(start, end))
    }

    /// Set a STRING field from UTF-16 code units, which may include unpaired surrogates (a Java string
    /// can hold them; a Rust `str` cannot).
    pub fn set_string_utf16(&mut self, field: impl Into<FieldRef>, units: &[u16]) -> &mut Self {
        let start = self.heap.len();
        hollow_string::encode_utf16_into(&mut self.heap, units);
        let end = self.heap.len();
        self.put(field, Value::String(start, end))
    }

    /// Set a BYTES field.
    pub fn set_bytes(&mut self, field: impl Into<FieldRef>, value: &[u8]) -> &mut Self {
        let start = self.heap.len();
        self.heap.extend_from_slice(value);
        let end = self.heap.len();
        self.put(field, Value::Bytes(start, end))
    }

    /// Set a REFERENCE field to the ordinal of a record of the referenced type.
    pub fn set_reference(&mut self, field: impl Into<FieldRef>, ordinal: u32) -> &mut Self {
        self.put(field, Value::Reference(ordinal))
    }

    /// Place each value in its schema slot (`slots[i]` = value of field `i`), checking names and kinds.
    /// The last value set for a field wins.
    pub(crate) fn resolve(
        &self,
        schema: &ObjectSchema,
        field_index: &HashMap<String, usize>,
        slots: &mut Vec<Value>,
    ) -> Result<()> {
        slots.clear();
        slots.resize(schema.fields.len(), Value::Null);
        for (field, value) in &self.values {
            let index = match field {
                FieldRef::Index(i) if *i < schema.fields.len() => *i,
                FieldRef::Name(name) => match field_index.get(name.as_ref()) {
                    Some(&i) => i,
                    None => return Err(Error::SchemaMismatch(format!("type {} has no field {name:?}", schema.name))),
                },
                FieldRef::Index(i) => {
                    return Err(Error::SchemaMismatch(format!(
                        "type {} has {} fields; there is no field #{i}",
                        schema.name,
                        schema.fields.len()
                    )))
                }
            };
            let f = &schema.fields[index];
            if !value.fits(f.field_type) {
                return Err(Error::SchemaMismatch(format!(
                    "field {}.{} is {}; cannot set a {} value",
                    schema.name,
                    f.name,
                    f.field_type.java_name(),
                    value.kind_name()
                )));
            }
            slots[index] = *value;
        }
        Ok(())
    }

    /// Append the canonical bytes of the record whose resolved field values are `slots`.
    pub(crate) fn encode(&self, schema: &ObjectSchema, slots: &[Value], out: &mut Vec<u8>) {
        self.encode_fields(schema, slots, 0..schema.fields.len(), out)
    }

    /// Append the canonical bytes of only the fields at `fields` (indices into the schema and `slots`),
    /// in that order: the record as Java writes it translated to a schema of those fields.
    pub(crate) fn encode_fields(
        &self,
        schema: &ObjectSchema,
        slots: &[Value],
        fields: impl IntoIterator<Item = usize>,
        out: &mut Vec<u8>,
    ) {
        for i in fields {
            let (Some(f), Some(&value)) = (schema.fields.get(i), slots.get(i)) else { continue };
            match value {
                Value::Int(v) if v != i32::MIN => varint::write_i32(out, zigzag::encode_i32(v) as i32),
                Value::Long(v) if v != i64::MIN => varint::write_i64(out, zigzag::encode_i64(v) as i64),
                Value::Float(bits) => out.extend_from_slice(&bits.to_be_bytes()),
                Value::Double(bits) => out.extend_from_slice(&bits.to_be_bytes()),
                Value::Boolean(b) => out.push(b as u8),
                Value::String(start, end) | Value::Bytes(start, end) => {
                    varint::write_usize(out, end - start);
                    out.extend_from_slice(&self.heap[start..end]);
                }
                Value::Reference(o) => varint::write_i32(out, o as i32),
                Value::Null | Value::Int(_) | Value::Long(_) => match f.field_type {
                    FieldType::Float => out.extend_from_slice(&NULL_FLOAT_BITS.to_be_bytes()),
                    FieldType::Double => out.extend_from_slice(&NULL_DOUBLE_BITS.to_be_bytes()),
                    _ => out.push(varint::NULL_MARKER),
                },
            }
        }
    }
}

/// A LIST record: element ordinals in order (duplicates allowed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRecord {
    elements: Vec<u32>,
}

impl ListRecord {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remove all elements, keeping the allocation.
    pub fn clear(&mut self) -> &mut Self {
        self.elements.clear();
        self
    }

    /// Append the ordinal of an element-type record.
    pub fn add_element(&mut self, ordinal: u32) -> &mut Self {
        self.elements.push(ordinal);
        self
    }

    /// The element ordinals.
    pub fn elements(&self) -> &[u32] {
        &self.elements
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        varint::write_usize(out, self.elements.len());
        for &o in &self.elements {
            varint::write_i32(out, o as i32);
        }
    }
}

impl FromIterator<u32> for ListRecord {
    fn from_iter<T: IntoIterator<Item = u32>>(iter: T) -> Self {
        ListRecord { elements: iter.into_iter().collect() }
    }
}

/// A SET record: distinct element ordinals (adding one twice keeps one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetRecord {
    elements: Vec<u32>,
}

impl SetRecord {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remove all elements, keeping the allocation.
    pub fn clear(&mut self) -> &mut Self {
        self.elements.clear();
        self
    }

    /// Add the ordinal of an element-type record.
    pub fn add_element(&mut self, ordinal: u32) -> &mut Self {
        self.elements.push(ordinal);
        self
    }

    /// The element ordinals, in the order they were added.
    pub fn elements(&self) -> &[u32] {
        &self.elements
    }

    /// Canonical bytes: elements ascending, each with the bucket Java's default hashing gives it
    /// (`hashInt(ordinal)`; a hash key, if the schema has one, overrides it when the blob is written).
    pub(crate) fn encode(&self, scratch: &mut Vec<u32>, out: &mut Vec<u8>) -> Result<()> {
        scratch.clear();
        scratch.extend_from_slice(&self.elements);
        scratch.sort_unstable();
        scratch.dedup();
        let mask = bucket_mask(scratch.len())?;
        varint::write_usize(out, scratch.len());
        let mut previous = 0;
        for &o in scratch.iter() {
            varint::write_i32(out, (o - previous) as i32);
            varint::write_i32(out, (hash_int(o as i32) as u32 & mask) as i32);
            previous = o;
        }
        Ok(())
    }
}

impl FromIterator<u32> for SetRecord {
    fn from_iter<T: IntoIterator<Item = u32>>(iter: T) -> Self {
        SetRecord { elements: iter.into_iter().collect() }
    }
}

/// A MAP record: `(key ordinal, value ordinal)` entries with distinct keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapRecord {
    entries: Vec<(u32, u32)>,
}

impl MapRecord {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remove all entries, keeping the allocation.
    pub fn clear(&mut self) -> &mut Self {
        self.entries.clear();
        self
    }

    /// Add an entry from the ordinal of a key-type record to the ordinal of a value-type record.
    pub fn add_entry(&mut self, key: u32, value: u32) -> &mut Self {
        self.entries.push((key, value));
        self
    }

    /// The entries, in the order they were added.
    pub fn entries(&self) -> &[(u32, u32)] {
        &self.entries
    }

    /// Canonical bytes: entries sorted by key then value, each with its default home bucket
    /// (`hashInt(key ordinal)`). A key given twice with different values is an error.
    pub(crate) fn encode(&self, scratch: &mut Vec<(u32, u32)>, out: &mut Vec<u8>) -> Result<()> {
        scratch.clear();
        scratch.extend_from_slice(&self.entries);
        scratch.sort_unstable();
        scratch.dedup();
        if let Some(w) = scratch.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::InvalidArgument(format!(
                "map record has key ordinal {} twice, with values {} and {}",
                w[0].0, w[0].1, w[1].1
            )));
        }
        let mask = bucket_mask(scratch.len())?;
        varint::write_usize(out, scratch.len());
        let mut previous = 0;
        for &(k, v) in scratch.iter() {
            varint::write_i32(out, (k - previous) as i32);
            varint::write_i32(out, v as i32);
            varint::write_i32(out, (hash_int(k as i32) as u32 & mask) as i32);
            previous = k;
        }
        Ok(())
    }
}

impl FromIterator<(u32, u32)> for MapRecord {
    fn from_iter<T: IntoIterator<Item = (u32, u32)>>(iter: T) -> Self {
        MapRecord { entries: iter.into_iter().collect() }
    }
}

fn bucket_mask(size: usize) -> Result<u32> {
    u32::try_from(size)
        .ok()
        .and_then(hash_table_size)
        .map(|n| n - 1)
        .ok_or_else(|| Error::InvalidArgument(format!("a set or map of {size} elements is larger than Hollow allows")))
}

/// Any record, as passed to [`WriteStateEngine::add`](super::WriteStateEngine::add).
#[derive(Debug, Clone, Copy)]
pub enum RecordRef<'a> {
    /// An OBJECT record.
    Object(&'a ObjectRecord),
    /// A LIST record.
    List(&'a ListRecord),
    /// A SET record.
    Set(&'a SetRecord),
    /// A MAP record.
    Map(&'a MapRecord),
}

impl RecordRef<'_> {
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            RecordRef::Object(_) => "OBJECT",
            RecordRef::List(_) => "LIST",
            RecordRef::Set(_) => "SET",
            RecordRef::Map(_) => "MAP",
        }
    }
}

impl<'a> From<&'a ObjectRecord> for RecordRef<'a> {
    fn from(r: &'a ObjectRecord) -> Self {
        RecordRef::Object(r)
    }
}

impl<'a> From<&'a ListRecord> for RecordRef<'a> {
    fn from(r: &'a ListRecord) -> Self {
        RecordRef::List(r)
    }
}

impl<'a> From<&'a SetRecord> for RecordRef<'a> {
    fn from(r: &'a SetRecord) -> Self {
        RecordRef::Set(r)
    }
}

impl<'a> From<&'a MapRecord> for RecordRef<'a> {
    fn from(r: &'a MapRecord) -> Self {
        RecordRef::Map(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ObjectField;

    fn movie() -> (ObjectSchema, HashMap<String, usize>) {
        let s = ObjectSchema::new("Movie")
            .with_field(ObjectField::new("id", FieldType::Int))
            .with_field(ObjectField::new("title", FieldType::String))
            .with_field(ObjectField::new("rating", FieldType::Float))
            .with_field(ObjectField::reference("studio", "Studio"));
        let index = s.fields.iter().enumerate().map(|(i, f)| (f.name.clone(), i)).collect();
        (s, index)
    }

    fn encode(r: &ObjectRecord) -> Result<Vec<u8>> {
        let (s, index) = movie();
        let mut slots = Vec::new();
        r.resolve(&s, &index, &mut slots)?;
        let mut out = Vec::new();
        r.encode(&s, &slots, &mut out);
        Ok(out)
    }

    #[test]
    fn object_canonical_bytes() {
        let mut r = ObjectRecord::new();
        r.set_int("id", -2).set_string("title", "é").set_float(2, 1.0).set_reference("studio", 300);
        assert_eq!(encode(&r).unwrap(), [0x03, 0x02, 0x81, 0x69, 0x3F, 0x80, 0x00, 0x00, 0x82, 0x2C]);
        r.clear().set_int("id", i32::MIN);
        assert_eq!(encode(&r).unwrap(), [0x80, 0x80, 0x7F, 0xC0, 0x00, 0x01, 0x80]);
        r.clear().set_float("rating", f32::from_bits(0x7FC0_1234));
        assert_eq!(&encode(&r).unwrap()[2..6], &[0x7F, 0xC0, 0x00, 0x00], "NaN is canonicalized");
        r.clear().set_int("id", 1).set_int("id", 2);
        assert_eq!(encode(&r).unwrap()[0], 0x04, "last value wins");
    }

    #[test]
    fn mismatches_are_errors() {
        let mut r = ObjectRecord::new();
        r.set_long("id", 1);
        let err = encode(&r).unwrap_err();
        assert!(matches!(err, Error::SchemaMismatch(ref m) if m.contains("Movie.id is INT")), "{err}");
        r.clear().set_int("nope", 1);
        assert!(matches!(encode(&r), Err(Error::SchemaMismatch(_))));
        r.clear().set_int(9usize, 1);
        assert!(matches!(encode(&r), Err(Error::SchemaMismatch(_))));
    }

    #[test]
    fn set_and_map_canonical_bytes() {
        let mut scratch = Vec::new();
        let mut out = Vec::new();
        let set: SetRecord = [4, 0, 2, 2].into_iter().collect();
        set.encode(&mut scratch, &mut out).unwrap();
        let mask = 3;
        let b = |o: i32| (hash_int(o) as u32 & mask) as u8;
        assert_eq!(out, [3, 0, b(0), 2, b(2), 2, b(4)]);

        let mut scratch = Vec::new();
        out.clear();
        let map: MapRecord = [(3, 4), (1, 2)].into_iter().collect();
        map.encode(&mut scratch, &mut out).unwrap();
        assert_eq!(out, [2, 1, 2, b(1), 2, 4, b(3)]);
        let bad: MapRecord = [(3, 4), (3, 5)].into_iter().collect();
        assert!(bad.encode(&mut scratch, &mut out).is_err());
    }
}

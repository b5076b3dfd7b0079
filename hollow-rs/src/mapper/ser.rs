//! Writing any `Serialize` value as records, guided by the schemas registered in the write engine (the
//! rules are in the [mapper documentation](super#writing)).
//!
//! * [`Writer`] holds the engine and a cache of its schemas; it writes a top-level value.
//! * `RecordSer` writes one value as a record of a given type and returns its ordinal; a sequence, map
//!   or struct goes through `RecordCompound`, which collects elements, entries or fields.
//! * `FieldSer` stores one value in one field of an OBJECT record: inline, or as a reference to a
//!   record it writes on the spot (through `RecordSer`); `FieldCompound` does the same for compound
//!   values.
//! * `PairSer`, `FieldNameSer` and `ByteSer` take map entries given as `[key, value]`, field names given
//!   as map keys, and bytes given as numbers.
//!
//! Records are written bottom-up as serde walks the value: a referenced record is added before the
//! record that refers to it, so its ordinal is known when the field is set.

use std::collections::HashMap;
use std::sync::Arc;

use serde::ser::{self, Impossible, Serialize};

use super::de::MAX_DEPTH;
use super::derive::ENUM_NAME_FIELD;
use super::error::{MapperError, MapperResult};
use crate::schema::{FieldType, ObjectSchema, Schema};
use crate::write::{ListRecord, MapRecord, ObjectRecord, RecordRef, SetRecord, WriteStateEngine};

/// Schemas copied out of the engine (the writer needs them while it holds the engine mutably) and
/// object records to reuse.
#[derive(Debug, Default)]
pub(crate) struct SchemaCache {
    /// The [`WriteStateEngine::schemas_id`] of the schemas below; another id empties the cache.
    schemas_id: u64,
    schemas: HashMap<String, Arc<Schema>>,
    pool: Vec<ObjectRecord>,
}

/// Writes values into one engine.
pub(crate) struct Writer<'e> {
    engine: &'e mut WriteStateEngine,
    cache: &'e mut SchemaCache,
    /// Numbers are dynamically typed (see [`super::value`]): any number fits a FLOAT or DOUBLE field.
    dynamic: bool,
}

impl<'e> Writer<'e> {
    pub(crate) fn new(engine: &'e mut WriteStateEngine, cache: &'e mut SchemaCache) -> Self {
        Writer { engine, cache, dynamic: false }
    }

    /// A writer of dynamically typed values (see [`super::value`]).
    pub(crate) fn dynamic(self) -> Self {
        Writer { dynamic: true, ..self }
    }

    /// Write `value` as a record of `type_name` (and everything it refers to); return its ordinal.
    pub(crate) fn write<T: Serialize + ?Sized>(&mut self, type_name: &str, value: &T) -> MapperResult<u32> {
        let schema = self.schema(type_name)?;
        value.serialize(RecordSer { w: self, schema, depth: 0 })
    }

    /// The engine's schema of `name`. The cache is keyed by the engine's schemas id, so a cache filled
    /// from another engine, or before a type was registered, is never trusted.
    fn schema(&mut self, name: &str) -> MapperResult<Arc<Schema>> {
        if self.cache.schemas_id != self.engine.schemas_id() {
            self.cache.schemas.clear();
            self.cache.schemas_id = self.engine.schemas_id();
        } else if let Some(cached) = self.cache.schemas.get(name) {
            return Ok(cached.clone());
        }
        let current = self.engine.schema(name).ok_or_else(|| {
            MapperError::new(crate::Error::NotFound(format!("type {name} is not registered in the write engine")))
        })?;
        let schema = Arc::new(current.clone());
        self.cache.schemas.insert(name.to_owned(), schema.clone());
        Ok(schema)
    }

    fn add<'r>(&mut self, type_name: &str, record: impl Into<RecordRef<'r>>) -> MapperResult<u32> {
        self.engine.add(type_name, record).map_err(MapperError::new)
    }

    fn take_record(&mut self) -> ObjectRecord {
        let mut record = self.cache.pool.pop().unwrap_or_default();
        record.clear();
        record
    }

    fn recycle(&mut self, record: ObjectRecord) {
        self.cache.pool.push(record);
    }

    /// Add an OBJECT record and keep its allocation for the next one.
    fn add_object(&mut self, type_name: &str, record: ObjectRecord) -> MapperResult<u32> {
        let ordinal = self.add(type_name, &record)?;
        self.recycle(record);
        Ok(ordinal)
    }
}

fn describe(schema: &Schema) -> String {
    match schema {
        Schema::Object(o) => format!("{} (an OBJECT with {} field(s))", o.name, o.fields.len()),
        other => format!("{} (a {})", other.name(), other.kind().name()),
    }
}

fn cannot_write(what: &str, schema: &Schema) -> MapperError {
    MapperError::mismatch(format!("cannot write {what} as a record of type {}", describe(schema)))
}

fn data_variant(name: &str, variant: &str) -> MapperError {
    MapperError::schema(format!(
        "enum {name}: variant {variant} carries data; only enums of unit variants map to Hollow (as `_name`)"
    ))
}

/// The `Serializer` methods [`RecordSer`] and [`FieldSer`] share word for word: a newtype struct is its
/// content, a tuple is a sequence, and the shapes Hollow has no form for (tuple structs, data-carrying
/// enum variants) are errors.
macro_rules! same_in_records_and_fields {
    () => {
        fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> MapperResult<Self::Ok> {
            value.serialize(self)
        }

        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            name: &'static str,
            _: u32,
            variant: &'static str,
            _: &T,
        ) -> MapperResult<Self::Ok> {
            Err(data_variant(name, variant))
        }

        fn serialize_tuple(self, len: usize) -> MapperResult<Self::SerializeTuple> {
            self.serialize_seq(Some(len))
        }

        fn serialize_tuple_struct(self, name: &'static str, _: usize) -> MapperResult<Self::SerializeTupleStruct> {
            Err(MapperError::schema(format!(
                "the tuple struct {name} cannot be mapped to Hollow (give its fields names)"
            )))
        }

        fn serialize_tuple_variant(
            self,
            name: &'static str,
            _: u32,
            variant: &'static str,
            _: usize,
        ) -> MapperResult<Self::SerializeTupleVariant> {
            Err(data_variant(name, variant))
        }

        fn serialize_struct_variant(
            self,
            name: &'static str,
            _: u32,
            variant: &'static str,
            _: usize,
        ) -> MapperResult<Self::SerializeStructVariant> {
            Err(data_variant(name, variant))
        }
    };
}

/// `SerializeSeq` and `SerializeTuple` for a compound with `element` and `finish`: a tuple is written
/// as a sequence.
macro_rules! sequence_impls {
    ($compound:ident, $ok:ty) => {
        impl ser::SerializeSeq for $compound<'_, '_> {
            type Ok = $ok;
            type Error = MapperError;

            fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> MapperResult<()> {
                self.element(value)
            }

            fn end(self) -> MapperResult<$ok> {
                self.finish()
            }
        }

        impl ser::SerializeTuple for $compound<'_, '_> {
            type Ok = $ok;
            type Error = MapperError;

            fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> MapperResult<()> {
                ser::SerializeSeq::serialize_element(self, value)
            }

            fn end(self) -> MapperResult<$ok> {
                ser::SerializeSeq::end(self)
            }
        }
    };
}

// ----- a record ---------------------------------------------------------------------------------

/// Serializes one value as a record of `schema`'s type; the result is the record's ordinal.
struct RecordSer<'w, 'e> {
    w: &'w mut Writer<'e>,
    schema: Arc<Schema>,
    /// How many records up the top-level one is.
    depth: usize,
}

/// A serializer for a record referenced from a record at `depth`.
fn child<'w, 'e>(w: &'w mut Writer<'e>, schema: Arc<Schema>, depth: usize) -> MapperResult<RecordSer<'w, 'e>> {
    if depth >= MAX_DEPTH {
        return Err(MapperError::invalid(format!("records nest more than {MAX_DEPTH} deep")));
    }
    Ok(RecordSer { w, schema, depth: depth + 1 })
}

impl<'w, 'e> RecordSer<'w, 'e> {
    /// Write a value into the single field of a boxed type (`Integer { int value; }`, `String`, ...).
    fn boxed(self, what: &str, write: impl for<'s> FnOnce(FieldSer<'s, 'e>) -> MapperResult<()>) -> MapperResult<u32> {
        let RecordSer { w, schema, depth } = self;
        let object = match &*schema {
            Schema::Object(o) if o.fields.len() == 1 => o,
            other => return Err(cannot_write(what, other)),
        };
        let mut record = w.take_record();
        write(FieldSer { w: &mut *w, record: &mut record, owner: object, index: 0, optional: false, depth })
            .map_err(|e| e.in_field(&object.name, &object.fields[0].name))?;
        w.add_object(&object.name, record)
    }

    fn compound(self, state: State) -> RecordCompound<'w, 'e> {
        RecordCompound { w: self.w, schema: self.schema, state, count: 0, depth: self.depth }
    }
}

macro_rules! boxed_scalars {
    ($($method:ident($ty:ty) = $what:literal;)*) => {
        $(
            fn $method(self, v: $ty) -> MapperResult<u32> {
                self.boxed($what, |f| f.$method(v))
            }
        )*
    };
}

impl<'w, 'e> ser::Serializer for RecordSer<'w, 'e> {
    type Ok = u32;
    type Error = MapperError;
    type SerializeSeq = RecordCompound<'w, 'e>;
    type SerializeTuple = RecordCompound<'w, 'e>;
    type SerializeTupleStruct = Impossible<u32, MapperError>;
    type SerializeTupleVariant = Impossible<u32, MapperError>;
    type SerializeMap = RecordCompound<'w, 'e>;
    type SerializeStruct = RecordCompound<'w, 'e>;
    type SerializeStructVariant = Impossible<u32, MapperError>;

    boxed_scalars! {
        serialize_bool(bool) = "a bool";
        serialize_i8(i8) = "an i8";
        serialize_i16(i16) = "an i16";
        serialize_i32(i32) = "an i32";
        serialize_i64(i64) = "an i64";
        serialize_u8(u8) = "a u8";
        serialize_u16(u16) = "a u16";
        serialize_u32(u32) = "a u32";
        serialize_u64(u64) = "a u64";
        serialize_f32(f32) = "an f32";
        serialize_f64(f64) = "an f64";
        serialize_char(char) = "a char";
    }

    fn serialize_str(self, v: &str) -> MapperResult<u32> {
        self.boxed("a string", |f| f.serialize_str(v))
    }

    fn serialize_bytes(self, v: &[u8]) -> MapperResult<u32> {
        self.boxed("bytes", |f| f.serialize_bytes(v))
    }

    fn serialize_none(self) -> MapperResult<u32> {
        Err(MapperError::invalid(format!(
            "null where a record of type {} is required (sets, lists and maps cannot hold nulls)",
            self.schema.name()
        )))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> MapperResult<u32> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> MapperResult<u32> {
        Err(cannot_write("()", &self.schema))
    }

    fn serialize_unit_struct(self, name: &'static str) -> MapperResult<u32> {
        match &*self.schema {
            Schema::Object(o) => {
                let record = self.w.take_record();
                self.w.add_object(&o.name, record)
            }
            other => Err(cannot_write(&format!("the unit struct {name}"), other)),
        }
    }

    fn serialize_unit_variant(self, name: &'static str, _: u32, variant: &'static str) -> MapperResult<u32> {
        let RecordSer { w, schema, .. } = self;
        let Schema::Object(object) = &*schema else {
            return Err(cannot_write(&format!("the enum {name}"), &schema));
        };
        let index = object.field_index(ENUM_NAME_FIELD).or(match object.fields.as_slice() {
            [only] if only.field_type == FieldType::String => Some(0),
            _ => None,
        });
        let Some(index) = index else {
            return Err(cannot_write(&format!("the enum {name} (no `_name` field)"), &schema));
        };
        let mut record = w.take_record();
        record.set_string(index, variant);
        w.add_object(&object.name, record)
    }

    same_in_records_and_fields!();

    fn serialize_seq(self, len: Option<usize>) -> MapperResult<RecordCompound<'w, 'e>> {
        let capacity = len.unwrap_or(0).min(1 << 16);
        let state = match &*self.schema {
            Schema::List(l) => State::List { record: ListRecord::new(), element: self.w.schema(&l.element_type)? },
            Schema::Set(s) => State::Set { record: SetRecord::new(), element: self.w.schema(&s.element_type)? },
            Schema::Map(m) => State::MapPairs {
                record: MapRecord::new(),
                key: self.w.schema(&m.key_type)?,
                value: self.w.schema(&m.value_type)?,
            },
            Schema::Object(o) if o.fields.len() == 1 && o.fields[0].field_type == FieldType::Bytes => {
                State::BoxedBytes(Vec::with_capacity(capacity))
            }
            other => return Err(cannot_write("a sequence", other)),
        };
        Ok(self.compound(state))
    }

    fn serialize_map(self, _: Option<usize>) -> MapperResult<RecordCompound<'w, 'e>> {
        let state = match &*self.schema {
            Schema::Map(m) => State::MapEntries {
                record: MapRecord::new(),
                key: self.w.schema(&m.key_type)?,
                value: self.w.schema(&m.value_type)?,
                pending: None,
            },
            Schema::Object(_) => State::Object { record: self.w.take_record(), pending: None, keys_set: 0 },
            other => return Err(cannot_write("a map", other)),
        };
        Ok(self.compound(state))
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> MapperResult<RecordCompound<'w, 'e>> {
        match &*self.schema {
            Schema::Object(_) => {
                let record = self.w.take_record();
                Ok(self.compound(State::Object { record, pending: None, keys_set: 0 }))
            }
            other => Err(cannot_write(&format!("the struct {name}"), other)),
        }
    }
}

/// What a record under construction collects.
enum State {
    List {
        record: ListRecord,
        element: Arc<Schema>,
    },
    Set {
        record: SetRecord,
        element: Arc<Schema>,
    },
    /// A map given as a map.
    MapEntries {
        record: MapRecord,
        key: Arc<Schema>,
        value: Arc<Schema>,
        pending: Option<u32>,
    },
    /// A map given as a sequence of `[key, value]` pairs.
    MapPairs {
        record: MapRecord,
        key: Arc<Schema>,
        value: Arc<Schema>,
    },
    /// An OBJECT given as a struct or as a map of field names; `pending` is the field whose name was
    /// just given.
    Object {
        record: ObjectRecord,
        pending: Option<usize>,
        /// Bit `k` is set once the first field of primary-key path `k` has a (non-null) value.
        keys_set: u64,
    },
    /// A sequence of bytes for a type whose one field is BYTES.
    BoxedBytes(Vec<u8>),
}

/// A record being built from a sequence, map or struct.
struct RecordCompound<'w, 'e> {
    w: &'w mut Writer<'e>,
    schema: Arc<Schema>,
    state: State,
    /// Elements (or fields) seen so far.
    count: usize,
    depth: usize,
}

impl RecordCompound<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> MapperResult<()> {
        let index = self.count;
        self.count += 1;
        let (w, depth) = (&mut *self.w, self.depth);
        match &mut self.state {
            State::List { record, element } => {
                let ordinal = value.serialize(child(w, element.clone(), depth)?).map_err(|e| e.in_element(index))?;
                record.add_element(ordinal);
            }
            State::Set { record, element } => {
                let ordinal = value.serialize(child(w, element.clone(), depth)?).map_err(|e| e.in_element(index))?;
                record.add_element(ordinal);
            }
            State::MapPairs { record, key, value: value_schema } => {
                let pair = PairSer { w, key: key.clone(), value: value_schema.clone(), depth };
                let (k, v) = value.serialize(pair).map_err(|e| e.in_element(index))?;
                record.add_entry(k, v);
            }
            State::BoxedBytes(bytes) => bytes.push(value.serialize(ByteSer).map_err(|e| e.in_element(index))?),
            State::MapEntries { .. } | State::Object { .. } => return Err(cannot_write("a sequence", &self.schema)),
        }
        Ok(())
    }

    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> MapperResult<()> {
        let (w, depth) = (&mut *self.w, self.depth);
        match (&mut self.state, &*self.schema) {
            (State::MapEntries { key: key_schema, pending, .. }, _) => {
                let schema = key_schema.clone();
                *pending = Some(key.serialize(child(w, schema, depth)?).map_err(|e| e.in_map(true))?);
            }
            (State::Object { pending, .. }, Schema::Object(object)) => {
                let name = key.serialize(FieldNameSer)?;
                let index = object.field_index(&name).ok_or_else(|| no_such_field(object, &name))?;
                *pending = Some(index);
            }
            _ => return Err(cannot_write("a map", &self.schema)),
        }
        Ok(())
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> MapperResult<()> {
        let (w, depth) = (&mut *self.w, self.depth);
        match (&mut self.state, &*self.schema) {
            (State::MapEntries { record, value: value_schema, pending, .. }, _) => {
                let key = pending.take().ok_or_else(|| MapperError::invalid("a map value without a key"))?;
                let schema = value_schema.clone();
                let ordinal = value.serialize(child(w, schema, depth)?).map_err(|e| e.in_map(false))?;
                record.add_entry(key, ordinal);
            }
            (State::Object { record, pending, keys_set }, Schema::Object(object)) => {
                let index = pending.take().ok_or_else(|| MapperError::invalid("a field value without a name"))?;
                write_field(w, record, object, index, depth, value)?;
                *keys_set |= key_bits(object, index);
            }
            _ => return Err(cannot_write("a map", &self.schema)),
        }
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> MapperResult<()> {
        let position = self.count;
        self.count += 1;
        let (w, depth) = (&mut *self.w, self.depth);
        match (&mut self.state, &*self.schema) {
            (State::Object { record, keys_set, .. }, Schema::Object(object)) => {
                // Struct fields usually come in schema order.
                let index = match object.fields.get(position) {
                    Some(f) if f.name == name => position,
                    _ => object.field_index(name).ok_or_else(|| no_such_field(object, name))?,
                };
                write_field(w, record, object, index, depth, value)?;
                *keys_set |= key_bits(object, index);
                Ok(())
            }
            _ => Err(cannot_write("a struct", &self.schema)),
        }
    }

    fn finish(self) -> MapperResult<u32> {
        let RecordCompound { w, schema, state, .. } = self;
        let name = schema.name();
        match state {
            State::List { record, .. } => w.add(name, &record),
            State::Set { record, .. } => w.add(name, &record),
            State::MapEntries { record, pending: None, .. } | State::MapPairs { record, .. } => w.add(name, &record),
            State::MapEntries { pending: Some(_), .. } => Err(MapperError::invalid("a map key without a value")),
            State::Object { record, keys_set, .. } => {
                if let Schema::Object(object) = &*schema {
                    check_keys_set(object, keys_set)?;
                }
                w.add_object(name, record)
            }
            State::BoxedBytes(bytes) => {
                let mut record = w.take_record();
                record.set_bytes(0usize, &bytes);
                w.add_object(name, record)
            }
        }
    }
}

fn no_such_field(object: &ObjectSchema, name: &str) -> MapperError {
    MapperError::mismatch(format!(
        "type {} has no field {name} (its fields: {})",
        object.name,
        object.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
    ))
}

/// The first field of each primary-key path of `object` (a path's later fields are in referenced records).
fn key_fields(object: &ObjectSchema) -> impl Iterator<Item = (usize, &str)> {
    let paths = object.primary_key.as_deref().unwrap_or_default();
    paths.iter().take(64).enumerate().map(|(k, path)| (k, path.split('.').next().unwrap_or(path)))
}

/// The bits of the primary-key paths that start with field `index` of `object` (0 without a key).
fn key_bits(object: &ObjectSchema, index: usize) -> u64 {
    if object.primary_key.is_none() {
        return 0;
    }
    let name = object.fields[index].name.as_str();
    key_fields(object).filter(|(_, first)| *first == name).fold(0, |bits, (k, _)| bits | 1 << k)
}

/// Refuse a record of `object` whose primary key is missing: a field on a key path that was never given
/// (it would be null, and a record with a null key can never be found by its key).
fn check_keys_set(object: &ObjectSchema, keys_set: u64) -> MapperResult<()> {
    if let Some((_, missing)) = key_fields(object).find(|(k, _)| keys_set & (1 << k) == 0) {
        return Err(MapperError::invalid(format!(
            "record of type {} has no primary key field {missing} (primary key: {})",
            object.name,
            object.primary_key.as_deref().unwrap_or_default().join(", ")
        )));
    }
    Ok(())
}

fn write_field<T: Serialize + ?Sized>(
    w: &mut Writer<'_>,
    record: &mut ObjectRecord,
    object: &ObjectSchema,
    index: usize,
    depth: usize,
    value: &T,
) -> MapperResult<()> {
    value
        .serialize(FieldSer { w, record, owner: object, index, optional: false, depth })
        .map_err(|e| e.in_field(&object.name, &object.fields[index].name))
}

sequence_impls!(RecordCompound, u32);

impl ser::SerializeMap for RecordCompound<'_, '_> {
    type Ok = u32;
    type Error = MapperError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> MapperResult<()> {
        self.key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> MapperResult<()> {
        self.value(value)
    }

    fn end(self) -> MapperResult<u32> {
        self.finish()
    }
}

impl ser::SerializeStruct for RecordCompound<'_, '_> {
    type Ok = u32;
    type Error = MapperError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> MapperResult<()> {
        self.field(name, value)
    }

    fn skip_field(&mut self, _: &'static str) -> MapperResult<()> {
        self.count += 1;
        Ok(())
    }

    fn end(self) -> MapperResult<u32> {
        self.finish()
    }
}

// ----- a field ----------------------------------------------------------------------------------

/// Serializes one value into field `index` of an OBJECT record: inline, or as a reference to a record
/// written on the spot.
struct FieldSer<'s, 'e> {
    w: &'s mut Writer<'e>,
    record: &'s mut ObjectRecord,
    owner: &'s ObjectSchema,
    index: usize,
    /// The value came through `Some(..)`: keep NaN and minimum values as they are (Java's boxed fields).
    optional: bool,
    /// The depth of the record the field belongs to.
    depth: usize,
}

impl<'s, 'e> FieldSer<'s, 'e> {
    fn field_type(&self) -> FieldType {
        self.owner.fields[self.index].field_type
    }

    fn mismatch(&self, what: &str) -> MapperError {
        let field = &self.owner.fields[self.index];
        let kind = match &field.referenced_type {
            Some(t) => format!("REFERENCE (to {t})"),
            None => field.field_type.java_name().to_owned(),
        };
        MapperError::mismatch(format!("cannot store {what} in a {kind} field"))
    }

    /// Write the referenced record with `write` and point the field at it.
    fn reference(self, write: impl for<'x> FnOnce(RecordSer<'x, 'e>) -> MapperResult<u32>) -> MapperResult<()> {
        let Some(target) = self.owner.fields[self.index].referenced_type.as_deref() else {
            return Err(MapperError::mismatch("REFERENCE field without a referenced type"));
        };
        let schema = self.w.schema(target)?;
        let ordinal = write(child(&mut *self.w, schema, self.depth)?)?;
        self.record.set_reference(self.index, ordinal);
        Ok(())
    }

    fn set_null(self) -> MapperResult<()> {
        if key_bits(self.owner, self.index) != 0 {
            return Err(MapperError::invalid(format!(
                "null in a primary key field of type {} (a record with a null key can never be found by its key)",
                self.owner.name
            )));
        }
        self.record.set_null(self.index);
        Ok(())
    }

    /// A dynamically typed number in a FLOAT or DOUBLE field.
    fn dynamic_number(self, v: f64) -> MapperResult<()> {
        match self.field_type() {
            FieldType::Float => {
                self.record.set_float(self.index, v as f32);
            }
            _ => {
                self.record.set_double(self.index, v);
            }
        }
        Ok(())
    }
}

/// A dynamically typed integer too large for an INT field.
fn out_of_int_range(v: impl std::fmt::Display) -> MapperError {
    MapperError::invalid(format!("{v} is out of range for an INT field ({}..={})", i32::MIN, i32::MAX))
}

macro_rules! int_fields {
    ($($method:ident($ty:ty): int = $fits_int:literal, min_is_null = $min_is_null:literal;)*) => {
        $(
            fn $method(self, v: $ty) -> MapperResult<()> {
                let fits_int: bool = $fits_int;
                let min_is_null: bool = $min_is_null;
                match self.field_type() {
                    FieldType::Int if fits_int => {
                        if min_is_null && !self.optional && v == <$ty>::MIN {
                            self.record.set_null(self.index);
                        } else {
                            self.record.set_int(self.index, v as i32);
                        }
                        Ok(())
                    }
                    FieldType::Long => {
                        self.record.set_long(self.index, v as i64);
                        Ok(())
                    }
                    FieldType::Reference => self.reference(|r| ser::Serializer::$method(r, v)),
                    FieldType::Float | FieldType::Double if self.w.dynamic => self.dynamic_number(v as f64),
                    FieldType::Int if self.w.dynamic => Err(out_of_int_range(v)),
                    _ => Err(self.mismatch(concat!("a value of type ", stringify!($ty)))),
                }
            }
        )*
    };
}

impl<'s, 'e> ser::Serializer for FieldSer<'s, 'e> {
    type Ok = ();
    type Error = MapperError;
    type SerializeSeq = FieldCompound<'s, 'e>;
    type SerializeTuple = FieldCompound<'s, 'e>;
    type SerializeTupleStruct = Impossible<(), MapperError>;
    type SerializeTupleVariant = Impossible<(), MapperError>;
    type SerializeMap = FieldCompound<'s, 'e>;
    type SerializeStruct = FieldCompound<'s, 'e>;
    type SerializeStructVariant = Impossible<(), MapperError>;

    int_fields! {
        serialize_i8(i8): int = true, min_is_null = true;
        serialize_i16(i16): int = true, min_is_null = true;
        serialize_i32(i32): int = true, min_is_null = false;
        serialize_u8(u8): int = true, min_is_null = false;
        serialize_u16(u16): int = true, min_is_null = false;
        serialize_u32(u32): int = false, min_is_null = false;
        serialize_i64(i64): int = false, min_is_null = false;
    }

    fn serialize_u64(self, v: u64) -> MapperResult<()> {
        match self.field_type() {
            FieldType::Long => match i64::try_from(v) {
                Ok(v) => {
                    self.record.set_long(self.index, v);
                    Ok(())
                }
                Err(_) => Err(MapperError::invalid(format!("{v} does not fit a LONG (at most {})", i64::MAX))),
            },
            FieldType::Reference => self.reference(|r| ser::Serializer::serialize_u64(r, v)),
            FieldType::Float | FieldType::Double if self.w.dynamic => self.dynamic_number(v as f64),
            FieldType::Int if self.w.dynamic => Err(out_of_int_range(v)),
            _ => Err(self.mismatch("a value of type u64")),
        }
    }

    fn serialize_bool(self, v: bool) -> MapperResult<()> {
        match self.field_type() {
            FieldType::Boolean => {
                self.record.set_boolean(self.index, v);
                Ok(())
            }
            FieldType::Reference => self.reference(|r| ser::Serializer::serialize_bool(r, v)),
            _ => Err(self.mismatch("a bool")),
        }
    }

    fn serialize_f32(self, v: f32) -> MapperResult<()> {
        let null = v.is_nan() && !self.optional;
        match self.field_type() {
            FieldType::Float if null => self.set_null(),
            FieldType::Float => {
                self.record.set_float(self.index, v);
                Ok(())
            }
            FieldType::Double if null => self.set_null(),
            FieldType::Double => {
                self.record.set_double(self.index, f64::from(v));
                Ok(())
            }
            FieldType::Reference => self.reference(|r| ser::Serializer::serialize_f32(r, v)),
            _ => Err(self.mismatch("a value of type f32")),
        }
    }

    fn serialize_f64(self, v: f64) -> MapperResult<()> {
        match self.field_type() {
            FieldType::Double if v.is_nan() && !self.optional => self.set_null(),
            FieldType::Double => {
                self.record.set_double(self.index, v);
                Ok(())
            }
            FieldType::Reference => self.reference(|r| ser::Serializer::serialize_f64(r, v)),
            FieldType::Float if self.w.dynamic => self.dynamic_number(v),
            _ => Err(self.mismatch("a value of type f64")),
        }
    }

    fn serialize_char(self, v: char) -> MapperResult<()> {
        match self.field_type() {
            FieldType::Int if v == '\0' && !self.optional => self.set_null(),
            FieldType::Int => {
                self.record.set_int(self.index, v as i32);
                Ok(())
            }
            FieldType::Long => {
                self.record.set_long(self.index, i64::from(u32::from(v)));
                Ok(())
            }
            FieldType::Reference => self.reference(|r| ser::Serializer::serialize_char(r, v)),
            _ => Err(self.mismatch("a char")),
        }
    }

    fn serialize_str(self, v: &str) -> MapperResult<()> {
        match self.field_type() {
            FieldType::String => {
                self.record.set_string(self.index, v);
                Ok(())
            }
            FieldType::Reference => self.reference(|r| ser::Serializer::serialize_str(r, v)),
            _ => Err(self.mismatch("a string")),
        }
    }

    fn serialize_bytes(self, v: &[u8]) -> MapperResult<()> {
        match self.field_type() {
            FieldType::Bytes => {
                self.record.set_bytes(self.index, v);
                Ok(())
            }
            FieldType::Reference => self.reference(|r| ser::Serializer::serialize_bytes(r, v)),
            _ => Err(self.mismatch("bytes")),
        }
    }

    fn serialize_none(self) -> MapperResult<()> {
        self.set_null()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> MapperResult<()> {
        value.serialize(FieldSer { optional: true, ..self })
    }

    fn serialize_unit(self) -> MapperResult<()> {
        Err(self.mismatch("()"))
    }

    fn serialize_unit_struct(self, name: &'static str) -> MapperResult<()> {
        match self.field_type() {
            FieldType::Reference => self.reference(|r| ser::Serializer::serialize_unit_struct(r, name)),
            _ => Err(self.mismatch(&format!("the unit struct {name}"))),
        }
    }

    fn serialize_unit_variant(self, name: &'static str, index: u32, variant: &'static str) -> MapperResult<()> {
        match self.field_type() {
            FieldType::String => {
                self.record.set_string(self.index, variant);
                Ok(())
            }
            FieldType::Reference => {
                self.reference(|r| ser::Serializer::serialize_unit_variant(r, name, index, variant))
            }
            _ => Err(self.mismatch(&format!("the enum {name}"))),
        }
    }

    same_in_records_and_fields!();

    fn serialize_seq(self, len: Option<usize>) -> MapperResult<FieldCompound<'s, 'e>> {
        let kind = match self.field_type() {
            FieldType::Bytes => FieldCompoundKind::Bytes(Vec::with_capacity(len.unwrap_or(0).min(1 << 16))),
            FieldType::Reference => return self.referenced_compound(|r| ser::Serializer::serialize_seq(r, len)),
            _ => return Err(self.mismatch("a sequence")),
        };
        Ok(FieldCompound { record: self.record, index: self.index, kind })
    }

    fn serialize_map(self, len: Option<usize>) -> MapperResult<FieldCompound<'s, 'e>> {
        match self.field_type() {
            FieldType::Reference => self.referenced_compound(|r| ser::Serializer::serialize_map(r, len)),
            _ => Err(self.mismatch("a map")),
        }
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> MapperResult<FieldCompound<'s, 'e>> {
        match self.field_type() {
            FieldType::Reference => self.referenced_compound(|r| ser::Serializer::serialize_struct(r, name, len)),
            _ => Err(self.mismatch(&format!("the struct {name}"))),
        }
    }
}

impl<'s, 'e> FieldSer<'s, 'e> {
    /// Start the compound record the field will refer to.
    fn referenced_compound(
        self,
        start: impl FnOnce(RecordSer<'s, 'e>) -> MapperResult<RecordCompound<'s, 'e>>,
    ) -> MapperResult<FieldCompound<'s, 'e>> {
        let Some(target) = self.owner.fields[self.index].referenced_type.as_deref() else {
            return Err(MapperError::mismatch("REFERENCE field without a referenced type"));
        };
        let schema = self.w.schema(target)?;
        let inner = start(child(self.w, schema, self.depth)?)?;
        Ok(FieldCompound { record: self.record, index: self.index, kind: FieldCompoundKind::Record(inner) })
    }
}

/// A field whose value is a sequence, map or struct: inline bytes, or a record it will refer to.
struct FieldCompound<'s, 'e> {
    record: &'s mut ObjectRecord,
    index: usize,
    kind: FieldCompoundKind<'s, 'e>,
}

enum FieldCompoundKind<'s, 'e> {
    Bytes(Vec<u8>),
    Record(RecordCompound<'s, 'e>),
}

impl<'s, 'e> FieldCompound<'s, 'e> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> MapperResult<()> {
        match &mut self.kind {
            FieldCompoundKind::Bytes(bytes) => {
                let index = bytes.len();
                bytes.push(value.serialize(ByteSer).map_err(|e| e.in_element(index))?);
                Ok(())
            }
            FieldCompoundKind::Record(inner) => inner.element(value),
        }
    }

    fn inner(&mut self) -> MapperResult<&mut RecordCompound<'s, 'e>> {
        match &mut self.kind {
            FieldCompoundKind::Record(inner) => Ok(inner),
            FieldCompoundKind::Bytes(_) => Err(MapperError::mismatch("a BYTES field takes a sequence of bytes")),
        }
    }

    fn finish(self) -> MapperResult<()> {
        match self.kind {
            FieldCompoundKind::Bytes(bytes) => {
                self.record.set_bytes(self.index, &bytes);
            }
            FieldCompoundKind::Record(inner) => {
                let ordinal = inner.finish()?;
                self.record.set_reference(self.index, ordinal);
            }
        }
        Ok(())
    }
}

sequence_impls!(FieldCompound, ());

impl ser::SerializeMap for FieldCompound<'_, '_> {
    type Ok = ();
    type Error = MapperError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> MapperResult<()> {
        self.inner()?.key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> MapperResult<()> {
        self.inner()?.value(value)
    }

    fn end(self) -> MapperResult<()> {
        self.finish()
    }
}

impl ser::SerializeStruct for FieldCompound<'_, '_> {
    type Ok = ();
    type Error = MapperError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> MapperResult<()> {
        self.inner()?.field(name, value)
    }

    fn skip_field(&mut self, _: &'static str) -> MapperResult<()> {
        self.inner()?.count += 1;
        Ok(())
    }

    fn end(self) -> MapperResult<()> {
        self.finish()
    }
}

// ----- small helpers: map entries as pairs, field names, bytes -----------------------------------

macro_rules! reject {
    ($what:literal; $($method:ident($($arg:ty),*);)*) => {
        $(
            fn $method(self, $(_: $arg),*) -> MapperResult<Self::Ok> {
                Err(MapperError::mismatch($what))
            }
        )*
    };
}

macro_rules! reject_compounds {
    ($what:literal) => {
        fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> MapperResult<Self::Ok> {
            Err(MapperError::mismatch($what))
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> MapperResult<Self::Ok> {
            Err(MapperError::mismatch($what))
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> MapperResult<Self::SerializeTupleStruct> {
            Err(MapperError::mismatch($what))
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> MapperResult<Self::SerializeTupleVariant> {
            Err(MapperError::mismatch($what))
        }
        fn serialize_map(self, _: Option<usize>) -> MapperResult<Self::SerializeMap> {
            Err(MapperError::mismatch($what))
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> MapperResult<Self::SerializeStruct> {
            Err(MapperError::mismatch($what))
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> MapperResult<Self::SerializeStructVariant> {
            Err(MapperError::mismatch($what))
        }
    };
}

/// A map entry given as a two-element sequence `[key, value]`.
struct PairSer<'w, 'e> {
    w: &'w mut Writer<'e>,
    key: Arc<Schema>,
    value: Arc<Schema>,
    /// The depth of the map record.
    depth: usize,
}

const NOT_A_PAIR: &str = "a map given as a sequence must hold [key, value] pairs";

impl<'w, 'e> ser::Serializer for PairSer<'w, 'e> {
    type Ok = (u32, u32);
    type Error = MapperError;
    type SerializeSeq = PairCompound<'w, 'e>;
    type SerializeTuple = PairCompound<'w, 'e>;
    type SerializeTupleStruct = Impossible<(u32, u32), MapperError>;
    type SerializeTupleVariant = Impossible<(u32, u32), MapperError>;
    type SerializeMap = Impossible<(u32, u32), MapperError>;
    type SerializeStruct = Impossible<(u32, u32), MapperError>;
    type SerializeStructVariant = Impossible<(u32, u32), MapperError>;

    reject! { "a map given as a sequence must hold [key, value] pairs";
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32); serialize_i64(i64);
        serialize_u8(u8); serialize_u16(u16); serialize_u32(u32); serialize_u64(u64); serialize_f32(f32);
        serialize_f64(f64); serialize_char(char); serialize_str(&str); serialize_bytes(&[u8]); serialize_none();
        serialize_unit(); serialize_unit_struct(&'static str); serialize_unit_variant(&'static str, u32, &'static str);
    }
    reject_compounds!("a map given as a sequence must hold [key, value] pairs");

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> MapperResult<(u32, u32)> {
        value.serialize(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> MapperResult<PairCompound<'w, 'e>> {
        Ok(PairCompound {
            w: self.w,
            key: self.key,
            value: self.value,
            ordinals: Vec::with_capacity(2),
            depth: self.depth,
        })
    }

    fn serialize_tuple(self, len: usize) -> MapperResult<PairCompound<'w, 'e>> {
        self.serialize_seq(Some(len))
    }
}

struct PairCompound<'w, 'e> {
    w: &'w mut Writer<'e>,
    key: Arc<Schema>,
    value: Arc<Schema>,
    ordinals: Vec<u32>,
    depth: usize,
}

impl PairCompound<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> MapperResult<()> {
        let (schema, is_key) = match self.ordinals.len() {
            0 => (self.key.clone(), true),
            1 => (self.value.clone(), false),
            _ => return Err(MapperError::mismatch(NOT_A_PAIR)),
        };
        let ordinal = value.serialize(child(&mut *self.w, schema, self.depth)?).map_err(|e| e.in_map(is_key))?;
        self.ordinals.push(ordinal);
        Ok(())
    }

    fn finish(self) -> MapperResult<(u32, u32)> {
        match self.ordinals.as_slice() {
            &[key, value] => Ok((key, value)),
            _ => Err(MapperError::mismatch(NOT_A_PAIR)),
        }
    }
}

sequence_impls!(PairCompound, (u32, u32));

/// A field name given as a map key.
struct FieldNameSer;

impl ser::Serializer for FieldNameSer {
    type Ok = String;
    type Error = MapperError;
    type SerializeSeq = Impossible<String, MapperError>;
    type SerializeTuple = Impossible<String, MapperError>;
    type SerializeTupleStruct = Impossible<String, MapperError>;
    type SerializeTupleVariant = Impossible<String, MapperError>;
    type SerializeMap = Impossible<String, MapperError>;
    type SerializeStruct = Impossible<String, MapperError>;
    type SerializeStructVariant = Impossible<String, MapperError>;

    reject! { "the keys of a map written as an OBJECT record must be field names (strings)";
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32); serialize_i64(i64);
        serialize_u8(u8); serialize_u16(u16); serialize_u32(u32); serialize_u64(u64); serialize_f32(f32);
        serialize_f64(f64); serialize_char(char); serialize_bytes(&[u8]); serialize_none();
        serialize_unit(); serialize_unit_struct(&'static str); serialize_unit_variant(&'static str, u32, &'static str);
    }
    reject_compounds!("the keys of a map written as an OBJECT record must be field names (strings)");

    fn serialize_str(self, v: &str) -> MapperResult<String> {
        Ok(v.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> MapperResult<String> {
        value.serialize(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> MapperResult<Self::SerializeSeq> {
        Err(MapperError::mismatch("field names must be strings"))
    }

    fn serialize_tuple(self, _: usize) -> MapperResult<Self::SerializeTuple> {
        Err(MapperError::mismatch("field names must be strings"))
    }
}

/// One byte of a BYTES value given as a sequence.
struct ByteSer;

/// Integers of any type are bytes when they fit `0..=255`.
macro_rules! bytes_from_integers {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method(self, v: $ty) -> MapperResult<u8> {
                byte(v)
            }
        )*
    };
}

const NOT_A_BYTE: &str = "a BYTES value given as a sequence must hold integers 0..=255";

fn byte(v: impl TryInto<u8>) -> MapperResult<u8> {
    v.try_into().map_err(|_| MapperError::mismatch(NOT_A_BYTE))
}

impl ser::Serializer for ByteSer {
    type Ok = u8;
    type Error = MapperError;
    type SerializeSeq = Impossible<u8, MapperError>;
    type SerializeTuple = Impossible<u8, MapperError>;
    type SerializeTupleStruct = Impossible<u8, MapperError>;
    type SerializeTupleVariant = Impossible<u8, MapperError>;
    type SerializeMap = Impossible<u8, MapperError>;
    type SerializeStruct = Impossible<u8, MapperError>;
    type SerializeStructVariant = Impossible<u8, MapperError>;

    reject! { "a BYTES value given as a sequence must hold integers 0..=255";
        serialize_bool(bool); serialize_f32(f32); serialize_f64(f64); serialize_char(char); serialize_str(&str);
        serialize_bytes(&[u8]); serialize_none(); serialize_unit(); serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }
    reject_compounds!("a BYTES value given as a sequence must hold integers 0..=255");

    bytes_from_integers! {
        serialize_u8(u8); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32); serialize_i64(i64);
        serialize_u16(u16); serialize_u32(u32); serialize_u64(u64);
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> MapperResult<u8> {
        value.serialize(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> MapperResult<Self::SerializeSeq> {
        Err(MapperError::mismatch(NOT_A_BYTE))
    }

    fn serialize_tuple(self, _: usize) -> MapperResult<Self::SerializeTuple> {
        Err(MapperError::mismatch(NOT_A_BYTE))
    }
}

//! Reading records into any `Deserialize` type, guided by the read engine's schemas (the rules are in
//! the [mapper documentation](super#reading)).
//!
//! `RecordDeserializer` offers a record: an OBJECT as a map of its fields (`FieldsAccess`), a LIST or
//! SET as a sequence (`ElementsAccess`), a MAP as a map (`EntriesAccess`), and a single-field OBJECT
//! also as that field's value. `FieldDeserializer` offers one field: its inline value, or the record a
//! REFERENCE points to. Every step into another record counts toward [`MAX_DEPTH`].

use std::borrow::Cow;

use serde::de::value::{BorrowedStrDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::derive::ENUM_NAME_FIELD;
use super::error::{MapperError, MapperResult};
use crate::error::{Error, Result};
use crate::read::{ObjectTypeReadState, ReadStateEngine, TypeReadState};
use crate::schema::{FieldType, Schema};

/// How deep records may nest (references, elements, keys, values) before reading gives up.
pub(crate) const MAX_DEPTH: usize = 128;

/// A record of a read engine, as a serde `Deserializer`.
pub(crate) struct RecordDeserializer<'a> {
    engine: &'a ReadStateEngine,
    ty: &'a TypeReadState,
    ordinal: u32,
    depth: usize,
}

impl<'a> RecordDeserializer<'a> {
    /// The record `ordinal` of `type_name`; [`Error::NotFound`] for an unknown type or an ordinal
    /// beyond the type's data.
    pub(crate) fn new(engine: &'a ReadStateEngine, type_name: &str, ordinal: u32) -> Result<Self> {
        let ty = engine
            .type_state(type_name)
            .ok_or_else(|| Error::NotFound(format!("type {type_name} is not in the read state")))?;
        if i64::from(ordinal) > i64::from(ty.max_ordinal()) {
            return Err(Error::NotFound(format!(
                "type {type_name} has no record {ordinal} (its largest ordinal is {})",
                ty.max_ordinal()
            )));
        }
        Ok(RecordDeserializer { engine, ty, ordinal, depth: 0 })
    }

    fn object(&self) -> Option<&'a ObjectTypeReadState> {
        match self.ty {
            TypeReadState::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The field of a single-field OBJECT record, for values stored boxed (`String`, `Integer`, ...).
    fn single_field(&self, wanted: &str) -> MapperResult<FieldDeserializer<'a>> {
        match self.object() {
            Some(o) if o.schema().fields.len() == 1 => Ok(self.field(o, 0)),
            _ => Err(self.cannot_read(wanted)),
        }
    }

    fn field(&self, object: &'a ObjectTypeReadState, field: usize) -> FieldDeserializer<'a> {
        FieldDeserializer { engine: self.engine, object, ordinal: self.ordinal, field, depth: self.depth }
    }

    fn cannot_read(&self, wanted: &str) -> MapperError {
        let what = match self.ty.schema() {
            Schema::Object(o) => format!("an OBJECT with {} field(s)", o.fields.len()),
            other => format!("a {}", other.kind().name()),
        };
        MapperError::mismatch(format!(
            "cannot read record {} of type {} ({what}) as {wanted}",
            self.ordinal,
            self.ty.name()
        ))
    }

    fn visit_fields<V: Visitor<'a>>(self, object: &'a ObjectTypeReadState, visitor: V) -> MapperResult<V::Value> {
        visitor.visit_map(FieldsAccess { record: self, object, next: 0, current: 0 })
    }

    fn visit_collection<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        let (engine, ordinal, depth) = (self.engine, self.ordinal, self.depth);
        match self.ty {
            TypeReadState::List(l) => {
                let element = l.schema().element_type.as_str();
                let elements = l.elements(ordinal).map(move |o| (element, o));
                visitor.visit_seq(ElementsAccess { engine, depth, elements, index: 0, size: l.size(ordinal) })
            }
            TypeReadState::Set(s) => {
                let element = s.schema().element_type.as_str();
                let elements = s.elements(ordinal).map(move |o| (element, o));
                visitor.visit_seq(ElementsAccess { engine, depth, elements, index: 0, size: s.size(ordinal) })
            }
            TypeReadState::Map(m) => {
                let schema = m.schema();
                let entries = m.entries(ordinal);
                visitor.visit_map(EntriesAccess {
                    engine,
                    depth,
                    key_type: &schema.key_type,
                    value_type: &schema.value_type,
                    entries,
                    pending_value: None,
                    size: m.size(ordinal),
                })
            }
            TypeReadState::Object(_) => Err(self.cannot_read("a collection")),
        }
    }
}

fn nested<'a>(
    engine: &'a ReadStateEngine,
    type_name: &str,
    ordinal: u32,
    depth: usize,
) -> MapperResult<RecordDeserializer<'a>> {
    if depth >= MAX_DEPTH {
        return Err(MapperError::new(Error::corrupt(
            format!("records nest more than {MAX_DEPTH} deep (a reference cycle?) at {type_name} {ordinal}"),
            0,
        )));
    }
    let ty = engine.type_state(type_name).ok_or_else(|| {
        MapperError::new(Error::NotFound(format!("referenced type {type_name} is not in the read state")))
    })?;
    Ok(RecordDeserializer { engine, ty, ordinal, depth: depth + 1 })
}

macro_rules! via_single_field {
    ($($method:ident => $wanted:literal;)*) => {
        $(
            fn $method<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
                self.single_field($wanted)?.$method(visitor)
            }
        )*
    };
}

impl<'a> de::Deserializer<'a> for RecordDeserializer<'a> {
    type Error = MapperError;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        match self.object() {
            Some(object) => self.visit_fields(object, visitor),
            None => self.visit_collection(visitor),
        }
    }

    via_single_field! {
        deserialize_bool => "a bool";
        deserialize_i8 => "an i8";
        deserialize_i16 => "an i16";
        deserialize_i32 => "an i32";
        deserialize_i64 => "an i64";
        deserialize_u8 => "a u8";
        deserialize_u16 => "a u16";
        deserialize_u32 => "a u32";
        deserialize_u64 => "a u64";
        deserialize_f32 => "an f32";
        deserialize_f64 => "an f64";
        deserialize_char => "a char";
        deserialize_str => "a string";
        deserialize_string => "a string";
        deserialize_bytes => "bytes";
        deserialize_byte_buf => "bytes";
        deserialize_identifier => "an identifier";
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'a>>(self, _: V) -> MapperResult<V::Value> {
        Err(self.cannot_read("()"))
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(self, name: &'static str, visitor: V) -> MapperResult<V::Value> {
        match self.object() {
            Some(_) => visitor.visit_unit(),
            None => Err(self.cannot_read(&format!("the unit struct {name}"))),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(self, _: &'static str, visitor: V) -> MapperResult<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        match self.ty {
            TypeReadState::List(_) | TypeReadState::Set(_) => self.visit_collection(visitor),
            _ => self.single_field("a sequence")?.deserialize_seq(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'a>>(self, _: usize, visitor: V) -> MapperResult<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(self, name: &'static str, _: usize, _: V) -> MapperResult<V::Value> {
        Err(self.cannot_read(&format!("the tuple struct {name}")))
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        match self.ty {
            TypeReadState::Map(_) => self.visit_collection(visitor),
            TypeReadState::Object(object) => self.visit_fields(object, visitor),
            _ => Err(self.cannot_read("a map")),
        }
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> MapperResult<V::Value> {
        match self.object() {
            Some(object) => self.visit_fields(object, visitor),
            None => Err(self.cannot_read(&format!("the struct {name}"))),
        }
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> MapperResult<V::Value> {
        let Some(object) = self.object() else { return Err(self.cannot_read(&format!("the enum {name}"))) };
        let index = object.field_index(ENUM_NAME_FIELD).or(match object.schema().fields.as_slice() {
            [only] if only.field_type == FieldType::String => Some(0),
            _ => None,
        });
        match index {
            Some(index) => self.field(object, index).deserialize_enum(name, &[], visitor),
            None => Err(self.cannot_read(&format!("the enum {name} (no `_name` field)"))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        visitor.visit_unit()
    }
}

fn null_not_optional() -> MapperError {
    MapperError::mismatch("the field is null but the Rust type is not an Option")
}

// ----- fields -------------------------------------------------------------------------------------

/// One field of an OBJECT record.
struct FieldDeserializer<'a> {
    engine: &'a ReadStateEngine,
    object: &'a ObjectTypeReadState,
    ordinal: u32,
    field: usize,
    depth: usize,
}

impl<'a> FieldDeserializer<'a> {
    fn field_type(&self) -> FieldType {
        self.object.schema().fields[self.field].field_type
    }

    fn is_null(&self) -> bool {
        self.object.is_null(self.ordinal, self.field)
    }

    /// The record a non-null REFERENCE field points to.
    fn referenced(&self) -> MapperResult<Option<RecordDeserializer<'a>>> {
        let field = &self.object.schema().fields[self.field];
        let Some(target) = field.referenced_type.as_deref() else {
            return Err(MapperError::mismatch("REFERENCE field without a referenced type"));
        };
        match self.object.read_ordinal(self.ordinal, self.field) {
            Some(o) => nested(self.engine, target, o, self.depth).map(Some),
            None => Ok(None),
        }
    }

    fn null_error(&self) -> MapperError {
        null_not_optional()
    }

    fn string(&self) -> MapperResult<Option<Cow<'a, str>>> {
        match self.object.read_string(self.ordinal, self.field) {
            Some(s) => Ok(Some(s)),
            None if self.is_null() => Ok(None),
            None => Err(MapperError::new(Error::corrupt(
                format!("STRING field {} of record {} is not valid text", self.field, self.ordinal),
                0,
            ))),
        }
    }

    /// The value as its own kind (what `deserialize_any` offers).
    fn visit_value<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        let (o, f) = (self.ordinal, self.field);
        match self.field_type() {
            FieldType::Int => match self.object.read_int(o, f) {
                Some(v) => visitor.visit_i32(v),
                None => visitor.visit_none(),
            },
            FieldType::Long => match self.object.read_long(o, f) {
                Some(v) => visitor.visit_i64(v),
                None => visitor.visit_none(),
            },
            FieldType::Float => match self.object.read_float(o, f) {
                Some(v) => visitor.visit_f32(v),
                None => visitor.visit_none(),
            },
            FieldType::Double => match self.object.read_double(o, f) {
                Some(v) => visitor.visit_f64(v),
                None => visitor.visit_none(),
            },
            FieldType::Boolean => match self.object.read_boolean(o, f) {
                Some(v) => visitor.visit_bool(v),
                None => visitor.visit_none(),
            },
            FieldType::String => match self.string()? {
                Some(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
                Some(Cow::Owned(s)) => visitor.visit_string(s),
                None => visitor.visit_none(),
            },
            FieldType::Bytes => match self.object.read_bytes(o, f) {
                Some(b) => visitor.visit_borrowed_bytes(b),
                None => visitor.visit_none(),
            },
            FieldType::Reference => match self.referenced()? {
                Some(record) => de::Deserializer::deserialize_any(record, visitor),
                None => visitor.visit_none(),
            },
        }
    }

    /// For a request that is not an Option: null numbers read as Java reads them into primitives;
    /// anything else null is an error.
    fn visit_required<V: Visitor<'a>>(
        self,
        visitor: V,
        null: impl FnOnce(V) -> MapperResult<V::Value>,
    ) -> MapperResult<V::Value> {
        if self.field_type() != FieldType::Reference && self.is_null() {
            return match self.field_type() {
                FieldType::String | FieldType::Bytes => Err(self.null_error()),
                _ => null(visitor),
            };
        }
        self.visit_value(visitor)
    }
}

/// Where a field's value is: inline in the record, in a referenced record, or nowhere (null reference).
enum Target<'a> {
    Inline,
    Record(RecordDeserializer<'a>),
    NullReference,
}

impl<'a> FieldDeserializer<'a> {
    fn target(&self) -> MapperResult<Target<'a>> {
        if self.field_type() != FieldType::Reference {
            return Ok(Target::Inline);
        }
        Ok(match self.referenced()? {
            Some(record) => Target::Record(record),
            None => Target::NullReference,
        })
    }
}

/// For a REFERENCE field, hand the request to the referenced record (a null reference is an error: the
/// Rust type is not an Option, or deserialize_option would have been called).
macro_rules! follow_reference {
    ($self:ident, $method:ident($($arg:expr),*)) => {
        match $self.target()? {
            Target::Record(record) => return record.$method($($arg),*),
            Target::NullReference => return Err(null_not_optional()),
            Target::Inline => {}
        }
    };
}

macro_rules! required_number {
    ($($method:ident => $null:expr;)*) => {
        $(
            fn $method<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
                follow_reference!(self, $method(visitor));
                self.visit_required(visitor, $null)
            }
        )*
    };
}

macro_rules! required_value {
    ($($method:ident;)*) => {
        $(
            fn $method<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
                follow_reference!(self, $method(visitor));
                self.visit_required(visitor, |_| Err(null_not_optional()))
            }
        )*
    };
}

impl<'a> de::Deserializer<'a> for FieldDeserializer<'a> {
    type Error = MapperError;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        self.visit_value(visitor)
    }

    required_number! {
        deserialize_i8 => |v: V| v.visit_i8(i8::MIN);
        deserialize_i16 => |v: V| v.visit_i16(i16::MIN);
        deserialize_i32 => |v: V| v.visit_i32(i32::MIN);
        deserialize_i64 => |v: V| v.visit_i64(i64::MIN);
        deserialize_u8 => |v: V| v.visit_u8(0);
        deserialize_u16 => |v: V| v.visit_u16(0);
        deserialize_u32 => |v: V| v.visit_u32(0);
        deserialize_u64 => |v: V| v.visit_u64(0);
        deserialize_f32 => |v: V| v.visit_f32(f32::NAN);
        deserialize_f64 => |v: V| v.visit_f64(f64::NAN);
        deserialize_bool => |v: V| v.visit_bool(false);
    }

    required_value! {
        deserialize_str;
        deserialize_string;
        deserialize_bytes;
        deserialize_byte_buf;
        deserialize_identifier;
    }

    fn deserialize_i128<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_u128<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_char<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        follow_reference!(self, deserialize_char(visitor));
        let code = match self.field_type() {
            FieldType::Int => self.object.read_int(self.ordinal, self.field).map(i64::from),
            FieldType::Long => self.object.read_long(self.ordinal, self.field),
            // A one-character string, or a mismatch the visitor reports.
            _ => return self.visit_required(visitor, |_| Err(null_not_optional())),
        };
        match code {
            None => visitor.visit_char('\0'),
            Some(code) => match u32::try_from(code).ok().and_then(char::from_u32) {
                Some(c) => visitor.visit_char(c),
                None => Err(MapperError::mismatch(format!("{code} is not a Unicode scalar value"))),
            },
        }
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        match self.target()? {
            Target::Record(record) => visitor.visit_some(record),
            Target::NullReference => visitor.visit_none(),
            Target::Inline if self.is_null() => visitor.visit_none(),
            Target::Inline => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        if self.is_null() {
            visitor.visit_unit()
        } else {
            Err(MapperError::mismatch("cannot read a non-null field as ()"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(self, name: &'static str, visitor: V) -> MapperResult<V::Value> {
        follow_reference!(self, deserialize_unit_struct(name, visitor));
        Err(MapperError::mismatch(format!("cannot read an inline field as the unit struct {name}")))
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(self, _: &'static str, visitor: V) -> MapperResult<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        follow_reference!(self, deserialize_seq(visitor));
        match self.field_type() {
            FieldType::Bytes => match self.object.read_bytes(self.ordinal, self.field) {
                Some(bytes) => visitor.visit_seq(SeqDeserializer::new(bytes.iter().copied())),
                None => Err(self.null_error()),
            },
            other => Err(MapperError::mismatch(format!("cannot read a {} field as a sequence", other.java_name()))),
        }
    }

    fn deserialize_tuple<V: Visitor<'a>>(self, _: usize, visitor: V) -> MapperResult<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(self, name: &'static str, _: usize, _: V) -> MapperResult<V::Value> {
        Err(MapperError::mismatch(format!("cannot read a field as the tuple struct {name}")))
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        follow_reference!(self, deserialize_map(visitor));
        Err(MapperError::mismatch(format!("cannot read a {} field as a map", self.field_type().java_name())))
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> MapperResult<V::Value> {
        follow_reference!(self, deserialize_struct(name, fields, visitor));
        Err(MapperError::mismatch(format!(
            "cannot read a {} field as the struct {name}",
            self.field_type().java_name()
        )))
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> MapperResult<V::Value> {
        follow_reference!(self, deserialize_enum(name, variants, visitor));
        match self.field_type() {
            FieldType::String => match self.string()? {
                Some(variant) => visitor.visit_enum(variant.into_owned().into_deserializer()),
                None => Err(self.null_error()),
            },
            other => {
                Err(MapperError::mismatch(format!("cannot read a {} field as the enum {name}", other.java_name())))
            }
        }
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> MapperResult<V::Value> {
        visitor.visit_unit()
    }
}

// ----- accesses -----------------------------------------------------------------------------------

/// The fields of an OBJECT record as a map, skipping null REFERENCE/STRING/BYTES fields.
struct FieldsAccess<'a> {
    record: RecordDeserializer<'a>,
    object: &'a ObjectTypeReadState,
    next: usize,
    current: usize,
}

impl<'a> de::MapAccess<'a> for FieldsAccess<'a> {
    type Error = MapperError;

    fn next_key_seed<K: DeserializeSeed<'a>>(&mut self, seed: K) -> MapperResult<Option<K::Value>> {
        let fields = &self.object.schema().fields;
        while let Some(field) = fields.get(self.next) {
            let index = self.next;
            self.next += 1;
            let skip = matches!(field.field_type, FieldType::Reference | FieldType::String | FieldType::Bytes)
                && self.object.is_null(self.record.ordinal, index);
            if !skip {
                self.current = index;
                return seed.deserialize(BorrowedStrDeserializer::new(field.name.as_str())).map(Some);
            }
        }
        Ok(None)
    }

    fn next_value_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> MapperResult<S::Value> {
        let field = self.record.field(self.object, self.current);
        seed.deserialize(field)
            .map_err(|e| e.in_field(self.object.name(), &self.object.schema().fields[self.current].name))
    }
}

/// The elements of a LIST or SET record.
struct ElementsAccess<'a, I> {
    engine: &'a ReadStateEngine,
    depth: usize,
    elements: I,
    index: usize,
    size: usize,
}

impl<'a, I: Iterator<Item = (&'a str, u32)>> de::SeqAccess<'a> for ElementsAccess<'a, I> {
    type Error = MapperError;

    fn next_element_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> MapperResult<Option<S::Value>> {
        let Some((element_type, ordinal)) = self.elements.next() else { return Ok(None) };
        let index = self.index;
        self.index += 1;
        let record = nested(self.engine, element_type, ordinal, self.depth)?;
        seed.deserialize(record).map(Some).map_err(|e| e.in_element(index))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.size.saturating_sub(self.index))
    }
}

/// The entries of a MAP record.
struct EntriesAccess<'a, I> {
    engine: &'a ReadStateEngine,
    depth: usize,
    key_type: &'a str,
    value_type: &'a str,
    entries: I,
    pending_value: Option<u32>,
    size: usize,
}

impl<'a, I: Iterator<Item = (u32, u32)>> de::MapAccess<'a> for EntriesAccess<'a, I> {
    type Error = MapperError;

    fn next_key_seed<K: DeserializeSeed<'a>>(&mut self, seed: K) -> MapperResult<Option<K::Value>> {
        let Some((key, value)) = self.entries.next() else { return Ok(None) };
        self.pending_value = Some(value);
        self.size = self.size.saturating_sub(1);
        let record = nested(self.engine, self.key_type, key, self.depth)?;
        seed.deserialize(record).map(Some).map_err(|e| e.in_map(true))
    }

    fn next_value_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> MapperResult<S::Value> {
        let value =
            self.pending_value.take().ok_or_else(|| MapperError::invalid("a map value asked for before its key"))?;
        let record = nested(self.engine, self.value_type, value, self.depth)?;
        seed.deserialize(record).map_err(|e| e.in_map(false))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.size)
    }
}

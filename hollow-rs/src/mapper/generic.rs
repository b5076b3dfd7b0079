//! Generic records: values whose shape is known only at run time, from the schemas.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::de::MAX_DEPTH;
use crate::error::{Error, Result};
use crate::read::{ObjectTypeReadState, ReadStateEngine, TypeReadState};
use crate::schema::FieldType;

/// A record, or a field value, without a Rust type: what [`read_generic`] returns, what
/// [`from_json`](super::from_json) builds, and what
/// [`ObjectMapper::add_generic`](super::ObjectMapper::add_generic) writes.
///
/// Records carry the name of their type. A reference is the referenced record itself, so a value is a
/// tree (records shared by several parents appear in each). Floats compare by their bits, so equality
/// is reflexive (a NaN equals itself) and tells `0.0` from `-0.0`, as Hollow does.
#[derive(Debug, Clone)]
pub enum GenericValue {
    /// A null field.
    Null,
    /// A BOOLEAN field.
    Boolean(bool),
    /// An INT field.
    Int(i32),
    /// A LONG field.
    Long(i64),
    /// A FLOAT field.
    Float(f32),
    /// A DOUBLE field.
    Double(f64),
    /// A STRING field.
    String(String),
    /// A BYTES field.
    Bytes(Vec<u8>),
    /// An OBJECT record: its fields in schema order (null ones as [`GenericValue::Null`]).
    Object {
        /// The record's type.
        type_name: String,
        /// Field name and value, in schema order.
        fields: Vec<(String, GenericValue)>,
    },
    /// A LIST record.
    List {
        /// The record's type.
        type_name: String,
        /// The elements, in order.
        elements: Vec<GenericValue>,
    },
    /// A SET record.
    Set {
        /// The record's type.
        type_name: String,
        /// The elements (read: in Hollow's iteration order).
        elements: Vec<GenericValue>,
    },
    /// A MAP record.
    Map {
        /// The record's type.
        type_name: String,
        /// Key and value of each entry (read: in Hollow's iteration order).
        entries: Vec<(GenericValue, GenericValue)>,
    },
}

impl GenericValue {
    /// The type of a record; `None` for a field value.
    pub fn type_name(&self) -> Option<&str> {
        match self {
            GenericValue::Object { type_name, .. }
            | GenericValue::List { type_name, .. }
            | GenericValue::Set { type_name, .. }
            | GenericValue::Map { type_name, .. } => Some(type_name),
            _ => None,
        }
    }

    /// The value of field `name` of an OBJECT record.
    pub fn field(&self, name: &str) -> Option<&GenericValue> {
        match self {
            GenericValue::Object { fields, .. } => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// True for [`GenericValue::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, GenericValue::Null)
    }

    /// The string of a STRING value, or of a record whose only field is one (a `String` record).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            GenericValue::String(s) => Some(s),
            GenericValue::Object { fields, .. } if fields.len() == 1 => fields[0].1.as_str(),
            _ => None,
        }
    }

    /// The integer of an INT or LONG value, or of a record whose only field is one (`Integer`, `Long`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            GenericValue::Int(v) => Some(i64::from(*v)),
            GenericValue::Long(v) => Some(*v),
            GenericValue::Object { fields, .. } if fields.len() == 1 => fields[0].1.as_i64(),
            _ => None,
        }
    }

    /// The value as JSON: records as objects (field name to value), lists and sets as arrays, maps as
    /// objects when every key is a string (or a record of one string field) and as arrays of
    /// `[key, value]` pairs otherwise, bytes as arrays of numbers, non-finite floats as the strings
    /// `"NaN"`, `"Infinity"`, `"-Infinity"`. [`from_json`](super::from_json) reads this form back.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            GenericValue::Null => J::Null,
            GenericValue::Boolean(b) => J::Bool(*b),
            GenericValue::Int(v) => J::from(*v),
            GenericValue::Long(v) => J::from(*v),
            GenericValue::Float(v) => float_json(f64::from(*v)),
            GenericValue::Double(v) => float_json(*v),
            GenericValue::String(s) => J::String(s.clone()),
            GenericValue::Bytes(b) => J::Array(b.iter().map(|&x| J::from(x)).collect()),
            GenericValue::Object { fields, .. } => {
                J::Object(fields.iter().map(|(n, v)| (n.clone(), v.to_json())).collect())
            }
            GenericValue::List { elements, .. } | GenericValue::Set { elements, .. } => {
                J::Array(elements.iter().map(GenericValue::to_json).collect())
            }
            GenericValue::Map { entries, .. } => {
                if entries.iter().all(|(k, _)| k.as_str().is_some()) {
                    J::Object(
                        entries.iter().map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), v.to_json())).collect(),
                    )
                } else {
                    J::Array(entries.iter().map(|(k, v)| J::Array(vec![k.to_json(), v.to_json()])).collect())
                }
            }
        }
    }
}

fn float_json(v: f64) -> serde_json::Value {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

impl PartialEq for GenericValue {
    fn eq(&self, other: &Self) -> bool {
        use GenericValue::*;
        match (self, other) {
            (Null, Null) => true,
            (Boolean(a), Boolean(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Long(a), Long(b)) => a == b,
            (Float(a), Float(b)) => a.to_bits() == b.to_bits(),
            (Double(a), Double(b)) => a.to_bits() == b.to_bits(),
            (String(a), String(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (Object { type_name: t, fields: f }, Object { type_name: u, fields: g }) => t == u && f == g,
            (List { type_name: t, elements: e }, List { type_name: u, elements: f })
            | (Set { type_name: t, elements: e }, Set { type_name: u, elements: f }) => t == u && e == f,
            (Map { type_name: t, entries: e }, Map { type_name: u, entries: f }) => t == u && e == f,
            _ => false,
        }
    }
}

impl Eq for GenericValue {}

impl fmt::Display for GenericValue {
    /// The [`to_json`](GenericValue::to_json) form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

/// Serializes as the records it describes, so a writer guided by the schemas can store it: records as
/// maps of field names (the type name is not part of it: the schema being written decides), lists and
/// sets as sequences, maps as maps. Scalars go through `Some(..)` so a NaN or a minimum value is kept
/// as such rather than made null (see the writer's null rules).
impl Serialize for GenericValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            GenericValue::Null => serializer.serialize_none(),
            GenericValue::Boolean(v) => serializer.serialize_some(v),
            GenericValue::Int(v) => serializer.serialize_some(v),
            GenericValue::Long(v) => serializer.serialize_some(v),
            GenericValue::Float(v) => serializer.serialize_some(v),
            GenericValue::Double(v) => serializer.serialize_some(v),
            GenericValue::String(v) => serializer.serialize_some(v),
            GenericValue::Bytes(v) => serializer.serialize_some(&Bytes(v)),
            GenericValue::Object { fields, .. } => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (name, value) in fields {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
            GenericValue::List { elements, .. } | GenericValue::Set { elements, .. } => {
                let mut seq = serializer.serialize_seq(Some(elements.len()))?;
                for element in elements {
                    seq.serialize_element(element)?;
                }
                seq.end()
            }
            GenericValue::Map { entries, .. } => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// Read record `ordinal` of `type_name`, and everything it refers to, as a [`GenericValue`].
///
/// # Errors
///
/// Fails with [`Error::NotFound`] for an unknown type or an ordinal beyond the type's data, and with
/// [`Error::CorruptBlob`] for records nested more than 128 deep (a reference cycle in a hostile blob)
/// or undecodable strings.
pub fn read_generic(engine: &ReadStateEngine, type_name: &str, ordinal: u32) -> Result<GenericValue> {
    let ty = engine
        .type_state(type_name)
        .ok_or_else(|| Error::NotFound(format!("type {type_name} is not in the read state")))?;
    if i64::from(ordinal) > i64::from(ty.max_ordinal()) {
        return Err(Error::NotFound(format!(
            "type {type_name} has no record {ordinal} (its largest ordinal is {})",
            ty.max_ordinal()
        )));
    }
    GenericReader { engine }.record(ty, ordinal, 0)
}

struct GenericReader<'a> {
    engine: &'a ReadStateEngine,
}

impl<'a> GenericReader<'a> {
    fn nested(&self, type_name: &str, ordinal: u32, depth: usize) -> Result<GenericValue> {
        if depth >= MAX_DEPTH {
            return Err(Error::corrupt(
                format!("records nest more than {MAX_DEPTH} deep (a reference cycle?) at {type_name} {ordinal}"),
                0,
            ));
        }
        let ty = self
            .engine
            .type_state(type_name)
            .ok_or_else(|| Error::NotFound(format!("referenced type {type_name} is not in the read state")))?;
        self.record(ty, ordinal, depth + 1)
    }

    fn record(&self, ty: &'a TypeReadState, ordinal: u32, depth: usize) -> Result<GenericValue> {
        let type_name = ty.name().to_owned();
        Ok(match ty {
            TypeReadState::Object(o) => {
                let fields = o
                    .schema()
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| Ok((f.name.clone(), self.field(o, ordinal, i, depth)?)))
                    .collect::<Result<_>>()?;
                GenericValue::Object { type_name, fields }
            }
            TypeReadState::List(l) => {
                let element = &l.schema().element_type;
                let elements = l.elements(ordinal).map(|e| self.nested(element, e, depth)).collect::<Result<_>>()?;
                GenericValue::List { type_name, elements }
            }
            TypeReadState::Set(s) => {
                let element = &s.schema().element_type;
                let elements = s.elements(ordinal).map(|e| self.nested(element, e, depth)).collect::<Result<_>>()?;
                GenericValue::Set { type_name, elements }
            }
            TypeReadState::Map(m) => {
                let schema = m.schema();
                let entries = m
                    .entries(ordinal)
                    .map(|(k, v)| {
                        Ok((self.nested(&schema.key_type, k, depth)?, self.nested(&schema.value_type, v, depth)?))
                    })
                    .collect::<Result<_>>()?;
                GenericValue::Map { type_name, entries }
            }
        })
    }

    fn field(&self, o: &ObjectTypeReadState, ordinal: u32, field: usize, depth: usize) -> Result<GenericValue> {
        let schema_field = &o.schema().fields[field];
        let value = match (schema_field.field_type, &schema_field.referenced_type) {
            (FieldType::Reference, Some(target_type)) => match o.read_ordinal(ordinal, field) {
                Some(target) => Some(self.nested(target_type, target, depth)?),
                None => None,
            },
            _ => read_value_field(o, ordinal, field)?,
        };
        Ok(value.unwrap_or(GenericValue::Null))
    }
}

/// Field `field` of record `ordinal` when it holds a value rather than a reference: `None` when it is
/// null, and for a REFERENCE field (whose value is a record: see [`read_generic`]).
///
/// # Errors
///
/// [`Error::CorruptBlob`] for a STRING field whose stored text does not decode.
pub fn read_value_field(o: &ObjectTypeReadState, ordinal: u32, field: usize) -> Result<Option<GenericValue>> {
    let schema_field = &o.schema().fields[field];
    Ok(match schema_field.field_type {
        FieldType::Int => o.read_int(ordinal, field).map(GenericValue::Int),
        FieldType::Long => o.read_long(ordinal, field).map(GenericValue::Long),
        FieldType::Float => o.read_float(ordinal, field).map(GenericValue::Float),
        FieldType::Double => o.read_double(ordinal, field).map(GenericValue::Double),
        FieldType::Boolean => o.read_boolean(ordinal, field).map(GenericValue::Boolean),
        FieldType::Bytes => o.read_bytes(ordinal, field).map(|b| GenericValue::Bytes(b.to_vec())),
        FieldType::String => match o.read_string(ordinal, field) {
            Some(s) => Some(GenericValue::String(s.into_owned())),
            None if o.is_null(ordinal, field) => None,
            None => {
                return Err(Error::corrupt(
                    format!("field {}.{} of record {ordinal} is not valid text", o.name(), schema_field.name),
                    0,
                ))
            }
        },
        FieldType::Reference => None,
    })
}

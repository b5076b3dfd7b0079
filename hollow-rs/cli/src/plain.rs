//! `hollow dump --format plain`: records as plain JSON values, one per line, for `jq` and for
//! `hollow produce --input`.
//!
//! A value is what a program would hold, not how Hollow stores it:
//! * INT, LONG, FLOAT, DOUBLE are JSON numbers (a FLOAT in its shortest decimal form; NaN and the
//!   infinities, which JSON lacks, as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`), BOOLEAN a
//!   boolean, STRING a string, BYTES an array of numbers, null `null`.
//! * A record of one field that is not a reference (`String { string value; }`, `Integer`, ...) is
//!   that field's value: a `String` title is `"Alien"`. Such records cost no depth.
//! * An OBJECT is an object of its fields; a LIST or SET an array; a MAP an object when every key is a
//!   string, else an array of `{"key": K, "value": V}` (jq's `from_entries` reads both).
//! * References are followed `depth` levels deep (each hop to a record that is not a one-field value
//!   counts one); past that, a reference is `{"$type": T, "$ordinal": N}`, so a record is never cut
//!   silently. The depth also bounds recursion on hostile blobs whose references form cycles.

use std::io::Write;

use hollow::mapper::{read_value_field, GenericValue};
use hollow::read::{ObjectTypeReadState, ReadStateEngine, TypeReadState};
use hollow::schema::FieldType;
use hollow::{Error, Result};
use serde_json::{Map, Value as Json};

/// The deepest `--depth` accepted: beyond it a dump of a deep chain would only exhaust the stack.
pub const MAX_DEPTH: u8 = 64;

/// Writes records of one read state as plain JSON values.
pub struct PlainWriter<'a> {
    engine: &'a ReadStateEngine,
    depth: usize,
}

impl<'a> PlainWriter<'a> {
    /// References followed `depth` levels deep from each top-level record.
    pub fn new(engine: &'a ReadStateEngine, depth: u8) -> Self {
        PlainWriter { engine, depth: usize::from(depth.min(MAX_DEPTH)) }
    }

    /// Every populated record of the types `include` accepts, one JSON line each, in type order then
    /// ordinal order. With `bare`, a line is the record alone (the input `produce --type T` reads);
    /// otherwise `{"type": T, "value": record}` (the input `produce` reads without --type).
    pub fn write_types(&self, out: &mut dyn Write, include: impl Fn(&str) -> bool, bare: bool) -> Result<()> {
        let write_error = |e| Error::io("writing standard output", e);
        for ty in self.engine.types().filter(|t| include(t.name())) {
            for ordinal in ty.populated().iter() {
                let value = self.record(ty, ordinal, self.depth)?;
                let line = if bare { value } else { serde_json::json!({ "type": ty.name(), "value": value }) };
                serde_json::to_writer(&mut *out, &line).map_err(|e| write_error(e.into()))?;
                out.write_all(b"\n").map_err(write_error)?;
            }
        }
        Ok(())
    }

    /// Record `ordinal` of `ty`, its references followed `remaining` more levels.
    fn record(&self, ty: &TypeReadState, ordinal: u32, remaining: usize) -> Result<Json> {
        Ok(match ty {
            TypeReadState::Object(o) => {
                if let Some(field) = value_field(o) {
                    return self.field(o, ordinal, field, remaining);
                }
                let mut fields = Map::new();
                for (i, f) in o.schema().fields.iter().enumerate() {
                    fields.insert(f.name.clone(), self.field(o, ordinal, i, remaining)?);
                }
                Json::Object(fields)
            }
            TypeReadState::List(l) => {
                let element = &l.schema().element_type;
                Json::Array(l.elements(ordinal).map(|e| self.reference(element, e, remaining)).collect::<Result<_>>()?)
            }
            TypeReadState::Set(s) => {
                let element = &s.schema().element_type;
                Json::Array(s.elements(ordinal).map(|e| self.reference(element, e, remaining)).collect::<Result<_>>()?)
            }
            TypeReadState::Map(m) => {
                let schema = m.schema();
                let entries = m
                    .entries(ordinal)
                    .map(|(k, v)| {
                        Ok((
                            self.reference(&schema.key_type, k, remaining)?,
                            self.reference(&schema.value_type, v, remaining)?,
                        ))
                    })
                    .collect::<Result<Vec<_>>>()?;
                map_json(entries)
            }
        })
    }

    /// The record a reference points at: a one-field value always, others while depth remains.
    fn reference(&self, type_name: &str, ordinal: u32, remaining: usize) -> Result<Json> {
        let ty = self
            .engine
            .type_state(type_name)
            .ok_or_else(|| Error::NotFound(format!("referenced type {type_name} is not in the read state")))?;
        if let TypeReadState::Object(o) = ty {
            if let Some(field) = value_field(o) {
                return self.field(o, ordinal, field, remaining);
            }
        }
        if remaining == 0 {
            return Ok(serde_json::json!({ "$type": type_name, "$ordinal": ordinal }));
        }
        self.record(ty, ordinal, remaining - 1)
    }

    fn field(&self, o: &ObjectTypeReadState, ordinal: u32, field: usize, remaining: usize) -> Result<Json> {
        let schema_field = &o.schema().fields[field];
        let value = match (schema_field.field_type, &schema_field.referenced_type) {
            (FieldType::Reference, Some(target_type)) => match o.read_ordinal(ordinal, field) {
                Some(target) => Some(self.reference(target_type, target, remaining)?),
                None => None,
            },
            _ => read_value_field(o, ordinal, field)?.map(|value| plain_value(&value)),
        };
        Ok(value.unwrap_or(Json::Null))
    }
}

/// The field a one-field, non-reference OBJECT stands for (`String.value`), if `o` is one.
fn value_field(o: &ObjectTypeReadState) -> Option<usize> {
    match o.schema().fields.as_slice() {
        [only] if only.field_type != FieldType::Reference => Some(0),
        _ => None,
    }
}

/// A field's value as JSON: as [`GenericValue::to_json`] writes it (non-finite floats as the strings
/// `"NaN"`, `"Infinity"`, `"-Infinity"`), except a finite FLOAT, which goes through its shortest decimal
/// text: 0.1f32 is 0.1, not 0.10000000149011612.
fn plain_value(value: &GenericValue) -> Json {
    match value {
        GenericValue::Float(v) if v.is_finite() => {
            v.to_string().parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(Json::Null, Json::Number)
        }
        other => other.to_json(),
    }
}

/// A map as an object when every key is a string, else as `[{"key": K, "value": V}, ...]`.
fn map_json(entries: Vec<(Json, Json)>) -> Json {
    if entries.iter().all(|(k, _)| k.is_string()) {
        let mut object = Map::new();
        for (k, v) in entries {
            if let Json::String(k) = k {
                object.insert(k, v);
            }
        }
        Json::Object(object)
    } else {
        Json::Array(entries.into_iter().map(|(key, value)| serde_json::json!({ "key": key, "value": value })).collect())
    }
}

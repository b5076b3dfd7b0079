//! JSON to generic records, following the schemas.

use serde_json::Value as Json;

use super::de::MAX_DEPTH;
use super::error::{MapperError, MapperResult};
use super::generic::GenericValue;
use crate::error::Result;
use crate::schema::paths::SchemaLookup;
use crate::schema::{FieldType, ObjectField, ObjectSchema, Schema};

/// Convert `json` to a record of `type_name`, following `schemas` (a write or read engine, or any
/// [`SchemaLookup`]).
///
/// | Schema                | JSON accepted                                                              |
/// |-----------------------|----------------------------------------------------------------------------|
/// | OBJECT                | an object of field values (missing fields are null; unknown ones an error) |
/// | OBJECT with one field | also the field's value alone: `"abc"` for a `String` record, `5` for `Integer`, `"RED"` for an enum |
/// | LIST, SET             | an array of elements                                                       |
/// | MAP                   | an object (keys are strings converted to the key type, numbers parsed when the key type holds one) or an array of `[key, value]` pairs or `{"key": K, "value": V}` objects |
///
/// Field values: INT and LONG take integers in range; FLOAT and DOUBLE numbers, `hollow dump`'s
/// `{"v": …, "bits": "<IEEE hex>"}` (the bits are used exactly), or the strings `"-0.0"`, `"NaN"`,
/// `"Infinity"`, `"-Infinity"`; BOOLEAN `true`/`false`; STRING strings; BYTES arrays of integers 0..=255
/// or `{"hex": "..."}`; REFERENCE whatever the referenced type takes; any field `null`.
///
/// # Errors
///
/// Fails with [`Error::SchemaMismatch`](crate::Error::SchemaMismatch) (naming the path, as in
/// `Show.cast[2].name`) when the JSON does not fit, [`Error::NotFound`](crate::Error::NotFound) for a
/// type missing from `schemas`.
pub fn from_json(json: &Json, type_name: &str, schemas: &(impl SchemaLookup + ?Sized)) -> Result<GenericValue> {
    Converter { schemas }.record(json, type_name, 0).map_err(Into::into)
}

struct Converter<'s, L: ?Sized> {
    schemas: &'s L,
}

fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

impl<L: SchemaLookup + ?Sized> Converter<'_, L> {
    fn schema(&self, type_name: &str) -> MapperResult<&Schema> {
        self.schemas
            .schema(type_name)
            .ok_or_else(|| MapperError::new(crate::Error::NotFound(format!("type {type_name} has no schema"))))
    }

    fn record(&self, json: &Json, type_name: &str, depth: usize) -> MapperResult<GenericValue> {
        if depth >= MAX_DEPTH {
            return Err(MapperError::invalid(format!("records nest more than {MAX_DEPTH} deep")));
        }
        let schema = self.schema(type_name)?;
        let type_name = type_name.to_owned();
        match (schema, json) {
            (_, Json::Null) => Err(MapperError::invalid(format!(
                "null where a record of type {type_name} is required (collections cannot hold nulls)"
            ))),
            (Schema::Object(object), Json::Object(members)) => {
                for name in members.keys() {
                    if object.field_index(name).is_none() {
                        return Err(MapperError::mismatch(format!(
                            "type {type_name} has no field {name} (its fields: {})",
                            object.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
                        )));
                    }
                }
                let fields = object
                    .fields
                    .iter()
                    .map(|f| {
                        let value = members.get(&f.name).unwrap_or(&Json::Null);
                        let converted = self.field(value, f, depth).map_err(|e| e.in_field(&object.name, &f.name))?;
                        Ok((f.name.clone(), converted))
                    })
                    .collect::<MapperResult<_>>()?;
                Ok(GenericValue::Object { type_name, fields })
            }
            (Schema::Object(object), _) if object.fields.len() == 1 => {
                let field = &object.fields[0];
                let value = self.field(json, field, depth).map_err(|e| e.in_field(&object.name, &field.name))?;
                Ok(GenericValue::Object { type_name, fields: vec![(field.name.clone(), value)] })
            }
            (Schema::Object(object), _) => Err(cannot(json, object)),
            (Schema::List(list), Json::Array(items)) => {
                Ok(GenericValue::List { type_name, elements: self.elements(items, &list.element_type, depth)? })
            }
            (Schema::Set(set), Json::Array(items)) => {
                Ok(GenericValue::Set { type_name, elements: self.elements(items, &set.element_type, depth)? })
            }
            (Schema::Map(map), Json::Object(members)) => {
                let entries = members
                    .iter()
                    .map(|(k, v)| {
                        let key = self.map_key(k, &map.key_type, depth).map_err(|e| e.in_map(true))?;
                        let value = self.record(v, &map.value_type, depth + 1).map_err(|e| e.in_map(false))?;
                        Ok((key, value))
                    })
                    .collect::<MapperResult<_>>()?;
                Ok(GenericValue::Map { type_name, entries })
            }
            (Schema::Map(map), Json::Array(pairs)) => {
                let entries = pairs
                    .iter()
                    .enumerate()
                    .map(|(i, pair)| {
                        let entry = match pair {
                            Json::Array(kv) if kv.len() == 2 => Some((&kv[0], &kv[1])),
                            // jq's entry form (`to_entries`), which `hollow dump --format plain` writes.
                            Json::Object(entry) if entry.len() == 2 => entry.get("key").zip(entry.get("value")),
                            _ => None,
                        };
                        let Some((k, v)) = entry else {
                            return Err(MapperError::mismatch(format!(
                                "a map given as an array must hold [key, value] pairs or {{\"key\": K, \"value\": V}} objects, not {}",
                                kind(pair)
                            ))
                            .in_element(i));
                        };
                        let key = self.record(k, &map.key_type, depth + 1).map_err(|e| e.in_map(true).in_element(i))?;
                        let value =
                            self.record(v, &map.value_type, depth + 1).map_err(|e| e.in_map(false).in_element(i))?;
                        Ok((key, value))
                    })
                    .collect::<MapperResult<_>>()?;
                Ok(GenericValue::Map { type_name, entries })
            }
            (other, _) => Err(MapperError::mismatch(format!(
                "type {type_name} is a {}; it cannot be given as {}",
                other.kind().name(),
                kind(json)
            ))),
        }
    }

    fn elements(&self, items: &[Json], element_type: &str, depth: usize) -> MapperResult<Vec<GenericValue>> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.record(item, element_type, depth + 1).map_err(|e| e.in_element(i)))
            .collect()
    }

    /// A map key written as a JSON object key (always a string): a number when the key type's one
    /// field is numeric.
    fn map_key(&self, key: &str, key_type: &str, depth: usize) -> MapperResult<GenericValue> {
        let numeric = match self.schema(key_type)? {
            Schema::Object(o) => match o.fields.as_slice() {
                [only] => {
                    matches!(only.field_type, FieldType::Int | FieldType::Long | FieldType::Float | FieldType::Double)
                }
                _ => false,
            },
            _ => false,
        };
        let json = if numeric {
            serde_json::from_str::<serde_json::Number>(key)
                .map(Json::Number)
                .map_err(|_| MapperError::mismatch(format!("map key \"{key}\" is not a number")))?
        } else {
            Json::String(key.to_owned())
        };
        self.record(&json, key_type, depth + 1)
    }

    fn field(&self, json: &Json, field: &ObjectField, depth: usize) -> MapperResult<GenericValue> {
        if json.is_null() {
            return Ok(GenericValue::Null);
        }
        let mismatch =
            || MapperError::mismatch(format!("a {} field cannot be {}", field.field_type.java_name(), kind(json)));
        Ok(match field.field_type {
            FieldType::Reference => {
                let target = field.referenced_type.as_deref().ok_or_else(mismatch)?;
                return self.record(json, target, depth + 1);
            }
            FieldType::Boolean => GenericValue::Boolean(json.as_bool().ok_or_else(mismatch)?),
            FieldType::Int => {
                let v = json.as_i64().ok_or_else(mismatch)?;
                GenericValue::Int(
                    i32::try_from(v).map_err(|_| MapperError::mismatch(format!("{v} does not fit an INT field")))?,
                )
            }
            FieldType::Long => match (json.as_i64(), json.as_u64()) {
                (Some(v), _) => GenericValue::Long(v),
                (None, Some(v)) => return Err(MapperError::mismatch(format!("{v} does not fit a LONG field"))),
                _ => return Err(mismatch()),
            },
            FieldType::Float => GenericValue::Float(match dumped_bits(json) {
                Some(bits) => f32::from_bits(u32::try_from(bits).map_err(|_| mismatch())?),
                None => float(json).ok_or_else(mismatch)? as f32,
            }),
            FieldType::Double => GenericValue::Double(match dumped_bits(json) {
                Some(bits) => f64::from_bits(bits),
                None => float(json).ok_or_else(mismatch)?,
            }),
            FieldType::String => GenericValue::String(json.as_str().ok_or_else(mismatch)?.to_owned()),
            FieldType::Bytes => GenericValue::Bytes(bytes(json).ok_or_else(mismatch)?),
        })
    }
}

fn cannot(json: &Json, object: &ObjectSchema) -> MapperError {
    MapperError::mismatch(format!(
        "type {} has {} fields; give it as an object, not {}",
        object.name,
        object.fields.len(),
        kind(json)
    ))
}

/// The exact bits of a float in `hollow dump`'s encoding, `{"v": 1.5, "bits": "3fc00000"}`.
fn dumped_bits(json: &Json) -> Option<u64> {
    let bits = json.as_object()?.get("bits")?.as_str()?;
    u64::from_str_radix(bits, 16).ok()
}

fn float(json: &Json) -> Option<f64> {
    match json {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.as_str() {
            "-0.0" => Some(-0.0),
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

fn bytes(json: &Json) -> Option<Vec<u8>> {
    match json {
        Json::Array(items) => items.iter().map(|i| i.as_u64().and_then(|v| u8::try_from(v).ok())).collect(),
        Json::Object(members) if members.len() <= 2 => {
            let hex = members.get("hex")?.as_str()?;
            if hex.len() % 2 != 0 || !hex.is_ascii() {
                return None;
            }
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect()
        }
        _ => None,
    }
}

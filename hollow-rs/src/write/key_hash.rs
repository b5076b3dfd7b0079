//! Hash-key bucket placement for SET and MAP records (Java's `HollowWriteStateEnginePrimaryKeyHasher`).
//!
//! When a set's (or map's) schema declares a hash key, an element (key) is placed in its table by the
//! hash of its key fields rather than of its ordinal, so that consumers can find it by field values.
//! The hash starts at 0 and for each key field path does `h = h * 31 ^ hashInt(fieldHash)`, where
//! `fieldHash` is read from the canonical bytes of the record at the end of the path:
//!
//! | field | fieldHash |
//! |---|---|
//! | INT | the value (0 if null) |
//! | LONG | `(int)(v ^ v >>> 32)` (0 if null) |
//! | REFERENCE | the ordinal |
//! | BOOLEAN | 1231 for true, 1237 for false (0 if null) |
//! | FLOAT | the raw bits |
//! | DOUBLE | `(int)(bits ^ bits >>> 32)` |
//! | STRING | Java `String.hashCode()` over the UTF-16 units |
//! | BYTES | MurmurHash3 with Hollow's seed |
//!
//! A null STRING, BYTES or REFERENCE on a key path has no hash (Java fails with an exception there);
//! here it is an [`Error::InvalidArgument`].
//!
//! Key paths use dot notation, bound like Java's `FieldPaths.createFieldPathForPrimaryKey`: each
//! segment names a field of the current OBJECT type and a REFERENCE moves on to the referenced type.
//! Unless the path ends with `!`, a path ending at a REFERENCE is expanded through single-field types
//! (`title` → `title.value`) or through a type's single-field primary key.
//!
//! This module carries its own small resolver; it can move onto the shared schema path resolver once
//! that exists.

use super::canonical::{object_fields, RawField};
use super::type_state::Dataset;
use crate::encoding::hash::{fold_long, hash_int, murmur3};
use crate::encoding::{hollow_string, zigzag};
use crate::error::{Error, Result};
use crate::schema::{FieldType, Schema};

/// One step of a bound key path: field `field` of the OBJECT type at `type_index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Step {
    type_index: usize,
    field: usize,
}

/// Why a key path could not be bound.
#[derive(Debug)]
enum PathError {
    /// A type on the path is not in the engine. Java then places elements by their default hash.
    NotBindable,
    /// The path does not fit the schemas.
    Invalid(String),
}

/// Computes the hash of element (or map key) records from their key fields.
#[derive(Debug)]
pub(crate) struct KeyHasher {
    paths: Vec<Vec<Step>>,
}

impl KeyHasher {
    /// Bind `key_paths` starting at `root_type`. `Ok(None)` when a type on a path is not registered:
    /// like Java, the collection then keeps the default (ordinal-hash) placement.
    pub fn bind(ds: &Dataset<'_>, root_type: &str, key_paths: &[String]) -> Result<Option<KeyHasher>> {
        let mut paths = Vec::with_capacity(key_paths.len());
        for path in key_paths {
            match resolve(ds, root_type, path) {
                Ok(steps) => paths.push(steps),
                Err(PathError::NotBindable) => return Ok(None),
                Err(PathError::Invalid(msg)) => {
                    return Err(Error::Schema(format!("hash key path {path:?} of type {root_type}: {msg}")))
                }
            }
        }
        Ok(Some(KeyHasher { paths }))
    }

    /// The hash of the record at `ordinal` of the root type.
    pub fn record_hash(&self, ds: &Dataset<'_>, ordinal: u32) -> Result<i32> {
        let mut hash = 0i32;
        for steps in &self.paths {
            hash = hash.wrapping_mul(31) ^ hash_int(field_hash(ds, steps, ordinal)?);
        }
        Ok(hash)
    }
}

fn field_hash(ds: &Dataset<'_>, steps: &[Step], ordinal: u32) -> Result<i32> {
    let mut ordinal = ordinal;
    for (i, step) in steps.iter().enumerate() {
        let state = &ds.types[step.type_index];
        let schema = state.schema.as_object().ok_or_else(|| {
            Error::Schema(format!("hash key path steps through non-OBJECT type {}", state.schema.name()))
        })?;
        let bytes = state
            .record_bytes(ordinal)
            .ok_or_else(|| Error::InvalidArgument(format!("hash key: type {} has no record {ordinal}", schema.name)))?;
        let field_type = schema.fields[step.field].field_type;
        let raw =
            object_fields(schema.fields.iter().map(|f| f.field_type), bytes).nth(step.field).unwrap_or(RawField::Null);
        let null = || {
            Error::InvalidArgument(format!(
                "hash key: field {}.{} of record {ordinal} is null and cannot be hashed",
                schema.name, schema.fields[step.field].name
            ))
        };
        if i + 1 < steps.len() {
            match raw {
                RawField::Var(o) => ordinal = o as u32,
                _ => return Err(null()),
            }
            continue;
        }
        return Ok(match (field_type, raw) {
            (FieldType::Int | FieldType::Long | FieldType::Boolean, RawField::Null) => 0,
            (FieldType::Int, RawField::Var(v)) => zigzag::decode_i32(v as u32),
            (FieldType::Long, RawField::Var(v)) => fold_long(zigzag::decode_i64(v)),
            (FieldType::Reference, RawField::Var(v)) => v as i32,
            (FieldType::Boolean, RawField::Boolean(b)) => {
                if b {
                    1231
                } else {
                    1237
                }
            }
            (FieldType::Float, RawField::Float(bits)) => bits as i32,
            (FieldType::Double, RawField::Double(bits)) => fold_long(bits as i64),
            (FieldType::String, RawField::Bytes(b)) => hollow_string::java_hash_of_encoded(b).unwrap_or(0),
            (FieldType::Bytes, RawField::Bytes(b)) => murmur3(b),
            _ => return Err(null()),
        });
    }
    Err(Error::Schema("empty hash key path".into()))
}

/// Bind one key path like `FieldPaths.createFieldPathForPrimaryKey`.
fn resolve(ds: &Dataset<'_>, root_type: &str, path: &str) -> Result<Vec<Step>, PathError> {
    let (path, auto_expand) = match path.strip_suffix('!') {
        Some(p) => (p, false),
        None => (path, true),
    };
    let mut steps = Vec::new();
    let mut current: Option<String> = Some(root_type.to_owned());
    let segments: Vec<&str> = if path.is_empty() { Vec::new() } else { path.split('.').collect() };
    for (i, segment) in segments.iter().enumerate() {
        let type_name = current.take().ok_or_else(|| {
            PathError::Invalid(format!("segment {segment:?} follows a field that is not a reference"))
        })?;
        let (type_index, schema) = object_schema(ds, &type_name)?;
        let field = schema
            .field_index(segment)
            .ok_or_else(|| PathError::Invalid(format!("type {type_name} has no field {segment:?}")))?;
        steps.push(Step { type_index, field });
        current = schema.fields[field].referenced_type.clone();
        if i + 1 < segments.len() && current.is_none() {
            return Err(PathError::Invalid(format!("field {type_name}.{segment} is not a reference")));
        }
    }
    if auto_expand {
        while let Some(type_name) = current.take() {
            let (type_index, schema) = object_schema(ds, &type_name)?;
            if schema.fields.len() == 1 {
                steps.push(Step { type_index, field: 0 });
                current = schema.fields[0].referenced_type.clone();
            } else if let Some([key]) = schema.primary_key.as_deref() {
                steps.extend(resolve(ds, &type_name, key)?);
            } else {
                return Err(PathError::Invalid(format!(
                    "the path ends at a reference to {type_name}, which has neither one field nor a one-field primary key"
                )));
            }
        }
    }
    if steps.is_empty() {
        return Err(PathError::Invalid("empty path".into()));
    }
    Ok(steps)
}

fn object_schema<'a>(ds: &Dataset<'a>, type_name: &str) -> Result<(usize, &'a crate::schema::ObjectSchema), PathError> {
    let (index, state) = ds.get(type_name).ok_or(PathError::NotBindable)?;
    match &state.schema {
        Schema::Object(s) => Ok((index, s)),
        other => Err(PathError::Invalid(format!("type {type_name} is a {}, not an OBJECT", other.kind().name()))),
    }
}

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
//! Key paths are resolved by [`crate::schema::paths`], the resolver the read engine uses to find the
//! elements again. As in Java, a path through a type the engine does not have leaves the collection with
//! the default (ordinal-hash) placement; any other path that does not fit the schemas is an
//! [`Error::Schema`].

use super::canonical::{object_fields, RawField};
use super::type_state::Dataset;
use crate::encoding::hash::{fold_long, hash_int, murmur3};
use crate::encoding::{hollow_string, zigzag};
use crate::error::{Error, Result};
use crate::schema::paths::{resolve_key_path, KeyPathErrorKind};
use crate::schema::FieldType;

/// One step of a bound key path: field `field` of the OBJECT type at `type_index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Step {
    type_index: usize,
    field: usize,
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
            let resolved = match resolve_key_path(ds, root_type, path) {
                Ok(resolved) => resolved,
                Err(e) if e.kind == KeyPathErrorKind::NotBindable => return Ok(None),
                Err(e) => return Err(Error::Schema(format!("hash key: {e}"))),
            };
            let steps = resolved.steps.iter().map(|step| {
                let (type_index, _) = ds.get(&step.type_name).ok_or_else(|| {
                    Error::Schema(format!("hash key {resolved}: type {} vanished while binding", step.type_name))
                })?;
                Ok(Step { type_index, field: step.field_index })
            });
            paths.push(steps.collect::<Result<_>>()?);
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

//! Hash-key bucket placement for SET and MAP records (Java's `HollowWriteStateEnginePrimaryKeyHasher`).
//!
//! When a set's (or map's) schema declares a hash key, an element (key) is placed in its table by the
//! hash of its key fields rather than of its ordinal, so that consumers can find it by field values.
//! The hash is [`crate::encoding::hash::key_hash`] over each key field's [`FieldHash`], read from the
//! canonical bytes of the record at the end of the path: the same table the read engine hashes looked-up
//! values with, so a consumer finds what this engine placed. A null INT, LONG or BOOLEAN hashes as 0.
//!
//! A null STRING, BYTES or REFERENCE on a key path has no hash (Java fails with an exception there);
//! here it is an [`Error::InvalidArgument`].
//!
//! Key paths are resolved by [`crate::schema::paths`], the resolver the read engine uses to find the
//! elements again. As in Java, a path through a type the engine does not have leaves the collection with
//! the default (ordinal-hash) placement; any other path that does not fit the schemas is an
//! [`Error::Schema`].

use super::canonical::{object_fields, RawField};
use super::dataset::Dataset;
use crate::encoding::hash::{key_hash, FieldHash};
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
        let mut failed = None;
        let hash = key_hash(
            self.paths.iter().map_while(|steps| field_hash(ds, steps, ordinal).map_err(|e| failed = Some(e)).ok()),
        );
        failed.map_or(Ok(hash), Err)
    }
}

fn field_hash<'d>(ds: &Dataset<'d>, steps: &[Step], ordinal: u32) -> Result<FieldHash<'d>> {
    let mut ordinal = ordinal;
    for (i, step) in steps.iter().enumerate() {
        let state = ds.types[step.type_index];
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
            (FieldType::Int | FieldType::Long | FieldType::Boolean, RawField::Null) => FieldHash::Int(0),
            (FieldType::Int, RawField::Var(v)) => FieldHash::Int(zigzag::decode_i32(v as u32)),
            (FieldType::Long, RawField::Var(v)) => FieldHash::Long(zigzag::decode_i64(v)),
            (FieldType::Reference, RawField::Var(v)) => FieldHash::Reference(v as u32),
            (FieldType::Boolean, RawField::Boolean(b)) => FieldHash::Boolean(b),
            (FieldType::Float, RawField::Float(bits)) => FieldHash::FloatBits(bits),
            (FieldType::Double, RawField::Double(bits)) => FieldHash::DoubleBits(bits),
            (FieldType::String, RawField::Bytes(b)) => {
                FieldHash::JavaString(hollow_string::java_hash_of_encoded(b).unwrap_or(0))
            }
            (FieldType::Bytes, RawField::Bytes(b)) => FieldHash::Bytes(b),
            _ => return Err(null()),
        });
    }
    Err(Error::Schema("empty hash key path".into()))
}

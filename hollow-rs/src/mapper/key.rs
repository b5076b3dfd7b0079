//! Finding a record by its primary key, by scanning.
//!
//! This is the simple, index-free way: every populated record of the type is compared with the key, so
//! a lookup costs a pass over the type. Use the index module for repeated lookups.

use serde::Deserialize;

use super::generic::GenericValue;
use crate::error::{Error, Result};
use crate::read::{ObjectTypeReadState, ReadStateEngine};
use crate::schema::paths::{resolve_key, KeyPath};
use crate::schema::FieldType;

/// The ordinal of the populated record of `type_name` whose primary key equals `key` (one value per
/// key field, in the order the primary key lists them), if there is one.
///
/// Key values are compared with the key fields' kinds: [`GenericValue::Int`] or
/// [`GenericValue::Long`] for INT and LONG fields (and for the ordinal of a `field!` REFERENCE key),
/// [`GenericValue::String`] for STRING, and so on; a single-field record (`String`, `Integer`) stands for
/// its field. Fails with [`Error::NotFound`] for an unknown type, [`Error::Schema`] when the type has
/// no primary key or it does not resolve, [`Error::InvalidArgument`] when `key` has the wrong number of
/// values.
///
/// # Errors
///
/// [`Error::NotFound`](crate::Error::NotFound) for an unknown type, [`Error::Schema`](crate::Error::Schema)
/// when the type has no primary key or it does not resolve,
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when `key` has the wrong number of values.
pub fn find_by_primary_key(engine: &ReadStateEngine, type_name: &str, key: &[GenericValue]) -> Result<Option<u32>> {
    let object = engine
        .object(type_name)
        .ok_or_else(|| Error::NotFound(format!("OBJECT type {type_name} is not in the read state")))?;
    let paths = object
        .schema()
        .primary_key
        .as_deref()
        .ok_or_else(|| Error::Schema(format!("type {type_name} has no primary key")))?;
    if paths.len() != key.len() {
        return Err(Error::InvalidArgument(format!(
            "the primary key of {type_name} has {} field(s) ({}), {} value(s) given",
            paths.len(),
            paths.join(", "),
            key.len()
        )));
    }
    let resolved = resolve_key(engine, type_name, paths)?;
    let found = object.populated().iter().find(|&ordinal| {
        resolved.iter().zip(key).all(|(path, value)| path_matches(engine, object, ordinal, path, value))
    });
    Ok(found)
}

/// The populated record of `type_name` whose primary key equals `key` (see [`find_by_primary_key`]),
/// read into a `T` (see [`get`](super::get)).
///
/// # Errors
///
/// Those of [`find_by_primary_key`], and of [`get`](super::get) when the record does not fit `T`.
pub fn get_by_primary_key<'a, T: Deserialize<'a>>(
    engine: &'a ReadStateEngine,
    type_name: &str,
    key: &[GenericValue],
) -> Result<Option<T>> {
    match find_by_primary_key(engine, type_name, key)? {
        Some(ordinal) => super::get(engine, type_name, ordinal).map(Some),
        None => Ok(None),
    }
}

/// Whether the value at the end of `path`, starting at record `ordinal` of `object`, equals `expected`.
fn path_matches(
    engine: &ReadStateEngine,
    object: &ObjectTypeReadState,
    ordinal: u32,
    path: &KeyPath,
    expected: &GenericValue,
) -> bool {
    let (mut current, mut ordinal) = (object, ordinal);
    let (leaf, walk) = match path.steps.split_last() {
        Some(split) => split,
        None => return false,
    };
    for step in walk {
        let next = step.referenced_type.as_deref().and_then(|t| engine.object(t));
        match (current.read_ordinal(ordinal, step.field_index), next) {
            (Some(o), Some(next)) => (current, ordinal) = (next, o),
            _ => return false,
        }
    }
    leaf_matches(current, ordinal, leaf.field_index, leaf.field_type, expected)
}

fn leaf_matches(
    o: &ObjectTypeReadState,
    ordinal: u32,
    field: usize,
    field_type: FieldType,
    expected: &GenericValue,
) -> bool {
    if let GenericValue::Null = expected {
        return o.is_null(ordinal, field);
    }
    match field_type {
        FieldType::Int => o.read_int(ordinal, field).map(i64::from) == expected.as_i64(),
        FieldType::Long => o.read_long(ordinal, field).is_some_and(|v| Some(v) == expected.as_i64()),
        FieldType::Reference => o.read_ordinal(ordinal, field).map(i64::from) == expected.as_i64(),
        FieldType::String => expected.as_str().is_some_and(|s| o.string_equals(ordinal, field, s)),
        FieldType::Boolean => {
            matches!(expected, GenericValue::Boolean(b) if o.read_boolean(ordinal, field) == Some(*b))
        }
        FieldType::Float => {
            matches!(expected, GenericValue::Float(f) if o.read_float_bits(ordinal, field) == Some(f.to_bits()))
        }
        FieldType::Double => {
            matches!(expected, GenericValue::Double(d) if o.read_double_bits(ordinal, field) == Some(d.to_bits()))
        }
        FieldType::Bytes => {
            matches!(expected, GenericValue::Bytes(b) if o.read_bytes(ordinal, field) == Some(b.as_slice()))
        }
    }
}

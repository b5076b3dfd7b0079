//! Finding records that share a primary key: what Java's `DuplicateDataDetectionValidator` looks for.
//!
//! Every record's key is hashed as the index build hashes it; records are compared only within one
//! hash, so the cost is one pass over the type plus a comparison per colliding pair.

use std::collections::HashMap;

use super::key::FieldValue;
use super::path::PathRules;
use super::shape::KeyShape;
use super::table::for_each_key;
use crate::error::{Error, Result};
use crate::read::ReadStateEngine;

/// Two records of one type with the same key, and the key's values as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The ordinal of the first record (the smaller one).
    pub first: u32,
    /// The ordinal of the other record.
    pub second: u32,
    /// The shared key, one `path=value` per key field.
    pub key: String,
}

/// Pairs of populated records of `type_name` whose primary key (from its schema) is equal: at most
/// `limit` of them, in the order found. A type without a primary key is an error.
///
/// # Errors
///
/// [`Error::NotFound`](crate::Error::NotFound) for an unknown type, [`Error::Schema`](crate::Error::Schema)
/// when it has no primary key or the key does not resolve.
pub fn find_duplicate_keys(engine: &ReadStateEngine, type_name: &str, limit: usize) -> Result<Vec<DuplicateKey>> {
    let schema = engine.schema(type_name).ok_or_else(|| Error::NotFound(format!("type {type_name}")))?;
    let key = schema
        .as_object()
        .and_then(|o| o.primary_key.as_ref())
        .ok_or_else(|| Error::InvalidArgument(format!("type {type_name} has no primary key")))?;
    let fields: Vec<&str> = key.iter().map(String::as_str).collect();
    let shape = KeyShape::bind(engine, type_name, &fields, PathRules::PrimaryKey)?;
    let mut seen: HashMap<u64, Vec<(u32, Vec<u32>)>> = HashMap::new();
    let mut found = Vec::new();
    for_each_key(&shape, engine, |hash, root, slots| {
        if found.len() >= limit {
            return;
        }
        let same_hash = seen.entry(hash).or_default();
        match same_hash
            .iter()
            .find(|(other, other_slots)| *other != root && shape.instances_equal(engine, other_slots, slots))
        {
            Some((other, _)) => {
                let key = (0..fields.len())
                    .map(|i| format!("{}={}", fields[i], describe(shape.value(engine, i, slots[i]))))
                    .collect::<Vec<_>>()
                    .join(", ");
                found.push(DuplicateKey { first: (*other).min(root), second: (*other).max(root), key });
            }
            None => same_hash.push((root, slots.to_vec())),
        }
    });
    Ok(found)
}

/// A key value as a person reads it. Strings are kept in their stored form (a VarInt per UTF-16 unit),
/// which for ASCII is the text itself.
fn describe(value: Option<FieldValue<'_>>) -> String {
    match value {
        None => "null".into(),
        Some(FieldValue::Int(v)) => v.to_string(),
        Some(FieldValue::Boolean(b)) => b.to_string(),
        Some(FieldValue::Float(bits)) => f32::from_bits(bits).to_string(),
        Some(FieldValue::Double(bits)) => f64::from_bits(bits).to_string(),
        Some(FieldValue::Bytes(b)) if b.is_ascii() => format!("{:?}", String::from_utf8_lossy(b)),
        Some(FieldValue::Bytes(b)) => format!("{} bytes", b.len()),
        Some(FieldValue::Ordinal(o)) => format!("ordinal {o}"),
    }
}

//! Change sets: the records to upsert and the keys to delete that take one state to another.
//!
//! A change set is what [`diff`](super) computes between two states and what the incremental producer
//! ([`Producer::run_incremental_cycle`](crate::producer::Producer)) applies: the same value seen from
//! both sides, so `apply(a, diff(a, b)) == b`.
//!
//! # Keys
//!
//! A record's key is the values of its type's primary-key fields, in the order the primary key lists
//! them (as [`find_by_primary_key`](crate::mapper::find_by_primary_key) takes them). A type without a
//! primary key is keyed by its whole record: its key is a one-element vector holding the record.
//!
//! # JSON lines
//!
//! One change per line, so a change set streams through a pipe (`hollow diff --format json | hollow
//! produce --incremental`):
//!
//! ```text
//! {"op":"upsert","type":"Movie","record":{"id":1,"title":"Heat","tags":["crime"]}}
//! {"op":"delete","type":"Movie","key":[2]}
//! ```
//!
//! Records and key values use the JSON form of [`GenericValue::to_json`], which
//! [`from_json`] reads back; reading needs the schemas to know the types.

use std::io::{BufRead, Write};

use serde_json::{json, Value as Json};

use crate::error::{Error, Result};
use crate::mapper::{from_json, GenericValue};
use crate::schema::paths::{resolve_key, SchemaLookup};
use crate::schema::{FieldType, Schema};

/// One change to a keyed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Add `record`, replacing the record of the same key if there is one.
    Upsert {
        /// The record's type.
        type_name: String,
        /// The record, with everything it references.
        record: GenericValue,
    },
    /// Remove the record with this key, if there is one.
    Delete {
        /// The record's type.
        type_name: String,
        /// The key's values (see the module docs).
        key: Vec<GenericValue>,
    },
}

impl Change {
    /// The type the change applies to.
    pub fn type_name(&self) -> &str {
        match self {
            Change::Upsert { type_name, .. } | Change::Delete { type_name, .. } => type_name,
        }
    }

    /// The change as one JSON object (a line of the JSON-lines form).
    pub fn to_json(&self) -> Json {
        match self {
            Change::Upsert { type_name, record } => {
                json!({"op": "upsert", "type": type_name, "record": record.to_json()})
            }
            Change::Delete { type_name, key } => {
                json!({"op": "delete", "type": type_name, "key": key.iter().map(GenericValue::to_json).collect::<Vec<_>>()})
            }
        }
    }

    /// Read a change from its JSON object, with the types of `schemas`.
    ///
    /// # Errors
    ///
    /// Fails with [`Error::InvalidArgument`] for a malformed object (unknown `op`, missing member),
    /// [`Error::NotFound`] for an unknown type, [`Error::SchemaMismatch`] when the record or key does
    /// not fit the type.
    pub fn from_json(json: &Json, schemas: &(impl SchemaLookup + ?Sized)) -> Result<Change> {
        let member =
            |name: &str| json.get(name).ok_or_else(|| Error::InvalidArgument(format!("change has no \"{name}\"")));
        let type_name = member("type")?
            .as_str()
            .ok_or_else(|| Error::InvalidArgument("change \"type\" is not a string".into()))?
            .to_owned();
        match member("op")?.as_str() {
            Some("upsert") => {
                let record = from_json(member("record")?, &type_name, schemas)?;
                Ok(Change::Upsert { type_name, record })
            }
            Some("delete") => {
                let values = member("key")?
                    .as_array()
                    .ok_or_else(|| Error::InvalidArgument("change \"key\" is not an array".into()))?;
                let key = key_from_json(values, &type_name, schemas)?;
                Ok(Change::Delete { type_name, key })
            }
            _ => Err(Error::InvalidArgument("change \"op\" is neither \"upsert\" nor \"delete\"".into())),
        }
    }
}

/// A key's values from JSON, converted to the kinds of the type's key fields.
fn key_from_json(
    values: &[Json],
    type_name: &str,
    schemas: &(impl SchemaLookup + ?Sized),
) -> Result<Vec<GenericValue>> {
    let schema = schemas.schema(type_name).ok_or_else(|| Error::NotFound(format!("type {type_name} has no schema")))?;
    let paths = match schema {
        Schema::Object(s) => s.primary_key.as_deref(),
        _ => None,
    };
    let Some(paths) = paths else {
        return match values {
            [record] => Ok(vec![from_json(record, type_name, schemas)?]),
            _ => Err(Error::SchemaMismatch(format!(
                "type {type_name} has no primary key: its key is the whole record, one value, not {}",
                values.len()
            ))),
        };
    };
    let paths = resolve_key(schemas, type_name, paths)?;
    if paths.len() != values.len() {
        return Err(Error::SchemaMismatch(format!(
            "the primary key of {type_name} has {} fields; the change gives {}",
            paths.len(),
            values.len()
        )));
    }
    paths.iter().zip(values).map(|(path, value)| key_value(value, path.leaf_type(), type_name)).collect()
}

fn key_value(json: &Json, field_type: FieldType, type_name: &str) -> Result<GenericValue> {
    let mismatch = || Error::SchemaMismatch(format!("key of {type_name}: {json} is not a {field_type:?} value"));
    Ok(match field_type {
        FieldType::Int | FieldType::Long | FieldType::Reference => {
            let v = json.as_i64().ok_or_else(mismatch)?;
            match (field_type, i32::try_from(v)) {
                (FieldType::Int, Ok(v)) => GenericValue::Int(v),
                (FieldType::Int, Err(_)) => return Err(mismatch()),
                _ => GenericValue::Long(v),
            }
        }
        FieldType::Boolean => GenericValue::Boolean(json.as_bool().ok_or_else(mismatch)?),
        FieldType::String => GenericValue::String(json.as_str().ok_or_else(mismatch)?.to_owned()),
        FieldType::Float => GenericValue::Float(json_float(json).ok_or_else(mismatch)? as f32),
        FieldType::Double => GenericValue::Double(json_float(json).ok_or_else(mismatch)?),
        FieldType::Bytes => GenericValue::Bytes(
            json.as_array()
                .ok_or_else(mismatch)?
                .iter()
                .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(mismatch)?,
        ),
    })
}

fn json_float(json: &Json) -> Option<f64> {
    match json {
        Json::String(s) if s == "NaN" => Some(f64::NAN),
        Json::String(s) if s == "Infinity" => Some(f64::INFINITY),
        Json::String(s) if s == "-Infinity" => Some(f64::NEG_INFINITY),
        _ => json.as_f64(),
    }
}

/// An ordered list of [`Change`]s. Applying it applies each change in order, so a later change to a
/// key wins over an earlier one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    changes: Vec<Change>,
}

impl ChangeSet {
    /// An empty change set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append a change.
    pub fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    /// The changes, in order.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The number of changes.
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// True when there is no change.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Write one JSON line per change.
    ///
    /// # Errors
    ///
    /// Fails with [`Error::Io`] when `out` does.
    pub fn write_json_lines(&self, out: &mut impl Write) -> Result<()> {
        for change in &self.changes {
            serde_json::to_writer(&mut *out, &change.to_json()).map_err(|e| Error::from(std::io::Error::from(e)))?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Read JSON lines (blank lines are skipped), with the types of `schemas`.
    ///
    /// # Errors
    ///
    /// Fails with the error of the first line that is not a change, naming its line number.
    pub fn read_json_lines(input: impl BufRead, schemas: &(impl SchemaLookup + ?Sized)) -> Result<ChangeSet> {
        let mut set = ChangeSet::new();
        for (i, line) in input.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let at_line = |e: Error| e.with_context(&format!("change line {}", i + 1));
            let json: Json =
                serde_json::from_str(&line).map_err(|e| at_line(Error::InvalidArgument(format!("not JSON: {e}"))))?;
            set.push(Change::from_json(&json, schemas).map_err(at_line)?);
        }
        Ok(set)
    }
}

impl FromIterator<Change> for ChangeSet {
    fn from_iter<I: IntoIterator<Item = Change>>(iter: I) -> Self {
        ChangeSet { changes: iter.into_iter().collect() }
    }
}

impl IntoIterator for ChangeSet {
    type Item = Change;
    type IntoIter = std::vec::IntoIter<Change>;
    fn into_iter(self) -> Self::IntoIter {
        self.changes.into_iter()
    }
}

impl<'a> IntoIterator for &'a ChangeSet {
    type Item = &'a Change;
    type IntoIter = std::slice::Iter<'a, Change>;
    fn into_iter(self) -> Self::IntoIter {
        self.changes.iter()
    }
}

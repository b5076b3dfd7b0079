//! Request parameters, checked: every value a request carries is parsed here into what the engine
//! takes, and anything else is a 4xx naming the parameter. Nothing past this module sees raw text.

use std::borrow::Cow;
use std::collections::HashMap;

use hollow::index::KeyValue;
use hollow::mapper::GenericValue;
use hollow::read::{ReadStateEngine, TypeReadState};
use hollow::schema::{FieldType, Schema};

use super::error::{ApiError, ApiResult};

/// The query string of a request.
pub type Query = HashMap<String, String>;

/// Rows per page when the request does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// The most rows a page may ask for.
pub const MAX_LIMIT: usize = 500;
/// The most key fields a lookup may give.
pub const MAX_KEY_FIELDS: usize = 8;

/// `?version=V`: `None` when absent or empty (the followed version).
pub fn version(q: &Query, name: &str) -> ApiResult<Option<i64>> {
    match q.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => text
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("{name}: {text:?} is not a version number"))),
    }
}

/// `?page=N&limit=M`: a 0-based page and a row count in 1..=[`MAX_LIMIT`].
pub fn paging(q: &Query) -> ApiResult<(usize, usize)> {
    let number = |name: &str, default: usize| -> ApiResult<usize> {
        match q.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(text) => text
                .parse::<usize>()
                .map_err(|_| ApiError::bad_request(format!("{name}: {text:?} is not a non-negative integer"))),
        }
    };
    let limit = number("limit", DEFAULT_LIMIT)?;
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!("limit: {limit} is not between 1 and {MAX_LIMIT}")));
    }
    Ok((number("page", 0)?, limit))
}

/// A type of `engine` by name.
pub fn type_state<'e>(engine: &'e ReadStateEngine, name: &str, version: i64) -> ApiResult<&'e TypeReadState> {
    engine.type_state(name).ok_or_else(|| ApiError::not_found(format!("no type {name:?} at version {version}")))
}

/// A populated ordinal of `state`.
pub fn ordinal(state: &TypeReadState, text: &str, version: i64) -> ApiResult<u32> {
    let ordinal = text
        .trim()
        .parse::<u32>()
        .map_err(|_| ApiError::bad_request(format!("ordinal: {text:?} is not a record ordinal (0 to 2^32-1)")))?;
    if !state.populated().contains(ordinal) {
        return Err(ApiError::not_found(format!(
            "type {} has no record {ordinal} at version {version} ({} records, largest ordinal {})",
            state.name(),
            state.populated().count(),
            state.max_ordinal()
        )));
    }
    Ok(ordinal)
}

/// One key field as the lookup takes it (`key`) and as the diff keys records (`value`).
#[derive(Debug)]
pub struct KeyField {
    pub key: KeyValue<'static>,
    pub value: GenericValue,
}

/// The key fields `k0`, `k1`, ... of the query, one per entry of `kinds` (`None`: a reference, given
/// as the referenced record's ordinal), each parsed as its field's kind.
pub fn key(q: &Query, paths: &[String], kinds: &[Option<FieldType>]) -> ApiResult<Vec<KeyField>> {
    if kinds.len() > MAX_KEY_FIELDS {
        return Err(ApiError::bad_request(format!("at most {MAX_KEY_FIELDS} key fields")));
    }
    paths
        .iter()
        .zip(kinds)
        .enumerate()
        .map(|(i, (path, kind))| {
            let name = format!("k{i}");
            let text = q
                .get(&name)
                .ok_or_else(|| ApiError::bad_request(format!("{name}: missing: give a value for key field {path}")))?;
            key_field(text, *kind).map_err(|why| ApiError::bad_request(format!("{name} ({path}): {why}")))
        })
        .collect()
}

fn key_field(text: &str, kind: Option<FieldType>) -> Result<KeyField, String> {
    let number = |what: &str| format!("{text:?} is not {what}");
    let t = text.trim();
    let (key, value) = match kind {
        None | Some(FieldType::Reference) => {
            let o: u32 = t.parse().map_err(|_| number("a record ordinal"))?;
            (KeyValue::Reference(o), GenericValue::Int(o as i32))
        }
        Some(FieldType::Int) => {
            let v: i32 = t.parse().map_err(|_| number("an INT"))?;
            (KeyValue::Int(v), GenericValue::Int(v))
        }
        Some(FieldType::Long) => {
            let v: i64 = t.parse().map_err(|_| number("a LONG"))?;
            (KeyValue::Long(v), GenericValue::Long(v))
        }
        Some(FieldType::Boolean) => {
            let v: bool = t.parse().map_err(|_| number("a BOOLEAN (true or false)"))?;
            (KeyValue::Boolean(v), GenericValue::Boolean(v))
        }
        Some(FieldType::Float) => {
            let v: f32 = t.parse().map_err(|_| number("a FLOAT"))?;
            (KeyValue::Float(v), GenericValue::Float(v))
        }
        Some(FieldType::Double) => {
            let v: f64 = t.parse().map_err(|_| number("a DOUBLE"))?;
            (KeyValue::Double(v), GenericValue::Double(v))
        }
        Some(FieldType::String) => {
            (KeyValue::String(Cow::Owned(text.to_owned())), GenericValue::String(text.to_owned()))
        }
        Some(FieldType::Bytes) => {
            let bytes = hex(t).ok_or_else(|| number("BYTES in hex"))?;
            (KeyValue::Bytes(Cow::Owned(bytes.clone())), GenericValue::Bytes(bytes))
        }
    };
    Ok(KeyField { key, value })
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

/// `?fields=a.b,c`: the key paths of a hash-index query, with the kind of value each ends at.
pub fn hash_fields(
    q: &Query,
    engine: &ReadStateEngine,
    type_name: &str,
) -> ApiResult<(Vec<String>, Vec<Option<FieldType>>)> {
    let text = q.get("fields").map(|s| s.trim()).unwrap_or_default();
    if text.is_empty() {
        return Err(ApiError::bad_request("fields: missing: give the key paths to match, comma-separated"));
    }
    let paths: Vec<String> = text.split(',').map(|p| p.trim().to_owned()).collect();
    if paths.len() > MAX_KEY_FIELDS {
        return Err(ApiError::bad_request(format!("fields: at most {MAX_KEY_FIELDS} paths")));
    }
    let kinds = paths
        .iter()
        .map(|p| {
            hash_path_kind(engine, type_name, p).map_err(|why| ApiError::bad_request(format!("fields: {p:?}: {why}")))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok((paths, kinds))
}

/// The kind of value a hash-index path ends at: an inline field's type, or `None` for a reference
/// (an object field, a collection element, a map key or value), matched by ordinal. Paths are walked
/// as the hash index walks them: fields of OBJECTs, `element` of LISTs and SETs, `key`/`value` of MAPs.
fn hash_path_kind(engine: &ReadStateEngine, type_name: &str, path: &str) -> Result<Option<FieldType>, String> {
    let segments: Vec<&str> = path.split('.').collect();
    let mut current = type_name.to_owned();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let schema = engine.schema(&current).ok_or_else(|| format!("type {current} is not in this version"))?;
        let next = match (schema, *segment) {
            (Schema::Object(o), name) => {
                let field =
                    o.fields.iter().find(|f| f.name == name).ok_or_else(|| format!("{current} has no field {name}"))?;
                match (&field.referenced_type, last) {
                    (_, true) if field.field_type != FieldType::Reference => return Ok(Some(field.field_type)),
                    (Some(t), _) => t.clone(),
                    (None, _) => return Err(format!("field {name} of {current} is not a reference")),
                }
            }
            (Schema::List(l), "element") => l.element_type.clone(),
            (Schema::Set(s), "element") => s.element_type.clone(),
            (Schema::Map(m), "key") => m.key_type.clone(),
            (Schema::Map(m), "value") => m.value_type.clone(),
            (s, other) => return Err(format!("{other:?} is not a step into {} {current}", s.kind().name())),
        };
        if last {
            return Ok(None);
        }
        current = next;
    }
    Err("an empty path".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_fields_parse_by_kind_and_name_what_is_wrong() {
        assert!(matches!(key_field("42", Some(FieldType::Long)).unwrap().key, KeyValue::Long(42)));
        assert!(key_field("4x", Some(FieldType::Int)).unwrap_err().contains("not an INT"));
        assert!(
            matches!(key_field("<b>", Some(FieldType::String)).unwrap().value, GenericValue::String(ref s) if s == "<b>")
        );
        assert_eq!(hex("0aff"), Some(vec![0x0a, 0xff]));
        assert_eq!(hex("0g"), None);
        assert!(key_field("abc", None).unwrap_err().contains("ordinal"));
    }
}

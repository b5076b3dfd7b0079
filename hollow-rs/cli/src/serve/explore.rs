//! The explorer's data: the versions, the types of a version, a type's records page by page, one
//! record, and lookups by primary key and hash-index query. The JSON API serializes these structs and
//! the pages render them, so both always show the same thing.
//!
//! Every function validates its parameters ([`params`]) and blocks (it may build a read state):
//! handlers call them off the async threads.

use hollow::read::ReadStateEngine;
use hollow::schema::paths::{resolve_key, KeyPath};
use hollow::schema::{FieldType, Schema};
use hollow::tools::dump;
use hollow::HashIndex;
use serde::Serialize;
use serde_json::Value as Json;

use super::dataset::Dataset;
use super::error::{ApiError, ApiResult};
use super::params::{self, Query};
use super::records::{self, Entry, Field};

/// Which versions there are and which one a page shows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub dataset: String,
    /// The version the followed consumer holds.
    pub current: Option<i64>,
    /// The version the store announces.
    pub announced: Option<i64>,
    /// Every version the store has blobs for, ascending.
    pub versions: Vec<i64>,
}

pub fn status(dataset: &Dataset) -> ApiResult<Status> {
    Ok(Status {
        dataset: dataset.name.clone(),
        current: dataset.consumer.current_version(),
        announced: dataset.announced()?,
        versions: dataset.versions()?,
    })
}

/// A type of a version, as `hollow inspect` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeSummary {
    pub name: String,
    pub kind: &'static str,
    pub records: usize,
    pub shards: u32,
    pub max_ordinal: i32,
    pub heap_bytes: usize,
    pub primary_key: Option<Vec<String>>,
}

/// The types of a version.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Types {
    pub version: i64,
    /// True when the version asked for is not the followed one.
    pub pinned: bool,
    pub types: Vec<TypeSummary>,
}

pub fn types(dataset: &Dataset, q: &Query) -> ApiResult<Types> {
    let asked = params::version(q, "version")?;
    let state = dataset.at(asked)?;
    let types = state
        .engine()
        .types()
        .map(|t| TypeSummary {
            name: t.name().to_owned(),
            kind: records::kind_name(t),
            records: t.populated().count(),
            shards: t.num_shards(),
            max_ordinal: t.max_ordinal(),
            heap_bytes: t.approximate_heap_bytes(),
            primary_key: primary_key(t.schema()).map(<[String]>::to_vec),
        })
        .collect();
    Ok(Types { version: state.version(), pinned: asked.is_some(), types })
}

fn primary_key(schema: &Schema) -> Option<&[String]> {
    match schema {
        Schema::Object(o) => o.primary_key.as_deref(),
        _ => None,
    }
}

/// A record in a list: its ordinal, key values (for a type with a primary key) and a preview.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub ordinal: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<Vec<Json>>,
    pub preview: String,
}

/// One page of a type's records, by ordinal.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordsPage {
    pub version: i64,
    pub pinned: bool,
    #[serde(rename = "type")]
    pub type_name: String,
    pub kind: &'static str,
    pub primary_key: Option<Vec<String>>,
    /// Populated records of the type.
    pub total: usize,
    pub page: usize,
    pub limit: usize,
    pub records: Vec<Row>,
}

pub fn records_page(dataset: &Dataset, type_name: &str, q: &Query) -> ApiResult<RecordsPage> {
    let asked = params::version(q, "version")?;
    let (page, limit) = params::paging(q)?;
    let state = dataset.at(asked)?;
    let engine = state.engine();
    let t = params::type_state(engine, type_name, state.version())?;
    let keys = resolved_key(engine, t.schema())?;
    let ordinals = t.populated().iter().skip(page.saturating_mul(limit)).take(limit);
    let records = ordinals.map(|o| row(engine, type_name, keys.as_deref(), o)).collect();
    Ok(RecordsPage {
        version: state.version(),
        pinned: asked.is_some(),
        type_name: type_name.to_owned(),
        kind: records::kind_name(t),
        primary_key: primary_key(t.schema()).map(<[String]>::to_vec),
        total: t.populated().count(),
        page,
        limit,
        records,
    })
}

fn row(engine: &ReadStateEngine, type_name: &str, keys: Option<&[KeyPath]>, ordinal: u32) -> Row {
    Row {
        ordinal,
        key: keys.map(|k| records::key_values(engine, k, ordinal)),
        preview: records::preview(engine, type_name, ordinal),
    }
}

/// The primary key of an OBJECT type, resolved; `None` without one.
fn resolved_key(engine: &ReadStateEngine, schema: &Schema) -> ApiResult<Option<Vec<KeyPath>>> {
    match primary_key(schema) {
        None => Ok(None),
        Some(paths) => resolve_key(engine, schema.name(), paths)
            .map(Some)
            .map_err(|e| ApiError::bad_request(format!("the primary key of {} does not resolve: {e}", schema.name()))),
    }
}

/// One record: its value as `hollow dump` writes it, and as a tree.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub version: i64,
    pub pinned: bool,
    #[serde(rename = "type")]
    pub type_name: String,
    pub kind: &'static str,
    pub ordinal: u32,
    pub primary_key: Option<Vec<String>>,
    pub key: Option<Vec<Json>>,
    /// The record in the dump's layout: `{"ordinal", "value", "stringifier"}`.
    pub dump: Json,
    /// An OBJECT's fields.
    pub fields: Vec<Field>,
    /// A collection's size, and its entries on this page.
    pub size: Option<usize>,
    pub page: usize,
    pub limit: usize,
    pub entries: Vec<Entry>,
}

pub fn record(dataset: &Dataset, type_name: &str, ordinal: &str, q: &Query) -> ApiResult<Record> {
    let asked = params::version(q, "version")?;
    let (page, limit) = params::paging(q)?;
    let state = dataset.at(asked)?;
    let engine = state.engine();
    let t = params::type_state(engine, type_name, state.version())?;
    let ordinal = params::ordinal(t, ordinal, state.version())?;
    let dumped = dump::record_json(engine, type_name, ordinal).unwrap_or_default();
    let dump = serde_json::from_str(&dumped)
        .map_err(|e| ApiError::bad_request(format!("record {ordinal} of {type_name} does not dump as JSON: {e}")))?;
    let keys = resolved_key(engine, t.schema())?;
    let fields = match t {
        hollow::read::TypeReadState::Object(o) => records::fields(engine, o, ordinal),
        _ => Vec::new(),
    };
    Ok(Record {
        version: state.version(),
        pinned: asked.is_some(),
        type_name: type_name.to_owned(),
        kind: records::kind_name(t),
        ordinal,
        primary_key: primary_key(t.schema()).map(<[String]>::to_vec),
        key: keys.map(|k| records::key_values(engine, &k, ordinal)),
        dump,
        fields,
        size: records::collection_size(t, ordinal),
        page,
        limit,
        entries: records::entries(engine, t, ordinal, page.saturating_mul(limit), limit),
    })
}

/// The records a lookup found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lookup {
    pub version: i64,
    pub pinned: bool,
    #[serde(rename = "type")]
    pub type_name: String,
    /// The key paths looked up (the primary key, or the hash query's fields).
    pub fields: Vec<String>,
    /// The values given, as typed.
    pub values: Vec<String>,
    /// How many records match (a primary key: 0 or 1).
    pub total: usize,
    /// The first [`params::MAX_LIMIT`] of them.
    pub records: Vec<Row>,
}

/// `?k0=..&k1=..`: the record whose primary key is that.
pub fn lookup(dataset: &Dataset, type_name: &str, q: &Query) -> ApiResult<Lookup> {
    let asked = params::version(q, "version")?;
    let state = dataset.at(asked)?;
    let engine = state.engine();
    let t = params::type_state(engine, type_name, state.version())?;
    let keys = resolved_key(engine, t.schema())?
        .ok_or_else(|| ApiError::bad_request(format!("type {type_name} has no primary key: use a hash query")))?;
    let paths: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let kinds: Vec<_> = keys.iter().map(|k| Some(k.leaf_type()).filter(|&t| t != FieldType::Reference)).collect();
    let key = params::key(q, &paths, &kinds)?;
    let values: Vec<_> = key.iter().map(|k| k.key.clone()).collect();
    let found = state.primary_key_index(type_name)?.get(engine, &values);
    Ok(lookup_result(engine, asked, state.version(), type_name, paths, q, found.into_iter().collect()))
}

/// `?fields=a,b&k0=..&k1=..`: the records whose values at those paths are those (a hash index built
/// for the query and dropped after it, so no query leaves memory behind).
pub fn query(dataset: &Dataset, type_name: &str, q: &Query) -> ApiResult<Lookup> {
    let asked = params::version(q, "version")?;
    let state = dataset.at(asked)?;
    let engine = state.engine();
    params::type_state(engine, type_name, state.version())?;
    let (paths, kinds) = params::hash_fields(q, engine, type_name)?;
    let key = params::key(q, &paths, &kinds)?;
    let values: Vec<_> = key.iter().map(|k| k.key.clone()).collect();
    let fields: Vec<&str> = paths.iter().map(String::as_str).collect();
    let index = HashIndex::new(engine, type_name, &fields)?;
    let found = index.find(engine, &values).to_vec();
    Ok(lookup_result(engine, asked, state.version(), type_name, paths, q, found))
}

fn lookup_result(
    engine: &ReadStateEngine,
    asked: Option<i64>,
    version: i64,
    type_name: &str,
    fields: Vec<String>,
    q: &Query,
    mut found: Vec<u32>,
) -> Lookup {
    found.sort_unstable();
    let keys = engine.schema(type_name).and_then(|s| resolved_key(engine, s).ok().flatten());
    let values = (0..fields.len()).map(|i| q.get(&format!("k{i}")).cloned().unwrap_or_default()).collect();
    Lookup {
        version,
        pinned: asked.is_some(),
        type_name: type_name.to_owned(),
        fields,
        values,
        total: found.len(),
        records: found.iter().take(params::MAX_LIMIT).map(|&o| row(engine, type_name, keys.as_deref(), o)).collect(),
    }
}

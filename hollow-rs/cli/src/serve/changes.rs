//! What changed: between two versions (the diff engine, as `hollow diff` runs it) and, for one record,
//! across the retained versions (its history).
//!
//! A history walks the retained versions in order with a consumer of its own (a snapshot, then one
//! delta per step) and diffs each step restricted to the record's type. Two states one delta apart
//! diff at the cost of the change (see `hollow::diff`), so a history costs loading the window's first
//! version plus its deltas, whatever the dataset's size. Nothing is cached between requests: the walk
//! is bounded by [`MAX_HISTORY_VERSIONS`] and the server's request timeout.

use std::collections::BTreeSet;

use hollow::diff::{self, compact_json, compare_keys, DiffOptions, FieldChange, StateDiff};
use hollow::mapper::GenericValue;
use hollow::schema::paths::resolve_key;
use hollow::schema::FieldType;
use serde::Serialize;
use serde_json::Value as Json;

use super::dataset::Dataset;
use super::error::{ApiError, ApiResult};
use super::params::{self, Query};

/// Detailed records per type and kind when the request does not say (as `hollow diff`).
pub const DEFAULT_DIFF_LIMIT: usize = 20;
/// Versions a history walks when the request does not say.
pub const DEFAULT_HISTORY_VERSIONS: usize = 20;
/// Versions a history may walk.
pub const MAX_HISTORY_VERSIONS: usize = 100;

/// The difference of two versions.
pub struct Diff {
    pub from: i64,
    pub to: i64,
    /// The one type asked for, if any.
    pub type_name: Option<String>,
    pub limit: usize,
    pub diff: StateDiff,
}

impl Diff {
    /// What `hollow diff --format json` prints for the same versions, types and limit.
    pub fn to_json(&self) -> Json {
        let mut json = self.diff.to_json();
        if let Some(members) = json.as_object_mut() {
            members.insert("from".into(), self.from.into());
            members.insert("to".into(), self.to.into());
        }
        json
    }
}

/// `?from=V1&to=V2&type=T&limit=N`; `to` defaults to the followed version, `from` to the retained
/// version before `to`.
pub fn diff(dataset: &Dataset, q: &Query) -> ApiResult<Diff> {
    let new = dataset.at(params::version(q, "to")?)?;
    let to = new.version();
    let from = match params::version(q, "from")? {
        Some(v) => v,
        None => dataset
            .version_before(to)?
            .ok_or_else(|| ApiError::bad_request(format!("no version before {to} in the store: give from")))?,
    };
    let old = dataset.at(Some(from))?;
    let type_name = q.get("type").map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if let Some(t) = &type_name {
        if old.engine().type_state(t).is_none() && new.engine().type_state(t).is_none() {
            return Err(ApiError::not_found(format!("no type {t:?} at version {from} or {to}")));
        }
    }
    let limit = match q.get("limit").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => DEFAULT_DIFF_LIMIT,
        Some(text) => text.parse::<usize>().ok().filter(|&n| n <= params::MAX_LIMIT).ok_or_else(|| {
            ApiError::bad_request(format!("limit: {text:?} is not between 0 and {}", params::MAX_LIMIT))
        })?,
    };
    let options = DiffOptions {
        types: type_name.clone().map(|t| BTreeSet::from([t])),
        detail_limit: Some(limit),
        ..DiffOptions::default()
    };
    let diff = diff::diff(old.engine(), new.engine(), &options)?;
    Ok(Diff { from, to, type_name, limit, diff })
}

/// A record's changes across versions.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    #[serde(rename = "type")]
    pub type_name: String,
    /// The primary key's paths, and the values asked for.
    pub fields: Vec<String>,
    pub values: Vec<String>,
    /// The versions walked, ascending.
    pub versions: Vec<i64>,
    /// The record at the first version walked, if it existed then.
    pub first: Option<Json>,
    /// `first` as one line for a person (records of one field as their field).
    #[serde(skip)]
    pub first_text: Option<String>,
    /// One entry per version in which the record changed, ascending.
    pub changes: Vec<RecordChange>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordChange {
    /// The version the change led to, and the one before it.
    pub version: i64,
    pub from: i64,
    /// `added`, `removed` or `modified`.
    pub change: &'static str,
    /// The record after the change (before it, for `removed`).
    pub record: Json,
    /// `record` as one line for a person.
    #[serde(skip)]
    pub record_text: String,
    /// For `modified`: each changed value.
    pub fields: Vec<ChangedField>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangedField {
    pub path: String,
    pub old: Json,
    pub new: Json,
    /// `old` and `new` as one line each, for a person.
    #[serde(skip)]
    pub text: (String, String),
}

impl From<&FieldChange> for ChangedField {
    fn from(f: &FieldChange) -> Self {
        ChangedField {
            path: f.path.clone(),
            old: f.old.to_json(),
            new: f.new.to_json(),
            text: (compact_json(&f.old).to_string(), compact_json(&f.new).to_string()),
        }
    }
}

/// `/history/T?k0=..&versions=N&to=V`: the changes of the record of `type_name` with that primary key
/// over the last `N` retained versions up to `V` (default: the followed version).
pub fn history(dataset: &Dataset, type_name: &str, q: &Query) -> ApiResult<History> {
    let last = dataset.at(params::version(q, "to")?)?;
    let engine = last.engine();
    let t = params::type_state(engine, type_name, last.version())?;
    let paths = match t.schema() {
        hollow::Schema::Object(o) => o.primary_key.clone(),
        _ => None,
    }
    .ok_or_else(|| ApiError::bad_request(format!("type {type_name} has no primary key, so a record has no history")))?;
    let keys = resolve_key(engine, type_name, &paths)
        .map_err(|e| ApiError::bad_request(format!("the primary key of {type_name} does not resolve: {e}")))?;
    if keys.iter().any(|k| k.leaf_type() == FieldType::Reference) {
        return Err(ApiError::bad_request(format!("the primary key of {type_name} ends at a reference: no history")));
    }
    let kinds: Vec<_> = keys.iter().map(|k| Some(k.leaf_type())).collect();
    let key = params::key(q, &paths, &kinds)?;
    let wanted: Vec<GenericValue> = key.iter().map(|k| k.value.clone()).collect();
    let count = match q.get("versions").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => DEFAULT_HISTORY_VERSIONS,
        Some(text) => {
            text.parse::<usize>().ok().filter(|n| (2..=MAX_HISTORY_VERSIONS).contains(n)).ok_or_else(|| {
                ApiError::bad_request(format!("versions: {text:?} is not between 2 and {MAX_HISTORY_VERSIONS}"))
            })?
        }
    };
    let all: Vec<i64> = dataset.versions()?.into_iter().filter(|&v| v <= last.version()).collect();
    let versions = all[all.len().saturating_sub(count)..].to_vec();

    let walker = dataset.side_consumer();
    let options = DiffOptions {
        types: Some(BTreeSet::from([type_name.to_owned()])),
        detail_limit: None,
        ..DiffOptions::default()
    };
    let mut changes = Vec::new();
    let mut first = None;
    let mut first_text = None;
    let mut previous: Option<std::sync::Arc<hollow::ReadState>> = None;
    for &v in &versions {
        walker.refresh_to(v)?;
        let state = walker.read_state().ok_or_else(|| ApiError::not_found(format!("version {v}")))?;
        match &previous {
            None => {
                let values: Vec<_> = key.iter().map(|k| k.key.clone()).collect();
                if state.engine().type_state(type_name).is_some() {
                    if let Some(o) = state.primary_key_index(type_name)?.get(state.engine(), &values) {
                        let record =
                            hollow::diff::canonical(hollow::mapper::read_generic(state.engine(), type_name, o)?);
                        first_text = Some(compact_json(&record).to_string());
                        first = Some(record.to_json());
                    }
                }
            }
            Some(before) => {
                let step = diff::diff(before.engine(), state.engine(), &options)?;
                if let Some(change) = step.type_diff(type_name).and_then(|d| change_of(d, &wanted)) {
                    changes.push(RecordChange { version: v, from: before.version(), ..change });
                }
            }
        }
        previous = Some(state);
    }
    Ok(History {
        type_name: type_name.to_owned(),
        fields: paths,
        values: (0..key.len()).map(|i| q.get(&format!("k{i}")).cloned().unwrap_or_default()).collect(),
        versions,
        first,
        first_text,
        changes,
    })
}

/// The change of the record keyed `key` in one step's diff of its type, if it changed.
fn change_of(d: &diff::TypeDiff, key: &[GenericValue]) -> Option<RecordChange> {
    let same = |k: &[GenericValue]| compare_keys(k, key).is_eq();
    let change = |change, record: &GenericValue, fields: Vec<ChangedField>| RecordChange {
        version: 0,
        from: 0,
        change,
        record: record.to_json(),
        record_text: compact_json(record).to_string(),
        fields,
    };
    if let Some(m) = d.modified_records.iter().find(|m| same(&m.key)) {
        return Some(change("modified", &m.new, m.fields.iter().map(ChangedField::from).collect()));
    }
    if let Some(a) = d.added_records.iter().find(|a| same(&a.key)) {
        return Some(change("added", &a.record, Vec::new()));
    }
    d.removed_records.iter().find(|r| same(&r.key)).map(|r| change("removed", &r.record, Vec::new()))
}

//! What changed between two read states, as counts, field-level differences and a change set.
//!
//! [`diff`] compares two [`ReadStateEngine`](crate::read::ReadStateEngine)s type by type. Records are matched by key: the primary
//! key the schema declares (or one [`DiffOptions::primary_keys`] gives), or, for a type without one,
//! the whole record as a value. Matched records whose values differ are *modified*; the others are
//! *added*, *removed* or *unchanged*. Values are compared through references, lists, sets and maps,
//! never by ordinal, so two states that numbered the same records differently compare equal.
//! [`StateDiff::to_change_set`] turns the result into the [`ChangeSet`] the incremental producer
//! applies; [`StateDiff::render_text`] and [`StateDiff::to_json`] show it.
//!
//! ## Finding the changed records without reading every record
//!
//! Reading and comparing every record's value would cost the size of the dataset. The diff reads only
//! *candidates*: on the old side, records removed or possibly changed in place; on the new side,
//! records added or possibly changed in place. Candidates are then matched by key hash, and only they
//! are read as values. A matched pair with equal values (a record that only moved ordinal) counts as
//! unchanged. How the candidates are found depends on how the two states are related:
//!
//! * **A type whose state the two engines share** (`Arc`, a type no delta between them touched) is
//!   unchanged, and is skipped at no cost. Its records reference only records that stayed populated
//!   all along (see below), so the referenced records did not change either.
//! * **One delta apart** (`to.origin_tag() == from.randomized_tag()`, or the reverse, or the same
//!   state): the candidates are exactly the removed and the added ordinals
//!   ([`PopulatedOrdinals::diff`](crate::read::PopulatedOrdinals::diff)), and the cost follows the
//!   size of the change. This relies on the invariant [`index`](crate::index#why-only-the-indexed-types-records-need-watching)
//!   relies on, for the same reasons: an ordinal's content is its identity (the producer deduplicates
//!   records by their bytes, which include referenced ordinals), a record referenced by a populated
//!   record is populated, and a freed ordinal is not reused in the very next cycle (removed records
//!   stay readable as ghosts for one cycle). So an ordinal populated in both states holds the same
//!   record, down to everything it references.
//! * **Anything else** (several deltas apart, two snapshots loaded on their own, or
//!   [`DiffOptions::compare_all`]): an ordinal populated in both may have been freed and reused, and a
//!   reused *child* ordinal changes a parent's value without changing the parent's bytes. Types are
//!   visited in dependency order; a record populated in both is a candidate when its stored fields
//!   differ (fixed-length bits, null-aware; STRING and BYTES as bytes; LIST, SET and MAP element
//!   ordinals in stored order) or when a reference, element, key or value points at an ordinal its
//!   own type found changed in place. Types on a reference cycle cannot be ordered, so every record
//!   populated in both is a candidate there. Candidates are a superset of the changed records; the
//!   value comparison decides.
//!
//! A snapshot's origin tag is the randomized tag of the state its producer was at before, so two
//! snapshots of consecutive versions are "one delta apart" too: they hold the same ordinals as the
//! delta's endpoints would.
//!
//! ## Keys and order
//!
//! A key is the list of the primary key's values ([`change`]'s convention), read by value through
//! references (`address.city.value`, or a record for a `field!` path); a type without a primary key is
//! keyed by its whole record: `key = vec![record]`. Keys are assumed unique in each state (Hollow's
//! producer enforces it for declared primary keys). Types are reported by name; the records of a type
//! in key order ([`compare_keys`]). Values are in [`canonical`] form: set elements and map entries are
//! sorted, so the output does not depend on ordinals.
//!
//! ## Layout
//!
//! * `compute`: finding candidates, matching them, counting.
//! * `value`: the canonical form, order, hash and field-level difference of values.
//! * `render`: text for a person, JSON for tools, and the change set.
//! * [`change`]: the change set both the diff and the incremental producer speak.

pub mod change;
mod compute;
mod render;
mod value;

use std::collections::{BTreeMap, BTreeSet};

pub use change::{Change, ChangeSet};
pub use compute::diff;
pub use value::{canonical, compact_json, compare_keys, compare_values, field_changes, FieldChange};

use crate::mapper::GenericValue;

/// What to compare, and how much detail to keep.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Primary-key paths per type, replacing (or supplying) the schema's `@PrimaryKey`, in the path
    /// notation of [`resolve_key`](crate::schema::paths::resolve_key). OBJECT types only.
    pub primary_keys: BTreeMap<String, Vec<String>>,
    /// Only these types are reported (all when `None`). Other types are still compared where the
    /// reported ones reference them.
    pub types: Option<BTreeSet<String>>,
    /// At most this many added, removed and modified records are kept in detail per type and kind
    /// (all when `None`). Counts are always exact.
    pub detail_limit: Option<usize>,
    /// Compare the records populated in both states even when the tags say the states are one delta
    /// apart: for states whose tags cannot be trusted (and to measure the comparison).
    pub compare_all: bool,
}

/// How the diff found its candidates (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiffMethod {
    /// The states are one delta apart, or the same state: candidates are the removed and added ordinals.
    OneDelta,
    /// Records populated in both states were compared in place.
    Compared,
}

/// What the diff did: for tests, benchmarks and the curious.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DiffStats {
    /// How candidates were found.
    pub method: DiffMethod,
    /// Types skipped because the two engines share their state.
    pub shared_types: usize,
    /// Records populated in both states whose stored fields were compared in place.
    pub ordinals_compared: u64,
    /// Records read as values (candidates on both sides).
    pub records_read: u64,
}

/// A record with its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedRecord {
    /// The record's key (see the module docs).
    pub key: Vec<GenericValue>,
    /// The record, in canonical form.
    pub record: GenericValue,
}

/// A record whose key is in both states and whose value is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifiedRecord {
    /// The record's key.
    pub key: Vec<GenericValue>,
    /// The record in the old state, in canonical form.
    pub old: GenericValue,
    /// The record in the new state, in canonical form.
    pub new: GenericValue,
    /// The values that differ, in field order (see [`field_changes`] for the paths).
    pub fields: Vec<FieldChange>,
}

/// The difference of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeDiff {
    /// The type's name.
    pub type_name: String,
    /// The primary key's paths; `None` when records are keyed by their whole value.
    pub primary_key: Option<Vec<String>>,
    /// True for a type whose records are changed on their own in a change set: a type with a primary
    /// key, or one no other type references (see [`StateDiff::to_change_set`]).
    pub is_root: bool,
    /// Records whose key is only in the new state.
    pub added: usize,
    /// Records whose key is only in the old state.
    pub removed: usize,
    /// Records whose key is in both states, with different values.
    pub modified: usize,
    /// Records whose key is in both states, with equal values.
    pub unchanged: usize,
    /// The added records, in key order; at most [`DiffOptions::detail_limit`] of them.
    pub added_records: Vec<KeyedRecord>,
    /// The removed records, in key order; at most [`DiffOptions::detail_limit`] of them.
    pub removed_records: Vec<KeyedRecord>,
    /// The modified records, in key order; at most [`DiffOptions::detail_limit`] of them.
    pub modified_records: Vec<ModifiedRecord>,
}

impl TypeDiff {
    /// True when nothing was added, removed or modified.
    pub fn is_unchanged(&self) -> bool {
        self.added == 0 && self.removed == 0 && self.modified == 0
    }

    /// True when every changed record is kept in detail (no limit cut any).
    pub fn is_complete(&self) -> bool {
        self.added_records.len() == self.added
            && self.removed_records.len() == self.removed
            && self.modified_records.len() == self.modified
    }
}

/// The difference of two states: one entry per type present in either (or per type asked for), by
/// type name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDiff {
    /// The types, sorted by name.
    pub types: Vec<TypeDiff>,
    /// What the diff did.
    pub stats: DiffStats,
}

impl StateDiff {
    /// True when no type changed.
    pub fn is_empty(&self) -> bool {
        self.types.iter().all(TypeDiff::is_unchanged)
    }

    /// A type's difference.
    pub fn type_diff(&self, type_name: &str) -> Option<&TypeDiff> {
        self.types.iter().find(|t| t.type_name == type_name)
    }

    /// True when every root type's changed records are all kept in detail, so
    /// [`to_change_set`](Self::to_change_set) is the whole change.
    pub fn is_complete(&self) -> bool {
        self.types.iter().filter(|t| t.is_root).all(TypeDiff::is_complete)
    }
}

/// The change set taking `from` to `to`: [`diff`] without a detail limit, then
/// [`StateDiff::to_change_set`]. `options.detail_limit` is ignored.
///
/// # Errors
///
/// Those of [`diff`].
pub fn change_set(
    from: &crate::read::ReadStateEngine,
    to: &crate::read::ReadStateEngine,
    options: &DiffOptions,
) -> crate::error::Result<ChangeSet> {
    let options = DiffOptions { detail_limit: None, ..options.clone() };
    Ok(diff(from, to, &options)?.to_change_set())
}

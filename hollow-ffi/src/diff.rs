//! Diffs: what changed between two read states, per type and per record, and the change set that
//! takes one to the other.
//!
//! `hollow_diff_new` runs the core's [`hollow::diff::diff`] with every record kept in detail
//! (`hollow_diff_new_with_options`: a subset of types, a bound on the details, a full comparison). The
//! summary of each type is made at once; a change's JSON texts are rendered the first time
//! `hollow_diff_change_at` asks for it and kept in the handle (so pointers stay valid while it lives),
//! and the change set's JSON lines the first time `hollow_diff_change_set_json` asks.

use std::ffi::c_char;
use std::sync::OnceLock;

use hollow::diff::{DiffOptions, KeyedRecord, StateDiff, TypeDiff};
use hollow::mapper::GenericValue;
use serde_json::Value as Json;

use crate::guard::{
    arg, arg_slice, arg_str, free_handle, guard, guard_value, into_handle, out, FfiResult, Handle, OwnedBox,
};
use crate::read_state::hollow_read_state;
use crate::status::{hollow_status, FfiError};
use crate::values::{copy_text, hollow_str};

/// The difference between two read states (`hollow_diff_new`), owned by the caller and released with
/// `hollow_diff_free`. Every text it returns stays valid until then. Immutable once made: its functions
/// may be called from many threads at once.
#[allow(non_camel_case_types)]
pub struct hollow_diff {
    diff: StateDiff,
    /// Per type (as `diff.types`): each change's texts, rendered on first use.
    rendered: Box<[Box<[OnceLock<Rendered>]>]>,
    change_set: OnceLock<String>,
}

impl Handle for hollow_diff {
    type Ownership = OwnedBox;
}

/// One change's texts, kept for the pointers handed out.
struct Rendered {
    key: String,
    old: String,
    new: String,
    fields: String,
}

/// What happened to a record. Values are stable.
#[allow(non_camel_case_types)]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum hollow_diff_change_kind {
    /// The record's key is only in the new state.
    Added = 1,
    /// The record's key is only in the old state.
    Removed = 2,
    /// The record's key is in both states, with different values.
    Modified = 3,
}

/// The counts of one type of a diff (`hollow_diff_type_at`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct hollow_diff_type_summary {
    /// The type's name; valid while the diff lives.
    pub name: hollow_str,
    /// Records whose key is only in the new state.
    pub added: u64,
    /// Records whose key is only in the old state.
    pub removed: u64,
    /// Records whose key is in both states, with different values.
    pub modified: u64,
    /// Records whose key is in both states, with equal values.
    pub unchanged: u64,
}

/// One changed record of a diff (`hollow_diff_change_at`). Every text is UTF-8 valid while the diff
/// lives; values are JSON as `hollow diff --format json` and the change lines write them (a reference
/// as the referenced record, a list or set as an array, a map as an array of `[key, value]` pairs or an
/// object).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct hollow_diff_change {
    /// Added, removed or modified.
    pub kind: hollow_diff_change_kind,
    /// The record's key as a JSON array: the primary key's values in order, or, for a type without a
    /// primary key, the whole record as its one element.
    pub key_json: hollow_str,
    /// The record in the old state as JSON; empty for an added record.
    pub old_json: hollow_str,
    /// The record in the new state as JSON; empty for a removed record.
    pub new_json: hollow_str,
    /// The paths of the fields that differ, one per line (separated by `'\n'`, no newline after the
    /// last), in field order, for example `"title\ntags[1]"`; empty unless modified.
    pub fields: hollow_str,
}

impl hollow_diff {
    fn type_diff(&self, type_index: usize) -> FfiResult<&TypeDiff> {
        let count = self.diff.types.len();
        self.diff.types.get(type_index).ok_or_else(|| out_of_range("type index", type_index, count))
    }

    /// The `i`-th change of type `t`: removed records, then added ones, then modified ones, each in key
    /// order.
    fn render(t: &TypeDiff, i: usize) -> Rendered {
        let json = |v: &GenericValue| v.to_json().to_string();
        let key = |k: &[GenericValue]| Json::Array(k.iter().map(GenericValue::to_json).collect()).to_string();
        let keyed = |r: &KeyedRecord, removed: bool| Rendered {
            key: key(&r.key),
            old: if removed { json(&r.record) } else { String::new() },
            new: if removed { String::new() } else { json(&r.record) },
            fields: String::new(),
        };
        let (removed, added) = (t.removed_records.len(), t.added_records.len());
        if i < removed {
            keyed(&t.removed_records[i], true)
        } else if i < removed + added {
            keyed(&t.added_records[i - removed], false)
        } else {
            let m = &t.modified_records[i - removed - added];
            Rendered {
                key: key(&m.key),
                old: json(&m.old),
                new: json(&m.new),
                fields: m.fields.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join("\n"),
            }
        }
    }
}

#[cold]
#[inline(never)]
fn out_of_range(what: &str, index: usize, count: usize) -> FfiError {
    FfiError::new(hollow_status::InvalidArgument, format!("{what} {index} is out of range (0..{count})"))
}

fn change_count(t: &TypeDiff) -> usize {
    t.removed_records.len() + t.added_records.len() + t.modified_records.len()
}

/// Compare two read states (of one dataset, usually two versions of one consumer): for every type in
/// either, by name, the records added, removed, modified and unchanged, matched by primary key (or,
/// for a type without one, by whole value) and compared by value, never by ordinal. States one delta
/// apart (a read state acquired before `hollow_consumer_refresh_to` a next version, and one after) are
/// compared at the cost of the change; others record by record.
///
/// Every changed record is kept in detail (`hollow_diff_change_at`). On success `*out_diff` receives a
/// new handle, owned by the caller (`hollow_diff_free`); it keeps nothing of the read states, which
/// may be released first.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (a type's schema differs
/// between the states in a way that cannot be compared), `HOLLOW_STATUS_CORRUPT_BLOB`.
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_diff_new(
    from: *const hollow_read_state,
    to: *const hollow_read_state,
    out_diff: *mut *mut hollow_diff,
) -> hollow_status {
    // SAFETY: the caller's pointers are passed on under the same contract; NULL options are the defaults.
    unsafe { hollow_diff_new_with_options(from, to, std::ptr::null(), out_diff) }
}

/// What `hollow_diff_new_with_options` reports. Zero-initialize it (`hollow_diff_options o = {0};`)
/// for the defaults of `hollow_diff_new`, then set what differs.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct hollow_diff_options {
    /// Report only these `type_count` types, by name (NULL with 0: every type). Other types are still
    /// compared where the reported ones reference them; a name that is in neither state reports nothing.
    pub types: *const *const c_char,
    /// The number of names in `types`.
    pub type_count: usize,
    /// When true, keep at most `detail_limit` added, removed and modified records in detail per type and
    /// kind (`hollow_diff_change_count`); the summary counts stay exact. When false, keep every one.
    pub limit_details: bool,
    /// See `limit_details`.
    pub detail_limit: usize,
    /// Compare the records of both states even when they are one delta apart (for states whose tags
    /// cannot be trusted).
    pub compare_all: bool,
}

/// `hollow_diff_new` with options: a subset of the types, a bound on the records kept in detail
/// (for large changes: counts stay exact while memory stays small), a full comparison. `options` may be
/// NULL (the defaults). Primary keys other than the schemas' are not offered here yet.
///
/// On success `*out_diff` receives a new handle, owned by the caller (`hollow_diff_free`).
/// Errors: as `hollow_diff_new`, and `HOLLOW_STATUS_NULL_ARGUMENT` for a NULL `types` with a
/// `type_count` above 0 or a NULL name, `HOLLOW_STATUS_INVALID_UTF8` for a name that is not UTF-8.
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_diff_new_with_options(
    from: *const hollow_read_state,
    to: *const hollow_read_state,
    options: *const hollow_diff_options,
    out_diff: *mut *mut hollow_diff,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `from` is a live handle for the whole call (the header's pointer contract).
        let from = unsafe { arg(from, "from") }?;
        // SAFETY: a non-NULL `to` is a live handle for the whole call (the header's pointer contract).
        let to = unsafe { arg(to, "to") }?;
        // SAFETY: a non-NULL `out_diff` is writable for the whole call (the header's pointer contract).
        let out_diff = unsafe { out(out_diff, "out_diff") }?;
        // SAFETY: a non-NULL `options` points to a readable `hollow_diff_options` whose `types` array
        // holds `type_count` NUL-terminated strings (the header's pointer contract).
        let options = unsafe { diff_options(options) }?;
        out_diff.set(into_handle(new_diff(from, to, &options)?));
        Ok(())
    })
}

/// The core's options from C's (the defaults for NULL).
///
/// # Safety
/// A non-NULL `options` must point to a readable `hollow_diff_options` whose non-NULL `types` holds
/// `type_count` readable pointers, each NULL or a NUL-terminated string, all valid for the call.
unsafe fn diff_options(options: *const hollow_diff_options) -> FfiResult<DiffOptions> {
    if options.is_null() {
        return Ok(DiffOptions::default());
    }
    // SAFETY: non-NULL and readable per this function's contract.
    let o = unsafe { *options };
    // SAFETY: per this function's contract, `types` holds `type_count` readable pointers.
    let names = unsafe { arg_slice(o.types, o.type_count, "options.types") }?;
    let types = if o.types.is_null() {
        None
    } else {
        // SAFETY: each non-NULL name is a NUL-terminated string valid for the call (this function's contract).
        Some(
            names
                .iter()
                .map(|&n| unsafe { arg_str(n, "options.types[i]") }.map(str::to_owned))
                .collect::<FfiResult<_>>()?,
        )
    };
    Ok(DiffOptions {
        types,
        detail_limit: o.limit_details.then_some(o.detail_limit),
        compare_all: o.compare_all,
        ..DiffOptions::default()
    })
}

/// Run the diff and make its handle.
fn new_diff(from: &hollow_read_state, to: &hollow_read_state, options: &DiffOptions) -> FfiResult<hollow_diff> {
    let diff = hollow::diff::diff(from.engine(), to.engine(), options)?;
    let rendered = diff.types.iter().map(|t| (0..change_count(t)).map(|_| OnceLock::new()).collect()).collect();
    Ok(hollow_diff { diff, rendered, change_set: OnceLock::new() })
}

/// The number of types in the diff: every type of either state.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_diff_type_count(diff: *const hollow_diff, out_count: *mut usize) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `diff` is a live handle for the whole call (the header's pointer contract).
        let d = unsafe { arg(diff, "diff") }?;
        // SAFETY: a non-NULL `out_count` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_count, "out_count") }?.set(d.diff.types.len());
        Ok(())
    })
}

/// The counts of the `type_index`-th type, in order of type name (`0 <= type_index <
/// hollow_diff_type_count`). `out_summary->name` is valid while `diff` lives.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_ARGUMENT` (index out of range).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_diff_type_at(
    diff: *const hollow_diff,
    type_index: usize,
    out_summary: *mut hollow_diff_type_summary,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `diff` is a live handle for the whole call (the header's pointer contract).
        let d = unsafe { arg(diff, "diff") }?;
        // SAFETY: a non-NULL `out_summary` is writable for the whole call (the header's pointer contract).
        let out_summary = unsafe { out(out_summary, "out_summary") }?;
        let t = d.type_diff(type_index)?;
        out_summary.set(hollow_diff_type_summary {
            name: hollow_str::of(&t.type_name),
            added: t.added as u64,
            removed: t.removed as u64,
            modified: t.modified as u64,
            unchanged: t.unchanged as u64,
        });
        Ok(())
    })
}

/// The number of changed records of the `type_index`-th type: added + removed + modified.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_ARGUMENT` (type index out of range).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_diff_change_count(
    diff: *const hollow_diff,
    type_index: usize,
    out_count: *mut usize,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `diff` is a live handle for the whole call (the header's pointer contract).
        let d = unsafe { arg(diff, "diff") }?;
        // SAFETY: a non-NULL `out_count` is writable for the whole call (the header's pointer contract).
        let out_count = unsafe { out(out_count, "out_count") }?;
        out_count.set(change_count(d.type_diff(type_index)?));
        Ok(())
    })
}

/// The `index`-th changed record of the `type_index`-th type (`0 <= index < hollow_diff_change_count`):
/// the removed records first, then the added ones, then the modified ones, each in key order. Its texts
/// are rendered on the first call for it and stay valid while `diff` lives.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_ARGUMENT` (an index out of range).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_diff_change_at(
    diff: *const hollow_diff,
    type_index: usize,
    index: usize,
    out_change: *mut hollow_diff_change,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `diff` is a live handle for the whole call (the header's pointer contract).
        let d = unsafe { arg(diff, "diff") }?;
        // SAFETY: a non-NULL `out_change` is writable for the whole call (the header's pointer contract).
        let out_change = unsafe { out(out_change, "out_change") }?;
        let t = d.type_diff(type_index)?;
        let slots = &d.rendered[type_index];
        let slot = slots.get(index).ok_or_else(|| out_of_range("change index", index, slots.len()))?;
        let r = slot.get_or_init(|| hollow_diff::render(t, index));
        let kind = if index < t.removed_records.len() {
            hollow_diff_change_kind::Removed
        } else if index < t.removed_records.len() + t.added_records.len() {
            hollow_diff_change_kind::Added
        } else {
            hollow_diff_change_kind::Modified
        };
        out_change.set(hollow_diff_change {
            kind,
            key_json: text(&r.key),
            old_json: text(&r.old),
            new_json: text(&r.new),
            fields: text(&r.fields),
        });
        Ok(())
    })
}

/// A kept string as a `hollow_str` (never a NULL pointer, even when empty).
fn text(s: &str) -> hollow_str {
    if s.is_empty() {
        hollow_str::EMPTY
    } else {
        hollow_str::of(s)
    }
}

/// The change set taking the old state to the new one, as JSON lines (one change per line, each ending
/// in `'\n'`), what `hollow_producer_apply_changes` and `hollow produce --incremental` read:
/// `{"op":"delete","type":"Movie","key":[2]}` and `{"op":"upsert","type":"Movie","record":{...}}`. Per
/// root type (a type with a primary key, or one no other type references), by name: deletes of the
/// removed records, then upserts of the modified and added ones; other types' records travel inside
/// their parents' upserts.
///
/// Copied into `buffer` as NUL-terminated UTF-8, as `hollow_object_copy_string` does: `*out_len`
/// receives the length of the text in bytes (without the NUL) whether or not it fit; if `capacity` is
/// less than `*out_len + 1` the buffer receives as much as fits, cut back to whole characters and
/// NUL-terminated (nothing, if `capacity` is 0: `buffer` may then be NULL). Call it with capacity 0 to
/// learn the size. The text is made on the first call and kept in the diff.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_diff_change_set_json(
    diff: *const hollow_diff,
    buffer: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `diff` is a live handle for the whole call (the header's pointer contract).
        let d = unsafe { arg(diff, "diff") }?;
        let lines = d.change_set.get_or_init(|| {
            let mut bytes = Vec::new();
            // Writing to a Vec cannot fail.
            let _ = d.diff.to_change_set().write_json_lines(&mut bytes);
            String::from_utf8(bytes).unwrap_or_default()
        });
        // SAFETY: `buffer` has `capacity` writable bytes and a non-NULL `out_len` is writable, per the
        // header's pointer contract.
        unsafe { copy_text(lines, buffer, capacity, out_len) }
    })
}

/// Free a diff, and every text it returned. NULL is a no-op.
/// Thread safety: no other call may be using `diff`.
#[no_mangle]
pub unsafe extern "C" fn hollow_diff_free(diff: *mut hollow_diff) {
    // SAFETY: `diff` is NULL or a handle from `hollow_diff_new`, not yet freed (the header's contract for
    // `_free`).
    guard_value((), || unsafe { free_handle(diff) })
}

//! Prepared reads: a primary-key index and a field path checked against each other once
//! (`hollow_prepared_read_new`), then read by a key given as a plain `int64_t`
//! (`hollow_prepared_read_int` / `_long` / `_double` / `_string`, and `_many` for arrays of keys).
//!
//! `hollow_primary_key_index_read_*` checks, on every call, the handles, the key's tag and length
//! against the index's key, that the path starts at the index's type and the kind of field it leads
//! to: about a hundred instructions on a read of a few hundred. A prepared read does these checks
//! once, when it is made, and keeps what they established: the key is one `int` or `long` field (so an
//! `int64_t` is a complete key and needs no tag), the path starts at the indexed type, and which kind
//! of field it reads. A call then checks its pointers and compares one field kind, and the rest is the
//! lookup (`PrimaryKeyIndex::get_i64`, the core's entry point for a key that is one integer) and the
//! field read that a Rust caller pays. Callgrind, 100k movies, a lookup and title read
//! (`examples/c/bench_get.c`, `release` profile): 475 instructions, against 603 through
//! `hollow_primary_key_index_read_string`, and 464 for the same read in Rust through `get` (449
//! through `get_i64`).
//!
//! Invariant: a prepared read is valid on its own, whatever happens to the handles it was made from.
//! It holds an `Arc` of the read state's version (the engine its type pointers point into, the
//! dataset its strings point into) and an `Arc` of the index, and keeps its own copies of decoded
//! non-ASCII strings; so freeing the read state, or the consumer moving to another version, changes
//! nothing it reads or returned.

use std::ptr::NonNull;
use std::sync::Arc;

use hollow::consumer::ReadState;
use hollow::encoding::hollow_string;
use hollow::index::{KeyValue, PrimaryKeyIndex};
use hollow::read::ObjectTypeReadState;
use hollow::schema::FieldType;

use crate::guard::{arg, arg_slice, free_handle, guard, guard_value, into_handle, out, FfiResult, Handle, OwnedBox};
use crate::lookup::{hollow_found, leaf_mismatch, not_a_string, not_one_integer_key, path_of_other_type};
use crate::read_state::{hollow_field_path, hollow_primary_key_index, KeptStrings};
use crate::status::{hollow_status, FfiError};
use crate::values::hollow_str;

/// A field of the record with a given primary key, ready to be read by key: made once from a
/// primary-key index and a field path (`hollow_prepared_read_new`), read with
/// `hollow_prepared_read_int` and the others, released with `hollow_prepared_read_free`.
///
/// Owned by the caller and valid until freed, independently of the read state, index and path
/// handles it was made from: it keeps the version it reads alive itself (so it goes on reading that
/// version after the read state is freed or the consumer moved on; make a new one to read a newer
/// version). Usable from many threads at once.
#[allow(non_camel_case_types)]
pub struct hollow_prepared_read {
    /// The version read: owns the type states `hops` and `leaf` point into and the records read.
    state: Arc<ReadState>,
    index: Arc<PrimaryKeyIndex>,
    /// The references followed from the record found, in order.
    hops: Box<[(NonNull<ObjectTypeReadState>, usize)]>,
    /// The type holding the field read, and its index.
    leaf: (NonNull<ObjectTypeReadState>, usize),
    leaf_type: FieldType,
    /// `Type.path`, for messages.
    described: String,
    /// Decoded non-ASCII strings handed out by this handle.
    strings: KeptStrings,
}

impl Handle for hollow_prepared_read {
    type Ownership = OwnedBox;
}

impl hollow_prepared_read {
    /// The ordinal of the record whose key is `key`.
    #[inline(always)]
    fn record(&self, key: i64) -> Option<u32> {
        // The key's shape was checked when the read was prepared; an `int` key field matches only keys
        // that fit in 32 bits.
        self.index.get_i64(self.state.engine(), key)
    }

    /// Follow the path's references from record `ordinal` of the indexed type: the type and record
    /// holding the field read and its index, or `None` when a reference on the way is null.
    #[inline(always)]
    fn walk(&self, mut ordinal: u32) -> Option<(&ObjectTypeReadState, u32, usize)> {
        for (ty, field) in self.hops.iter() {
            // SAFETY: the type states belong to `self.state`'s engine, which this handle keeps alive and
            // which is never modified once shared.
            ordinal = unsafe { ty.as_ref() }.read_ordinal(ordinal, *field)?;
        }
        // SAFETY: as above.
        Some((unsafe { self.leaf.0.as_ref() }, ordinal, self.leaf.1))
    }

    /// Check that this read's field is a `wanted` one: one comparison on the fast path.
    #[inline(always)]
    fn check_leaf(&self, wanted: FieldType) -> FfiResult {
        if self.leaf_type == wanted {
            Ok(())
        } else {
            Err(leaf_mismatch(&self.described, self.leaf_type, wanted))
        }
    }

    /// Look `key` up and read the field through `value_of`.
    #[inline(always)]
    fn read<'a, T>(
        &'a self,
        key: i64,
        value_of: impl FnOnce(&'a ObjectTypeReadState, u32, usize, &'a KeptStrings) -> FfiResult<Option<T>>,
    ) -> FfiResult<(hollow_found, Option<T>)> {
        let Some(ordinal) = self.record(key) else {
            return Ok((hollow_found::NoRecord, None));
        };
        self.read_found(ordinal, value_of)
    }

    /// Read the field from the record `ordinal` found.
    #[inline(always)]
    fn read_found<'a, T>(
        &'a self,
        ordinal: u32,
        value_of: impl FnOnce(&'a ObjectTypeReadState, u32, usize, &'a KeptStrings) -> FfiResult<Option<T>>,
    ) -> FfiResult<(hollow_found, Option<T>)> {
        let Some((ty, record, field)) = self.walk(ordinal) else {
            return Ok((hollow_found::Null, None));
        };
        Ok(match value_of(ty, record, field, &self.strings)? {
            Some(v) => (hollow_found::Value, Some(v)),
            None => (hollow_found::Null, None),
        })
    }
}

#[cold]
#[inline(never)]
fn unreadable_leaf(path: &hollow_field_path) -> FfiError {
    FfiError::new(
        hollow_status::SchemaMismatch,
        format!(
            "field path {} leads to a {} field; a prepared read reads INT, LONG, DOUBLE and STRING fields",
            path.describe(),
            path.leaf_type().java_name()
        ),
    )
}

#[cold]
#[inline(never)]
fn path_of_other_version(index: &hollow_primary_key_index, path: &hollow_field_path) -> FfiError {
    FfiError::new(
        hollow_status::InvalidArgument,
        format!(
            "field path {} was resolved at version {}, the index is of version {}; make both from one read state",
            path.describe(),
            path.version_state().version(),
            index.parts().1.state().version()
        ),
    )
}

/// Prepare reads of the field at `path` (from `hollow_read_state_field_path`) of the record with a
/// given key in `index` (from `hollow_read_state_primary_key_index` of the same read state). The key
/// must be one `int` or `long` field, the path must start at the index's type and lead to an `int`,
/// `long`, `double` or `string` field; all of this is checked here, once, so each read checks only its
/// pointers.
///
/// On success `*out_read` receives a new handle, owned by the caller (`hollow_prepared_read_free`). It
/// keeps the version it reads alive: it stays valid, and goes on reading that version, after the read
/// state that gave `index` and `path` is freed and after the consumer moves to another version.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_ARGUMENT` (a key that is not one
/// `int` or `long` field, or a path from another type or another version than the index's),
/// `HOLLOW_STATUS_SCHEMA_MISMATCH` (the path leads to a field of another kind); nothing is written
/// then. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_prepared_read_new(
    index: *const hollow_primary_key_index,
    path: *const hollow_field_path,
    out_read: *mut *mut hollow_prepared_read,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `index` is a live handle for the whole call (the header's pointer contract).
        let index = unsafe { arg(index, "index") }?;
        // SAFETY: a non-NULL `path` is a live handle for the whole call (the header's pointer contract).
        let path = unsafe { arg(path, "path") }?;
        // SAFETY: a non-NULL `out_read` is writable for the whole call (the header's pointer contract).
        let out_read = unsafe { out(out_read, "out_read") }?;
        if !index.signature().is_one_integer() {
            return Err(not_one_integer_key("hollow_prepared_read_new", index));
        }
        if !std::ptr::eq(path.root(), index.root()) {
            return Err(path_of_other_type(index, path));
        }
        if !matches!(path.leaf_type(), FieldType::Int | FieldType::Long | FieldType::Double | FieldType::String) {
            return Err(unreadable_leaf(path));
        }
        // Versions share the type states a delta did not change, so a root in common does not make the
        // index and the path of one version; the path's pointers must point into the version kept.
        let state = index.parts().1.shared_state();
        if !Arc::ptr_eq(state, path.version_state()) {
            return Err(path_of_other_version(index, path));
        }
        let (&leaf, hops) = path.steps().split_last().expect("a resolved path has at least one step");
        out_read.set(into_handle(hollow_prepared_read {
            state: state.clone(),
            index: index.shared_index().clone(),
            hops: hops.into(),
            leaf,
            leaf_type: path.leaf_type(),
            described: path.describe(),
            strings: KeptStrings::default(),
        }));
        Ok(())
    })
}

/// Release a prepared read. Strings it returned become invalid. NULL is a no-op. Thread safety: no
/// other call may be using `read`.
#[no_mangle]
pub unsafe extern "C" fn hollow_prepared_read_free(read: *mut hollow_prepared_read) {
    // SAFETY: `read` is NULL or a handle from `hollow_prepared_read_new`, not yet freed (the header's
    // contract for `_free`).
    guard_value((), || unsafe { free_handle(read) })
}

/// The body of the single-key reads: pointers checked first, out-parameters written on success.
///
/// # Safety
/// Non-NULL pointers as the header's pointer contract says.
#[inline(always)]
unsafe fn read_one<T>(
    read: *const hollow_prepared_read,
    key: i64,
    wanted: FieldType,
    out_value: *mut T,
    out_found: *mut hollow_found,
    empty: impl FnOnce() -> T,
    value_of: impl for<'a> FnOnce(&'a ObjectTypeReadState, u32, usize, &'a KeptStrings) -> FfiResult<Option<T>>,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `read` is a live handle for the whole call (the header's pointer contract).
        let read = unsafe { arg(read, "read") }?;
        // SAFETY: a non-NULL `out_value` is writable for the whole call (the header's pointer contract).
        let out_value = unsafe { out(out_value, "out_value") }?;
        // SAFETY: a non-NULL `out_found` is writable for the whole call (the header's pointer contract).
        let out_found = unsafe { out(out_found, "out_found") }?;
        read.check_leaf(wanted)?;
        let (found, value) = read.read(key, value_of)?;
        out_value.set(value.unwrap_or_else(empty));
        out_found.set(found);
        Ok(())
    })
}

/// Read the `int` field of the record whose key is `key`: `*out_found` says whether there was a record
/// and a value; `*out_value` receives the value, or 0. A key of an `int` field that `key` does not fit
/// finds no record.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (the prepared field is not an
/// `int`). Out-parameters are written only on success. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_prepared_read_int(
    read: *const hollow_prepared_read,
    key: i64,
    out_value: *mut i32,
    out_found: *mut hollow_found,
) -> hollow_status {
    // SAFETY: the caller's pointers as the header's pointer contract says.
    unsafe { read_one(read, key, FieldType::Int, out_value, out_found, || 0, |o, r, f, _| Ok(o.read_int(r, f))) }
}

/// As `hollow_prepared_read_int`, for a `long` field.
///
/// Errors: as `hollow_prepared_read_int`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_prepared_read_long(
    read: *const hollow_prepared_read,
    key: i64,
    out_value: *mut i64,
    out_found: *mut hollow_found,
) -> hollow_status {
    // SAFETY: the caller's pointers as the header's pointer contract says.
    unsafe { read_one(read, key, FieldType::Long, out_value, out_found, || 0, |o, r, f, _| Ok(o.read_long(r, f))) }
}

/// As `hollow_prepared_read_int`, for a `double` field.
///
/// Errors: as `hollow_prepared_read_int`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_prepared_read_double(
    read: *const hollow_prepared_read,
    key: i64,
    out_value: *mut f64,
    out_found: *mut hollow_found,
) -> hollow_status {
    // SAFETY: the caller's pointers as the header's pointer contract says.
    unsafe {
        read_one(read, key, FieldType::Double, out_value, out_found, || 0.0, |o, r, f, _| Ok(o.read_double(r, f)))
    }
}

/// The string field `field` of record `ordinal`, a STRING field (checked when the read was prepared, so
/// `ObjectTypeReadState::read_string`'s kind check is not repeated): ASCII text in place, other text
/// decoded and kept.
#[inline(always)]
fn prepared_string(
    o: &ObjectTypeReadState,
    ordinal: u32,
    field: usize,
    kept: &KeptStrings,
) -> FfiResult<Option<hollow_str>> {
    let Some(bytes) = o.read_bytes(ordinal, field) else {
        return Ok(None);
    };
    match hollow_string::decode(bytes) {
        Some(text) => Ok(Some(kept.keep(text))),
        None => Err(not_a_string(o, ordinal, field)),
    }
}

/// As `hollow_prepared_read_int`, for a `string` field: `*out_value` points into the dataset (or, for
/// text that is not ASCII, to a copy the prepared read keeps) and is valid until the prepared read is
/// freed; an empty string when `*out_found` is not `HOLLOW_FOUND_VALUE`.
///
/// Errors: as `hollow_prepared_read_int`, and `HOLLOW_STATUS_CORRUPT_BLOB` (the stored text is not
/// valid). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_prepared_read_string(
    read: *const hollow_prepared_read,
    key: i64,
    out_value: *mut hollow_str,
    out_found: *mut hollow_found,
) -> hollow_status {
    // SAFETY: the caller's pointers as the header's pointer contract says.
    unsafe { read_one(read, key, FieldType::String, out_value, out_found, || hollow_str::EMPTY, prepared_string) }
}

/// The body of the batch reads: the lookups of a chunk of keys are made together (their cache misses
/// overlap), then each record found is read.
///
/// # Safety
/// Non-NULL pointers as the header's pointer contract says: `keys` readable and `out_values` and
/// `out_found` writable for `count` elements.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn read_many<T>(
    read: *const hollow_prepared_read,
    keys: *const i64,
    count: usize,
    wanted: FieldType,
    out_values: *mut T,
    out_found: *mut hollow_found,
    empty: impl Fn() -> T,
    value_of: impl for<'a> Fn(&'a ObjectTypeReadState, u32, usize, &'a KeptStrings) -> FfiResult<Option<T>>,
) -> hollow_status {
    /// Keys converted per call of the core's batch lookup (it works through them in stages of 16).
    /// Chunks of 256 keys, which fill and drain the core's pipeline less often, measured no faster
    /// (`examples/c/bench_get.c`, 1M movies: 72-79 ns a key at 64, 91-100 at 256, two pairs).
    const CHUNK: usize = 64;
    guard(|| {
        // SAFETY: a non-NULL `read` is a live handle for the whole call (the header's pointer contract).
        let read = unsafe { arg(read, "read") }?;
        // SAFETY: a non-NULL `keys` points to `count` readable values (the header's pointer contract).
        let keys = unsafe { arg_slice(keys, count, "keys") }?;
        if count > 0 && out_values.is_null() {
            return Err(FfiError::null("out_values"));
        }
        if count > 0 && out_found.is_null() {
            return Err(FfiError::null("out_found"));
        }
        read.check_leaf(wanted)?;
        let mut failed: Option<FfiError> = None;
        let mut batch: [[KeyValue<'static>; 1]; CHUNK] = std::array::from_fn(|_| [KeyValue::Long(0)]);
        for (c, chunk) in keys.chunks(CHUNK).enumerate() {
            for (slot, &k) in batch.iter_mut().zip(chunk) {
                slot[0] = KeyValue::Long(k);
            }
            let base = c * CHUNK;
            read.index.get_many_each(read.state.engine(), &batch[..chunk.len()], |i, ordinal| {
                let (found, value) = match ordinal.map(|o| read.read_found(o, &value_of)) {
                    None => (hollow_found::NoRecord, None),
                    Some(Ok(result)) => result,
                    Some(Err(e)) => {
                        failed.get_or_insert(e);
                        (hollow_found::Null, None)
                    }
                };
                // SAFETY: both arrays are non-NULL when `count > 0` (checked above) and have `count`
                // writable elements (the header's pointer contract); `base + i < count`, as `i` indexes
                // this chunk.
                unsafe {
                    out_values.add(base + i).write(value.unwrap_or_else(&empty));
                    out_found.add(base + i).write(found);
                }
            });
        }
        failed.map_or(Ok(()), Err)
    })
}

/// Read the `int` field of the records whose keys are `keys[0]` to `keys[count - 1]`, in one call:
/// `out_values[i]` and `out_found[i]` receive what `hollow_prepared_read_int` would for `keys[i]`.
/// Faster than one call per key: the index reads of a batch are started together, so their cache
/// misses overlap.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT` (`read`, or an array with `count` above 0),
/// `HOLLOW_STATUS_SCHEMA_MISMATCH` (the prepared field is not an `int`); nothing is written then.
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_prepared_read_int_many(
    read: *const hollow_prepared_read,
    keys: *const i64,
    count: usize,
    out_values: *mut i32,
    out_found: *mut hollow_found,
) -> hollow_status {
    // SAFETY: the caller's pointers as the header's pointer contract says.
    unsafe {
        read_many(read, keys, count, FieldType::Int, out_values, out_found, || 0, |o, r, f, _| Ok(o.read_int(r, f)))
    }
}

/// As `hollow_prepared_read_int_many`, for a `long` field.
///
/// Errors: as `hollow_prepared_read_int_many`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_prepared_read_long_many(
    read: *const hollow_prepared_read,
    keys: *const i64,
    count: usize,
    out_values: *mut i64,
    out_found: *mut hollow_found,
) -> hollow_status {
    // SAFETY: the caller's pointers as the header's pointer contract says.
    unsafe {
        read_many(read, keys, count, FieldType::Long, out_values, out_found, || 0, |o, r, f, _| Ok(o.read_long(r, f)))
    }
}

/// As `hollow_prepared_read_int_many`, for a `double` field.
///
/// Errors: as `hollow_prepared_read_int_many`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_prepared_read_double_many(
    read: *const hollow_prepared_read,
    keys: *const i64,
    count: usize,
    out_values: *mut f64,
    out_found: *mut hollow_found,
) -> hollow_status {
    // SAFETY: the caller's pointers as the header's pointer contract says.
    unsafe {
        read_many(
            read,
            keys,
            count,
            FieldType::Double,
            out_values,
            out_found,
            || 0.0,
            |o, r, f, _| Ok(o.read_double(r, f)),
        )
    }
}

/// As `hollow_prepared_read_int_many`, for a `string` field: each `out_values[i]` as
/// `hollow_prepared_read_string` gives it, valid until the prepared read is freed.
///
/// Errors: as `hollow_prepared_read_int_many`, and `HOLLOW_STATUS_CORRUPT_BLOB` (a stored text is not
/// valid): the one exception to "nothing is written on failure", as the arrays are filled while the
/// records are read; every element is then written, the undecodable ones as empty strings found
/// `HOLLOW_FOUND_NULL`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_prepared_read_string_many(
    read: *const hollow_prepared_read,
    keys: *const i64,
    count: usize,
    out_values: *mut hollow_str,
    out_found: *mut hollow_found,
) -> hollow_status {
    // SAFETY: the caller's pointers as the header's pointer contract says.
    unsafe {
        read_many(read, keys, count, FieldType::String, out_values, out_found, || hollow_str::EMPTY, prepared_string)
    }
}

//! Reads that cost one crossing of the boundary: a primary-key lookup and a field of the record found
//! (`hollow_primary_key_index_read_*`), and a lookup of many keys at once
//! (`hollow_primary_key_index_get_many_i64`).
//!
//! A read by key through the separate calls crosses three times (lookup, reference, string), and on a
//! machine whose caches hold the dataset that fixed cost is most of a read. Here the field is named by a
//! `hollow_field_path` resolved once, so a call compares two pointers and one field kind before the
//! lookup; nothing is allocated and no lock is taken (except to keep a decoded non-ASCII string for
//! `read_string`, as `hollow_object_get_string` does), and every error is built out of line.

use std::ffi::c_char;

use hollow::index::KeyValue;
use hollow::read::ObjectTypeReadState;
use hollow::schema::FieldType;

use crate::guard::{arg, arg_slice, guard, out, FfiResult, Out};
use crate::index::lookup;
use crate::read_state::{hollow_field_path, hollow_primary_key_index, hollow_read_state};
use crate::status::{hollow_status, FfiError};
use crate::values::{copy_text, hollow_key_value, hollow_str};

/// What a one-crossing read found. Values are stable.
#[allow(non_camel_case_types)]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum hollow_found {
    /// No record has the key; the value written is 0 (or empty).
    NoRecord = 0,
    /// The record exists, but the field (or a reference on the path to it) is null; the value written is
    /// 0 (or empty).
    Null = 1,
    /// The record exists and the value written is its field.
    Value = 2,
}

/// The ordinal `hollow_primary_key_index_get_many_i64` writes for a key that no record has.
pub const HOLLOW_NO_ORDINAL: u32 = u32::MAX;

#[cold]
#[inline(never)]
pub(crate) fn path_of_other_type(index: &hollow_primary_key_index, path: &hollow_field_path) -> FfiError {
    FfiError::new(
        hollow_status::InvalidArgument,
        format!("field path {} does not start at {}, the type of this index", path.describe(), index.root().name()),
    )
}

#[cold]
#[inline(never)]
fn wrong_leaf(path: &hollow_field_path, wanted: FieldType) -> FfiError {
    leaf_mismatch(&path.describe(), path.leaf_type(), wanted)
}

/// The error of a read of a `wanted` field through a path (`Type.path`) that leads to a `leaf` field.
#[cold]
#[inline(never)]
pub(crate) fn leaf_mismatch(path: &str, leaf: FieldType, wanted: FieldType) -> FfiError {
    FfiError::new(
        hollow_status::SchemaMismatch,
        format!("field path {path} leads to a {} field, not {}", leaf.java_name(), wanted.java_name()),
    )
}

#[cold]
#[inline(never)]
pub(crate) fn not_a_string(o: &ObjectTypeReadState, ordinal: u32, field: usize) -> FfiError {
    FfiError::new(
        hollow_status::CorruptBlob,
        format!("{} record {ordinal}: field {field} holds bytes that are not a valid string", o.name()),
    )
}

/// The body of every one-crossing read: check the handles and the field's kind, look the key up, follow
/// the path and `read` the field. Nothing is written here: the caller writes its out-parameters, which it
/// checked before calling, once this returned `Ok`.
///
/// # Safety
/// Non-NULL pointers must be live handles, and `key` point to `key_len` readable key values (the
/// header's pointer contract).
#[inline(always)]
unsafe fn read_by_key<'a, T>(
    index: *const hollow_primary_key_index,
    key: *const hollow_key_value,
    key_len: usize,
    path: *const hollow_field_path,
    wanted: FieldType,
    read: impl FnOnce(&'a ObjectTypeReadState, u32, usize, &'a hollow_read_state) -> FfiResult<Option<T>>,
) -> FfiResult<(hollow_found, Option<T>)> {
    // SAFETY: a non-NULL `index` is a live handle for the whole call (the header's pointer contract).
    let handle: &'a hollow_primary_key_index = unsafe { arg(index, "index") }?;
    // SAFETY: a non-NULL `path` is a live handle for the whole call (the header's pointer contract).
    let path: &'a hollow_field_path = unsafe { arg(path, "path") }?;
    if !std::ptr::eq(path.root(), handle.root()) {
        return Err(path_of_other_type(handle, path));
    }
    if path.leaf_type() != wanted {
        return Err(wrong_leaf(path, wanted));
    }
    // SAFETY: `key` as this function's contract says.
    let Some(ordinal) = unsafe { lookup(handle, key, key_len) }? else {
        return Ok((hollow_found::NoRecord, None));
    };
    let Some((ty, record, field)) = path.walk(ordinal) else {
        return Ok((hollow_found::Null, None));
    };
    Ok(match read(ty, record, field, handle.parts().1)? {
        Some(v) => (hollow_found::Value, Some(v)),
        None => (hollow_found::Null, None),
    })
}

/// The fixed-size one-crossing reads: out-parameters checked first, written on success.
///
/// # Safety
/// As [`read_by_key`]; non-NULL `out_value` and `out_found` must be writable.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn read_fixed<T: Default>(
    index: *const hollow_primary_key_index,
    key: *const hollow_key_value,
    key_len: usize,
    path: *const hollow_field_path,
    wanted: FieldType,
    out_value: *mut T,
    out_found: *mut hollow_found,
    read: impl FnOnce(&ObjectTypeReadState, u32, usize) -> Option<T>,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `out_value` is writable for the whole call (the header's pointer contract).
        let out_value: Out<T> = unsafe { out(out_value, "out_value") }?;
        // SAFETY: a non-NULL `out_found` is writable for the whole call (the header's pointer contract).
        let out_found = unsafe { out(out_found, "out_found") }?;
        // SAFETY: the handles and the key as the header's pointer contract says.
        let (found, value) = unsafe { read_by_key(index, key, key_len, path, wanted, |o, r, f, _| Ok(read(o, r, f))) }?;
        out_value.set(value.unwrap_or_default());
        out_found.set(found);
        Ok(())
    })
}

/// Look up the record whose primary key is `key` (`key_len` values, as `hollow_primary_key_index_get`)
/// and read the `int` field at `path` (from `hollow_read_state_field_path`, starting at the index's
/// type), in one call. `*out_found` says whether there was a record and a value; `*out_value` receives the
/// value, or 0.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_INVALID_ARGUMENT`
/// (a key of the wrong shape, as `hollow_primary_key_index_get`, or a path from another type),
/// `HOLLOW_STATUS_SCHEMA_MISMATCH` (the path leads to a field that is not an `int`). Out-parameters are
/// written only on success. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_primary_key_index_read_int(
    index: *const hollow_primary_key_index,
    key: *const hollow_key_value,
    key_len: usize,
    path: *const hollow_field_path,
    out_value: *mut i32,
    out_found: *mut hollow_found,
) -> hollow_status {
    // SAFETY: the caller's pointers as the header's pointer contract says.
    unsafe { read_fixed(index, key, key_len, path, FieldType::Int, out_value, out_found, |o, r, f| o.read_int(r, f)) }
}

/// As `hollow_primary_key_index_read_int`, for a `long` field.
///
/// Errors: as `hollow_primary_key_index_read_int`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_primary_key_index_read_long(
    index: *const hollow_primary_key_index,
    key: *const hollow_key_value,
    key_len: usize,
    path: *const hollow_field_path,
    out_value: *mut i64,
    out_found: *mut hollow_found,
) -> hollow_status {
    // SAFETY: the caller's pointers as the header's pointer contract says.
    unsafe { read_fixed(index, key, key_len, path, FieldType::Long, out_value, out_found, |o, r, f| o.read_long(r, f)) }
}

/// As `hollow_primary_key_index_read_int`, for a `double` field.
///
/// Errors: as `hollow_primary_key_index_read_int`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_primary_key_index_read_double(
    index: *const hollow_primary_key_index,
    key: *const hollow_key_value,
    key_len: usize,
    path: *const hollow_field_path,
    out_value: *mut f64,
    out_found: *mut hollow_found,
) -> hollow_status {
    // SAFETY: the caller's pointers as the header's pointer contract says.
    unsafe {
        read_fixed(index, key, key_len, path, FieldType::Double, out_value, out_found, |o, r, f| o.read_double(r, f))
    }
}

/// The text of a string field, `None` when null; an error when bytes are stored that do not decode.
#[inline(always)]
fn string_of(o: &ObjectTypeReadState, ordinal: u32, field: usize) -> FfiResult<Option<std::borrow::Cow<'_, str>>> {
    match o.read_string(ordinal, field) {
        Some(s) => Ok(Some(s)),
        None if o.is_null(ordinal, field) => Ok(None),
        None => Err(not_a_string(o, ordinal, field)),
    }
}

/// As `hollow_primary_key_index_read_int`, for a `string` field: `*out_value` points into the dataset
/// (or, for text that is not ASCII, to a copy the read state keeps) and is valid until the read state is
/// released; an empty string when `*out_found` is not `HOLLOW_FOUND_VALUE`.
///
/// Errors: as `hollow_primary_key_index_read_int`, and `HOLLOW_STATUS_CORRUPT_BLOB` (the stored text is
/// not valid). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_primary_key_index_read_string(
    index: *const hollow_primary_key_index,
    key: *const hollow_key_value,
    key_len: usize,
    path: *const hollow_field_path,
    out_value: *mut hollow_str,
    out_found: *mut hollow_found,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `out_value` is writable for the whole call (the header's pointer contract).
        let out_value = unsafe { out(out_value, "out_value") }?;
        // SAFETY: a non-NULL `out_found` is writable for the whole call (the header's pointer contract).
        let out_found = unsafe { out(out_found, "out_found") }?;
        // SAFETY: the handles and the key as the header's pointer contract says.
        let (found, value) = unsafe {
            read_by_key(index, key, key_len, path, FieldType::String, |o, r, f, owner| {
                Ok(string_of(o, r, f)?.map(|s| owner.keep_str(s)))
            })
        }?;
        out_value.set(value.unwrap_or(hollow_str::EMPTY));
        out_found.set(found);
        Ok(())
    })
}

/// As `hollow_primary_key_index_read_string`, but copying the text into `buffer` as NUL-terminated
/// UTF-8, keeping nothing in the read state, with the convention of `hollow_object_copy_string`:
/// `*out_len` receives the text's length in bytes (without the NUL) whether or not it fit; a short buffer
/// receives as much as fits, cut back to whole characters, then the NUL; with `capacity` 0 nothing is
/// copied and `buffer` may be NULL. No record or a null field copies an empty string.
///
/// Errors: as `hollow_primary_key_index_read_string`. Thread safety: any thread, concurrently.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn hollow_primary_key_index_copy_string(
    index: *const hollow_primary_key_index,
    key: *const hollow_key_value,
    key_len: usize,
    path: *const hollow_field_path,
    buffer: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
    out_found: *mut hollow_found,
) -> hollow_status {
    guard(|| {
        if capacity > 0 && buffer.is_null() {
            return Err(FfiError::null("buffer"));
        }
        if out_len.is_null() {
            return Err(FfiError::null("out_len"));
        }
        // SAFETY: a non-NULL `out_found` is writable for the whole call (the header's pointer contract).
        let out_found = unsafe { out(out_found, "out_found") }?;
        // SAFETY: the handles and the key as the header's pointer contract says; the text is copied out
        // below, before the call returns.
        let (found, value) =
            unsafe { read_by_key(index, key, key_len, path, FieldType::String, |o, r, f, _| string_of(o, r, f)) }?;
        // SAFETY: `buffer` has `capacity` writable bytes and `out_len` is writable (the header's contract).
        unsafe { copy_text(value.as_deref().unwrap_or(""), buffer, capacity, out_len) }?;
        out_found.set(found);
        Ok(())
    })
}

#[cold]
#[inline(never)]
pub(crate) fn not_one_integer_key(function: &str, index: &hollow_primary_key_index) -> FfiError {
    let signature = index.signature();
    let fields: Vec<String> =
        signature.fields.iter().map(|(path, t)| format!("{path} ({})", t.java_name().to_ascii_lowercase())).collect();
    FfiError::new(
        hollow_status::InvalidArgument,
        format!(
            "{function} needs a key of one int or long field; the key of {} is {}",
            signature.type_name,
            fields.join(", ")
        ),
    )
}

/// Look up `count` keys at once, for an index whose key is one `int` or `long` field: `ordinals[i]`
/// receives the ordinal of the record whose key is `keys[i]`, or `HOLLOW_NO_ORDINAL` if there is none.
/// `*out_found` (may be NULL) receives how many keys were found. Faster than one call per key: the
/// table reads of a batch are started together, so their cache misses overlap.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT` (`index`, or `keys` or `ordinals` with `count` above 0),
/// `HOLLOW_STATUS_INVALID_ARGUMENT` (the key is not one `int` or `long` field); nothing is written then.
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_primary_key_index_get_many_i64(
    index: *const hollow_primary_key_index,
    keys: *const i64,
    count: usize,
    ordinals: *mut u32,
    out_found: *mut usize,
) -> hollow_status {
    /// Keys converted per call of the core's batch lookup (it works through them in stages of 16).
    /// Chunks of 256 keys, which fill and drain the core's pipeline less often, measured no faster
    /// (`examples/c/bench_get.c`, 1M movies: 72-79 ns a key at 64, 91-100 at 256, two pairs).
    const CHUNK: usize = 64;
    guard(|| {
        // SAFETY: a non-NULL `index` is a live handle for the whole call (the header's pointer contract).
        let handle = unsafe { arg(index, "index") }?;
        if !handle.signature().is_one_integer() {
            return Err(not_one_integer_key("hollow_primary_key_index_get_many_i64", handle));
        }
        // SAFETY: a non-NULL `keys` points to `count` readable values (the header's pointer contract).
        let keys = unsafe { arg_slice(keys, count, "keys") }?;
        if count > 0 && ordinals.is_null() {
            return Err(FfiError::null("ordinals"));
        }
        let (index, owner) = handle.parts();
        let mut found = 0usize;
        let mut batch: [[KeyValue<'static>; 1]; CHUNK] = std::array::from_fn(|_| [KeyValue::Long(0)]);
        for (c, chunk) in keys.chunks(CHUNK).enumerate() {
            for (slot, &k) in batch.iter_mut().zip(chunk) {
                slot[0] = KeyValue::Long(k);
            }
            let base = c * CHUNK;
            index.get_many_each(owner.engine(), &batch[..chunk.len()], |i, ordinal| {
                found += ordinal.is_some() as usize;
                // SAFETY: `ordinals` is non-NULL when `count > 0` (checked above) and has `count` writable
                // slots (the header's pointer contract); `base + i < count`, as `i` indexes this chunk.
                unsafe { ordinals.add(base + i).write(ordinal.unwrap_or(HOLLOW_NO_ORDINAL)) };
            });
        }
        if !out_found.is_null() {
            // SAFETY: non-NULL, writable per the header's pointer contract.
            unsafe { out_found.write(found) };
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_values_and_the_no_ordinal_marker_are_abi() {
        // The numbers are ABI: C code compares against them; they must never change.
        let values = [hollow_found::NoRecord, hollow_found::Null, hollow_found::Value].map(|f| f as i32);
        assert_eq!(values, [0, 1, 2]);
        assert_eq!(HOLLOW_NO_ORDINAL, 0xFFFF_FFFF);
    }
}

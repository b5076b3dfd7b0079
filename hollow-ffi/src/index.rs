//! Lookups through the indexes of a read state: a primary key to one record, a hash key to many.

use crate::guard::{arg, guard, out};
use crate::read_state::{hollow_hash_index, hollow_primary_key_index};
use crate::status::{hollow_status, FfiError};
use crate::values::{hollow_key_value, key_field, with_key};

/// The record whose primary key is `key`: an array of `key_len` values, one per key field in the order
/// of the type's `@PrimaryKey`. `*out_found` tells whether there is one; if so `*out_ordinal` receives
/// its ordinal. A key of the wrong length or kinds matches nothing (`*out_found = false`).
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT` (also for a NULL `key` with `key_len > 0`),
/// `HOLLOW_STATUS_INVALID_UTF8` (a string key value), `HOLLOW_STATUS_INVALID_ARGUMENT` (a
/// `field_type` that is not a `hollow_field_type`). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_primary_key_index_get(
    index: *const hollow_primary_key_index,
    key: *const hollow_key_value,
    key_len: usize,
    out_ordinal: *mut u32,
    out_found: *mut bool,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `index` is a live handle for the whole call (the header's pointer contract).
        let (index, owner) = unsafe { arg(index, "index") }?.parts();
        // SAFETY: a non-NULL `out_ordinal` is writable for the whole call (the header's pointer contract).
        let out_ordinal = unsafe { out(out_ordinal, "out_ordinal") }?;
        // SAFETY: a non-NULL `out_found` is writable for the whole call (the header's pointer contract).
        let out_found = unsafe { out(out_found, "out_found") }?;
        let found = if key_len == 1 && !key.is_null() {
            // The common case, without the general path's closures: one key field.
            // SAFETY: `key` is non-NULL and points to `key_len` (1) key values whose strings and bytes are
            // readable for the call (the header's pointer contract).
            let k = unsafe { key_field(key, 0) }?.to_index_key();
            index.get(owner.engine(), std::slice::from_ref(&k))
        } else {
            // SAFETY: a non-NULL `key` points to `key_len` key values whose strings and bytes are readable
            // for the call (the header's pointer contract), which is what `with_key` requires.
            unsafe { with_key(key, key_len, |k| k.to_index_key(), |key| index.get(owner.engine(), key)) }?
        };
        out_found.set(found.is_some());
        out_ordinal.set(found.unwrap_or(0));
        Ok(())
    })
}

/// The records whose key fields equal `key` (`key_len` values, in the order the index's fields were
/// given). At most `capacity` ordinals are written to `ordinals`; `*out_count` receives the number of
/// matches, so a call with `capacity` 0 (`ordinals` may then be NULL) counts them.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_INVALID_ARGUMENT`.
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_hash_index_find(
    index: *const hollow_hash_index,
    key: *const hollow_key_value,
    key_len: usize,
    ordinals: *mut u32,
    capacity: usize,
    out_count: *mut usize,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `index` is a live handle for the whole call (the header's pointer contract).
        let (index, owner) = unsafe { arg(index, "index") }?.parts();
        if capacity > 0 && ordinals.is_null() {
            return Err(FfiError::null("ordinals"));
        }
        // SAFETY: a non-NULL `out_count` is writable for the whole call (the header's pointer contract).
        let out_count = unsafe { out(out_count, "out_count") }?;
        let write_matches = |key: &[_]| {
            let matches = index.find(owner.engine(), key);
            let mut n = 0;
            for o in matches.iter() {
                if n < capacity {
                    // SAFETY: `ordinals` is non-NULL when `capacity > 0` (checked above) and has `capacity`
                    // writable slots (the header's pointer contract); `n < capacity`.
                    unsafe { ordinals.add(n).write(o) };
                }
                n += 1;
            }
            n
        };
        // SAFETY: a non-NULL `key` points to `key_len` key values whose strings and bytes are readable
        // for the call (the header's pointer contract), which is what `with_key` requires.
        let count = unsafe { with_key(key, key_len, |k| k.to_index_key(), write_matches) }?;
        out_count.set(count);
        Ok(())
    })
}

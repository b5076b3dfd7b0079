//! Lookups through the indexes of a read state: a primary key to one record, a hash key to many.
//!
//! Every lookup first checks the caller's key against the index's [`KeySignature`] (number of values,
//! kind of each), so a malformed key is an error with a message, never a silent miss.

use hollow::index::KeyValue;
use hollow::schema::FieldType;

use crate::guard::{arg, guard, out, FfiResult};
use crate::read_state::{hollow_hash_index, hollow_primary_key_index};
use crate::status::{hollow_status, FfiError};
use crate::values::{hollow_key_value, integer_key, key_field, with_key, KeyField};

/// What a key must look like for one index: the indexed type (for messages) and each key field's path
/// and the kind of value it holds (REFERENCE for a field matched by ordinal). Checking a caller's key
/// against it turns a key of the wrong shape into `HOLLOW_STATUS_INVALID_ARGUMENT` with a message,
/// where the core index would just find nothing.
pub(crate) struct KeySignature {
    pub(crate) type_name: String,
    pub(crate) fields: Box<[(String, FieldType)]>,
}

impl KeySignature {
    /// Whether the key is one `int` or `long` field, which a key given as an `int64_t` can match.
    pub(crate) fn is_one_integer(&self) -> bool {
        self.fields.len() == 1 && matches!(self.fields[0].1, FieldType::Int | FieldType::Long)
    }

    /// Check the number of key values given. One comparison on the fast path.
    #[inline(always)]
    fn check_len(&self, given: usize) -> FfiResult {
        if given == self.fields.len() {
            Ok(())
        } else {
            Err(self.wrong_len(given))
        }
    }

    /// Check that `k`, given for key field `i`, is of the kind that field holds (an INT and a LONG stand
    /// for each other). One comparison on the fast path.
    #[inline(always)]
    fn check_kind(&self, i: usize, k: &KeyField<'_>) -> FfiResult {
        let wanted = self.fields[i].1;
        let fits = match k {
            KeyField::Int(_) | KeyField::Long(_) => matches!(wanted, FieldType::Int | FieldType::Long),
            KeyField::Float(_) => wanted == FieldType::Float,
            KeyField::Double(_) => wanted == FieldType::Double,
            KeyField::Boolean(_) => wanted == FieldType::Boolean,
            KeyField::String(_) => wanted == FieldType::String,
            KeyField::Bytes(_) => wanted == FieldType::Bytes,
            KeyField::Reference(_) => wanted == FieldType::Reference,
        };
        if fits {
            Ok(())
        } else {
            Err(self.wrong_kind(i, k))
        }
    }

    /// Check every value of a key array of `key_len` values (its length already checked).
    ///
    /// # Safety
    /// As [`key_field`] for every `i < key_len`; `key` may be NULL only if `key_len` is 0.
    unsafe fn check_all(&self, key: *const hollow_key_value, key_len: usize) -> FfiResult {
        if key_len > 0 && key.is_null() {
            return Err(FfiError::null("key"));
        }
        for i in 0..key_len {
            // SAFETY: `key` is non-NULL and holds `key_len` key values (this function's contract);
            // `i < key_len`.
            self.check_kind(i, &unsafe { key_field(key, i) }?)?;
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn wrong_kind(&self, i: usize, k: &KeyField<'_>) -> FfiError {
        let (path, wanted) = &self.fields[i];
        let given = match k {
            KeyField::Int(_) => "an int",
            KeyField::Long(_) => "a long",
            KeyField::Float(_) => "a float",
            KeyField::Double(_) => "a double",
            KeyField::Boolean(_) => "a boolean",
            KeyField::String(_) => "a string",
            KeyField::Bytes(_) => "bytes",
            KeyField::Reference(_) => "a reference",
        };
        FfiError::new(
            hollow_status::InvalidArgument,
            format!(
                "key field {i} ({path}) of {} holds {}, but {given} was given",
                self.type_name,
                with_article(&wanted.java_name().to_ascii_lowercase())
            ),
        )
    }

    #[cold]
    #[inline(never)]
    fn wrong_len(&self, given: usize) -> FfiError {
        let n = self.fields.len();
        let paths: Vec<&str> = self.fields.iter().map(|(p, _)| p.as_str()).collect();
        FfiError::new(
            hollow_status::InvalidArgument,
            format!(
                "the key of {} has {n} field{} ({}), {given} given",
                self.type_name,
                if n == 1 { "" } else { "s" },
                paths.join(", ")
            ),
        )
    }
}

/// `"an int"`, `"a long"`.
fn with_article(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {noun}")
}

/// The ordinal of the record whose primary key is `key` (`key_len` values), after checking the key
/// against the index's signature: the body of every primary-key lookup of the C API.
///
/// # Safety
/// A non-NULL `key` must point to `key_len` key values whose strings and bytes are readable for the call.
#[inline(always)]
pub(crate) unsafe fn lookup(
    handle: &hollow_primary_key_index,
    key: *const hollow_key_value,
    key_len: usize,
) -> FfiResult<Option<u32>> {
    let (index, owner) = handle.parts();
    let signature = handle.signature();
    signature.check_len(key_len)?;
    if key_len == 1 && !key.is_null() && matches!(signature.fields[0].1, FieldType::Int | FieldType::Long) {
        // The most common key, one integer field, given as an INT or a LONG (which stand for each other):
        // no general decoding. Any other tag takes the general path below, which reports it.
        // SAFETY: `key` is non-NULL and points to one key value (this function's contract).
        if let Some(k) = unsafe { integer_key(key) } {
            return Ok(index.get(owner.engine(), &[KeyValue::Long(k)]));
        }
    }
    Ok(if key_len == 1 && !key.is_null() {
        // The common case, without the general path's closures: one key field.
        // SAFETY: `key` is non-NULL and points to `key_len` (1) key values whose strings and bytes are
        // readable for the call (this function's contract).
        let k = unsafe { key_field(key, 0) }?;
        signature.check_kind(0, &k)?;
        let k = k.to_index_key();
        index.get(owner.engine(), std::slice::from_ref(&k))
    } else {
        // SAFETY: a non-NULL `key` points to `key_len` key values whose strings and bytes are readable
        // for the call (this function's contract), which is what `check_all` and `with_key` require.
        unsafe { signature.check_all(key, key_len) }?;
        // SAFETY: as above.
        unsafe { with_key(key, key_len, |k| k.to_index_key(), |key| index.get(owner.engine(), key)) }?
    })
}

/// The record whose primary key is `key`: an array of `key_len` values, one per key field in the order
/// of the type's `@PrimaryKey`. `*out_found` tells whether there is one; if so `*out_ordinal` receives
/// its ordinal. An INT value may be given for a LONG key field and the other way round.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT` (also for a NULL `key` with `key_len > 0`),
/// `HOLLOW_STATUS_INVALID_UTF8` (a string key value), `HOLLOW_STATUS_INVALID_ARGUMENT` (`key_len` is not
/// the number of key fields, a value of the wrong kind for its key field, or a `field_type` that is not
/// a `hollow_field_type`). Thread safety: any thread, concurrently.
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
        let handle = unsafe { arg(index, "index") }?;
        // SAFETY: a non-NULL `out_ordinal` is writable for the whole call (the header's pointer contract).
        let out_ordinal = unsafe { out(out_ordinal, "out_ordinal") }?;
        // SAFETY: a non-NULL `out_found` is writable for the whole call (the header's pointer contract).
        let out_found = unsafe { out(out_found, "out_found") }?;
        // SAFETY: a non-NULL `key` points to `key_len` key values whose strings and bytes are readable for
        // the call (the header's pointer contract).
        let found = unsafe { lookup(handle, key, key_len) }?;
        out_found.set(found.is_some());
        out_ordinal.set(found.unwrap_or(0));
        Ok(())
    })
}

/// The records whose key fields equal `key` (`key_len` values, in the order the index's fields were
/// given). At most `capacity` ordinals are written to `ordinals`; `*out_count` receives the number of
/// matches, so a call with `capacity` 0 (`ordinals` may then be NULL) counts them. An INT value may be
/// given for a LONG field and the other way round; a field matched by ordinal (a path ending at a
/// reference or an unexpanded element) takes a `HOLLOW_FIELD_TYPE_REFERENCE` value.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_INVALID_ARGUMENT`
/// (`key_len` is not the number of the index's fields, or a value of the wrong kind for its field, with
/// a message naming the field and both kinds: never a silent "no match").
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
        let handle = unsafe { arg(index, "index") }?;
        let (index, owner) = handle.parts();
        let signature = handle.signature();
        signature.check_len(key_len)?;
        // SAFETY: a non-NULL `key` points to `key_len` key values whose strings and bytes are readable
        // for the call (the header's pointer contract), which is what `check_all` requires.
        unsafe { signature.check_all(key, key_len) }?;
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

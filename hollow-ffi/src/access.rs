//! Record access through a `hollow_type` handle: type metadata, OBJECT field getters, and LIST, SET
//! and MAP contents. Every function here may be called from many threads at once.
//!
//! Records are addressed by ordinal. A field is addressed by its index in the schema
//! (`hollow_type_field_index` resolves a name once, so reads in a loop do not compare names). Reading a
//! field of an ordinal that is not a record at this version (removed, or never used) is
//! `HOLLOW_STATUS_NOT_FOUND`, checked with one bit test; collections of such an ordinal read as empty.

use std::ffi::c_char;

use hollow::read::{ListTypeReadState, MapTypeReadState, ObjectTypeReadState, SetTypeReadState, TypeReadState};
use hollow::schema::FieldType;

use crate::guard::{arg, arg_str, guard, out, FfiResult};
use crate::read_state::{hollow_read_state, hollow_type};
use crate::status::{hollow_status, FfiError};
use crate::values::{hollow_bytes, hollow_field_type, hollow_key_value, hollow_kind, hollow_str, with_key};

#[cold]
#[inline(never)]
fn kind_error(state: &TypeReadState, wanted: &str) -> FfiError {
    FfiError::new(
        hollow_status::SchemaMismatch,
        format!("type {} is a {}, not a {wanted}", state.name(), state.schema().kind().name()),
    )
}

/// The type handle as an OBJECT type.
#[inline]
fn object<'a>(t: *const hollow_type) -> FfiResult<(&'a ObjectTypeReadState, &'a hollow_read_state)> {
    // SAFETY: a type handle given to C is valid until its read state is freed (the header's contract).
    let (state, owner) = unsafe { arg(t, "type") }?.parts();
    match state {
        TypeReadState::Object(o) => Ok((o, owner)),
        other => Err(kind_error(other, "OBJECT")),
    }
}

#[inline]
fn list<'a>(t: *const hollow_type) -> FfiResult<&'a ListTypeReadState> {
    // SAFETY: as in `object`.
    match unsafe { arg(t, "type") }?.parts().0 {
        TypeReadState::List(l) => Ok(l),
        other => Err(kind_error(other, "LIST")),
    }
}

#[inline]
fn set<'a>(t: *const hollow_type) -> FfiResult<(&'a SetTypeReadState, &'a hollow_read_state)> {
    // SAFETY: as in `object`.
    match unsafe { arg(t, "type") }?.parts() {
        (TypeReadState::Set(s), owner) => Ok((s, owner)),
        (other, _) => Err(kind_error(other, "SET")),
    }
}

#[inline]
fn map<'a>(t: *const hollow_type) -> FfiResult<(&'a MapTypeReadState, &'a hollow_read_state)> {
    // SAFETY: as in `object`.
    match unsafe { arg(t, "type") }?.parts() {
        (TypeReadState::Map(m), owner) => Ok((m, owner)),
        (other, _) => Err(kind_error(other, "MAP")),
    }
}

/// Check that `ordinal` is a record of the type at this version: one bit test.
#[inline(always)]
fn check_populated(o: &ObjectTypeReadState, ordinal: u32) -> FfiResult {
    if o.populated().contains(ordinal) {
        Ok(())
    } else {
        Err(not_populated(o, ordinal))
    }
}

#[cold]
#[inline(never)]
fn not_populated(o: &ObjectTypeReadState, ordinal: u32) -> FfiError {
    FfiError::new(
        hollow_status::NotFound,
        format!("{} has no record {ordinal} at this version (removed, or never added)", o.name()),
    )
}

/// Check that `field` exists and is of type `wanted`.
#[inline]
fn check_field(o: &ObjectTypeReadState, field: usize, wanted: FieldType) -> FfiResult {
    match o.field_type(field) {
        Some(t) if t == wanted => Ok(()),
        _ => Err(field_error(o, field, wanted)),
    }
}

/// Why `field` is not a `wanted` field. Out of line: the getters' fast path only compares a type.
#[cold]
#[inline(never)]
fn field_error(o: &ObjectTypeReadState, field: usize, wanted: FieldType) -> FfiError {
    match o.field_type(field) {
        Some(t) => FfiError::new(
            hollow_status::SchemaMismatch,
            format!(
                "field {}.{} is {}, not {}",
                o.name(),
                o.schema().fields[field].name,
                t.java_name(),
                wanted.java_name()
            ),
        ),
        None => field_out_of_range(o, field),
    }
}

#[cold]
#[inline(never)]
fn field_out_of_range(o: &ObjectTypeReadState, field: usize) -> FfiError {
    FfiError::new(
        hollow_status::InvalidArgument,
        format!("type {} has {} fields; there is no field index {field}", o.name(), o.schema().fields.len()),
    )
}

/// Write `value` (or the default, when null) and the null flag, if asked for.
#[inline]
fn set_nullable<T: Default>(out_value: *mut T, out_is_null: *mut bool, value: Option<T>) -> FfiResult {
    // SAFETY: out-parameters checked for NULL; writable per the header's contract.
    let out_value = unsafe { out(out_value, "out_value") }?;
    if !out_is_null.is_null() {
        // SAFETY: non-NULL, writable per the header's contract.
        unsafe { out_is_null.write(value.is_none()) };
    }
    out_value.set(value.unwrap_or_default());
    Ok(())
}

// ----- type metadata ----------------------------------------------------------------------------

/// The type's name. `*out_name` is valid until the read state is released.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_type_name(ty: *const hollow_type, out_name: *mut hollow_str) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `ty` is a live handle for the whole call (the header's pointer contract).
        let (state, _) = unsafe { arg(ty, "type") }?.parts();
        // SAFETY: a non-NULL `out_name` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_name, "out_name") }?.set(hollow_str::of(state.name()));
        Ok(())
    })
}

/// The type's kind: OBJECT, LIST, SET or MAP.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_type_kind(ty: *const hollow_type, out_kind: *mut hollow_kind) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `ty` is a live handle for the whole call (the header's pointer contract).
        let (state, _) = unsafe { arg(ty, "type") }?.parts();
        // SAFETY: a non-NULL `out_kind` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_kind, "out_kind") }?.set(state.schema().kind().into());
        Ok(())
    })
}

/// The type's schema in Hollow's schema language, exactly as Java prints it (for example
/// `"ListOfString List<String>;"`). `*out_schema` is valid until the read state is released; the text is
/// rendered once per type and read state, so asking again costs nothing and keeps nothing more.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_type_schema(ty: *const hollow_type, out_schema: *mut hollow_str) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `ty` is a live handle for the whole call (the header's pointer contract).
        let t = unsafe { arg(ty, "type") }?;
        // SAFETY: a non-NULL `out_schema` is writable for the whole call (the header's pointer contract).
        let out_schema = unsafe { out(out_schema, "out_schema") }?;
        out_schema.set(hollow_str::of(t.schema_text()));
        Ok(())
    })
}

/// The largest ordinal holding a record (populated or a ghost kept for one more delta), -1 if none.
/// To visit every record, use `hollow_type_populated_ordinals`, which skips unpopulated ordinals.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_type_max_ordinal(ty: *const hollow_type, out_max: *mut i32) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `ty` is a live handle for the whole call (the header's pointer contract).
        let (state, _) = unsafe { arg(ty, "type") }?.parts();
        // SAFETY: a non-NULL `out_max` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_max, "out_max") }?.set(state.max_ordinal());
        Ok(())
    })
}

/// The number of records of the type at this version.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_type_populated_count(ty: *const hollow_type, out_count: *mut usize) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `ty` is a live handle for the whole call (the header's pointer contract).
        let (state, _) = unsafe { arg(ty, "type") }?.parts();
        // SAFETY: a non-NULL `out_count` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_count, "out_count") }?.set(state.populated().count());
        Ok(())
    })
}

/// Whether `ordinal` is a record of the type at this version.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_type_is_populated(
    ty: *const hollow_type,
    ordinal: u32,
    out_populated: *mut bool,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `ty` is a live handle for the whole call (the header's pointer contract).
        let (state, _) = unsafe { arg(ty, "type") }?.parts();
        // SAFETY: a non-NULL `out_populated` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_populated, "out_populated") }?.set(state.populated().contains(ordinal));
        Ok(())
    })
}

/// The populated ordinals of the type from `from` on, ascending: at most `capacity` of them are written
/// to `ordinals` and `*out_count` receives how many were. Fewer than `capacity` (0 included) means there
/// are no more. To visit every record, start with `from` 0 and call again with `from` one past the last
/// ordinal received:
///
/// ```c
/// uint32_t batch[256];
/// size_t n;
/// for (uint32_t from = 0;; from = batch[n - 1] + 1) {
///     if (hollow_type_populated_ordinals(ty, from, batch, 256, &n) != HOLLOW_STATUS_OK || n == 0) break;
///     for (size_t i = 0; i < n; i++) visit(batch[i]);
///     if (n < 256) break;
/// }
/// ```
///
/// The cursor is only a number, so a walk needs no handle and no cleanup, and several threads may walk
/// the same type at once. Cost: one step per populated ordinal plus one per 64 ordinals skipped.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT` (also `ordinals` NULL with a `capacity` above 0).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_type_populated_ordinals(
    ty: *const hollow_type,
    from: u32,
    ordinals: *mut u32,
    capacity: usize,
    out_count: *mut usize,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `ty` is a live handle for the whole call (the header's pointer contract).
        let (state, _) = unsafe { arg(ty, "type") }?.parts();
        if capacity > 0 && ordinals.is_null() {
            return Err(FfiError::null("ordinals"));
        }
        // SAFETY: a non-NULL `out_count` is writable for the whole call (the header's pointer contract).
        let out_count = unsafe { out(out_count, "out_count") }?;
        let mut n = 0;
        for o in state.populated().iter_from(from).take(capacity) {
            // SAFETY: `ordinals` is non-NULL when `capacity > 0` (checked above) and has `capacity`
            // writable slots (the header's pointer contract); `take` keeps `n < capacity`.
            unsafe { ordinals.add(n).write(o) };
            n += 1;
        }
        out_count.set(n);
        Ok(())
    })
}

/// The number of fields of an OBJECT type.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_type_field_count(ty: *const hollow_type, out_count: *mut usize) -> hollow_status {
    guard(|| {
        let (o, _) = object(ty)?;
        // SAFETY: a non-NULL `out_count` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_count, "out_count") }?.set(o.schema().fields.len());
        Ok(())
    })
}

/// The index of the field called `field_name` in an OBJECT type, for the `hollow_object_get_*`
/// functions. Resolve it once, then read many records with it.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_SCHEMA_MISMATCH`
/// (not an OBJECT type), `HOLLOW_STATUS_NOT_FOUND` (no such field). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_type_field_index(
    ty: *const hollow_type,
    field_name: *const c_char,
    out_field: *mut usize,
) -> hollow_status {
    guard(|| {
        let (o, _) = object(ty)?;
        // SAFETY: a non-NULL `field_name` is a NUL-terminated string valid for the call (the header's pointer contract).
        let name = unsafe { arg_str(field_name, "field_name") }?;
        // SAFETY: a non-NULL `out_field` is writable for the whole call (the header's pointer contract).
        let out_field = unsafe { out(out_field, "out_field") }?;
        let index = o.field_index(name).ok_or_else(|| {
            FfiError::new(hollow_status::NotFound, format!("type {} has no field {name:?}", o.name()))
        })?;
        out_field.set(index);
        Ok(())
    })
}

/// The name of field `field` of an OBJECT type. `*out_name` is valid until the read state is released.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type),
/// `HOLLOW_STATUS_INVALID_ARGUMENT` (no such field index). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_type_field_name(
    ty: *const hollow_type,
    field: usize,
    out_name: *mut hollow_str,
) -> hollow_status {
    guard(|| {
        let (o, _) = object(ty)?;
        // SAFETY: a non-NULL `out_name` is writable for the whole call (the header's pointer contract).
        let out_name = unsafe { out(out_name, "out_name") }?;
        let f = o.schema().fields.get(field).ok_or_else(|| field_out_of_range(o, field))?;
        out_name.set(hollow_str::of(&f.name));
        Ok(())
    })
}

/// The type of field `field` of an OBJECT type.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type),
/// `HOLLOW_STATUS_INVALID_ARGUMENT` (no such field index). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_type_field_type(
    ty: *const hollow_type,
    field: usize,
    out_field_type: *mut hollow_field_type,
) -> hollow_status {
    guard(|| {
        let (o, _) = object(ty)?;
        // SAFETY: a non-NULL `out_field_type` is writable for the whole call (the header's pointer contract).
        let out_field_type = unsafe { out(out_field_type, "out_field_type") }?;
        let t = o.field_type(field).ok_or_else(|| field_out_of_range(o, field))?;
        out_field_type.set(t.into());
        Ok(())
    })
}

// ----- OBJECT fields ----------------------------------------------------------------------------

/// Whether field `field` of record `ordinal` is null.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type),
/// `HOLLOW_STATUS_INVALID_ARGUMENT` (no such field index), `HOLLOW_STATUS_NOT_FOUND` (`ordinal` is not a
/// record of the type at this version). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_is_null(
    ty: *const hollow_type,
    ordinal: u32,
    field: usize,
    out_is_null: *mut bool,
) -> hollow_status {
    guard(|| {
        let (o, _) = object(ty)?;
        // SAFETY: a non-NULL `out_is_null` is writable for the whole call (the header's pointer contract).
        let out_is_null = unsafe { out(out_is_null, "out_is_null") }?;
        if o.field_type(field).is_none() {
            return Err(field_out_of_range(o, field));
        }
        check_populated(o, ordinal)?;
        out_is_null.set(o.is_null(ordinal, field));
        Ok(())
    })
}

/// The body of the fixed-size getters.
#[inline]
fn get_fixed<T: Default>(
    ty: *const hollow_type,
    ordinal: u32,
    field: usize,
    field_type: FieldType,
    out_value: *mut T,
    out_is_null: *mut bool,
    read: impl FnOnce(&ObjectTypeReadState) -> Option<T>,
) -> hollow_status {
    guard(|| {
        let (o, _) = object(ty)?;
        check_field(o, field, field_type)?;
        check_populated(o, ordinal)?;
        set_nullable(out_value, out_is_null, read(o))
    })
}

/// An `int` field of record `ordinal`.
///
/// A null field stores 0 (false) in `*out_value` and `true` in `*out_is_null`; `out_is_null` may be NULL
/// if the caller does not need to tell null from 0.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type, or the field
/// is of another type), `HOLLOW_STATUS_INVALID_ARGUMENT` (no such field index), `HOLLOW_STATUS_NOT_FOUND`
/// (`ordinal` is not a record of the type at this version). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_get_int(
    ty: *const hollow_type,
    ordinal: u32,
    field: usize,
    out_value: *mut i32,
    out_is_null: *mut bool,
) -> hollow_status {
    get_fixed(ty, ordinal, field, FieldType::Int, out_value, out_is_null, |o| o.read_int(ordinal, field))
}

/// A `long` field of record `ordinal`.
///
/// A null field stores 0 (false) in `*out_value` and `true` in `*out_is_null`; `out_is_null` may be NULL
/// if the caller does not need to tell null from 0.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type, or the field
/// is of another type), `HOLLOW_STATUS_INVALID_ARGUMENT` (no such field index), `HOLLOW_STATUS_NOT_FOUND`
/// (`ordinal` is not a record of the type at this version). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_get_long(
    ty: *const hollow_type,
    ordinal: u32,
    field: usize,
    out_value: *mut i64,
    out_is_null: *mut bool,
) -> hollow_status {
    get_fixed(ty, ordinal, field, FieldType::Long, out_value, out_is_null, |o| o.read_long(ordinal, field))
}

/// A `float` field of record `ordinal`.
///
/// A null field stores 0 (false) in `*out_value` and `true` in `*out_is_null`; `out_is_null` may be NULL
/// if the caller does not need to tell null from 0.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type, or the field
/// is of another type), `HOLLOW_STATUS_INVALID_ARGUMENT` (no such field index), `HOLLOW_STATUS_NOT_FOUND`
/// (`ordinal` is not a record of the type at this version). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_get_float(
    ty: *const hollow_type,
    ordinal: u32,
    field: usize,
    out_value: *mut f32,
    out_is_null: *mut bool,
) -> hollow_status {
    get_fixed(ty, ordinal, field, FieldType::Float, out_value, out_is_null, |o| o.read_float(ordinal, field))
}

/// A `double` field of record `ordinal`.
///
/// A null field stores 0 (false) in `*out_value` and `true` in `*out_is_null`; `out_is_null` may be NULL
/// if the caller does not need to tell null from 0.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type, or the field
/// is of another type), `HOLLOW_STATUS_INVALID_ARGUMENT` (no such field index), `HOLLOW_STATUS_NOT_FOUND`
/// (`ordinal` is not a record of the type at this version). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_get_double(
    ty: *const hollow_type,
    ordinal: u32,
    field: usize,
    out_value: *mut f64,
    out_is_null: *mut bool,
) -> hollow_status {
    get_fixed(ty, ordinal, field, FieldType::Double, out_value, out_is_null, |o| o.read_double(ordinal, field))
}

/// A `boolean` field of record `ordinal`.
///
/// A null field stores 0 (false) in `*out_value` and `true` in `*out_is_null`; `out_is_null` may be NULL
/// if the caller does not need to tell null from 0.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type, or the field
/// is of another type), `HOLLOW_STATUS_INVALID_ARGUMENT` (no such field index), `HOLLOW_STATUS_NOT_FOUND`
/// (`ordinal` is not a record of the type at this version). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_get_bool(
    ty: *const hollow_type,
    ordinal: u32,
    field: usize,
    out_value: *mut bool,
    out_is_null: *mut bool,
) -> hollow_status {
    get_fixed(ty, ordinal, field, FieldType::Boolean, out_value, out_is_null, |o| o.read_boolean(ordinal, field))
}

/// A reference field of record `ordinal`: the ordinal of the referenced record, in the referenced
/// type.
///
/// A null field stores 0 (false) in `*out_value` and `true` in `*out_is_null`; `out_is_null` may be NULL
/// if the caller does not need to tell null from 0.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type, or the field
/// is of another type), `HOLLOW_STATUS_INVALID_ARGUMENT` (no such field index), `HOLLOW_STATUS_NOT_FOUND`
/// (`ordinal` is not a record of the type at this version). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_get_reference(
    ty: *const hollow_type,
    ordinal: u32,
    field: usize,
    out_value: *mut u32,
    out_is_null: *mut bool,
) -> hollow_status {
    get_fixed(ty, ordinal, field, FieldType::Reference, out_value, out_is_null, |o| o.read_ordinal(ordinal, field))
}

/// A `string` field of record `ordinal`, as UTF-8 (not NUL-terminated).
///
/// `*out_value` is valid until the read state is released: ASCII text points into the dataset; other
/// text is converted once per call and the copy is kept by the read state (so a read state that reads
/// much non-ASCII text should not be held forever; or use `hollow_object_copy_string`). A null field
/// gives an empty string and `*out_is_null = true`; `out_is_null` may be NULL. Unpaired UTF-16
/// surrogates (possible in Java strings) read as U+FFFD.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type, or not a
/// `string` field), `HOLLOW_STATUS_INVALID_ARGUMENT` (no such field index), `HOLLOW_STATUS_CORRUPT_BLOB`
/// (the stored text is not valid). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_get_string(
    ty: *const hollow_type,
    ordinal: u32,
    field: usize,
    out_value: *mut hollow_str,
    out_is_null: *mut bool,
) -> hollow_status {
    guard(|| {
        let (o, owner) = object(ty)?;
        check_populated(o, ordinal)?;
        // The core checks the field type itself (a non-STRING field reads as None), so the check here
        // only runs when there is no text.
        let value = match o.read_string(ordinal, field) {
            Some(s) => Some(owner.keep_str(s)),
            None => {
                check_field(o, field, FieldType::String)?;
                read_string(o, ordinal, field)?.map(|s| owner.keep_str(s))
            }
        };
        set_nullable(out_value, out_is_null, value)
    })
}

impl Default for hollow_str {
    fn default() -> Self {
        hollow_str::EMPTY
    }
}

/// The text of a string field; `Err` when bytes are stored that do not decode.
#[inline]
fn read_string(o: &ObjectTypeReadState, ordinal: u32, field: usize) -> FfiResult<Option<std::borrow::Cow<'_, str>>> {
    match o.read_string(ordinal, field) {
        Some(s) => Ok(Some(s)),
        None if o.is_null(ordinal, field) => Ok(None),
        None => Err(FfiError::new(
            hollow_status::CorruptBlob,
            format!("{} record {ordinal}: field {field} holds bytes that are not a valid string", o.name()),
        )),
    }
}

/// Copy a `string` field of record `ordinal` into `buffer` as NUL-terminated UTF-8, keeping nothing in
/// the read state. `*out_len` receives the length of the text in bytes (without the NUL) whether or not
/// it fit; if `capacity` is less than `*out_len + 1` the buffer receives as much as fits, cut back to
/// whole characters and NUL-terminated (nothing, if `capacity` is 0: `buffer` may then be NULL). A null
/// field copies an empty string and sets `*out_is_null = true`; `out_is_null` may be NULL.
/// Errors: as `hollow_object_get_string`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_copy_string(
    ty: *const hollow_type,
    ordinal: u32,
    field: usize,
    buffer: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
    out_is_null: *mut bool,
) -> hollow_status {
    guard(|| {
        let (o, _) = object(ty)?;
        check_field(o, field, FieldType::String)?;
        check_populated(o, ordinal)?;
        if capacity > 0 && buffer.is_null() {
            return Err(FfiError::null("buffer"));
        }
        if out_len.is_null() {
            return Err(FfiError::null("out_len"));
        }
        let value = read_string(o, ordinal, field)?;
        // SAFETY: `buffer` has `capacity` writable bytes and `out_len` is writable (the header's contract).
        unsafe { crate::values::copy_text(value.as_deref().unwrap_or(""), buffer, capacity, out_len) }?;
        if !out_is_null.is_null() {
            // SAFETY: non-NULL, writable per the header's contract.
            unsafe { out_is_null.write(value.is_none()) };
        }
        Ok(())
    })
}

/// A `bytes` field of record `ordinal`. `*out_value` points into the dataset and is valid until the
/// read state is released. A null field gives no bytes and `*out_is_null = true`; `out_is_null` may be
/// NULL.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type, or not a
/// `bytes` field), `HOLLOW_STATUS_INVALID_ARGUMENT` (no such field index), `HOLLOW_STATUS_NOT_FOUND`
/// (`ordinal` is not a record of the type at this version). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_get_bytes(
    ty: *const hollow_type,
    ordinal: u32,
    field: usize,
    out_value: *mut hollow_bytes,
    out_is_null: *mut bool,
) -> hollow_status {
    guard(|| {
        let (o, _) = object(ty)?;
        check_field(o, field, FieldType::Bytes)?;
        check_populated(o, ordinal)?;
        let value = o.read_bytes(ordinal, field).map(hollow_bytes::of);
        set_nullable(out_value, out_is_null, value)
    })
}

impl Default for hollow_bytes {
    fn default() -> Self {
        hollow_bytes::of(&[])
    }
}

// ----- collections ------------------------------------------------------------------------------

/// The number of elements of list `ordinal` of a LIST type (0 for an ordinal without data).
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not a LIST type).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_list_size(ty: *const hollow_type, ordinal: u32, out_size: *mut usize) -> hollow_status {
    guard(|| {
        let l = list(ty)?;
        // SAFETY: a non-NULL `out_size` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_size, "out_size") }?.set(l.size(ordinal));
        Ok(())
    })
}

/// Element `index` of list `ordinal`: the ordinal of a record of the list's element type.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not a LIST type),
/// `HOLLOW_STATUS_INVALID_ARGUMENT` (`index >= size`). Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_list_get(
    ty: *const hollow_type,
    ordinal: u32,
    index: usize,
    out_element: *mut u32,
) -> hollow_status {
    guard(|| {
        let l = list(ty)?;
        // SAFETY: a non-NULL `out_element` is writable for the whole call (the header's pointer contract).
        let out_element = unsafe { out(out_element, "out_element") }?;
        let e = l.element_ordinal(ordinal, index).ok_or_else(|| {
            FfiError::new(
                hollow_status::InvalidArgument,
                format!(
                    "{} record {ordinal} has {} elements; there is no element {index}",
                    l.schema().name,
                    l.size(ordinal)
                ),
            )
        })?;
        out_element.set(e);
        Ok(())
    })
}

/// The number of elements of set `ordinal` of a SET type (0 for an ordinal without data).
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not a SET type).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_set_size(ty: *const hollow_type, ordinal: u32, out_size: *mut usize) -> hollow_status {
    guard(|| {
        let (s, _) = set(ty)?;
        // SAFETY: a non-NULL `out_size` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_size, "out_size") }?.set(s.size(ordinal));
        Ok(())
    })
}

/// Copy the element ordinals of set `ordinal` into `elements`, in Hollow's iteration order (bucket
/// order). At most `capacity` are written; `*out_size` receives the set's size, so a call with
/// `capacity` 0 (`elements` may then be NULL) asks for the size to allocate.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not a SET type).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_set_elements(
    ty: *const hollow_type,
    ordinal: u32,
    elements: *mut u32,
    capacity: usize,
    out_size: *mut usize,
) -> hollow_status {
    guard(|| {
        let (s, _) = set(ty)?;
        if capacity > 0 && elements.is_null() {
            return Err(FfiError::null("elements"));
        }
        // SAFETY: a non-NULL `out_size` is writable for the whole call (the header's pointer contract).
        let out_size = unsafe { out(out_size, "out_size") }?;
        let mut n = 0;
        for e in s.elements(ordinal) {
            if n < capacity {
                // SAFETY: `elements` has `capacity` writable slots (the header's contract), n < capacity.
                unsafe { elements.add(n).write(e) };
            }
            n += 1;
        }
        out_size.set(n);
        Ok(())
    })
}

/// Whether set `ordinal` holds the record `element` (an ordinal of the element type).
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not a SET type).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_set_contains(
    ty: *const hollow_type,
    ordinal: u32,
    element: u32,
    out_contains: *mut bool,
) -> hollow_status {
    guard(|| {
        let (s, owner) = set(ty)?;
        // SAFETY: a non-NULL `out_contains` is writable for the whole call (the header's pointer contract).
        let out_contains = unsafe { out(out_contains, "out_contains") }?;
        let found = hollow::read::lookup::set_contains(owner.engine(), &s.schema().name, ordinal, element)?;
        out_contains.set(found);
        Ok(())
    })
}

/// The element of set `ordinal` whose hash key (the set's `@HashKey` fields, e.g. a `String`'s
/// `value`) equals `key`, an array of `key_len` field values. `*out_found` tells whether there is one;
/// if so `*out_element` receives its ordinal.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not a SET type),
/// `HOLLOW_STATUS_INVALID_ARGUMENT` (the set has no hash key, or `key` does not fit it),
/// `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_set_find(
    ty: *const hollow_type,
    ordinal: u32,
    key: *const hollow_key_value,
    key_len: usize,
    out_element: *mut u32,
    out_found: *mut bool,
) -> hollow_status {
    guard(|| {
        let (s, owner) = set(ty)?;
        // SAFETY: a non-NULL `out_element` is writable for the whole call (the header's pointer contract).
        let out_element = unsafe { out(out_element, "out_element") }?;
        // SAFETY: a non-NULL `out_found` is writable for the whole call (the header's pointer contract).
        let out_found = unsafe { out(out_found, "out_found") }?;
        // SAFETY: a non-NULL `key` points to `key_len` key values whose strings and bytes are readable
        // for the call (the header's pointer contract), which is what `with_key` requires.
        let found = unsafe {
            with_key(
                key,
                key_len,
                |k| k.to_lookup_key(),
                |key| hollow::read::lookup::find_set_element(owner.engine(), &s.schema().name, ordinal, key),
            )
        }??;
        out_found.set(found.is_some());
        out_element.set(found.unwrap_or(0));
        Ok(())
    })
}

/// The number of entries of map `ordinal` of a MAP type (0 for an ordinal without data).
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not a MAP type).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_map_size(ty: *const hollow_type, ordinal: u32, out_size: *mut usize) -> hollow_status {
    guard(|| {
        let (m, _) = map(ty)?;
        // SAFETY: a non-NULL `out_size` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_size, "out_size") }?.set(m.size(ordinal));
        Ok(())
    })
}

/// Copy the entries of map `ordinal` into `keys` and `values` (key and value ordinals, pairwise), in
/// Hollow's iteration order. At most `capacity` entries are written; `*out_size` receives the map's size,
/// so a call with `capacity` 0 (the arrays may then be NULL) asks for the size to allocate.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not a MAP type).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_map_entries(
    ty: *const hollow_type,
    ordinal: u32,
    keys: *mut u32,
    values: *mut u32,
    capacity: usize,
    out_size: *mut usize,
) -> hollow_status {
    guard(|| {
        let (m, _) = map(ty)?;
        if capacity > 0 && keys.is_null() {
            return Err(FfiError::null("keys"));
        }
        if capacity > 0 && values.is_null() {
            return Err(FfiError::null("values"));
        }
        // SAFETY: a non-NULL `out_size` is writable for the whole call (the header's pointer contract).
        let out_size = unsafe { out(out_size, "out_size") }?;
        let mut n = 0;
        for (k, v) in m.entries(ordinal) {
            if n < capacity {
                // SAFETY: both arrays have `capacity` writable slots (the header's contract), n < capacity.
                unsafe {
                    keys.add(n).write(k);
                    values.add(n).write(v);
                }
            }
            n += 1;
        }
        out_size.set(n);
        Ok(())
    })
}

/// The value of map `ordinal` for the key record `key` (an ordinal of the key type). `*out_found`
/// tells whether the key is in the map; if so `*out_value` receives the value's ordinal.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not a MAP type).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_map_get(
    ty: *const hollow_type,
    ordinal: u32,
    key: u32,
    out_value: *mut u32,
    out_found: *mut bool,
) -> hollow_status {
    guard(|| {
        let (m, owner) = map(ty)?;
        // SAFETY: a non-NULL `out_value` is writable for the whole call (the header's pointer contract).
        let out_value = unsafe { out(out_value, "out_value") }?;
        // SAFETY: a non-NULL `out_found` is writable for the whole call (the header's pointer contract).
        let out_found = unsafe { out(out_found, "out_found") }?;
        let value = hollow::read::lookup::map_get(owner.engine(), &m.schema().name, ordinal, key)?;
        out_found.set(value.is_some());
        out_value.set(value.unwrap_or(0));
        Ok(())
    })
}

/// The entry of map `ordinal` whose key's hash key (the map's `@HashKey` fields) equals `key`, an array
/// of `key_len` field values: for a `Map<String, Long> @HashKey(value)`, one STRING value.
/// `*out_found` tells whether there is one; if so `*out_key` and `*out_value` receive the key and value
/// ordinals.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not a MAP type),
/// `HOLLOW_STATUS_INVALID_ARGUMENT` (the map has no hash key, or `key` does not fit it),
/// `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_map_find(
    ty: *const hollow_type,
    ordinal: u32,
    key: *const hollow_key_value,
    key_len: usize,
    out_key: *mut u32,
    out_value: *mut u32,
    out_found: *mut bool,
) -> hollow_status {
    guard(|| {
        let (m, owner) = map(ty)?;
        // SAFETY: a non-NULL `out_key` is writable for the whole call (the header's pointer contract).
        let out_key = unsafe { out(out_key, "out_key") }?;
        // SAFETY: a non-NULL `out_value` is writable for the whole call (the header's pointer contract).
        let out_value = unsafe { out(out_value, "out_value") }?;
        // SAFETY: a non-NULL `out_found` is writable for the whole call (the header's pointer contract).
        let out_found = unsafe { out(out_found, "out_found") }?;
        // SAFETY: a non-NULL `key` points to `key_len` key values whose strings and bytes are readable
        // for the call (the header's pointer contract), which is what `with_key` requires.
        let found = unsafe {
            with_key(
                key,
                key_len,
                |k| k.to_lookup_key(),
                |key| hollow::read::lookup::find_map_entry(owner.engine(), &m.schema().name, ordinal, key),
            )
        }??;
        out_found.set(found.is_some());
        let (k, v) = found.unwrap_or((0, 0));
        out_key.set(k);
        out_value.set(v);
        Ok(())
    })
}

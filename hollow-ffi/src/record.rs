//! OBJECT records under construction, filled field by field (by name) and added with
//! `hollow_write_state_add_object`. Fields are checked against the type's schema when the record is
//! added, so an unknown field or a value of the wrong type is reported there.

use std::ffi::c_char;

use hollow::write::ObjectRecord;

use crate::guard::{
    arg_mut, arg_slice, arg_str, free_handle, guard, guard_value, into_handle, out, FfiResult, Handle, OwnedBox,
};
use crate::status::hollow_status;

/// An OBJECT record being built. Reusable: `hollow_object_record_clear` empties it, keeping its memory.
/// Not thread-safe: use it from one thread at a time.
#[allow(non_camel_case_types)]
pub struct hollow_object_record {
    record: ObjectRecord,
}

impl Handle for hollow_object_record {
    type Ownership = OwnedBox;
}

impl hollow_object_record {
    pub(crate) fn record(&self) -> &ObjectRecord {
        &self.record
    }
}

/// Create an empty record (every field null).
///
/// On success `*out_record` receives a new handle, owned by the caller (`hollow_object_record_free`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_record_new(out_record: *mut *mut hollow_object_record) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `out_record` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_record, "out_record") }?
            .set(into_handle(hollow_object_record { record: ObjectRecord::new() }));
        Ok(())
    })
}

/// Reset every field to null, keeping the record's memory for reuse.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: one thread at a time per record.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_record_clear(record: *mut hollow_object_record) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `record` is a live handle that nothing else uses during the call (the header's
        // pointer contract; this handle is documented as not thread-safe).
        unsafe { arg_mut(record, "record") }?.record.clear();
        Ok(())
    })
}

/// Free a record. NULL is a no-op. Thread safety: no other call may be using `record`.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_record_free(record: *mut hollow_object_record) {
    // SAFETY: `record` is NULL or a handle from this library's constructor, not yet freed (the header's
    // contract for `_free`).
    guard_value((), || unsafe { free_handle(record) })
}

/// The body of every setter: check the record and field name, then set.
///
/// # Safety
/// `record` and `field` as documented on the setters.
unsafe fn set_field(
    record: *mut hollow_object_record,
    field: *const c_char,
    set: impl FnOnce(&mut ObjectRecord, String) -> FfiResult,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `record` is a live handle that nothing else uses during the call (the header's
        // pointer contract; this handle is documented as not thread-safe).
        let rec = unsafe { arg_mut(record, "record") }?;
        // SAFETY: a non-NULL `field` is a NUL-terminated string valid for the call (the header's pointer contract).
        let field = unsafe { arg_str(field, "field") }?.to_owned();
        set(&mut rec.record, field)
    })
}

/// Set field `field` to null.
///
/// Setting a field again replaces its value. The field name and the value's type are checked when the
/// record is added (`hollow_write_state_add_object`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: one thread at a
/// time per record.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_record_set_null(
    record: *mut hollow_object_record,
    field: *const c_char,
) -> hollow_status {
    let set = |r: &mut ObjectRecord, f: String| -> FfiResult {
        r.set_null(f);
        Ok(())
    };
    // SAFETY: the caller's contract on `record` and `field`, documented above.
    unsafe { set_field(record, field, set) }
}

/// Set the `int` field `field`. `INT32_MIN` is stored as null, as in Java Hollow.
///
/// Setting a field again replaces its value. The field name and the value's type are checked when the
/// record is added (`hollow_write_state_add_object`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: one thread at a
/// time per record.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_record_set_int(
    record: *mut hollow_object_record,
    field: *const c_char,
    value: i32,
) -> hollow_status {
    let set = |r: &mut ObjectRecord, f: String| -> FfiResult {
        r.set_int(f, value);
        Ok(())
    };
    // SAFETY: the caller's contract on `record` and `field`, documented above.
    unsafe { set_field(record, field, set) }
}

/// Set the `long` field `field`. `INT64_MIN` is stored as null, as in Java Hollow.
///
/// Setting a field again replaces its value. The field name and the value's type are checked when the
/// record is added (`hollow_write_state_add_object`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: one thread at a
/// time per record.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_record_set_long(
    record: *mut hollow_object_record,
    field: *const c_char,
    value: i64,
) -> hollow_status {
    let set = |r: &mut ObjectRecord, f: String| -> FfiResult {
        r.set_long(f, value);
        Ok(())
    };
    // SAFETY: the caller's contract on `record` and `field`, documented above.
    unsafe { set_field(record, field, set) }
}

/// Set the `float` field `field`. Every NaN is stored as the canonical NaN.
///
/// Setting a field again replaces its value. The field name and the value's type are checked when the
/// record is added (`hollow_write_state_add_object`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: one thread at a
/// time per record.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_record_set_float(
    record: *mut hollow_object_record,
    field: *const c_char,
    value: f32,
) -> hollow_status {
    let set = |r: &mut ObjectRecord, f: String| -> FfiResult {
        r.set_float(f, value);
        Ok(())
    };
    // SAFETY: the caller's contract on `record` and `field`, documented above.
    unsafe { set_field(record, field, set) }
}

/// Set the `double` field `field`. Every NaN is stored as the canonical NaN.
///
/// Setting a field again replaces its value. The field name and the value's type are checked when the
/// record is added (`hollow_write_state_add_object`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: one thread at a
/// time per record.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_record_set_double(
    record: *mut hollow_object_record,
    field: *const c_char,
    value: f64,
) -> hollow_status {
    let set = |r: &mut ObjectRecord, f: String| -> FfiResult {
        r.set_double(f, value);
        Ok(())
    };
    // SAFETY: the caller's contract on `record` and `field`, documented above.
    unsafe { set_field(record, field, set) }
}

/// Set the `boolean` field `field`.
///
/// Setting a field again replaces its value. The field name and the value's type are checked when the
/// record is added (`hollow_write_state_add_object`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: one thread at a
/// time per record.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_record_set_bool(
    record: *mut hollow_object_record,
    field: *const c_char,
    value: bool,
) -> hollow_status {
    let set = |r: &mut ObjectRecord, f: String| -> FfiResult {
        r.set_boolean(f, value);
        Ok(())
    };
    // SAFETY: the caller's contract on `record` and `field`, documented above.
    unsafe { set_field(record, field, set) }
}

/// Set the `string` field `field` to the NUL-terminated UTF-8 text `value`.
///
/// Setting a field again replaces its value. The field name and the value's type are checked when the
/// record is added (`hollow_write_state_add_object`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: one thread at a
/// time per record.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_record_set_string(
    record: *mut hollow_object_record,
    field: *const c_char,
    value: *const c_char,
) -> hollow_status {
    let set = |r: &mut ObjectRecord, f: String| -> FfiResult {
        // SAFETY: a non-NULL `value` is a NUL-terminated string valid for the call (the header's pointer contract).
        let value = unsafe { arg_str(value, "value") }?;
        r.set_string(f, value);
        Ok(())
    };
    // SAFETY: the caller's contract on `record` and `field`, documented above.
    unsafe { set_field(record, field, set) }
}

/// Set the `bytes` field `field` to the `len` bytes at `value` (`value` may be NULL when `len` is 0).
///
/// Setting a field again replaces its value. The field name and the value's type are checked when the
/// record is added (`hollow_write_state_add_object`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: one thread at a
/// time per record.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_record_set_bytes(
    record: *mut hollow_object_record,
    field: *const c_char,
    value: *const u8,
    len: usize,
) -> hollow_status {
    let set = |r: &mut ObjectRecord, f: String| -> FfiResult {
        // SAFETY: a non-NULL `value` points to `len` readable elements valid for the call (the header's pointer
        // contract).
        let value = unsafe { arg_slice(value, len, "value") }?;
        r.set_bytes(f, value);
        Ok(())
    };
    // SAFETY: the caller's contract on `record` and `field`, documented above.
    unsafe { set_field(record, field, set) }
}

/// Set the reference field `field` to `ordinal`: the ordinal of a record of the referenced type added
/// earlier in the same cycle.
///
/// Setting a field again replaces its value. The field name and the value's type are checked when the
/// record is added (`hollow_write_state_add_object`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`. Thread safety: one thread at a
/// time per record.
#[no_mangle]
pub unsafe extern "C" fn hollow_object_record_set_reference(
    record: *mut hollow_object_record,
    field: *const c_char,
    ordinal: u32,
) -> hollow_status {
    let set = |r: &mut ObjectRecord, f: String| -> FfiResult {
        r.set_reference(f, ordinal);
        Ok(())
    };
    // SAFETY: the caller's contract on `record` and `field`, documented above.
    unsafe { set_field(record, field, set) }
}

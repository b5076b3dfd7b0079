//! Producers: run cycles whose populate callback adds every record of the new version.

use std::cell::{Cell, UnsafeCell};
use std::ffi::{c_char, c_void, CStr};
use std::ptr::NonNull;

use hollow::diff::ChangeSet;
use hollow::producer::{Producer, WriteState};
use hollow::schema::dsl::parse_schemas;
use hollow::write::{ListRecord, MapRecord, SetRecord};
use hollow::Error;

use crate::consumer::HOLLOW_VERSION_NONE;
use crate::guard::{
    arg, arg_mut, arg_slice, arg_str, free_handle, guard, guard_value, into_handle, out, Borrowed, FfiResult, Handle,
    OwnedBox,
};
use crate::record::hollow_object_record;
use crate::status::{hollow_status, set_last_error, FfiError};
use crate::store::{hollow_blob_store, StoreRoles};
use crate::values::copy_text;

/// A producer publishing to one blob store. Not thread-safe: call its functions from one thread at a
/// time.
///
/// Its populate callback runs while `hollow_producer_run_cycle` holds the producer mutably, and may call
/// back into the library with the same handle. So the handle is only ever taken *shared* (`&self`), and
/// the producer inside is reached through `hollow_producer::exclusive`, which first checks the `busy`
/// flag: a nested call is refused with `HOLLOW_STATUS_REENTRANT_CALL` before any second `&mut` exists.
#[allow(non_camel_case_types)]
pub struct hollow_producer {
    /// Only reached through [`Exclusive`], of which at most one exists at a time (`busy`).
    producer: UnsafeCell<Producer>,
    /// Whether an [`Exclusive`] exists (a cycle or restore is running on this handle).
    busy: Cell<bool>,
    /// The last announced version, kept outside the producer so that it can be read during a cycle.
    current_version: Cell<i64>,
    /// The store, for `hollow_producer_restore_announced`.
    roles: StoreRoles,
}

impl Handle for hollow_producer {
    type Ownership = OwnedBox;
}

/// The producer of a handle, borrowed mutably; clears the handle's `busy` flag when dropped.
struct Exclusive<'a> {
    handle: &'a hollow_producer,
    producer: &'a mut Producer,
}

impl hollow_producer {
    fn new(producer: Producer, roles: StoreRoles) -> Self {
        let current_version = producer.current_version().unwrap_or(HOLLOW_VERSION_NONE);
        hollow_producer {
            producer: UnsafeCell::new(producer),
            busy: Cell::new(false),
            current_version: Cell::new(current_version),
            roles,
        }
    }

    /// The producer, for exclusive use; `HOLLOW_STATUS_REENTRANT_CALL` while another call on this handle
    /// (one whose callback is running now) already has it.
    #[inline]
    fn exclusive(&self, function: &str) -> FfiResult<Exclusive<'_>> {
        if self.busy.get() {
            return Err(reentrant(function));
        }
        self.busy.set(true);
        // SAFETY: `busy` was false, so no `Exclusive` (the only thing that ever dereferences the cell)
        // exists; it stays true until this one is dropped, so this `&mut` is the only reference to the
        // producer for its life. The handle is not `Sync` (its `Cell`s) and documented as one thread at
        // a time, so no other thread races for the flag.
        let producer = unsafe { &mut *self.producer.get() };
        Ok(Exclusive { handle: self, producer })
    }
}

impl Drop for Exclusive<'_> {
    fn drop(&mut self) {
        self.handle.current_version.set(self.producer.current_version().unwrap_or(HOLLOW_VERSION_NONE));
        self.handle.busy.set(false);
    }
}

#[cold]
#[inline(never)]
fn reentrant(function: &str) -> FfiError {
    FfiError::new(
        hollow_status::ReentrantCall,
        format!(
            "{function} was called from inside a populate callback of the same producer, whose cycle is \
             still running; call it after hollow_producer_run_cycle returns"
        ),
    )
}

/// The records of the version being built, handed to a populate callback. Valid only during that
/// callback, on the thread that runs it.
#[allow(non_camel_case_types)]
pub struct hollow_write_state {
    /// The `WriteState<'_>` of the running cycle, its lifetime erased (C cannot carry it): it lives on
    /// the stack of `hollow_producer_run_cycle` for the whole callback, and this handle is used only
    /// inside it.
    write_state: NonNull<WriteState<'static>>,
    list: ListRecord,
    set: SetRecord,
    map: MapRecord,
}

impl Handle for hollow_write_state {
    type Ownership = Borrowed;
}

impl hollow_write_state {
    fn write_state(&mut self) -> &mut WriteState<'_> {
        // SAFETY: see the field: the pointee outlives every use of this handle, and `&mut self` makes
        // this the only access. The lifetime given back is bounded by `&mut self`'s.
        unsafe { self.write_state.cast::<WriteState<'_>>().as_mut() }
    }
}

/// A populate callback: add every record of the new version to `write_state`, then return 0
/// (`HOLLOW_STATUS_OK`). Any other return value abandons the cycle: nothing is published and
/// `hollow_producer_run_cycle` fails with that status if it is a `hollow_status`, else with
/// `HOLLOW_STATUS_CALLBACK_FAILED`. The callback must not unwind (C++ exceptions, longjmp) into the
/// library.
#[allow(non_camel_case_types)]
pub type hollow_populate_fn =
    Option<unsafe extern "C" fn(write_state: *mut hollow_write_state, user_data: *mut c_void) -> i32>;

/// Create a producer that publishes to `store` and announces each version there.
///
/// `schemas` is optional (may be NULL): the dataset's types in Hollow's schema language, for example
/// `"Movie @PrimaryKey(id) { long id; String title; } String { string value; }"`. Types may be given in
/// any order. Without schemas, only `hollow_write_state_add_string` records can be added.
/// Versions are minted from the clock (`yyyyMMddHHmmss` and a counter), as Java Hollow does.
///
/// On success `*out_producer` receives a new handle, owned by the caller (`hollow_producer_free`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_SCHEMA` (schema
/// text that does not parse, defines a type twice, or has a `@PrimaryKey` / `@HashKey` path that does not
/// resolve). Thread safety: any thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_producer_new(
    store: *const hollow_blob_store,
    schemas: *const c_char,
    out_producer: *mut *mut hollow_producer,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `store` is a live handle for the whole call (the header's pointer contract).
        let store = unsafe { arg(store, "store") }?;
        // SAFETY: a non-NULL `schemas` is a NUL-terminated string valid for the call (the header's pointer contract).
        let schemas = if schemas.is_null() { None } else { Some(unsafe { arg_str(schemas, "schemas") }?) };
        // SAFETY: a non-NULL `out_producer` is writable for the whole call (the header's pointer contract).
        let out_producer = unsafe { out(out_producer, "out_producer") }?;
        let roles = store.roles().clone();
        let mut builder = Producer::builder(roles.publisher.clone()).with_announcer(roles.announcer.clone());
        if let Some(text) = schemas {
            builder = builder.with_schemas(parse_schemas(text)?);
        }
        out_producer.set(into_handle(hollow_producer::new(builder.build()?, roles)));
        Ok(())
    })
}

/// Run one cycle: call `populate(write_state, user_data)` to add every record of the new version, then
/// publish the snapshot, delta and reverse delta, check them against each other, and announce the
/// version. `*out_version` (if `out_version` is not NULL) receives the version now announced: a new one,
/// or the current one if the records did not change (nothing is published then).
///
/// On failure nothing is announced and the producer stays at its last announced version.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_CALLBACK_FAILED` or the status the callback
/// returned, `HOLLOW_STATUS_IO` (publishing), `HOLLOW_STATUS_INTEGRITY_CHECK_FAILED`.
/// Thread safety: not thread-safe; `populate` runs on the calling thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_producer_run_cycle(
    producer: *mut hollow_producer,
    populate: hollow_populate_fn,
    user_data: *mut c_void,
    out_version: *mut i64,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `producer` is a live handle for the whole call (the header's pointer contract).
        // Taken shared: a call from inside the callback below takes it shared too, and is refused by
        // `exclusive` before it could reach the producer.
        let p = unsafe { arg(producer, "producer") }?;
        let populate = populate.ok_or_else(|| FfiError::null("populate"))?;
        let p = p.exclusive("hollow_producer_run_cycle")?;
        let mut callback_error = None;
        let result = p.producer.run_cycle(|ws| {
            let mut handle = hollow_write_state {
                write_state: NonNull::from(ws).cast(),
                list: ListRecord::new(),
                set: SetRecord::new(),
                map: MapRecord::new(),
            };
            // SAFETY: calling the caller's function with a handle valid for the call, as documented.
            let rc = unsafe { populate(&mut handle, user_data) };
            if rc == hollow_status::Ok as i32 {
                return Ok(());
            }
            let e = callback_failure(rc);
            let message = e.message().to_owned();
            callback_error = Some(e);
            Err(Error::InvalidArgument(message))
        });
        let version = match (result, callback_error) {
            (Ok(v), _) => v,
            (Err(_), Some(e)) => return Err(e),
            (Err(e), None) => return Err(e.into()),
        };
        if !out_version.is_null() {
            // SAFETY: non-NULL, writable per the header's contract.
            unsafe { out_version.write(version) };
        }
        Ok(())
    })
}

/// The error for a populate callback that returned `rc`.
fn callback_failure(rc: i32) -> FfiError {
    // SAFETY: the last error message is a NUL-terminated string owned by this thread, valid until the next
    // failing call on it; it is copied at once.
    let last = unsafe { CStr::from_ptr(crate::status::hollow_last_error_message()) }.to_string_lossy().into_owned();
    match hollow_status::from_code(rc) {
        Some(status) => FfiError::new(
            status,
            format!("populate callback returned {rc} ({}); last error on this thread: {last}", {
                // SAFETY: the message of a status is a static NUL-terminated string.
                unsafe { CStr::from_ptr(crate::status::hollow_status_message(rc)) }.to_string_lossy()
            }),
        ),
        None => FfiError::new(hollow_status::CallbackFailed, format!("populate callback returned {rc}")),
    }
}

/// The last announced version, or `HOLLOW_VERSION_NONE` before the first successful cycle.
///
/// Inside a populate callback it gives the version the running cycle started from.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: one thread at a time (or from the producer's
/// own populate callback).
#[no_mangle]
pub unsafe extern "C" fn hollow_producer_current_version(
    producer: *const hollow_producer,
    out_version: *mut i64,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `producer` is a live handle for the whole call (the header's pointer contract).
        let p = unsafe { arg(producer, "producer") }?;
        // SAFETY: a non-NULL `out_version` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_version, "out_version") }?.set(p.current_version.get());
        Ok(())
    })
}

/// Free a producer. What it published stays in its store, and the store's producer lock is released.
/// NULL is a no-op. Called from inside the producer's own populate callback it does nothing (the
/// producer is in use): the last error message then says so (`HOLLOW_STATUS_REENTRANT_CALL`'s case);
/// free it after `hollow_producer_run_cycle` returns.
/// Thread safety: no other call may be using `producer`.
#[no_mangle]
pub unsafe extern "C" fn hollow_producer_free(producer: *mut hollow_producer) {
    guard_value((), || {
        // SAFETY: `producer` is NULL or a live handle from `hollow_producer_new` (the header's contract for
        // `_free`); only read through a shared reference, which a running cycle's `Exclusive` allows.
        if let Some(p) = unsafe { producer.as_ref() } {
            if p.busy.get() {
                set_last_error(reentrant("hollow_producer_free").message());
                return;
            }
        }
        // SAFETY: as above; not busy, so no reference into the handle is held by a running call.
        unsafe { free_handle(producer) }
    })
}

/// Resume from the version the store announces, after a restart: load it from the store (its nearest
/// snapshot, then deltas) and carry on from it, so that the next cycle publishes a delta from it that
/// consumers on it can apply, and records that did not change keep their ordinals. Call it before the
/// first cycle. Takes the store's producer lock (as the first cycle would). `*out_version` (if
/// `out_version` is not NULL) receives the restored version.
///
/// On failure the producer is left as it was.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_NOT_FOUND` (nothing announced, or its blobs are
/// missing), `HOLLOW_STATUS_IO`, `HOLLOW_STATUS_CORRUPT_BLOB`, `HOLLOW_STATUS_SCHEMA` (the announced
/// schemas do not fit this producer's), `HOLLOW_STATUS_CONFLICT` (another producer holds the store),
/// `HOLLOW_STATUS_REENTRANT_CALL` (called from inside this producer's populate callback).
/// Thread safety: not thread-safe.
#[no_mangle]
pub unsafe extern "C" fn hollow_producer_restore_announced(
    producer: *mut hollow_producer,
    out_version: *mut i64,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `producer` is a live handle for the whole call (the header's pointer contract);
        // taken shared, as in `hollow_producer_run_cycle`.
        let p = unsafe { arg(producer, "producer") }?;
        let retriever = p.roles.retriever.clone();
        let p = p.exclusive("hollow_producer_restore_announced")?;
        let version = p.producer.restore_announced(retriever.as_ref())?;
        if !out_version.is_null() {
            // SAFETY: non-NULL, writable per the header's contract.
            unsafe { out_version.write(version) };
        }
        Ok(())
    })
}

/// The version the running cycle will produce.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: only inside the populate callback, on its thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_write_state_version(
    write_state: *mut hollow_write_state,
    out_version: *mut i64,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `write_state` is a live handle that nothing else uses during the call (the header's
        // pointer contract; this handle is documented as not thread-safe).
        let ws = unsafe { arg_mut(write_state, "write_state") }?;
        // SAFETY: a non-NULL `out_version` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_version, "out_version") }?.set(ws.write_state().version());
        Ok(())
    })
}

/// Add the string `value` (NUL-terminated UTF-8) to the simple string dataset: a record of type
/// `String { string value; }`, as Java Hollow's object mapper writes a string added on its own (the type
/// is registered on first use). Adding a string twice gives the same ordinal. `*out_ordinal` (if
/// `out_ordinal` is not NULL) receives the record's ordinal.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (a
/// type `String` of another shape was declared). Thread safety: only inside the populate callback, on
/// its thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_write_state_add_string(
    write_state: *mut hollow_write_state,
    value: *const c_char,
    out_ordinal: *mut u32,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `write_state` is a live handle that nothing else uses during the call (the header's
        // pointer contract; this handle is documented as not thread-safe).
        let ws = unsafe { arg_mut(write_state, "write_state") }?;
        // SAFETY: a non-NULL `value` is a NUL-terminated string valid for the call (the header's pointer contract).
        let value = unsafe { arg_str(value, "value") }?;
        set_ordinal(out_ordinal, ws.write_state().add_string(value)?);
        Ok(())
    })
}

/// Write `ordinal` to `out_ordinal` unless the caller passed NULL (the ordinal is often not needed).
fn set_ordinal(out_ordinal: *mut u32, ordinal: u32) {
    if !out_ordinal.is_null() {
        // SAFETY: non-NULL, writable per the header's contract.
        unsafe { out_ordinal.write(ordinal) };
    }
}

/// Add an OBJECT record of type `type_name`, as filled in `record` (which may then be cleared and
/// reused). Adding a record equal to one already added gives the same ordinal. `*out_ordinal` (if
/// `out_ordinal` is not NULL) receives the record's ordinal, to reference it from other records.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_NOT_FOUND` (no such
/// type), `HOLLOW_STATUS_SCHEMA_MISMATCH` (not an OBJECT type, unknown field, value of the wrong type),
/// `HOLLOW_STATUS_INVALID_ARGUMENT` (a reference to a record not added in this cycle).
/// Thread safety: only inside the populate callback, on its thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_write_state_add_object(
    write_state: *mut hollow_write_state,
    type_name: *const c_char,
    record: *const hollow_object_record,
    out_ordinal: *mut u32,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `write_state` is a live handle that nothing else uses during the call (the header's
        // pointer contract; this handle is documented as not thread-safe).
        let ws = unsafe { arg_mut(write_state, "write_state") }?;
        // SAFETY: a non-NULL `type_name` is a NUL-terminated string valid for the call (the header's pointer contract).
        let type_name = unsafe { arg_str(type_name, "type_name") }?;
        // SAFETY: a non-NULL `record` is a live handle for the whole call (the header's pointer contract).
        let record = unsafe { arg(record, "record") }?;
        set_ordinal(out_ordinal, ws.write_state().add_object(type_name, record.record())?);
        Ok(())
    })
}

/// Add a LIST record of type `type_name` holding the `count` element ordinals in `elements`, in order.
/// `*out_ordinal` (if not NULL) receives its ordinal.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT` (also `elements` NULL with `count > 0`),
/// `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_NOT_FOUND`, `HOLLOW_STATUS_SCHEMA_MISMATCH` (not a LIST
/// type), `HOLLOW_STATUS_INVALID_ARGUMENT` (an element not added in this cycle).
/// Thread safety: only inside the populate callback, on its thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_write_state_add_list(
    write_state: *mut hollow_write_state,
    type_name: *const c_char,
    elements: *const u32,
    count: usize,
    out_ordinal: *mut u32,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `write_state` is a live handle that nothing else uses during the call (the header's
        // pointer contract; this handle is documented as not thread-safe).
        let ws = unsafe { arg_mut(write_state, "write_state") }?;
        // SAFETY: a non-NULL `type_name` is a NUL-terminated string valid for the call (the header's pointer contract).
        let type_name = unsafe { arg_str(type_name, "type_name") }?;
        // SAFETY: a non-NULL `elements` points to `count` readable elements valid for the call (the header's pointer
        // contract).
        let elements = unsafe { arg_slice(elements, count, "elements") }?;
        let mut list = std::mem::take(&mut ws.list);
        list.clear();
        for &e in elements {
            list.add_element(e);
        }
        let result = ws.write_state().add_list(type_name, &list);
        ws.list = list;
        set_ordinal(out_ordinal, result?);
        Ok(())
    })
}

/// Add a SET record of type `type_name` holding the `count` element ordinals in `elements` (order and
/// duplicates do not matter). `*out_ordinal` (if not NULL) receives its ordinal.
///
/// Errors: as `hollow_write_state_add_list`, for a SET type. Thread safety: only inside the populate
/// callback, on its thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_write_state_add_set(
    write_state: *mut hollow_write_state,
    type_name: *const c_char,
    elements: *const u32,
    count: usize,
    out_ordinal: *mut u32,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `write_state` is a live handle that nothing else uses during the call (the header's
        // pointer contract; this handle is documented as not thread-safe).
        let ws = unsafe { arg_mut(write_state, "write_state") }?;
        // SAFETY: a non-NULL `type_name` is a NUL-terminated string valid for the call (the header's pointer contract).
        let type_name = unsafe { arg_str(type_name, "type_name") }?;
        // SAFETY: a non-NULL `elements` points to `count` readable elements valid for the call (the header's pointer
        // contract).
        let elements = unsafe { arg_slice(elements, count, "elements") }?;
        let mut set = std::mem::take(&mut ws.set);
        set.clear();
        for &e in elements {
            set.add_element(e);
        }
        let result = ws.write_state().add_set(type_name, &set);
        ws.set = set;
        set_ordinal(out_ordinal, result?);
        Ok(())
    })
}

/// Add a MAP record of type `type_name` with `count` entries: `keys[i]` maps to `values[i]` (key and
/// value ordinals). `*out_ordinal` (if not NULL) receives its ordinal.
///
/// Errors: as `hollow_write_state_add_list`, for a MAP type. Thread safety: only inside the populate
/// callback, on its thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_write_state_add_map(
    write_state: *mut hollow_write_state,
    type_name: *const c_char,
    keys: *const u32,
    values: *const u32,
    count: usize,
    out_ordinal: *mut u32,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `write_state` is a live handle that nothing else uses during the call (the header's
        // pointer contract; this handle is documented as not thread-safe).
        let ws = unsafe { arg_mut(write_state, "write_state") }?;
        // SAFETY: a non-NULL `type_name` is a NUL-terminated string valid for the call (the header's pointer contract).
        let type_name = unsafe { arg_str(type_name, "type_name") }?;
        // SAFETY: a non-NULL `keys` points to `count` readable elements valid for the call (the header's pointer
        // contract).
        let keys = unsafe { arg_slice(keys, count, "keys") }?;
        // SAFETY: a non-NULL `values` points to `count` readable elements valid for the call (the header's pointer
        // contract).
        let values = unsafe { arg_slice(values, count, "values") }?;
        let mut map = std::mem::take(&mut ws.map);
        map.clear();
        for (&k, &v) in keys.iter().zip(values) {
            map.add_entry(k, v);
        }
        let result = ws.write_state().add_map(type_name, &map);
        ws.map = map;
        set_ordinal(out_ordinal, result?);
        Ok(())
    })
}

/// Run an incremental cycle: the last announced (or restored) version with the changes in
/// `json_lines` applied in order, by primary key, instead of a full set of records. `json_lines` is
/// NUL-terminated UTF-8, one change per line (blank lines are skipped), as `hollow_diff_change_set_json`
/// and `hollow diff --format changes` write them:
/// `{"op":"upsert","type":"Movie","record":{"id":1,"title":"Heat"}}` replaces (or adds) the record with
/// that key; `{"op":"delete","type":"Movie","key":[2]}` removes it (an absent key is no change). Types
/// are those of the producer (the schemas given to `hollow_producer_new`). Before any version, the cycle
/// starts from nothing. `*out_version` (if `out_version` is not NULL) receives the version now
/// announced: a new one, or the current one if nothing changed.
///
/// Everything else is `hollow_producer_run_cycle`'s: on failure nothing is announced and the producer
/// stays at its last announced version.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, for a bad line (the last error
/// message names its number, `"change line 3: ..."`) `HOLLOW_STATUS_INVALID_ARGUMENT` (not JSON, not a
/// change), `HOLLOW_STATUS_NOT_FOUND` (unknown type) or `HOLLOW_STATUS_SCHEMA_MISMATCH` (a record or key
/// that does not fit its type); then as `hollow_producer_run_cycle`, and
/// `HOLLOW_STATUS_REENTRANT_CALL` from inside this producer's populate callback.
/// Thread safety: not thread-safe.
#[no_mangle]
pub unsafe extern "C" fn hollow_producer_apply_changes(
    producer: *mut hollow_producer,
    json_lines: *const c_char,
    out_version: *mut i64,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `producer` is a live handle for the whole call (the header's pointer contract);
        // taken shared, as in `hollow_producer_run_cycle`.
        let p = unsafe { arg(producer, "producer") }?;
        // SAFETY: a non-NULL `json_lines` is a NUL-terminated string valid for the call (the header's
        // pointer contract).
        let json_lines = unsafe { arg_str(json_lines, "json_lines") }?;
        let p = p.exclusive("hollow_producer_apply_changes")?;
        let changes = ChangeSet::read_json_lines(json_lines.as_bytes(), p.producer.engine_mut())?;
        let version = p.producer.apply_change_set(&changes)?;
        if !out_version.is_null() {
            // SAFETY: non-NULL, writable per the header's contract.
            unsafe { out_version.write(version) };
        }
        Ok(())
    })
}

/// The producer's counters as a JSON object, for operators:
/// `{"cycles_succeeded":3,"cycles_failed":1,"cycles_no_change":0,"last_cycle_duration_seconds":0.012,
/// "current_version":20250101000000003,"retention_failures":0}` (`current_version` is `null` before the
/// first version). Copied into `buffer` as `hollow_diff_change_set_json` does (`*out_len` receives the
/// full length; call with capacity 0 to learn it). New members may be added in later releases.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_REENTRANT_CALL` (from inside this producer's
/// populate callback). Thread safety: not thread-safe.
#[no_mangle]
pub unsafe extern "C" fn hollow_producer_metrics_json(
    producer: *const hollow_producer,
    buffer: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> hollow_status {
    let report = |producer: &Producer| {
        let m = producer.metrics();
        serde_json::json!({
            "cycles_succeeded": m.cycles_succeeded,
            "cycles_failed": m.cycles_failed,
            "cycles_no_change": m.cycles_no_change,
            "last_cycle_duration_seconds": m.last_cycle_duration.as_secs_f64(),
            "current_version": m.current_version,
            "retention_failures": m.retention_failures,
        })
    };
    // SAFETY: the caller's pointers are passed on under the same contract.
    unsafe { copy_producer_json(producer, "hollow_producer_metrics_json", report, buffer, capacity, out_len) }
}

/// Copy what `report` says of the producer, as JSON, into the caller's buffer (as `copy_text` does).
///
/// # Safety
/// The header's pointer contract: a non-NULL `producer` is a live handle, `buffer` has `capacity` writable
/// bytes, and a non-NULL `out_len` is writable, for the whole call.
unsafe fn copy_producer_json(
    producer: *const hollow_producer,
    function: &'static str,
    report: impl FnOnce(&Producer) -> serde_json::Value,
    buffer: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `producer` is a live handle for the whole call (this function's contract).
        let p = unsafe { arg(producer, "producer") }?;
        let json = report(p.exclusive(function)?.producer);
        // SAFETY: `buffer` has `capacity` writable bytes and a non-NULL `out_len` is writable (this
        // function's contract).
        unsafe { copy_text(&json.to_string(), buffer, capacity, out_len) }
    })
}

/// What the last incremental cycle (`hollow_producer_apply_changes`) did, as a JSON object:
/// `{"upserts":2,"deletes":1,"absent_deletes":0,"superseded":0,"removed":{"Movie":2},"added":{"Movie":2}}`
/// (`removed`/`added`: records per type that left or entered the state); the text `null` before the
/// producer's first incremental cycle. The counts are of the last cycle that ran, including one that
/// changed nothing. Copied into `buffer` as `hollow_producer_metrics_json` does (`*out_len` receives the
/// full length; call with capacity 0 to learn it).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_REENTRANT_CALL` (from inside this producer's
/// populate callback). Thread safety: not thread-safe.
#[no_mangle]
pub unsafe extern "C" fn hollow_producer_last_incremental_stats_json(
    producer: *const hollow_producer,
    buffer: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> hollow_status {
    let report = |producer: &Producer| match producer.last_incremental_stats() {
        None => serde_json::Value::Null,
        Some(s) => serde_json::json!({
            "upserts": s.upserts,
            "deletes": s.deletes,
            "absent_deletes": s.absent_deletes,
            "superseded": s.superseded,
            "removed": s.removed,
            "added": s.added,
        }),
    };
    // SAFETY: the caller's pointers are passed on under the same contract.
    unsafe {
        copy_producer_json(producer, "hollow_producer_last_incremental_stats_json", report, buffer, capacity, out_len)
    }
}

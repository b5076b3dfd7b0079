//! Consumers: follow a blob store's announced version and hand out read states.

use hollow::consumer::Consumer;

use crate::guard::{arg, free_handle, guard, guard_value, into_handle, out, Handle, OwnedBox};
use crate::mapping::{hollow_mapping_mode, mapping_mode};
use crate::read_state::hollow_read_state;
use crate::status::{hollow_status, FfiError};
use crate::store::hollow_blob_store;

/// "No version": what the version functions report before any state is loaded.
pub const HOLLOW_VERSION_NONE: i64 = i64::MIN;

/// A consumer of one blob store. Every consumer function may be called from many threads at once:
/// refreshes are serialized inside, and reads through `hollow_read_state` handles never wait for them.
#[allow(non_camel_case_types)]
pub struct hollow_consumer {
    consumer: Consumer,
}

impl Handle for hollow_consumer {
    type Ownership = OwnedBox;
}

/// Create a consumer of `store`. It holds no state until the first refresh.
///
/// On success `*out_consumer` receives a new handle, owned by the caller (`hollow_consumer_free`). The
/// consumer shares the store, so `store` may be freed afterwards.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_consumer_new(
    store: *const hollow_blob_store,
    out_consumer: *mut *mut hollow_consumer,
) -> hollow_status {
    // SAFETY: the caller's pointers as the header's pointer contract says, which is this function's.
    unsafe { hollow_consumer_new_with_mapping(store, hollow_mapping_mode::Copy as i32, out_consumer) }
}

/// Create a consumer of `store` whose snapshots load as `mapping` says (a `hollow_mapping_mode`).
/// `HOLLOW_MAPPING_MODE_COPY` is `hollow_consumer_new`. `HOLLOW_MAPPING_MODE_SHARED` maps each snapshot
/// file and reads its records in place, when the store keeps the snapshot in a local file (a filesystem
/// store); from any other store, and when the file vanished or changed since it was listed, the snapshot
/// is read into the heap instead (logged at WARN for a file that vanished or changed). A
/// delta applied to a mapped state builds heap shards for what it changes and keeps the rest mapped;
/// `hollow_read_state_mapped_shards` tells how much of a state is mapped. The files must never be modified
/// or truncated in place while a read state reads them (see `hollow_mapping_mode`): hollow's filesystem
/// store never does either.
///
/// On success `*out_consumer` receives a new handle, owned by the caller (`hollow_consumer_free`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_ARGUMENT` (`mapping` is not a
/// `hollow_mapping_mode`); nothing is written then. Thread safety: any thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_consumer_new_with_mapping(
    store: *const hollow_blob_store,
    mapping: i32,
    out_consumer: *mut *mut hollow_consumer,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `store` is a live handle for the whole call (the header's pointer contract).
        let store = unsafe { arg(store, "store") }?;
        // SAFETY: a non-NULL `out_consumer` is writable for the whole call (the header's pointer contract).
        let out_consumer = unsafe { out(out_consumer, "out_consumer") }?;
        let mode = mapping_mode(mapping)?;
        let roles = store.roles().clone();
        let consumer = Consumer::builder(roles.retriever)
            .with_announcement_watcher(roles.watcher)
            .with_memory_mapping(mode)
            .build();
        out_consumer.set(into_handle(hollow_consumer { consumer }));
        Ok(())
    })
}

/// Move to the store's announced version (by deltas when it can, else by snapshot). With nothing
/// announced, nothing changes. `*out_version` (if `out_version` is not NULL) receives the version now
/// held, or `HOLLOW_VERSION_NONE`. On failure the consumer keeps its current version.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_IO`, `HOLLOW_STATUS_CORRUPT_BLOB`,
/// `HOLLOW_STATUS_NOT_FOUND` (no blobs lead to the announced version), `HOLLOW_STATUS_TAG_MISMATCH`.
/// Thread safety: any thread, concurrently with reads and other refreshes.
#[no_mangle]
pub unsafe extern "C" fn hollow_consumer_refresh(
    consumer: *const hollow_consumer,
    out_version: *mut i64,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `consumer` is a live handle for the whole call (the header's pointer contract).
        let c = unsafe { arg(consumer, "consumer") }?;
        let version = c.consumer.refresh()?;
        if !out_version.is_null() {
            // SAFETY: non-NULL, writable per the header's contract.
            unsafe { out_version.write(version.unwrap_or(HOLLOW_VERSION_NONE)) };
        }
        Ok(())
    })
}

/// Move to exactly `version`: forward by deltas, back by reverse deltas, or by snapshot. On failure the
/// consumer keeps its current version.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_NOT_FOUND` (no blobs lead to `version`),
/// `HOLLOW_STATUS_IO`, `HOLLOW_STATUS_CORRUPT_BLOB`, `HOLLOW_STATUS_TAG_MISMATCH`.
/// Thread safety: any thread, concurrently with reads and other refreshes.
#[no_mangle]
pub unsafe extern "C" fn hollow_consumer_refresh_to(consumer: *const hollow_consumer, version: i64) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `consumer` is a live handle for the whole call (the header's pointer contract).
        let c = unsafe { arg(consumer, "consumer") }?;
        c.consumer.refresh_to(version)?;
        Ok(())
    })
}

/// The version the consumer holds, or `HOLLOW_VERSION_NONE` before the first successful refresh.
///
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_consumer_current_version(
    consumer: *const hollow_consumer,
    out_version: *mut i64,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `consumer` is a live handle for the whole call (the header's pointer contract).
        let c = unsafe { arg(consumer, "consumer") }?;
        // SAFETY: a non-NULL `out_version` is writable for the whole call (the header's pointer contract).
        unsafe { out(out_version, "out_version") }?.set(c.consumer.current_version().unwrap_or(HOLLOW_VERSION_NONE));
        Ok(())
    })
}

/// Pin the current version for reading: lock-free and cheap (no copy of the data). The read state keeps
/// showing that version, however often the consumer refreshes, until released with
/// `hollow_read_state_free`; hold it for one unit of work (a request), then release it.
///
/// On success `*out_read_state` receives a new handle, owned by the caller.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_NOT_FOUND` (no version loaded yet).
/// Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_consumer_read_state(
    consumer: *const hollow_consumer,
    out_read_state: *mut *mut hollow_read_state,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `consumer` is a live handle for the whole call (the header's pointer contract).
        let c = unsafe { arg(consumer, "consumer") }?;
        // SAFETY: a non-NULL `out_read_state` is writable for the whole call (the header's pointer contract).
        let out_read_state = unsafe { out(out_read_state, "out_read_state") }?;
        let state = c.consumer.read_state().ok_or_else(|| {
            FfiError::new(hollow_status::NotFound, "the consumer has no version yet: refresh it first")
        })?;
        out_read_state.set(into_handle(hollow_read_state::new(state)));
        Ok(())
    })
}

/// Free a consumer. Read states acquired from it stay valid until released. NULL is a no-op.
/// Thread safety: no other call may be using `consumer`.
#[no_mangle]
pub unsafe extern "C" fn hollow_consumer_free(consumer: *mut hollow_consumer) {
    // SAFETY: `consumer` is NULL or a handle from this library's constructor, not yet freed (the header's
    // contract for `_free`).
    guard_value((), || unsafe { free_handle(consumer) })
}

/// The consumer's counters as a JSON object, for operators:
/// `{"refreshes_succeeded":2,"refreshes_failed":0,"consecutive_failures":0,"snapshots_applied":1,
/// "deltas_applied":1,"bytes_applied":5120,"last_refresh_duration_seconds":0.003,"watch_failures":0,
/// "index_build_failures":0,"current_version":20250101000000002}` (`current_version` is `null` before
/// the first refresh). Copied into `buffer` as NUL-terminated UTF-8: `*out_len` receives the length in
/// bytes (without the NUL) whether or not it fit; a short buffer receives as much as fits, then the NUL
/// (nothing with `capacity` 0, when `buffer` may be NULL): call with capacity 0 to learn the size. New
/// members may be added in later releases.
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread, concurrently.
#[no_mangle]
pub unsafe extern "C" fn hollow_consumer_metrics_json(
    consumer: *const hollow_consumer,
    buffer: *mut std::ffi::c_char,
    capacity: usize,
    out_len: *mut usize,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `consumer` is a live handle for the whole call (the header's pointer contract).
        let c = unsafe { arg(consumer, "consumer") }?;
        let m = c.consumer.metrics();
        let json = serde_json::json!({
            "refreshes_succeeded": m.refreshes_succeeded,
            "refreshes_failed": m.refreshes_failed,
            "consecutive_failures": m.consecutive_failures,
            "snapshots_applied": m.snapshots_applied,
            "deltas_applied": m.deltas_applied,
            "bytes_applied": m.bytes_applied,
            "last_refresh_duration_seconds": m.last_refresh_duration.as_secs_f64(),
            "watch_failures": m.watch_failures,
            "index_build_failures": m.index_build_failures,
            "current_version": c.consumer.current_version(),
        });
        // SAFETY: `buffer` has `capacity` writable bytes and a non-NULL `out_len` is writable, per the
        // header's pointer contract.
        unsafe { crate::values::copy_text(&json.to_string(), buffer, capacity, out_len) }
    })
}

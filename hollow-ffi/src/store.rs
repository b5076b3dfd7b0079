//! Blob stores: where producers publish and consumers look. A `hollow_blob_store` handle is owned by the
//! caller (free it with `hollow_blob_store_free`); producers and consumers made from it share the store
//! itself, so the handle may be freed as soon as they are created.

use std::ffi::c_char;
use std::sync::Arc;

use hollow::store::filesystem::FilesystemBlobStore;
use hollow::store::memory::InMemoryBlobStore;
use hollow::store::{AnnouncementWatcher, Announcer, BlobPublisher, BlobRetriever, BlobStore, StoreOptions};

use crate::guard::{arg_slice, arg_str, free_handle, guard, guard_value, into_handle, out, Handle, OwnedBox};
use crate::status::{hollow_status, FfiError};

/// A blob store: in memory (shared by producers and consumers of one process) or a directory in Java
/// Hollow's layout (`snapshot-<v>`, `delta-<from>-<to>`, ..., `announced.version`).
#[allow(non_camel_case_types)]
pub struct hollow_blob_store {
    roles: StoreRoles,
}

impl Handle for hollow_blob_store {
    type Ownership = OwnedBox;
}

/// The one store seen in each of its roles.
#[derive(Clone)]
pub(crate) struct StoreRoles {
    pub(crate) publisher: Arc<dyn BlobPublisher>,
    pub(crate) announcer: Arc<dyn Announcer>,
    pub(crate) retriever: Arc<dyn BlobRetriever>,
    pub(crate) watcher: Arc<dyn AnnouncementWatcher>,
}

impl StoreRoles {
    fn of<S: BlobPublisher + Announcer + BlobRetriever + AnnouncementWatcher + 'static>(store: Arc<S>) -> Self {
        StoreRoles { publisher: store.clone(), announcer: store.clone(), retriever: store.clone(), watcher: store }
    }
}

impl StoreRoles {
    /// A store opened by URL, seen in each of its roles (trait upcasting: no extra indirection).
    fn of_dyn(store: Arc<dyn BlobStore>) -> Self {
        StoreRoles { publisher: store.clone(), announcer: store.clone(), retriever: store.clone(), watcher: store }
    }
}

/// One store option: `key` and `value`, NUL-terminated UTF-8 strings (for `hollow_blob_store_open_url`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct hollow_store_option {
    /// The option's name, for example `"aws_region"` or `"poll_interval_ms"`.
    pub key: *const c_char,
    /// Its value, for example `"eu-west-1"` or `"500"`.
    pub value: *const c_char,
}

impl hollow_blob_store {
    pub(crate) fn roles(&self) -> &StoreRoles {
        &self.roles
    }
}

/// Create an empty in-memory blob store. Give the same handle to a producer and to consumers so they
/// share the blobs and the announced version.
///
/// On success `*out_store` receives a new handle, owned by the caller (`hollow_blob_store_free`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`. Thread safety: any thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_blob_store_new_in_memory(out_store: *mut *mut hollow_blob_store) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `out_store` is writable for the whole call (the header's pointer contract).
        let out_store = unsafe { out(out_store, "out_store") }?;
        let store = hollow_blob_store { roles: StoreRoles::of(Arc::new(InMemoryBlobStore::new())) };
        out_store.set(into_handle(store));
        Ok(())
    })
}

/// Create a blob store over the directory `path` for a producer, creating the directory (and its
/// parents) if missing.
///
/// On success `*out_store` receives a new handle, owned by the caller (`hollow_blob_store_free`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8` (`path` must be UTF-8),
/// `HOLLOW_STATUS_IO` (the directory cannot be created). Thread safety: any thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_blob_store_create_filesystem(
    path: *const c_char,
    out_store: *mut *mut hollow_blob_store,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `path` is a NUL-terminated string valid for the call (the header's pointer contract).
        let path = unsafe { arg_str(path, "path") }?;
        // SAFETY: a non-NULL `out_store` is writable for the whole call (the header's pointer contract).
        let out_store = unsafe { out(out_store, "out_store") }?;
        let store = FilesystemBlobStore::create(path)?;
        out_store.set(into_handle(hollow_blob_store { roles: StoreRoles::of(Arc::new(store)) }));
        Ok(())
    })
}

/// Open the existing directory `path` as a blob store, for a consumer. Nothing is written to it, so a
/// read-only directory works.
///
/// On success `*out_store` receives a new handle, owned by the caller (`hollow_blob_store_free`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT`, `HOLLOW_STATUS_INVALID_UTF8`, `HOLLOW_STATUS_NOT_FOUND` (no
/// such directory). Thread safety: any thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_blob_store_open_filesystem(
    path: *const c_char,
    out_store: *mut *mut hollow_blob_store,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `path` is a NUL-terminated string valid for the call (the header's pointer contract).
        let path = unsafe { arg_str(path, "path") }?;
        // SAFETY: a non-NULL `out_store` is writable for the whole call (the header's pointer contract).
        let out_store = unsafe { out(out_store, "out_store") }?;
        let store = FilesystemBlobStore::open(path)?;
        out_store.set(into_handle(hollow_blob_store { roles: StoreRoles::of(Arc::new(store)) }));
        Ok(())
    })
}

/// Open the blob store at `url`: a directory path or `file://` URL (Java Hollow's directory layout),
/// `memory://` (a new, empty store private to this handle and what is made from it), `s3://bucket/prefix`,
/// `gs://bucket/prefix` or `az://container/prefix`. The handle works with `hollow_producer_new` and
/// `hollow_consumer_new` like any other.
///
/// `options` is an array of `n_options` key/value pairs (may be NULL when `n_options` is 0), applied in
/// order: `layout` (`reference`, the default for object stores, or `filesystem`), `poll_interval_ms`,
/// `poll_jitter`, `cache_dir`, `lease_ttl_ms`, `max_retries`, `retry_timeout_ms`, `create` (`true` to
/// create a missing directory), and any configuration key of the object store (`aws_endpoint_url`,
/// `aws_region`, `aws_access_key_id`, `aws_secret_access_key`, `google_service_account`, ...). Options may
/// also be given in the URL's query (`s3://bucket/prefix?aws_region=eu-west-1`); credentials and
/// endpoints also come from the standard environment variables (`AWS_ENDPOINT_URL`, ...). `options`
/// win over the query, which wins over the environment.
///
/// On success `*out_store` receives a new handle, owned by the caller (`hollow_blob_store_free`).
/// Errors: `HOLLOW_STATUS_NULL_ARGUMENT` (also a NULL key or value), `HOLLOW_STATUS_INVALID_UTF8`,
/// `HOLLOW_STATUS_INVALID_ARGUMENT` (an unknown scheme, a malformed URL, a bad option value),
/// `HOLLOW_STATUS_NOT_FOUND` (a directory that does not exist, without `create`), `HOLLOW_STATUS_IO`.
/// Thread safety: any thread.
#[no_mangle]
pub unsafe extern "C" fn hollow_blob_store_open_url(
    url: *const c_char,
    options: *const hollow_store_option,
    n_options: usize,
    out_store: *mut *mut hollow_blob_store,
) -> hollow_status {
    guard(|| {
        // SAFETY: a non-NULL `url` is a NUL-terminated string valid for the call (the header's pointer contract).
        let url = unsafe { arg_str(url, "url") }?;
        // SAFETY: a non-NULL `options` points to `n_options` readable elements valid for the call (the header's
        // pointer contract).
        let options = unsafe { arg_slice(options, n_options, "options") }?;
        // SAFETY: a non-NULL `out_store` is writable for the whole call (the header's pointer contract).
        let out_store = unsafe { out(out_store, "out_store") }?;
        let mut store_options = StoreOptions::default();
        for o in options {
            // SAFETY: a non-NULL key is a NUL-terminated string valid for the call (the header's pointer contract).
            let key = unsafe { arg_str(o.key, "options[i].key") }?;
            // SAFETY: as for the key.
            let value = unsafe { arg_str(o.value, "options[i].value") }?;
            store_options.set(key, value)?;
        }
        let store = hollow::store::open(url, &store_options).map_err(|e| {
            let status = hollow_status::of_kind(e.kind());
            FfiError::new(status, format!("opening store {url:?}: {e}"))
        })?;
        out_store.set(into_handle(hollow_blob_store { roles: StoreRoles::of_dyn(store) }));
        Ok(())
    })
}

/// Free a blob store handle. Producers and consumers created from it keep working. NULL is a no-op.
/// Thread safety: no other call may be using `store`.
#[no_mangle]
pub unsafe extern "C" fn hollow_blob_store_free(store: *mut hollow_blob_store) {
    // SAFETY: `store` is NULL or a handle from this library's constructor, not yet freed (the header's
    // contract for `_free`).
    guard_value((), || unsafe { free_handle(store) })
}

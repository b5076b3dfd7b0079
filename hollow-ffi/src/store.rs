//! Blob stores: where producers publish and consumers look. A `hollow_blob_store` handle is owned by the
//! caller (free it with `hollow_blob_store_free`); producers and consumers made from it share the store
//! itself, so the handle may be freed as soon as they are created.

use std::ffi::c_char;
use std::sync::Arc;

use hollow::store::filesystem::FilesystemBlobStore;
use hollow::store::memory::InMemoryBlobStore;
use hollow::store::{AnnouncementWatcher, Announcer, BlobPublisher, BlobRetriever};

use crate::guard::{arg_str, free_handle, guard, guard_value, into_handle, out, Handle, OwnedBox};
use crate::status::hollow_status;

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

/// Free a blob store handle. Producers and consumers created from it keep working. NULL is a no-op.
/// Thread safety: no other call may be using `store`.
#[no_mangle]
pub unsafe extern "C" fn hollow_blob_store_free(store: *mut hollow_blob_store) {
    // SAFETY: `store` is NULL or a handle from this library's constructor, not yet freed (the header's
    // contract for `_free`).
    guard_value((), || unsafe { free_handle(store) })
}

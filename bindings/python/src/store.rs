//! Blob stores: where a producer publishes and announces, and where consumers look.
//!
//! `BlobStore` is the common base class; `InMemoryBlobStore` (one process) and `FilesystemBlobStore`
//! (Java Hollow's directory layout) are the two kinds. Both are thin handles over the core stores and
//! can be shared by any number of producers and consumers.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hollow::store::filesystem::FilesystemBlobStore as CoreFsStore;
use hollow::store::memory::InMemoryBlobStore as CoreMemoryStore;
use hollow::store::{AnnouncementWatcher, Announcer, BlobPublisher, BlobRetriever, BlobType, Version};
use pyo3::prelude::*;

use hollow::Error;

use crate::errors::{invalid, not_found, IntoPy};

/// The core store behind a Python store object.
#[derive(Clone)]
pub enum StoreHandle {
    /// In memory.
    Memory(Arc<CoreMemoryStore>),
    /// A directory.
    Filesystem(Arc<CoreFsStore>),
}

impl StoreHandle {
    /// The store as a publisher.
    pub fn publisher(&self) -> Arc<dyn BlobPublisher> {
        match self {
            StoreHandle::Memory(s) => s.clone(),
            StoreHandle::Filesystem(s) => s.clone(),
        }
    }

    /// The store as an announcer.
    pub fn announcer(&self) -> Arc<dyn Announcer> {
        match self {
            StoreHandle::Memory(s) => s.clone(),
            StoreHandle::Filesystem(s) => s.clone(),
        }
    }

    /// The store as a retriever.
    pub fn retriever(&self) -> Arc<dyn BlobRetriever> {
        match self {
            StoreHandle::Memory(s) => s.clone(),
            StoreHandle::Filesystem(s) => s.clone(),
        }
    }

    /// The store as an announcement watcher.
    pub fn watcher(&self) -> Arc<dyn AnnouncementWatcher> {
        match self {
            StoreHandle::Memory(s) => s.clone(),
            StoreHandle::Filesystem(s) => s.clone(),
        }
    }
}

/// Base class of blob stores.
#[pyclass(module = "hollow", subclass, frozen)]
pub struct BlobStore {
    pub(crate) handle: StoreHandle,
}

#[pymethods]
impl BlobStore {
    /// The announced version, or None if nothing has been announced yet.
    #[getter]
    fn announced_version(&self, py: Python<'_>) -> PyResult<Option<Version>> {
        let watcher = self.handle.watcher();
        py.detach(|| watcher.latest_version()).py()
    }
}

/// Blobs and the announced version in this process's memory.
#[pyclass(module = "hollow", extends = BlobStore, frozen)]
pub struct InMemoryBlobStore {}

#[pymethods]
impl InMemoryBlobStore {
    #[new]
    fn new() -> (Self, BlobStore) {
        (InMemoryBlobStore {}, BlobStore { handle: StoreHandle::Memory(Arc::new(CoreMemoryStore::new())) })
    }

    /// Versions of the snapshots held, ascending.
    fn snapshot_versions(self_: PyRef<'_, Self>) -> Vec<Version> {
        match &self_.as_super().handle {
            StoreHandle::Memory(s) => s.snapshot_versions(),
            StoreHandle::Filesystem(_) => Vec::new(),
        }
    }

    /// Remove a blob (`kind` is "snapshot", "delta", "reversedelta" or "header"; deltas are found by
    /// the version they start from). Returns whether it was there. For tests of missing blobs.
    fn remove(self_: PyRef<'_, Self>, kind: &str, version: Version) -> PyResult<bool> {
        let blob_type = parse_blob_type(kind)?;
        Ok(match &self_.as_super().handle {
            StoreHandle::Memory(s) => s.remove(blob_type, version),
            StoreHandle::Filesystem(_) => false,
        })
    }

    fn __repr__(self_: PyRef<'_, Self>) -> String {
        match &self_.as_super().handle {
            StoreHandle::Memory(s) => format!("<hollow.InMemoryBlobStore {s:?}>"),
            StoreHandle::Filesystem(_) => "<hollow.InMemoryBlobStore>".into(),
        }
    }
}

fn parse_blob_type(kind: &str) -> PyResult<BlobType> {
    Ok(match kind {
        "snapshot" => BlobType::Snapshot,
        "delta" => BlobType::Delta,
        "reversedelta" => BlobType::ReverseDelta,
        "header" => BlobType::Header,
        other => {
            return Err(invalid(format!(
                "blob kind {other:?}: expected \"snapshot\", \"delta\", \"reversedelta\" or \"header\""
            )))
        }
    })
}

/// A directory of blobs in Java Hollow's layout (`snapshot-<v>`, `delta-<from>-<to>`, ...,
/// `announced.version`), readable and writable by Java Hollow too.
///
/// A missing directory is a `NotFoundError` naming it (so a mistyped path fails loudly instead of
/// showing an empty store); with `create=True` it is created instead, which is what a producer
/// publishing to a new place wants. `poll_interval` is how often, in seconds, a watching consumer looks
/// at the announcement file.
#[pyclass(module = "hollow", extends = BlobStore, frozen)]
pub struct FilesystemBlobStore {
    path: PathBuf,
}

#[pymethods]
impl FilesystemBlobStore {
    #[new]
    #[pyo3(signature = (path, *, create = false, poll_interval = 1.0))]
    fn new(py: Python<'_>, path: PathBuf, create: bool, poll_interval: f64) -> PyResult<(Self, BlobStore)> {
        if !(poll_interval.is_finite() && poll_interval > 0.0) {
            return Err(invalid(format!("poll_interval must be a positive number of seconds, not {poll_interval}")));
        }
        let dir = path.clone();
        let store = py.detach(move || if create { CoreFsStore::create(dir) } else { CoreFsStore::open(dir) });
        let store = match store {
            Err(Error::NotFound(_)) => {
                return Err(not_found(format!(
                    "blob store directory {} does not exist (pass create=True to create it)",
                    path.display()
                )))
            }
            other => other.py()?,
        };
        let store = store.with_poll_interval(Duration::from_secs_f64(poll_interval));
        Ok((FilesystemBlobStore { path }, BlobStore { handle: StoreHandle::Filesystem(Arc::new(store)) }))
    }

    /// The directory.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    fn __repr__(&self) -> String {
        format!("<hollow.FilesystemBlobStore {}>", self.path.display())
    }
}

//! Stores written in Python: a subclass of `hollow.BlobStore` that implements the store's methods in
//! Python, used by producers and consumers like the built-in stores.
//!
//! [`PyStore`] implements the core store traits by calling the Python object's methods, taking the GIL
//! for each call (the core calls stores with the GIL released, from any thread). What a Python method
//! raises becomes a core error ([`from_py_err`]): a hollow exception keeps its kind, anything else is an
//! I/O error naming the method; a return value of the wrong shape is an I/O error too. The methods:
//!
//! * `publish(kind, from_version, to_version, data)`: store a blob (`kind`: "snapshot", "delta",
//!   "reversedelta" or "header"; `from_version` is None for snapshots and headers). Must refuse to
//!   replace a blob that exists (raise `hollow.ConflictError`): versions name one state forever.
//! * `retrieve_snapshot(desired)`: the snapshot with the greatest version at or below `desired`, as
//!   `(version, data)`, or None.
//! * `retrieve_delta(from_version)`, `retrieve_reverse_delta(from_version)`: the blob starting at
//!   `from_version`, as `(to_version, data)`, or None.
//! * `announce(version)` and `read_announced()` (the announced version or None).
//! * Optional: `list_blobs()` (`[(kind, from_version, to_version), ...]`, for the producer's clean-up and
//!   retention; none by default) and `delete(kind, from_version, to_version)` (nothing by default).
//!
//! A Python store has no producer lock: running one producer at a time is up to its owner. `announce`
//! with an expected previous version checks it with `read_announced()` first, which is not atomic.

use std::sync::Arc;

use hollow::store::{
    AnnouncementWatcher, Announcer, Blob, BlobId, BlobPublisher, BlobRetriever, BlobType, ProducerLock, Version,
};
use hollow::{Error, Result};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::from_py_err;
use crate::store::parse_blob_type;

/// A store whose methods are Python methods of `object`.
pub struct PyStore {
    object: Py<PyAny>,
}

impl PyStore {
    pub fn new(object: Py<PyAny>) -> Self {
        PyStore { object }
    }

    /// Call `method` with the GIL held, and convert its result with `convert`.
    fn call<T, A: for<'py> pyo3::call::PyCallArgs<'py>>(
        &self,
        method: &str,
        args: A,
        convert: impl FnOnce(&Bound<'_, PyAny>) -> PyResult<T>,
    ) -> Result<T> {
        Python::attach(|py| {
            let context = format!("{}.{method}", self.type_name(py));
            let result = self.object.bind(py).call_method1(method, args).and_then(|r| convert(&r));
            result.map_err(|e| from_py_err(py, &e, &context))
        })
    }

    fn type_name(&self, py: Python<'_>) -> String {
        self.object.bind(py).get_type().qualname().map_or_else(|_| "BlobStore".into(), |n| n.to_string())
    }

    /// Whether the Python object has `method` (for the optional ones).
    fn has(&self, method: &str) -> bool {
        Python::attach(|py| self.object.bind(py).hasattr(method).unwrap_or(false))
    }

    fn retrieve(&self, method: &str, version: Version, blob_type: BlobType, delta: bool) -> Result<Option<Blob>> {
        self.call(method, (version,), |r| {
            if r.is_none() {
                return Ok(None);
            }
            let (to_version, data): (Version, Vec<u8>) = r.extract()?;
            let from_version = delta.then_some(version);
            Ok(Some(Blob { blob_type, from_version, to_version, data: Arc::from(data) }))
        })
    }
}

/// The lock of a store that has none.
#[derive(Debug)]
struct NoLock;

impl ProducerLock for NoLock {
    fn renew(&self) -> Result<()> {
        Ok(())
    }
}

impl BlobPublisher for PyStore {
    fn publish(&self, blob: &Blob) -> Result<()> {
        let kind = blob.blob_type.file_prefix();
        let data = blob.data.clone();
        Python::attach(|py| {
            let bytes = PyBytes::new(py, &data);
            let context = format!("{}.publish", self.type_name(py));
            self.object
                .bind(py)
                .call_method1("publish", (kind, blob.from_version, blob.to_version, bytes))
                .map(drop)
                .map_err(|e| from_py_err(py, &e, &context))
        })
    }

    fn delete(&self, id: &BlobId) -> Result<()> {
        if !self.has("delete") {
            return Ok(());
        }
        self.call("delete", (id.blob_type.file_prefix(), id.from_version, id.to_version), |_| Ok(()))
    }

    fn list(&self) -> Result<Vec<BlobId>> {
        if !self.has("list_blobs") {
            return Ok(Vec::new());
        }
        let mut ids = self.call("list_blobs", (), |r| {
            let rows: Vec<(String, Option<Version>, Version)> = r.extract()?;
            rows.into_iter()
                .map(|(kind, from_version, to_version)| {
                    Ok(BlobId { blob_type: parse_blob_type(&kind)?, from_version, to_version })
                })
                .collect::<PyResult<Vec<_>>>()
        })?;
        ids.sort_by_key(|id| (id.to_version, id.from_version, id.blob_type.file_prefix()));
        Ok(ids)
    }

    fn lock_producer(&self) -> Result<Box<dyn ProducerLock>> {
        Ok(Box::new(NoLock))
    }
}

impl BlobRetriever for PyStore {
    fn retrieve_snapshot(&self, desired: Version) -> Result<Option<Blob>> {
        self.retrieve("retrieve_snapshot", desired, BlobType::Snapshot, false)
    }

    fn retrieve_delta(&self, from: Version) -> Result<Option<Blob>> {
        self.retrieve("retrieve_delta", from, BlobType::Delta, true)
    }

    fn retrieve_reverse_delta(&self, from: Version) -> Result<Option<Blob>> {
        self.retrieve("retrieve_reverse_delta", from, BlobType::ReverseDelta, true)
    }
}

impl Announcer for PyStore {
    fn announced_version(&self) -> Result<Option<Version>> {
        self.call("read_announced", (), |r| r.extract())
    }

    fn announce(&self, version: Version, expected: Option<Version>) -> Result<()> {
        let current = self.announced_version()?;
        if current != expected && current != Some(version) {
            return Err(Error::Conflict(format!(
                "announced version is {current:?}, expected {expected:?}: another producer announced"
            )));
        }
        self.call("announce", (version,), |_| Ok(()))
    }
}

impl AnnouncementWatcher for PyStore {
    fn latest_version(&self) -> Result<Option<Version>> {
        self.announced_version()
    }
}

//! Blob stores: where a producer publishes and announces, and where consumers look.
//!
//! `BlobStore` is the common base class; `InMemoryBlobStore` (one process), `FilesystemBlobStore`
//! (Java Hollow's directory layout) and `UrlBlobStore` (whatever `hollow::store::open` opens from a URL:
//! a directory, `memory://`, `s3://`, `gs://`, `az://`) are the kinds. All are thin handles over the core
//! stores and can be shared by any number of producers and consumers. [`store_arg`] is how `Producer`
//! and `Consumer` take either a store object or a URL with options.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hollow::store::filesystem::FilesystemBlobStore as CoreFsStore;
use hollow::store::memory::InMemoryBlobStore as CoreMemoryStore;
use hollow::store::{
    AnnouncementWatcher, Announcer, BlobPublisher, BlobRetriever, BlobStore as CoreBlobStore, BlobType, StoreOptions,
    Version,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString, PyTuple};

use hollow::Error;

use crate::errors::{invalid, not_found, IntoPy};
use crate::py_store::PyStore;

/// The core store behind a Python store object.
#[derive(Clone)]
pub enum StoreHandle {
    /// In memory.
    Memory(Arc<CoreMemoryStore>),
    /// A directory.
    Filesystem(Arc<CoreFsStore>),
    /// Opened from a URL (`hollow::store::open`).
    Opened(Arc<dyn CoreBlobStore>),
}

impl StoreHandle {
    /// The store as a publisher.
    pub fn publisher(&self) -> Arc<dyn BlobPublisher> {
        match self {
            StoreHandle::Memory(s) => s.clone(),
            StoreHandle::Filesystem(s) => s.clone(),
            StoreHandle::Opened(s) => s.clone(),
        }
    }

    /// The store as an announcer.
    pub fn announcer(&self) -> Arc<dyn Announcer> {
        match self {
            StoreHandle::Memory(s) => s.clone(),
            StoreHandle::Filesystem(s) => s.clone(),
            StoreHandle::Opened(s) => s.clone(),
        }
    }

    /// The store as a retriever.
    pub fn retriever(&self) -> Arc<dyn BlobRetriever> {
        match self {
            StoreHandle::Memory(s) => s.clone(),
            StoreHandle::Filesystem(s) => s.clone(),
            StoreHandle::Opened(s) => s.clone(),
        }
    }

    /// The store as an announcement watcher.
    pub fn watcher(&self) -> Arc<dyn AnnouncementWatcher> {
        match self {
            StoreHandle::Memory(s) => s.clone(),
            StoreHandle::Filesystem(s) => s.clone(),
            StoreHandle::Opened(s) => s.clone(),
        }
    }
}

/// Base class of blob stores. Subclass it to write a store in Python: implement `publish`,
/// `retrieve_snapshot`, `retrieve_delta`, `retrieve_reverse_delta`, `announce` and `read_announced`
/// (optionally `list_blobs` and `delete`), and producers and consumers use it like the built-in stores;
/// see the `hollow.BlobStore` documentation for what each method takes and returns.
#[pyclass(module = "hollow", subclass, frozen)]
pub struct BlobStore {
    /// The core store of a built-in store; `None` for a store written in Python (the subclass's
    /// methods are the store: see `py_store`).
    pub(crate) handle: Option<StoreHandle>,
}

impl BlobStore {
    /// The core store behind `store`: a built-in store's own, or one calling a Python subclass's methods.
    fn handle_of(store: &Bound<'_, BlobStore>) -> StoreHandle {
        match &store.get().handle {
            Some(handle) => handle.clone(),
            None => StoreHandle::Opened(Arc::new(PyStore::new(store.clone().into_any().unbind()))),
        }
    }
}

#[pymethods]
impl BlobStore {
    /// The base of a store written in Python (arguments are for the subclass's `__init__`).
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        BlobStore { handle: None }
    }

    /// The announced version, or None if nothing has been announced yet.
    #[getter]
    fn announced_version(slf: &Bound<'_, Self>) -> PyResult<Option<Version>> {
        let watcher = Self::handle_of(slf).watcher();
        slf.py().detach(|| watcher.latest_version()).py()
    }
}

/// Blobs and the announced version in this process's memory.
#[pyclass(module = "hollow", extends = BlobStore, frozen)]
pub struct InMemoryBlobStore {}

#[pymethods]
impl InMemoryBlobStore {
    #[new]
    fn new() -> (Self, BlobStore) {
        (InMemoryBlobStore {}, BlobStore { handle: Some(StoreHandle::Memory(Arc::new(CoreMemoryStore::new()))) })
    }

    /// Versions of the snapshots held, ascending.
    fn snapshot_versions(self_: PyRef<'_, Self>) -> Vec<Version> {
        match &self_.as_super().handle {
            Some(StoreHandle::Memory(s)) => s.snapshot_versions(),
            _ => Vec::new(),
        }
    }

    /// Remove a blob (`kind` is "snapshot", "delta", "reversedelta" or "header"; deltas are found by
    /// the version they start from). Returns whether it was there. For tests of missing blobs.
    fn remove(self_: PyRef<'_, Self>, kind: &str, version: Version) -> PyResult<bool> {
        let blob_type = parse_blob_type(kind)?;
        Ok(match &self_.as_super().handle {
            Some(StoreHandle::Memory(s)) => s.remove(blob_type, version),
            _ => false,
        })
    }

    fn __repr__(self_: PyRef<'_, Self>) -> String {
        match &self_.as_super().handle {
            Some(StoreHandle::Memory(s)) => format!("<hollow.InMemoryBlobStore {s:?}>"),
            _ => "<hollow.InMemoryBlobStore>".into(),
        }
    }
}

pub(crate) fn parse_blob_type(kind: &str) -> PyResult<BlobType> {
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
        Ok((FilesystemBlobStore { path }, BlobStore { handle: Some(StoreHandle::Filesystem(Arc::new(store))) }))
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

/// The options `StoreOptions::set` handles itself; any other key goes to the `object_store` builder,
/// which refuses keys it does not know (for `s3://`, `gs://`, `az://`).
const HOLLOW_OPTIONS: [&str; 8] = [
    "layout",
    "poll_interval_ms",
    "poll_jitter",
    "cache_dir",
    "lease_ttl_ms",
    "max_retries",
    "retry_timeout_ms",
    "create",
];

/// Whether `url` opens a store with no `object_store` builder behind it (a directory, `file://`,
/// `memory://`), where an `object_store` configuration key would be silently ignored.
fn has_no_builder(url: &str) -> bool {
    let base = url.split_once('?').map_or(url, |(b, _)| b);
    match base.split_once("://") {
        None => true,
        Some((scheme, _)) => scheme == "file" || scheme == "memory",
    }
}

/// A Python option value as `StoreOptions::set` takes it: `None` for "not set".
fn option_value(key: &str, value: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if value.is_none() {
        return Ok(None);
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Some(b.is_true().to_string()));
    }
    if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>() {
        return Ok(Some(value.str()?.to_cow()?.into_owned()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Some(s.to_cow()?.into_owned()));
    }
    let os = value.py().import("os")?;
    if value.is_instance(&os.getattr("PathLike")?)? {
        let path = os.call_method1("fspath", (value,))?;
        if let Ok(s) = path.cast::<PyString>() {
            return Ok(Some(s.to_cow()?.into_owned()));
        }
    }
    Err(invalid(format!(
        "store option {key}={}: expected a str, int, float, bool or path",
        value.repr().map_or_else(|_| "?".into(), |r| r.to_string())
    )))
}

/// Open the store at `url` with `options` (keyword arguments), the GIL released. `create` is the
/// default of the `create` option: true for producers, false for consumers.
fn open_url(py: Python<'_>, url: &str, options: Option<&Bound<'_, PyDict>>, create: bool) -> PyResult<StoreHandle> {
    let mut opts = StoreOptions { create, ..StoreOptions::default() };
    if let Some(options) = options {
        for (key, value) in options.iter() {
            let key: String = key.extract()?;
            let known = HOLLOW_OPTIONS.contains(&key.as_str());
            if !known && has_no_builder(url) {
                return Err(invalid(format!(
                    "unknown store option {key:?}: expected one of {} (object store configuration keys such as \
                     aws_region apply only to s3://, gs:// and az:// URLs)",
                    HOLLOW_OPTIONS.join(", ")
                )));
            }
            if let Some(value) = option_value(&key, &value)? {
                opts.set(&key, &value).py()?;
            }
        }
    }
    let target = url.to_owned();
    match py.detach(move || hollow::store::open(&target, &opts)) {
        Err(Error::NotFound(m)) if has_no_builder(url) => {
            Err(not_found(format!("{m} does not exist (pass create=True to create it)")))
        }
        other => Ok(StoreHandle::Opened(other.py()?)),
    }
}

/// The store a `Producer` or `Consumer` was given: a `BlobStore` object (then `options` must be empty),
/// or a URL or path (`str` or `os.PathLike`) opened with `options`.
pub fn store_arg(
    py: Python<'_>,
    store: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
    create: bool,
) -> PyResult<StoreHandle> {
    if let Ok(s) = store.cast::<BlobStore>() {
        if let Some(options) = options.filter(|o| !o.is_empty()) {
            let keys: Vec<String> = options.keys().iter().map(|k| k.to_string()).collect();
            return Err(invalid(format!(
                "unexpected keyword arguments {}: store options apply only to a store given as a URL",
                keys.join(", ")
            )));
        }
        return Ok(BlobStore::handle_of(s));
    }
    open_url(py, &url_arg(store)?, options, create)
}

/// A URL or path argument as a string.
fn url_arg(url: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = url.py();
    let os = py.import("os")?;
    if url.is_instance_of::<PyString>() || url.is_instance(&os.getattr("PathLike")?)? {
        let s = os.call_method1("fspath", (url,))?;
        if let Ok(s) = s.cast::<PyString>() {
            return Ok(s.to_cow()?.into_owned());
        }
    }
    Err(PyTypeError::new_err(format!(
        "store must be a BlobStore, a URL or a path (str or os.PathLike), not {}",
        url.get_type().name().map_or_else(|_| "?".into(), |n| n.to_string())
    )))
}

/// A blob store opened from a URL: a directory path or `file://` URL (Java Hollow's directory layout,
/// like `FilesystemBlobStore`), `memory://` (a new, empty in-memory object store: share this object, as
/// each `memory://` URL opened is another store), `s3://bucket/prefix`, `gs://bucket/prefix` or
/// `az://container/prefix`.
///
/// Named for how it is addressed, as `InMemoryBlobStore` and `FilesystemBlobStore` are named for where
/// they keep blobs, because the URL, not the class, picks where blobs are: it is the one class for every
/// store `hollow::store::open` knows, and a `BlobStore` like the others, to share between producers and
/// consumers. `Producer(url, ...)` and `Consumer(url, ...)` open one themselves.
///
/// Options are keyword arguments: `layout` (`"reference"`, Netflix's S3 layout, the default; or
/// `"filesystem"`, Java's file names), `poll_interval_ms`, `poll_jitter`, `cache_dir`, `lease_ttl_ms`,
/// `max_retries`, `retry_timeout_ms`, `create` (create a missing directory; default False), and for
/// `s3://`, `gs://`, `az://` any `object_store` configuration key (`aws_endpoint_url`, `aws_region`,
/// `aws_access_key_id`, `aws_secret_access_key`, `aws_allow_http`, ...), which otherwise come from the
/// standard environment variables (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, ...). A `None` value leaves an
/// option unset; an unknown key is an `InvalidArgumentError`.
#[pyclass(module = "hollow", extends = BlobStore, frozen)]
pub struct UrlBlobStore {
    url: String,
}

#[pymethods]
impl UrlBlobStore {
    #[new]
    #[pyo3(signature = (url, **options))]
    fn new(py: Python<'_>, url: &Bound<'_, PyAny>, options: Option<&Bound<'_, PyDict>>) -> PyResult<(Self, BlobStore)> {
        let url = url_arg(url)?;
        let handle = open_url(py, &url, options, false)?;
        Ok((UrlBlobStore { url }, BlobStore { handle: Some(handle) }))
    }

    /// The URL (or path) the store was opened from.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    fn __repr__(&self) -> String {
        // Without the query string, which may hold credentials.
        let base = self.url.split_once('?').map_or(self.url.as_str(), |(b, _)| b);
        format!("<hollow.UrlBlobStore {base}>")
    }
}

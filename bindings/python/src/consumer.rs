//! `Consumer`: follows a blob store's announced version and serves read states.
//!
//! Refreshes run with the GIL released, so other Python threads keep reading the current state while a
//! new one is built; the new state becomes visible all at once. Refresh callbacks are called on the
//! thread that refreshed (the watcher's thread when watching), with the GIL held.

use std::sync::{Arc, Mutex};

use hollow::consumer::{Consumer as CoreConsumer, ReadState as CoreState, RefreshListener, Subscription};
use hollow::mapped::MappingMode;
use hollow::store::Version;
use hollow::Error;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{invalid, not_found, to_py_err, IntoPy};
use crate::metrics::ConsumerMetrics;
use crate::read::ReadState;
use crate::store::store_arg;

/// The `memory_mapping` argument: `"copy"` reads a snapshot into memory, safe whatever happens to the
/// file afterwards; `"shared"` maps the file read-only and reads the records in place, which asks that
/// the file is never modified or truncated while mapped (hollow's own stores never do either; see
/// `hollow::mapped`). Anything else is a `ValueError`.
pub(crate) fn mapping_mode(value: &str) -> PyResult<MappingMode> {
    match value {
        "copy" => Ok(MappingMode::Copy),
        "shared" => Ok(MappingMode::Shared),
        other => Err(PyValueError::new_err(format!("memory_mapping must be \"copy\" or \"shared\", not {other:?}"))),
    }
}

/// Python callables to call on refreshes.
#[derive(Default)]
struct Callbacks {
    succeeded: Mutex<Vec<Py<PyAny>>>,
    failed: Mutex<Vec<Py<PyAny>>>,
}

impl Callbacks {
    fn call(
        &self,
        py: Python<'_>,
        which: &Mutex<Vec<Py<PyAny>>>,
        args: impl Fn(Python<'_>) -> PyResult<Vec<Py<PyAny>>>,
    ) {
        let callbacks: Vec<Py<PyAny>> = crate::sync::lock(which, py).iter().map(|c| c.clone_ref(py)).collect();
        for callback in callbacks {
            let result = args(py).and_then(|a| callback.call1(py, pyo3::types::PyTuple::new(py, a)?));
            if let Err(e) = result {
                // A callback's exception must not fail the refresh; report it as Python reports errors
                // it cannot raise (sys.unraisablehook).
                e.write_unraisable(py, Some(callback.bind(py)));
            }
        }
    }
}

/// The Python object for the current core state (see `Consumer::last`).
type LastState = Arc<Mutex<Option<Py<ReadState>>>>;

struct Listener {
    callbacks: Arc<Callbacks>,
    last: LastState,
}

impl RefreshListener for Listener {
    fn refresh_succeeded(&self, from: Option<Version>, to: Version) {
        // Let go of the previous state's Python object now, rather than at the next `read_state`, so
        // the old version is freed as soon as nothing else holds it. (Dropped without the GIL, the
        // reference is released by pyo3 the next time a thread holds it.)
        drop(self.last.lock().map(|mut l| l.take()));
        if self.callbacks.succeeded.lock().map(|c| c.is_empty()).unwrap_or(true) {
            return;
        }
        // `try_attach`: a watching thread may refresh while the interpreter shuts down; then there is no
        // one to call back.
        Python::try_attach(|py| {
            self.callbacks.call(py, &self.callbacks.succeeded, |py| {
                Ok(vec![from.into_pyobject(py)?.into_any().unbind(), to.into_pyobject(py)?.into_any().unbind()])
            })
        });
    }

    fn refresh_failed(&self, from: Option<Version>, to: Version, error: &Error) {
        if self.callbacks.failed.lock().map(|c| c.is_empty()).unwrap_or(true) {
            return;
        }
        Python::try_attach(|py| {
            let exc = to_py_err(py, error).into_value(py).into_any();
            self.callbacks.call(py, &self.callbacks.failed, |py| {
                Ok(vec![
                    from.into_pyobject(py)?.into_any().unbind(),
                    to.into_pyobject(py)?.into_any().unbind(),
                    exc.clone_ref(py),
                ])
            })
        });
    }
}

/// Follows a blob store: `refresh()` moves to the announced version, `refresh_to(v)` to any version
/// (forward by deltas, back by reverse deltas, or by snapshot), `start_watching()` refreshes on a
/// background thread whenever a new version is announced.
///
/// `read_state` is the current version; holding it pins that version while the consumer moves on.
/// `primary_key_indexes` names types whose primary-key index is built with every state, before it
/// becomes visible (otherwise an index is built on first use and then kept up to date).
/// `memory_mapping` is how snapshots are loaded: `"copy"` (the default) reads them into memory;
/// `"shared"` maps the snapshot file and reads its records in place, when the store has it in a local
/// file (a filesystem store, an object store with a `cache_dir`), so that processes reading the same
/// file share one copy of it in the page cache. Any other value is a `ValueError`.
#[pyclass(module = "hollow", frozen)]
pub struct Consumer {
    core: CoreConsumer,
    callbacks: Arc<Callbacks>,
    subscription: Mutex<Option<Subscription>>,
    /// The Python object for the current core state, so `read_state` returns the same object (and its
    /// cached views and indexes) until the state changes.
    last: LastState,
}

#[pymethods]
impl Consumer {
    #[new]
    #[pyo3(signature = (
        store,
        *,
        primary_key_indexes = Vec::new(),
        max_deltas_before_double_snapshot = 32,
        double_snapshot = true,
        memory_mapping = "copy",
        **options,
    ))]
    fn new(
        py: Python<'_>,
        store: &Bound<'_, PyAny>,
        primary_key_indexes: Vec<String>,
        max_deltas_before_double_snapshot: usize,
        double_snapshot: bool,
        memory_mapping: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mapping = mapping_mode(memory_mapping)?;
        // A consumer given a missing directory fails (unless create=True): it was probably mistyped.
        let handle = &store_arg(py, store, options, false)?;
        let callbacks = Arc::new(Callbacks::default());
        let last: LastState = Arc::default();
        let mut builder = CoreConsumer::builder(handle.retriever())
            .with_announcement_watcher(handle.watcher())
            .with_refresh_listener(Arc::new(Listener { callbacks: callbacks.clone(), last: last.clone() }))
            .with_max_deltas_before_double_snapshot(max_deltas_before_double_snapshot)
            .with_double_snapshot(double_snapshot)
            .with_memory_mapping(mapping);
        for t in &primary_key_indexes {
            builder = builder.with_primary_key_index(t);
        }
        Ok(Consumer { core: builder.build(), callbacks, subscription: Mutex::new(None), last })
    }

    /// Refresh to the announced version; returns the version now held (None if nothing is announced
    /// and nothing is loaded). On failure the current version stays and the error is raised.
    fn refresh(&self, py: Python<'_>) -> PyResult<Option<Version>> {
        py.detach(|| self.core.refresh()).py()
    }

    /// Refresh to exactly `version`; returns it.
    fn refresh_to(&self, py: Python<'_>, version: Version) -> PyResult<Version> {
        py.detach(|| self.core.refresh_to(version)).py()
    }

    /// The version held, or None before the first refresh.
    #[getter]
    fn current_version(&self) -> Option<Version> {
        self.core.current_version()
    }

    /// The current state. `NotFoundError` before the first successful refresh.
    #[getter]
    fn read_state(&self, py: Python<'_>) -> PyResult<Py<ReadState>> {
        let state: Arc<CoreState> =
            self.core.read_state().ok_or_else(|| not_found("no version loaded yet; call refresh()"))?;
        let mut last = crate::sync::lock(&self.last, py);
        if let Some(rs) = last.as_ref() {
            if Arc::ptr_eq(rs.get().core(), &state) {
                return Ok(rs.clone_ref(py));
            }
        }
        let rs = Py::new(py, ReadState::wrap(py, state)?)?;
        *last = Some(rs.clone_ref(py));
        Ok(rs)
    }

    /// Counters about refreshes so far, a `ConsumerMetrics` snapshot (a failed refresh is also logged
    /// as a WARNING under the `hollow.consumer` logger).
    #[getter]
    fn metrics(&self, py: Python<'_>) -> ConsumerMetrics {
        py.detach(|| self.core.metrics()).into()
    }

    /// Call `callback(from_version, to_version)` after every successful refresh (from_version is None
    /// for the first). Returns `callback`, so it works as a decorator. Exceptions it raises go to
    /// `sys.unraisablehook`.
    fn on_refresh(&self, py: Python<'_>, callback: Py<PyAny>) -> Py<PyAny> {
        crate::sync::lock(&self.callbacks.succeeded, py).push(callback.clone_ref(py));
        callback
    }

    /// Call `callback(from_version, to_version, error)` after every failed refresh.
    fn on_refresh_failed(&self, py: Python<'_>, callback: Py<PyAny>) -> Py<PyAny> {
        crate::sync::lock(&self.callbacks.failed, py).push(callback.clone_ref(py));
        callback
    }

    /// Refresh on a background thread whenever a new version is announced, until `stop_watching()`
    /// (or the interpreter exits).
    fn start_watching(slf: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        let mut sub = crate::sync::lock(&this.subscription, py);
        if sub.is_some() {
            return Err(invalid("this consumer is already watching"));
        }
        *sub = Some(this.core.subscribe().py()?);
        drop(sub);
        // Stop before the interpreter finalizes, so the thread never calls back into a dying one.
        py.import("atexit")?.call_method1("register", (slf.getattr("stop_watching")?,))?;
        Ok(())
    }

    /// Stop the background refreshes (waits for a refresh in progress to finish).
    fn stop_watching(slf: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        let sub = crate::sync::lock(&slf.get().subscription, py).take();
        if let Some(sub) = sub {
            // The refresh thread may need the GIL for a callback before it can stop.
            py.detach(|| sub.stop());
            py.import("atexit")?.call_method1("unregister", (slf.getattr("stop_watching")?,))?;
        }
        Ok(())
    }

    /// True while the background refreshes run.
    #[getter]
    fn watching(&self, py: Python<'_>) -> bool {
        crate::sync::lock(&self.subscription, py).is_some()
    }

    /// Stop watching (if watching).
    fn close(slf: &Bound<'_, Self>) -> PyResult<()> {
        Self::stop_watching(slf)
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(slf: &Bound<'_, Self>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        Self::stop_watching(slf)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        match self.core.current_version() {
            Some(v) => format!("<hollow.Consumer version={v}>"),
            None => "<hollow.Consumer (nothing loaded)>".into(),
        }
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        // Dropped with the GIL held: joining the refresh thread here could wait forever for a thread
        // that waits for the GIL (a callback). Let another thread stop it.
        if let Some(sub) = self.subscription.get_mut().ok().and_then(Option::take) {
            std::thread::spawn(move || drop(sub));
        }
    }
}

//! `Producer`: runs cycles that publish versions; `WriteState`: what a cycle's populate step writes to.
//!
//! A cycle runs on the core producer with the GIL released; the populate step (Python code) takes the
//! GIL back for as long as it runs. The `WriteState` handed to it points at the core write state of
//! that one cycle: it is opened before the populate function is called and closed (under its lock) by
//! the [`OpenGuard`]'s `Drop` before the cycle goes on, whether populate returned, raised or panicked,
//! so a write state kept past its cycle refuses to write instead of touching freed memory.
//!
//! Records are written by the core mapper: a Python value becomes a serde value ([`crate::write`]) that
//! the core write state adds following the registered schemas.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use hollow::consumer::ReadState as CoreState;
use hollow::diff::{Change, ChangeSet};
use hollow::mapper::ObjectMapper;
use hollow::producer::{Producer as CoreProducer, SequenceVersionMinter, Validator, WriteState as CoreWriteState};
use hollow::schema::{dsl, order, Schema};
use hollow::store::Version;
use hollow::Error;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use crate::errors::{invalid, IntoPy};
use crate::metrics::{IncrementalStats, ProducerMetrics};
use crate::read::ReadState;
use crate::store::{store_arg, StoreHandle};
use crate::write;

/// Parse schema text into schemas, dependencies first.
fn parse_ordered(text: &str) -> PyResult<Vec<Schema>> {
    let schemas = dsl::parse_schemas(text).py()?;
    Ok(order::dependency_order(&schemas).into_iter().cloned().collect())
}

/// Schema text for a Python class or value, from `hollow._infer`.
fn infer(
    py: Python<'_>,
    function: &str,
    subject: &Bound<'_, PyAny>,
    extra: Option<&str>,
    keys: &Py<PyDict>,
) -> PyResult<String> {
    let module = py.import("hollow._infer")?;
    let text = match extra {
        Some(type_name) => module.getattr(function)?.call1((subject, type_name, keys.bind(py)))?,
        None => module.getattr(function)?.call1((subject, keys.bind(py)))?,
    };
    text.extract()
}

/// A Python callable as a core validator: it vetoes by raising or by returning a message or `False`.
struct PyValidator {
    name: String,
    callable: Py<PyAny>,
}

impl Validator for PyValidator {
    fn name(&self) -> &str {
        &self.name
    }

    fn validate(&self, state: &CoreState) -> Result<(), String> {
        Python::attach(|py| {
            // The engine clone shares every type with `state`; only the index cache is separate.
            let copy = Arc::new(CoreState::new(state.version(), state.engine().clone()));
            let rs = ReadState::wrap(py, copy).map_err(|e| e.to_string())?;
            match self.callable.call1(py, (rs,)) {
                Err(e) => Err(e.to_string()),
                Ok(r) => {
                    let r = r.bind(py);
                    if let Ok(false) = r.extract::<bool>() {
                        Err("returned False".into())
                    } else if let Ok(s) = r.cast::<PyString>() {
                        Err(s.to_string())
                    } else {
                        Ok(())
                    }
                }
            }
        })
    }
}

/// The core write state of the open cycle, while populate runs.
struct OpenCycle {
    ws: NonNull<CoreWriteState<'static>>,
    mapper: NonNull<ObjectMapper>,
}

// SAFETY: the pointers are only dereferenced while the `WriteState`'s mutex is held, and only while an
// `OpenGuard` lives: it borrows the core write state and the mapper mutably for its whole life and brackets the
// populate call on the thread running the cycle, which is blocked in that call the whole time, so the
// pointees are alive and not otherwise used.
unsafe impl Send for OpenCycle {}

/// A cycle's write state, open for writing while this lives; dropping it closes the write state (on
/// every way out of populate: return, exception, panic).
struct OpenGuard<'a, 'py> {
    state: &'a WriteState,
    py: Python<'py>,
    /// The core write state stays borrowed (and so alive and unused elsewhere) while the guard lives.
    _ws: PhantomData<(&'a mut CoreWriteState<'a>, &'a mut ObjectMapper)>,
}

impl Drop for OpenGuard<'_, '_> {
    fn drop(&mut self) {
        *crate::sync::lock(&self.state.open, self.py) = None;
    }
}

thread_local! {
    /// True while this thread converts a record under a write state's lock.
    static WRITING: Cell<bool> = const { Cell::new(false) };
}

/// The records of the state being built in a cycle (handed to the populate function).
#[pyclass(module = "hollow", frozen)]
pub struct WriteState {
    open: Mutex<Option<OpenCycle>>,
    version: Version,
    primary_keys: Py<PyDict>,
}

impl WriteState {
    /// Open this write state on `ws` until the returned guard is dropped.
    fn open<'a, 'py>(
        &'a self,
        py: Python<'py>,
        ws: &'a mut CoreWriteState<'_>,
        mapper: &'a mut ObjectMapper,
    ) -> OpenGuard<'a, 'py> {
        let ws = NonNull::from(ws).cast::<CoreWriteState<'static>>();
        let mapper = NonNull::from(mapper);
        *crate::sync::lock(&self.open, py) = Some(OpenCycle { ws, mapper });
        OpenGuard { state: self, py, _ws: PhantomData }
    }

    /// Run `f` with the open cycle's core write state and mapper. Other threads wait their turn; the same thread
    /// coming back while `f` runs (a property or `__iter__` of the value being added that adds a record
    /// itself) is refused rather than left waiting for itself.
    fn with_writer<R>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut CoreWriteState<'_>, &mut ObjectMapper) -> PyResult<R>,
    ) -> PyResult<R> {
        if WRITING.with(Cell::get) {
            return Err(invalid("a record cannot be added while another one is being converted on this thread"));
        }
        let guard = crate::sync::lock(&self.open, py);
        let Some(open) = guard.as_ref() else {
            return Err(invalid("this write state's cycle is over; add records inside the populate function"));
        };
        // SAFETY: see `OpenCycle`: the cycle is open (the lock is held), so the pointees are alive,
        // and the lock makes this the only access to them.
        let (ws, mapper) = unsafe { (&mut *open.ws.as_ptr(), &mut *open.mapper.as_ptr()) };
        struct Writing;
        impl Drop for Writing {
            fn drop(&mut self) {
                WRITING.with(|w| w.set(false));
            }
        }
        WRITING.with(|w| w.set(true));
        let _writing = Writing;
        f(ws, mapper)
    }

    /// Add one record; `context` starts the message of an error.
    fn add_one(
        &self,
        py: Python<'_>,
        value: &Bound<'_, PyAny>,
        type_name: Option<&str>,
        context: write::At,
    ) -> PyResult<u32> {
        let type_name = match type_name {
            Some(t) => t.to_owned(),
            None => {
                if let Ok(s) = value.cast::<PyString>() {
                    let s = s.to_cow()?;
                    return self.with_writer(py, |ws, _| ws.add_string(&s).py());
                }
                if value.is_instance_of::<PyDict>() {
                    return Err(invalid(format!(
                        "{context}a dict record needs its type: ws.add(record, type=\"Movie\")"
                    )));
                }
                record_type_name(value)?
            }
        };
        let registered = self.with_writer(py, |ws, _| Ok(ws.engine().schema(&type_name).is_some()))?;
        if !registered {
            let text = infer(py, "schema_for_value", value, Some(&type_name), &self.primary_keys)?;
            let schemas = parse_ordered(&text)?;
            self.with_writer(py, |ws, _| {
                for s in schemas {
                    if ws.engine().schema(s.name()).is_none() {
                        ws.engine().add_schema(s).py()?;
                    }
                }
                Ok(())
            })?;
        }
        // Converted under the lock, so that Python code run by the conversion cannot add records.
        self.with_writer(py, |ws, mapper| write::add(mapper, ws, &type_name, value, context))
    }
}

/// The Hollow type name of an object: its class's `__hollow_type__`, else the class name.
fn record_type_name(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let class = value.get_type();
    match class.getattr("__hollow_type__") {
        Ok(name) => name.extract(),
        Err(_) => Ok(class.name()?.to_string()),
    }
}

#[pymethods]
impl WriteState {
    /// The version this cycle will produce.
    #[getter]
    fn version(&self) -> Version {
        self.version
    }

    /// Add a record of the new state; returns its ordinal.
    ///
    /// A `str` is a record of type `String`. A dataclass (or any object) is a record of the type named
    /// by its class (or its class's `__hollow_type__`); a dict needs `type=`. A type the producer does
    /// not know yet gets a schema inferred from the value.
    #[pyo3(signature = (value, r#type = None))]
    fn add(&self, py: Python<'_>, value: &Bound<'_, PyAny>, r#type: Option<&str>) -> PyResult<u32> {
        self.add_one(py, value, r#type, write::At::Add)
    }

    /// Add every record of `values`; returns how many were added.
    #[pyo3(signature = (values, r#type = None))]
    fn add_all(&self, py: Python<'_>, values: &Bound<'_, PyAny>, r#type: Option<&str>) -> PyResult<usize> {
        let mut n = 0;
        for v in values.try_iter()? {
            self.add_one(py, &v?, r#type, write::At::AddAll(n))?;
            n += 1;
        }
        Ok(n)
    }
}

struct ProducerInner {
    producer: CoreProducer,
    /// Writes Python values (it keeps the schemas and object records it uses).
    mapper: ObjectMapper,
}

/// Publishes versions of a dataset to a blob store, one cycle at a time.
///
/// Types come from `schema` (Hollow's schema language), from the dataclasses in `types`, or are
/// inferred from the first record of each type added. `primary_keys` maps type names to key field
/// paths for inferred types (a dataclass may also say `__hollow_primary_key__ = ("id",)`).
#[pyclass(module = "hollow", frozen)]
pub struct Producer {
    /// None once closed.
    inner: Mutex<Option<ProducerInner>>,
    store: StoreHandle,
    /// The last announced state; kept apart so it can be read while a cycle runs.
    current: Mutex<Option<Arc<CoreState>>>,
    /// The counters after the last cycle (or restore); kept apart so they can be read while a cycle runs.
    status: Mutex<Status>,
    primary_keys: Py<PyDict>,
}

/// What the core producer says about its cycles, as of the last one.
struct Status {
    metrics: ProducerMetrics,
    incremental: Option<IncrementalStats>,
}

impl Status {
    fn of(producer: &CoreProducer) -> Self {
        Status {
            metrics: producer.metrics().into(),
            incremental: producer.last_incremental_stats().map(IncrementalStats::from),
        }
    }
}

/// Lock the producer for a cycle; an error if another cycle runs.
fn lock_for_cycle(inner: &Mutex<Option<ProducerInner>>) -> PyResult<std::sync::MutexGuard<'_, Option<ProducerInner>>> {
    match inner.try_lock() {
        Ok(g) => Ok(g),
        Err(std::sync::TryLockError::Poisoned(p)) => Ok(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => Err(invalid("this producer is already running a cycle")),
    }
}

impl Producer {
    /// Run one cycle; `populate` adds the records.
    fn cycle_with(
        &self,
        py: Python<'_>,
        populate: impl FnOnce(Python<'_>, &Bound<'_, WriteState>) -> PyResult<()> + Send,
    ) -> PyResult<Version> {
        let mut guard = lock_for_cycle(&self.inner)?;
        let Some(ProducerInner { producer, mapper }) = guard.as_mut() else { return Err(closed()) };
        let raised: Mutex<Option<PyErr>> = Mutex::new(None);
        let primary_keys = self.primary_keys.clone_ref(py);
        let result = py.detach(|| {
            producer.run_cycle(|ws| {
                Python::attach(|py| {
                    let handle = WriteState { open: Mutex::new(None), version: ws.version(), primary_keys };
                    let handle = Bound::new(py, handle).map_err(|e| Error::InvalidArgument(e.to_string()))?;
                    let outcome = {
                        let _open = handle.get().open(py, ws, mapper);
                        populate(py, &handle)
                    };
                    outcome.map_err(|e| {
                        let message = e.to_string();
                        *raised.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        Error::InvalidArgument(format!("the populate function raised: {message}"))
                    })
                })
            })
        });
        self.after_cycle(py, producer);
        drop(guard);
        match result {
            Ok(v) => Ok(v),
            Err(e) => match raised.into_inner().unwrap_or_else(|p| p.into_inner()) {
                Some(py_err) => Err(py_err),
                None => Err(e).py(),
            },
        }
    }

    /// Keep the state and counters of `producer` after a cycle (whatever its outcome) or a restore.
    fn after_cycle(&self, py: Python<'_>, producer: &CoreProducer) {
        if let Some(state) = producer.read_state() {
            *crate::sync::lock(&self.current, py) = Some(state);
        }
        *crate::sync::lock(&self.status, py) = Status::of(producer);
    }

    /// Run `f` on the core producer with the GIL released (no Python code runs meanwhile), then keep
    /// the new state and counters.
    fn run_core<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut CoreProducer) -> hollow::Result<R> + Send,
    ) -> PyResult<R> {
        let mut guard = lock_for_cycle(&self.inner)?;
        let Some(ProducerInner { producer, .. }) = guard.as_mut() else { return Err(closed()) };
        let result = py.detach(|| f(producer));
        self.after_cycle(py, producer);
        drop(guard);
        result.py()
    }

    /// The registered schemas (for reading changes).
    fn schemas(&self) -> PyResult<Vec<Schema>> {
        let mut guard = self.inner.try_lock().map_err(|_| invalid("this producer is running a cycle"))?;
        let Some(inner) = guard.as_mut() else { return Err(closed()) };
        Ok(inner.producer.engine_mut().schemas().cloned().collect())
    }
}

#[pymethods]
impl Producer {
    #[new]
    #[pyo3(signature = (
        store,
        *,
        schema = None,
        types = Vec::new(),
        primary_keys = None,
        first_version = None,
        num_states_between_snapshots = 0,
        integrity_check = true,
        validators = Vec::new(),
        target_max_type_shard_size = None,
        **options,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        store: &Bound<'_, PyAny>,
        schema: Option<&str>,
        types: Vec<Bound<'_, PyType>>,
        primary_keys: Option<&Bound<'_, PyDict>>,
        first_version: Option<Version>,
        num_states_between_snapshots: u32,
        integrity_check: bool,
        validators: Vec<Py<PyAny>>,
        target_max_type_shard_size: Option<u64>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let keys = PyDict::new(py);
        if let Some(k) = primary_keys {
            for (name, fields) in k.iter() {
                let fields: Vec<String> = fields.extract()?;
                keys.set_item(name, PyTuple::new(py, fields)?)?;
            }
        }
        let keys = keys.unbind();
        // A producer given a directory creates it: it is publishing to a new place.
        let handle = &store_arg(py, store, options, true)?;
        let mut builder = CoreProducer::builder(handle.publisher()).with_announcer(handle.announcer());
        let mut names = std::collections::HashSet::new();
        let mut schemas = Vec::new();
        if let Some(text) = schema {
            schemas.extend(parse_ordered(text)?);
        }
        for class in &types {
            schemas.extend(parse_ordered(&infer(py, "schema_for_class", class.as_any(), None, &keys)?)?);
        }
        for s in schemas {
            if names.insert(s.name().to_owned()) {
                builder = builder.with_schema(s);
            }
        }
        if let Some(v) = first_version {
            builder = builder.with_version_minter(Arc::new(SequenceVersionMinter::starting_at(v)));
        }
        builder = builder.with_num_states_between_snapshots(num_states_between_snapshots);
        if !integrity_check {
            builder = builder.without_integrity_check();
        }
        if let Some(size) = target_max_type_shard_size {
            builder = builder.with_target_max_type_shard_size(size);
        }
        for (i, v) in validators.into_iter().enumerate() {
            let name = v
                .bind(py)
                .getattr("__name__")
                .and_then(|n| n.extract::<String>())
                .unwrap_or_else(|_| format!("validator #{i}"));
            builder = builder.with_validator(Arc::new(PyValidator { name, callable: v }));
        }
        let producer = builder.build().py()?;
        let status = Mutex::new(Status::of(&producer));
        Ok(Producer {
            inner: Mutex::new(Some(ProducerInner { producer, mapper: ObjectMapper::new() })),
            store: handle.clone(),
            current: Mutex::new(None),
            status,
            primary_keys: keys,
        })
    }

    /// Run one cycle: `populate(ws)` adds every record of the new state. Returns the version now
    /// announced (the current one if nothing changed). If `populate` raises, the exception propagates
    /// and nothing is published.
    fn run_cycle(&self, py: Python<'_>, populate: Py<PyAny>) -> PyResult<Version> {
        self.cycle_with(py, move |py, ws| populate.call1(py, (ws,)).map(drop))
    }

    /// A cycle as a context manager: `with producer.cycle() as c: c.add(...)`. The records are
    /// written when the block ends without an exception; the version is then `c.version`.
    fn cycle(slf: &Bound<'_, Self>) -> Cycle {
        Cycle { producer: slf.clone().unbind(), records: Mutex::new(Vec::new()), version: Mutex::new(None) }
    }

    /// Continue the delta chain of a store after a restart: load `version` (default: the announced
    /// one) from the store, so that the next cycle publishes a delta from it and unchanged records
    /// keep their ordinals. Returns the restored version.
    #[pyo3(signature = (version = None))]
    fn restore(&self, py: Python<'_>, version: Option<Version>) -> PyResult<Version> {
        let mut guard = self.inner.try_lock().map_err(|_| invalid("this producer is running a cycle"))?;
        let retriever = self.store.retriever();
        let Some(ProducerInner { producer, .. }) = guard.as_mut() else { return Err(closed()) };
        let restored = py
            .detach(|| match version {
                Some(v) => producer.restore(v, &*retriever).map(|()| v),
                None => producer.restore_announced(&*retriever),
            })
            .py()?;
        let state = producer.read_state();
        *crate::sync::lock(&self.status, py) = Status::of(producer);
        drop(guard);
        *crate::sync::lock(&self.current, py) = state;
        Ok(restored)
    }

    /// An incremental cycle as a context manager: `with producer.incremental_cycle() as changes:
    /// changes.add_or_modify(record); changes.delete("Movie", key)`. The changes apply to the last
    /// announced version by primary key; they are published when the block ends without an exception
    /// (the version is then `changes.version`), and dropped (nothing announced) when it raises.
    fn incremental_cycle(slf: &Bound<'_, Self>) -> PyResult<IncrementalCycle> {
        IncrementalCycle::new(slf)
    }

    /// Run an incremental cycle: `changes(c)` makes the changes on an `IncrementalCycle`; they are
    /// published when it returns. Returns the version now announced (the current one if nothing
    /// changed). If `changes` raises, the exception propagates and nothing is published.
    fn run_incremental_cycle(slf: &Bound<'_, Self>, changes: &Bound<'_, PyAny>) -> PyResult<Version> {
        let cycle = Bound::new(slf.py(), IncrementalCycle::new(slf)?)?;
        changes.call1((cycle.clone(),))?;
        cycle.get().commit(slf.py())
    }

    /// Apply a change set (JSON lines, as `Diff.to_change_lines()` writes them: one string, or an
    /// iterable of lines) in an incremental cycle; returns the version now announced. A malformed line
    /// raises (naming its number) and nothing is published.
    fn apply_changes(&self, py: Python<'_>, lines: &Bound<'_, PyAny>) -> PyResult<Version> {
        let text = match lines.cast::<PyString>() {
            Ok(s) => s.to_cow()?.into_owned(),
            Err(_) => {
                let mut text = String::new();
                for line in lines.try_iter()? {
                    text.push_str(&line?.extract::<std::borrow::Cow<'_, str>>()?);
                    text.push('\n');
                }
                text
            }
        };
        self.run_core(py, move |producer| {
            let schemas: Vec<Schema> = producer.engine_mut().schemas().cloned().collect();
            let set = ChangeSet::read_json_lines(text.as_bytes(), &schemas)?;
            producer.apply_change_set(&set)
        })
    }

    /// What the last successful incremental cycle did, or None before one.
    #[getter]
    fn last_incremental_stats(&self, py: Python<'_>) -> Option<IncrementalStats> {
        crate::sync::lock(&self.status, py).incremental.clone()
    }

    /// Counters about the cycles so far, a `ProducerMetrics` snapshot.
    #[getter]
    fn metrics(&self, py: Python<'_>) -> ProducerMetrics {
        crate::sync::lock(&self.status, py).metrics.clone()
    }

    /// The last announced version, or None before the first cycle.
    #[getter]
    fn current_version(&self, py: Python<'_>) -> Option<Version> {
        crate::sync::lock(&self.current, py).as_ref().map(|s| s.version())
    }

    /// The last announced state, as consumers read it, or None before the first cycle.
    #[getter]
    fn read_state(&self, py: Python<'_>) -> PyResult<Option<ReadState>> {
        let state = crate::sync::lock(&self.current, py).clone();
        state.map(|s| ReadState::wrap(py, s)).transpose()
    }

    /// The registered schemas, in Hollow's schema language (dependencies first).
    fn schema_text(&self) -> PyResult<String> {
        let mut guard = self.inner.try_lock().map_err(|_| invalid("this producer is running a cycle"))?;
        let Some(inner) = guard.as_mut() else { return Err(closed()) };
        // The core producer lends its engine only mutably; reading schemas does not change it.
        let schemas: Vec<String> = inner.producer.engine_mut().schemas().map(dsl::to_java_string).collect();
        Ok(schemas.join("\n"))
    }

    /// Release the store's producer lock (so that another producer can take over) and everything
    /// else the producer holds; later cycles raise. Also done when the producer is garbage-collected,
    /// or at the end of a `with` block. Closing a closed producer does nothing.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.try_lock().map_err(|_| invalid("this producer is running a cycle"))?.take();
        // Releasing an object store's lock is a request: not under the GIL.
        py.detach(move || drop(inner));
        Ok(())
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        let inner = self.inner.get_mut().unwrap_or_else(|e| e.into_inner()).take();
        if inner.is_some() {
            // The lock's release may be a request (with retries): let other Python threads run meanwhile.
            Python::attach(|py| py.detach(move || drop(inner)));
        }
    }
}

fn closed() -> PyErr {
    invalid("this producer is closed")
}

/// A producer cycle as a context manager; see `Producer.cycle`.
#[pyclass(module = "hollow", frozen)]
pub struct Cycle {
    producer: Py<Producer>,
    records: Mutex<Vec<(Py<PyAny>, Option<String>)>>,
    version: Mutex<Option<Version>>,
}

#[pymethods]
impl Cycle {
    /// Queue a record for this cycle (see `WriteState.add`); it is written when the block ends.
    #[pyo3(signature = (value, r#type = None))]
    fn add(&self, py: Python<'_>, value: Py<PyAny>, r#type: Option<String>) {
        crate::sync::lock(&self.records, py).push((value, r#type));
    }

    /// The version the cycle produced (None until the block has ended).
    #[getter]
    fn version(&self, py: Python<'_>) -> Option<Version> {
        *crate::sync::lock(&self.version, py)
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (exc_type, exc_value, traceback))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        exc_value: Option<&Bound<'_, PyAny>>,
        traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let _ = (exc_value, traceback);
        let records = std::mem::take(&mut *crate::sync::lock(&self.records, py));
        if exc_type.is_some() {
            return Ok(false);
        }
        let version = self.producer.get().cycle_with(py, move |py, ws| {
            for (i, (value, type_name)) in records.iter().enumerate() {
                ws.get().add_one(py, value.bind(py), type_name.as_deref(), write::At::Cycle(i))?;
            }
            Ok(())
        })?;
        *crate::sync::lock(&self.version, py) = Some(version);
        Ok(false)
    }
}

/// An incremental cycle as a context manager; see `Producer.incremental_cycle`.
///
/// Each change is checked against the producer's schemas when it is made (an unknown type, a record
/// or key that does not fit raises then), and kept; the changes are applied together, in order, when
/// the block ends (a later change to a key replaces an earlier one).
#[pyclass(module = "hollow", frozen)]
pub struct IncrementalCycle {
    producer: Py<Producer>,
    /// The producer's schemas when the cycle was made.
    schemas: Vec<Schema>,
    changes: Mutex<Vec<Change>>,
    version: Mutex<Option<Version>>,
}

impl IncrementalCycle {
    fn new(producer: &Bound<'_, Producer>) -> PyResult<Self> {
        Ok(IncrementalCycle {
            producer: producer.clone().unbind(),
            schemas: producer.get().schemas()?,
            changes: Mutex::new(Vec::new()),
            version: Mutex::new(None),
        })
    }

    fn push(&self, py: Python<'_>, change: Change) {
        crate::sync::lock(&self.changes, py).push(change);
    }

    /// Publish the changes made so far; the new version.
    fn commit(&self, py: Python<'_>) -> PyResult<Version> {
        let changes = std::mem::take(&mut *crate::sync::lock(&self.changes, py));
        let set: ChangeSet = changes.into_iter().collect();
        let version = self.producer.get().run_core(py, move |producer| producer.apply_change_set(&set))?;
        *crate::sync::lock(&self.version, py) = Some(version);
        Ok(version)
    }
}

#[pymethods]
impl IncrementalCycle {
    /// Add `value`, replacing the record with the same primary key in the last version if there is
    /// one (a type without a primary key: add it if absent). Records are given as to `WriteState.add`:
    /// a `str` is a `String` record, a dataclass or object a record of its class's type, a dict needs
    /// `type=`. The type must be known to the producer (`NotFoundError` otherwise).
    #[pyo3(signature = (value, r#type = None))]
    fn add_or_modify(&self, py: Python<'_>, value: &Bound<'_, PyAny>, r#type: Option<String>) -> PyResult<()> {
        let type_name = match r#type {
            Some(t) => t,
            None if value.is_instance_of::<PyString>() => hollow::consumer::STRING_TYPE.to_owned(),
            None if value.is_instance_of::<PyDict>() => {
                return Err(invalid("a dict record needs its type: changes.add_or_modify(record, type=\"Movie\")"));
            }
            None => record_type_name(value)?,
        };
        let json = write::to_json(value)?;
        let record = hollow::mapper::from_json(&json, &type_name, &self.schemas).py()?;
        self.push(py, Change::Upsert { type_name, record });
        Ok(())
    }

    /// Delete the record of `type` whose primary key is `key`: the key's value, or a tuple of its
    /// values in the order the primary key lists its fields. For a type without a primary key, `key`
    /// is the record itself. A key with no record is a no-op. An unknown type is a `NotFoundError`; a
    /// key with the wrong number of values or a value of the wrong type a `SchemaMismatchError`.
    #[pyo3(signature = (r#type, key))]
    fn delete(&self, py: Python<'_>, r#type: String, key: &Bound<'_, PyAny>) -> PyResult<()> {
        let values = match key.cast::<PyTuple>() {
            Ok(t) => t.iter().map(|v| write::to_json(&v)).collect::<PyResult<Vec<_>>>()?,
            Err(_) => vec![write::to_json(key)?],
        };
        let json = serde_json::json!({"op": "delete", "type": r#type, "key": values});
        let change = Change::from_json(&json, &self.schemas).py()?;
        self.push(py, change);
        Ok(())
    }

    /// The number of changes made so far.
    fn __len__(&self, py: Python<'_>) -> usize {
        crate::sync::lock(&self.changes, py).len()
    }

    /// The version the cycle announced (None until it has been published; the current version if
    /// nothing changed).
    #[getter]
    fn version(&self, py: Python<'_>) -> Option<Version> {
        *crate::sync::lock(&self.version, py)
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (exc_type, exc_value, traceback))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        exc_value: Option<&Bound<'_, PyAny>>,
        traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let _ = (exc_value, traceback);
        if exc_type.is_some() {
            crate::sync::lock(&self.changes, py).clear();
            return Ok(false);
        }
        self.commit(py)?;
        Ok(false)
    }
}

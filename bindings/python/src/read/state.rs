//! `ReadState`: one version of the dataset, the entry to its types and indexes, and a read-only
//! mapping over the string dataset (records of type `String`).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use hollow::blob::TAG_TO_VERSION;

use hollow::consumer::ReadState as CoreState;
use hollow::read::{ObjectTypeReadState, ReadStateEngine};
use hollow::schema::dsl;
use hollow::store::Version;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use super::index::{HashIndex, PrimaryKeyIndex};
use super::type_view::TypeView;
use super::types::{Shared, TypeRef};
use crate::errors::{invalid, IntoPy};

/// One version of the dataset.
///
/// For the simple string dataset (records of type `String`, as `ws.add("user1")` writes) it is a
/// read-only mapping: `rs["user1"]`, `"user1" in rs`, `len(rs)`, iteration. Typed records are read
/// through `rs.type(name)`.
#[pyclass(module = "hollow", frozen)]
pub struct ReadState {
    shared: Arc<Shared>,
    /// The view of each type (by index in `shared.types`), made on first use.
    views: Vec<OnceLock<Py<TypeView>>>,
}

impl ReadState {
    /// A Python read state over a core state.
    pub(crate) fn wrap(py: Python<'_>, state: Arc<CoreState>) -> PyResult<ReadState> {
        Ok(Self::over(Arc::new(Shared::new(py, state)?)))
    }

    pub(super) fn over(shared: Arc<Shared>) -> ReadState {
        let views = shared.types.iter().map(|_| OnceLock::new()).collect();
        ReadState { shared, views }
    }

    /// The core state this object reads.
    pub(crate) fn core(&self) -> &Arc<CoreState> {
        &self.shared.state
    }

    fn string_type(&self) -> Option<&ObjectTypeReadState> {
        self.shared.engine().object(hollow::consumer::STRING_TYPE)
    }
}

#[pymethods]
impl ReadState {
    /// The version this state holds.
    #[getter]
    fn version(&self) -> Version {
        self.shared.state.version()
    }

    /// Load the snapshot file at `path` as a read state, without a store or consumer.
    ///
    /// `memory_mapping="copy"` (the default) reads the file into memory; `"shared"` maps it and reads
    /// the records in place, which asks that the file is never modified or truncated while a state
    /// reads it (the file is unmapped when the last object reading the state is freed). `version` is
    /// the state's version; by default the blob's `hollow.blob.to.version` header tag, which hollow's
    /// producers write (`InvalidArgumentError` if it is missing and no version is given). The GIL is
    /// released while the file loads.
    #[staticmethod]
    #[pyo3(signature = (path, *, memory_mapping = "copy", version = None))]
    fn from_snapshot_file(
        py: Python<'_>,
        path: PathBuf,
        memory_mapping: &str,
        version: Option<Version>,
    ) -> PyResult<ReadState> {
        let mode = crate::consumer::mapping_mode(memory_mapping)?;
        let engine = py.detach(|| ReadStateEngine::from_snapshot_file(&path, mode)).py()?;
        let version = match version {
            Some(v) => v,
            None => {
                let tag = engine.header_tags().get(TAG_TO_VERSION).ok_or_else(|| {
                    invalid(format!("{} has no {TAG_TO_VERSION} header tag: give the version", path.display()))
                })?;
                tag.parse()
                    .map_err(|_| invalid(format!("{} has a malformed {TAG_TO_VERSION} tag {tag:?}", path.display())))?
            }
        };
        ReadState::wrap(py, Arc::new(CoreState::new(version, engine)))
    }

    /// How many shards of this state are read in place from a memory-mapped snapshot file (0 when
    /// it was read into memory: `memory_mapping="copy"`, or a store with no local file).
    #[getter]
    fn mapped_shards(&self) -> usize {
        self.shared.engine().mapped_shards()
    }

    /// Names of every type, sorted.
    #[getter]
    fn type_names(&self) -> Vec<String> {
        self.shared.engine().type_names().into_iter().map(str::to_owned).collect()
    }

    /// The header tags of the blob this state was read from.
    #[getter]
    fn header_tags(&self) -> std::collections::BTreeMap<String, String> {
        self.shared.engine().header_tags().clone()
    }

    /// Every schema, in Hollow's schema language.
    fn schema_text(&self) -> String {
        let schemas: Vec<String> = self.shared.engine().schemas().map(dsl::to_java_string).collect();
        schemas.join("\n")
    }

    /// The records of type `name`. `NotFoundError` if the state has no such type. With `as_` (a
    /// dataclass, such as `hollow codegen --lang python` writes), a `TypedView` whose records are
    /// instances of it.
    #[pyo3(name = "type", signature = (name, *, as_ = None))]
    fn type_<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        as_: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let view = self.type_view(py, name)?;
        match as_ {
            None => Ok(view.into_any()),
            Some(cls) => py.import("hollow._typed")?.getattr("TypedView")?.call1((view, cls)),
        }
    }

    /// A unique index of `type_name`, on its schema's primary key or on the given field paths.
    #[pyo3(signature = (type_name, fields = None))]
    fn primary_key_index(
        &self,
        py: Python<'_>,
        type_name: &str,
        fields: Option<Vec<String>>,
    ) -> PyResult<PrimaryKeyIndex> {
        let state = self.shared.state.clone();
        let fields = fields.unwrap_or_default();
        let index = py
            .detach(|| {
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                state.primary_key_index_on(type_name, &fields)
            })
            .py()?;
        Ok(PrimaryKeyIndex { shared: self.shared.clone(), type_name: type_name.to_owned(), index })
    }

    /// A hash index (several records per key) of `type_name` on the given field paths.
    fn hash_index(&self, py: Python<'_>, type_name: &str, fields: Vec<String>) -> PyResult<HashIndex> {
        if fields.is_empty() {
            return Err(invalid("a hash index needs at least one key field"));
        }
        let state = self.shared.state.clone();
        let index = py
            .detach(|| {
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                state.hash_index(type_name, &fields)
            })
            .py()?;
        Ok(HashIndex { shared: self.shared.clone(), type_name: type_name.to_owned(), index })
    }

    /// What changed from this version to `new`; see `Diff`. The GIL is released while the diff runs.
    ///
    /// `types` limits the report to these types; `limit` keeps at most that many records of each kind
    /// (added, removed, modified) per type in detail (counts stay exact); `primary_keys` gives key field
    /// paths per type, replacing or supplying the schema's `@PrimaryKey`.
    #[pyo3(signature = (new, *, types = None, limit = None, primary_keys = None))]
    fn diff(
        &self,
        py: Python<'_>,
        new: &Bound<'_, ReadState>,
        types: Option<Vec<String>>,
        limit: Option<usize>,
        primary_keys: Option<std::collections::BTreeMap<String, Vec<String>>>,
    ) -> PyResult<crate::diff::Diff> {
        crate::diff::diff(py, self.shared.state.clone(), new.get().shared.state.clone(), types, limit, primary_keys)
    }

    fn __len__(&self) -> usize {
        self.shared.state.size()
    }

    fn __contains__(&self, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(key) = key.cast::<PyString>() else { return Ok(false) };
        Ok(self.shared.state.contains(&key.to_cow()?))
    }

    fn __getitem__(&self, key: &Bound<'_, PyAny>) -> PyResult<String> {
        let found = match key.cast::<PyString>() {
            Ok(s) => self.shared.state.get(&s.to_cow()?).map(|v| v.into_owned()),
            Err(_) => None,
        };
        found.ok_or_else(|| PyKeyError::new_err(key.clone().unbind()))
    }

    /// `rs[key]`, or `default` when the string dataset does not hold `key`.
    #[pyo3(signature = (key, default = None))]
    fn get(&self, py: Python<'_>, key: &Bound<'_, PyAny>, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        if let Ok(s) = key.cast::<PyString>() {
            if let Some(v) = self.shared.state.get(&s.to_cow()?) {
                return Ok(PyString::new(py, &v).into_any().unbind());
            }
        }
        Ok(default.unwrap_or_else(|| py.None()))
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.keys(py)?.into_any().try_iter().map(Bound::into_any)
    }

    /// The strings of the string dataset (a list).
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let mut out = Vec::new();
        if let Some(t) = self.string_type() {
            for o in t.populated().iter() {
                if let Some(s) = t.read_string(o, 0) {
                    out.push(PyString::new(py, &s));
                }
            }
        }
        PyList::new(py, out)
    }

    /// Same as `keys()`: in the string dataset each string maps to itself.
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.keys(py)
    }

    /// `(string, string)` pairs of the string dataset.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let keys = self.keys(py)?;
        let pairs = keys.iter().map(|k| PyTuple::new(py, [k.clone(), k])).collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, pairs)
    }

    fn __repr__(&self) -> String {
        format!("<hollow.ReadState version={} types={}>", self.version(), self.shared.engine().type_names().len())
    }
}

impl ReadState {
    fn type_view<'py>(&self, py: Python<'py>, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, TypeView>> {
        // Type names written in code are interned, as ours are: usually a pointer comparison finds it.
        let index = match self.shared.types.iter().position(|t| t.py_name.as_ptr() == name.as_ptr()) {
            Some(i) => i,
            None => self.shared.index_of(&name.to_cow()?)?,
        };
        if let Some(view) = self.views[index].get() {
            return Ok(view.bind(py).clone());
        }
        let view = Py::new(py, TypeView::new(TypeRef { shared: self.shared.clone(), index }))?;
        // Another thread may have made one meanwhile; everyone uses the first.
        let view = self.views[index].get_or_init(|| view);
        Ok(view.bind(py).clone())
    }
}

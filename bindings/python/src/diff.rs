//! `ReadState.diff`: what changed between two versions, over the core's [`hollow::diff`].
//!
//! The diff runs with the GIL released. Its result stays a core [`StateDiff`] inside [`Diff`]; the
//! Python objects of a type's records (`DiffRecord`, `ModifiedRecord`, `FieldChange`) are made when
//! the type is asked for (`diff["Movie"]`). Records, keys and field values are plain Python data, as
//! `hollow.to_python` gives them: OBJECT records are dicts, wrapper records (`String`, `Long`, ...) the
//! value they wrap, LIST and SET lists, MAP dicts (or lists of pairs when a key is not hashable).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use hollow::consumer::ReadState as CoreState;
use hollow::diff::{self as core, DiffMethod, DiffOptions, StateDiff};
use hollow::mapper::GenericValue;
use hollow::read::ReadStateEngine;
use hollow::schema::{FieldType, Schema};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyFrozenSet, PyList, PyTuple};

use crate::errors::{not_found, IntoPy};

/// True if records of `type_name` stand for one plain value (as `read::types` decides for reading).
fn is_wrapper(engine: &ReadStateEngine, type_name: &str, depth: u32) -> bool {
    let Some(Schema::Object(s)) = engine.schema(type_name) else { return false };
    match s.fields.as_slice() {
        [f] if f.field_type != FieldType::Reference => true,
        [f] => depth < 8 && f.referenced_type.as_deref().is_some_and(|t| is_wrapper(engine, t, depth + 1)),
        _ => false,
    }
}

/// Converts the diff's values to Python data.
struct Values {
    /// The wrapper types of either state.
    wrappers: HashSet<String>,
}

impl Values {
    fn new(from: &ReadStateEngine, to: &ReadStateEngine) -> Self {
        let mut wrappers = HashSet::new();
        for engine in [from, to] {
            for name in engine.type_names() {
                if is_wrapper(engine, name, 0) {
                    wrappers.insert(name.to_owned());
                }
            }
        }
        Values { wrappers }
    }

    /// `value` as plain Python data; `hashable`: inside a set or a map key (lists are tuples there).
    fn convert<'py>(&self, py: Python<'py>, value: &GenericValue, hashable: bool) -> PyResult<Bound<'py, PyAny>> {
        Ok(match value {
            GenericValue::Null => py.None().into_bound(py),
            GenericValue::Boolean(b) => b.into_pyobject(py)?.to_owned().into_any(),
            GenericValue::Int(v) => v.into_pyobject(py)?.into_any(),
            GenericValue::Long(v) => v.into_pyobject(py)?.into_any(),
            GenericValue::Float(v) => f64::from(*v).into_pyobject(py)?.into_any(),
            GenericValue::Double(v) => v.into_pyobject(py)?.into_any(),
            GenericValue::String(s) => s.into_pyobject(py)?.into_any(),
            GenericValue::Bytes(b) => PyBytes::new(py, b).into_any(),
            GenericValue::Object { type_name, fields } => {
                if fields.len() == 1 && self.wrappers.contains(type_name) {
                    return self.convert(py, &fields[0].1, hashable);
                }
                let dict = PyDict::new(py);
                for (name, v) in fields {
                    dict.set_item(name, self.convert(py, v, false)?)?;
                }
                dict.into_any()
            }
            GenericValue::List { elements, .. } => {
                let items = elements.iter().map(|e| self.convert(py, e, hashable)).collect::<PyResult<Vec<_>>>()?;
                if hashable {
                    PyTuple::new(py, items)?.into_any()
                } else {
                    PyList::new(py, items)?.into_any()
                }
            }
            GenericValue::Set { elements, .. } => {
                if hashable {
                    let items = elements.iter().map(|e| self.convert(py, e, true)).collect::<PyResult<Vec<_>>>()?;
                    PyFrozenSet::new(py, &items)?.into_any()
                } else {
                    let items = elements.iter().map(|e| self.convert(py, e, false)).collect::<PyResult<Vec<_>>>()?;
                    PyList::new(py, items)?.into_any()
                }
            }
            GenericValue::Map { entries, .. } => {
                let mut pairs = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    pairs.push((self.convert(py, k, true)?, self.convert(py, v, hashable)?));
                }
                let as_pairs = |pairs: &[(Bound<'py, PyAny>, Bound<'py, PyAny>)]| {
                    pairs.iter().map(|(k, v)| PyTuple::new(py, [k, v])).collect::<PyResult<Vec<_>>>()
                };
                if hashable {
                    return Ok(PyTuple::new(py, as_pairs(&pairs)?)?.into_any());
                }
                let dict = PyDict::new(py);
                for (k, v) in &pairs {
                    if let Err(e) = dict.set_item(k, v) {
                        if !e.is_instance_of::<PyTypeError>(py) {
                            return Err(e);
                        }
                        // A key that is a dict cannot key a dict: the pairs, as `to_python` gives them.
                        return Ok(PyList::new(py, as_pairs(&pairs)?)?.into_any());
                    }
                }
                dict.into_any()
            }
        })
    }

    /// A key as a tuple of its values.
    fn key<'py>(&self, py: Python<'py>, key: &[GenericValue]) -> PyResult<Py<PyTuple>> {
        let items = key.iter().map(|v| self.convert(py, v, false)).collect::<PyResult<Vec<_>>>()?;
        Ok(PyTuple::new(py, items)?.unbind())
    }
}

/// What the diff holds: the core result, the two states (for the complete change set) and the options.
struct Inner {
    diff: StateDiff,
    from: Arc<CoreState>,
    to: Arc<CoreState>,
    options: DiffOptions,
    values: Values,
}

/// Diff `from` against `to` (the GIL released); see `ReadState.diff`.
pub(crate) fn diff(
    py: Python<'_>,
    from: Arc<CoreState>,
    to: Arc<CoreState>,
    types: Option<Vec<String>>,
    limit: Option<usize>,
    primary_keys: Option<BTreeMap<String, Vec<String>>>,
) -> PyResult<Diff> {
    let options = DiffOptions {
        primary_keys: primary_keys.unwrap_or_default(),
        types: types.map(|t| t.into_iter().collect::<BTreeSet<_>>()),
        detail_limit: limit,
        compare_all: false,
    };
    let (diff, values) = py
        .detach(|| {
            let d = core::diff(from.engine(), to.engine(), &options)?;
            Ok::<_, hollow::Error>((d, Values::new(from.engine(), to.engine())))
        })
        .py()?;
    Ok(Diff { inner: Arc::new(Inner { diff, from, to, options, values }) })
}

/// What changed from one version to another (`old.diff(new)`), type by type.
///
/// `diff.types` are the counts per type; `diff["Movie"]` (or `diff.type("Movie")`) a type's changed
/// records; iterating gives every type's `TypeDiff`. `str(diff)` is a table of counts with the first
/// changed records of each type, `to_json()` the whole diff as plain data, and `to_change_lines()` the
/// change set (JSON lines) that `Producer.apply_changes` applies to the old version to make the new one.
#[pyclass(module = "hollow", frozen)]
pub struct Diff {
    inner: Arc<Inner>,
}

impl Diff {
    fn type_diff(&self, py: Python<'_>, name: &str) -> PyResult<TypeDiff> {
        let t = self.inner.diff.type_diff(name).ok_or_else(|| not_found(format!("the diff has no type {name}")))?;
        TypeDiff::new(py, t, &self.inner.values)
    }
}

#[pymethods]
impl Diff {
    /// True when no type changed.
    #[getter]
    fn is_empty(&self) -> bool {
        self.inner.diff.is_empty()
    }

    /// True when every changed record is kept in detail (no `limit` cut any).
    #[getter]
    fn is_complete(&self) -> bool {
        self.inner.diff.types.iter().all(core::TypeDiff::is_complete)
    }

    /// How the changed records were found: `"one_delta"` (the states are one delta apart: by the
    /// removed and added ordinals) or `"compared"` (records populated in both were compared).
    #[getter]
    fn method(&self) -> &'static str {
        match self.inner.diff.stats.method {
            DiffMethod::OneDelta => "one_delta",
            DiffMethod::Compared => "compared",
        }
    }

    /// The counts of every type, sorted by name.
    #[getter]
    fn types(&self) -> Vec<TypeSummary> {
        self.inner.diff.types.iter().map(TypeSummary::of).collect()
    }

    /// The names of the types that changed.
    #[getter]
    fn changed_types(&self) -> Vec<String> {
        self.inner.diff.types.iter().filter(|t| !t.is_unchanged()).map(|t| t.type_name.clone()).collect()
    }

    /// The changed records of type `name`. `NotFoundError` for a type the diff does not report.
    #[pyo3(name = "type")]
    fn type_(&self, py: Python<'_>, name: &str) -> PyResult<TypeDiff> {
        self.type_diff(py, name)
    }

    fn __getitem__(&self, py: Python<'_>, name: &str) -> PyResult<TypeDiff> {
        self.type_diff(py, name)
    }

    fn __contains__(&self, name: &Bound<'_, PyAny>) -> bool {
        name.extract::<String>().is_ok_and(|n| self.inner.diff.type_diff(&n).is_some())
    }

    fn __len__(&self) -> usize {
        self.inner.diff.types.len()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let all = self
            .inner
            .diff
            .types
            .iter()
            .map(|t| Py::new(py, TypeDiff::new(py, t, &self.inner.values)?))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, all)?.into_any().try_iter().map(Bound::into_any)
    }

    /// The diff for a person: the counts per type, then up to `limit` records of each kind per
    /// changed type (`+` added, `-` removed, `~` modified with each changed field as `path: old -> new`).
    #[pyo3(signature = (limit = 10))]
    fn render(&self, limit: usize) -> String {
        self.inner.diff.render_text(limit)
    }

    fn __str__(&self) -> String {
        self.inner.diff.render_text(10)
    }

    /// The whole diff as plain data (the core's JSON form: `method`, `stats`, and per type its counts
    /// and `addedRecords`, `removedRecords`, `modifiedRecords`).
    fn to_json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = self.inner.diff.to_json().to_string();
        py.import("json")?.call_method1("loads", (text,))
    }

    /// The change set taking the old version to the new one, one JSON line per change (deletes of
    /// removed records, upserts of added and modified ones, per root type). Complete even when the
    /// diff was made with a `limit` (the diff is then run again without one, the GIL released).
    fn to_change_lines(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let inner = &self.inner;
        let set = py
            .detach(|| {
                if inner.diff.is_complete() {
                    Ok(inner.diff.to_change_set())
                } else {
                    core::change_set(inner.from.engine(), inner.to.engine(), &inner.options)
                }
            })
            .py()?;
        Ok(set.changes().iter().map(|c| c.to_json().to_string()).collect())
    }

    fn __repr__(&self) -> String {
        let d = &self.inner.diff;
        let changed = d.types.iter().filter(|t| !t.is_unchanged()).count();
        format!(
            "<hollow.Diff {} -> {}: {changed} of {} types changed>",
            self.inner.from.version(),
            self.inner.to.version(),
            d.types.len()
        )
    }
}

/// The counts of one type in a diff.
#[pyclass(module = "hollow", frozen, get_all)]
pub struct TypeSummary {
    /// The type's name.
    name: String,
    /// The primary key's field paths; None when records are keyed by their whole value.
    primary_key: Option<Vec<String>>,
    /// Records whose key is only in the new version.
    added: usize,
    /// Records whose key is only in the old version.
    removed: usize,
    /// Records whose key is in both, with different values.
    modified: usize,
    /// Records whose key is in both, with equal values.
    unchanged: usize,
}

impl TypeSummary {
    fn of(t: &core::TypeDiff) -> Self {
        TypeSummary {
            name: t.type_name.clone(),
            primary_key: t.primary_key.clone(),
            added: t.added,
            removed: t.removed,
            modified: t.modified,
            unchanged: t.unchanged,
        }
    }
}

#[pymethods]
impl TypeSummary {
    fn __repr__(&self) -> String {
        format!(
            "<hollow.TypeSummary {} added={} removed={} modified={} unchanged={}>",
            self.name, self.added, self.removed, self.modified, self.unchanged
        )
    }
}

/// The changed records of one type in a diff, each kind in key order.
#[pyclass(module = "hollow", frozen)]
pub struct TypeDiff {
    summary: Py<TypeSummary>,
    complete: bool,
    added: Vec<Py<DiffRecord>>,
    removed: Vec<Py<DiffRecord>>,
    modified: Vec<Py<ModifiedRecord>>,
}

impl TypeDiff {
    fn new(py: Python<'_>, t: &core::TypeDiff, values: &Values) -> PyResult<Self> {
        let keyed = |records: &[core::KeyedRecord]| -> PyResult<Vec<Py<DiffRecord>>> {
            records
                .iter()
                .map(|r| {
                    Py::new(
                        py,
                        DiffRecord {
                            key: values.key(py, &r.key)?,
                            value: values.convert(py, &r.record, false)?.unbind(),
                        },
                    )
                })
                .collect()
        };
        let modified = t
            .modified_records
            .iter()
            .map(|m| {
                let fields = m
                    .fields
                    .iter()
                    .map(|f| {
                        Py::new(
                            py,
                            FieldChange {
                                path: f.path.clone(),
                                old: values.convert(py, &f.old, false)?.unbind(),
                                new: values.convert(py, &f.new, false)?.unbind(),
                            },
                        )
                    })
                    .collect::<PyResult<Vec<_>>>()?;
                Py::new(
                    py,
                    ModifiedRecord {
                        key: values.key(py, &m.key)?,
                        old: values.convert(py, &m.old, false)?.unbind(),
                        new: values.convert(py, &m.new, false)?.unbind(),
                        fields,
                    },
                )
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(TypeDiff {
            summary: Py::new(py, TypeSummary::of(t))?,
            complete: t.is_complete(),
            added: keyed(&t.added_records)?,
            removed: keyed(&t.removed_records)?,
            modified,
        })
    }
}

#[pymethods]
impl TypeDiff {
    /// The type's name.
    #[getter]
    fn name(&self) -> String {
        self.summary.get().name.clone()
    }

    /// The primary key's field paths; None when records are keyed by their whole value.
    #[getter]
    fn primary_key(&self) -> Option<Vec<String>> {
        self.summary.get().primary_key.clone()
    }

    /// The counts (exact, whatever the diff's `limit`).
    #[getter]
    fn summary(&self, py: Python<'_>) -> Py<TypeSummary> {
        self.summary.clone_ref(py)
    }

    /// True when every changed record is here (no `limit` cut any).
    #[getter]
    fn is_complete(&self) -> bool {
        self.complete
    }

    /// The added records.
    #[getter]
    fn added(&self, py: Python<'_>) -> Vec<Py<DiffRecord>> {
        self.added.iter().map(|r| r.clone_ref(py)).collect()
    }

    /// The removed records.
    #[getter]
    fn removed(&self, py: Python<'_>) -> Vec<Py<DiffRecord>> {
        self.removed.iter().map(|r| r.clone_ref(py)).collect()
    }

    /// The modified records.
    #[getter]
    fn modified(&self, py: Python<'_>) -> Vec<Py<ModifiedRecord>> {
        self.modified.iter().map(|r| r.clone_ref(py)).collect()
    }

    fn __repr__(&self) -> String {
        let s = self.summary.get();
        format!(
            "<hollow.TypeDiff {} added={} removed={} modified={} unchanged={}>",
            s.name, s.added, s.removed, s.modified, s.unchanged
        )
    }
}

/// An added or removed record: its key (a tuple of the primary key's values, or of the whole record
/// for a type without one) and its value as plain data.
#[pyclass(module = "hollow", frozen, get_all)]
pub struct DiffRecord {
    key: Py<PyTuple>,
    value: Py<PyAny>,
}

#[pymethods]
impl DiffRecord {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("<hollow.DiffRecord key={} value={}>", self.key.bind(py).repr()?, self.value.bind(py).repr()?))
    }
}

/// A record whose key is in both versions and whose value changed: its key, the record in the old
/// and in the new version, and the changed values (`fields`).
#[pyclass(module = "hollow", frozen, get_all)]
pub struct ModifiedRecord {
    key: Py<PyTuple>,
    old: Py<PyAny>,
    new: Py<PyAny>,
    fields: Vec<Py<FieldChange>>,
}

#[pymethods]
impl ModifiedRecord {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let paths: Vec<String> = self.fields.iter().map(|f| f.get().path.clone()).collect();
        Ok(format!("<hollow.ModifiedRecord key={} fields={:?}>", self.key.bind(py).repr()?, paths))
    }
}

/// One changed value of a modified record: where it is (`"title"`, `"tags[2]"`, `"address.city"`), and
/// its old and new values (None when absent or null).
#[pyclass(module = "hollow", frozen, get_all)]
pub struct FieldChange {
    path: String,
    old: Py<PyAny>,
    new: Py<PyAny>,
}

#[pymethods]
impl FieldChange {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "<hollow.FieldChange {}: {} -> {}>",
            self.path,
            self.old.bind(py).repr()?,
            self.new.bind(py).repr()?
        ))
    }
}

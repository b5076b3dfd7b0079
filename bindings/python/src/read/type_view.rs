//! `TypeView`: the records of one type in one version (counting, iterating, lookup by primary key),
//! and `RecordIter`, its iterator.

use std::sync::{Arc, Mutex, OnceLock};

use hollow::index::KeyValue;
use hollow::index::PrimaryKeyIndex as CorePkIndex;
use hollow::read::TypeReadState;
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use super::index::key_value;
use super::record::Record;
use super::types::{TypeInfo, TypeRef};
use crate::errors::IntoPy;

/// The records of one type in one version.
///
/// `len(view)` counts the records; iterating yields them. For OBJECT types with a primary key,
/// `view.get(key)` / `view[key]` / `key in view` look records up by key (a tuple for a key of several
/// fields).
#[pyclass(module = "hollow", frozen, weakref)]
pub struct TypeView {
    pub(super) t: TypeRef,
    pub(super) pk: OnceLock<Arc<CorePkIndex>>,
    /// The record object `get` returned last. In `view.get(key).title` it is dropped by the caller
    /// before the next call, so this is its only reference then, and the next `get` reuses it for
    /// its own record instead of freeing one object and allocating another (about 300 instructions,
    /// an eighth of the call). A record is reused only when nothing but this slot holds it: nothing can see the
    /// change (records have no weak references, and every other holder, C code included, owns a
    /// reference of its own).
    spare: Mutex<Option<Py<Record>>>,
}

impl TypeView {
    pub(super) fn new(t: TypeRef) -> TypeView {
        TypeView { t, pk: OnceLock::new(), spare: Mutex::new(None) }
    }

    /// A record object for `ordinal`: the spare one when no one else holds it, else a new one,
    /// which becomes the spare.
    fn record_object(&self, py: Python<'_>, ordinal: u32) -> PyResult<Py<Record>> {
        // Never contended while the GIL is held (nothing below runs Python code); `try_lock` just
        // keeps a poisoned or busy slot from mattering.
        let Ok(mut spare) = self.spare.try_lock() else { return Py::new(py, self.t.record(ordinal)) };
        if let Some(record) = spare.as_ref() {
            if record.get_refcnt(py) == 1 {
                record.get().reuse_for(ordinal);
                return Ok(record.clone_ref(py));
            }
        }
        let record = Py::new(py, self.t.record(ordinal))?;
        *spare = Some(record.clone_ref(py));
        Ok(record)
    }

    fn info(&self) -> &TypeInfo {
        self.t.info()
    }

    fn type_state(&self) -> PyResult<&TypeReadState> {
        self.t.type_state()
    }

    fn pk_index(&self, py: Python<'_>) -> PyResult<&Arc<CorePkIndex>> {
        if let Some(i) = self.pk.get() {
            return Ok(i);
        }
        let state = self.t.shared.state.clone();
        let name = self.info().name.clone();
        let index = py.detach(move || state.primary_key_index(&name)).py()?;
        Ok(self.pk.get_or_init(|| index))
    }

    /// The ordinal of the record with primary key `key`.
    fn find_ordinal(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Option<u32>> {
        let index = self.pk_index(py)?;
        let engine = self.t.shared.engine();
        if key.is_instance_of::<PyTuple>() {
            let values = key.try_iter()?.map(|v| key_value(&v?)).collect::<PyResult<Vec<_>>>()?;
            return Ok(index.get(engine, &values));
        }
        Ok(index.get(engine, &[key_value(key)?]))
    }

    fn populated_count(&self) -> PyResult<usize> {
        Ok(self.type_state()?.populated().count())
    }
}
#[pymethods]
impl TypeView {
    /// The type's name.
    #[getter]
    fn name(&self, py: Python<'_>) -> Py<PyString> {
        self.info().py_name.clone_ref(py)
    }

    /// "OBJECT", "LIST", "SET" or "MAP".
    #[getter]
    fn kind(&self) -> &'static str {
        self.info().kind.name()
    }

    /// The type's schema, in Hollow's schema language.
    #[getter]
    fn schema(&self) -> &str {
        &self.info().schema_text
    }

    /// Field names of an OBJECT type, in schema order (empty for collections).
    #[getter]
    fn fields(&self) -> Vec<String> {
        self.info().fields.iter().map(|f| f.name.clone()).collect()
    }

    /// The primary key's field paths, if the type has one.
    #[getter]
    fn primary_key(&self) -> Option<Vec<String>> {
        self.info().primary_key.clone()
    }

    fn __len__(&self) -> PyResult<usize> {
        self.populated_count()
    }

    /// The ordinals of the records, ascending.
    fn ordinals(&self) -> PyResult<Vec<u32>> {
        Ok(self.type_state()?.populated().iter().collect())
    }

    fn __iter__(&self) -> PyResult<RecordIter> {
        Ok(RecordIter { t: self.t.clone(), ordinals: self.ordinals()?, next: std::sync::atomic::AtomicUsize::new(0) })
    }

    /// The record with ordinal `ordinal`. `KeyError` if no record of this version has it.
    fn record(&self, ordinal: u32) -> PyResult<Record> {
        if !self.type_state()?.populated().contains(ordinal) {
            return Err(PyKeyError::new_err(ordinal));
        }
        Ok(self.t.record(ordinal))
    }

    /// The record whose primary key is `key` (a tuple for a key of several fields), or `default`.
    #[pyo3(signature = (key, default = None))]
    fn get(&self, py: Python<'_>, key: &Bound<'_, PyAny>, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        match self.find_ordinal(py, key)? {
            Some(ordinal) => Ok(self.record_object(py, ordinal)?.into_any()),
            None => Ok(default.unwrap_or_else(|| py.None())),
        }
    }

    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<Record>> {
        match self.find_ordinal(py, key)? {
            Some(ordinal) => self.record_object(py, ordinal),
            None => Err(PyKeyError::new_err(key.clone().unbind())),
        }
    }

    fn __contains__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.find_ordinal(py, key)?.is_some())
    }

    /// One field of the record with primary key `key`, without making a record object: the fast path
    /// for `view.get(key).field`. `None` if there is no such record or the field is null;
    /// `NotFoundError` if the type has no such field.
    fn get_field<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        field: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let info = self.info();
        let i = info.field_position(py, field)?;
        match self.find_ordinal(py, key)? {
            Some(ordinal) => self.t.converter(py, false).field(self.t.object()?, &info.fields[i], ordinal, i, false, 0),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// The ordinals of the records whose primary keys are `keys`, `None` where no record has the key.
    /// `keys` is a sequence of keys (tuples for a key of several fields), or any buffer of 64-bit
    /// integers such as a NumPy `int64` array, read in place. The lookups run with the GIL released,
    /// in batches whose memory accesses overlap: the fast path for many keys.
    fn get_many(&self, py: Python<'_>, keys: &Bound<'_, PyAny>) -> PyResult<Vec<Option<u32>>> {
        let index = self.pk_index(py)?;
        let engine = self.t.shared.engine();
        if let Ok(buffer) = PyBuffer::<i64>::get(keys) {
            let keys: Vec<[KeyValue<'static>; 1]> =
                buffer.to_vec(py)?.into_iter().map(|k| [KeyValue::Long(k)]).collect();
            return Ok(py.detach(|| index.get_many(engine, &keys)));
        }
        let mut batch: Vec<Vec<KeyValue<'static>>> = Vec::with_capacity(keys.len().unwrap_or(0));
        for key in keys.try_iter()? {
            let key = key?;
            batch.push(if key.is_instance_of::<PyTuple>() {
                key.try_iter()?.map(|v| key_value(&v?)).collect::<PyResult<_>>()?
            } else {
                vec![key_value(&key)?]
            });
        }
        Ok(py.detach(|| index.get_many(engine, &batch)))
    }

    /// Field `field` of the records at `ordinals` (ints or `None`, e.g. what `get_many` returned; or
    /// a buffer of integers), as a list: `None` for a `None` ordinal, an ordinal with no record, or a
    /// null field. With `get_many`, reads one field of many records without making record objects.
    fn column<'py>(
        &self,
        py: Python<'py>,
        field: &Bound<'py, PyString>,
        ordinals: &Bound<'py, PyAny>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let info = self.info();
        let i = info.field_position(py, field)?;
        let object = self.t.object()?;
        let populated = self.type_state()?.populated();
        let converter = self.t.converter(py, false);
        let read = |ordinal: Option<u32>| match ordinal {
            Some(o) if populated.contains(o) => converter.field(object, &info.fields[i], o, i, false, 0),
            _ => Ok(py.None().into_bound(py)),
        };
        if let Ok(buffer) = PyBuffer::<i64>::get(ordinals) {
            return buffer.to_vec(py)?.into_iter().map(|o| read(u32::try_from(o).ok())).collect();
        }
        ordinals.try_iter()?.map(|o| read(o?.extract::<Option<u32>>()?)).collect()
    }

    /// The records as a `pandas.DataFrame`: one row per record, one column per field. Needs pandas
    /// (an optional dependency, imported on first use; `ImportError` saying so when it is missing).
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("hollow._typed")?.getattr("to_pandas")?.call1((slf,))
    }

    /// The records as a `pyarrow.Table`: one row per record, one column per field. Needs pyarrow (an
    /// optional dependency, imported on first use; `ImportError` saying so when it is missing).
    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("hollow._typed")?.getattr("to_arrow")?.call1((slf,))
    }

    fn __repr__(&self) -> PyResult<String> {
        Ok(format!(
            "<hollow.TypeView {} ({}, {} records)>",
            self.info().name,
            self.info().kind.name(),
            self.populated_count()?
        ))
    }
}

/// Iterates the records of a type.
#[pyclass(module = "hollow", frozen)]
pub struct RecordIter {
    t: TypeRef,
    ordinals: Vec<u32>,
    next: std::sync::atomic::AtomicUsize,
}

#[pymethods]
impl RecordIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self) -> Option<Record> {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(self.t.record(*self.ordinals.get(i)?))
    }
}

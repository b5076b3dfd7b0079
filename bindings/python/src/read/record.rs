//! `Record`: one record of a version, its fields as attributes or items, and its conversion to plain
//! data.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use hollow::read::TypeReadState;
use hollow::schema::SchemaKind;
use pyo3::exceptions::{PyIndexError, PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use super::state::ReadState;
#[cfg(doc)]
use super::type_view::TypeView;
use super::types::TypeRef;

/// A record: fields as attributes (`movie.title`) or items (`movie["title"]`).
///
/// Records are values: two records are equal when they are the same record (type and ordinal) of the
/// same version, and they hash accordingly. A record's attributes are its fields and nothing else, so no
/// field name is shadowed; what is about the record rather than in it is read by the module functions
/// [`ordinal`], [`type_name`], [`read_state`], [`to_dict`] and [`to_python`] (as `dataclasses.asdict`
/// reads a dataclass).
#[pyclass(module = "hollow", frozen)]
pub struct Record {
    pub(super) t: TypeRef,
    /// Changed only while the record is unreachable from Python: see [`TypeView`]'s spare record.
    /// (Atomic because a frozen class is shared between threads; only the GIL orders its accesses.)
    ordinal: AtomicU32,
}

impl Record {
    pub(super) fn new(t: TypeRef, ordinal: u32) -> Record {
        Record { t, ordinal: AtomicU32::new(ordinal) }
    }

    pub(super) fn ordinal(&self) -> u32 {
        self.ordinal.load(Ordering::Relaxed)
    }

    /// Make this record stand for `ordinal`. Only for a record no Python code can reach (the
    /// caller holds its only reference), so no one sees it change.
    pub(super) fn reuse_for(&self, ordinal: u32) {
        self.ordinal.store(ordinal, Ordering::Relaxed);
    }

    fn field_at<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyAny>> {
        let view = &self.t;
        let obj = view.object()?;
        view.converter(py, false).field(obj, &view.info().fields[i], self.ordinal(), i, false, 0)
    }

    fn value<'py>(&self, py: Python<'py>, plain: bool) -> PyResult<Bound<'py, PyAny>> {
        let view = &self.t;
        let conv = view.converter(py, plain);
        match view.type_state()? {
            TypeReadState::Object(obj) => Ok(conv.object_dict(obj, view.info(), self.ordinal(), 0)?.into_any()),
            _ => conv.record(view.index, self.ordinal(), false, 0),
        }
    }
}

#[pymethods]
impl Record {
    fn __getattribute__<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let info = this.t.info();
        // Interned names (every attribute name written in code) match by pointer; others by value.
        if let Some(i) = info.fields.iter().position(|f| f.py_name.as_ptr() == name.as_ptr()) {
            if info.fields[i].is_attribute {
                return this.field_at(py, i);
            }
        } else if let Some(i) = info.attr_index.bind(py).get_item(name)? {
            return this.field_at(py, i.extract()?);
        }
        // SAFETY: both pointers are valid, live objects (borrowed for the call); the generic lookup
        // returns a new reference or NULL with an exception set, which `from_owned_ptr_or_err` takes.
        unsafe { Bound::from_owned_ptr_or_err(py, pyo3::ffi::PyObject_GenericGetAttr(slf.as_ptr(), name.as_ptr())) }
    }

    /// Pickled as its plain value (`hollow.to_python(record)`): unpickling gives a dict for an OBJECT
    /// record, a list or dict for a collection. A record belongs to a version held in memory, which a
    /// pickle cannot carry, so what travels is the data.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyAny>,))> {
        let plain = self.value(py, true)?;
        Ok((plain.get_type().into_any(), (plain,)))
    }

    fn __getitem__<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let view = &self.t;
        match view.info().kind {
            SchemaKind::Object => {
                let Ok(name) = key.cast::<PyString>() else {
                    return Err(PyTypeError::new_err("fields are named by str"));
                };
                match view.info().field_index.bind(py).get_item(name)? {
                    Some(i) => self.field_at(py, i.extract()?),
                    None => Err(PyKeyError::new_err(key.clone().unbind())),
                }
            }
            SchemaKind::List => {
                let TypeReadState::List(list) = view.type_state()? else { unreachable!("kind checked") };
                let size = list.size(self.ordinal()) as i64;
                let i: i64 = key.extract()?;
                let i = if i < 0 { i + size } else { i };
                match (i >= 0).then(|| list.element_ordinal(self.ordinal(), i as usize)).flatten() {
                    Some(e) => match view.info().children[0] {
                        Some(t) => view.converter(py, false).record(t, e, false, 0),
                        None => Ok(py.None().into_bound(py)),
                    },
                    None => Err(PyIndexError::new_err("list index out of range")),
                }
            }
            _ => {
                let value = self.value(py, false)?;
                value.get_item(key)
            }
        }
    }

    fn __len__(&self) -> PyResult<usize> {
        let view = &self.t;
        Ok(match view.type_state()? {
            TypeReadState::Object(_) => view.info().fields.len(),
            TypeReadState::List(l) => l.size(self.ordinal()),
            TypeReadState::Set(s) => s.size(self.ordinal()),
            TypeReadState::Map(m) => m.size(self.ordinal()),
        })
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let view = &self.t;
        if view.info().kind == SchemaKind::Object {
            let names: Vec<&str> = view.info().fields.iter().map(|f| f.name.as_str()).collect();
            return PyList::new(py, names)?.into_any().try_iter().map(Bound::into_any);
        }
        self.value(py, false)?.try_iter().map(Bound::into_any)
    }

    /// The field names (an OBJECT's attributes).
    fn __dir__(&self) -> Vec<String> {
        self.t.info().fields.iter().map(|f| f.name.clone()).collect()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        let Ok(other) = other.cast::<Record>() else { return false };
        let (a, b) = (&self.t, &other.get().t);
        self.ordinal() == other.get().ordinal() && a.index == b.index && Arc::ptr_eq(&a.shared, &b.shared)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let view = &self.t;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (Arc::as_ptr(&view.shared) as usize, view.index, self.ordinal()).hash(&mut h);
        h.finish()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let view = &self.t;
        if view.info().kind != SchemaKind::Object {
            return Ok(format!("{}({})", view.info().name, self.value(py, false)?.repr()?));
        }
        let mut parts = Vec::with_capacity(view.info().fields.len());
        for (i, f) in view.info().fields.iter().enumerate() {
            parts.push(format!("{}={}", f.name, self.field_at(py, i)?.repr()?));
        }
        Ok(format!("{}({})", view.info().name, parts.join(", ")))
    }
}

/// The record's ordinal in its type: `hollow.ordinal(record)`.
#[pyfunction]
pub fn ordinal(record: &Bound<'_, Record>) -> u32 {
    record.get().ordinal()
}

/// The record's type name: `hollow.type_name(record)`.
#[pyfunction]
pub fn type_name(record: &Bound<'_, Record>) -> Py<PyString> {
    record.get().t.info().py_name.clone_ref(record.py())
}

/// The version the record belongs to: `hollow.read_state(record)`.
#[pyfunction]
pub fn read_state(record: &Bound<'_, Record>) -> ReadState {
    ReadState::over(record.get().t.shared.clone())
}

/// An OBJECT record as a dict of plain data (records nested in it become dicts too):
/// `hollow.to_dict(record)`.
#[pyfunction]
pub fn to_dict<'py>(record: &Bound<'py, Record>) -> PyResult<Bound<'py, PyAny>> {
    let this = record.get();
    let info = this.t.info();
    if info.kind != SchemaKind::Object {
        return Err(PyTypeError::new_err(format!("{} is a {}; use hollow.to_python()", info.name, info.kind.name())));
    }
    this.value(record.py(), true)
}

/// The record as plain data: a dict for an OBJECT, a list for a LIST or SET, a dict (or a list of
/// pairs) for a MAP: `hollow.to_python(record)`.
#[pyfunction]
pub fn to_python<'py>(record: &Bound<'py, Record>) -> PyResult<Bound<'py, PyAny>> {
    record.get().value(record.py(), true)
}

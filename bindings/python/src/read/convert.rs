//! Stored values to Python objects.
//!
//! Values are converted as they are read, following the shapes Java's object mapper writes:
//!
//! * INT, LONG → `int`; FLOAT, DOUBLE → `float`; BOOLEAN → `bool`; STRING → `str`; BYTES → `bytes`;
//!   null → `None`.
//! * A reference to a *wrapper* (an OBJECT type with one field that is not a reference, or that refers
//!   to another wrapper: `String { string value; }`, `Long { long value; }`, enums) → the wrapped value.
//! * A reference to any other OBJECT → a `Record` (attribute access; `to_dict()` for plain data).
//! * LIST → `list`, SET → `frozenset`, MAP → `dict`. Inside a set or a map key, where values must be
//!   hashable, a LIST is a `tuple` and a MAP a `tuple` of pairs.
//!
//! `to_dict()`/`to_python()` convert deeply to plain data: records become dicts, sets lists, and maps
//! dicts when every key is hashable (lists of `(key, value)` pairs otherwise).

use std::sync::Arc;

use hollow::read::{ObjectTypeReadState, TypeReadState};
use hollow::schema::FieldType;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyFrozenSet, PyList, PyString, PyTuple};

use super::record::Record;
use super::types::{FieldMeta, Shared, TypeInfo, TypeRef};
use crate::errors::invalid;

/// Deepest nesting of records converted in one value (a guard against reference cycles in hostile data).
const MAX_DEPTH: u32 = 128;

/// Converts stored values to Python objects.
pub(super) struct Converter<'a, 'py> {
    pub(super) py: Python<'py>,
    pub(super) shared: &'a Arc<Shared>,
    /// `to_dict`: records become dicts, sets lists.
    pub(super) plain: bool,
}

impl<'py> Converter<'_, 'py> {
    fn none(&self) -> Bound<'py, PyAny> {
        self.py.None().into_bound(self.py)
    }

    /// Field `i` of OBJECT record `ordinal`. `hashable`: the value must be hashable (set element, map key).
    pub(super) fn field(
        &self,
        obj: &ObjectTypeReadState,
        field: &FieldMeta,
        ordinal: u32,
        i: usize,
        hashable: bool,
        depth: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match field.field_type {
            FieldType::Int => obj.read_int(ordinal, i).into_pyobject(py)?.into_any(),
            FieldType::Long => obj.read_long(ordinal, i).into_pyobject(py)?.into_any(),
            FieldType::Boolean => obj.read_boolean(ordinal, i).into_pyobject(py)?.to_owned().into_any(),
            FieldType::Float => obj.read_float(ordinal, i).map(f64::from).into_pyobject(py)?.into_any(),
            FieldType::Double => obj.read_double(ordinal, i).into_pyobject(py)?.into_any(),
            FieldType::String => match obj.read_string(ordinal, i) {
                Some(s) => PyString::new(py, &s).into_any(),
                None => self.none(),
            },
            FieldType::Bytes => match obj.read_bytes(ordinal, i) {
                Some(b) => PyBytes::new(py, b).into_any(),
                None => self.none(),
            },
            FieldType::Reference => match (obj.read_ordinal(ordinal, i), field.referenced) {
                (Some(o), Some(t)) => self.record(t, o, hashable, depth + 1)?,
                _ => self.none(),
            },
        })
    }

    /// Record `ordinal` of the type at `type_index`, as a value.
    pub(super) fn record(
        &self,
        type_index: usize,
        ordinal: u32,
        hashable: bool,
        depth: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        if depth > MAX_DEPTH {
            return Err(invalid(format!("records nest deeper than {MAX_DEPTH} levels (a reference cycle?)")));
        }
        let info = &self.shared.types[type_index];
        let state = &*info.state;
        let child = |slot: usize, o: u32, hashable: bool| match info.children[slot] {
            Some(t) => self.record(t, o, hashable, depth + 1),
            None => Ok(self.none()),
        };
        match state {
            TypeReadState::Object(obj) => {
                if info.wrapper {
                    return self.field(obj, &info.fields[0], ordinal, 0, hashable, depth);
                }
                if self.plain {
                    return Ok(self.object_dict(obj, info, ordinal, depth)?.into_any());
                }
                let record = Record::new(TypeRef { shared: self.shared.clone(), index: type_index }, ordinal);
                Ok(Bound::new(py, record)?.into_any())
            }
            TypeReadState::List(list) => {
                let items = list.elements(ordinal).map(|e| child(0, e, hashable)).collect::<PyResult<Vec<_>>>()?;
                Ok(if hashable { PyTuple::new(py, items)?.into_any() } else { PyList::new(py, items)?.into_any() })
            }
            TypeReadState::Set(set) => {
                if self.plain && !hashable {
                    let items = set.elements(ordinal).map(|e| child(0, e, false)).collect::<PyResult<Vec<_>>>()?;
                    return Ok(PyList::new(py, items)?.into_any());
                }
                let items = set.elements(ordinal).map(|e| child(0, e, true)).collect::<PyResult<Vec<_>>>()?;
                Ok(PyFrozenSet::new(py, &items)?.into_any())
            }
            TypeReadState::Map(map) => {
                let mut entries = Vec::with_capacity(map.size(ordinal));
                for (k, v) in map.entries(ordinal) {
                    entries.push((child(0, k, true)?, child(1, v, hashable)?));
                }
                let pairs = |entries: &[(Bound<'py, PyAny>, Bound<'py, PyAny>)]| {
                    entries.iter().map(|(k, v)| PyTuple::new(py, [k, v])).collect::<PyResult<Vec<_>>>()
                };
                if hashable {
                    return Ok(PyTuple::new(py, pairs(&entries)?)?.into_any());
                }
                let dict = PyDict::new(py);
                for (k, v) in &entries {
                    if let Err(e) = dict.set_item(k, v) {
                        if !self.plain || !e.is_instance_of::<PyTypeError>(py) {
                            return Err(e);
                        }
                        // Keys that are plain dicts cannot key a dict: give the pairs.
                        return Ok(PyList::new(py, pairs(&entries)?)?.into_any());
                    }
                }
                Ok(dict.into_any())
            }
        }
    }

    /// An OBJECT record as a dict of its fields (deep when `plain`).
    pub(super) fn object_dict(
        &self,
        obj: &ObjectTypeReadState,
        info: &TypeInfo,
        ordinal: u32,
        depth: u32,
    ) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(self.py);
        for (i, f) in info.fields.iter().enumerate() {
            dict.set_item(PyString::intern(self.py, &f.name), self.field(obj, f, ordinal, i, false, depth)?)?;
        }
        Ok(dict)
    }
}

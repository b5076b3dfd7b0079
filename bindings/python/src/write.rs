//! Python values as serde values, so that records are written by the core mapper.
//!
//! There is one writer, the core's: [`to_json`] turns a Python value into a `serde_json::Value` through
//! the [`PyValue`] `Serialize` adapter, and the producer's write state adds it with `add_json`, which
//! follows the registered schemas ([`hollow::mapper::from_json`]: which value fits which field, the
//! one-field shorthand, errors naming the path). This module only says what a Python value *is*:
//!
//! | Python                                    | serde                                                 |
//! |-------------------------------------------|-------------------------------------------------------|
//! | `None`, `bool`, `int`, `str`              | none, bool, i64 (u64 above it), str                   |
//! | `float`                                   | f64; NaN and infinities as `"NaN"`, `"Infinity"`, `"-Infinity"` |
//! | `bytes`, `bytearray`                      | bytes                                                 |
//! | `dict` with `str` keys                    | a map                                                 |
//! | any other `dict`, mapping                 | a sequence of `(key, value)` pairs                    |
//! | dataclass, named tuple                    | a map of its fields                                   |
//! | `list`, `tuple`, `set`, `frozenset`, any other iterable but `str`/`bytes` | a sequence |
//! | any other object                          | a map of its public attributes and properties         |
//!
//! A Python exception raised while converting (a property that raises) propagates as it is. A value
//! with no Hollow equivalent, or an `int` beyond 64 bits, is refused by the core mapper with the path to
//! it (`at Movie.id: ...`). A top-level value that cannot be a record of an OBJECT type (`None`, a
//! number, a string, a list, ...) is refused before the mapper sees it, with a message in Python terms.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PyMapping, PySet, PyString, PyTuple,
    PyType,
};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use hollow::mapper::ObjectMapper;
use hollow::producer::WriteState;
use hollow::schema::Schema;
use hollow::Error;

use crate::errors::{mismatch, IntoPy};

/// Deepest nesting of values (a guard against cyclic Python objects).
const MAX_DEPTH: u32 = 128;

/// What went wrong while converting, besides what the mapper says.
#[derive(Default)]
pub(crate) struct Raised {
    /// The first Python exception met (a property that raised); it propagates as it is.
    exception: RefCell<Option<PyErr>>,
    /// The value has the wrong type for Hollow (a `SchemaMismatchError`, not an out-of-range value).
    mismatch: Cell<bool>,
    /// Serializing to JSON ([`to_json`]): non-finite floats become the strings the core's JSON form
    /// uses (`"NaN"`, `"Infinity"`, `"-Infinity"`), as JSON has no number for them.
    json: bool,
}

/// A Python value as a serde value; what went wrong is kept in `raised`.
pub(crate) struct PyValue<'a, 'py> {
    value: &'a Bound<'py, PyAny>,
    depth: u32,
    raised: &'a Raised,
}

impl<'a, 'py> PyValue<'a, 'py> {
    /// `value` (at the top level), keeping what went wrong in `raised`.
    pub(crate) fn new(value: &'a Bound<'py, PyAny>, raised: &'a Raised) -> Self {
        PyValue { value, depth: 0, raised }
    }
}

/// Why `value` cannot be a record of an OBJECT type: the name of what it is, for a value that is not a
/// mapping, dataclass, named tuple or object with attributes.
fn not_a_record(value: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if value.is_none() {
        return Ok(Some("None".into()));
    }
    let plain = value.is_instance_of::<PyBool>()
        || value.is_instance_of::<PyInt>()
        || value.is_instance_of::<PyFloat>()
        || value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyByteArray>()
        || value.is_instance_of::<PyList>()
        || value.is_instance_of::<PySet>()
        || value.is_instance_of::<PyFrozenSet>()
        || (value.is_instance_of::<PyTuple>() && record_fields(value)?.is_none());
    Ok(plain.then(|| type_name_of(value)))
}

/// Where a record was added, for error messages: `ws.add`, item `n` of `ws.add_all`, or record `n` of
/// a `Cycle`. Shown in front of a message (`"add_all item 3: "`), formatted only on error.
#[derive(Clone, Copy)]
pub(crate) enum At {
    Add,
    AddAll(usize),
    Cycle(usize),
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Add => Ok(()),
            At::AddAll(n) => write!(f, "add_all item {n}: "),
            At::Cycle(n) => write!(f, "cycle record {n}: "),
        }
    }
}

/// `error` with `context` in front of its message.
fn in_context(error: Error, context: At) -> Error {
    match error {
        Error::SchemaMismatch(m) => Error::SchemaMismatch(format!("{context}{m}")),
        Error::Schema(m) => Error::Schema(format!("{context}{m}")),
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("{context}{m}")),
        Error::NotFound(m) => Error::NotFound(format!("{context}{m}")),
        other => other,
    }
}

/// Add `value` as a record of `type_name` through the core mapper; its ordinal. `context` starts the
/// message of an error.
pub(crate) fn add(
    mapper: &mut ObjectMapper,
    ws: &mut WriteState<'_>,
    type_name: &str,
    value: &Bound<'_, PyAny>,
    context: At,
) -> PyResult<u32> {
    // A value that is no record of an OBJECT type (a single-field type also takes its field's value).
    if let Some(Schema::Object(object)) = ws.engine().schema(type_name) {
        if object.fields.len() != 1 || value.is_none() {
            if let Some(what) = not_a_record(value)? {
                return Err(mismatch(format!("{context}{type_name} needs a dict, dataclass or object, got {what}")));
            }
        }
    }
    let raised = Raised::default();
    let result = mapper.add_dynamic(ws.engine(), type_name, &PyValue::new(value, &raised));
    if let Some(e) = raised.exception.into_inner() {
        return Err(e);
    }
    result
        .map_err(|e| match e {
            Error::InvalidArgument(m) if raised.mismatch.get() => Error::SchemaMismatch(m),
            e => e,
        })
        .map_err(|e| in_context(e, context))
        .py()
}

/// `value` as JSON in the core's JSON form ([`hollow::mapper::from_json`] reads it with the schemas):
/// for the incremental producer's changes. A Python exception raised while converting propagates as
/// it is; a value with no JSON form is a `SchemaMismatchError`.
pub(crate) fn to_json(value: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    let raised = Raised { json: true, ..Raised::default() };
    let result = serde_json::to_value(PyValue::new(value, &raised));
    if let Some(e) = raised.exception.into_inner() {
        return Err(e);
    }
    result.map_err(
        |e| {
            if raised.mismatch.get() {
                mismatch(e.to_string())
            } else {
                crate::errors::invalid(e.to_string())
            }
        },
    )
}

fn type_name_of(value: &Bound<'_, PyAny>) -> String {
    value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// `dataclasses._FIELD`: what marks a real field (not a `ClassVar` or `InitVar`) of a dataclass.
fn dataclass_field_marker(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static MARKER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    MARKER
        .get_or_try_init(py, || Ok::<_, PyErr>(py.import("dataclasses")?.getattr("_FIELD")?.unbind()))
        .map(|m| m.bind(py))
}

/// The field names of a dataclass or named tuple class; None for other classes.
fn class_fields<'py>(class: &Bound<'py, PyType>) -> PyResult<Option<Vec<Py<PyString>>>> {
    let py = class.py();
    if let Ok(fields) = class.getattr(intern!(py, "__dataclass_fields__")) {
        let marker = dataclass_field_marker(py)?;
        let mut names = Vec::new();
        for (name, field) in fields.cast::<PyDict>()?.iter() {
            if field.getattr(intern!(py, "_field_type"))?.is(marker) {
                names.push(name.cast_into::<PyString>()?.unbind());
            }
        }
        return Ok(Some(names));
    }
    if class.is_subclass_of::<PyTuple>()? {
        if let Ok(fields) = class.getattr(intern!(py, "_fields")) {
            let names =
                fields.try_iter()?.map(|n| Ok(n?.cast_into::<PyString>()?.unbind())).collect::<PyResult<_>>()?;
            return Ok(Some(names));
        }
    }
    Ok(None)
}

/// Classes seen so far (kept alive, so their addresses stay theirs) and their fields.
type FieldCache = Mutex<HashMap<usize, (Py<PyType>, Option<Arc<[Py<PyString>]>>)>>;

/// The field names of a dataclass or named tuple instance (cached by class); None for other values.
fn record_fields(value: &Bound<'_, PyAny>) -> PyResult<Option<Arc<[Py<PyString>]>>> {
    static CACHE: PyOnceLock<FieldCache> = PyOnceLock::new();
    let py = value.py();
    let cache = CACHE.get_or_init(py, Default::default);
    let class = value.get_type();
    let key = class.as_ptr() as usize;
    if let Some((_, fields)) = crate::sync::lock(cache, py).get(&key) {
        return Ok(fields.clone());
    }
    let fields: Option<Arc<[Py<PyString>]>> = class_fields(&class)?.map(Into::into);
    crate::sync::lock(cache, py).insert(key, (class.unbind(), fields.clone()));
    Ok(fields)
}

/// The public attributes of a plain object: its instance attributes, then its class's properties.
fn attributes(value: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyString>>> {
    let py = value.py();
    let mut names: Vec<Py<PyString>> = Vec::new();
    let public = |n: &Bound<'_, PyString>| n.to_cow().map(|s| !s.starts_with('_')).unwrap_or(false);
    if let Ok(dict) = value.getattr(intern!(py, "__dict__")) {
        if let Ok(dict) = dict.cast::<PyDict>() {
            for name in dict.keys() {
                if let Ok(name) = name.cast_into::<PyString>() {
                    if public(&name) {
                        names.push(name.unbind());
                    }
                }
            }
        }
    }
    let property = py.import("builtins")?.getattr("property")?.cast_into::<PyType>()?;
    for class in value.get_type().mro().iter() {
        let items = class.getattr(intern!(py, "__dict__"))?.call_method0(intern!(py, "items"))?;
        for item in items.try_iter()? {
            let Ok((name, attr)) = item?.extract::<(Bound<'_, PyString>, Bound<'_, PyAny>)>() else { continue };
            let known = names.iter().any(|n| n.bind(py).as_any().eq(&name).unwrap_or(false));
            if attr.is_instance(&property)? && public(&name) && !known {
                names.push(name.unbind());
            }
        }
    }
    Ok(names)
}

impl<'py> PyValue<'_, 'py> {
    fn child<'b>(&'b self, value: &'b Bound<'py, PyAny>) -> PyValue<'b, 'py> {
        PyValue { value, depth: self.depth + 1, raised: self.raised }
    }

    /// Keep the Python exception `error` for the caller; a serde error carrying its message.
    fn fail<E: serde::ser::Error>(&self, error: PyErr) -> E {
        let message = error.to_string();
        self.raised.exception.borrow_mut().get_or_insert(error);
        E::custom(message)
    }

    /// The value cannot be stored: out of range, or (`mismatch`) of a type Hollow has no place for.
    /// The mapper reports it with the path to the value.
    fn refuse<E: serde::ser::Error>(&self, mismatch: bool, message: String) -> E {
        if mismatch {
            self.raised.mismatch.set(true);
        }
        E::custom(message)
    }

    /// A map of `names` to the attributes of the value.
    fn fields<S: Serializer>(&self, names: &[Py<PyString>], s: S) -> Result<S::Ok, S::Error> {
        let py = self.value.py();
        let mut map = s.serialize_map(Some(names.len()))?;
        for name in names {
            let name = name.bind(py);
            match self.value.getattr(name) {
                Ok(v) => map.serialize_entry(&*name.to_cow().map_err(|e| self.fail(e))?, &self.child(&v))?,
                Err(e) if e.is_instance_of::<pyo3::exceptions::PyAttributeError>(self.value.py()) => {}
                Err(e) => return Err(self.fail(e)),
            }
        }
        map.end()
    }

    /// A sequence of the items of an iterable.
    fn elements<S: Serializer>(&self, len: Option<usize>, s: S) -> Result<S::Ok, S::Error> {
        let iter = self.value.try_iter().map_err(|e| self.fail(e))?;
        let mut seq = s.serialize_seq(len)?;
        for item in iter {
            seq.serialize_element(&self.child(&item.map_err(|e| self.fail(e))?))?;
        }
        seq.end()
    }

    /// A map of `(key, value)` pairs.
    fn entries<S: Serializer>(&self, items: Bound<'py, PyAny>, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for item in items.try_iter().map_err(|e| self.fail(e))? {
            let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) =
                item.and_then(|i| i.extract()).map_err(|e| self.fail(e))?;
            map.serialize_entry(&self.child(&k), &self.child(&v))?;
        }
        map.end()
    }
}

impl Serialize for PyValue<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.value;
        if v.is_none() {
            return s.serialize_none();
        }
        if let Ok(b) = v.cast::<PyBool>() {
            return s.serialize_bool(b.is_true());
        }
        // Numbers go through `serialize_some`: a Python number is nullable, so NaN and minimum values
        // stay values.
        if let Ok(i) = v.cast::<PyInt>() {
            if let Ok(n) = i.extract::<i64>() {
                return match i32::try_from(n) {
                    Ok(n) => s.serialize_some(&n),
                    Err(_) => s.serialize_some(&n),
                };
            }
            return match i.extract::<u64>() {
                Ok(n) => s.serialize_some(&n),
                Err(_) => Err(self.refuse(false, format!("{i} does not fit a Hollow number (64 bits)"))),
            };
        }
        if let Ok(f) = v.cast::<PyFloat>() {
            let f = f.value();
            if self.raised.json && !f.is_finite() {
                let text = if f.is_nan() {
                    "NaN"
                } else if f > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                };
                return s.serialize_str(text);
            }
            return s.serialize_some(&f);
        }
        if let Ok(text) = v.cast::<PyString>() {
            return s.serialize_str(&text.to_cow().map_err(|e| self.fail(e))?);
        }
        if let Ok(b) = v.cast::<PyBytes>() {
            return s.serialize_bytes(b.as_bytes());
        }
        if let Ok(b) = v.cast::<PyByteArray>() {
            return s.serialize_bytes(&b.to_vec());
        }
        if self.depth >= MAX_DEPTH {
            return Err(self.refuse(false, format!("values nest deeper than {MAX_DEPTH} levels (a cyclic value?)")));
        }
        if let Ok(d) = v.cast::<PyDict>() {
            let mut map = s.serialize_map(Some(d.len()))?;
            for (k, value) in d.iter() {
                map.serialize_entry(&self.child(&k), &self.child(&value))?;
            }
            return map.end();
        }
        if let Ok(l) = v.cast::<PyList>() {
            return self.elements(Some(l.len()), s);
        }
        if let Some(names) = record_fields(v).map_err(|e| self.fail(e))? {
            return self.fields(&names, s);
        }
        if let Ok(t) = v.cast::<PyTuple>() {
            return self.elements(Some(t.len()), s);
        }
        if v.is_instance_of::<PySet>() || v.is_instance_of::<PyFrozenSet>() {
            return self.elements(v.len().ok(), s);
        }
        if let Ok(m) = v.cast::<PyMapping>() {
            return self.entries(m.items().map_err(|e| self.fail(e))?.into_any(), s);
        }
        if v.try_iter().is_ok() {
            return self.elements(None, s);
        }
        if v.hasattr(intern!(v.py(), "__dict__")).unwrap_or(false) {
            let names = attributes(v).map_err(|e| self.fail(e))?;
            return self.fields(&names, s);
        }
        Err(self.refuse(true, format!("a {} has no Hollow value", type_name_of(v))))
    }
}

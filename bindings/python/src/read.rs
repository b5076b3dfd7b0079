//! Reading a version: `ReadState`, per-type views, records, and the indexes.
//!
//! A `ReadState` pins one version (it holds the core state's `Arc`), so everything made from it
//! (views, records, indexes) keeps reading that version however the consumer moves on.
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
//!
//! The hot path, `rs.type("Movie").get(id).title`, is kept to a pointer comparison per type name (the
//! view is cached per type), one primary-key probe (the index `Arc` is cached in the view), one small
//! object (the record) and one field read, its name found by a pointer comparison too (names written
//! in Python code are interned, and so are ours). Each type's metadata and state handle are computed
//! once per version, so nothing on that path looks a type up by name.

use std::sync::{Arc, OnceLock};

use hollow::consumer::ReadState as CoreState;
use hollow::index::{HashIndex as CoreHashIndex, KeyValue, PrimaryKeyIndex as CorePkIndex};
use hollow::read::{ObjectTypeReadState, ReadStateEngine, TypeReadState};
use hollow::schema::{dsl, FieldType, Schema, SchemaKind};
use hollow::store::Version;
use pyo3::exceptions::{PyIndexError, PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PyString, PyTuple};

use crate::errors::{invalid, not_found, IntoPy};

/// Deepest nesting of records converted in one value (a guard against reference cycles in hostile data).
const MAX_DEPTH: u32 = 128;

/// Attribute names of `Record` that fields do not shadow (those fields are reachable as `rec["name"]`).
const RECORD_ATTRIBUTES: [&str; 5] = ["type_name", "ordinal", "to_dict", "to_python", "read_state"];

/// What a `ReadState` and everything made from it share.
pub(crate) struct Shared {
    pub(crate) state: Arc<CoreState>,
    /// Every type's metadata, sorted by name; types refer to each other by index here.
    types: Vec<TypeInfo>,
}

impl Shared {
    fn new(py: Python<'_>, state: Arc<CoreState>) -> PyResult<Self> {
        let engine = state.engine();
        let names: Vec<&str> = engine.type_names();
        let index_of = |name: Option<&str>| name.and_then(|n| names.binary_search(&n).ok());
        let mut types = Vec::with_capacity(names.len());
        for name in &names {
            let state = engine.type_state_shared(name).ok_or_else(|| not_found(format!("type {name}")))?;
            let schema = state.schema();
            let (fields, children) = match schema {
                Schema::Object(s) => (
                    s.fields
                        .iter()
                        .map(|f| FieldMeta {
                            name: f.name.clone(),
                            py_name: PyString::intern(py, &f.name).unbind(),
                            is_attribute: !f.name.starts_with("__") && !RECORD_ATTRIBUTES.contains(&f.name.as_str()),
                            field_type: f.field_type,
                            referenced: index_of(f.referenced_type.as_deref()),
                        })
                        .collect(),
                    [None, None],
                ),
                Schema::List(l) => (Vec::new(), [index_of(Some(&l.element_type)), None]),
                Schema::Set(s) => (Vec::new(), [index_of(Some(&s.element_type)), None]),
                Schema::Map(m) => (Vec::new(), [index_of(Some(&m.key_type)), index_of(Some(&m.value_type))]),
            };
            let field_index = PyDict::new(py);
            let attr_index = PyDict::new(py);
            for (i, f) in fields.iter().enumerate() {
                let key = PyString::intern(py, &f.name);
                field_index.set_item(&key, i)?;
                if f.is_attribute {
                    attr_index.set_item(&key, i)?;
                }
            }
            types.push(TypeInfo {
                state: state.clone(),
                name: (*name).to_owned(),
                py_name: PyString::intern(py, name).unbind(),
                kind: schema.kind(),
                schema_text: dsl::to_java_string(schema),
                primary_key: schema.as_object().and_then(|o| o.primary_key.clone()),
                wrapper: is_wrapper(engine, name, 0),
                fields,
                children,
                field_index: field_index.unbind(),
                attr_index: attr_index.unbind(),
            });
        }
        Ok(Shared { state, types })
    }

    fn engine(&self) -> &ReadStateEngine {
        self.state.engine()
    }

    fn type_index(&self, name: &str) -> Option<usize> {
        self.types.binary_search_by(|t| t.name.as_str().cmp(name)).ok()
    }

    /// The type called `name`, as an index in `types`.
    fn index_of(&self, name: &str) -> PyResult<usize> {
        self.type_index(name).ok_or_else(|| not_found(format!("type {name}")))
    }
}

/// A type of a state: what views and records read through.
///
/// Records and views hold the state (`Arc`) but nothing Python-side that refers back to them, so a
/// state is freed as soon as the last object reading it is.
#[derive(Clone)]
struct TypeRef {
    shared: Arc<Shared>,
    /// The type's index in `shared.types`.
    index: usize,
}

impl TypeRef {
    fn info(&self) -> &TypeInfo {
        &self.shared.types[self.index]
    }

    fn type_state(&self) -> PyResult<&TypeReadState> {
        Ok(&self.info().state)
    }

    fn object(&self) -> PyResult<&ObjectTypeReadState> {
        match self.type_state()? {
            TypeReadState::Object(o) => Ok(o),
            _ => Err(invalid(format!("type {} is a {}, not an OBJECT", self.info().name, self.info().kind.name()))),
        }
    }

    fn converter<'a, 'py>(&'a self, py: Python<'py>, plain: bool) -> Converter<'a, 'py> {
        Converter { py, shared: &self.shared, plain }
    }

    fn record(&self, ordinal: u32) -> Record {
        Record { t: self.clone(), ordinal }
    }
}

/// One field of an OBJECT type.
struct FieldMeta {
    name: String,
    /// The name, interned: attribute names in Python code are interned too, so a lookup is usually a
    /// pointer comparison.
    py_name: Py<PyString>,
    /// Reachable as an attribute (not shadowed by a `Record` attribute).
    is_attribute: bool,
    field_type: FieldType,
    /// The referenced type's index in `Shared::types` (None: not a reference, or a type this state
    /// does not have).
    referenced: Option<usize>,
}

/// What is known about a type, computed once per state.
struct TypeInfo {
    /// The type's records (shared with the engine; kept here to skip a lookup by name per read).
    state: Arc<TypeReadState>,
    name: String,
    py_name: Py<PyString>,
    kind: SchemaKind,
    schema_text: String,
    primary_key: Option<Vec<String>>,
    /// Records stand for their one field's value (see the module docs).
    wrapper: bool,
    fields: Vec<FieldMeta>,
    /// LIST/SET: the element type; MAP: the key and value types (indexes in `Shared::types`).
    children: [Option<usize>; 2],
    /// Field name → index, every field (for `record["name"]`).
    field_index: Py<PyDict>,
    /// Field name → index, the fields reachable as attributes.
    attr_index: Py<PyDict>,
}

/// True if records of `type_name` stand for one plain value (see the module docs).
fn is_wrapper(engine: &ReadStateEngine, type_name: &str, depth: u32) -> bool {
    let Some(Schema::Object(s)) = engine.schema(type_name) else { return false };
    match s.fields.as_slice() {
        [f] if f.field_type != FieldType::Reference => true,
        [f] => depth < 8 && f.referenced_type.as_deref().is_some_and(|t| is_wrapper(engine, t, depth + 1)),
        _ => false,
    }
}

/// Converts stored values to Python objects.
struct Converter<'a, 'py> {
    py: Python<'py>,
    shared: &'a Arc<Shared>,
    /// `to_dict`: records become dicts, sets lists.
    plain: bool,
}

impl<'py> Converter<'_, 'py> {
    fn none(&self) -> Bound<'py, PyAny> {
        self.py.None().into_bound(self.py)
    }

    /// Field `i` of OBJECT record `ordinal`. `hashable`: the value must be hashable (set element, map key).
    fn field(
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
    fn record(&self, type_index: usize, ordinal: u32, hashable: bool, depth: u32) -> PyResult<Bound<'py, PyAny>> {
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
                let record = Record { t: TypeRef { shared: self.shared.clone(), index: type_index }, ordinal };
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
    fn object_dict(
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

    fn over(shared: Arc<Shared>) -> ReadState {
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

    /// The records of type `name`. `NotFoundError` if the state has no such type.
    #[pyo3(name = "type")]
    fn type_<'py>(&self, py: Python<'py>, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, TypeView>> {
        // Type names written in code are interned, as ours are: usually a pointer comparison finds it.
        let index = match self.shared.types.iter().position(|t| t.py_name.as_ptr() == name.as_ptr()) {
            Some(i) => i,
            None => self.shared.index_of(&name.to_cow()?)?,
        };
        if let Some(view) = self.views[index].get() {
            return Ok(view.bind(py).clone());
        }
        let view = Py::new(py, TypeView { t: TypeRef { shared: self.shared.clone(), index }, pk: OnceLock::new() })?;
        // Another thread may have made one meanwhile; everyone uses the first.
        let view = self.views[index].get_or_init(|| view);
        Ok(view.bind(py).clone())
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

/// The records of one type in one version.
///
/// `len(view)` counts the records; iterating yields them. For OBJECT types with a primary key,
/// `view.get(key)` / `view[key]` / `key in view` look records up by key (a tuple for a key of several
/// fields).
#[pyclass(module = "hollow", frozen, weakref)]
pub struct TypeView {
    t: TypeRef,
    pk: OnceLock<Arc<CorePkIndex>>,
}

impl TypeView {
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

/// A lookup key field from a Python value.
pub(crate) fn key_value(v: &Bound<'_, PyAny>) -> PyResult<KeyValue<'static>> {
    if v.is_exact_instance_of::<PyInt>() {
        return Ok(KeyValue::Long(v.extract()?));
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(KeyValue::Boolean(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(KeyValue::Long(v.extract()?));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(KeyValue::from(s.to_cow()?.into_owned()));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(KeyValue::Double(v.extract()?));
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(KeyValue::from(b.as_bytes().to_vec()));
    }
    if let Ok(r) = v.cast::<Record>() {
        return Ok(KeyValue::Reference(r.get().ordinal));
    }
    Err(PyTypeError::new_err(format!(
        "a key field must be int, float, bool, str, bytes or a Record, not {}",
        v.get_type().name()?
    )))
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
            Some(ordinal) => Ok(Bound::new(py, self.t.record(ordinal))?.into_any().unbind()),
            None => Ok(default.unwrap_or_else(|| py.None())),
        }
    }

    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Record> {
        match self.find_ordinal(py, key)? {
            Some(ordinal) => Ok(self.t.record(ordinal)),
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
        let i = match info.field_index.bind(py).get_item(field)? {
            Some(i) => i.extract::<usize>()?,
            None => return Err(not_found(format!("field {}.{}", info.name, field))),
        };
        match self.find_ordinal(py, key)? {
            Some(ordinal) => self.t.converter(py, false).field(self.t.object()?, &info.fields[i], ordinal, i, false, 0),
            None => Ok(py.None().into_bound(py)),
        }
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

/// A record: fields as attributes (`movie.title`) or items (`movie["title"]`).
///
/// Records are values: two records are equal when they are the same record (type and ordinal) of the
/// same version, and they hash accordingly. A field whose name clashes with a record attribute
/// (`ordinal`, `type_name`, `to_dict`, ...) is reachable as an item.
#[pyclass(module = "hollow", frozen)]
pub struct Record {
    t: TypeRef,
    ordinal: u32,
}

impl Record {
    fn field_at<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyAny>> {
        let view = &self.t;
        let obj = view.object()?;
        view.converter(py, false).field(obj, &view.info().fields[i], self.ordinal, i, false, 0)
    }

    fn value<'py>(&self, py: Python<'py>, plain: bool) -> PyResult<Bound<'py, PyAny>> {
        let view = &self.t;
        let conv = view.converter(py, plain);
        match view.type_state()? {
            TypeReadState::Object(obj) => Ok(conv.object_dict(obj, view.info(), self.ordinal, 0)?.into_any()),
            _ => conv.record(view.index, self.ordinal, false, 0),
        }
    }
}

#[pymethods]
impl Record {
    /// The record's type name.
    #[getter]
    fn type_name(&self, py: Python<'_>) -> Py<PyString> {
        self.t.info().py_name.clone_ref(py)
    }

    /// The record's ordinal in its type.
    #[getter]
    fn ordinal(&self) -> u32 {
        self.ordinal
    }

    /// The version the record belongs to.
    #[getter]
    fn read_state(&self) -> ReadState {
        ReadState::over(self.t.shared.clone())
    }

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
                let size = list.size(self.ordinal) as i64;
                let i: i64 = key.extract()?;
                let i = if i < 0 { i + size } else { i };
                match (i >= 0).then(|| list.element_ordinal(self.ordinal, i as usize)).flatten() {
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
            TypeReadState::List(l) => l.size(self.ordinal),
            TypeReadState::Set(s) => s.size(self.ordinal),
            TypeReadState::Map(m) => m.size(self.ordinal),
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

    /// An OBJECT record as a dict of plain data (records nested in it become dicts too).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let view = &self.t;
        if view.info().kind != SchemaKind::Object {
            return Err(PyTypeError::new_err(format!(
                "{} is a {}; use to_python()",
                view.info().name,
                view.info().kind.name()
            )));
        }
        self.value(py, true)
    }

    /// The record as plain data: a dict for an OBJECT, a list for a LIST or SET, a dict (or a list of
    /// pairs) for a MAP.
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.value(py, true)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        let Ok(other) = other.cast::<Record>() else { return false };
        let (a, b) = (&self.t, &other.get().t);
        self.ordinal == other.get().ordinal && a.index == b.index && Arc::ptr_eq(&a.shared, &b.shared)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let view = &self.t;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (Arc::as_ptr(&view.shared) as usize, view.index, self.ordinal).hash(&mut h);
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

/// A unique index: the record of a type with a given key.
#[pyclass(module = "hollow", frozen)]
pub struct PrimaryKeyIndex {
    shared: Arc<Shared>,
    type_name: String,
    index: Arc<CorePkIndex>,
}

#[pymethods]
impl PrimaryKeyIndex {
    /// The indexed type.
    #[getter]
    fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The key field paths.
    #[getter]
    fn fields(&self) -> Vec<String> {
        self.index.key_fields().map(str::to_owned).collect()
    }

    /// The record with key `key` (one value per key field), or None.
    #[pyo3(signature = (*key))]
    fn get(&self, key: &Bound<'_, PyTuple>) -> PyResult<Option<Record>> {
        let values = key.iter().map(|v| key_value(&v)).collect::<PyResult<Vec<_>>>()?;
        match self.index.get(self.shared.engine(), &values) {
            Some(ordinal) => {
                let index = self.shared.index_of(&self.type_name)?;
                Ok(Some(TypeRef { shared: self.shared.clone(), index }.record(ordinal)))
            }
            None => Ok(None),
        }
    }
}

/// A hash index: every record of a type with a given key.
#[pyclass(module = "hollow", frozen)]
pub struct HashIndex {
    shared: Arc<Shared>,
    type_name: String,
    index: Arc<CoreHashIndex>,
}

#[pymethods]
impl HashIndex {
    /// The indexed type.
    #[getter]
    fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The key field paths.
    #[getter]
    fn fields(&self) -> Vec<String> {
        self.index.key_fields().map(str::to_owned).collect()
    }

    /// The records with key `key` (one value per key field), by ascending ordinal.
    #[pyo3(signature = (*key))]
    fn find(&self, key: &Bound<'_, PyTuple>) -> PyResult<Vec<Record>> {
        let values = key.iter().map(|v| key_value(&v)).collect::<PyResult<Vec<_>>>()?;
        let ordinals = self.index.find(self.shared.engine(), &values).to_vec();
        if ordinals.is_empty() {
            return Ok(Vec::new());
        }
        let t = TypeRef { shared: self.shared.clone(), index: self.shared.index_of(&self.type_name)? };
        Ok(ordinals.into_iter().map(|ordinal| t.record(ordinal)).collect())
    }
}

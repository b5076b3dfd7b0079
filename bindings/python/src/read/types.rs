//! What a `ReadState` and everything made from it share: the core state and each type's metadata
//! (fields, interned names, referenced types), computed once per version; `TypeRef`, the handle on one
//! type that views and records read through.

use std::sync::Arc;

use hollow::consumer::ReadState as CoreState;
use hollow::read::{ObjectTypeReadState, ReadStateEngine, TypeReadState};
use hollow::schema::{dsl, FieldType, Schema, SchemaKind};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::convert::Converter;
use super::record::Record;
use crate::errors::{invalid, not_found};

/// What a `ReadState` and everything made from it share.
pub(super) struct Shared {
    pub(super) state: Arc<CoreState>,
    /// Every type's metadata, sorted by name; types refer to each other by index here.
    pub(super) types: Vec<TypeInfo>,
}

impl Shared {
    pub(super) fn new(py: Python<'_>, state: Arc<CoreState>) -> PyResult<Self> {
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
                            is_attribute: !f.name.starts_with("__"),
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

    pub(super) fn engine(&self) -> &ReadStateEngine {
        self.state.engine()
    }

    pub(super) fn type_index(&self, name: &str) -> Option<usize> {
        self.types.binary_search_by(|t| t.name.as_str().cmp(name)).ok()
    }

    /// The type called `name`, as an index in `types`.
    pub(super) fn index_of(&self, name: &str) -> PyResult<usize> {
        self.type_index(name).ok_or_else(|| not_found(format!("type {name}")))
    }
}

/// A type of a state: what views and records read through.
///
/// Records and views hold the state (`Arc`) but nothing Python-side that refers back to them, so a
/// state is freed as soon as the last object reading it is.
#[derive(Clone)]
pub(super) struct TypeRef {
    pub(super) shared: Arc<Shared>,
    /// The type's index in `shared.types`.
    pub(super) index: usize,
}

impl TypeRef {
    pub(super) fn info(&self) -> &TypeInfo {
        &self.shared.types[self.index]
    }

    pub(super) fn type_state(&self) -> PyResult<&TypeReadState> {
        Ok(&self.info().state)
    }

    pub(super) fn object(&self) -> PyResult<&ObjectTypeReadState> {
        match self.type_state()? {
            TypeReadState::Object(o) => Ok(o),
            _ => Err(invalid(format!("type {} is a {}, not an OBJECT", self.info().name, self.info().kind.name()))),
        }
    }

    pub(super) fn converter<'a, 'py>(&'a self, py: Python<'py>, plain: bool) -> Converter<'a, 'py> {
        Converter { py, shared: &self.shared, plain }
    }

    pub(super) fn record(&self, ordinal: u32) -> Record {
        Record::new(self.clone(), ordinal)
    }
}

/// One field of an OBJECT type.
pub(super) struct FieldMeta {
    pub(super) name: String,
    /// The name, interned: attribute names in Python code are interned too, so a lookup is usually a
    /// pointer comparison.
    pub(super) py_name: Py<PyString>,
    /// Reachable as an attribute (any name but a dunder: a record has no attributes of its own).
    pub(super) is_attribute: bool,
    pub(super) field_type: FieldType,
    /// The referenced type's index in `Shared::types` (None: not a reference, or a type this state
    /// does not have).
    pub(super) referenced: Option<usize>,
}

/// What is known about a type, computed once per state.
pub(super) struct TypeInfo {
    /// The type's records (shared with the engine; kept here to skip a lookup by name per read).
    pub(super) state: Arc<TypeReadState>,
    pub(super) name: String,
    pub(super) py_name: Py<PyString>,
    pub(super) kind: SchemaKind,
    pub(super) schema_text: String,
    pub(super) primary_key: Option<Vec<String>>,
    /// Records stand for their one field's value (see the `convert` module docs).
    pub(super) wrapper: bool,
    pub(super) fields: Vec<FieldMeta>,
    /// LIST/SET: the element type; MAP: the key and value types (indexes in `Shared::types`).
    pub(super) children: [Option<usize>; 2],
    /// Field name → index, every field (for `record["name"]`).
    pub(super) field_index: Py<PyDict>,
    /// Field name → index, the fields reachable as attributes.
    pub(super) attr_index: Py<PyDict>,
}

impl TypeInfo {
    /// The index of field `name`; `NotFoundError` if the type has none. Names written in Python code
    /// are interned, as ours are, so a pointer comparison usually finds it without hashing.
    pub(super) fn field_position(&self, py: Python<'_>, name: &Bound<'_, PyString>) -> PyResult<usize> {
        if let Some(i) = self.fields.iter().position(|f| f.py_name.as_ptr() == name.as_ptr()) {
            return Ok(i);
        }
        match self.field_index.bind(py).get_item(name)? {
            Some(i) => i.extract(),
            None => Err(not_found(format!("field {}.{}", self.name, name))),
        }
    }
}

/// True if records of `type_name` stand for one plain value (see the `convert` module docs).
fn is_wrapper(engine: &ReadStateEngine, type_name: &str, depth: u32) -> bool {
    let Some(Schema::Object(s)) = engine.schema(type_name) else { return false };
    match s.fields.as_slice() {
        [f] if f.field_type != FieldType::Reference => true,
        [f] => depth < 8 && f.referenced_type.as_deref().is_some_and(|t| is_wrapper(engine, t, depth + 1)),
        _ => false,
    }
}

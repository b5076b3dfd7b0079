//! Lookups by key: `PrimaryKeyIndex` and `HashIndex` (the core's indexes over one version), and lookup
//! keys from Python values.

use std::sync::Arc;

use hollow::index::{HashIndex as CoreHashIndex, KeyValue, PrimaryKeyIndex as CorePkIndex};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString, PyTuple};

use super::record::Record;
use super::types::{Shared, TypeRef};

/// A lookup key field from a Python value.
pub(super) fn key_value(v: &Bound<'_, PyAny>) -> PyResult<KeyValue<'static>> {
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
        return Ok(KeyValue::Reference(r.get().ordinal()));
    }
    Err(PyTypeError::new_err(format!(
        "a key field must be int, float, bool, str, bytes or a Record, not {}",
        v.get_type().name()?
    )))
}
/// A unique index: the record of a type with a given key.
#[pyclass(module = "hollow", frozen)]
pub struct PrimaryKeyIndex {
    pub(super) shared: Arc<Shared>,
    pub(super) type_name: String,
    pub(super) index: Arc<CorePkIndex>,
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
    pub(super) shared: Arc<Shared>,
    pub(super) type_name: String,
    pub(super) index: Arc<CoreHashIndex>,
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

//! Python values to records, guided by the schemas registered in the producer's write engine.
//!
//! | schema        | accepts                                                                        |
//! |---------------|--------------------------------------------------------------------------------|
//! | OBJECT        | a dict (keys are field names; unknown keys are an error), or any object whose   |
//! |               | attributes are the fields (a dataclass, a named tuple, ...); missing = null    |
//! | one-field OBJECT | also the field's value alone (`"Alien"` for `String { string value; }`)    |
//! | LIST, SET     | any iterable but str, bytes and dict                                            |
//! | MAP           | a dict, or an iterable of `(key, value)` pairs                                  |
//!
//! Fields: INT and LONG take `int` (in range), FLOAT and DOUBLE `float` or `int`, BOOLEAN `bool`, STRING
//! `str`, BYTES `bytes`/`bytearray`, a REFERENCE whatever its type accepts; `None` is null everywhere.
//! A `bool` is not taken for a number. Anything else is a `SchemaMismatchError` naming the field.
//!
//! Referenced records are added first (the engine needs their ordinals); each is deduplicated by the
//! engine, so a value shared by many records is stored once.

use std::collections::HashMap;
use std::sync::Arc;

use hollow::producer::WriteState as CoreWriteState;
use hollow::schema::{FieldType, ObjectSchema, Schema};
use hollow::write::{ListRecord, MapRecord, ObjectRecord, SetRecord};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyIterator, PyString};

use crate::errors::{invalid, mismatch, not_found, IntoPy};

/// Deepest nesting of records in one value (a guard against cyclic Python objects).
const MAX_DEPTH: u32 = 128;

/// Schemas copied out of the engine (they are needed while it is borrowed mutably) and object records
/// to reuse. Lives as long as the producer: a registered schema never changes.
#[derive(Default)]
pub(crate) struct WriteCache {
    schemas: HashMap<String, Arc<Schema>>,
    pool: Vec<ObjectRecord>,
}

/// Writes Python values into one cycle's write state.
pub(crate) struct RecordWriter<'w, 'c, 'e> {
    pub(crate) ws: &'w mut CoreWriteState<'e>,
    pub(crate) cache: &'c mut WriteCache,
}

fn type_name_of(value: &Bound<'_, PyAny>) -> String {
    value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

impl RecordWriter<'_, '_, '_> {
    fn schema(&mut self, name: &str) -> PyResult<Arc<Schema>> {
        if let Some(s) = self.cache.schemas.get(name) {
            return Ok(s.clone());
        }
        let schema = self
            .ws
            .engine()
            .schema(name)
            .cloned()
            .ok_or_else(|| not_found(format!("type {name} is not registered with the producer")))?;
        let schema = Arc::new(schema);
        self.cache.schemas.insert(name.to_owned(), schema.clone());
        Ok(schema)
    }

    /// Add `value` as a record of `type_name` (and everything it refers to); its ordinal.
    pub(crate) fn write(&mut self, type_name: &str, value: &Bound<'_, PyAny>, depth: u32) -> PyResult<u32> {
        if depth > MAX_DEPTH {
            return Err(invalid(format!("records nest deeper than {MAX_DEPTH} levels (a cyclic value?)")));
        }
        let schema = self.schema(type_name)?;
        match &*schema {
            Schema::Object(s) => self.write_object(s, value, depth),
            Schema::List(l) => {
                let mut record = ListRecord::new();
                for element in iterate(value, type_name)? {
                    record.add_element(self.write(&l.element_type, &element?, depth + 1)?);
                }
                self.ws.add_list(type_name, &record).py()
            }
            Schema::Set(s) => {
                let mut record = SetRecord::new();
                for element in iterate(value, type_name)? {
                    record.add_element(self.write(&s.element_type, &element?, depth + 1)?);
                }
                self.ws.add_set(type_name, &record).py()
            }
            Schema::Map(m) => {
                let mut record = MapRecord::new();
                let items = match value.cast::<PyDict>() {
                    Ok(d) => d.items().into_any(),
                    Err(_) => value.clone(),
                };
                for pair in iterate(&items, type_name)? {
                    let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair?.extract().map_err(|_| {
                        mismatch(format!("a MAP record of {type_name} takes a dict or (key, value) pairs"))
                    })?;
                    let key = self.write(&m.key_type, &k, depth + 1)?;
                    let value = self.write(&m.value_type, &v, depth + 1)?;
                    record.add_entry(key, value);
                }
                self.ws.add_map(type_name, &record).py()
            }
        }
    }

    fn write_object(&mut self, schema: &ObjectSchema, value: &Bound<'_, PyAny>, depth: u32) -> PyResult<u32> {
        let mut record = self.cache.pool.pop().unwrap_or_default();
        record.clear();
        let result = self.fill_object(&mut record, schema, value, depth);
        let result = result.and_then(|()| self.ws.add_object(&schema.name, &record).py());
        self.cache.pool.push(record);
        result
    }

    fn fill_object(
        &mut self,
        record: &mut ObjectRecord,
        schema: &ObjectSchema,
        value: &Bound<'_, PyAny>,
        depth: u32,
    ) -> PyResult<()> {
        if let Ok(dict) = value.cast::<PyDict>() {
            let mut found = 0;
            for (i, f) in schema.fields.iter().enumerate() {
                if let Some(v) = dict.get_item(&f.name)? {
                    found += 1;
                    self.set_field(record, schema, i, &v, depth)?;
                }
            }
            if found < dict.len() {
                let unknown = dict
                    .keys()
                    .iter()
                    .map(|k| k.str().map(|s| s.to_string()).unwrap_or_default())
                    .find(|k| schema.field_index(k).is_none())
                    .unwrap_or_default();
                return Err(mismatch(format!("type {} has no field {unknown:?}", schema.name)));
            }
            return Ok(());
        }
        if schema.fields.len() == 1 && is_plain(value) {
            return self.set_field(record, schema, 0, value, depth);
        }
        for (i, f) in schema.fields.iter().enumerate() {
            match value.getattr(f.name.as_str()) {
                Ok(v) => self.set_field(record, schema, i, &v, depth)?,
                Err(e) if e.is_instance_of::<pyo3::exceptions::PyAttributeError>(value.py()) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn set_field(
        &mut self,
        record: &mut ObjectRecord,
        schema: &ObjectSchema,
        i: usize,
        v: &Bound<'_, PyAny>,
        depth: u32,
    ) -> PyResult<()> {
        if v.is_none() {
            record.set_null(i);
            return Ok(());
        }
        let field = &schema.fields[i];
        let wrong = || {
            mismatch(format!(
                "field {}.{} is {}; cannot set it to a {} ({})",
                schema.name,
                field.name,
                field.field_type.java_name(),
                type_name_of(v),
                v.repr().map(|r| r.to_string()).unwrap_or_default()
            ))
        };
        let is_number = || v.is_instance_of::<PyInt>() && !v.is_instance_of::<PyBool>();
        match field.field_type {
            FieldType::Int => {
                if !is_number() {
                    return Err(wrong());
                }
                record.set_int(i, v.extract::<i32>().map_err(|_| wrong())?);
            }
            FieldType::Long => {
                if !is_number() {
                    return Err(wrong());
                }
                record.set_long(i, v.extract::<i64>().map_err(|_| wrong())?);
            }
            FieldType::Float => {
                if !(is_number() || v.is_instance_of::<PyFloat>()) {
                    return Err(wrong());
                }
                record.set_float(i, v.extract::<f64>()? as f32);
            }
            FieldType::Double => {
                if !(is_number() || v.is_instance_of::<PyFloat>()) {
                    return Err(wrong());
                }
                record.set_double(i, v.extract::<f64>()?);
            }
            FieldType::Boolean => {
                let b = v.cast::<PyBool>().map_err(|_| wrong())?;
                record.set_boolean(i, b.is_true());
            }
            FieldType::String => {
                let s = v.cast::<PyString>().map_err(|_| wrong())?;
                record.set_string(i, &s.to_cow()?);
            }
            FieldType::Bytes => {
                if let Ok(b) = v.cast::<PyBytes>() {
                    record.set_bytes(i, b.as_bytes());
                } else if let Ok(b) = v.cast::<PyByteArray>() {
                    record.set_bytes(i, &b.to_vec());
                } else {
                    return Err(wrong());
                }
            }
            FieldType::Reference => {
                let target = field.referenced_type.as_deref().unwrap_or_default();
                let ordinal = self.write(target, v, depth + 1)?;
                record.set_reference(i, ordinal);
            }
        }
        Ok(())
    }
}

/// A scalar: what a one-field OBJECT takes in place of a record.
fn is_plain(v: &Bound<'_, PyAny>) -> bool {
    v.is_instance_of::<PyString>()
        || v.is_instance_of::<PyInt>()
        || v.is_instance_of::<PyFloat>()
        || v.is_instance_of::<PyBytes>()
        || v.is_instance_of::<PyByteArray>()
}

/// The elements of a collection value; str, bytes and dict are not collections here.
fn iterate<'py>(value: &Bound<'py, PyAny>, type_name: &str) -> PyResult<Bound<'py, PyIterator>> {
    let not_a_collection = value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyByteArray>()
        || value.is_instance_of::<PyDict>();
    if not_a_collection {
        return Err(mismatch(format!("a record of {type_name} takes a collection, not a {}", type_name_of(value))));
    }
    value
        .try_iter()
        .map_err(|_| mismatch(format!("a record of {type_name} takes a collection, not a {}", type_name_of(value))))
}

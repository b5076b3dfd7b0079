//! [`HollowRecord`]: the Hollow type a serde type is read from, and [`RecordKey`]: primary-key values
//! given as plain Rust values.
//!
//! Typed reads (`state.get_as::<Movie>(id)`, `state.index::<Movie>()`, `state.iter::<Movie>()`) need
//! the Hollow type name of `Movie` and its schemas. They come from the mapper's derivation (the same
//! [`ObjectMapper`] tracing that names and shapes the type when it is written), done once per Rust type
//! and cached for the life of the process, so a typed read after the first costs no derivation.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::derive;
use super::ObjectMapper;
use crate::error::{Error, Result};
use crate::index::KeyValue;
use crate::read::ReadStateEngine;
use crate::schema::Schema;

/// What the default [`ObjectMapper`] derives for a Rust type: the Hollow type its values are records
/// of, and every schema it needs (dependencies first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedType {
    /// The Hollow type name (`Movie` for `struct Movie`, `ListOfString` for `Vec<String>`).
    pub type_name: String,
    /// The derived schemas, dependencies first; the last is `type_name`'s.
    pub schemas: Vec<Schema>,
}

impl DerivedType {
    /// The same derivation with its root type named `type_name` (as
    /// [`ObjectMapper::rename_type`] would have named it).
    pub fn renamed(&self, type_name: &str) -> DerivedType {
        let mut schemas = self.schemas.clone();
        if let Some(root) = schemas.iter_mut().find(|s| s.name() == self.type_name) {
            match root {
                Schema::Object(s) => s.name = type_name.to_owned(),
                Schema::List(s) => s.name = type_name.to_owned(),
                Schema::Set(s) => s.name = type_name.to_owned(),
                Schema::Map(s) => s.name = type_name.to_owned(),
            }
        }
        DerivedType { type_name: type_name.to_owned(), schemas }
    }

    /// Check that records of this state can be read as the Rust type: its root type exists, and every
    /// derived type the state has is of the same kind, with the same element types, and with no field
    /// of the same name but another kind. Fields the state lacks are allowed (they read as missing, so
    /// an `Option` field reads `None`), as are fields the Rust type does not know.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the state has no type of that name; [`Error::SchemaMismatch`] when a
    /// type or field disagrees.
    pub fn check_readable(&self, engine: &ReadStateEngine, rust_type: &str) -> Result<()> {
        if engine.schema(&self.type_name).is_none() {
            return Err(Error::NotFound(format!(
                "type {} (the Hollow type of {rust_type}) is not in the read state",
                self.type_name
            )));
        }
        let derived_type = |name: &str| self.schemas.iter().find(|s| s.name() == name);
        let existing_type = |name: &str| engine.schema(name);
        for derived in &self.schemas {
            if let Some(existing) = engine.schema(derived.name()) {
                derive::check_readable(derived, existing, &derived_type, &existing_type)
                    .map_err(|e| Error::SchemaMismatch(format!("reading {rust_type}: {e}")))?;
            }
        }
        Ok(())
    }
}

/// A Rust type that typed reads can return: every `Serialize + DeserializeOwned` type, through the
/// default [`ObjectMapper`]'s derivation (`struct Movie` is read from the Hollow type `Movie`, with
/// the field names serde gives it).
///
/// Implemented automatically. A type stored under another Hollow name (written with
/// [`ObjectMapper::rename_type`]) is read with [`ReadState::records_of`](crate::ReadState::records_of),
/// which takes the name.
pub trait HollowRecord: DeserializeOwned + 'static {
    /// The Hollow type and schemas of `Self`, derived on first use and cached.
    ///
    /// # Errors
    /// [`Error::Schema`] when the type cannot be traced (see the [mapper](super) documentation).
    fn hollow_type() -> Result<Arc<DerivedType>>;
}

impl<T: Serialize + DeserializeOwned + 'static> HollowRecord for T {
    fn hollow_type() -> Result<Arc<DerivedType>> {
        static CACHE: OnceLock<RwLock<HashMap<TypeId, Arc<DerivedType>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let id = TypeId::of::<T>();
        if let Some(found) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
            return Ok(found.clone());
        }
        let mut mapper = ObjectMapper::new();
        let type_name = mapper.derive::<T>()?;
        let derived = Arc::new(DerivedType { type_name, schemas: mapper.schemas().to_vec() });
        cache.write().unwrap_or_else(|e| e.into_inner()).insert(id, derived.clone());
        Ok(derived)
    }
}

/// One field of a key as a plain value: numbers, booleans, strings.
pub trait KeyPart {
    /// The value as a [`KeyValue`] borrowing from `self`.
    fn key_value(&self) -> KeyValue<'_>;
}

macro_rules! key_part_by_copy {
    ($($t:ty),*) => {$(
        impl KeyPart for $t {
            fn key_value(&self) -> KeyValue<'_> {
                KeyValue::from(*self)
            }
        }
    )*};
}
key_part_by_copy!(i32, i64, f32, f64, bool);

impl KeyPart for str {
    fn key_value(&self) -> KeyValue<'_> {
        KeyValue::from(self)
    }
}

impl KeyPart for String {
    fn key_value(&self) -> KeyValue<'_> {
        KeyValue::from(self.as_str())
    }
}

impl KeyPart for KeyValue<'_> {
    fn key_value(&self) -> KeyValue<'_> {
        self.clone()
    }
}

impl<P: KeyPart + ?Sized> KeyPart for &P {
    fn key_value(&self) -> KeyValue<'_> {
        (**self).key_value()
    }
}

/// A whole primary key: one [`KeyPart`] (`42`, `"Alice"`, `&id`) for a key of one field, a tuple
/// (`("21 Laps", "Los Angeles")`) or a slice of [`KeyValue`]s for a key of several.
///
/// Keys of one or a few parts are handed to the index from the stack: a lookup does not allocate.
pub trait RecordKey {
    /// Call `f` with the key's values, in the order of the key's fields.
    fn with_values<R>(&self, f: impl FnOnce(&[KeyValue<'_>]) -> R) -> R;
}

impl<P: KeyPart + ?Sized> RecordKey for P {
    fn with_values<R>(&self, f: impl FnOnce(&[KeyValue<'_>]) -> R) -> R {
        f(&[self.key_value()])
    }
}

impl RecordKey for [KeyValue<'_>] {
    fn with_values<R>(&self, f: impl FnOnce(&[KeyValue<'_>]) -> R) -> R {
        f(self)
    }
}

impl RecordKey for Vec<KeyValue<'_>> {
    fn with_values<R>(&self, f: impl FnOnce(&[KeyValue<'_>]) -> R) -> R {
        f(self)
    }
}

impl<const N: usize> RecordKey for [KeyValue<'_>; N] {
    fn with_values<R>(&self, f: impl FnOnce(&[KeyValue<'_>]) -> R) -> R {
        f(self)
    }
}

impl<A: KeyPart, B: KeyPart> RecordKey for (A, B) {
    fn with_values<R>(&self, f: impl FnOnce(&[KeyValue<'_>]) -> R) -> R {
        f(&[self.0.key_value(), self.1.key_value()])
    }
}

impl<A: KeyPart, B: KeyPart, C: KeyPart> RecordKey for (A, B, C) {
    fn with_values<R>(&self, f: impl FnOnce(&[KeyValue<'_>]) -> R) -> R {
        f(&[self.0.key_value(), self.1.key_value(), self.2.key_value()])
    }
}

//! Typed reads of a [`ReadState`]: records as serde types, by primary key, through an index, or all
//! of a type.
//!
//! ```
//! # use std::sync::Arc;
//! # use hollow::{Consumer, InMemoryBlobStore, ObjectMapper, Producer};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Movie { id: i64, title: String }
//!
//! # fn main() -> hollow::Result<()> {
//! # let store = Arc::new(InMemoryBlobStore::new());
//! # let mapper = ObjectMapper::new().primary_key("Movie", ["id"]);
//! # let mut producer = Producer::builder(store.clone()).with_announcer(store.clone()).with_object_mapper(mapper).build()?;
//! # producer.run_cycle(|ws| { ws.add(&Movie { id: 1, title: "Alien".into() })?; Ok(()) })?;
//! # let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
//! # consumer.refresh()?;
//! let state = consumer.read_state().expect("refreshed");
//! let alien: Option<Movie> = state.get_as::<Movie>(1_i64)?;
//! assert_eq!(alien.unwrap().title, "Alien");
//!
//! // Repeated lookups: hold the typed index (the type is resolved and checked once).
//! let movies = state.index::<Movie>()?;
//! assert!(movies.get(&1_i64)?.is_some() && movies.get(&2_i64)?.is_none());
//!
//! let all: Vec<Movie> = state.iter::<Movie>()?.collect::<hollow::Result<_>>()?;
//! assert_eq!(all.len(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! The Hollow type comes from [`HollowRecord`] (the mapper's derivation of the Rust type); a typed
//! handle checks once that the state's schemas can be read as the Rust type, so a wrong type is an
//! [`Error::NotFound`] or [`Error::SchemaMismatch`] up front rather than on some record.

use std::marker::PhantomData;
use std::sync::Arc;

use super::ReadState;
use crate::error::{Error, Result};
use crate::index::PrimaryKeyIndex;
use crate::mapper::{self, DerivedType, HollowRecord, RecordKey};
use crate::read::TypeReadState;

/// The records of one type of a [`ReadState`], read as `T`. From [`ReadState::records`] or
/// [`ReadState::records_of`].
#[derive(Debug)]
pub struct Records<'s, T> {
    state: &'s ReadState,
    type_name: Arc<str>,
    _record: PhantomData<fn() -> T>,
}

impl<T> Clone for Records<'_, T> {
    fn clone(&self) -> Self {
        Records { state: self.state, type_name: self.type_name.clone(), _record: PhantomData }
    }
}

impl<'s, T: HollowRecord> Records<'s, T> {
    fn new(state: &'s ReadState, derived: &DerivedType) -> Result<Self> {
        derived.check_readable(state.engine(), std::any::type_name::<T>())?;
        Ok(Records { state, type_name: derived.type_name.as_str().into(), _record: PhantomData })
    }

    /// The Hollow type read.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    fn type_state(&self) -> &'s TypeReadState {
        self.state.engine().type_state(&self.type_name).expect("checked when the handle was made")
    }

    /// Number of records of the type.
    pub fn len(&self) -> usize {
        self.type_state().populated().count()
    }

    /// True when the type has no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record `ordinal`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no record has that ordinal; [`Error::SchemaMismatch`] when the record
    /// does not fit `T`.
    pub fn by_ordinal(&self, ordinal: u32) -> Result<T> {
        if !self.type_state().populated().contains(ordinal) {
            return Err(Error::NotFound(format!("{} has no record {ordinal}", self.type_name)));
        }
        mapper::get(self.state.engine(), &self.type_name, ordinal)
    }

    /// Every record, in ordinal order.
    pub fn iter(&self) -> impl Iterator<Item = Result<T>> + 's {
        let (engine, type_name) = (self.state.engine(), self.type_name.clone());
        self.type_state().populated().iter().map(move |ordinal| mapper::get(engine, &type_name, ordinal))
    }

    /// The type's primary-key index (the schema's `@PrimaryKey`), built on first use and kept current
    /// by the consumer.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the type has no primary key or is not an OBJECT type.
    pub fn index(&self) -> Result<TypedIndex<'s, T>> {
        let index = self.state.primary_key_index(&self.type_name)?;
        Ok(TypedIndex { records: self.clone(), index })
    }

    /// The record whose primary key is `key` (see [`RecordKey`]), if there is one.
    ///
    /// # Errors
    /// As [`index`](Self::index) and [`TypedIndex::get`].
    pub fn get(&self, key: impl RecordKey) -> Result<Option<T>> {
        self.index()?.get(key)
    }
}

/// A primary-key index read as `T`: [`get`](Self::get) returns the record itself. From
/// [`ReadState::index`] or [`Records::index`]; holding it skips the type and index lookups.
#[derive(Debug, Clone)]
pub struct TypedIndex<'s, T> {
    records: Records<'s, T>,
    index: Arc<PrimaryKeyIndex>,
}

impl<T: HollowRecord> TypedIndex<'_, T> {
    /// The ordinal of the record whose key is `key`, if any. A key of the wrong length or kinds
    /// matches nothing.
    pub fn ordinal(&self, key: impl RecordKey) -> Option<u32> {
        let engine = self.records.state.engine();
        key.with_values(|values| self.index.get(engine, values))
    }

    /// The record whose key is `key`, read as `T`.
    ///
    /// # Errors
    /// [`Error::SchemaMismatch`] when the record does not fit `T`.
    pub fn get(&self, key: impl RecordKey) -> Result<Option<T>> {
        self.ordinal(key).map(|ordinal| self.records.by_ordinal(ordinal)).transpose()
    }

    /// The underlying untyped index.
    pub fn untyped(&self) -> &Arc<PrimaryKeyIndex> {
        &self.index
    }
}

impl ReadState {
    /// The records of `T`'s Hollow type (see [`HollowRecord`]), read as `T`.
    ///
    /// # Errors
    /// [`Error::Schema`] when `T` cannot be traced; [`Error::NotFound`] when the state has no such
    /// type; [`Error::SchemaMismatch`] when its schemas do not fit `T`.
    pub fn records<T: HollowRecord>(&self) -> Result<Records<'_, T>> {
        Records::new(self, &*T::hollow_type()?)
    }

    /// [`records`](Self::records) of the Hollow type `type_name`, for a Rust type stored under another
    /// name ([`ObjectMapper::rename_type`](crate::ObjectMapper::rename_type)).
    ///
    /// # Errors
    /// As [`records`](Self::records).
    pub fn records_of<T: HollowRecord>(&self, type_name: &str) -> Result<Records<'_, T>> {
        let derived = T::hollow_type()?.renamed(type_name);
        Records::new(self, &derived)
    }

    /// The record of `T` whose primary key is `key`: `state.get_as::<Movie>(42_i64)`,
    /// `state.get_as::<Studio>(("21 Laps", "Los Angeles"))`. For many lookups hold
    /// [`index`](Self::index) instead.
    ///
    /// # Errors
    /// As [`records`](Self::records) and [`Records::index`].
    pub fn get_as<T: HollowRecord>(&self, key: impl RecordKey) -> Result<Option<T>> {
        self.records::<T>()?.get(key)
    }

    /// The primary-key index of `T`'s type, returning records as `T`.
    ///
    /// # Errors
    /// As [`records`](Self::records) and [`Records::index`].
    pub fn index<T: HollowRecord>(&self) -> Result<TypedIndex<'_, T>> {
        self.records::<T>()?.index()
    }

    /// Every record of `T`'s type, read as `T`, in ordinal order.
    ///
    /// # Errors
    /// As [`records`](Self::records); each item fails with [`Error::SchemaMismatch`] when its record
    /// does not fit `T`.
    pub fn iter<T: HollowRecord>(&self) -> Result<impl Iterator<Item = Result<T>> + '_> {
        Ok(self.records::<T>()?.iter())
    }
}

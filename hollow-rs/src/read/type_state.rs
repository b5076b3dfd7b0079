//! A type state of any kind: the dispatch over the four kinds, above them. What the kinds share lives
//! below them, in `body`, so that no kind imports this module.

use super::body::TypeCore;
use super::list::ListTypeReadState;
use super::map::MapTypeReadState;
use super::object::ObjectTypeReadState;
use super::populated::PopulatedOrdinals;
use super::set::SetTypeReadState;
use crate::memory::{BlobBuffer, SharedBytes};
use crate::schema::Schema;

/// The state of one type.
#[derive(Debug, Clone)]
pub enum TypeReadState {
    /// An OBJECT type.
    Object(ObjectTypeReadState),
    /// A LIST type.
    List(ListTypeReadState),
    /// A SET type.
    Set(SetTypeReadState),
    /// A MAP type.
    Map(MapTypeReadState),
}

impl TypeReadState {
    fn core(&self) -> &TypeCore {
        match self {
            TypeReadState::Object(s) => &s.core,
            TypeReadState::List(s) => &s.inner.core,
            TypeReadState::Set(s) => &s.inner.core,
            TypeReadState::Map(s) => &s.inner.core,
        }
    }

    fn core_mut(&mut self) -> &mut TypeCore {
        match self {
            TypeReadState::Object(s) => &mut s.core,
            TypeReadState::List(s) => &mut s.inner.core,
            TypeReadState::Set(s) => &mut s.inner.core,
            TypeReadState::Map(s) => &mut s.inner.core,
        }
    }

    /// The type's schema (as of the snapshot it was loaded from: deltas never change it).
    pub fn schema(&self) -> &Schema {
        &self.core().schema
    }

    /// The type's name.
    pub fn name(&self) -> &str {
        self.core().schema.name()
    }

    /// Number of shards.
    pub fn num_shards(&self) -> u32 {
        self.core().sharding.num_shards()
    }

    /// The largest ordinal with data (populated or ghost), -1 if none. After a reverse delta this is
    /// the newer state's value, as in Java (the reverse delta carries it).
    pub fn max_ordinal(&self) -> i32 {
        self.core().max_ordinal
    }

    /// The populated ordinals.
    pub fn populated(&self) -> &PopulatedOrdinals {
        &self.core().populated
    }

    /// Number of shards whose records are read in place from a file mapping (see [`crate::mapped`]).
    pub fn mapped_shards(&self) -> usize {
        match self {
            TypeReadState::Object(s) => s.mapped_shards(),
            TypeReadState::List(s) => s.inner.mapped_shards(),
            TypeReadState::Set(s) => s.inner.mapped_shards(),
            TypeReadState::Map(s) => s.inner.mapped_shards(),
        }
    }

    /// Every array of the type's records, and its populated set's.
    pub(crate) fn for_each_storage(&self, f: &mut dyn FnMut(&SharedBytes)) {
        f(self.populated().storage());
        match self {
            TypeReadState::Object(s) => s.for_each_storage(f),
            TypeReadState::List(s) => s.inner.for_each_storage(f),
            TypeReadState::Set(s) => s.inner.for_each_storage(f),
            TypeReadState::Map(s) => s.inner.for_each_storage(f),
        }
    }

    /// This state with its windows into the buffers `release` picks copied to arrays of their own.
    pub(crate) fn with_windows_detached(&self, release: &dyn Fn(&BlobBuffer) -> bool) -> TypeReadState {
        let mut next = self.with_shard_windows_detached(release);
        let core = next.core_mut();
        core.populated = core.populated.with_windows_detached(release);
        next
    }

    fn with_shard_windows_detached(&self, release: &dyn Fn(&BlobBuffer) -> bool) -> TypeReadState {
        match self {
            TypeReadState::Object(s) => TypeReadState::Object(s.with_windows_detached(release)),
            TypeReadState::List(s) => {
                TypeReadState::List(ListTypeReadState { inner: s.inner.with_windows_detached(release) })
            }
            TypeReadState::Set(s) => {
                TypeReadState::Set(SetTypeReadState { inner: s.inner.with_windows_detached(release) })
            }
            TypeReadState::Map(s) => {
                TypeReadState::Map(MapTypeReadState { inner: s.inner.with_windows_detached(release) })
            }
        }
    }

    /// Approximate bytes of memory held by the type's records (shared shards count in full).
    pub fn approximate_heap_bytes(&self) -> usize {
        match self {
            TypeReadState::Object(s) => s.approximate_heap_bytes(),
            TypeReadState::List(s) => s.inner.heap_bytes(),
            TypeReadState::Set(s) => s.inner.heap_bytes(),
            TypeReadState::Map(s) => s.inner.heap_bytes(),
        }
    }
}

#[cfg(test)]
impl TypeReadState {
    /// This state spread over `num_shards` shards, records unchanged.
    pub(crate) fn with_num_shards(&self, num_shards: u32) -> TypeReadState {
        match self {
            TypeReadState::Object(s) => TypeReadState::Object(s.with_num_shards(num_shards)),
            TypeReadState::List(s) => {
                TypeReadState::List(ListTypeReadState { inner: s.inner.with_num_shards(num_shards) })
            }
            TypeReadState::Set(s) => {
                TypeReadState::Set(SetTypeReadState { inner: s.inner.with_num_shards(num_shards) })
            }
            TypeReadState::Map(s) => {
                TypeReadState::Map(MapTypeReadState { inner: s.inner.with_num_shards(num_shards) })
            }
        }
    }
}

//! LIST type states: ordered sequences of references.

use super::collection::CollectionState;
use super::collection_data::CollectionKind;
use super::populated::PopulatedOrdinals;
use crate::encoding::ByteReader;
use crate::error::Result;
use crate::schema::{ListSchema, Schema};

/// A LIST type. A record without data reads as an empty list.
#[derive(Debug, Clone)]
pub struct ListTypeReadState {
    pub(crate) inner: CollectionState,
}

impl ListTypeReadState {
    pub(crate) fn read_snapshot(r: &mut ByteReader<'_>, schema: ListSchema, num_shards: u32) -> Result<Self> {
        let inner = CollectionState::read_snapshot(r, Schema::List(schema), CollectionKind::List, num_shards)?;
        Ok(ListTypeReadState { inner })
    }

    pub(crate) fn apply_delta(&self, r: &mut ByteReader<'_>, num_shards: u32) -> Result<Self> {
        Ok(ListTypeReadState { inner: self.inner.apply_delta(r, num_shards)? })
    }

    /// The type's schema.
    pub fn schema(&self) -> &ListSchema {
        match &*self.inner.core.schema {
            Schema::List(s) => s,
            _ => unreachable!("a LIST type state is only ever built from a LIST schema"),
        }
    }

    /// The largest ordinal with data, -1 if none.
    pub fn max_ordinal(&self) -> i32 {
        self.inner.core.max_ordinal
    }

    /// The populated ordinals.
    pub fn populated(&self) -> &PopulatedOrdinals {
        &self.inner.core.populated
    }

    /// Number of elements of list `ordinal`.
    #[inline]
    pub fn size(&self, ordinal: u32) -> usize {
        self.inner.range(ordinal).map_or(0, |(_, start, end)| (end - start) as usize)
    }

    /// The ordinal of element `index` of list `ordinal`.
    #[inline]
    pub fn element_ordinal(&self, ordinal: u32, index: usize) -> Option<u32> {
        let (data, start, end) = self.inner.range(ordinal)?;
        let i = start.checked_add(index as u64).filter(|&i| i < end)?;
        Some(data.element(i) as u32)
    }

    /// The element ordinals of list `ordinal`, in order.
    pub fn elements(&self, ordinal: u32) -> impl Iterator<Item = u32> + '_ {
        let range = self.inner.range(ordinal);
        let (start, end) = range.map_or((0, 0), |(_, s, e)| (s, e));
        (start..end).filter_map(move |i| range.map(|(data, _, _)| data.element(i) as u32))
    }
}

//! LIST type states: ordered sequences of references.

use super::collection::{collection_state_basics, CollectionState};

/// A LIST type. A record without data reads as an empty list.
#[derive(Debug, Clone)]
pub struct ListTypeReadState {
    pub(crate) inner: CollectionState,
}

collection_state_basics!(ListTypeReadState, ListSchema, List);

impl ListTypeReadState {
    /// Number of elements of list `ordinal`.
    #[inline]
    pub fn size(&self, ordinal: u32) -> usize {
        self.inner.range_len(ordinal)
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

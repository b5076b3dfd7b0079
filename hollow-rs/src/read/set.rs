//! SET type states: per record, an open-addressing hash table of element ordinals.
//!
//! Iteration is in bucket order, Hollow's iteration order. A record's table has
//! `HashCodes.hashTableSize(size)` buckets, a power of two; an empty bucket holds all ones. Lookups
//! probe linearly from a home bucket, wrapping inside the record's buckets (see [`lookup`](crate::read::lookup)).

use super::collection::{collection_state_basics, CollectionState};
use crate::encoding::hash::hash_int;

/// A SET type. A record without data reads as an empty set with no buckets.
#[derive(Debug, Clone)]
pub struct SetTypeReadState {
    pub(crate) inner: CollectionState,
}

collection_state_basics!(SetTypeReadState, SetSchema, Set);

impl SetTypeReadState {
    /// Number of elements of set `ordinal`.
    #[inline]
    pub fn size(&self, ordinal: u32) -> usize {
        self.inner.stored_size(ordinal)
    }

    /// Number of buckets in the record's table: `HashCodes.hashTableSize(size)` for a populated record.
    #[inline]
    pub fn num_buckets(&self, ordinal: u32) -> usize {
        self.inner.range_len(ordinal)
    }

    /// The element in bucket `bucket`, or `None` if the bucket is empty or out of range (Java's
    /// `relativeBucketValue`, with -1 as `None`).
    #[inline]
    pub fn bucket(&self, ordinal: u32, bucket: usize) -> Option<u32> {
        let (data, start, end) = self.inner.range(ordinal)?;
        let i = start.checked_add(bucket as u64).filter(|&i| i < end)?;
        let v = data.element(i);
        (v != data.empty_bucket()).then_some(v as u32)
    }

    /// Elements in bucket order (Hollow's iteration order).
    pub fn elements(&self, ordinal: u32) -> impl Iterator<Item = u32> + '_ {
        let range = self.inner.range(ordinal);
        let (start, end) = range.map_or((0, 0), |(_, s, e)| (s, e));
        (start..end).filter_map(move |i| {
            let (data, _, _) = range?;
            let v = data.element(i);
            (v != data.empty_bucket()).then_some(v as u32)
        })
    }

    /// Probe the table of set `ordinal` from the bucket `hash` selects, returning the first element
    /// for which `matches` holds. Stops at an empty bucket, or after visiting every bucket.
    #[inline]
    pub(crate) fn probe(&self, ordinal: u32, hash: i32, matches: impl FnMut(u32) -> bool) -> Option<u32> {
        self.inner.probe(ordinal, hash, matches).map(|(element, _, _)| element)
    }

    /// True when set `ordinal` holds element `element`, for a set without a hash key: the element's
    /// home bucket is `hashInt(element) & (buckets - 1)`, as Java's `HollowSetTypeReadState.contains`.
    /// For a set with a hash key use [`set_contains`](crate::read::lookup::set_contains), which knows where such elements
    /// are placed.
    pub fn contains_ordinal(&self, ordinal: u32, element: u32) -> bool {
        self.probe(ordinal, hash_int(element as i32), |v| v == element).is_some()
    }
}

//! MAP type states: per record, an open-addressing hash table of (key ordinal, value ordinal).
//!
//! Buckets are hashed on the key; an empty bucket has an all-ones key. Iteration is in bucket order.

use super::collection::{collection_state_basics, CollectionState};
use crate::encoding::hash::hash_int;

/// A MAP type. A record without data reads as an empty map with no buckets.
#[derive(Debug, Clone)]
pub struct MapTypeReadState {
    pub(crate) inner: CollectionState,
}

collection_state_basics!(MapTypeReadState, MapSchema, Map);

impl MapTypeReadState {
    /// Number of entries of map `ordinal`.
    #[inline]
    pub fn size(&self, ordinal: u32) -> usize {
        self.inner.stored_size(ordinal)
    }

    /// Number of buckets in the record's table: `HashCodes.hashTableSize(size)` for a populated record.
    #[inline]
    pub fn num_buckets(&self, ordinal: u32) -> usize {
        self.inner.range_len(ordinal)
    }

    /// The (key, value) in bucket `bucket`, or `None` if the bucket is empty or out of range.
    #[inline]
    pub fn bucket(&self, ordinal: u32, bucket: usize) -> Option<(u32, u32)> {
        let (data, start, end) = self.inner.range(ordinal)?;
        let i = start.checked_add(bucket as u64).filter(|&i| i < end)?;
        let k = data.element(i);
        (k != data.empty_bucket()).then(|| (k as u32, data.value(i) as u32))
    }

    /// Entries in bucket order.
    pub fn entries(&self, ordinal: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let range = self.inner.range(ordinal);
        let (start, end) = range.map_or((0, 0), |(_, s, e)| (s, e));
        (start..end).filter_map(move |i| {
            let (data, _, _) = range?;
            let k = data.element(i);
            (k != data.empty_bucket()).then(|| (k as u32, data.value(i) as u32))
        })
    }

    /// Probe the table of map `ordinal` from the bucket `hash` selects, returning the first entry whose
    /// key satisfies `matches`. Stops at an empty bucket, or after visiting every bucket.
    #[inline]
    pub(crate) fn probe(&self, ordinal: u32, hash: i32, matches: impl FnMut(u32) -> bool) -> Option<(u32, u32)> {
        self.inner.probe(ordinal, hash, matches).map(|(key, data, i)| (key, data.value(i) as u32))
    }

    /// The value for key ordinal `key` in map `ordinal`, for a map without a hash key: the home bucket
    /// is `hashInt(key) & (buckets - 1)`, as Java's `HollowMapTypeReadState.get`. For a map with a hash
    /// key use [`find_map_entry`](crate::read::lookup::find_map_entry) or [`map_get`](crate::read::lookup::map_get).
    pub fn get_by_key_ordinal(&self, ordinal: u32, key: u32) -> Option<u32> {
        self.probe(ordinal, hash_int(key as i32), |k| k == key).map(|(_, v)| v)
    }
}

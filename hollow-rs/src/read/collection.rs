//! What LIST, SET and MAP type states share: sharded records of element ranges.

use std::sync::Arc;

use super::body::{discard_body, read_snapshot_body, DeltaBody, TypeCore};
use super::collection_data::{self, CollectionDeltaShard, CollectionKind, CollectionShard, CollectionShardData};
use super::shard_arrays::{self, ShardArrays};
use super::sharding::{DeltaDirection, Sharding};
use crate::encoding::ByteReader;
use crate::error::Result;
use crate::memory::{BlobBuffer, SharedBytes};
use crate::schema::Schema;

/// The sharded records of a LIST, SET or MAP type.
#[derive(Debug, Clone)]
pub(crate) struct CollectionState {
    pub(crate) core: TypeCore,
    kind: CollectionKind,
    shards: Vec<CollectionShard>,
}

impl CollectionState {
    pub(crate) fn read_snapshot(
        r: &mut ByteReader<'_>,
        schema: Schema,
        kind: CollectionKind,
        num_shards: u32,
    ) -> Result<Self> {
        let (core, shards) = read_snapshot_body(
            r,
            Arc::new(schema),
            num_shards,
            |r| {
                let data = CollectionShardData::read_snapshot(r, kind)?;
                Ok(CollectionShard { data: Arc::new(data), pending_removals: Arc::from([]) })
            },
            |s| s.data.max_ordinal,
        )?;
        Ok(CollectionState { core, kind, shards })
    }

    /// Approximate bytes of memory held by the type's data.
    pub(crate) fn mapped_shards(&self) -> usize {
        self.shards.iter().filter(|s| s.data.is_mapped()).count()
    }

    /// Every array of every shard.
    pub(crate) fn for_each_storage(&self, f: &mut dyn FnMut(&SharedBytes)) {
        self.shards.iter().for_each(|s| s.data.for_each_storage(f));
    }

    /// This state with its windows into the buffers `release` picks copied to arrays of their own.
    pub(crate) fn with_windows_detached(&self, release: &dyn Fn(&BlobBuffer) -> bool) -> Self {
        let mut next = self.clone();
        next.shards.iter_mut().for_each(|shard| shard_arrays::detach_windows(&mut shard.data, release));
        next
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.shards.iter().map(|s| s.data.heap_bytes()).sum()
    }

    pub(crate) fn discard(r: &mut ByteReader<'_>, kind: CollectionKind, num_shards: u32, delta: bool) -> Result<()> {
        discard_body(r, num_shards, delta, |r| collection_data::discard_shard(r, kind, delta))
    }

    pub(crate) fn apply_delta(
        &self,
        r: &mut ByteReader<'_>,
        direction: DeltaDirection,
        num_shards: u32,
    ) -> Result<Self> {
        // Each delta shard takes at least 8 bytes (largest ordinal, two ordinal lists, two widths, the
        // element total and two array lengths): a shard count the rest of the blob cannot hold is not
        // resharded for.
        r.check_len(num_shards as u64, 8, "shards")?;
        let CollectionState { core, shards, .. } = self.with_num_shards(num_shards);
        let maxes: Vec<i32> = shards.iter().map(|s| s.data.max_ordinal).collect();
        let kind = self.kind;
        let body = DeltaBody::read(
            r,
            direction,
            &core,
            self.core.sharding.num_shards(),
            &maxes,
            |r| CollectionDeltaShard::read(r, kind),
            |d| (d.data.max_ordinal, &d.ordinals),
        )?;
        let (deltas, next_core) = body.finish(&core);
        let mut next = Vec::with_capacity(shards.len());
        for (from, delta) in shards.iter().zip(deltas) {
            next.push(collection_data::apply_delta(kind, from, delta)?);
        }
        let core = next_core(next[0].data.max_ordinal);
        Ok(CollectionState { core, kind, shards: next })
    }

    /// This state spread over `num_shards` shards (see `ObjectTypeReadState::with_num_shards`).
    pub(crate) fn with_num_shards(&self, num_shards: u32) -> Self {
        if num_shards == self.core.sharding.num_shards() {
            return self.clone();
        }
        let new = Sharding::new(num_shards);
        let shards = collection_data::reshard(self.kind, self.core.sharding, &self.shards, new);
        CollectionState { core: TypeCore { sharding: new, ..self.core.clone() }, kind: self.kind, shards }
    }

    /// The shard data and local ordinal of `ordinal`, if it has data.
    #[inline]
    pub(crate) fn record(&self, ordinal: u32) -> Option<(&CollectionShardData, u64)> {
        let (shard, local) = self.core.locate(ordinal);
        let data = &*self.shards.get(shard)?.data;
        (local as i64 <= data.max_ordinal as i64).then_some((data, local as u64))
    }

    /// The shard data and the absolute range of `ordinal`'s elements or buckets (empty if no data).
    #[inline]
    pub(crate) fn range(&self, ordinal: u32) -> Option<(&CollectionShardData, u64, u64)> {
        let (data, rec) = self.record(ordinal)?;
        Some((data, data.start(rec), data.end(rec)))
    }

    /// The stored size of SET or MAP record `ordinal` (0 without data).
    #[inline]
    pub(crate) fn stored_size(&self, ordinal: u32) -> usize {
        self.record(ordinal).map_or(0, |(data, rec)| data.stored_size(rec) as usize)
    }

    /// Number of elements (LIST) or buckets (SET, MAP) of record `ordinal` (0 without data).
    #[inline]
    pub(crate) fn range_len(&self, ordinal: u32) -> usize {
        self.range(ordinal).map_or(0, |(_, start, end)| (end - start) as usize)
    }

    /// Probe the hash table of SET or MAP record `ordinal` the way Java placed its entries: linearly
    /// from the bucket `hash` selects, wrapping inside the record's buckets. Returns the first element
    /// (key) that satisfies `matches`, with the shard data and absolute index of its bucket; stops at an
    /// empty bucket, or after visiting every bucket.
    #[inline]
    pub(crate) fn probe(
        &self,
        ordinal: u32,
        hash: i32,
        mut matches: impl FnMut(u32) -> bool,
    ) -> Option<(u32, &CollectionShardData, u64)> {
        let (data, start, end) = self.range(ordinal)?;
        let n = end - start;
        if n == 0 {
            return None;
        }
        // Tables are powers of two; a corrupt size still probes inside the record.
        let mut b = if n.is_power_of_two() { (hash as u32 as u64) & (n - 1) } else { (hash as u32 as u64) % n };
        for _ in 0..n {
            let e = data.element(start + b);
            if e == data.empty_bucket() {
                return None;
            }
            if matches(e as u32) {
                return Some((e as u32, data, start + b));
            }
            b = if b + 1 == n { 0 } else { b + 1 };
        }
        None
    }
}

/// What LIST, SET and MAP type states have alike around their [`CollectionState`]: reading and
/// applying deltas, and the typed schema, largest ordinal and populated set they expose. Only the
/// record accessors differ between the three, so only those are written out in `list`, `set` and `map`.
macro_rules! collection_state_basics {
    ($state:ident, $schema:ident, $kind:ident) => {
        impl $state {
            pub(crate) fn read_snapshot(
                r: &mut crate::encoding::ByteReader<'_>,
                schema: crate::schema::$schema,
                num_shards: u32,
            ) -> crate::error::Result<Self> {
                let inner = super::collection::CollectionState::read_snapshot(
                    r,
                    crate::schema::Schema::$kind(schema),
                    super::collection_data::CollectionKind::$kind,
                    num_shards,
                )?;
                Ok($state { inner })
            }

            pub(crate) fn apply_delta(
                &self,
                r: &mut crate::encoding::ByteReader<'_>,
                direction: super::sharding::DeltaDirection,
                num_shards: u32,
            ) -> crate::error::Result<Self> {
                Ok($state { inner: self.inner.apply_delta(r, direction, num_shards)? })
            }

            /// The type's schema.
            pub fn schema(&self) -> &crate::schema::$schema {
                match &*self.inner.core.schema {
                    crate::schema::Schema::$kind(s) => s,
                    _ => unreachable!(concat!(
                        "a ",
                        stringify!($kind),
                        " type state is built from its own kind of schema"
                    )),
                }
            }

            /// The largest ordinal with data, -1 if none.
            pub fn max_ordinal(&self) -> i32 {
                self.inner.core.max_ordinal
            }

            /// The populated ordinals.
            pub fn populated(&self) -> &super::populated::PopulatedOrdinals {
                &self.inner.core.populated
            }
        }
    };
}
pub(crate) use collection_state_basics;

//! What LIST, SET and MAP type states share: sharded records of element ranges.

use std::sync::Arc;

use super::body::{discard_body, read_snapshot_body, DeltaBody, TypeCore};
use super::collection_data::{self, CollectionDeltaShard, CollectionKind, CollectionShard, CollectionShardData};
use super::sharding::Sharding;
use crate::encoding::ByteReader;
use crate::error::Result;
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
    pub(crate) fn heap_bytes(&self) -> usize {
        self.shards.iter().map(|s| s.data.heap_bytes()).sum()
    }

    pub(crate) fn discard(r: &mut ByteReader<'_>, kind: CollectionKind, num_shards: u32, delta: bool) -> Result<()> {
        discard_body(r, num_shards, delta, |r| collection_data::discard_shard(r, kind, delta))
    }

    pub(crate) fn apply_delta(&self, r: &mut ByteReader<'_>, num_shards: u32) -> Result<Self> {
        // Each delta shard takes at least 8 bytes (largest ordinal, two ordinal lists, two widths, the
        // element total and two array lengths): a shard count the rest of the blob cannot hold is not
        // resharded for.
        r.check_len(num_shards as u64, 8, "shards")?;
        let CollectionState { core, shards, .. } = self.with_num_shards(num_shards);
        let maxes: Vec<i32> = shards.iter().map(|s| s.data.max_ordinal).collect();
        let kind = self.kind;
        let body = DeltaBody::read(
            r,
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
                num_shards: u32,
            ) -> crate::error::Result<Self> {
                Ok($state { inner: self.inner.apply_delta(r, num_shards)? })
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

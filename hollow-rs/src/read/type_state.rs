//! What every type state has, whatever its kind, and the sharded body layout all kinds share.

use super::populated::PopulatedOrdinals;
use super::sharding::{check_delta_max_ordinals, check_type_max_ordinal, read_max_ordinal, DeltaOrdinals, Sharding};
use super::{ListTypeReadState, MapTypeReadState, ObjectTypeReadState, SetTypeReadState};
use crate::encoding::ByteReader;
use crate::error::Result;
use crate::schema::Schema;
use std::sync::Arc;

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

/// The parts of a type state that do not depend on its kind.
#[derive(Debug, Clone)]
pub(crate) struct TypeCore {
    pub(crate) schema: Arc<Schema>,
    pub(crate) sharding: Sharding,
    pub(crate) max_ordinal: i32,
    pub(crate) populated: PopulatedOrdinals,
}

impl TypeCore {
    /// Where `ordinal` lives: its shard index and local ordinal.
    #[inline]
    pub(crate) fn locate(&self, ordinal: u32) -> (usize, u32) {
        (self.sharding.shard(ordinal), self.sharding.local(ordinal))
    }
}

/// Read the shards of a snapshot type body and the populated bitset after them.
pub(crate) fn read_snapshot_body<S>(
    r: &mut ByteReader<'_>,
    schema: Arc<Schema>,
    num_shards: u32,
    mut read_shard: impl FnMut(&mut ByteReader<'_>) -> Result<S>,
    max_of: impl Fn(&S) -> i32,
) -> Result<(TypeCore, Vec<S>)> {
    let sharding = Sharding::new(num_shards);
    let at = r.position();
    let type_max = if num_shards > 1 { Some(read_max_ordinal(r, "type max ordinal")?) } else { None };
    let mut shards = Vec::with_capacity(r.check_len(num_shards as u64, 1, "shards")?);
    for _ in 0..num_shards {
        shards.push(read_shard(r)?);
    }
    let shard_maxes: Vec<i32> = shards.iter().map(&max_of).collect();
    let max_ordinal = match type_max {
        Some(m) => {
            check_type_max_ordinal(sharding, m, &shard_maxes, at)?;
            m
        }
        None => shard_maxes[0],
    };
    let populated = PopulatedOrdinals::read_snapshot(r)?;
    Ok((TypeCore { schema, sharding, max_ordinal, populated }, shards))
}

/// Skip a type body of any kind: `skip_shard` skips one shard.
pub(crate) fn discard_body(
    r: &mut ByteReader<'_>,
    num_shards: u32,
    delta: bool,
    mut skip_shard: impl FnMut(&mut ByteReader<'_>) -> Result<()>,
) -> Result<()> {
    if num_shards > 1 {
        read_max_ordinal(r, "type max ordinal")?;
    }
    r.check_len(num_shards as u64, 1, "shards")?;
    for _ in 0..num_shards {
        skip_shard(r)?;
    }
    if !delta {
        PopulatedOrdinals::skip_snapshot(r)?;
    }
    Ok(())
}

/// A delta type body, read and checked, ready to merge shard by shard.
pub(crate) struct DeltaBody<D> {
    pub(crate) shards: Vec<D>,
    /// The type's largest ordinal after the delta.
    max_ordinal: Option<i32>,
    populated: PopulatedOrdinals,
}

impl<D> DeltaBody<D> {
    /// Read the shards of a delta type body for a state laid out as `core` (after any resharding; it
    /// had `from_num_shards` before), whose shards end at `from_maxes`. `parts` gives a delta shard's
    /// new largest ordinal and its removals and additions.
    pub(crate) fn read(
        r: &mut ByteReader<'_>,
        core: &TypeCore,
        from_num_shards: u32,
        from_maxes: &[i32],
        mut read_shard: impl FnMut(&mut ByteReader<'_>) -> Result<D>,
        parts: impl Fn(&D) -> (i32, &DeltaOrdinals),
    ) -> Result<Self> {
        let at = r.position();
        let n = core.sharding.num_shards();
        let max_ordinal = if n > 1 { Some(read_max_ordinal(r, "type max ordinal")?) } else { None };
        let mut shards = Vec::with_capacity(r.check_len(n as u64, 1, "shards")?);
        for _ in 0..n {
            shards.push(read_shard(r)?);
        }
        let summary: Vec<(i32, &[u32])> = shards
            .iter()
            .map(|d| {
                let (max, ordinals) = parts(d);
                (max, &ordinals.additions[..])
            })
            .collect();
        check_delta_max_ordinals(core.sharding, from_num_shards, core.max_ordinal, from_maxes, &summary, at)?;
        if let Some(m) = max_ordinal {
            let maxes: Vec<i32> = summary.iter().map(|&(max, _)| max).collect();
            check_type_max_ordinal(core.sharding, m, &maxes, at)?;
        }
        let mut removed = Vec::new();
        let mut added = Vec::new();
        for (s, d) in shards.iter().enumerate() {
            let (_, ordinals) = parts(d);
            // Additions were checked to be in range; a removal out of range removes nothing.
            let global = |&local: &u32| u32::try_from(core.sharding.global(s, local)).ok();
            removed.extend(ordinals.removals.iter().filter_map(global));
            added.extend(ordinals.additions.iter().filter_map(global));
        }
        let populated = core.populated.with_changes(&removed, &added);
        Ok(DeltaBody { shards, max_ordinal, populated })
    }

    /// The delta's shards, and a function giving the type core after the delta from the largest
    /// ordinal of the first merged shard (which is the type's when there is a single shard).
    pub(crate) fn finish(self, core: &TypeCore) -> (Vec<D>, impl FnOnce(i32) -> TypeCore) {
        let DeltaBody { shards, max_ordinal, populated } = self;
        let (schema, sharding) = (core.schema.clone(), core.sharding);
        let next = move |first_shard_max: i32| TypeCore {
            schema,
            sharding,
            max_ordinal: max_ordinal.unwrap_or(first_shard_max),
            populated,
        };
        (shards, next)
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

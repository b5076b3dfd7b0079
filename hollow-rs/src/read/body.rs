//! What every type state has whatever its kind (`TypeCore`), and the readers of the sharded body layout
//! all kinds share: a snapshot body, a delta body, a body skipped.
//!
//! Below the kinds (`object`, `collection`) and above the format pieces (`sharding`, `populated`): the
//! kinds call these readers with their own shard readers, and nothing here knows a kind, so the
//! imports only go downwards.

use std::sync::Arc;

use super::populated::PopulatedOrdinals;
use super::sharding::{
    check_delta_max_ordinals, check_type_max_ordinal, read_max_ordinal, DeltaDirection, DeltaOrdinals, Sharding,
};
use crate::encoding::ByteReader;
use crate::error::Result;
use crate::schema::Schema;

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
        crate::blob::populated::skip(r)?;
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
        direction: DeltaDirection,
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
        check_delta_max_ordinals(
            direction,
            core.sharding,
            from_num_shards,
            core.max_ordinal,
            from_maxes,
            &summary,
            at,
        )?;
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

//! The write state of one type: its records ([`TypeRecords`]), its shard count, and the statistics and
//! layout computed when a cycle is written (Java's `HollowTypeWriteState`); and the dispatch over the
//! record kinds, whose body writers (`object`, `collection`) sit below it with the leaves they share
//! (`layout`, `dataset`), so that no kind imports this module back.
//!
//! ## Sharding
//!
//! A type is split into `numShards` (a power of two) shards; ordinal `o` lives in shard
//! `o & (numShards - 1)` at shard-local ordinal `o / numShards`. The count is chosen when the type is
//! first written, as the smallest power of two `n` with `targetMaxTypeShardSize × n ≥ projected size`
//! (a per-kind estimate, see each kind's `projected_size`). It then stays fixed, unless type
//! resharding is allowed: then it is recomputed every cycle and, when it differs, moves one step
//! (×2 or ÷2). The forward delta is written with the new count, the reverse delta with the previous
//! one (`revNumShards`), each with its own per-shard maximum ordinals (and, for collections, pointer
//! widths).
//!
//! ## Body layout shared by every kind
//!
//! ```text
//! snapshot: [numShards > 1: VarInt maxOrdinal] · per shard: kind-specific data · populated bitset
//! delta:    [numShards > 1: VarInt maxOrdinal] · per shard: VarInt maxShardOrdinal, removed ordinals
//!           (gap list), added ordinals (gap list), kind-specific data for the added records
//! ```

use std::collections::HashMap;

use super::dataset::{Dataset, TypeRecords};
use super::key_hash::KeyHasher;
use super::layout::{Direction, Layout, Prepared};
use super::restore::{self, Rebuilder, Restored};
use super::{collection, object};
use crate::encoding::{gap, varint};
use crate::error::{Error, Result};
use crate::read::TypeReadState;
use crate::schema::Schema;

/// Kind-specific statistics for the cycle being written.
#[derive(Debug)]
pub(crate) enum KindStats {
    Object(object::FieldStats),
    Collection(collection::CollectionStats),
}

/// The ordinals one shard gains and loses in a delta.
#[derive(Debug, Default)]
pub(crate) struct ShardDelta {
    /// Global ordinals of the records added, ascending.
    pub added: Vec<u32>,
    /// Shard-local ordinals of the records removed, ascending.
    pub removed_local: Vec<u32>,
}

/// One type's write state.
#[derive(Debug)]
pub(crate) struct TypeWriteState {
    pub records: TypeRecords,
    /// Field name → index, for OBJECT types.
    pub field_index: HashMap<String, usize>,
    /// The first field of each primary-key path (its name and index), for OBJECT types with a key:
    /// resolved once here rather than for every record added.
    pub key_fields: Vec<(String, usize)>,
    /// 0 until the type is first written (Java's -1, "not chosen yet").
    num_shards: u32,
    rev_num_shards: u32,
    /// The shard count to return to if the cycle is abandoned.
    reset_num_shards: u32,
    /// Layouts and kind statistics of the cycle being written.
    prepared: Option<(Prepared, KindStats)>,
    /// Set from a restore until the first restored cycle is written and the next one begins.
    restored: Option<Restored>,
}

impl TypeWriteState {
    pub fn new(schema: Schema) -> Self {
        let field_index: HashMap<String, usize> = match &schema {
            Schema::Object(s) => s.fields.iter().enumerate().map(|(i, f)| (f.name.clone(), i)).collect(),
            _ => HashMap::new(),
        };
        let key_fields = match &schema {
            Schema::Object(s) => s
                .primary_key
                .iter()
                .flatten()
                .filter_map(|path| {
                    let first = path.split('.').next().unwrap_or("").trim_end_matches('!');
                    field_index.get(first).map(|&i| (first.to_owned(), i))
                })
                .collect(),
            _ => Vec::new(),
        };
        TypeWriteState {
            records: TypeRecords::new(schema),
            field_index,
            key_fields,
            num_shards: 0,
            rev_num_shards: 0,
            reset_num_shards: 0,
            prepared: None,
            restored: None,
        }
    }

    /// Add a record by its canonical bytes; returns its ordinal.
    ///
    /// `shared` is the record's encoding restricted to the fields it shares with a restored state, when
    /// [`Self::shared_fields`] asks for it: in the first cycle after a restore, a record that no restored
    /// record equals takes the ordinal of the restored record it shares those fields with, if that one
    /// was not added again (Java's preferred ordinal; see [`super::restore`]).
    pub fn add(&mut self, canonical: &[u8], shared: Option<&[u8]>) -> Result<u32> {
        if let (Some(shared), Some(projection)) = (shared, self.restored.as_mut().and_then(|r| r.projection.as_mut())) {
            if self.records.ordinals.get(canonical).is_none() {
                if let Some(ordinal) = projection.preferred_ordinal(shared).filter(|&o| !self.records.current.get(o)) {
                    if let Some(original) = self.records.ordinals.replace(ordinal, canonical)? {
                        projection.record_replacement(ordinal, original);
                        self.records.current.set(ordinal);
                        return Ok(ordinal);
                    }
                }
            }
        }
        let ordinal = self.records.ordinals.get_or_assign(canonical)?;
        self.records.current.set(ordinal);
        Ok(ordinal)
    }

    /// The write-schema fields records must also be encoded with (for [`Self::add`]'s `shared`), in the
    /// first cycle after a restore whose state lacked some of this type's fields.
    pub fn shared_fields(&self) -> Option<&[usize]> {
        self.restored.as_ref()?.projection.as_ref().map(|p| &p.fields[..])
    }

    /// True when the type holds no record, in this cycle or the previous one.
    pub fn is_empty(&self) -> bool {
        self.records.ordinals.max_ordinal() < 0
    }

    /// Check that this type can be restored from `read` (compatible schemas, shard counts).
    pub fn check_restorable(&self, read: &TypeReadState) -> Result<()> {
        restore::check_compatible(&self.records.schema, read.schema())?;
        if self.num_shards != 0 && read.num_shards() != 0 && self.num_shards != read.num_shards() {
            return Err(Error::InvalidArgument(format!(
                "cannot restore type {}: it has {} shards here but {} in the restored state",
                self.records.schema.name(),
                self.num_shards,
                read.num_shards()
            )));
        }
        Ok(())
    }

    /// Make this (empty) type hold `read`'s populated records, each at its ordinal, as the records of
    /// the previous cycle, and take its shard count unless one is pinned. See [`super::restore`].
    pub fn restore_from(&mut self, read: &TypeReadState) -> Result<()> {
        let TypeRecords { schema, ordinals: records, previous, .. } = &mut self.records;
        let mapping = restore::check_compatible(schema, read.schema())?;
        let mut rebuilder = Rebuilder::new(schema, &self.field_index, mapping);
        let mut projection = rebuilder.projection();
        rebuilder.for_each_record(read, |ordinal, bytes, shared| {
            records.put(bytes, ordinal)?;
            previous.set(ordinal);
            if let (Some(p), Some(shared)) = (projection.as_mut(), shared) {
                p.prefer(shared, ordinal);
            }
            Ok(())
        })?;
        self.records.ordinals.free_holes_after_restore();
        if self.num_shards == 0 && read.num_shards() != 0 {
            self.pin_num_shards(read.num_shards());
        }
        self.restored = Some(Restored { projection });
        Ok(())
    }

    /// The shard count; 0 before the type was first written.
    pub fn num_shards(&self) -> u32 {
        self.num_shards
    }

    /// The shard count reverse deltas of this cycle use.
    pub fn rev_num_shards(&self) -> u32 {
        self.rev_num_shards
    }

    /// Fix the shard count before the type is first written.
    pub fn pin_num_shards(&mut self, num_shards: u32) {
        self.num_shards = num_shards;
        self.reset_num_shards = num_shards;
    }

    /// Java's `hasChangedSinceLastCycle`: the populated set differs, or the shard count moved.
    pub fn has_changed_since_last_cycle(&self) -> bool {
        !self.records.current.same_ordinals(&self.records.previous)
            || (self.num_shards != self.rev_num_shards && self.rev_num_shards != 0)
    }

    /// Compute statistics, shard counts and layouts for writing this cycle. Returns `(old, new)` shard
    /// counts if the type reshards.
    pub fn prepare_for_write(&mut self, target_max_shard_size: u64, allow_resharding: bool) -> Option<(u32, u32)> {
        let max_ordinal = self.records.ordinals.max_ordinal();
        // Java reads `current.get(i)` for every ordinal up to the max while it gathers statistics,
        // which allocates bitset segments that later show in snapshots (see `populated`).
        if max_ordinal >= 0 {
            self.records.current.touch(max_ordinal as u32);
        }
        let stats = match &self.records.schema {
            Schema::Object(schema) => KindStats::Object(object::FieldStats::gather(schema, &self.records, max_ordinal)),
            _ => KindStats::Collection(collection::CollectionStats::gather(&self.records, max_ordinal)),
        };
        let projected = || {
            let size = match &stats {
                KindStats::Object(s) => s.projected_size(max_ordinal),
                KindStats::Collection(s) => s.projected_size(max_ordinal),
            };
            shards_for(size, target_max_shard_size)
        };
        let mut resharded = None;
        if self.num_shards == 0 {
            self.num_shards = projected();
            self.rev_num_shards = self.num_shards;
        } else {
            self.rev_num_shards = self.num_shards;
            if allow_resharding {
                let wanted = projected();
                if wanted != self.rev_num_shards {
                    // One step per cycle, so consumers reshard at most by a factor of two per delta.
                    self.num_shards =
                        if wanted > self.rev_num_shards { self.rev_num_shards * 2 } else { self.rev_num_shards / 2 };
                    resharded = Some((self.rev_num_shards, self.num_shards));
                }
            }
        }
        let forward = Layout::new(max_ordinal, self.num_shards);
        let reverse = Layout::new(max_ordinal, self.rev_num_shards);
        let stats = match stats {
            KindStats::Collection(s) => KindStats::Collection(s.lay_out(&forward, &reverse)),
            other => other,
        };
        self.prepared = Some((Prepared { max_ordinal, forward, reverse }, stats));
        resharded
    }

    /// Start a new cycle: drop records not populated in the cycle just written (their ordinals become
    /// reusable from now on), and make this cycle's populated set the previous one.
    pub fn prepare_for_next_cycle(&mut self) {
        self.records.ordinals.retain(&self.records.current);
        std::mem::swap(&mut self.records.current, &mut self.records.previous);
        self.records.current.clear_all();
        self.prepared = None;
        self.reset_num_shards = self.num_shards;
        self.restored = None;
    }

    /// Abandon the records added since the last [`Self::prepare_for_next_cycle`] (or restore).
    pub fn reset_to_last_prepare_for_next_cycle(&mut self) {
        self.num_shards = self.reset_num_shards;
        self.records.current.clear_all();
        if let Some(projection) = self.restored.as_mut().and_then(|r| r.projection.as_mut()) {
            for (ordinal, original) in projection.take_replacements() {
                // Cannot fail: the original bytes were held at this very ordinal.
                let _ = self.records.ordinals.replace(ordinal, &original);
            }
        }
        self.records.ordinals.retain(&self.records.previous);
        if self.restored.is_some() {
            // As Java, which restores again from the read state: back to the restored free ordinals.
            self.records.ordinals.free_holes_after_restore();
        }
        self.prepared = None;
    }

    /// Append the snapshot body of this type.
    pub fn write_snapshot(&self, ds: &Dataset<'_>, out: &mut Vec<u8>) -> Result<()> {
        let (p, stats) = self.prepared();
        let layout = &p.forward;
        if layout.num_shards > 1 {
            varint::write_i32(out, p.max_ordinal);
        }
        let hasher = self.key_hasher(ds)?;
        for shard in 0..layout.num_shards as usize {
            match stats {
                KindStats::Object(s) => s.write_snapshot_shard(&self.records, p, shard, out),
                KindStats::Collection(s) => {
                    s.write_snapshot_shard(&self.records, ds, hasher.as_ref(), p, shard, out)?
                }
            }
        }
        self.records.current.write_to(out);
        Ok(())
    }

    /// Append the delta (or reverse delta) body of this type.
    pub fn write_delta(&self, ds: &Dataset<'_>, direction: Direction, out: &mut Vec<u8>) -> Result<()> {
        let (p, stats) = self.prepared();
        let layout = p.layout(direction);
        let (from, to) = match direction {
            Direction::Forward => (&self.records.previous, &self.records.current),
            Direction::Reverse => (&self.records.current, &self.records.previous),
        };
        let mut shards: Vec<ShardDelta> = (0..layout.num_shards).map(|_| ShardDelta::default()).collect();
        for o in 0..=p.max_ordinal {
            let o = o as u32;
            let (in_from, in_to) = (from.get(o), to.get(o));
            if in_to && !in_from {
                shards[layout.shard_of(o)].added.push(o);
            } else if in_from && !in_to {
                shards[layout.shard_of(o)].removed_local.push(layout.local(o));
            }
        }
        if layout.num_shards > 1 {
            varint::write_i32(out, p.max_ordinal);
        }
        let hasher = self.key_hasher(ds)?;
        for (shard, delta) in shards.iter().enumerate() {
            varint::write_i32(out, layout.max_shard_ordinals[shard]);
            gap::write(out, &delta.removed_local);
            let added_local: Vec<u32> = delta.added.iter().map(|&o| layout.local(o)).collect();
            gap::write(out, &added_local);
            match stats {
                KindStats::Object(s) => s.write_delta_shard(&self.records, &delta.added, out),
                KindStats::Collection(s) => {
                    s.write_delta_shard(&self.records, ds, hasher.as_ref(), direction, shard, &delta.added, out)?
                }
            }
        }
        Ok(())
    }

    fn prepared(&self) -> (&Prepared, &KindStats) {
        let (p, stats) = self.prepared.as_ref().expect("the engine prepares every type before writing");
        (p, stats)
    }

    /// The hasher placing set elements / map keys by the schema's hash key, if it has one and it binds.
    fn key_hasher(&self, ds: &Dataset<'_>) -> Result<Option<KeyHasher>> {
        match &self.records.schema {
            Schema::Set(s) => match &s.hash_key {
                Some(k) => KeyHasher::bind(ds, &s.element_type, k),
                None => Ok(None),
            },
            Schema::Map(s) => match &s.hash_key {
                Some(k) => KeyHasher::bind(ds, &s.key_type, k),
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }
}

/// The smallest power of two `n` with `target × n ≥ projected_size` (Java's `typeStateNumShards`).
fn shards_for(projected_size: i64, target_max_shard_size: u64) -> u32 {
    let mut n: u32 = 1;
    while (target_max_shard_size as u128) * (n as u128) < projected_size.max(0) as u128 && n < (1 << 30) {
        n *= 2;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_counts() {
        assert_eq!(shards_for(0, 8192), 1);
        assert_eq!(shards_for(8192, 8192), 1);
        assert_eq!(shards_for(8193, 8192), 2);
        assert_eq!(shards_for(100_000, 8192), 16);
        assert_eq!(shards_for(i64::MAX, u64::MAX), 1);
    }
}

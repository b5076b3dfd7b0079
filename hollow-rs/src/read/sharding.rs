//! How a type's ordinals are spread over its shards, and the pieces of a type body every kind shares.
//!
//! With `n` shards (a power of two) ordinal `o` lives in shard `o & (n-1)` at shard-local ordinal
//! `o >> log2(n)`. A type body with more than one shard starts with a VarInt holding the type's largest
//! ordinal; each shard then starts with its own largest local ordinal (`-1`, the 5-byte VarInt
//! `8F FF FF FF 7F`, for an empty shard). In a delta, each shard continues with two gap-encoded lists of
//! local ordinals: the records removed, and the records added.

use crate::encoding::{gap, ByteReader};
use crate::error::{Error, Result};

/// The shard layout of a type: how many shards, and how ordinals map onto them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sharding {
    num_shards: u32,
    shift: u32,
}

impl Sharding {
    /// The layout for `num_shards`, which must be a power of two (the envelope reader checks it).
    pub(crate) fn new(num_shards: u32) -> Self {
        debug_assert!(num_shards.is_power_of_two());
        Sharding { num_shards, shift: num_shards.trailing_zeros() }
    }

    pub(crate) fn num_shards(self) -> u32 {
        self.num_shards
    }

    /// The shard holding `ordinal`.
    #[inline]
    pub(crate) fn shard(self, ordinal: u32) -> usize {
        (ordinal & (self.num_shards - 1)) as usize
    }

    /// `ordinal`'s local ordinal inside its shard.
    #[inline]
    pub(crate) fn local(self, ordinal: u32) -> u32 {
        ordinal >> self.shift
    }

    /// The type-wide ordinal of `local` in `shard`.
    #[inline]
    pub(crate) fn global(self, shard: usize, local: u32) -> u64 {
        ((local as u64) << self.shift) | shard as u64
    }
}

/// Read a largest ordinal (a type's or a shard's): a VarInt that is `-1` for none.
pub(crate) fn read_max_ordinal(r: &mut ByteReader<'_>, what: &str) -> Result<i32> {
    let at = r.position();
    let v = r.varint(what)?;
    if v < -1 {
        return Err(Error::corrupt(format!("{what}: {v} is not an ordinal"), at));
    }
    Ok(v)
}

/// The removals and additions that start each shard of a delta, as shard-local ordinals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DeltaOrdinals {
    /// Records removed by this delta (ascending, distinct).
    pub(crate) removals: Vec<u32>,
    /// Records added by this delta (strictly ascending); their data follows in this order.
    pub(crate) additions: Vec<u32>,
}

impl DeltaOrdinals {
    pub(crate) fn read(r: &mut ByteReader<'_>) -> Result<Self> {
        let mut removals = gap::read(r, "removed ordinals")?;
        // Java never writes a zero gap; a repeated removal means nothing more than one.
        removals.dedup();
        let at = r.position();
        let additions = gap::read(r, "added ordinals")?;
        if additions.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::corrupt("added ordinals: an ordinal is added twice", at));
        }
        Ok(DeltaOrdinals { removals, additions })
    }
}

/// What merging a delta into a shard does at one ordinal, or a run of them. Every kind merges the same
/// way (Java's): the removals pending from the previous delta are dropped now, added records come from
/// the delta, all else is kept; only how a kind copies a record differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MergeStep {
    /// Records `first..first + count` of the old shard are kept, at unchanged widths: copy them in bulk.
    Run { first: u64, count: u64 },
    /// Record `ordinal` is the delta's `index`-th added record.
    Added { ordinal: u64, index: u64 },
    /// Record `ordinal` of the old shard is kept.
    Kept(u64),
    /// Record `ordinal` of the old shard was removed by the previous delta: its data goes now.
    Dropped(u64),
    /// Record `ordinal` is past the old shard's records and not added: it never had data.
    Hole(u64),
}

/// Walk a shard's ordinals `0..num_records` for a delta merge, in order, calling `step` once per
/// [`MergeStep`]. The old shard held `old_records` records; `additions` are the delta's added local
/// ordinals and `pending_removals` the previous delta's removals (both ascending). Runs are offered only
/// when `same_widths`, since a bulk copy needs the old records' layout unchanged.
pub(crate) fn merge_steps<E>(
    num_records: u64,
    old_records: u64,
    same_widths: bool,
    additions: &[u32],
    pending_removals: &[u32],
    mut step: impl FnMut(MergeStep) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut additions = OrdinalCursor::new(additions);
    let mut removals = OrdinalCursor::new(pending_removals);
    let mut next_added = 0u64;
    let last_common = old_records.min(num_records);
    let mut ord = 0u64;
    while ord < num_records {
        let o = ord as u32;
        removals.skip_below(o);
        let next_event = additions.peek().min(removals.peek()) as u64;
        if same_widths && next_event > ord && ord < last_common {
            let end = next_event.min(last_common);
            step(MergeStep::Run { first: ord, count: end - ord })?;
            ord = end;
            continue;
        }
        let is_added = additions.take(o);
        let is_removed = removals.take(o);
        step(if is_added {
            next_added += 1;
            MergeStep::Added { ordinal: ord, index: next_added - 1 }
        } else if ord >= old_records {
            MergeStep::Hole(ord)
        } else if is_removed {
            MergeStep::Dropped(ord)
        } else {
            MergeStep::Kept(ord)
        })?;
        ord += 1;
    }
    Ok(())
}

/// True when `bits` bits of data hold `num_records` records of `bits_per_record` bits each.
///
/// Records of zero bits (a type without fields, or zero-width fields) still count as one bit each
/// beyond one word of slack (Java writes one word for a non-empty array of zero-width elements):
/// otherwise a few bytes could claim billions of records, which cost nothing here but which the next
/// delta, giving the fields real widths, would allocate.
pub(crate) fn records_fit(num_records: u64, bits_per_record: u64, bits: u64) -> bool {
    if bits_per_record == 0 {
        num_records <= bits + 64
    } else {
        num_records.checked_mul(bits_per_record).is_some_and(|n| n <= bits)
    }
}

/// A sorted list of ordinals walked in step with an ascending scan.
struct OrdinalCursor<'a> {
    ordinals: &'a [u32],
    next: usize,
}

impl<'a> OrdinalCursor<'a> {
    fn new(ordinals: &'a [u32]) -> Self {
        OrdinalCursor { ordinals, next: 0 }
    }

    /// The next ordinal not yet passed, or `u32::MAX` when there is none.
    #[inline]
    fn peek(&self) -> u32 {
        self.ordinals.get(self.next).copied().unwrap_or(u32::MAX)
    }

    /// If the next ordinal is `ordinal`, pass it and return true.
    #[inline]
    fn take(&mut self, ordinal: u32) -> bool {
        if self.peek() == ordinal {
            self.next += 1;
            true
        } else {
            false
        }
    }

    /// Pass every ordinal below `ordinal`.
    #[inline]
    fn skip_below(&mut self, ordinal: u32) {
        while self.peek() < ordinal {
            self.next += 1;
        }
    }
}

/// Which way a delta goes along the chain of versions. The two carry the same format; they differ in
/// what their added ordinals can be (see [`check_delta_max_ordinals`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaDirection {
    /// A delta: from a version to the next one, adding records the producer has just placed.
    Forward,
    /// A reverse delta: from a version back to the previous one, adding back records that version
    /// held, at the ordinals they had then.
    Reverse,
}

/// How far past the state's largest ordinal one added record can land, per shard count of the state.
///
/// Java's producer hands out ordinals from a pool of freed ones before new ones, so the ordinals a
/// cycle adds above the previous largest ordinal are packed: with one ordinal map, the `k`-th of them
/// is at most `previous + k`. The pool's order loosens that in two configurations: partitioned ordinal
/// maps (4 maps; ordinal `o` belongs to map `o & 3`, each map packs its own) and
/// `focusHoleFillInFewestShards` (the pool is filled shard by shard, where shards are those of the
/// state before the cycle). Either way the ordinals added in one class (map, or shard) are packed in
/// that class, so a cycle adding `a` records reaches at most `previous + stride * (a + 1)` where the
/// stride is the number of classes: `max(4, shards of the previous state)`.
pub(crate) fn ordinal_growth_stride(from_num_shards: u32) -> u64 {
    from_num_shards.max(4) as u64
}

/// Check a delta's shard sizes against what the delta can lead to.
///
/// Two rules, both of which Java's producer always satisfies, bound what applying a delta allocates
/// by the state plus the delta's own additions, so a few hostile bytes cannot ask for gigabytes:
///
/// * A shard's new largest ordinal is never beyond both the largest ordinal the state had and the
///   largest ordinal the delta adds (Java sizes shards over the records of the previous and the
///   current cycle; an ordinal beyond the previous ones holds a record of this cycle).
/// * For a forward delta, the largest added ordinal is at most `previous + stride * (additions + 1)`
///   (see [`ordinal_growth_stride`]), where `previous` is the state's largest ordinal.
///
/// The second rule does not hold for a reverse delta, whose additions are records of the older
/// version at the ordinals they had then: the version it leads back to may have held a high ordinal
/// that no version since has (many records removed, one at a high ordinal kept for a while), and a
/// state reached by walking back knows nothing of it. What a reverse delta allocates is bounded by
/// the ordinals it names, as Java's consumer allocates for it; the consumer applies reverse deltas
/// only from the store it follows.
pub(crate) fn check_delta_max_ordinals(
    direction: DeltaDirection,
    sharding: Sharding,
    from_num_shards: u32,
    from_type_max: i32,
    from_shard_maxes: &[i32],
    deltas: &[(i32, &[u32])],
    at: u64,
) -> Result<()> {
    let mut previous = from_type_max.max(-1) as i64;
    for (shard, &m) in from_shard_maxes.iter().enumerate() {
        if m >= 0 {
            previous = previous.max(sharding.global(shard, m as u32) as i64);
        }
    }
    let num_added: u64 = deltas.iter().map(|(_, additions)| additions.len() as u64).sum();
    let reachable = previous + (ordinal_growth_stride(from_num_shards) * (num_added + 1)) as i64;
    let mut bound = previous;
    for (shard, (_, additions)) in deltas.iter().enumerate() {
        if let Some(&last) = additions.last() {
            let global = sharding.global(shard, last) as i64;
            if direction == DeltaDirection::Forward && global > reachable {
                return Err(Error::corrupt(
                    format!(
                        "shard {shard}: added ordinal {global} is beyond what {num_added} additions can reach from \
                         largest ordinal {previous} (at most {reachable})"
                    ),
                    at,
                ));
            }
            bound = bound.max(global);
        }
    }
    for (shard, (max, additions)) in deltas.iter().enumerate() {
        if let Some(&last) = additions.last() {
            if last as i64 > *max as i64 {
                return Err(Error::corrupt(
                    format!("shard {shard}: added ordinal {last} is beyond the shard's largest ordinal {max}"),
                    at,
                ));
            }
        }
        if *max >= 0 && sharding.global(shard, *max as u32) as i64 > bound {
            return Err(Error::corrupt(
                format!("shard {shard}: largest ordinal {max} is beyond every ordinal the state or the delta holds"),
                at,
            ));
        }
    }
    if bound > i32::MAX as i64 {
        return Err(Error::corrupt(format!("ordinal {bound} is out of range"), at));
    }
    Ok(())
}

/// Check a type's largest ordinal (written before the shards when there are several) against the
/// shards' largest ordinals: Java derives the shards' from the type's, so the type's is the largest
/// global ordinal of any shard. A larger one would let a later delta grow the type without adding.
pub(crate) fn check_type_max_ordinal(sharding: Sharding, type_max: i32, shard_maxes: &[i32], at: u64) -> Result<()> {
    let largest = shard_maxes
        .iter()
        .enumerate()
        .filter(|(_, &m)| m >= 0)
        .map(|(s, &m)| sharding.global(s, m as u32) as i64)
        .max()
        .unwrap_or(-1);
    if type_max as i64 > largest {
        return Err(Error::corrupt(
            format!("type max ordinal {type_max} is beyond every shard's records (largest ordinal {largest})"),
            at,
        ));
    }
    Ok(())
}

/// The largest local ordinal of each shard after changing the shard count from `old` to `new`, given
/// the largest local ordinal of each old shard (`-1` for empty). Every record keeps its type-wide
/// ordinal, so each new shard ends at the largest record mapped into it.
pub(crate) fn resharded_max_ordinals(old: Sharding, old_maxes: &[i32], new: Sharding) -> Vec<i32> {
    let mut maxes = vec![-1i32; new.num_shards() as usize];
    // For a split, the last `factor` local ordinals of an old shard reach every new shard it feeds; for a
    // join, any ordinal of the old shard reaches its only new shard.
    let factor = (new.num_shards() / old.num_shards()).max(1) as i64;
    for (s, &m) in old_maxes.iter().enumerate() {
        let low = (m as i64 - factor + 1).max(0);
        for local in (low..=m as i64).rev() {
            let g = old.global(s, local as u32) as u32;
            let (j, l) = (new.shard(g), new.local(g) as i32);
            maxes[j] = maxes[j].max(l);
        }
    }
    maxes
}

/// Re-express per-shard local ordinal lists (such as pending removals) under a new shard count.
pub(crate) fn reshard_ordinal_lists(old: Sharding, lists: &[&[u32]], new: Sharding) -> Vec<Vec<u32>> {
    let mut out = vec![Vec::new(); new.num_shards() as usize];
    for (s, list) in lists.iter().enumerate() {
        for &local in list.iter() {
            let g = old.global(s, local);
            if g <= u32::MAX as u64 {
                let g = g as u32;
                out[new.shard(g)].push(new.local(g));
            }
        }
    }
    for list in &mut out {
        list.sort_unstable();
        list.dedup();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinal_mapping() {
        let s = Sharding::new(4);
        assert_eq!((s.shard(13), s.local(13)), (1, 3));
        assert_eq!(s.global(1, 3), 13);
        let one = Sharding::new(1);
        assert_eq!((one.shard(13), one.local(13)), (0, 13));
    }

    #[test]
    fn resharded_maxes_follow_the_records() {
        // 6 records (0..=5) over 2 shards: shard 0 holds 0,2,4 (max 2), shard 1 holds 1,3,5 (max 2).
        let maxes = resharded_max_ordinals(Sharding::new(2), &[2, 2], Sharding::new(4));
        assert_eq!(maxes, [1, 1, 0, 0]); // 0,4 | 1,5 | 2 | 3
        let back = resharded_max_ordinals(Sharding::new(4), &maxes, Sharding::new(2));
        assert_eq!(back, [2, 2]);
        assert_eq!(resharded_max_ordinals(Sharding::new(4), &maxes, Sharding::new(1)), [5]);
        assert_eq!(resharded_max_ordinals(Sharding::new(1), &[-1], Sharding::new(2)), [-1, -1]);
    }

    #[test]
    fn ordinal_lists_follow_the_records() {
        let lists: [&[u32]; 2] = [&[0, 2], &[1]]; // globals 0, 4, 3
        assert_eq!(
            reshard_ordinal_lists(Sharding::new(2), &lists, Sharding::new(4)),
            [vec![0, 1], vec![], vec![], vec![0]]
        );
        assert_eq!(reshard_ordinal_lists(Sharding::new(2), &lists, Sharding::new(1)), [vec![0, 3, 4]]);
    }

    #[test]
    fn delta_bounds() {
        let s = Sharding::new(2);
        // State max 5; shard maxes 2, 2. A delta growing to ordinal 7 must add it.
        assert!(check_delta_max_ordinals(DeltaDirection::Forward, s, 2, 5, &[2, 2], &[(2, &[]), (2, &[])], 0).is_ok());
        assert!(check_delta_max_ordinals(DeltaDirection::Forward, s, 2, 5, &[2, 2], &[(3, &[]), (3, &[3])], 0).is_ok());
        assert!(check_delta_max_ordinals(DeltaDirection::Forward, s, 2, 5, &[2, 2], &[(4, &[]), (2, &[])], 0).is_err());
        assert!(check_delta_max_ordinals(DeltaDirection::Forward, s, 2, 5, &[2, 2], &[(2, &[3]), (2, &[])], 0).is_err());
        // One addition reaches at most 5 + 4 * 2 = 13 (local 6 of shard 1), two at most 17.
        assert!(check_delta_max_ordinals(DeltaDirection::Forward, s, 2, 5, &[2, 2], &[(2, &[]), (6, &[6])], 0).is_ok());
        assert!(check_delta_max_ordinals(DeltaDirection::Forward, s, 2, 5, &[2, 2], &[(2, &[]), (7, &[7])], 0).is_err());
        assert!(check_delta_max_ordinals(DeltaDirection::Forward, s, 2, 5, &[2, 2], &[(8, &[8]), (7, &[7])], 0).is_ok());
        // A state of 16 shards (filled shard by shard) lets one addition go 32 further.
        let one = Sharding::new(1);
        assert!(check_delta_max_ordinals(DeltaDirection::Forward, one, 16, 5, &[5], &[(37, &[37])], 0).is_ok());
        assert!(check_delta_max_ordinals(DeltaDirection::Forward, one, 16, 5, &[5], &[(38, &[38])], 0).is_err());
        // A huge ordinal in a few bytes.
        let err = check_delta_max_ordinals(DeltaDirection::Forward, one, 1, 5, &[5], &[(1 << 30, &[1 << 30])], 77)
            .unwrap_err();
        assert!(err.to_string().contains("byte 77") && err.to_string().contains("1073741824"), "{err}");
        // A reverse delta adds a record back at the ordinal it had, however far past the state's
        // largest ordinal (state 5, one addition at 38); the other rules still hold.
        assert!(check_delta_max_ordinals(DeltaDirection::Reverse, one, 16, 5, &[5], &[(38, &[38])], 0).is_ok());
        assert!(check_delta_max_ordinals(DeltaDirection::Reverse, one, 16, 5, &[5], &[(37, &[38])], 0).is_err());
        assert!(check_delta_max_ordinals(DeltaDirection::Reverse, one, 16, 5, &[5], &[(40, &[38])], 0).is_err());
    }

    #[test]
    fn type_max_follows_the_shards() {
        let s = Sharding::new(4);
        // Shard maxes 1, 1, 0, 0: ordinals up to 5.
        assert!(check_type_max_ordinal(s, 5, &[1, 1, 0, 0], 0).is_ok());
        assert!(check_type_max_ordinal(s, 6, &[1, 1, 0, 0], 0).is_err());
        assert!(check_type_max_ordinal(s, -1, &[-1, -1, -1, -1], 0).is_ok());
        assert!(check_type_max_ordinal(s, 0, &[-1, -1, -1, -1], 0).is_err());
    }

    #[test]
    fn delta_ordinals() {
        let d = DeltaOrdinals::read(&mut ByteReader::new(&[2, 1, 0, 2, 1, 2])).unwrap();
        assert_eq!(d.removals, [1]);
        assert_eq!(d.additions, [1, 3]);
        assert!(DeltaOrdinals::read(&mut ByteReader::new(&[0, 2, 1, 0])).is_err());
    }
}

//! How a type's ordinals spread over shards when a cycle is written, and the widths the kinds size
//! their bit arrays with: the base every kind's body writer (`object`, `collection`) builds on.
//!
//! A leaf: it knows no kind and no type state, so the kinds can import it and be imported by the
//! dispatch over kinds (`type_state`) without a loop.
//!
//! Ordinal `o` lives in shard `o & (numShards - 1)` at shard-local ordinal `o / numShards`
//! (`numShards` a power of two). A cycle that reshards writes its forward delta with the new count and
//! its reverse delta with the previous one, hence one [`Layout`] per [`Direction`].

/// Which way a delta goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Previous cycle → this cycle.
    Forward,
    /// This cycle → previous cycle.
    Reverse,
}

/// How ordinals are spread over shards for one blob direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    pub num_shards: u32,
    /// Largest shard-local ordinal of each shard (-1 for an empty shard).
    pub max_shard_ordinals: Vec<i32>,
}

impl Layout {
    pub fn new(max_ordinal: i32, num_shards: u32) -> Self {
        Layout { num_shards, max_shard_ordinals: crate::blob::envelope::max_shard_ordinals(max_ordinal, num_shards) }
    }

    /// The shard holding `ordinal`.
    #[inline]
    pub fn shard_of(&self, ordinal: u32) -> usize {
        (ordinal & (self.num_shards - 1)) as usize
    }

    /// `ordinal`'s position within its shard.
    #[inline]
    pub fn local(&self, ordinal: u32) -> u32 {
        ordinal / self.num_shards
    }
}

/// The layouts computed when the cycle is prepared for writing.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// The largest ordinal held (populated now or in the previous cycle); -1 if none.
    pub max_ordinal: i32,
    /// Layout of snapshots and forward deltas.
    pub forward: Layout,
    /// Layout of reverse deltas (differs from `forward` only in a cycle that reshards).
    pub reverse: Layout,
}

impl Prepared {
    pub fn layout(&self, direction: Direction) -> &Layout {
        match direction {
            Direction::Forward => &self.forward,
            Direction::Reverse => &self.reverse,
        }
    }
}

/// Number of 64-bit words holding `num_bits` bits.
pub(crate) fn words_for_bits(num_bits: u64) -> usize {
    num_bits.div_ceil(64) as usize
}

/// Width of an unsigned value: `64 - leading_zeros(v)` (0 for 0).
#[inline]
pub(crate) fn bit_width(v: u64) -> u32 {
    64 - v.leading_zeros()
}

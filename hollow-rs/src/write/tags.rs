//! Randomized state tags: the 64-bit values that chain blobs together.
//!
//! Every state a write engine produces gets a fresh random tag; a blob carries the tag of the state it
//! applies to (origin) and of the state it leads to (destination), and consumers refuse a delta whose
//! origin is not their current tag. Like Java (`HollowWriteStateEngine.mintNewRandomizedStateTag`), a
//! tag's high 32 bits are never 0, never all ones, and never the same as the previous tag's high 32
//! bits (Java's object mapper relies on that to tell cycles apart).
//!
//! Tags only need to be unpredictable enough not to collide, not cryptographically strong, so a
//! SplitMix64 generator seeded from the standard library's per-process random hash keys and the clock
//! is enough, and tests can seed it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// The tag of "no state": the origin of a chain's first blob.
pub const NO_STATE_TAG: i64 = -1;

/// A SplitMix64 generator of randomized tags.
#[derive(Debug, Clone)]
pub(crate) struct TagMinter {
    state: u64,
}

impl TagMinter {
    /// A generator seeded from process randomness and the clock.
    pub fn from_entropy() -> Self {
        let mut h = RandomState::new().build_hasher();
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        h.write_u128(nanos);
        TagMinter { state: h.finish() }
    }

    /// A generator that always produces the same sequence for the same seed.
    pub fn seeded(seed: u64) -> Self {
        TagMinter { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A new tag following a state tagged `previous`.
    pub fn mint(&mut self, previous: i64) -> i64 {
        let previous_high = (previous as u64 >> 32) as u32;
        loop {
            let tag = self.next_u64();
            let high = (tag >> 32) as u32;
            if high != 0 && high != u32::MAX && high != previous_high {
                return tag as i64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_avoid_reserved_high_bits() {
        let mut m = TagMinter::seeded(7);
        let mut previous = NO_STATE_TAG;
        for _ in 0..10_000 {
            let tag = m.mint(previous);
            let high = (tag as u64 >> 32) as u32;
            assert!(high != 0 && high != u32::MAX);
            assert_ne!(high, (previous as u64 >> 32) as u32);
            previous = tag;
        }
        assert_eq!(TagMinter::seeded(3).mint(0), TagMinter::seeded(3).mint(0));
        assert_ne!(TagMinter::from_entropy().mint(0), TagMinter::from_entropy().mint(0));
    }
}

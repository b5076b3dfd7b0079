//! The per-version changes of an index since its base table was built.
//!
//! An index at version B is an immutable base table built at some earlier version S plus an
//! [`Overlay`] holding what changed between S and B:
//! * `stale`: root ordinals whose base entries must be ignored, because the record was removed
//!   after S (it may have been re-added since, with another key: then it is in `added` too);
//! * `added`: root ordinals populated after S, filed under the hash of every key they yield.
//!
//! Both are persistent, so deriving B's overlay from A's costs little per changed record and leaves
//! A's overlay, and so A's index, untouched for readers still on A (see `paged.rs`). `stale` is a
//! bitset in copy-on-write pages (a lookup is one bit test); `added` is a hash multimap in
//! copy-on-write pages behind a paged bit filter on the key hash, so that a lookup of a key that is
//! not in the overlay, the common case, costs one bit test rather than a probe of the map.

use super::paged::{PagedBits, PagedMultiMap};

/// The fewest bits of the added-key filter.
const MIN_FILTER_BITS: usize = 4096;

/// See the module docs.
#[derive(Debug, Clone)]
pub(crate) struct Overlay {
    /// Root ordinals whose base entries are ignored.
    stale: PagedBits,
    stale_len: usize,
    added: PagedMultiMap,
    /// Bit `(hash >> 32) & filter_mask` is set for every hash ever put in `added` since the base
    /// (never cleared: a stale bit only costs a trie probe).
    added_filter: PagedBits,
    filter_mask: usize,
}

impl Default for Overlay {
    fn default() -> Self {
        Overlay::new(0)
    }
}

impl Overlay {
    /// An empty overlay over a base of `base_entries` entries. The added-key filter gets at least
    /// 8 bits per entry the overlay may hold before the base is rebuilt (an eighth of the base).
    pub(crate) fn new(base_entries: usize) -> Self {
        let filter_bits = base_entries.next_power_of_two().max(MIN_FILTER_BITS);
        Overlay {
            stale: PagedBits::default(),
            stale_len: 0,
            added: PagedMultiMap::default(),
            added_filter: PagedBits::default(),
            filter_mask: filter_bits - 1,
        }
    }

    /// Whether nothing changed since the base.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.stale_len == 0 && self.added.len() == 0
    }

    /// The size of the overlay, which decides when the base is rebuilt.
    pub(crate) fn len(&self) -> usize {
        self.stale_len + self.added.len()
    }

    /// Bytes of the pages this overlay holds.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.stale.heap_bytes() + self.added.heap_bytes() + self.added_filter.heap_bytes()
    }

    /// Whether the base entries of `root` must be ignored.
    #[inline]
    pub(crate) fn is_stale(&self, root: u32) -> bool {
        self.stale_len != 0 && self.stale.get(root as usize)
    }

    #[inline]
    fn filter_bit(&self, hash: u64) -> usize {
        (hash >> 32) as usize & self.filter_mask
    }

    /// Whether roots may be filed under `hash` in `added`: false is sure, true may be a filter
    /// collision.
    #[inline]
    fn may_have_added(&self, hash: u64) -> bool {
        self.added.len() != 0 && self.added_filter.get(self.filter_bit(hash))
    }

    /// Roots added since the base under key hash `hash`.
    #[inline]
    pub(crate) fn added(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        self.may_have_added(hash).then(|| self.added.get(hash)).into_iter().flatten()
    }

    /// Record that `root`, whose keys hashed to `hashes`, is no longer populated.
    pub(crate) fn remove_root(&mut self, root: u32, hashes: impl IntoIterator<Item = u64>) {
        for h in hashes {
            // Most removed records are from the base, filed under no added key: one bit test.
            if self.may_have_added(h) {
                self.added.remove(h, root);
            }
        }
        if self.stale.set(root as usize) {
            self.stale_len += 1;
        }
    }

    /// Record that `root`, whose keys hash to `hashes`, is now populated.
    pub(crate) fn add_root(&mut self, root: u32, hashes: impl IntoIterator<Item = u64>) {
        for h in hashes {
            let bit = self.filter_bit(h);
            if self.added_filter.get(bit) && self.added.contains(h, root) {
                continue;
            }
            self.added.insert(h, root);
            self.added_filter.set(bit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(o: &Overlay, hash: u64) -> Vec<u32> {
        let mut roots: Vec<u32> = o.added(hash).collect();
        roots.sort_unstable();
        roots
    }

    #[test]
    fn add_remove_and_stale() {
        let mut o = Overlay::default();
        assert!(o.is_empty());
        let empty_bytes = o.heap_bytes();
        o.add_root(7, [100, 200]);
        // The added pairs, their filter bits and no stale bit yet: two pages more.
        assert!(o.heap_bytes() >= empty_bytes + 2048 + 512, "{} bytes", o.heap_bytes());
        o.add_root(9, [100]);
        o.add_root(9, [100]);
        assert_eq!(added(&o, 100), [7, 9]);
        assert_eq!(added(&o, 200), [7]);
        assert_eq!(o.len(), 3);
        let before = o.clone();
        o.remove_root(7, [100, 200]);
        assert_eq!(added(&o, 100), [9]);
        assert_eq!(added(&o, 200), [] as [u32; 0]);
        assert!(o.is_stale(7));
        assert!(!o.is_stale(9));
        assert_eq!(o.len(), 2);
        // The earlier version is untouched.
        assert_eq!(added(&before, 100), [7, 9]);
        assert!(!before.is_stale(7));
    }
}

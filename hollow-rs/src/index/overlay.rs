//! The per-version changes of an index since its base table was built.
//!
//! An index at version B is an immutable base table built at some earlier version S plus an
//! [`Overlay`] holding what changed between S and B:
//! * `stale`: root ordinals whose base entries must be ignored, because the record was removed
//!   after S (it may have been re-added since, with another key: then it is in `added` too);
//! * `added`: root ordinals populated after S, filed under the hash of every key they yield.
//!
//! Both are persistent, so deriving B's overlay from A's costs little per changed record and leaves
//! A's overlay, and so A's index, untouched for readers still on A. `stale` is a bitset in
//! copy-on-write pages of 4096 bits (a lookup is one bit test); `added` is a hash trie (`imbl`)
//! behind a paged bit filter on the key hash, so that a lookup of a key that is not in the overlay,
//! the common case, costs one bit test rather than a trie walk.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use imbl::shared_ptr::DefaultSharedPtr;
use imbl::GenericHashMap;

/// Hasher for integer keys (ordinals, and key hashes that are already well mixed).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct IntHasher;

impl BuildHasher for IntHasher {
    type Hasher = IntHash;
    fn build_hasher(&self) -> IntHash {
        IntHash(0)
    }
}

/// State of [`IntHasher`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct IntHash(u64);

impl Hasher for IntHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(v as u64);
    }
    fn write_u64(&mut self, v: u64) {
        // One multiply-xorshift round: sequential ordinals spread over the trie's levels.
        let x = (self.0 ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = x ^ (x >> 29);
    }
}

/// The roots filed under one key hash: nearly always one.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Roots {
    One(u32),
    Many(Arc<[u32]>),
}

impl Roots {
    fn as_slice(&self) -> &[u32] {
        match self {
            Roots::One(r) => std::slice::from_ref(r),
            Roots::Many(rs) => rs,
        }
    }
}

/// Words per page of a [`PagedBits`]: 4096 bits.
const PAGE_WORDS: usize = 64;
const PAGE_BITS: usize = PAGE_WORDS * 64;

/// A persistent bitset: cloning shares every page, and setting a bit copies only its page if it is
/// shared. All-zero pages are not stored.
#[derive(Debug, Clone, Default)]
struct PagedBits {
    pages: Vec<Option<Arc<[u64; PAGE_WORDS]>>>,
}

impl PagedBits {
    #[inline]
    fn get(&self, bit: usize) -> bool {
        match self.pages.get(bit / PAGE_BITS) {
            Some(Some(page)) => page[(bit / 64) % PAGE_WORDS] & (1 << (bit % 64)) != 0,
            _ => false,
        }
    }

    /// Set a bit; whether it was clear.
    fn set(&mut self, bit: usize) -> bool {
        let p = bit / PAGE_BITS;
        if p >= self.pages.len() {
            self.pages.resize(p + 1, None);
        }
        let page = Arc::make_mut(self.pages[p].get_or_insert_with(|| Arc::new([0; PAGE_WORDS])));
        let (word, mask) = ((bit / 64) % PAGE_WORDS, 1u64 << (bit % 64));
        let was_clear = page[word] & mask == 0;
        page[word] |= mask;
        was_clear
    }
}

/// See the module docs.
#[derive(Debug, Clone)]
pub(crate) struct Overlay {
    /// Root ordinals whose base entries are ignored.
    stale: PagedBits,
    stale_len: usize,
    added: GenericHashMap<u64, Roots, IntHasher, DefaultSharedPtr>,
    /// Bit `(hash >> 32) & filter_mask` is set for every hash ever put in `added` since the base
    /// (never cleared: a stale bit only costs a trie probe).
    added_filter: PagedBits,
    filter_mask: usize,
    /// Number of (hash, root) pairs in `added`.
    added_len: usize,
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
        let filter_bits = base_entries.next_power_of_two().max(PAGE_BITS);
        Overlay {
            stale: PagedBits::default(),
            stale_len: 0,
            added: GenericHashMap::default(),
            added_filter: PagedBits::default(),
            filter_mask: filter_bits - 1,
            added_len: 0,
        }
    }

    /// Whether nothing changed since the base.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.stale_len == 0 && self.added_len == 0
    }

    /// The size of the overlay, which decides when the base is rebuilt.
    pub(crate) fn len(&self) -> usize {
        self.stale_len + self.added_len
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

    /// Roots added since the base under key hash `hash`.
    #[inline]
    pub(crate) fn added(&self, hash: u64) -> &[u32] {
        if self.added_len == 0 || !self.added_filter.get(self.filter_bit(hash)) {
            return &[];
        }
        self.added.get(&hash).map_or(&[], Roots::as_slice)
    }

    /// Record that `root`, whose keys hashed to `hashes`, is no longer populated.
    pub(crate) fn remove_root(&mut self, root: u32, hashes: impl IntoIterator<Item = u64>) {
        for h in hashes {
            // Most removed records are from the base, filed under no added key: one bit test.
            if self.added_len == 0 || !self.added_filter.get(self.filter_bit(h)) {
                continue;
            }
            let Some(roots) = self.added.get(&h) else { continue };
            let rest: Vec<u32> = roots.as_slice().iter().copied().filter(|&r| r != root).collect();
            if rest.len() == roots.as_slice().len() {
                continue;
            }
            self.added_len -= 1;
            match rest.as_slice() {
                [] => {
                    self.added.remove(&h);
                }
                [one] => {
                    self.added.insert(h, Roots::One(*one));
                }
                _ => {
                    self.added.insert(h, Roots::Many(rest.into()));
                }
            }
        }
        if self.stale.set(root as usize) {
            self.stale_len += 1;
        }
    }

    /// Record that `root`, whose keys hash to `hashes`, is now populated.
    pub(crate) fn add_root(&mut self, root: u32, hashes: impl IntoIterator<Item = u64>) {
        for h in hashes {
            let roots = match self.added.get(&h) {
                None => Roots::One(root),
                Some(roots) if roots.as_slice().contains(&root) => continue,
                Some(roots) => {
                    let mut all = roots.as_slice().to_vec();
                    all.push(root);
                    all.sort_unstable();
                    Roots::Many(all.into())
                }
            };
            self.added.insert(h, roots);
            self.added_len += 1;
            let bit = self.filter_bit(h);
            self.added_filter.set(bit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_remove_and_stale() {
        let mut o = Overlay::default();
        assert!(o.is_empty());
        o.add_root(7, [100, 200]);
        o.add_root(9, [100]);
        o.add_root(9, [100]);
        assert_eq!(o.added(100), [7, 9]);
        assert_eq!(o.added(200), [7]);
        assert_eq!(o.len(), 3);
        let before = o.clone();
        o.remove_root(7, [100, 200]);
        assert_eq!(o.added(100), [9]);
        assert_eq!(o.added(200), [] as [u32; 0]);
        assert!(o.is_stale(7));
        assert!(!o.is_stale(9));
        assert_eq!(o.len(), 2);
        // The earlier version is untouched.
        assert_eq!(before.added(100), [7, 9]);
        assert!(!before.is_stale(7));
    }

    #[test]
    fn paged_bits_are_copy_on_write() {
        let mut a = PagedBits::default();
        assert!(a.set(5));
        assert!(!a.set(5));
        assert!(a.set(100_000));
        let mut b = a.clone();
        b.set(6);
        b.set(200_000);
        assert!(a.get(5) && a.get(100_000) && !a.get(6) && !a.get(200_000));
        assert!(b.get(5) && b.get(6) && b.get(100_000) && b.get(200_000));
        assert!(!a.get(usize::MAX / 2));
        // Untouched pages are shared.
        assert!(Arc::ptr_eq(
            a.pages[100_000 / PAGE_BITS].as_ref().unwrap(),
            b.pages[100_000 / PAGE_BITS].as_ref().unwrap()
        ));
    }
}

//! The per-version changes of an index since its base table was built.
//!
//! An index at version B is an immutable base table built at some earlier version S plus an
//! [`Overlay`] holding what changed between S and B:
//! * `stale`: root ordinals whose base entries must be ignored, because the record was removed
//!   after S (it may have been re-added since, with another key: then it is in `added` too);
//! * `added`: root ordinals populated after S, filed under the hash of every key they yield.
//!
//! Both are persistent hash tries (`imbl`), so deriving B's overlay from A's costs O(log n) per
//! changed record and leaves A's overlay, and so A's index, untouched for readers still on A.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use imbl::shared_ptr::DefaultSharedPtr;
use imbl::{GenericHashMap, GenericHashSet};

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

/// See the module docs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overlay {
    stale: GenericHashSet<u32, IntHasher, DefaultSharedPtr>,
    added: GenericHashMap<u64, Roots, IntHasher, DefaultSharedPtr>,
    /// Number of (hash, root) pairs in `added`.
    added_len: usize,
}

impl Overlay {
    /// Whether nothing changed since the base.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.stale.is_empty() && self.added.is_empty()
    }

    /// The size of the overlay, which decides when the base is rebuilt.
    pub(crate) fn len(&self) -> usize {
        self.stale.len() + self.added_len
    }

    /// Whether the base entries of `root` must be ignored.
    #[inline]
    pub(crate) fn is_stale(&self, root: u32) -> bool {
        !self.stale.is_empty() && self.stale.contains(&root)
    }

    /// Roots added since the base under key hash `hash`.
    #[inline]
    pub(crate) fn added(&self, hash: u64) -> &[u32] {
        if self.added.is_empty() {
            return &[];
        }
        self.added.get(&hash).map_or(&[], Roots::as_slice)
    }

    /// Record that `root`, whose keys hashed to `hashes`, is no longer populated.
    pub(crate) fn remove_root(&mut self, root: u32, hashes: &[u64]) {
        for &h in hashes {
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
        self.stale.insert(root);
    }

    /// Record that `root`, whose keys hash to `hashes`, is now populated.
    pub(crate) fn add_root(&mut self, root: u32, hashes: &[u64]) {
        for &h in hashes {
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
        o.add_root(7, &[100, 200]);
        o.add_root(9, &[100]);
        o.add_root(9, &[100]);
        assert_eq!(o.added(100), [7, 9]);
        assert_eq!(o.added(200), [7]);
        assert_eq!(o.len(), 3);
        let before = o.clone();
        o.remove_root(7, &[100, 200]);
        assert_eq!(o.added(100), [9]);
        assert_eq!(o.added(200), [] as [u32; 0]);
        assert!(o.is_stale(7));
        assert!(!o.is_stale(9));
        assert_eq!(o.len(), 2);
        // The earlier version is untouched.
        assert_eq!(before.added(100), [7, 9]);
        assert!(!before.is_stale(7));
    }
}

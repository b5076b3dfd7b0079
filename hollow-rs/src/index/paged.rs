//! Persistent structures in copy-on-write pages, for an index's overlay (see `overlay.rs`).
//!
//! Cloning either structure copies only its page table (a pointer per page); an edit copies the page
//! it lands in if another clone still shares it, and later edits of that page in the same clone
//! are in place. So deriving the next version from the last costs the changed pages, at most one
//! copy of each, and never a per-entry reference count: for a delta that changes a sizeable part
//! of the overlay, a few memcpys of whole pages rather than one path copy per edit, as a hash
//! trie would do.

use std::sync::Arc;

/// Words per page of a [`PagedBits`]: 4096 bits.
const BIT_PAGE_WORDS: usize = 64;
const BIT_PAGE_BITS: usize = BIT_PAGE_WORDS * 64;

/// A persistent bitset. All-zero pages are not stored.
#[derive(Debug, Clone, Default)]
pub(crate) struct PagedBits {
    pages: Vec<Option<Arc<[u64; BIT_PAGE_WORDS]>>>,
}

impl PagedBits {
    #[inline]
    pub(crate) fn get(&self, bit: usize) -> bool {
        match self.pages.get(bit / BIT_PAGE_BITS) {
            Some(Some(page)) => page[(bit / 64) % BIT_PAGE_WORDS] & (1 << (bit % 64)) != 0,
            _ => false,
        }
    }

    /// Bytes of the pages this bitset holds (shared ones included).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.pages.len() * std::mem::size_of::<Option<Arc<[u64; BIT_PAGE_WORDS]>>>()
            + self.pages.iter().flatten().count() * BIT_PAGE_WORDS * 8
    }

    /// Set a bit; whether it was clear.
    pub(crate) fn set(&mut self, bit: usize) -> bool {
        let p = bit / BIT_PAGE_BITS;
        if p >= self.pages.len() {
            self.pages.resize(p + 1, None);
        }
        let page = Arc::make_mut(self.pages[p].get_or_insert_with(|| Arc::new([0; BIT_PAGE_WORDS])));
        let (word, mask) = ((bit / 64) % BIT_PAGE_WORDS, 1u64 << (bit % 64));
        let was_clear = page[word] & mask == 0;
        page[word] |= mask;
        was_clear
    }
}

/// Slots per page of a [`PagedMultiMap`] (2 KiB).
const SLOTS_PER_PAGE: usize = 128;
/// The fewest slots a [`PagedMultiMap`] has.
const MIN_SLOTS: usize = 2 * SLOTS_PER_PAGE;

/// A root ordinal no slot holds: Hollow ordinals are non-negative `int`s.
const EMPTY: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    hash: u64,
    root: u32,
}

const EMPTY_SLOT: Slot = Slot { hash: 0, root: EMPTY };

type Page = [Slot; SLOTS_PER_PAGE];

/// A persistent multimap from key hash to root ordinal: open addressing with linear probing over
/// copy-on-write pages. Every (hash, root) pair is a slot of its own, so a hash with several roots
/// (a hash collision, or a key that repeats in a hash index) is a run of slots. Removal shifts the
/// run back instead of leaving tombstones, so a map whose pairs come and go does not fill up. The
/// table doubles when it would be more than half full; pages no slot has reached are not stored.
#[derive(Debug, Clone)]
pub(crate) struct PagedMultiMap {
    pages: Vec<Option<Arc<Page>>>,
    /// log2 of the number of slots.
    bits: u32,
    len: usize,
}

impl Default for PagedMultiMap {
    fn default() -> Self {
        PagedMultiMap::with_slots(MIN_SLOTS)
    }
}

impl PagedMultiMap {
    fn with_slots(slots: usize) -> Self {
        debug_assert!(slots.is_power_of_two() && slots >= MIN_SLOTS);
        PagedMultiMap { pages: vec![None; slots / SLOTS_PER_PAGE], bits: slots.trailing_zeros(), len: 0 }
    }

    /// Number of (hash, root) pairs.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn mask(&self) -> usize {
        (1 << self.bits) - 1
    }

    /// The slot a hash's probe starts at (Fibonacci hashing: the top bits of a multiply, so that
    /// hashes differing only in their low bits still spread).
    #[inline]
    fn home(&self, hash: u64) -> usize {
        (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - self.bits)) as usize
    }

    #[inline]
    fn slot(&self, i: usize) -> Slot {
        match &self.pages[i / SLOTS_PER_PAGE] {
            Some(page) => page[i % SLOTS_PER_PAGE],
            None => EMPTY_SLOT,
        }
    }

    fn set_slot(&mut self, i: usize, slot: Slot) {
        let page = self.pages[i / SLOTS_PER_PAGE].get_or_insert_with(|| Arc::new([EMPTY_SLOT; SLOTS_PER_PAGE]));
        Arc::make_mut(page)[i % SLOTS_PER_PAGE] = slot;
    }

    /// The roots filed under `hash`, in no particular order.
    #[inline]
    pub(crate) fn get(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let mask = self.mask();
        let mut i = self.home(hash);
        std::iter::from_fn(move || loop {
            let slot = self.slot(i);
            if slot.root == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
            if slot.hash == hash {
                return Some(slot.root);
            }
        })
    }

    /// Whether (`hash`, `root`) is in the map.
    pub(crate) fn contains(&self, hash: u64, root: u32) -> bool {
        self.get(hash).any(|r| r == root)
    }

    /// Add (`hash`, `root`), which must not be in the map yet.
    pub(crate) fn insert(&mut self, hash: u64, root: u32) {
        debug_assert!(root != EMPTY && !self.contains(hash, root));
        if (self.len + 1) * 2 > 1 << self.bits {
            self.grow();
        }
        let mask = self.mask();
        let mut i = self.home(hash);
        while self.slot(i).root != EMPTY {
            i = (i + 1) & mask;
        }
        self.set_slot(i, Slot { hash, root });
        self.len += 1;
    }

    /// Remove (`hash`, `root`); whether it was there.
    pub(crate) fn remove(&mut self, hash: u64, root: u32) -> bool {
        let mask = self.mask();
        let mut hole = self.home(hash);
        loop {
            let slot = self.slot(hole);
            if slot.root == EMPTY {
                return false;
            }
            if slot == (Slot { hash, root }) {
                break;
            }
            hole = (hole + 1) & mask;
        }
        // Shift the rest of the run back into the hole, each slot that may move: one whose probe
        // does not start strictly after the hole (cyclically) and at or before where it sits.
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let slot = self.slot(j);
            if slot.root == EMPTY {
                break;
            }
            let home = self.home(slot.hash);
            let stays = if hole <= j { hole < home && home <= j } else { hole < home || home <= j };
            if !stays {
                self.set_slot(hole, slot);
                hole = j;
            }
        }
        self.set_slot(hole, EMPTY_SLOT);
        self.len -= 1;
        true
    }

    /// Double the slots and file every pair again.
    fn grow(&mut self) {
        let mut bigger = PagedMultiMap::with_slots(2 << self.bits);
        for page in self.pages.iter().flatten() {
            for slot in page.iter().filter(|s| s.root != EMPTY) {
                bigger.insert(slot.hash, slot.root);
            }
        }
        *self = bigger;
    }

    /// Bytes of the pages this map holds (shared ones included).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.pages.len() * std::mem::size_of::<Option<Arc<Page>>>()
            + self.pages.iter().flatten().count() * std::mem::size_of::<Page>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

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
            a.pages[100_000 / BIT_PAGE_BITS].as_ref().unwrap(),
            b.pages[100_000 / BIT_PAGE_BITS].as_ref().unwrap()
        ));
    }

    fn roots(m: &PagedMultiMap, hash: u64) -> BTreeSet<u32> {
        m.get(hash).collect()
    }

    #[test]
    fn multimap_files_several_roots_per_hash_and_copies_only_touched_pages() {
        let mut a = PagedMultiMap::default();
        a.insert(7, 1);
        a.insert(7, 2);
        a.insert(9, 3);
        assert_eq!(roots(&a, 7), BTreeSet::from([1, 2]));
        assert_eq!(roots(&a, 9), BTreeSet::from([3]));
        assert_eq!(roots(&a, 8), BTreeSet::new());
        let mut b = a.clone();
        assert!(b.remove(7, 1));
        assert!(!b.remove(7, 1));
        assert!(!b.remove(9, 1));
        b.insert(11, 4);
        assert_eq!((a.len(), b.len()), (3, 3));
        assert_eq!(roots(&a, 7), BTreeSet::from([1, 2]));
        assert_eq!(roots(&b, 7), BTreeSet::from([2]));
        assert_eq!(roots(&a, 11), BTreeSet::new());
        let shared = a.pages.iter().zip(&b.pages).filter(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => Arc::ptr_eq(x, y),
            _ => false,
        });
        // Three edits touch at most three of the pages; the others are still shared.
        let stored = a.pages.iter().flatten().count();
        assert!(shared.count() + 3 >= stored, "{stored} pages stored");
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u64, u32),
        Remove(u64, u32),
        Snapshot,
    }

    /// A hash whose probe starts at slot `home` of the smallest table.
    fn hash_homed_at(home: u64) -> u64 {
        const MUL: u64 = 0x9e37_79b9_7f4a_7c15;
        // The multiplier's inverse modulo 2^64 (Newton's iteration doubles the correct bits).
        let mut inverse = MUL;
        for _ in 0..6 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(MUL.wrapping_mul(inverse)));
        }
        let bits = MIN_SLOTS.trailing_zeros();
        let hash = (home << (64 - bits)).wrapping_mul(inverse);
        assert_eq!(PagedMultiMap::default().home(hash), home as usize);
        hash
    }

    fn op() -> impl Strategy<Value = Op> {
        // Few distinct hashes and roots, and hashes homed at the last slots of the table and at
        // the first, so that runs collide, wrap around the table's end and shift back across it.
        let last = MIN_SLOTS as u64 - 1;
        let hash = prop_oneof![
            0u64..40,
            (0u64..8).prop_map(move |k| hash_homed_at((last - k) % MIN_SLOTS as u64)),
            (0u64..4).prop_map(hash_homed_at),
            any::<u64>(),
        ];
        prop_oneof![
            6 => (hash.clone(), 0u32..50).prop_map(|(h, r)| Op::Insert(h, r)),
            4 => (hash, 0u32..50).prop_map(|(h, r)| Op::Remove(h, r)),
            1 => Just(Op::Snapshot),
        ]
    }

    proptest! {
        /// Against a set of pairs: every version answers as the set did when it was taken, however
        /// later versions were edited.
        #[test]
        fn multimap_matches_a_set_of_pairs(ops in proptest::collection::vec(op(), 1..600)) {
            let mut map = PagedMultiMap::default();
            let mut model: BTreeSet<(u64, u32)> = BTreeSet::new();
            let mut versions: Vec<(PagedMultiMap, BTreeSet<(u64, u32)>)> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(h, r) => {
                        if model.insert((h, r)) {
                            map.insert(h, r);
                        }
                    }
                    Op::Remove(h, r) => prop_assert_eq!(map.remove(h, r), model.remove(&(h, r))),
                    Op::Snapshot => versions.push((map.clone(), model.clone())),
                }
                prop_assert_eq!(map.len(), model.len());
            }
            versions.push((map, model));
            for (map, model) in &versions {
                let homed = (0..8).map(|k| hash_homed_at(MIN_SLOTS as u64 - 1 - k)).chain((0..4).map(hash_homed_at));
                let hashes: BTreeSet<u64> = model.iter().map(|&(h, _)| h).chain(0..40).chain(homed).collect();
                for h in hashes {
                    let want: BTreeSet<u32> = model.range((h, 0)..=(h, u32::MAX)).map(|&(_, r)| r).collect();
                    prop_assert_eq!(roots(map, h), want, "hash {}", h);
                }
            }
        }
    }
}

//! The set of ordinals populated in one cycle, sized exactly like Java's `ThreadSafeBitSet`.
//!
//! A snapshot ends each type with this set, encoded by [`crate::blob::populated`] (the format's one codec
//! of it); what this module owns is only how many longs Java would write.
//! Java writes every *segment* the set has ever allocated (256 longs = 16,384 ordinals each), and a
//! `ThreadSafeBitSet` allocates segments on **any** access, reads included. Segments are never
//! released, and `clearAll` keeps them. The write engine owns two of these sets (this cycle's and the
//! previous cycle's) and swaps them every cycle, so the length Java writes depends on what each of the
//! two objects was ever asked about.
//!
//! Of all those accesses only one kind can show in a snapshot: when a cycle is written, Java reads
//! this cycle's set at every ordinal up to the type's max ordinal, ghosts included, so the set grows to
//! cover it ([`SegmentedBitSet::touch`]). Java also reads the *previous* cycle's set, but never beyond
//! an ordinal that the same object covered as "this cycle's" set one cycle earlier or will cover one
//! cycle later (the max ordinal of cycle N+1 counts cycle N's records as ghosts), so those reads need
//! no emulation. Keeping the two objects and swapping them like Java is what makes the history right:
//! with 20,000 records in cycle 1 and only ordinal 0 afterwards, Java writes two segments in every
//! later snapshot.

use crate::blob::populated::{self, java_num_longs};

/// A growable bitset of ordinals that remembers how many segments Java would have allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentedBitSet {
    /// Always whole segments of [`populated::LONGS_PER_SEGMENT`] words.
    words: Vec<u64>,
}

impl Default for SegmentedBitSet {
    fn default() -> Self {
        // Java preallocates one segment.
        SegmentedBitSet { words: vec![0; java_num_longs(None)] }
    }
}

impl SegmentedBitSet {
    /// Grow (never shrink) so that `ordinal` lies in an allocated segment, as any Java access does.
    pub fn touch(&mut self, ordinal: u32) {
        let len = java_num_longs(Some(ordinal));
        if len > self.words.len() {
            self.words.resize(len, 0);
        }
    }

    /// Mark `ordinal` populated.
    pub fn set(&mut self, ordinal: u32) {
        self.touch(ordinal);
        self.words[(ordinal / 64) as usize] |= 1 << (ordinal % 64);
    }

    /// Whether `ordinal` is populated. Does not grow the set; call [`touch`](Self::touch) where Java's
    /// read would.
    #[inline]
    pub fn get(&self, ordinal: u32) -> bool {
        self.words.get((ordinal / 64) as usize).is_some_and(|w| w & (1 << (ordinal % 64)) != 0)
    }

    /// Unmark `ordinal` (the set does not shrink).
    pub fn clear(&mut self, ordinal: u32) {
        if let Some(w) = self.words.get_mut((ordinal / 64) as usize) {
            *w &= !(1 << (ordinal % 64));
        }
    }

    /// Mark every ordinal `other` has. The set grows only as far as `other`'s largest ordinal, as if
    /// each were [`set`](Self::set) (not to `other`'s allocated size).
    pub fn union_with(&mut self, other: &SegmentedBitSet) {
        let Some(last) = other.words.iter().rposition(|&w| w != 0) else { return };
        self.touch((last * 64) as u32);
        for (w, &o) in self.words.iter_mut().zip(&other.words[..=last]) {
            *w |= o;
        }
    }

    /// How many ordinals this set has that `other` lacks, and how many `other` has that this lacks.
    pub fn difference_counts(&self, other: &SegmentedBitSet) -> (usize, usize) {
        let n = self.words.len().max(other.words.len());
        let word = |s: &SegmentedBitSet, i: usize| s.words.get(i).copied().unwrap_or(0);
        (0..n).fold((0, 0), |(a, b), i| {
            let (x, y) = (word(self, i), word(other, i));
            (a + (x & !y).count_ones() as usize, b + (y & !x).count_ones() as usize)
        })
    }

    /// The number of words allocated (for [`truncate_words`](Self::truncate_words)).
    pub fn allocated_words(&self) -> usize {
        self.words.len()
    }

    /// Give back the segments allocated beyond `len` words (which must hold no ordinal): undoes the
    /// growth of an abandoned trial, which Java never made.
    pub fn truncate_words(&mut self, len: usize) {
        debug_assert!(self.words[len.min(self.words.len())..].iter().all(|&w| w == 0));
        self.words.truncate(len.max(java_num_longs(None)));
    }

    /// Unmark every ordinal, keeping the allocated segments.
    pub fn clear_all(&mut self) {
        self.words.fill(0);
    }

    /// True when both sets hold the same ordinals (allocated sizes may differ).
    pub fn same_ordinals(&self, other: &SegmentedBitSet) -> bool {
        let (short, long) = if self.words.len() <= other.words.len() { (self, other) } else { (other, self) };
        short.words[..] == long.words[..short.words.len()] && long.words[short.words.len()..].iter().all(|&w| w == 0)
    }

    /// Number of populated ordinals.
    #[cfg(test)]
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The populated ordinals, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        populated::ones(&self.words)
    }

    /// Append as Java's `ThreadSafeBitSet.serializeBitsTo`: every allocated segment.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        populated::write_words(out, &self.words);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_whole_segments() {
        let mut p = SegmentedBitSet::default();
        p.set(0);
        p.set(1);
        let mut out = Vec::new();
        p.write_to(&mut out);
        assert_eq!(out.len(), 4 + 256 * 8);
        assert_eq!(&out[..4], &[0, 0, 1, 0]);
        assert_eq!(&out[4..12], &[0, 0, 0, 0, 0, 0, 0, 3]);
    }

    #[test]
    fn any_access_grows_and_clearing_keeps_segments() {
        let mut p = SegmentedBitSet::default();
        p.touch(16_383);
        assert_eq!(p.words.len(), 256);
        p.touch(16_384);
        assert_eq!(p.words.len(), 512);
        p.set(40_000);
        assert_eq!(p.words.len(), 768);
        p.clear_all();
        assert_eq!(p.words.len(), 768);
        assert_eq!(p.count(), 0);
        assert!(p.same_ordinals(&SegmentedBitSet::default()));
    }

    #[test]
    fn iteration_and_queries() {
        let mut p = SegmentedBitSet::default();
        for o in [3, 64, 65, 20_000] {
            p.set(o);
        }
        assert_eq!(p.iter().collect::<Vec<_>>(), [3, 64, 65, 20_000]);
        assert_eq!(p.count(), 4);
        assert!(p.get(64) && !p.get(66) && !p.get(1_000_000));
        let mut q = SegmentedBitSet::default();
        for o in [3, 64, 65, 20_000] {
            q.set(o);
        }
        q.touch(90_000);
        assert!(p.same_ordinals(&q) && q.same_ordinals(&p));
        q.set(4);
        assert!(!p.same_ordinals(&q));
    }
}

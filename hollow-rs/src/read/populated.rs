//! The set of populated ordinals of a type, as a reader holds it.
//!
//! A snapshot carries it explicitly after the last shard of each type (decoded by
//! [`crate::blob::populated`], the format's one codec of it). A delta does not: the consumer clears the
//! delta's removals and sets its additions. The words never end in a zero word, so two sets with the
//! same ordinals have equal words whatever length the blob padded them to.

use std::sync::Arc;

use crate::blob::populated;
use crate::encoding::ByteReader;
use crate::error::Result;

/// The set of populated ordinals of a type: a bitset, shared between versions until a delta changes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PopulatedOrdinals {
    /// Bit `o % 64` of word `o / 64` is set when ordinal `o` is populated. No trailing zero words.
    words: Arc<[u64]>,
    count: usize,
}

impl PopulatedOrdinals {
    /// True when `ordinal` is populated.
    #[inline]
    pub fn contains(&self, ordinal: u32) -> bool {
        self.words.get((ordinal / 64) as usize).is_some_and(|w| w & (1u64 << (ordinal % 64)) != 0)
    }

    /// Number of populated ordinals.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The largest populated ordinal, if any.
    pub fn max(&self) -> Option<u32> {
        let last = self.words.len().checked_sub(1)?;
        Some(last as u32 * 64 + 63 - self.words[last].leading_zeros())
    }

    /// Populated ordinals, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        populated::ones(&self.words)
    }

    /// Populated ordinals from `from` on, ascending: a resumable walk (the C API's cursor) that skips
    /// 64 unpopulated ordinals per step instead of testing each.
    pub fn iter_from(&self, from: u32) -> impl Iterator<Item = u32> + '_ {
        let mut index = (from / 64) as usize;
        // The word being walked, its bits below `from` cleared, and bits cleared as they are yielded.
        let mut word = self.words.get(index).map_or(0, |&w| w & (u64::MAX << (from % 64)));
        std::iter::from_fn(move || {
            while word == 0 {
                index += 1;
                word = *self.words.get(index)?;
            }
            let bit = word.trailing_zeros();
            word &= word - 1;
            Some(index as u32 * 64 + bit)
        })
    }

    /// The ordinals in `self` and not in `newer` (appended to `removed`) and the other way round
    /// (appended to `added`), both ascending. Free when the two share storage (a type a delta did
    /// not touch); otherwise one comparison per 64 ordinals plus one step per changed ordinal.
    pub fn diff(&self, newer: &PopulatedOrdinals, removed: &mut Vec<u32>, added: &mut Vec<u32>) {
        if Arc::ptr_eq(&self.words, &newer.words) {
            return;
        }
        let push_bits = |bits: u64, word: usize, out: &mut Vec<u32>| {
            out.extend(populated::ones(&[bits]).map(|bit| word as u32 * 64 + bit));
        };
        for i in 0..self.words.len().max(newer.words.len()) {
            let old = self.words.get(i).copied().unwrap_or(0);
            let new = newer.words.get(i).copied().unwrap_or(0);
            if old != new {
                push_bits(old & !new, i, removed);
                push_bits(new & !old, i, added);
            }
        }
    }

    /// A set holding exactly `ordinals`.
    pub fn from_ordinals(ordinals: impl IntoIterator<Item = u32>) -> Self {
        let mut words: Vec<u64> = Vec::new();
        for o in ordinals {
            set_bit(&mut words, o);
        }
        Self::from_words(words)
    }

    fn from_words(mut words: Vec<u64>) -> Self {
        while words.last() == Some(&0) {
            words.pop();
        }
        let count = words.iter().map(|w| w.count_ones() as usize).sum();
        PopulatedOrdinals { words: words.into(), count }
    }

    /// Read the bitset that ends a type's snapshot body.
    pub(crate) fn read_snapshot(r: &mut ByteReader<'_>) -> Result<Self> {
        Ok(Self::from_words(populated::read_words(r)?.to_words()))
    }

    /// This set without `removed` and with `added` (global ordinals).
    pub(crate) fn with_changes(&self, removed: &[u32], added: &[u32]) -> Self {
        if removed.is_empty() && added.is_empty() {
            return self.clone();
        }
        let mut words = self.words.to_vec();
        for &o in removed {
            if let Some(w) = words.get_mut((o / 64) as usize) {
                *w &= !(1u64 << (o % 64));
            }
        }
        for &o in added {
            set_bit(&mut words, o);
        }
        Self::from_words(words)
    }
}

fn set_bit(words: &mut Vec<u64>, ordinal: u32) {
    let idx = (ordinal / 64) as usize;
    if idx >= words.len() {
        words.resize(idx + 1, 0);
    }
    words[idx] |= 1u64 << (ordinal % 64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_removed_and_added_ordinals() {
        let a = PopulatedOrdinals::from_ordinals([0, 3, 64, 130]);
        let b = PopulatedOrdinals::from_ordinals([3, 65, 130, 200]);
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        a.diff(&b, &mut removed, &mut added);
        assert_eq!(removed, [0, 64]);
        assert_eq!(added, [65, 200]);
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        b.diff(&a, &mut removed, &mut added);
        assert_eq!(removed, [65, 200]);
        assert_eq!(added, [0, 64]);
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        a.diff(&a.clone(), &mut removed, &mut added);
        assert!(removed.is_empty() && added.is_empty());
    }

    #[test]
    fn iter_from_resumes_at_any_ordinal() {
        let p = PopulatedOrdinals::from_ordinals([0, 3, 63, 64, 200, 511]);
        let all: Vec<u32> = p.iter().collect();
        for from in 0..600 {
            let expected: Vec<u32> = all.iter().copied().filter(|&o| o >= from).collect();
            assert_eq!(p.iter_from(from).collect::<Vec<_>>(), expected, "from {from}");
        }
        assert_eq!(PopulatedOrdinals::default().iter_from(0).count(), 0);
        assert_eq!(p.iter_from(u32::MAX).count(), 0);
    }

    #[test]
    fn set_operations() {
        let p = PopulatedOrdinals::from_ordinals([0, 3, 64, 200]);
        assert_eq!(p.count(), 4);
        assert!(p.contains(64) && !p.contains(65) && !p.contains(100_000));
        assert_eq!(p.iter().collect::<Vec<_>>(), [0, 3, 64, 200]);
        assert_eq!(p.max(), Some(200));
        let q = p.with_changes(&[200, 3, 7], &[5]);
        assert_eq!(q.iter().collect::<Vec<_>>(), [0, 5, 64]);
        assert_eq!(q.max(), Some(64));
        assert_eq!(PopulatedOrdinals::default().max(), None);
    }

    #[test]
    fn reads_the_snapshot_bitset() {
        let mut bytes = vec![0, 0, 0, 2];
        bytes.extend_from_slice(&3u64.to_be_bytes());
        bytes.extend_from_slice(&0u64.to_be_bytes());
        let p = PopulatedOrdinals::read_snapshot(&mut ByteReader::new(&bytes)).unwrap();
        assert_eq!(p.iter().collect::<Vec<_>>(), [0, 1]);
        assert!(PopulatedOrdinals::read_snapshot(&mut ByteReader::new(&bytes[..10])).is_err());
    }
}

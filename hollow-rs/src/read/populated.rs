//! The set of populated ordinals of a type, as a reader holds it.
//!
//! A snapshot carries it explicitly after the last shard of each type (decoded by
//! [`crate::blob::populated`], the format's one codec of it). A delta does not: the consumer clears the
//! delta's removals and sets its additions.
//!
//! The words stay as the snapshot has them, big-endian, so that a snapshot read in
//! place (a mapped file, or a blob buffer) reads them in place too and a mapped consumer holds no
//! private copy of them. Invariant: the set's length ends at its last nonzero word (trailing zero
//! words of the blob, which Java pads to whole segments, lie past it and are never read), and its
//! count is the number of set bits up to there; both are fixed when the set is made, so a mapped file
//! changed afterwards can change which ordinals a walk yields, never how far it reads. Two sets with
//! the same ordinals therefore compare equal whatever length the blob padded them to.

use std::sync::Arc;

use crate::blob::populated;
use crate::encoding::ByteReader;
use crate::error::Result;
use crate::memory::{BlobBuffer, SharedBytes};

/// The set of populated ordinals of a type: a bitset, shared between versions until a delta changes it.
#[derive(Clone)]
pub struct PopulatedOrdinals {
    /// Bit `o % 64` of word `o / 64` is set when ordinal `o` is populated (big-endian words, in
    /// place when the snapshot was); only the first `num_words` words belong to the set.
    bits: Arc<SharedBytes>,
    /// Words up to and including the last nonzero one.
    num_words: usize,
    count: usize,
}

impl Default for PopulatedOrdinals {
    fn default() -> Self {
        PopulatedOrdinals { bits: Arc::new(SharedBytes::default()), num_words: 0, count: 0 }
    }
}

impl PartialEq for PopulatedOrdinals {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count
            && self.num_words == other.num_words
            && (Arc::ptr_eq(&self.bits, &other.bits) || self.words().eq(other.words()))
    }
}

impl Eq for PopulatedOrdinals {}

/// The count and the first ordinals (a set can hold millions).
impl std::fmt::Debug for PopulatedOrdinals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 32;
        let first: Vec<u32> = self.iter().take(SHOWN).collect();
        let more = if self.count > SHOWN { ", ..." } else { "" };
        write!(f, "PopulatedOrdinals({} ordinals: {first:?}{more})", self.count)
    }
}

impl PopulatedOrdinals {
    /// The set's words, native byte order.
    fn words(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.num_words).map(|i| populated::word(&self.bits, i))
    }

    #[inline]
    fn word(&self, index: usize) -> Option<u64> {
        (index < self.num_words).then(|| populated::word(&self.bits, index))
    }

    /// True when `ordinal` is populated.
    #[inline]
    pub fn contains(&self, ordinal: u32) -> bool {
        self.word((ordinal / 64) as usize).is_some_and(|w| w & (1u64 << (ordinal % 64)) != 0)
    }

    /// Bytes of process heap the set holds: 0 when it is read in place from a file mapping; a window
    /// into a blob buffer counts its own bytes, as record arrays do.
    pub fn heap_bytes(&self) -> usize {
        self.bits.heap_bytes()
    }

    /// Number of populated ordinals.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The largest populated ordinal, if any.
    pub fn max(&self) -> Option<u32> {
        let last = self.num_words.checked_sub(1)?;
        let word = populated::word(&self.bits, last);
        // A mapped file changed under the set can have zeroed its last word (module docs).
        (word != 0).then(|| last as u32 * 64 + 63 - word.leading_zeros())
    }

    /// Populated ordinals, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        populated::ones_of(self.words())
    }

    /// Populated ordinals from `from` on, ascending: a resumable walk (the C API's cursor) that skips
    /// 64 unpopulated ordinals per step instead of testing each.
    pub fn iter_from(&self, from: u32) -> impl Iterator<Item = u32> + '_ {
        let mut index = (from / 64) as usize;
        // The word being walked, its bits below `from` cleared, and bits cleared as they are yielded.
        let mut word = self.word(index).map_or(0, |w| w & (u64::MAX << (from % 64)));
        std::iter::from_fn(move || {
            while word == 0 {
                index += 1;
                word = self.word(index)?;
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
        if Arc::ptr_eq(&self.bits, &newer.bits) && self.num_words == newer.num_words {
            return;
        }
        let push_bits = |bits: u64, word: usize, out: &mut Vec<u32>| {
            out.extend(populated::ones(&[bits]).map(|bit| word as u32 * 64 + bit));
        };
        for i in 0..self.num_words.max(newer.num_words) {
            let old = self.word(i).unwrap_or(0);
            let new = newer.word(i).unwrap_or(0);
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
        let mut bytes = Vec::with_capacity(words.len() * 8);
        words.iter().for_each(|w| bytes.extend_from_slice(&w.to_be_bytes()));
        PopulatedOrdinals { bits: Arc::new(SharedBytes::from_vec(bytes)), num_words: words.len(), count }
    }

    /// Read the bitset that ends a type's snapshot body: in place when the reader reads a mapping or
    /// a blob buffer, else copied (without the blob's trailing zero words).
    pub(crate) fn read_snapshot(r: &mut ByteReader<'_>) -> Result<Self> {
        let bytes = populated::read_bytes(r)?;
        let blob_words = bytes.len() / 8;
        let num_words = (0..blob_words).rev().find(|&i| populated::word(&bytes, i) != 0).map_or(0, |i| i + 1);
        let in_place = bytes.is_mapped() || bytes.buffer().is_some();
        if !in_place && num_words < blob_words {
            return Ok(Self::from_words((0..num_words).map(|i| populated::word(&bytes, i)).collect()));
        }
        let count = (0..num_words).map(|i| populated::word(&bytes, i).count_ones() as usize).sum();
        Ok(PopulatedOrdinals { bits: Arc::new(bytes), num_words, count })
    }

    /// This set without `removed` and with `added` (global ordinals).
    pub(crate) fn with_changes(&self, removed: &[u32], added: &[u32]) -> Self {
        if removed.is_empty() && added.is_empty() {
            return self.clone();
        }
        let mut words: Vec<u64> = self.words().collect();
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

    /// The bytes behind the set, for the retention of blob buffers (`read::retention`).
    pub(crate) fn storage(&self) -> &SharedBytes {
        &self.bits
    }

    /// This set, copied to memory of its own when it is a window into a buffer `release` picks.
    pub(crate) fn with_windows_detached(&self, release: &dyn Fn(&BlobBuffer) -> bool) -> Self {
        if !self.storage().buffer().is_some_and(release) {
            return self.clone();
        }
        Self::from_words(self.words().collect())
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

    /// The bitset of the last type ends the blob: read in place from a mapping or a buffer even there
    /// (it needs no padding after it), copied without its trailing zero words from a plain slice,
    /// and equal to the same set built from its ordinals whichever way it was read.
    #[test]
    fn snapshot_bitsets_are_read_in_place_up_to_the_end_of_the_blob() {
        use crate::memory::{Backing, BlobBuffer};
        let ordinals = [0, 5, 63, 64, 1000, 16_383];
        let mut blob = Vec::new();
        populated::write(&mut blob, &ordinals, populated::java_num_longs(Some(16_383)) * 2);
        let expected = PopulatedOrdinals::from_ordinals(ordinals);
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &blob).unwrap();
        // SAFETY: a private temporary file nothing else can reach.
        let map = Arc::new(unsafe { memmap2::Mmap::map(&file) }.unwrap());
        let owned = Backing::Buffer(BlobBuffer::shared(blob.clone().into()));
        let copy = Backing::Buffer(BlobBuffer::copy_of(&blob).unwrap());
        let mapped = Backing::File(map);
        for (how, backing) in [("mapped", &mapped), ("owned buffer", &owned), ("copied buffer", &copy)] {
            let mut r = ByteReader::over(backing);
            let set = PopulatedOrdinals::read_snapshot(&mut r).unwrap();
            assert!(r.is_empty(), "{how}");
            assert_eq!(set.storage().is_mapped(), how == "mapped", "{how}");
            assert_eq!(set.storage().buffer().is_some(), how != "mapped", "{how}");
            assert_eq!(set.storage().len(), 512 * 8, "{how}: the blob's words, read where they lie");
            assert_eq!(set.heap_bytes(), if how == "mapped" { 0 } else { 512 * 8 }, "{how}");
            assert_eq!(set, expected, "{how}");
            assert_eq!(set.iter().collect::<Vec<_>>(), ordinals, "{how}");
            assert_eq!((set.count(), set.max()), (6, Some(16_383)), "{how}");
            assert!(set.contains(1000) && !set.contains(1001) && !set.contains(16_384) && !set.contains(40_000));
            assert_eq!(set.iter_from(65).collect::<Vec<_>>(), [1000, 16_383], "{how}");
            let (mut removed, mut added) = (Vec::new(), Vec::new());
            set.diff(&expected, &mut removed, &mut added);
            assert!(removed.is_empty() && added.is_empty(), "{how}");
            let changed = set.with_changes(&[16_383], &[7]);
            assert_eq!(changed.iter().collect::<Vec<_>>(), [0, 5, 7, 63, 64, 1000], "{how}");
            assert_eq!(changed.heap_bytes(), 16 * 8, "{how}: a changed set holds its words up to the last one set");
            // Detached from a released buffer, the set holds its own words and reads the same.
            let detached = set.with_windows_detached(&|_| true);
            assert!(detached.storage().buffer().is_none(), "{how}");
            assert_eq!(detached.storage().is_mapped(), how == "mapped", "{how}: mappings are not buffers");
            assert_eq!(detached, expected, "{how}");
        }
        let copied = PopulatedOrdinals::read_snapshot(&mut ByteReader::new(&blob)).unwrap();
        assert_eq!(copied.storage().len(), 256 * 8, "copied up to the last nonzero word");
        assert_eq!(copied, expected);
    }

    /// A mapped file rewritten after the load changes which ordinals a walk yields, never how far it
    /// reads: no panic, and nothing past the words the load counted.
    #[test]
    fn a_mapped_bitset_changed_after_the_load_reads_within_its_words() {
        use crate::memory::Backing;
        use std::io::{Seek, SeekFrom, Write};
        let mut blob = Vec::new();
        populated::write(&mut blob, &[1, 70, 130], 4);
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&blob).unwrap();
        // SAFETY: a private temporary file, changed below on purpose through the file, not the mapping.
        let map = Arc::new(unsafe { memmap2::Mmap::map(&file) }.unwrap());
        let set = PopulatedOrdinals::read_snapshot(&mut ByteReader::over(&Backing::File(map))).unwrap();
        assert_eq!((set.count(), set.max()), (3, Some(130)));
        // The last counted word (ordinal 130) zeroed, and every bit of the word after it set.
        file.seek(SeekFrom::Start(4 + 2 * 8)).unwrap();
        file.write_all(&[0; 8]).unwrap();
        file.write_all(&[0xFF; 8]).unwrap();
        file.sync_all().unwrap();
        assert_eq!(set.max(), None, "the last counted word is now zero");
        assert_eq!(set.iter().collect::<Vec<_>>(), [1, 70]);
        assert_eq!(set.iter_from(100).count(), 0);
        assert!(!set.contains(130) && !set.contains(200), "nothing past the counted words");
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        set.diff(&PopulatedOrdinals::from_ordinals([1, 70, 130]), &mut removed, &mut added);
        assert_eq!((removed, added), (vec![], vec![130]));
        assert_eq!(set.with_changes(&[], &[5]).iter().collect::<Vec<_>>(), [1, 5, 70]);
        assert!(format!("{set:?}").starts_with("PopulatedOrdinals(3 ordinals"));
    }

    /// An empty bitset (a length of zero words, which the format allows) read from a buffer is an
    /// empty window into it, and detaching lets the buffer go.
    #[test]
    fn an_empty_bitset_is_an_empty_window_that_detaches() {
        use crate::memory::{Backing, BlobBuffer};
        let backing = Backing::Buffer(BlobBuffer::copy_of(&[0, 0, 0, 0]).unwrap());
        let set = PopulatedOrdinals::read_snapshot(&mut ByteReader::over(&backing)).unwrap();
        assert_eq!(set, PopulatedOrdinals::default());
        assert!(set.storage().buffer().is_some() && set.storage().is_empty());
        assert!(set.with_windows_detached(&|_| true).storage().buffer().is_none());
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

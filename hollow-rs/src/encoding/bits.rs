//! Fixed-length bit arrays, Hollow's `FixedLengthElementArray`.
//!
//! The array is one long bit string. Bit `i` is bit `i % 64` (least significant first) of word `i / 64`.
//! An element of `w` bits (`0 ..= 64`) at bit offset `o` may straddle two words. On the wire the array is
//! a VarLong word count followed by that many **big-endian** 64-bit words.
//!
//! In memory the words stay as the wire has them, big-endian, whether the array was copied to the heap
//! or is read in place from a mapped file ([`crate::mapped`]): one layout, one read path, and a load
//! that copies bytes instead of converting words. A read is an unaligned load and a byte swap (one
//! `movbe`, or `mov` + `bswap`, on x86-64).
//!
//! Invariant: at least [`PADDING_BYTES`] readable bytes follow the payload, so that reading an element
//! never needs a branch or a bounds special case: the word after an element's first word always
//! exists, even for an element that ends in the last payload word or a zero-width element at the very
//! end. On the heap they are zero words; in a mapping they are whatever the file holds next, which
//! never reaches a result: those bits lie above the element and are masked off.

use super::reader::ByteReader;
use crate::error::Result;
use crate::memory::{LargeArray, SharedBytes};

/// A mask of the low `width` bits (`width` in `0..=64`).
#[inline]
pub const fn mask(width: u32) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

/// Number of bits needed to store `value` (0 for 0): `64 - leading_zeros(value)`.
#[inline]
pub const fn bits_needed(value: u64) -> u32 {
    64 - value.leading_zeros()
}

/// Readable bytes after the payload (see the module docs): two words.
pub const PADDING_BYTES: usize = 16;

/// A bit-packed array of 64-bit words. Equal when the payloads are (whatever follows them).
#[derive(Clone)]
pub struct BitArray {
    /// `num_words` big-endian payload words followed by [`PADDING_BYTES`] readable bytes; on huge
    /// pages when large (see [`crate::memory`]), or in a file mapping.
    bytes: SharedBytes,
    num_words: usize,
}

impl std::fmt::Debug for BitArray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BitArray({} words, {})", self.num_words, if self.is_mapped() { "mapped" } else { "heap" })
    }
}

#[cold]
#[inline(never)]
fn out_of_bounds(offset: u64, num_words: usize) -> ! {
    panic!("bit {offset} is outside an array of {num_words} words")
}

impl PartialEq for BitArray {
    fn eq(&self, other: &Self) -> bool {
        self.num_words == other.num_words && self.bytes[..self.num_words * 8] == other.bytes[..other.num_words * 8]
    }
}

impl Eq for BitArray {}

impl Default for BitArray {
    fn default() -> Self {
        BitArray::zeroed_words(0)
    }
}

impl BitArray {
    /// An all-zero array of `num_words` words.
    pub fn zeroed_words(num_words: usize) -> Self {
        let words = LargeArray::zeroed(num_words + PADDING_BYTES / 8);
        BitArray { bytes: SharedBytes::from_words(words), num_words }
    }

    /// An array with room for at least `num_bits` bits whose bits are undefined (zero, or what a
    /// recycled array held: see [`LargeArray::for_overwrite`]) until written. The writer must set
    /// every bit it will read and end with [`Self::clear_from`] past the last one, so that the
    /// payload compares and writes out as an array built from zeros would.
    pub(crate) fn for_overwrite_bits(num_bits: u64) -> Self {
        let num_words = num_bits.div_ceil(64) as usize;
        let words = LargeArray::for_overwrite(num_words + PADDING_BYTES / 8);
        BitArray { bytes: SharedBytes::from_words(words), num_words }
    }

    /// Zero every bit from `offset` to the end of the payload, and the padding after it.
    pub(crate) fn clear_from(&mut self, offset: u64) {
        let end = (self.num_words as u64) * 64;
        if offset < end {
            let head = (64 - offset % 64) % 64;
            if head > 0 {
                self.set(offset, head.min(end - offset) as u32, 0);
            }
        }
        let first_word = offset.div_ceil(64).min(self.num_words as u64) as usize;
        let bytes = self.bytes.make_mut();
        bytes[first_word * 8..].fill(0);
    }

    /// An all-zero array with room for at least `num_bits` bits.
    pub fn zeroed_bits(num_bits: u64) -> Self {
        Self::zeroed_words(num_bits.div_ceil(64) as usize)
    }

    /// Read `num_words` big-endian words from `r`: in place when `r` reads a mapped file, else copied.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`](crate::Error::CorruptBlob) when the words run past the end of the blob.
    pub fn read_words(r: &mut ByteReader<'_>, num_words: u64, what: &str) -> Result<Self> {
        let n = r.check_len(num_words, 8, what)?;
        if let Some(bytes) = r.in_place(n * 8, PADDING_BYTES, what)? {
            return Ok(BitArray { bytes, num_words: n });
        }
        let raw = r.bytes(n * 8, what)?;
        let mut array = Self::zeroed_words(n);
        array.bytes.make_mut()[..n * 8].copy_from_slice(raw);
        Ok(array)
    }

    /// Read a VarLong word count and that many big-endian words (`SegmentedLongArray.readFrom`).
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`](crate::Error::CorruptBlob) when the count is negative or the words run past the
    /// end of the blob.
    pub fn read_from(r: &mut ByteReader<'_>, what: &str) -> Result<Self> {
        let n = r.varlong_count(what)?;
        Self::read_words(r, n, what)
    }

    /// Number of payload words.
    #[inline]
    pub fn num_words(&self) -> usize {
        self.num_words
    }

    /// Number of payload bits.
    #[inline]
    pub fn num_bits(&self) -> u64 {
        self.num_words() as u64 * 64
    }

    /// The payload words, in native byte order.
    pub fn to_words(&self) -> Vec<u64> {
        self.bytes[..self.num_words * 8].as_chunks::<8>().0.iter().map(|&b| u64::from_be_bytes(b)).collect()
    }

    /// True when the words are read in place from a file mapping.
    pub fn is_mapped(&self) -> bool {
        self.bytes.is_mapped()
    }

    /// Bytes of process heap held (0 when mapped).
    pub fn heap_bytes(&self) -> usize {
        self.bytes.heap_bytes()
    }

    /// The bytes behind the array (payload and padding).
    pub(crate) fn storage(&self) -> &SharedBytes {
        &self.bytes
    }

    /// The bytes behind the array, to detach them from a window (never to change the payload).
    pub(crate) fn storage_mut(&mut self) -> &mut SharedBytes {
        &mut self.bytes
    }

    /// The `width`-bit element at bit `offset`, masked with `mask` (which must be [`mask`]`(width)`).
    ///
    /// Panics if the element does not lie within the array; callers validate sizes at load time. An
    /// element that ends exactly at the end of the payload (a zero-width element there included) is
    /// within the array.
    #[inline]
    pub fn get_masked(&self, offset: u64, mask: u64) -> u64 {
        let at = (offset >> 6) as usize * 8;
        // One bounds check for both words; the padding makes the second exist (module docs).
        let Some(two) = self.bytes.get(at..at + 16).and_then(|b| <&[u8; 16]>::try_from(b).ok()) else {
            out_of_bounds(offset, self.num_words)
        };
        // Word `at / 8` is the high half of the big-endian u128, the next word the low half: rotated,
        // the two words read as one 128-bit little-endian bit string, so the element is one shift.
        let both = u128::from_be_bytes(*two).rotate_left(64);
        (both >> (offset & 63)) as u64 & mask
    }

    /// Start loading the cache line of the element at bit `offset` (see [`crate::memory::prefetch`]);
    /// nothing when the offset is outside the array.
    #[inline]
    pub(crate) fn prefetch(&self, offset: u64) {
        if let Some(byte) = self.bytes.get((offset >> 3) as usize) {
            crate::memory::prefetch(byte);
        }
    }

    /// The `width`-bit element (`0 ..= 64`) at bit `offset`.
    #[inline]
    pub fn get(&self, offset: u64, width: u32) -> u64 {
        self.get_masked(offset, mask(width))
    }

    /// True when a `width`-bit element at `offset` lies within the payload.
    #[inline]
    pub fn contains(&self, offset: u64, width: u32) -> bool {
        offset.checked_add(width as u64).is_some_and(|end| end <= self.num_bits())
    }

    fn word(bytes: &[u8], idx: usize) -> u64 {
        u64::from_be_bytes(bytes[idx * 8..idx * 8 + 8].try_into().expect("8 bytes"))
    }

    fn set_word(bytes: &mut [u8], idx: usize, value: u64) {
        bytes[idx * 8..idx * 8 + 8].copy_from_slice(&value.to_be_bytes());
    }

    /// Store the low `width` bits of `value` at bit `offset`, replacing what was there. A mapped
    /// array is first copied to the heap.
    pub fn set(&mut self, offset: u64, width: u32, value: u64) {
        if width == 0 {
            return;
        }
        let m = mask(width);
        let value = value & m;
        let idx = (offset >> 6) as usize;
        let shift = (offset & 63) as u32;
        let bytes = self.bytes.make_mut();
        Self::set_word(bytes, idx, (Self::word(bytes, idx) & !(m << shift)) | (value << shift));
        if shift + width > 64 {
            let spill = 64 - shift;
            let hm = m >> spill;
            Self::set_word(bytes, idx + 1, (Self::word(bytes, idx + 1) & !hm) | (value >> spill));
        }
    }

    /// Copy `num_bits` bits starting at `src_offset` in `src` to `dst_offset` in `self`.
    pub fn copy_bits(&mut self, src: &BitArray, src_offset: u64, dst_offset: u64, num_bits: u64) {
        let mut done = 0;
        // Runs at the same bit phase in both arrays (a delta copying unchanged records to the same
        // ordinals) are copied a whole word at a time between a partial head and tail.
        if src_offset % 64 == dst_offset % 64 && num_bits >= 128 {
            let head = ((64 - dst_offset % 64) % 64).min(num_bits);
            if head > 0 {
                let v = src.get(src_offset, head as u32);
                self.set(dst_offset, head as u32, v);
            }
            let words = ((num_bits - head) / 64) as usize;
            let (s, d) = (((src_offset + head) / 64) as usize * 8, ((dst_offset + head) / 64) as usize * 8);
            self.bytes.make_mut()[d..d + words * 8].copy_from_slice(&src.bytes[s..s + words * 8]);
            done = head + words as u64 * 64;
        }
        while done < num_bits {
            let n = (num_bits - done).min(64) as u32;
            let v = src.get(src_offset + done, n);
            self.set(dst_offset + done, n, v);
            done += n as u64;
        }
    }

    /// Append the first `num_words` words as big-endian longs (zero words past the payload).
    pub fn write_words(&self, out: &mut Vec<u8>, num_words: usize) {
        let copied = num_words.min(self.num_words) * 8;
        out.reserve(num_words * 8);
        out.extend_from_slice(&self.bytes[..copied]);
        out.resize(out.len() + num_words * 8 - copied, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{Backing, BlobBuffer};

    #[test]
    fn clear_from_zeroes_the_rest_of_the_payload_and_the_padding() {
        for bits in [0u64, 1, 63, 64, 65, 200] {
            for from in (0..=bits).step_by(7).chain([bits]) {
                let mut a = BitArray::for_overwrite_bits(bits);
                let n = a.num_words as u64 * 64;
                // Whatever the array held (garbage in debug builds), set every payload bit.
                let mut at = 0;
                while at < n {
                    a.set(at, 64, u64::MAX);
                    at += 64;
                }
                a.clear_from(from);
                for bit in 0..n {
                    assert_eq!(a.get(bit, 1), u64::from(bit < from), "{bits} bits cleared from {from}: bit {bit}");
                }
                assert!(a.bytes[a.num_words * 8..].iter().all(|&b| b == 0), "{bits} bits from {from}: padding");
            }
        }
    }

    #[test]
    fn elements_straddle_words() {
        let mut a = BitArray::zeroed_bits(256);
        a.set(60, 10, 0x3FF);
        assert_eq!(a.to_words()[..2], [0xF << 60, 0x3F]);
        assert_eq!(a.get(60, 10), 0x3FF);
        a.set(100, 64, u64::MAX - 5);
        assert_eq!(a.get(100, 64), u64::MAX - 5);
        a.set(128, 64, 0x0123_4567_89AB_CDEF);
        assert_eq!(a.get(128, 64), 0x0123_4567_89AB_CDEF);
        assert_eq!(a.get(0, 0), 0);
        // Zero-width elements at the very end (Java writes no words for, e.g., a list whose elements
        // are all ordinal 0, which takes 0 bits).
        assert_eq!(a.get(256, 0), 0);
        assert_eq!(BitArray::zeroed_words(0).get(0, 0), 0);
    }

    #[test]
    fn set_replaces_previous_bits() {
        let mut a = BitArray::zeroed_bits(128);
        a.set(62, 5, 0b11111);
        a.set(62, 5, 0b00101);
        assert_eq!(a.get(62, 5), 0b00101);
        assert_eq!(a.get(0, 62), 0);
        assert_eq!(a.get(67, 61), 0);
    }

    #[test]
    fn reads_big_endian_words() {
        // The worked example of the format doc: one long 0xCD2 holding two 6-bit records.
        let bytes = [0x01, 0, 0, 0, 0, 0, 0, 0x0C, 0xD2];
        let mut r = ByteReader::new(&bytes);
        let a = BitArray::read_from(&mut r, "fixed").unwrap();
        assert_eq!(a.num_words(), 1);
        assert_eq!(a.get(0, 3), 2);
        assert_eq!(a.get(3, 3), 2);
        assert_eq!(a.get(6, 3), 3);
        assert_eq!(a.get(9, 3), 0b110);
        let mut out = Vec::new();
        a.write_words(&mut out, 1);
        assert_eq!(out, &bytes[1..]);
    }

    #[test]
    fn copy_bits_handles_unaligned_runs() {
        let mut src = BitArray::zeroed_bits(300);
        for i in 0..30 {
            src.set(i * 9 + 3, 9, (i * 37) & 0x1FF);
        }
        let mut dst = BitArray::zeroed_bits(400);
        dst.copy_bits(&src, 3, 70, 270);
        for i in 0..30 {
            assert_eq!(dst.get(70 + i * 9, 9), (i * 37) & 0x1FF);
        }
    }

    #[test]
    fn copy_bits_matches_a_bit_by_bit_copy() {
        let mut src = BitArray::zeroed_bits(1024);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..16 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            src.set(i * 64, 64, x);
        }
        // Same phase (the word-at-a-time path) and different phases, short and long runs.
        for (from, to, n) in [(0, 0, 1024), (3, 67, 700), (64, 128, 128), (5, 5, 127), (5, 5, 128), (63, 127, 900)] {
            let mut dst = BitArray::zeroed_bits(1200);
            dst.set(0, 64, u64::MAX);
            dst.set(1100, 64, u64::MAX);
            let mut expected = dst.clone();
            dst.copy_bits(&src, from, to, n);
            for b in 0..n {
                expected.set(to + b, 1, src.get(from + b, 1));
            }
            assert_eq!(dst, expected, "copy of {n} bits from {from} to {to}");
        }
    }

    /// A bit array read in place from a mapped file whose next bytes are all ones reads every element
    /// as the same words copied to the heap (the bytes past the payload are masked off); with fewer
    /// than [`PADDING_BYTES`] bytes after it, the array is copied instead.
    /// A blob buffer of our own pads the blob, so that even an array at its very end is read in
    /// place; a store's blob has no padding, so such an array is copied.
    #[test]
    fn buffer_windows_need_the_padding_after_the_payload() {
        let mut source = BitArray::zeroed_bits(128);
        source.set(3, 64, 0xfeed_f00d_dead_beef);
        source.set(100, 28, 0x0abc_def1);
        let mut blob = vec![2u8];
        source.write_words(&mut blob, 2);
        let own = Backing::Buffer(BlobBuffer::copy_of(&blob).unwrap());
        let shared = Backing::Buffer(BlobBuffer::shared(blob.into()));
        for (backing, in_place) in [(own, true), (shared, false)] {
            let array = BitArray::read_from(&mut ByteReader::over(&backing), "words").unwrap();
            assert_eq!(array.bytes.buffer().is_some(), in_place, "{backing:?}");
            assert!(!array.is_mapped(), "a buffer is not a file mapping");
            assert_eq!(array, source);
            assert_eq!(array.get(3, 64), 0xfeed_f00d_dead_beef);
            assert_eq!(array.get(100, 28), 0x0abc_def1);
            assert_eq!(array.get(128, 0), 0);
        }
    }

    #[test]
    fn mapped_arrays_read_like_heap_arrays_whatever_follows_them() {
        let mut source = BitArray::zeroed_bits(320);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..5 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            source.set(i * 64, 64, x);
        }
        let mut blob = vec![5u8];
        source.write_words(&mut blob, 5);
        for (trailing, mapped) in [(PADDING_BYTES + 3, true), (PADDING_BYTES - 1, false)] {
            let mut file = tempfile::tempfile().unwrap();
            let mut bytes = blob.clone();
            bytes.resize(blob.len() + trailing, 0xFF);
            std::io::Write::write_all(&mut file, &bytes).unwrap();
            // SAFETY: a private temporary file nothing else can reach.
            let map = std::sync::Arc::new(unsafe { memmap2::Mmap::map(&file) }.unwrap());
            let array = BitArray::read_from(&mut ByteReader::over(&Backing::File(map)), "words").unwrap();
            assert_eq!(array.is_mapped(), mapped, "{trailing} bytes after the words");
            assert_eq!(array, source);
            for width in [0, 1, 7, 33, 63, 64] {
                for offset in (0..=320 - width as u64).step_by(5).chain([320 - width as u64]) {
                    assert_eq!(array.get(offset, width), source.get(offset, width), "{width} bits at {offset}");
                }
            }
        }
    }

    #[test]
    fn truncated_words_are_errors() {
        let mut r = ByteReader::new(&[0x02, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert!(BitArray::read_from(&mut r, "fixed").is_err());
    }
}

//! The populated-ordinals bitset that ends every type body of a snapshot: the one codec of it. The read
//! engine decodes it here (`read::PopulatedOrdinals`), the write engine encodes its Java-sized set here
//! (`write::populated`), so the two cannot disagree about the layout.
//!
//! ```text
//! i32   numLongs
//! numLongs × i64 (big-endian)   ordinal o is bit (o % 64) of long (o / 64)
//! ```
//! Java's `ThreadSafeBitSet` writes whole segments of [`LONGS_PER_SEGMENT`] longs, so even an empty type
//! costs 2 KiB; readers must not rely on that (a length of any size, trailing zero longs included, is
//! valid).

use crate::encoding::ByteReader;
use crate::error::{Error, Result};
use crate::memory::SharedBytes;

/// Longs in one `ThreadSafeBitSet` segment with Hollow's default segment size (2^14 bits).
pub const LONGS_PER_SEGMENT: usize = 256;

/// The word `index` of a bitset's bytes as [`read_bytes`] gives them (big-endian), in native byte
/// order. Panics when the bytes hold no such word.
#[inline]
pub fn word(bytes: &[u8], index: usize) -> u64 {
    let at = index * 8;
    u64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// The bitset's longs as written (big-endian, trailing zero longs included), read with [`word`]: in
/// place when `r` reads a mapping or a blob buffer, else copied.
///
/// # Errors
///
/// [`Error::CorruptBlob`] when the word count is negative or the words run past the end of the
/// blob.
pub fn read_bytes(r: &mut ByteReader<'_>) -> Result<SharedBytes> {
    const WHAT: &str = "populated ordinals";
    let n = read_len(r)?;
    let len = r.check_len(n, 8, WHAT)? * 8;
    if let Some(bytes) = r.in_place(len, 0, WHAT)? {
        return Ok(bytes);
    }
    Ok(SharedBytes::from_vec(r.bytes(len, WHAT)?.to_vec()))
}

/// Skip the bitset.
///
/// # Errors
///
/// [`Error::CorruptBlob`] when the bitset runs past the end of the blob.
pub fn skip(r: &mut ByteReader<'_>) -> Result<()> {
    let n = read_len(r)?;
    r.skip(n * 8, "populated ordinals")
}

fn read_len(r: &mut ByteReader<'_>) -> Result<u64> {
    let at = r.position();
    let n = r.i32("populated ordinals length")?;
    u64::try_from(n).map_err(|_| Error::corrupt(format!("populated ordinals: negative length {n}"), at))
}

/// Append the bitset holding `words` (its length is what Java would write: see [`java_num_longs`]).
pub fn write_words(out: &mut Vec<u8>, words: &[u64]) {
    out.reserve(4 + words.len() * 8);
    out.extend_from_slice(&(words.len() as i32).to_be_bytes());
    for w in words {
        out.extend_from_slice(&w.to_be_bytes());
    }
}

/// Append a bitset holding `ordinals`, padded to `num_longs` longs; `num_longs` must be at least enough
/// to hold the largest ordinal. For building blobs by hand (tests, fixtures).
pub fn write(out: &mut Vec<u8>, ordinals: &[u32], num_longs: usize) {
    let mut words = vec![0u64; num_longs];
    for &o in ordinals {
        words[(o / 64) as usize] |= 1u64 << (o % 64);
    }
    write_words(out, &words);
}

/// The ordinals whose bits are set in `words`, ascending.
pub fn ones(words: &[u64]) -> impl Iterator<Item = u32> + '_ {
    ones_of(words.iter().copied())
}

/// The ordinals whose bits are set in the words `words` yields (native byte order), ascending.
pub fn ones_of(words: impl Iterator<Item = u64>) -> impl Iterator<Item = u32> {
    words.enumerate().flat_map(|(i, word)| {
        let mut w = word;
        std::iter::from_fn(move || {
            if w == 0 {
                return None;
            }
            let bit = w.trailing_zeros();
            w &= w - 1;
            Some(i as u32 * 64 + bit)
        })
    })
}

/// How many longs Java's `ThreadSafeBitSet` holds once bit `max_bit` was accessed: whole segments of
/// [`LONGS_PER_SEGMENT`], at least one.
pub fn java_num_longs(max_bit: Option<u32>) -> usize {
    let segments = match max_bit {
        None => 1,
        Some(b) => (b as usize / (LONGS_PER_SEGMENT * 64)) + 1,
    };
    segments * LONGS_PER_SEGMENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut out = Vec::new();
        write(&mut out, &[0, 1, 64, 200], java_num_longs(Some(200)));
        assert_eq!(out.len(), 4 + 256 * 8);
        assert_eq!(&out[..4], &[0, 0, 1, 0]);
        assert_eq!(&out[4..12], &[0, 0, 0, 0, 0, 0, 0, 3]);
        let bytes = read_bytes(&mut ByteReader::new(&out)).unwrap();
        assert_eq!(bytes.len(), 256 * 8);
        assert_eq!(ones_of((0..256).map(|i| word(&bytes, i))).collect::<Vec<_>>(), [0, 1, 64, 200]);
        assert_eq!(java_num_longs(Some(16383)), 256);
        assert_eq!(java_num_longs(Some(16384)), 512);
    }

    #[test]
    fn truncated_or_negative_is_error() {
        assert!(read_bytes(&mut ByteReader::new(&[0, 0, 1, 0, 0])).is_err());
        assert!(read_bytes(&mut ByteReader::new(&[0xFF, 0, 0, 0])).is_err());
        assert!(skip(&mut ByteReader::new(&[0xFF, 0, 0, 0])).is_err());
        assert!(skip(&mut ByteReader::new(&[0, 0, 0, 1, 0])).is_err());
    }
}

//! The populated-ordinals bitset that ends every type body of a snapshot.
//!
//! ```text
//! i32   numLongs
//! numLongs × i64 (big-endian)   ordinal o is bit (o % 64) of long (o / 64)
//! ```
//! Java's `ThreadSafeBitSet` writes whole segments of 256 longs, so even an empty type costs 2 KiB;
//! readers must not rely on that.

use crate::encoding::{BitArray, ByteReader};
use crate::error::Result;

/// Longs in one `ThreadSafeBitSet` segment with Hollow's default segment size (2^14 bits).
pub const LONGS_PER_SEGMENT: usize = 256;

/// Read the bitset and return the populated ordinals in ascending order.
pub fn read(r: &mut ByteReader<'_>) -> Result<Vec<u32>> {
    let at = r.position();
    let n = r.i32("populated ordinals length")?;
    if n < 0 {
        return Err(crate::Error::corrupt(format!("populated ordinals: negative length {n}"), at));
    }
    let bits = BitArray::read_words(r, n as u64, "populated ordinals")?;
    let mut out = Vec::new();
    for (i, &w) in bits.words().iter().enumerate() {
        let mut w = w;
        while w != 0 {
            let b = w.trailing_zeros();
            out.push((i as u32) * 64 + b);
            w &= w - 1;
        }
    }
    Ok(out)
}

/// Append a bitset holding `ordinals` (ascending), padded to `num_longs` longs; `num_longs` must be at
/// least enough to hold the largest ordinal.
pub fn write(out: &mut Vec<u8>, ordinals: &[u32], num_longs: usize) {
    let mut words = vec![0u64; num_longs];
    for &o in ordinals {
        words[(o / 64) as usize] |= 1u64 << (o % 64);
    }
    out.extend_from_slice(&(num_longs as i32).to_be_bytes());
    for w in words {
        out.extend_from_slice(&w.to_be_bytes());
    }
}

/// How many longs Java's `ThreadSafeBitSet` writes when its highest set bit is `max_bit`: whole
/// segments of [`LONGS_PER_SEGMENT`], at least one.
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
        assert_eq!(read(&mut ByteReader::new(&out)).unwrap(), [0, 1, 64, 200]);
        assert_eq!(java_num_longs(Some(16384)), 512);
    }

    #[test]
    fn truncated_is_error() {
        assert!(read(&mut ByteReader::new(&[0, 0, 1, 0, 0])).is_err());
        assert!(read(&mut ByteReader::new(&[0xFF, 0, 0, 0])).is_err());
    }
}

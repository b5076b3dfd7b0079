//! String values inside records: one VarInt per UTF-16 code unit.
//!
//! A code unit below 0x80 is one byte, below 0x4000 two, otherwise three. For ASCII text the encoding
//! is exactly the ASCII bytes, so reads of ASCII strings borrow from the blob without decoding.
//! Because the units are UTF-16, a Java string may hold a lone surrogate; [`decode_utf16`] keeps it,
//! [`decode`] replaces it with U+FFFD.

use super::varint;
use std::borrow::Cow;

/// Decode into UTF-16 code units, exactly as stored. `None` if a VarInt is malformed or over 16 bits.
pub fn decode_utf16(bytes: &[u8]) -> Option<Vec<u16>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    while pos < bytes.len() {
        let b = bytes[pos];
        if b < 0x80 {
            out.push(b as u16);
            pos += 1;
            continue;
        }
        let (unit, used) = varint::decode_i32(&bytes[pos..])?;
        out.push(u16::try_from(unit).ok()?);
        pos += used;
    }
    Some(out)
}

/// Decode into text, borrowing when the bytes are ASCII. Lone surrogates become U+FFFD.
/// `None` if the bytes are not a valid sequence of VarInt code units.
#[inline]
pub fn decode(bytes: &[u8]) -> Option<Cow<'_, str>> {
    if is_ascii(bytes) {
        // SAFETY: ASCII bytes are valid UTF-8 (and are exactly the code units). Validating them
        // again with `from_utf8` would cost more than the rest of a string read.
        return Some(Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(bytes) }));
    }
    Some(Cow::Owned(String::from_utf16_lossy(&decode_utf16(bytes)?)))
}

/// Whether every byte is below 0x80: `<[u8]>::is_ascii`, in fewer instructions for the short strings
/// records hold, whose length the standard one's set-up for long aligned runs outweighs: one OR per 8
/// bytes, the last 8 read again where the length is not a multiple (callgrind, the titles of 1M
/// movies: 48 -> 35 instructions a read; criterion `read_path/title` -12%).
#[inline]
fn is_ascii(bytes: &[u8]) -> bool {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let Some(last) = bytes.last_chunk::<8>() else {
        return bytes.iter().fold(0u8, |acc, &b| acc | b) < 0x80;
    };
    let (words, _) = bytes.as_chunks::<8>();
    words.iter().fold(u64::from_ne_bytes(*last), |acc, w| acc | u64::from_ne_bytes(*w)) & HIGH_BITS == 0
}

/// Compare stored bytes with `s` without allocating.
pub fn equals(bytes: &[u8], s: &str) -> bool {
    if is_ascii(bytes) {
        return bytes == s.as_bytes();
    }
    let mut pos = 0;
    for unit in s.encode_utf16() {
        match varint::decode_i32(&bytes[pos..]) {
            Some((u, n)) if u == unit as i32 => pos += n,
            _ => return false,
        }
    }
    pos == bytes.len()
}

/// Append `s` encoded as VarInt UTF-16 units.
pub fn encode_into(out: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    for unit in s.encode_utf16() {
        varint::write_i32(out, unit as i32);
    }
}

/// Append UTF-16 `units` (lone surrogates allowed) encoded as VarInts.
pub fn encode_utf16_into(out: &mut Vec<u8>, units: &[u16]) {
    for &unit in units {
        varint::write_i32(out, unit as i32);
    }
}

/// Java's `String.hashCode()` over the stored code units, without decoding into a `String`.
pub fn java_hash_of_encoded(bytes: &[u8]) -> Option<i32> {
    let mut h: i32 = 0;
    let mut pos = 0;
    while pos < bytes.len() {
        let (unit, used) = varint::decode_i32(&bytes[pos..])?;
        h = h.wrapping_mul(31).wrapping_add(unit);
        pos += used;
    }
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_ascii_agrees_with_the_standard_library_at_every_length_and_position() {
        for len in 0..40usize {
            let ascii: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(is_ascii(&ascii), "length {len}");
            for at in 0..len {
                for high in [0x80u8, 0xC3, 0xFF] {
                    let mut bytes = ascii.clone();
                    bytes[at] = high;
                    assert_eq!(is_ascii(&bytes), bytes.is_ascii(), "length {len}, {high:#x} at {at}");
                    assert!(!is_ascii(&bytes[..=at]) && is_ascii(&bytes[..at]), "length {len}, prefix to {at}");
                }
            }
        }
    }

    #[test]
    fn encodes_utf16_units_as_varints() {
        let mut out = Vec::new();
        encode_into(&mut out, "é");
        assert_eq!(out, [0x81, 0x69]);
        out.clear();
        encode_into(&mut out, "€"); // U+20AC is below 0x4000: 2 bytes
        assert_eq!(out, [0xC1, 0x2C]);
        out.clear();
        encode_into(&mut out, "中"); // U+4E2D needs 3 bytes
        assert_eq!(out, [0x81, 0x9C, 0x2D]);
        out.clear();
        encode_into(&mut out, "😀"); // surrogates D83D DE00
        assert_eq!(decode_utf16(&out).unwrap(), [0xD83D, 0xDE00]);
        assert_eq!(decode(&out).unwrap(), "😀");
    }

    #[test]
    fn ascii_is_borrowed() {
        assert!(matches!(decode(b"user1"), Some(Cow::Borrowed("user1"))));
    }

    #[test]
    fn lone_surrogates_round_trip_as_units() {
        let mut out = Vec::new();
        encode_utf16_into(&mut out, &[0x61, 0xD800]);
        assert_eq!(decode_utf16(&out).unwrap(), [0x61, 0xD800]);
        assert_eq!(decode(&out).unwrap(), "a\u{FFFD}");
    }

    #[test]
    fn equality_and_hash_without_decoding() {
        let mut out = Vec::new();
        encode_into(&mut out, "naïve");
        assert!(equals(&out, "naïve"));
        assert!(!equals(&out, "naive"));
        assert!(!equals(&out, "naïv"));
        assert_eq!(java_hash_of_encoded(&out), Some(104_710_475));
        assert_eq!(java_hash_of_encoded(b"hello"), Some(99_162_322));
    }
}

//! VarInt and VarLong: base-128 groups, **most significant group first**.
//!
//! Every byte but the last has its high bit set; no leading zero groups are written. A negative `int`
//! takes 5 bytes and a negative `long` 10. A first byte of exactly `0x80` would be a leading zero group,
//! which no writer produces; Hollow uses it as the null marker inside record serialization.
//!
//! Hand-written on purpose: varint crates encode LEB128 (least significant group first), which is not
//! this byte order (see the [module overview](super)).

/// The byte Hollow writes for a null value in a record's canonical serialization.
pub const NULL_MARKER: u8 = 0x80;

/// Number of bytes [`write_i32`] uses for `value`.
#[inline]
pub fn size_of_i32(value: i32) -> usize {
    size_of_u64(value as u32 as u64)
}

/// Number of bytes [`write_i64`] uses for `value`.
#[inline]
pub fn size_of_i64(value: i64) -> usize {
    size_of_u64(value as u64)
}

#[inline]
fn size_of_u64(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Append `value` as a VarInt (as Java's `VarInt.writeVInt`).
#[inline]
pub fn write_i32(out: &mut Vec<u8>, value: i32) {
    write_u64(out, value as u32 as u64)
}

/// Append `value` as a VarLong (as Java's `VarInt.writeVLong`).
#[inline]
pub fn write_i64(out: &mut Vec<u8>, value: i64) {
    write_u64(out, value as u64)
}

/// Append the VarInt of a non-negative count or ordinal.
#[inline]
pub fn write_usize(out: &mut Vec<u8>, value: usize) {
    write_u64(out, value as u64)
}

#[inline]
fn write_u64(out: &mut Vec<u8>, value: u64) {
    let n = size_of_u64(value);
    for i in (1..n).rev() {
        out.push(0x80 | ((value >> (7 * i)) & 0x7F) as u8);
    }
    out.push((value & 0x7F) as u8);
}

/// Decode a VarInt from the start of `bytes`: `Some((value, bytes_used))`, or `None` if it is
/// truncated, starts with the null marker, or runs longer than 5 bytes.
#[inline]
pub fn decode_i32(bytes: &[u8]) -> Option<(i32, usize)> {
    let (v, n) = decode(bytes, 5)?;
    Some((v as u32 as i32, n))
}

/// Decode a VarLong from the start of `bytes`, like [`decode_i32`] with up to 10 bytes.
#[inline]
pub fn decode_i64(bytes: &[u8]) -> Option<(i64, usize)> {
    let (v, n) = decode(bytes, 10)?;
    Some((v as i64, n))
}

#[inline]
fn decode(bytes: &[u8], max_len: usize) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    if first == NULL_MARKER {
        return None;
    }
    let mut value = (first & 0x7F) as u64;
    let mut i = 1;
    let mut b = first;
    while b & 0x80 != 0 {
        if i >= max_len {
            return None;
        }
        b = *bytes.get(i)?;
        value = (value << 7) | (b & 0x7F) as u64;
        i += 1;
    }
    Some((value, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc32(v: i32) -> Vec<u8> {
        let mut out = Vec::new();
        write_i32(&mut out, v);
        out
    }

    fn enc64(v: i64) -> Vec<u8> {
        let mut out = Vec::new();
        write_i64(&mut out, v);
        out
    }

    #[test]
    fn known_bytes() {
        assert_eq!(enc32(0), [0x00]);
        assert_eq!(enc32(0x7F), [0x7F]);
        assert_eq!(enc32(0x80), [0x81, 0x00]);
        assert_eq!(enc32(0xE9), [0x81, 0x69]); // "é" as a Hollow string unit
        assert_eq!(enc32(0x3FFF), [0xFF, 0x7F]);
        assert_eq!(enc32(0x4000), [0x81, 0x80, 0x00]);
        assert_eq!(enc32(-1), [0x8F, 0xFF, 0xFF, 0xFF, 0x7F]);
        assert_eq!(enc64(-1), [0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]);
        assert_eq!(enc64(1 << 35), [0x81, 0x80, 0x80, 0x80, 0x80, 0x00]);
    }

    #[test]
    fn sizes_match_encodings() {
        for v in [0, 1, 127, 128, 16383, 16384, i32::MAX, -1, i32::MIN] {
            assert_eq!(size_of_i32(v), enc32(v).len(), "{v}");
            assert_eq!(decode_i32(&enc32(v)), Some((v, enc32(v).len())));
        }
        for v in [0, 1, 1 << 40, i64::MAX, -1, i64::MIN] {
            assert_eq!(size_of_i64(v), enc64(v).len(), "{v}");
            assert_eq!(decode_i64(&enc64(v)), Some((v, enc64(v).len())));
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(decode_i32(&[]), None);
        assert_eq!(decode_i32(&[0x81]), None, "truncated");
        assert_eq!(decode_i32(&[0x80, 0x01]), None, "null marker");
        assert_eq!(decode_i32(&[0x81, 0x81, 0x81, 0x81, 0x81, 0x01]), None, "too long");
    }
}

//! Zig-zag mapping of signed integers to unsigned ones, so small magnitudes need few bits.

/// `(i << 1) ^ (i >> 31)`, as Java's `ZigZag.encodeInt`.
#[inline]
pub fn encode_i32(i: i32) -> u32 {
    ((i << 1) ^ (i >> 31)) as u32
}

/// Inverse of [`encode_i32`].
#[inline]
pub fn decode_i32(u: u32) -> i32 {
    ((u >> 1) as i32) ^ -((u & 1) as i32)
}

/// `(l << 1) ^ (l >> 63)`, as Java's `ZigZag.encodeLong`.
#[inline]
pub fn encode_i64(l: i64) -> u64 {
    ((l << 1) ^ (l >> 63)) as u64
}

/// Inverse of [`encode_i64`].
#[inline]
pub fn decode_i64(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(encode_i32(0), 0);
        assert_eq!(encode_i32(-1), 1);
        assert_eq!(encode_i32(1), 2);
        assert_eq!(encode_i32(-2), 3);
        assert_eq!(encode_i32(i32::MAX), 0xFFFF_FFFE);
        assert_eq!(encode_i32(i32::MIN), 0xFFFF_FFFF);
        assert_eq!(encode_i64(i64::MIN), u64::MAX);
        assert_eq!(encode_i64(-3), 5);
    }

    #[test]
    fn round_trips() {
        for v in [0, 1, -1, 12345, -12345, i32::MAX, i32::MIN] {
            assert_eq!(decode_i32(encode_i32(v)), v);
        }
        for v in [0, 1, -1, 1 << 40, -(1 << 40), i64::MAX, i64::MIN] {
            assert_eq!(decode_i64(encode_i64(v)), v);
        }
    }
}

//! The hash of an index key.
//!
//! Index hashes never leave the process, so they need not match Java's; they need to be fast, well
//! mixed (the table takes its slot from the low bits and its fingerprint from the high bits), and the
//! same whether a key is read from a record or given by a caller. The last point decides the design:
//! a string key is hashed over its *stored* form (one VarInt per UTF-16 unit), which a caller's
//! `&str` produces byte for byte without allocating. Bytes are consumed as a stream of 8-byte words,
//! so the result does not depend on how the input is split into calls.

/// Multiplier of the word mix (the golden ratio in 64 bits, odd).
const MIX_MUL: u64 = 0x9e37_79b9_7f4a_7c15;
/// Added before each multiply so that a zero word does not collapse the state.
const MIX_ADD: u64 = 0x243f_6a88_85a3_08d3;

/// Multiply into 128 bits and fold the halves: every input bit reaches many output bits.
#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let r = (a as u128).wrapping_mul(b as u128);
    (r as u64) ^ ((r >> 64) as u64)
}

/// MurmurHash3's 64-bit finalizer: full avalanche of the accumulated state.
#[inline(always)]
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

/// Streaming hasher for the fields of one key, in key-field order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyHasher {
    state: u64,
    /// Bytes of a partial word, little-endian, while a byte field is being fed.
    tail: u64,
    tail_len: u32,
    /// Length of the byte field being fed.
    field_len: u64,
}

impl Default for KeyHasher {
    fn default() -> Self {
        KeyHasher { state: MIX_ADD, tail: 0, tail_len: 0, field_len: 0 }
    }
}

impl KeyHasher {
    #[inline(always)]
    fn word(&mut self, w: u64) {
        self.state = fold_mul(self.state ^ w ^ MIX_ADD, MIX_MUL);
    }

    /// A fixed-width field value.
    #[inline]
    pub(crate) fn write_u64(&mut self, value: u64) {
        self.word(value);
    }

    /// Part of a byte field's value; end the field with [`Self::end_bytes`].
    #[inline]
    pub(crate) fn write_bytes(&mut self, bytes: &[u8]) {
        self.field_len += bytes.len() as u64;
        if self.tail_len != 0 {
            for &b in bytes {
                self.push_byte(b);
            }
            return;
        }
        let (words, tail) = bytes.as_chunks::<8>();
        for &w in words {
            self.word(u64::from_le_bytes(w));
        }
        for &b in tail {
            self.push_byte(b);
        }
    }

    /// One byte of a byte field.
    #[inline(always)]
    pub(crate) fn write_byte(&mut self, b: u8) {
        self.field_len += 1;
        self.push_byte(b);
    }

    #[inline(always)]
    fn push_byte(&mut self, b: u8) {
        self.tail |= (b as u64) << (8 * self.tail_len);
        self.tail_len += 1;
        if self.tail_len == 8 {
            let w = self.tail;
            self.tail = 0;
            self.tail_len = 0;
            self.word(w);
        }
    }

    /// End a byte field. The length goes in too, so that `("ab", "c")` and `("a", "bc")` differ.
    #[inline]
    pub(crate) fn end_bytes(&mut self) {
        let (tail, len) = (self.tail, self.field_len);
        self.tail = 0;
        self.tail_len = 0;
        self.field_len = 0;
        self.word(tail);
        self.word(len);
    }

    /// A text field given as `&str`, fed exactly as its stored form: one Hollow VarInt (most
    /// significant group first) per UTF-16 unit, which for ASCII text is the text itself.
    #[inline]
    pub(crate) fn write_str_as_stored(&mut self, s: &str) {
        if s.is_ascii() {
            self.write_bytes(s.as_bytes());
        } else {
            for unit in s.encode_utf16() {
                let u = unit as u32;
                if u >= 0x4000 {
                    self.write_byte(0x80 | (u >> 14) as u8);
                }
                if u >= 0x80 {
                    self.write_byte(0x80 | ((u >> 7) & 0x7f) as u8);
                }
                self.write_byte((u & 0x7f) as u8);
            }
        }
        self.end_bytes();
    }

    /// The hash of everything written.
    #[inline]
    pub(crate) fn finish(&self) -> u64 {
        fmix64(self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::hollow_string;

    fn hash_bytes_in_pieces(bytes: &[u8], split: usize) -> u64 {
        let mut h = KeyHasher::default();
        let (a, b) = bytes.split_at(split);
        h.write_bytes(a);
        h.write_bytes(b);
        h.end_bytes();
        h.finish()
    }

    #[test]
    fn byte_stream_hash_does_not_depend_on_splitting() {
        let data: Vec<u8> = (0u8..37).collect();
        let whole = hash_bytes_in_pieces(&data, 0);
        for split in 0..=data.len() {
            assert_eq!(hash_bytes_in_pieces(&data, split), whole, "split at {split}");
        }
    }

    #[test]
    fn str_hashes_as_its_stored_encoding() {
        for s in ["", "user1", "naïve", "中文", "😀 emoji", "a much longer ascii string than eight bytes"] {
            let mut stored = Vec::new();
            hollow_string::encode_into(&mut stored, s);
            let mut from_record = KeyHasher::default();
            from_record.write_bytes(&stored);
            from_record.end_bytes();
            let mut from_query = KeyHasher::default();
            from_query.write_str_as_stored(s);
            assert_eq!(from_record.finish(), from_query.finish(), "{s:?}");
        }
    }

    #[test]
    fn field_boundaries_matter() {
        let two = |a: &str, b: &str| {
            let mut h = KeyHasher::default();
            h.write_str_as_stored(a);
            h.write_str_as_stored(b);
            h.finish()
        };
        assert_ne!(two("ab", "c"), two("a", "bc"));
        assert_ne!(two("", "x"), two("x", ""));
    }

    #[test]
    fn small_integers_spread_over_slots_and_fingerprints() {
        // Sequential ids are the common key; their low bits (slot) and high bits (fingerprint) must
        // both vary.
        let mut low = std::collections::HashSet::new();
        let mut high = std::collections::HashSet::new();
        for i in 0..1024u64 {
            let mut h = KeyHasher::default();
            h.write_u64(i);
            let x = h.finish();
            low.insert(x & 1023);
            high.insert(x >> 54);
        }
        assert!(low.len() > 600, "low bits used {}", low.len());
        assert!(high.len() > 600, "high bits used {}", high.len());
    }
}

//! Hashing exactly as Java Hollow does it, so that set and map bucket placement, primary-key hashing
//! and the schema hash agree with Java byte for byte.
//!
//! Hand-written on purpose: a record's bucket in a set, a map or a hash key table is decided by these
//! exact functions (Hollow's MurmurHash3 variant over `int`s with its seed, `String.hashCode` over UTF-16
//! units), so a general hashing crate would place records where Java does not look for them (see the
//! [module overview](super)).

use super::varint;

/// MurmurHash3 seed used by Hollow's `HashCodes`.
pub const MURMUR_SEED: u32 = 0xeab5_24b9;

/// Largest element count a Hollow hash table may hold (`HollowConstants.HASH_TABLE_MAX_SIZE`).
pub const HASH_TABLE_MAX_SIZE: u32 = ((1u64 << 30) * 7 / 10) as u32;

/// Thomas Wang's 32-bit integer mix (`HashCodes.hashInt`).
#[inline]
pub fn hash_int(key: i32) -> i32 {
    let mut k = key;
    k = (!k).wrapping_add(k << 15);
    k ^= ((k as u32) >> 12) as i32;
    k = k.wrapping_add(k << 2);
    k ^= ((k as u32) >> 4) as i32;
    k = k.wrapping_mul(2057);
    k ^= ((k as u32) >> 16) as i32;
    k
}

/// 64-bit mix (`HashCodes.hashLong`).
#[inline]
pub fn hash_long(key: i64) -> i32 {
    let mut k = key;
    k = (!k).wrapping_add(k << 18);
    k ^= ((k as u64) >> 31) as i64;
    k = k.wrapping_mul(21);
    k ^= ((k as u64) >> 11) as i64;
    k = k.wrapping_add(k << 6);
    k ^= ((k as u64) >> 22) as i64;
    k as i32
}

/// MurmurHash3 x86 32-bit with Hollow's seed (`HashCodes.hashCode(byte[])`).
pub fn murmur3(data: &[u8]) -> i32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h1 = MURMUR_SEED;
    let (chunks, tail) = data.as_chunks::<4>();
    for &c in chunks {
        let mut k1 = u32::from_le_bytes(c);
        k1 = k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h1 ^= k1;
        h1 = h1.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    if !tail.is_empty() {
        let mut k1 = 0u32;
        for (i, &b) in tail.iter().enumerate() {
            k1 |= (b as u32) << (8 * i);
        }
        k1 = k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h1 ^= k1;
    }
    h1 ^= data.len() as u32;
    h1 ^= h1 >> 16;
    h1 = h1.wrapping_mul(0x85eb_ca6b);
    h1 ^= h1 >> 13;
    h1 = h1.wrapping_mul(0xc2b2_ae35);
    h1 ^= h1 >> 16;
    h1 as i32
}

/// `HashCodes.hashCode(String)`: MurmurHash3 over the string's UTF-16 units written as VarInts.
pub fn murmur3_string(s: &str) -> i32 {
    let mut bytes = Vec::with_capacity(s.len());
    for unit in s.encode_utf16() {
        varint::write_i32(&mut bytes, unit as i32);
    }
    murmur3(&bytes)
}

/// Java's `String.hashCode()` over UTF-16 code units.
pub fn java_string_hash(s: &str) -> i32 {
    java_utf16_hash(s.encode_utf16())
}

/// Java's `String.hashCode()` over explicit UTF-16 code units.
pub fn java_utf16_hash(units: impl IntoIterator<Item = u16>) -> i32 {
    units.into_iter().fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(u as i32))
}

/// Java's `Long.hashCode`-style fold used for LONG key fields: `(int)(l ^ (l >>> 32))`.
#[inline]
pub fn fold_long(l: i64) -> i32 {
    (l ^ ((l as u64) >> 32) as i64) as i32
}

/// A hash-key field's value reduced to what Java hashes of it. The read engine hashes the values it is
/// asked to look up, the write engine the values stored in the records it places; both go through
/// [`FieldHash::hash`] so that a lookup lands where the writer (Java's or ours) put the record.
///
/// Java: `SetMapKeyHasher.hash` on the read side, `HollowWriteStateEnginePrimaryKeyHasher` on the write side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldHash<'a> {
    /// INT: the value (0 for null).
    Int(i32),
    /// LONG: `(int)(v ^ v >>> 32)` (0 for null).
    Long(i64),
    /// BOOLEAN: `Boolean.hashCode`, 1231 for true and 1237 for false.
    Boolean(bool),
    /// FLOAT: its raw bits.
    FloatBits(u32),
    /// DOUBLE: its raw bits, folded as a LONG.
    DoubleBits(u64),
    /// STRING: Java's `String.hashCode()` of it, computed by the caller from whichever form it holds.
    JavaString(i32),
    /// BYTES: MurmurHash3 with Hollow's seed.
    Bytes(&'a [u8]),
    /// REFERENCE: the ordinal.
    Reference(u32),
}

/// Java's `Boolean.hashCode`.
const TRUE_HASH: i32 = 1231;
const FALSE_HASH: i32 = 1237;

impl FieldHash<'_> {
    /// `hashInt` of the field's hash: one field's contribution to [`key_hash`].
    pub fn hash(self) -> i32 {
        hash_int(match self {
            FieldHash::Int(v) => v,
            FieldHash::Long(v) => fold_long(v),
            FieldHash::Boolean(b) => {
                if b {
                    TRUE_HASH
                } else {
                    FALSE_HASH
                }
            }
            FieldHash::FloatBits(bits) => bits as i32,
            FieldHash::DoubleBits(bits) => fold_long(bits as i64),
            FieldHash::JavaString(h) => h,
            FieldHash::Bytes(b) => murmur3(b),
            FieldHash::Reference(o) => o as i32,
        })
    }
}

/// The hash of a whole key from its fields, in key order: `h = h * 31 ^ field.hash()`, from 0.
pub fn key_hash<'a>(fields: impl IntoIterator<Item = FieldHash<'a>>) -> i32 {
    fields.into_iter().fold(0i32, |h, f| h.wrapping_mul(31) ^ f.hash())
}

/// Number of buckets for a set or map of `num_elements` (`HashCodes.hashTableSize`): a power of two
/// at no more than 70% load. `None` above [`HASH_TABLE_MAX_SIZE`].
pub fn hash_table_size(num_elements: u32) -> Option<u32> {
    if num_elements > HASH_TABLE_MAX_SIZE {
        return None;
    }
    Some(match num_elements {
        0 => 1,
        1 | 2 => num_elements * 2,
        n => {
            let after_load = (n as u64 * 10 / 7) as u32;
            1 << (32 - (after_load - 1).leading_zeros())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values below were computed with Java Hollow's `HashCodes` and `String.hashCode`.

    #[test]
    fn hash_int_matches_java() {
        assert_eq!(hash_int(0), -895_235_421);
        assert_eq!(hash_int(1), 316_017_654);
        assert_eq!(hash_int(-1), -1_118_438_376);
        assert_eq!(hash_int(123_456_789), -1_467_669_336);
    }

    #[test]
    fn murmur_matches_java() {
        assert_eq!(murmur3(&[]), 130_510_007);
        assert_eq!(murmur3(b"abc"), -1_255_733_302);
        assert_eq!(murmur3(b"abcd"), 1_378_838_805);
        assert_eq!(murmur3(b"hello world"), -951_044_517);
        assert_eq!(murmur3_string("abc"), murmur3(b"abc"));
    }

    #[test]
    fn java_string_hash_known() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(java_string_hash("user1"), 111_578_566);
        assert_eq!(java_string_hash("naïve"), 104_710_475);
    }

    #[test]
    fn field_hashes_match_java() {
        assert_eq!(FieldHash::Boolean(true).hash(), hash_int(1231));
        assert_eq!(FieldHash::Boolean(false).hash(), hash_int(1237));
        assert_eq!(FieldHash::Long(1 << 32).hash(), hash_int(1));
        assert_eq!(FieldHash::DoubleBits(1 << 32).hash(), hash_int(1));
        assert_eq!(key_hash([FieldHash::Int(1), FieldHash::Int(2)]), hash_int(1).wrapping_mul(31) ^ hash_int(2));
        assert_eq!(key_hash([]), 0);
    }

    #[test]
    fn table_sizes() {
        assert_eq!(hash_table_size(0), Some(1));
        assert_eq!(hash_table_size(1), Some(2));
        assert_eq!(hash_table_size(2), Some(4));
        assert_eq!(hash_table_size(3), Some(4));
        assert_eq!(hash_table_size(5), Some(8));
        assert_eq!(hash_table_size(7), Some(16));
        assert_eq!(hash_table_size(HASH_TABLE_MAX_SIZE + 1), None);
    }
}

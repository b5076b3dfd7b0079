//! Reading back the canonical bytes of records already added (Java's `Hollow*WriteRecord.writeDataTo`
//! format), which the write engine keeps per ordinal and decodes when it gathers statistics, lays out
//! blob data and hashes set/map keys.
//!
//! ```text
//! OBJECT  per field, in schema order:
//!           INT, LONG     VarInt/VarLong of the zig-zag value, or 0x80 for null
//!           REFERENCE     VarInt ordinal, or 0x80
//!           BOOLEAN       one byte: 0, 1, or 0x80
//!           FLOAT, DOUBLE 4 / 8 bytes big-endian IEEE bits (null is the bits 0x7FC00001 / 0x7FF8000000000001)
//!           STRING, BYTES 0x80, or VarInt length + bytes (a string as one VarInt per UTF-16 unit)
//! LIST    VarInt size, then size × VarInt element ordinal
//! SET     VarInt size, then per element in ascending ordinal order: VarInt gap from the previous
//!         ordinal, VarInt home bucket
//! MAP     VarInt size, then per entry sorted by (key, value): VarInt key gap, VarInt value ordinal,
//!         VarInt home bucket
//! ```
//!
//! The bytes are produced by [`super::record`] and never come from outside, so these readers trust
//! them; they still never index out of bounds (a malformed byte string reads as zeros).

use crate::encoding::varint::NULL_MARKER;
use crate::schema::FieldType;

/// Read a VarInt/VarLong (most significant group first) at `*pos`, advancing past it.
#[inline]
pub(crate) fn read_var(bytes: &[u8], pos: &mut usize) -> u64 {
    let mut value = 0u64;
    while let Some(&b) = bytes.get(*pos) {
        *pos += 1;
        value = (value << 7) | (b & 0x7F) as u64;
        if b & 0x80 == 0 {
            break;
        }
    }
    value
}

/// One field of an OBJECT record, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RawField<'a> {
    /// A null INT, LONG, REFERENCE, BOOLEAN, STRING or BYTES.
    Null,
    /// A BOOLEAN.
    Boolean(bool),
    /// FLOAT bits (the null sentinel included).
    Float(u32),
    /// DOUBLE bits (the null sentinel included).
    Double(u64),
    /// An INT or LONG as its zig-zag value, or a REFERENCE ordinal.
    Var(u64),
    /// STRING (VarInt UTF-16 units) or BYTES contents.
    Bytes(&'a [u8]),
}

/// The fields of one OBJECT record, in schema order.
pub(crate) struct ObjectFields<'a, I> {
    types: I,
    bytes: &'a [u8],
    pos: usize,
}

/// Iterate over the fields of `bytes`, an OBJECT record whose schema has the field types `types`.
pub(crate) fn object_fields<'a, I>(types: I, bytes: &'a [u8]) -> ObjectFields<'a, I::IntoIter>
where
    I: IntoIterator<Item = FieldType>,
{
    ObjectFields { types: types.into_iter(), bytes, pos: 0 }
}

impl<'a, I: Iterator<Item = FieldType>> Iterator for ObjectFields<'a, I> {
    type Item = RawField<'a>;

    fn next(&mut self) -> Option<RawField<'a>> {
        let field_type = self.types.next()?;
        let bytes = self.bytes;
        let fixed = |pos: &mut usize, n: usize| {
            let mut v = 0u64;
            for i in 0..n {
                v = (v << 8) | bytes.get(*pos + i).copied().unwrap_or(0) as u64;
            }
            *pos += n;
            v
        };
        let is_null = bytes.get(self.pos) == Some(&NULL_MARKER);
        Some(match field_type {
            FieldType::Float => RawField::Float(fixed(&mut self.pos, 4) as u32),
            FieldType::Double => RawField::Double(fixed(&mut self.pos, 8)),
            _ if is_null => {
                self.pos += 1;
                RawField::Null
            }
            FieldType::Boolean => RawField::Boolean(fixed(&mut self.pos, 1) == 1),
            FieldType::Int | FieldType::Long | FieldType::Reference => RawField::Var(read_var(bytes, &mut self.pos)),
            FieldType::String | FieldType::Bytes => {
                let len = read_var(bytes, &mut self.pos) as usize;
                let start = self.pos.min(bytes.len());
                let end = start.saturating_add(len).min(bytes.len());
                self.pos = start + len;
                RawField::Bytes(&bytes[start..end])
            }
        })
    }
}

/// The size of a LIST, SET or MAP record (its first VarInt).
pub(crate) fn collection_size(bytes: &[u8]) -> u32 {
    read_var(bytes, &mut 0) as u32
}

/// The element ordinals of a LIST record, in order.
pub(crate) fn list_elements(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let mut pos = 0;
    let size = read_var(bytes, &mut pos);
    (0..size).map(move |_| read_var(bytes, &mut pos) as u32)
}

/// The `(element ordinal, home bucket)` pairs of a SET record, by ascending ordinal.
pub(crate) fn set_elements(bytes: &[u8]) -> impl Iterator<Item = (u32, u32)> + '_ {
    let mut pos = 0;
    let size = read_var(bytes, &mut pos);
    let mut ordinal = 0u32;
    (0..size).map(move |_| {
        ordinal = ordinal.wrapping_add(read_var(bytes, &mut pos) as u32);
        let bucket = read_var(bytes, &mut pos) as u32;
        (ordinal, bucket)
    })
}

/// The `(key ordinal, value ordinal, home bucket)` entries of a MAP record, sorted by key then value.
pub(crate) fn map_entries(bytes: &[u8]) -> impl Iterator<Item = (u32, u32, u32)> + '_ {
    let mut pos = 0;
    let size = read_var(bytes, &mut pos);
    let mut key = 0u32;
    (0..size).map(move |_| {
        key = key.wrapping_add(read_var(bytes, &mut pos) as u32);
        let value = read_var(bytes, &mut pos) as u32;
        let bucket = read_var(bytes, &mut pos) as u32;
        (key, value, bucket)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_object_fields() {
        use FieldType::*;
        // INT 3 (zigzag 6), null LONG, REFERENCE 200, BOOLEAN true, null BOOLEAN, FLOAT 1.0,
        // STRING "Ab", null BYTES, DOUBLE null sentinel.
        let mut bytes = vec![0x06, 0x80, 0x81, 0x48, 0x01, 0x80, 0x3F, 0x80, 0x00, 0x00, 0x02, b'A', b'b', 0x80];
        bytes.extend_from_slice(&0x7FF8_0000_0000_0001u64.to_be_bytes());
        let types = [Int, Long, Reference, Boolean, Boolean, Float, String, Bytes, Double];
        let fields: Vec<_> = object_fields(types, &bytes).collect();
        assert_eq!(
            fields,
            [
                RawField::Var(6),
                RawField::Null,
                RawField::Var(200),
                RawField::Boolean(true),
                RawField::Null,
                RawField::Float(0x3F80_0000),
                RawField::Bytes(b"Ab"),
                RawField::Null,
                RawField::Double(0x7FF8_0000_0000_0001),
            ]
        );
    }

    #[test]
    fn decodes_collections() {
        assert_eq!(list_elements(&[3, 5, 0x81, 0x00, 5]).collect::<Vec<_>>(), [5, 128, 5]);
        assert_eq!(collection_size(&[3, 5, 0x81, 0x00, 5]), 3);
        assert_eq!(set_elements(&[2, 1, 3, 2, 0]).collect::<Vec<_>>(), [(1, 3), (3, 0)]);
        assert_eq!(map_entries(&[2, 1, 9, 1, 2, 7, 0]).collect::<Vec<_>>(), [(1, 9, 1), (3, 7, 0)]);
    }

    #[test]
    fn malformed_bytes_do_not_panic() {
        let fields: Vec<_> = object_fields([FieldType::String, FieldType::Double], &[0x05, b'a']).collect();
        assert_eq!(fields, [RawField::Bytes(b"a"), RawField::Double(0)]);
        assert_eq!(list_elements(&[3]).collect::<Vec<_>>(), [0, 0, 0]);
    }
}

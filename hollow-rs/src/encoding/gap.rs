//! Gap-encoded ordinal lists (`GapEncodedVariableLengthIntegerReader`).
//!
//! On the wire: a VarLong byte count, then that many bytes of VarInts. The first VarInt is the first
//! ordinal; each later one is the gap from the previous ordinal. Lists are strictly ascending except
//! that Java tolerates a zero gap (it never writes one). An empty list is the single byte `00`.

use super::reader::ByteReader;
use super::varint;
use crate::error::{Error, Result};

/// Read a gap-encoded list of (shard-local) ordinals.
///
/// # Errors
///
/// [`Error::CorruptBlob`] for a truncated list, a malformed VarInt, a negative
/// gap or an ordinal out of range.
pub fn read(r: &mut ByteReader<'_>, what: &str) -> Result<Vec<u32>> {
    let n = r.varlong_count(what)?;
    let n = r.check_len(n, 1, what)?;
    let start = r.position();
    let bytes = r.bytes(n, what)?;
    let mut out = Vec::new();
    let mut pos = 0;
    let mut current: u64 = 0;
    while pos < bytes.len() {
        let (gap, used) = varint::decode_i32(&bytes[pos..])
            .ok_or_else(|| Error::corrupt(format!("{what}: malformed VarInt in ordinal list"), start + pos as u64))?;
        if gap < 0 {
            return Err(Error::corrupt(format!("{what}: negative gap {gap}"), start + pos as u64));
        }
        current += gap as u64;
        if current > i32::MAX as u64 {
            return Err(Error::corrupt(format!("{what}: ordinal {current} out of range"), start + pos as u64));
        }
        out.push(current as u32);
        pos += used;
    }
    Ok(out)
}

/// Append `ordinals` (ascending) as a gap-encoded list.
pub fn write(out: &mut Vec<u8>, ordinals: &[u32]) {
    let mut body = Vec::with_capacity(ordinals.len() * 2);
    let mut prev = 0u32;
    for &o in ordinals {
        varint::write_i32(&mut body, (o - prev) as i32);
        prev = o;
    }
    varint::write_usize(out, body.len());
    out.extend_from_slice(&body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bytes() {
        let mut out = Vec::new();
        write(&mut out, &[]);
        assert_eq!(out, [0x00]);
        out.clear();
        write(&mut out, &[2]);
        assert_eq!(out, [0x01, 0x02]);
        out.clear();
        write(&mut out, &[1, 5, 200]);
        assert_eq!(out, [0x04, 0x01, 0x04, 0x81, 0x43]);
        let mut r = ByteReader::new(&out);
        assert_eq!(read(&mut r, "adds").unwrap(), [1, 5, 200]);
        assert!(r.is_empty());
    }

    #[test]
    fn truncated_list_is_error() {
        let mut r = ByteReader::new(&[0x04, 0x01, 0x04]);
        assert!(read(&mut r, "adds").is_err());
        let mut r = ByteReader::new(&[0x01, 0x81]);
        assert!(read(&mut r, "adds").is_err());
    }
}

//! A bounds-checked cursor over a blob.
//!
//! Every read is checked against the bytes that remain, so a truncated or hostile blob gives an
//! [`Error::CorruptBlob`] naming the byte offset, never a panic. Counts read from the blob are checked
//! against what remains before anything is allocated for them, which bounds every allocation by the
//! blob's own size.

use super::{mutf8, varint};
use crate::error::{Error, Result};
use crate::memory::{Backing, SharedBytes};

/// A cursor over the bytes of one blob.
#[derive(Debug, Clone)]
pub struct ByteReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// What `bytes` belong to, when the blob's arrays are read in place (see [`Self::in_place`]).
    backing: Option<&'a Backing>,
}

impl<'a> ByteReader<'a> {
    /// A cursor at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        ByteReader { bytes, pos: 0, backing: None }
    }

    /// A cursor at the start of a mapped file's or a blob buffer's blob, whose arrays
    /// [`Self::in_place`] leaves where they are.
    pub fn over(backing: &'a Backing) -> Self {
        ByteReader { bytes: backing.blob(), pos: 0, backing: Some(backing) }
    }

    /// The next `n` bytes as a window into the backing, when this cursor reads one and at least
    /// `readable_after` more bytes follow them in it (a bit array reads one word past its payload).
    /// The window covers `n + readable_after` bytes; the cursor moves by `n`. `None`, with the
    /// cursor unmoved, otherwise: the caller copies the bytes instead.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] when fewer than `n` bytes remain.
    pub fn in_place(&mut self, n: usize, readable_after: usize, what: &str) -> Result<Option<SharedBytes>> {
        if n > self.remaining() {
            return Err(self.error(format!("{what}: needs {n} bytes, only {} remain", self.remaining())));
        }
        let Some(backing) = self.backing else { return Ok(None) };
        let window = n.checked_add(readable_after).and_then(|len| SharedBytes::window(backing, self.pos, len));
        if window.is_some() {
            self.pos += n;
        }
        Ok(window)
    }

    /// Offset of the next byte to read.
    #[inline]
    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    /// Bytes left to read.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// A corrupt-blob error at the current position.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::corrupt(message, self.position())
    }

    /// Take the next `n` bytes.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] (naming `what` and the offset) when fewer than `n`
    /// bytes remain.
    #[inline]
    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.error(format!("{what}: needs {n} bytes, only {} remain", self.remaining())));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Skip `n` bytes.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] when fewer than `n` bytes remain.
    pub fn skip(&mut self, n: u64, what: &str) -> Result<()> {
        let n = self.check_len(n, 1, what)?;
        self.pos += n;
        Ok(())
    }

    /// Check that `count` items of `item_size` bytes each can still follow, and return `count` as a
    /// `usize`. Use it before allocating for a count read from the blob.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] when fewer than `count * item_size` bytes remain (or
    /// the product overflows).
    pub fn check_len(&self, count: u64, item_size: u64, what: &str) -> Result<usize> {
        match count.checked_mul(item_size) {
            Some(total) if total <= self.remaining() as u64 => Ok(count as usize),
            _ => Err(self.error(format!(
                "{what}: {count} items of {item_size} bytes do not fit in the {} bytes that remain",
                self.remaining()
            ))),
        }
    }

    /// One byte.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] at the end of the blob.
    #[inline]
    pub fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.bytes(1, what)?[0])
    }

    /// A big-endian int16.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] when fewer than 2 bytes remain.
    pub fn i16(&mut self, what: &str) -> Result<i16> {
        Ok(i16::from_be_bytes(self.bytes(2, what)?.try_into().expect("2 bytes")))
    }

    /// A big-endian int32.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] when fewer than 4 bytes remain.
    pub fn i32(&mut self, what: &str) -> Result<i32> {
        Ok(i32::from_be_bytes(self.bytes(4, what)?.try_into().expect("4 bytes")))
    }

    /// A big-endian int64.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] when fewer than 8 bytes remain.
    pub fn i64(&mut self, what: &str) -> Result<i64> {
        Ok(i64::from_be_bytes(self.bytes(8, what)?.try_into().expect("8 bytes")))
    }

    /// A VarInt.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] for a truncated VarInt or one longer than 5 bytes.
    #[inline]
    pub fn varint(&mut self, what: &str) -> Result<i32> {
        match varint::decode_i32(&self.bytes[self.pos..]) {
            Some((v, n)) => {
                self.pos += n;
                Ok(v)
            }
            None => Err(self.error(format!("{what}: malformed or truncated VarInt"))),
        }
    }

    /// A VarLong.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] for a truncated VarLong or one longer than 10 bytes.
    #[inline]
    pub fn varlong(&mut self, what: &str) -> Result<i64> {
        match varint::decode_i64(&self.bytes[self.pos..]) {
            Some((v, n)) => {
                self.pos += n;
                Ok(v)
            }
            None => Err(self.error(format!("{what}: malformed or truncated VarLong"))),
        }
    }

    /// A VarInt that must be a count or size: `0 ..= i32::MAX`.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] for a malformed VarInt or a negative one.
    pub fn varint_count(&mut self, what: &str) -> Result<usize> {
        let at = self.position();
        let v = self.varint(what)?;
        usize::try_from(v).map_err(|_| Error::corrupt(format!("{what}: negative count {v}"), at))
    }

    /// A VarLong that must be a count or size (non-negative).
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] for a malformed VarLong or a negative one.
    pub fn varlong_count(&mut self, what: &str) -> Result<u64> {
        let at = self.position();
        let v = self.varlong(what)?;
        u64::try_from(v).map_err(|_| Error::corrupt(format!("{what}: negative count {v}"), at))
    }

    /// A string written by Java's `DataOutput.writeUTF`: u16 length, then modified UTF-8.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] when the string is truncated or is not modified
    /// UTF-8.
    pub fn utf(&mut self, what: &str) -> Result<String> {
        let at = self.position();
        let len = u16::from_be_bytes(self.bytes(2, what)?.try_into().expect("2 bytes")) as usize;
        let raw = self.bytes(len, what)?;
        mutf8::decode(raw).ok_or_else(|| Error::corrupt(format!("{what}: invalid modified UTF-8"), at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_structural_values() {
        let bytes = [0x00, 0x00, 0x04, 0x06, 0x81, 0x00, 0x00, 0x02, b'h', b'i', 0xFF];
        let mut r = ByteReader::new(&bytes);
        assert_eq!(r.i32("version").unwrap(), 1030);
        assert_eq!(r.varint("v").unwrap(), 128);
        assert_eq!(r.utf("name").unwrap(), "hi");
        assert_eq!(r.position(), 10);
        let err = r.i16("short").unwrap_err().to_string();
        assert!(err.contains("byte 10") && err.contains("short"), "{err}");
    }

    #[test]
    fn check_len_bounds_allocations() {
        let r = ByteReader::new(&[0; 16]);
        assert_eq!(r.check_len(2, 8, "longs").unwrap(), 2);
        assert!(r.check_len(3, 8, "longs").is_err());
        assert!(r.check_len(u64::MAX, 8, "longs").is_err());
    }

    #[test]
    fn negative_counts_are_errors() {
        let mut r = ByteReader::new(&[0x8F, 0xFF, 0xFF, 0xFF, 0x7F]);
        assert!(r.varint_count("n").is_err());
    }
}

//! The blob header (`HollowBlobHeaderWriter` / `HollowBlobHeaderReader`).
//!
//! ```text
//! i32     format version, 1030
//! i64     origin randomized tag        (the state the blob applies to; -1 for a first snapshot)
//! i64     destination randomized tag   (the state the blob leads to)
//! VarInt  schema envelope length = len(schema bytes) + 1; 0 means no schemas follow (pre-2.2 layout)
//!   VarInt numSchemas, schemas
//!   VarInt forward-compatibility length (0); the reader skips that many bytes
//! i16     number of header tags, then each as UTF key, UTF value
//! ```

use std::collections::BTreeMap;

use crate::encoding::{mutf8, varint, ByteReader};
use crate::error::{Error, Result};
use crate::schema::{codec, Schema};

/// The only blob format version Java Hollow writes (`HollowBlobHeader.HOLLOW_BLOB_VERSION_HEADER`).
pub const BLOB_FORMAT_VERSION: i32 = 1030;

/// A blob's header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlobHeader {
    /// Tag of the state this blob applies to (`-1` for the first snapshot of a chain).
    pub origin_tag: i64,
    /// Tag of the state this blob leads to.
    pub destination_tag: i64,
    /// Schemas of the types in the blob.
    pub schemas: Vec<Schema>,
    /// Header tags.
    pub tags: BTreeMap<String, String>,
}

impl BlobHeader {
    /// Read a header from the start of a blob.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`] for a truncated header, an unknown blob format
    /// version or schemas that do not decode.
    pub fn read(r: &mut ByteReader<'_>) -> Result<Self> {
        let version = r.i32("blob format version")?;
        if version != BLOB_FORMAT_VERSION {
            return Err(Error::UnsupportedVersion { found: version, expected: BLOB_FORMAT_VERSION });
        }
        let origin_tag = r.i64("origin tag")?;
        let destination_tag = r.i64("destination tag")?;
        let envelope = r.varint("schema envelope length")?;
        let mut schemas = Vec::new();
        if envelope != 0 {
            let n = r.varint_count("number of schemas")?;
            let n = r.check_len(n as u64, 3, "schemas")?;
            schemas.reserve(n);
            for _ in 0..n {
                schemas.push(codec::read_schema(r)?);
            }
            let skip = r.varint_count("forward-compatibility length")?;
            r.skip(skip as u64, "forward-compatibility bytes")?;
        }
        let num_tags = r.i16("number of header tags")?;
        let mut tags = BTreeMap::new();
        for _ in 0..num_tags.max(0) {
            let k = r.utf("header tag key")?;
            let v = r.utf("header tag value")?;
            tags.insert(k, v);
        }
        Ok(BlobHeader { origin_tag, destination_tag, schemas, tags })
    }

    /// Append this header.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for more header tags than Java's `short`
    /// counts or a tag longer than 65535 bytes; [`Error::Schema`] for a schema that
    /// cannot be encoded.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(&BLOB_FORMAT_VERSION.to_be_bytes());
        out.extend_from_slice(&self.origin_tag.to_be_bytes());
        out.extend_from_slice(&self.destination_tag.to_be_bytes());
        let mut schema_bytes = Vec::new();
        varint::write_usize(&mut schema_bytes, self.schemas.len());
        for s in &self.schemas {
            codec::write_schema(&mut schema_bytes, s)?;
        }
        varint::write_usize(out, schema_bytes.len() + 1);
        out.extend_from_slice(&schema_bytes);
        varint::write_i32(out, 0);
        let n = i16::try_from(self.tags.len()).map_err(|_| Error::InvalidArgument("too many header tags".into()))?;
        out.extend_from_slice(&n.to_be_bytes());
        for (k, v) in &self.tags {
            for s in [k, v] {
                mutf8::write_utf(out, s)
                    .ok_or_else(|| Error::InvalidArgument(format!("header tag longer than 65535 bytes: {k}")))?;
            }
        }
        Ok(())
    }

    /// A header tag's value.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{FieldType, ObjectField, ObjectSchema};

    #[test]
    fn header_matches_the_worked_example() {
        let h = BlobHeader {
            origin_tag: -1,
            destination_tag: 0x1111_1111_1111_1111,
            schemas: vec![ObjectSchema::new("Movie")
                .with_field(ObjectField::new("id", FieldType::Int))
                .with_field(ObjectField::new("title", FieldType::String))
                .with_primary_key(["id"])
                .into()],
            tags: BTreeMap::new(),
        };
        let mut out = Vec::new();
        h.write(&mut out).unwrap();
        assert_eq!(&out[..4], &[0, 0, 4, 6]);
        assert_eq!(&out[4..12], &[0xFF; 8]);
        assert_eq!(&out[12..20], &[0x11; 8]);
        assert_eq!(out[20], 41, "schema envelope = 40 schema bytes + 1");
        assert_eq!(&out[out.len() - 3..], &[0, 0, 0], "forward-compat 0, then 0 tags");
        let back = BlobHeader::read(&mut ByteReader::new(&out)).unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn tags_round_trip_and_version_is_checked() {
        let mut h = BlobHeader::default();
        h.tags.insert("hollow.blob.to.version".into(), "20250101000000001".into());
        let mut out = Vec::new();
        h.write(&mut out).unwrap();
        assert_eq!(BlobHeader::read(&mut ByteReader::new(&out)).unwrap(), h);
        out[3] = 7;
        assert!(matches!(
            BlobHeader::read(&mut ByteReader::new(&out)),
            Err(Error::UnsupportedVersion { found: 1031, .. })
        ));
    }
}

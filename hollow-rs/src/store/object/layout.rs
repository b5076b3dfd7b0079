//! Object names: where each blob, the snapshot index and the announcement live under a store's prefix.
//!
//! Two layouts ([`Layout`]):
//!
//! * **Reference** (default), the names of Netflix's hollow-reference-implementation `S3Publisher`, so
//!   hollow-rs and Java producers built on it can share a bucket:
//!   `snapshot/<hex>-<v>`, `delta/<hex>-<from>`, `reversedelta/<hex>-<from>`, where `<hex>` is Java's
//!   `Integer.toHexString(HashCodes.hashLong(v))` (a hash first, so that keys spread over S3's partitions).
//!   Objects carry user metadata `to_state` (and `from_state` for deltas), as Java writes and reads them.
//!   `snapshot.index` lists snapshot versions as gap-encoded VarLongs, ascending (Java's
//!   `buidGapEncodedVarIntSnapshotIndex`). Extension of hollow-rs: header blobs as `header/<hex>-<v>`
//!   (the reference implementation publishes no headers; its readers never look there).
//! * **Filesystem**: Java's `HollowFilesystemPublisher` names under the prefix: `snapshot-<v>`,
//!   `delta-<from>-<to>`, `reversedelta-<from>-<to>`, `header-<v>`.
//!
//! Both keep `announced.version` (decimal text) beside the blobs.
//!
//! Invariant: [`object_name`] and [`parse_name`] are inverse on every name this module makes, and
//! `parse_name` refuses anything else (a foreign object under the prefix is never taken for a blob). In the
//! reference layout a name holds only the *from* version of a delta, so its `to` comes from metadata.

pub use super::super::url::Layout;
use crate::encoding::{hash, varint};
use crate::store::{BlobId, BlobType, Version};

/// The announcement object's name (both layouts, and Java's `S3Announcer`).
pub const ANNOUNCEMENT: &str = "announced.version";
/// The snapshot index object's name (reference layout, Java's `S3Publisher.getSnapshotIndexObjectName`).
pub const SNAPSHOT_INDEX: &str = "snapshot.index";
/// The producer lease object's name (a hollow-rs extension).
pub const PRODUCER_LOCK: &str = "producer.lock";
/// User metadata key of the destination version (Java's `S3Publisher`).
pub const TO_STATE: &str = "to_state";
/// User metadata key of the origin version of deltas (Java's `S3Publisher`).
pub const FROM_STATE: &str = "from_state";
/// User metadata key of the blob's length in bytes, written by hollow-rs so that a reader can tell a
/// truncated object from a whole one (Java ignores it).
pub const LENGTH: &str = "hollow_length";

/// Java's `Integer.toHexString(HashCodes.hashLong(v))`: unsigned, lower case, no leading zeros.
pub fn version_hex(version: Version) -> String {
    format!("{:x}", hash::hash_long(version) as u32)
}

/// The reference layout's directory for a kind of blob.
fn reference_dir(blob_type: BlobType) -> &'static str {
    blob_type.file_prefix()
}

/// The version a reference-layout name is keyed by: the origin of deltas, the destination otherwise.
pub fn lookup_version(blob_type: BlobType, from: Option<Version>, to: Version) -> Version {
    match blob_type {
        BlobType::Delta | BlobType::ReverseDelta => from.unwrap_or(to),
        BlobType::Snapshot | BlobType::Header => to,
    }
}

/// A reference-layout name from the kind and the version it is keyed by.
pub fn reference_name(blob_type: BlobType, lookup: Version) -> String {
    format!("{}/{}-{}", reference_dir(blob_type), version_hex(lookup), lookup)
}

/// The object name of a blob, relative to the prefix.
pub fn object_name(layout: Layout, id: &BlobId) -> String {
    match layout {
        Layout::Reference => reference_name(id.blob_type, lookup_version(id.blob_type, id.from_version, id.to_version)),
        Layout::Filesystem => id.file_name(),
    }
}

/// What a name (relative to the prefix) says about a blob: `(type, version in the name, to-version if the
/// name holds it)`. Reference-layout deltas give `(type, from, None)`.
pub fn parse_name(layout: Layout, name: &str) -> Option<(BlobType, Option<Version>, Option<Version>)> {
    match layout {
        Layout::Filesystem => {
            if name.contains('/') {
                return None;
            }
            let (t, from, to) = crate::store::Blob::parse_file_name(name)?;
            Some((t, from, Some(to)))
        }
        Layout::Reference => {
            let (dir, file) = name.split_once('/')?;
            let blob_type = [BlobType::Snapshot, BlobType::Delta, BlobType::ReverseDelta, BlobType::Header]
                .into_iter()
                .find(|t| reference_dir(*t) == dir)?;
            let (hex, v) = file.split_once('-')?;
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let v: Version = v.parse().ok()?;
            if hex != version_hex(v) {
                return None;
            }
            match blob_type {
                BlobType::Delta | BlobType::ReverseDelta => Some((blob_type, Some(v), None)),
                BlobType::Snapshot | BlobType::Header => Some((blob_type, None, Some(v))),
            }
        }
    }
}

/// The snapshot index bytes for `versions` (ascending, distinct): each version's gap from the previous
/// one (the first from 0) as a VarLong, as Java's `VarInt.writeVLong`.
pub fn encode_snapshot_index(versions: &[Version]) -> Vec<u8> {
    let mut out = Vec::with_capacity(versions.len() * 4);
    let mut previous: Version = 0;
    for &v in versions {
        varint::write_i64(&mut out, v.wrapping_sub(previous));
        previous = v;
    }
    out
}

/// The versions a snapshot index lists; `None` if it does not decode.
pub fn decode_snapshot_index(bytes: &[u8]) -> Option<Vec<Version>> {
    let mut versions = Vec::new();
    let mut current: Version = 0;
    let mut pos = 0;
    while pos < bytes.len() {
        let (gap, used) = varint::decode_i64(&bytes[pos..])?;
        current = current.wrapping_add(gap);
        versions.push(current);
        pos += used;
    }
    Some(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for layout in [Layout::Reference, Layout::Filesystem] {
            for id in [
                BlobId { blob_type: BlobType::Snapshot, from_version: None, to_version: 20250101000000001 },
                BlobId { blob_type: BlobType::Header, from_version: None, to_version: 7 },
                BlobId { blob_type: BlobType::Delta, from_version: Some(1), to_version: 2 },
                BlobId { blob_type: BlobType::ReverseDelta, from_version: Some(2), to_version: 1 },
            ] {
                let name = object_name(layout, &id);
                let (t, from, to) = parse_name(layout, &name).unwrap();
                assert_eq!(t, id.blob_type);
                match (layout, id.blob_type) {
                    (Layout::Reference, BlobType::Delta | BlobType::ReverseDelta) => {
                        assert_eq!((from, to), (id.from_version, None))
                    }
                    _ => assert_eq!((from, to), (id.from_version, Some(id.to_version))),
                }
            }
        }
        assert_eq!(parse_name(Layout::Reference, "snapshot/0-5"), None, "hash must match");
        assert_eq!(parse_name(Layout::Reference, "announced.version"), None);
        assert_eq!(parse_name(Layout::Filesystem, "snapshot.index"), None);
    }

    #[test]
    fn index_round_trips() {
        let v = vec![1, 2, 300, 20250101000000001];
        assert_eq!(decode_snapshot_index(&encode_snapshot_index(&v)).unwrap(), v);
        assert_eq!(decode_snapshot_index(&[0x81]), None);
    }
}

//! Blob stores: where a producer puts its blobs and announcements, and where consumers find them.
//!
//! Four roles, one trait each, so that any storage can be plugged in:
//!
//! * [`BlobPublisher`]: stages and publishes snapshot, delta, reverse-delta and header blobs.
//! * [`BlobRetriever`]: finds them again (the best snapshot at or below a version, the delta or reverse
//!   delta leaving a version, a header).
//! * [`Announcer`]: makes a version the one consumers should be on.
//! * [`AnnouncementWatcher`]: tells consumers which version is announced and wakes them when it changes.
//!
//! Two implementations come with the crate: [`memory::InMemoryBlobStore`] (all four roles, shareable
//! between a producer and consumers in one process) and [`filesystem`] (Java Hollow's directory layout,
//! so a Java consumer can follow a directory hollow-rs writes and the other way round).

pub mod filesystem;
pub mod memory;
#[cfg(feature = "object-store")]
pub mod object;
pub mod retention;
#[path = "object/url.rs"]
mod url;

pub use url::{open, Layout, RetryOptions, StoreOptions};

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};

/// A data version. Java Hollow uses `long` versions; by default producers mint `yyyyMMddHHmmss` plus a
/// 3-digit counter.
pub type Version = i64;

/// What a blob holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BlobType {
    /// A full state at `to_version`.
    Snapshot,
    /// The changes from `from_version` to `to_version` (newer).
    Delta,
    /// The changes from `from_version` back to `to_version` (older).
    ReverseDelta,
    /// The header of the state at `to_version`, with all schemas and no data.
    Header,
}

impl BlobType {
    /// The prefix of Java's file names for this kind of blob.
    pub fn file_prefix(self) -> &'static str {
        match self {
            BlobType::Snapshot => "snapshot",
            BlobType::Delta => "delta",
            BlobType::ReverseDelta => "reversedelta",
            BlobType::Header => "header",
        }
    }
}

/// A blob and where it sits in the version chain.
#[derive(Clone, PartialEq, Eq)]
pub struct Blob {
    /// What the blob holds.
    pub blob_type: BlobType,
    /// The version it applies to (deltas and reverse deltas only).
    pub from_version: Option<Version>,
    /// The version it leads to.
    pub to_version: Version,
    /// The blob's bytes.
    pub data: Arc<[u8]>,
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blob({} bytes)", self.data.len())?;
        f.write_str(" ")?;
        f.write_str(&self.file_name())
    }
}

impl Blob {
    /// A snapshot of `version`.
    pub fn snapshot(version: Version, data: impl Into<Arc<[u8]>>) -> Self {
        Blob { blob_type: BlobType::Snapshot, from_version: None, to_version: version, data: data.into() }
    }

    /// A delta from `from` to `to`.
    pub fn delta(from: Version, to: Version, data: impl Into<Arc<[u8]>>) -> Self {
        Blob { blob_type: BlobType::Delta, from_version: Some(from), to_version: to, data: data.into() }
    }

    /// A reverse delta from `from` (newer) back to `to` (older).
    pub fn reverse_delta(from: Version, to: Version, data: impl Into<Arc<[u8]>>) -> Self {
        Blob { blob_type: BlobType::ReverseDelta, from_version: Some(from), to_version: to, data: data.into() }
    }

    /// The header blob of `version`.
    pub fn header(version: Version, data: impl Into<Arc<[u8]>>) -> Self {
        Blob { blob_type: BlobType::Header, from_version: None, to_version: version, data: data.into() }
    }

    /// Java's file name for this blob: `snapshot-<v>`, `delta-<from>-<to>`, `reversedelta-<from>-<to>`,
    /// `header-<v>`.
    pub fn file_name(&self) -> String {
        self.id().file_name()
    }

    /// Parse one of Java's file names into (type, from, to). Names with anything extra (staging suffixes,
    /// optional parts) are not blobs of this kind and give `None`.
    pub fn parse_file_name(name: &str) -> Option<(BlobType, Option<Version>, Version)> {
        let (prefix, rest) = name.split_once('-')?;
        let blob_type = match prefix {
            "snapshot" => BlobType::Snapshot,
            "delta" => BlobType::Delta,
            "reversedelta" => BlobType::ReverseDelta,
            "header" => BlobType::Header,
            _ => return None,
        };
        let parse = |s: &str| -> Option<Version> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        };
        match blob_type {
            BlobType::Snapshot | BlobType::Header => Some((blob_type, None, parse(rest)?)),
            BlobType::Delta | BlobType::ReverseDelta => {
                let (from, to) = rest.split_once('-')?;
                Some((blob_type, Some(parse(from)?), parse(to)?))
            }
        }
    }
}

/// The name of a blob without its bytes: what [`BlobPublisher::list`] returns and
/// [`BlobPublisher::delete`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId {
    /// What the blob holds.
    pub blob_type: BlobType,
    /// The version it applies to (deltas and reverse deltas only).
    pub from_version: Option<Version>,
    /// The version it leads to.
    pub to_version: Version,
}

impl BlobId {
    /// The newest version this blob names: a blob "belongs" to a cycle that minted this version.
    pub fn newest_version(&self) -> Version {
        self.from_version.map_or(self.to_version, |from| from.max(self.to_version))
    }

    /// Java's file name for this blob (see [`Blob::file_name`]).
    pub fn file_name(&self) -> String {
        match self.from_version {
            Some(from) => format!("{}-{}-{}", self.blob_type.file_prefix(), from, self.to_version),
            None => format!("{}-{}", self.blob_type.file_prefix(), self.to_version),
        }
    }
}

impl Blob {
    /// The blob's name without its bytes.
    pub fn id(&self) -> BlobId {
        BlobId { blob_type: self.blob_type, from_version: self.from_version, to_version: self.to_version }
    }
}

/// Stages and publishes blobs (Java's `BlobStager` and `Publisher` in one), and keeps the producer's
/// house in order: removing what a failed cycle or a crash left, and the producer lock.
///
/// Blobs are immutable. [`publish`](Self::publish) creates a blob only if no blob of that name exists,
/// and a delta or reverse delta only if none leaves the same version (in Netflix's object-store layout
/// both are named by their *from* version alone, so this is the same rule for every store). A version
/// therefore names one state forever: a cycle that collides with an existing blob fails instead of
/// overwriting it.
pub trait BlobPublisher: Send + Sync {
    /// Publish one blob, all or nothing (a reader never sees a partly written blob), creating it only if
    /// it is absent. An existing blob of that name, or another delta (reverse delta) from the same
    /// version, is [`Error::Conflict`]. A store whose client retries requests
    /// may find its own blob when a create's response was lost; it may then accept a blob whose bytes
    /// equal the stored ones, since the same bytes under the same name are the same blob.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] when the blob exists already; the store's errors
    /// ([`Error::Io`]).
    fn publish(&self, blob: &Blob) -> Result<()>;

    /// Remove a blob: one a failed cycle published, one a crashed producer left above the announced
    /// version, or one retention no longer keeps. Removing a blob that is not there is not an error.
    ///
    /// # Errors
    ///
    /// The store's errors ([`Error::Io`]).
    fn delete(&self, id: &BlobId) -> Result<()>;

    /// Every blob in the store, in ascending order of destination version (then origin version, then
    /// kind). For recovery, retention and inspection: consumers never need it to refresh.
    ///
    /// # Errors
    ///
    /// The store's errors ([`Error::Io`]).
    fn list(&self) -> Result<Vec<BlobId>>;

    /// Take the store's producer lock: at most one producer publishes to a store at a time. The lock is
    /// held until the returned guard is dropped (or, for stores whose locks expire, until it is not
    /// renewed in time). Held by someone else: [`Error::Conflict`] naming the
    /// holder.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] when another producer holds the lock; the store's errors
    /// ([`Error::Io`]).
    fn lock_producer(&self) -> Result<Box<dyn ProducerLock>>;
}

/// The producer lock of a store, held while the guard lives.
pub trait ProducerLock: Send + Sync + std::fmt::Debug {
    /// Confirm the lock is still held, renewing it where it expires. A lock lost to another producer is
    /// [`Error::Conflict`]; the producer then publishes and announces nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] when the lock was lost; the store's errors
    /// ([`Error::Io`]).
    fn renew(&self) -> Result<()>;
}

/// Finds published blobs.
pub trait BlobRetriever: Send + Sync {
    /// The snapshot with the greatest version at or below `desired`, if any.
    ///
    /// # Errors
    ///
    /// The store's errors ([`Error::Io`]); a blob whose length differs from what the store
    /// listed is [`Error::CorruptBlob`].
    fn retrieve_snapshot(&self, desired: Version) -> Result<Option<Blob>>;
    /// The delta that starts at `from`, if any.
    ///
    /// # Errors
    ///
    /// As [`retrieve_snapshot`](Self::retrieve_snapshot).
    fn retrieve_delta(&self, from: Version) -> Result<Option<Blob>>;
    /// The reverse delta that starts at `from`, if any.
    ///
    /// # Errors
    ///
    /// As [`retrieve_snapshot`](Self::retrieve_snapshot).
    fn retrieve_reverse_delta(&self, from: Version) -> Result<Option<Blob>>;
    /// The header blob of `version`, if any.
    ///
    /// # Errors
    ///
    /// As [`retrieve_snapshot`](Self::retrieve_snapshot).
    fn retrieve_header(&self, version: Version) -> Result<Option<Blob>> {
        let _ = version;
        Ok(None)
    }
    /// A file on this machine that holds exactly the blob `id`, whole, and that the store never
    /// modifies in place, if the store has one (the filesystem store's own file, the object store's
    /// disk cache entry): a consumer may map it instead of reading it (see [`crate::mapped`]). `None`
    /// by default.
    fn local_file(&self, id: &BlobId) -> Option<std::path::PathBuf> {
        let _ = id;
        None
    }
}

/// Announces the version consumers should be on.
pub trait Announcer: Send + Sync {
    /// The version announced now, if any.
    ///
    /// # Errors
    ///
    /// The store's errors ([`Error::Io`]); an announcement that is not a version is
    /// [`Error::CorruptBlob`].
    fn announced_version(&self) -> Result<Option<Version>>;

    /// Make `version` the announced version if the store still announces `expected` (`None`: nothing
    /// announced yet): a compare-and-swap, so a producer whose view of the store is stale cannot
    /// announce over another's version. Losing is [`Error::Conflict`] naming the
    /// version announced instead.
    ///
    /// # Errors
    ///
    /// [`Error::Conflict`] when the store does not announce `expected`; the store's errors
    /// ([`Error::Io`]).
    fn announce(&self, version: Version, expected: Option<Version>) -> Result<()>;
}

/// Tells consumers which version is announced.
pub trait AnnouncementWatcher: Send + Sync {
    /// The announced version, or `None` if nothing has been announced.
    ///
    /// # Errors
    ///
    /// As [`announced_version`](AnnouncementWatcher::latest_version): the store's errors
    /// ([`Error::Io`]).
    fn latest_version(&self) -> Result<Option<Version>>;

    /// Block until the announced version differs from `seen` or `timeout` passes; return the announced
    /// version then. The default polls [`latest_version`](Self::latest_version).
    ///
    /// # Errors
    ///
    /// As [`latest_version`](Self::latest_version).
    fn wait_for_change(&self, seen: Option<Version>, timeout: Duration) -> Result<Option<Version>> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let v = self.latest_version()?;
            let now = std::time::Instant::now();
            if v != seen || now >= deadline {
                return Ok(v);
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
        }
    }
}

/// A store that plays all four roles, as every store of this crate does.
pub trait BlobStore: BlobPublisher + BlobRetriever + Announcer + AnnouncementWatcher {}

impl<T: BlobPublisher + BlobRetriever + Announcer + AnnouncementWatcher + ?Sized> BlobStore for T {}

/// The error for losing an announcement's compare-and-swap, for stores to return.
pub fn announce_conflict(version: Version, expected: Option<Version>, actual: Option<Version>) -> Error {
    let actual = actual.map_or("no version".to_owned(), |v| format!("version {v}"));
    let expected = expected.map_or("nothing announced".to_owned(), |v| format!("version {v}"));
    Error::Conflict(format!(
        "another producer announced {actual}; version {version} was not announced (this producer expected {expected})"
    ))
}

impl<T: BlobPublisher + ?Sized> BlobPublisher for Arc<T> {
    fn publish(&self, blob: &Blob) -> Result<()> {
        (**self).publish(blob)
    }
    fn delete(&self, id: &BlobId) -> Result<()> {
        (**self).delete(id)
    }
    fn list(&self) -> Result<Vec<BlobId>> {
        (**self).list()
    }
    fn lock_producer(&self) -> Result<Box<dyn ProducerLock>> {
        (**self).lock_producer()
    }
}

impl<T: BlobRetriever + ?Sized> BlobRetriever for Arc<T> {
    fn retrieve_snapshot(&self, desired: Version) -> Result<Option<Blob>> {
        (**self).retrieve_snapshot(desired)
    }
    fn retrieve_delta(&self, from: Version) -> Result<Option<Blob>> {
        (**self).retrieve_delta(from)
    }
    fn retrieve_reverse_delta(&self, from: Version) -> Result<Option<Blob>> {
        (**self).retrieve_reverse_delta(from)
    }
    fn retrieve_header(&self, version: Version) -> Result<Option<Blob>> {
        (**self).retrieve_header(version)
    }
    fn local_file(&self, id: &BlobId) -> Option<std::path::PathBuf> {
        (**self).local_file(id)
    }
}

impl<T: Announcer + ?Sized> Announcer for Arc<T> {
    fn announced_version(&self) -> Result<Option<Version>> {
        (**self).announced_version()
    }
    fn announce(&self, version: Version, expected: Option<Version>) -> Result<()> {
        (**self).announce(version, expected)
    }
}

impl<T: AnnouncementWatcher + ?Sized> AnnouncementWatcher for Arc<T> {
    fn latest_version(&self) -> Result<Option<Version>> {
        (**self).latest_version()
    }
    fn wait_for_change(&self, seen: Option<Version>, timeout: Duration) -> Result<Option<Version>> {
        (**self).wait_for_change(seen, timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip() {
        let cases = [
            (Blob::snapshot(20250101000000001, vec![]), "snapshot-20250101000000001"),
            (Blob::delta(1, 2, vec![]), "delta-1-2"),
            (Blob::reverse_delta(2, 1, vec![]), "reversedelta-2-1"),
            (Blob::header(7, vec![]), "header-7"),
        ];
        for (blob, name) in cases {
            assert_eq!(blob.file_name(), name);
            assert_eq!(Blob::parse_file_name(name), Some((blob.blob_type, blob.from_version, blob.to_version)));
        }
    }

    #[test]
    fn foreign_names_are_not_blobs() {
        for name in [
            "announced.version",
            "snapshot-12.tmp",
            "delta-1-2.3fa9",
            "delta-1",
            "snapshot_part-1",
            "snapshot-",
            "delta--2",
            "snapshot-99999999999999999999",
        ] {
            assert_eq!(Blob::parse_file_name(name), None, "{name}");
        }
    }
}

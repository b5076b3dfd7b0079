//! Retention: removing blobs no consumer needs any more, as Java's `HollowFilesystemBlobStorageCleaner`
//! does, without ever breaking what the announced version or a protected (pinned) version needs.
//!
//! The rule is one cut-off version. A consumer reaches a version `v` from scratch through the greatest
//! snapshot at or below `v` and the deltas after it, so everything from that snapshot on must stay.
//! The cut-off is the oldest of: the oldest of the newest `keep_snapshots` snapshots at or below the
//! announced version, and, for each protected version, the snapshot it loads from. Blobs whose versions
//! all lie below the cut-off go; every other blob stays, including blobs above the announced version
//! (a producer's cycle in flight). The announced version and every protected one therefore keep a
//! snapshot and an unbroken delta chain, and consumers on any kept version keep their deltas forward.

use std::collections::BTreeSet;

use super::{BlobId, BlobPublisher, BlobType, Version};
use crate::error::{Error, Result};

/// What to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// How many of the newest snapshots (at or below the announced version) to keep, with every
    /// delta, reverse delta and header from the oldest of them on. At least 1.
    pub keep_snapshots: usize,
    /// Versions consumers are pinned to: each keeps the snapshot it loads from and everything after.
    pub protected_versions: BTreeSet<Version>,
}

impl Default for RetentionPolicy {
    /// Keep the 5 newest snapshots (Java's cleaner keeps 5 by default).
    fn default() -> Self {
        RetentionPolicy { keep_snapshots: 5, protected_versions: BTreeSet::new() }
    }
}

impl RetentionPolicy {
    /// Keep the `n` newest snapshots and what leads on from them.
    pub fn keep_snapshots(n: usize) -> Self {
        RetentionPolicy { keep_snapshots: n, ..Self::default() }
    }

    /// Also keep what a consumer pinned to `version` needs.
    pub fn protect(mut self, version: Version) -> Self {
        self.protected_versions.insert(version);
        self
    }

    /// The oldest version kept given the blobs in a store and its announced version; `None` when
    /// nothing may be removed (no snapshot at or below the announced version to anchor on).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a policy that keeps no snapshot.
    pub fn cutoff(&self, blobs: &[BlobId], announced: Version) -> Result<Option<Version>> {
        if self.keep_snapshots == 0 {
            return Err(Error::InvalidArgument("retention must keep at least one snapshot".into()));
        }
        let snapshots: BTreeSet<Version> =
            blobs.iter().filter(|b| b.blob_type == BlobType::Snapshot).map(|b| b.to_version).collect();
        let Some(&oldest_kept) = snapshots.range(..=announced).rev().take(self.keep_snapshots).last() else {
            return Ok(None);
        };
        let mut cutoff = oldest_kept;
        for &pinned in &self.protected_versions {
            match snapshots.range(..=pinned).next_back() {
                Some(&anchor) => cutoff = cutoff.min(anchor),
                // Nothing loads that version from scratch; keep everything rather than guess.
                None => return Ok(None),
            }
        }
        Ok(Some(cutoff))
    }
}

/// What a cleanup removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// The oldest version kept, if anything could be removed.
    pub cutoff: Option<Version>,
    /// The blobs removed, oldest first.
    pub removed: Vec<BlobId>,
    /// How many blobs remain.
    pub kept: usize,
}

/// Remove from `store` the blobs `policy` does not keep, given the announced version. Blobs are removed
/// oldest first, so a cleanup cut short leaves a store that still satisfies the policy's promises.
///
/// # Errors
///
/// The store's errors when listing or deleting ([`Error::Io`]); blobs removed before the
/// failure stay removed, which the policy allows.
pub fn clean(store: &dyn BlobPublisher, announced: Version, policy: &RetentionPolicy) -> Result<CleanupReport> {
    let blobs = store.list()?;
    let Some(cutoff) = policy.cutoff(&blobs, announced)? else {
        return Ok(CleanupReport { cutoff: None, removed: Vec::new(), kept: blobs.len() });
    };
    let (mut removed, mut kept) = (Vec::new(), 0);
    for blob in blobs {
        if blob.newest_version() < cutoff {
            store.delete(&blob)?;
            removed.push(blob);
        } else {
            kept += 1;
        }
    }
    Ok(CleanupReport { cutoff: Some(cutoff), removed, kept })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::InMemoryBlobStore;
    use crate::store::Blob;

    /// Versions 1..=n with a snapshot every `every` versions, headers, deltas and reverse deltas.
    fn store_with_chain(n: Version, every: Version) -> InMemoryBlobStore {
        let store = InMemoryBlobStore::new();
        for v in 1..=n {
            store.publish(&Blob::header(v, vec![])).unwrap();
            if v % every == 1 {
                store.publish(&Blob::snapshot(v, vec![])).unwrap();
            }
            if v > 1 {
                store.publish(&Blob::delta(v - 1, v, vec![])).unwrap();
                store.publish(&Blob::reverse_delta(v, v - 1, vec![])).unwrap();
            }
        }
        store
    }

    #[test]
    fn keeps_the_newest_snapshots_and_everything_after() {
        let store = store_with_chain(20, 5); // snapshots at 1, 6, 11, 16
        let report = clean(&store, 20, &RetentionPolicy::keep_snapshots(2)).unwrap();
        assert_eq!(report.cutoff, Some(11));
        assert!(report.removed.iter().all(|b| b.newest_version() < 11));
        // header 1..=10, snapshots 1 and 6, deltas to 2..=10, reverse deltas from 2..=10.
        assert_eq!(report.removed.len(), 10 + 2 + 9 + 9);
        let left = store.list().unwrap();
        assert_eq!(left.len(), report.kept);
        assert_eq!(left.iter().map(|b| b.newest_version()).min(), Some(11));
        assert_eq!(store.snapshot_versions(), [11, 16]);
    }

    #[test]
    fn protected_versions_keep_their_snapshot_and_chain() {
        let store = store_with_chain(20, 5);
        let report = clean(&store, 20, &RetentionPolicy::keep_snapshots(1).protect(8)).unwrap();
        assert_eq!(report.cutoff, Some(6));
        assert_eq!(store.snapshot_versions(), [6, 11, 16]);
        assert!(store.retrieve_delta_exists(7));
    }

    #[test]
    fn nothing_goes_without_an_anchor_and_zero_is_refused() {
        let store = store_with_chain(4, 100); // one snapshot, at 1
        assert_eq!(clean(&store, 4, &RetentionPolicy::keep_snapshots(1)).unwrap().removed, []);
        assert_eq!(clean(&store, 0, &RetentionPolicy::keep_snapshots(1)).unwrap().cutoff, None);
        assert!(clean(&store, 4, &RetentionPolicy::keep_snapshots(0)).is_err());
    }

    impl InMemoryBlobStore {
        fn retrieve_delta_exists(&self, from: Version) -> bool {
            crate::store::BlobRetriever::retrieve_delta(self, from).unwrap().is_some()
        }
    }
}

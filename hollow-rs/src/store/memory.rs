//! An in-memory blob store: publisher, retriever, announcer and watcher in one, shared through `Arc`.
//! The default store for tests and for a producer and consumers living in one process.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{AnnouncementWatcher, Announcer, Blob, BlobPublisher, BlobRetriever, BlobType, Version};
use crate::error::Result;

#[derive(Default)]
struct Contents {
    snapshots: BTreeMap<Version, Blob>,
    deltas: BTreeMap<Version, Blob>,
    reverse_deltas: BTreeMap<Version, Blob>,
    headers: BTreeMap<Version, Blob>,
    announced: Option<Version>,
}

/// Blobs and the announced version, in memory. Wrap it in an `Arc` to share it.
#[derive(Default)]
pub struct InMemoryBlobStore {
    contents: Mutex<Contents>,
    announced_changed: Condvar,
}

impl std::fmt::Debug for InMemoryBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = self.lock();
        f.debug_struct("InMemoryBlobStore")
            .field("snapshots", &c.snapshots.len())
            .field("deltas", &c.deltas.len())
            .field("reverse_deltas", &c.reverse_deltas.len())
            .field("announced", &c.announced)
            .finish()
    }
}

impl InMemoryBlobStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Contents> {
        // A panic while holding the lock cannot leave the maps half-updated (each update is one insert),
        // so a poisoned lock is safe to keep using.
        self.contents.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remove a blob, e.g. to simulate a missing delta. Returns whether it was there.
    pub fn remove(&self, blob_type: BlobType, version: Version) -> bool {
        let mut c = self.lock();
        let map = match blob_type {
            BlobType::Snapshot => &mut c.snapshots,
            BlobType::Delta => &mut c.deltas,
            BlobType::ReverseDelta => &mut c.reverse_deltas,
            BlobType::Header => &mut c.headers,
        };
        map.remove(&version).is_some()
    }

    /// Versions of the snapshots held, ascending.
    pub fn snapshot_versions(&self) -> Vec<Version> {
        self.lock().snapshots.keys().copied().collect()
    }
}

impl BlobPublisher for InMemoryBlobStore {
    fn publish(&self, blob: &Blob) -> Result<()> {
        let mut c = self.lock();
        let blob = blob.clone();
        match blob.blob_type {
            BlobType::Snapshot => c.snapshots.insert(blob.to_version, blob),
            BlobType::Header => c.headers.insert(blob.to_version, blob),
            BlobType::Delta => c.deltas.insert(blob.from_version.unwrap_or_default(), blob),
            BlobType::ReverseDelta => c.reverse_deltas.insert(blob.from_version.unwrap_or_default(), blob),
        };
        Ok(())
    }
    // TEMP stub (objstore branch only, dropped at merge).
    fn delete(&self, _id: &super::BlobId) -> Result<()> {
        Ok(())
    }
    fn list(&self) -> Result<Vec<super::BlobId>> {
        Ok(Vec::new())
    }
    fn lock_producer(&self) -> Result<Box<dyn super::ProducerLock>> {
        Ok(Box::new(TempLock))
    }
}

/// TEMP stub (objstore branch only).
#[derive(Debug)]
struct TempLock;
impl super::ProducerLock for TempLock {
    fn renew(&self) -> Result<()> {
        Ok(())
    }
}

impl BlobRetriever for InMemoryBlobStore {
    fn retrieve_snapshot(&self, desired: Version) -> Result<Option<Blob>> {
        Ok(self.lock().snapshots.range(..=desired).next_back().map(|(_, b)| b.clone()))
    }
    fn retrieve_delta(&self, from: Version) -> Result<Option<Blob>> {
        Ok(self.lock().deltas.get(&from).cloned())
    }
    fn retrieve_reverse_delta(&self, from: Version) -> Result<Option<Blob>> {
        Ok(self.lock().reverse_deltas.get(&from).cloned())
    }
    fn retrieve_header(&self, version: Version) -> Result<Option<Blob>> {
        Ok(self.lock().headers.get(&version).cloned())
    }
}

impl Announcer for InMemoryBlobStore {
    fn announced_version(&self) -> Result<Option<Version>> {
        Ok(self.lock().announced)
    }
    fn announce(&self, version: Version, expected: Option<Version>) -> Result<()> {
        let mut c = self.lock();
        if c.announced != expected {
            return Err(super::announce_conflict(version, expected, c.announced));
        }
        c.announced = Some(version);
        drop(c);
        self.announced_changed.notify_all();
        Ok(())
    }
}

impl AnnouncementWatcher for InMemoryBlobStore {
    fn latest_version(&self) -> Result<Option<Version>> {
        Ok(self.lock().announced)
    }

    fn wait_for_change(&self, seen: Option<Version>, timeout: Duration) -> Result<Option<Version>> {
        let deadline = Instant::now() + timeout;
        let mut c = self.lock();
        while c.announced == seen {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            c = self.announced_changed.wait_timeout(c, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        Ok(c.announced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn retrieves_best_snapshot_and_chain() {
        let store = InMemoryBlobStore::new();
        store.publish(&Blob::snapshot(10, vec![1])).unwrap();
        store.publish(&Blob::snapshot(30, vec![3])).unwrap();
        store.publish(&Blob::delta(10, 20, vec![12])).unwrap();
        store.publish(&Blob::reverse_delta(20, 10, vec![21])).unwrap();
        assert_eq!(store.retrieve_snapshot(9).unwrap(), None);
        assert_eq!(store.retrieve_snapshot(25).unwrap().unwrap().to_version, 10);
        assert_eq!(store.retrieve_snapshot(30).unwrap().unwrap().to_version, 30);
        assert_eq!(&*store.retrieve_delta(10).unwrap().unwrap().data, &[12]);
        assert_eq!(store.retrieve_delta(20).unwrap(), None);
        assert_eq!(store.retrieve_reverse_delta(20).unwrap().unwrap().to_version, 10);
        assert!(store.remove(BlobType::Delta, 10));
        assert_eq!(store.retrieve_delta(10).unwrap(), None);
    }

    #[test]
    fn watcher_wakes_on_announcement() {
        let store = Arc::new(InMemoryBlobStore::new());
        assert_eq!(store.latest_version().unwrap(), None);
        let s2 = store.clone();
        let waiter = std::thread::spawn(move || s2.wait_for_change(None, Duration::from_secs(10)).unwrap());
        std::thread::sleep(Duration::from_millis(20));
        store.announce(42, None).unwrap();
        assert_eq!(waiter.join().unwrap(), Some(42));
        // No change: returns after the timeout with the same version.
        assert_eq!(store.wait_for_change(Some(42), Duration::from_millis(10)).unwrap(), Some(42));
    }
}

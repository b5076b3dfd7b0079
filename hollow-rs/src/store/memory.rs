//! An in-memory blob store: publisher, retriever, announcer and watcher in one, shared through `Arc`.
//! The default store for tests and for a producer and consumers living in one process.
//!
//! Every operation takes one mutex, so the store's rules hold trivially: a publish checks for an
//! existing blob and inserts under the same lock (create-if-absent), an announcement compares and
//! swaps under it, and the producer lock is a flag under it.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{
    announce_conflict, AnnouncementWatcher, Announcer, Blob, BlobId, BlobPublisher, BlobRetriever, BlobType,
    ProducerLock, Version,
};
use crate::error::{Error, Result};

#[derive(Default)]
struct Contents {
    snapshots: BTreeMap<Version, Blob>,
    deltas: BTreeMap<Version, Blob>,
    reverse_deltas: BTreeMap<Version, Blob>,
    headers: BTreeMap<Version, Blob>,
    announced: Option<Version>,
    producer_locked: bool,
}

impl Contents {
    fn map_mut(&mut self, blob_type: BlobType) -> &mut BTreeMap<Version, Blob> {
        match blob_type {
            BlobType::Snapshot => &mut self.snapshots,
            BlobType::Delta => &mut self.deltas,
            BlobType::ReverseDelta => &mut self.reverse_deltas,
            BlobType::Header => &mut self.headers,
        }
    }
}

/// Deltas and reverse deltas are keyed by the version they leave, snapshots and headers by their own.
fn key_of(id: &BlobId) -> Version {
    id.from_version.unwrap_or(id.to_version)
}

/// Blobs and the announced version, in memory. Wrap it in an `Arc` to share it.
#[derive(Default)]
pub struct InMemoryBlobStore {
    contents: Arc<Mutex<Contents>>,
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
        lock_contents(&self.contents)
    }

    /// Remove a blob, e.g. to simulate a missing delta: the snapshot or header of `version`, or the
    /// delta or reverse delta leaving it. Returns whether it was there.
    pub fn remove(&self, blob_type: BlobType, version: Version) -> bool {
        self.lock().map_mut(blob_type).remove(&version).is_some()
    }

    /// Versions of the snapshots held, ascending.
    pub fn snapshot_versions(&self) -> Vec<Version> {
        self.lock().snapshots.keys().copied().collect()
    }
}

fn lock_contents(contents: &Mutex<Contents>) -> MutexGuard<'_, Contents> {
    // A panic while holding the lock cannot leave the maps half-updated (each update is one insert or
    // remove), so a poisoned lock is safe to keep using.
    contents.lock().unwrap_or_else(|e| e.into_inner())
}

impl BlobPublisher for InMemoryBlobStore {
    fn publish(&self, blob: &Blob) -> Result<()> {
        let id = blob.id();
        let mut c = self.lock();
        let map = c.map_mut(blob.blob_type);
        if let Some(existing) = map.get(&key_of(&id)) {
            return Err(Error::Conflict(format!(
                "cannot publish {}: {} already exists (blobs are never overwritten)",
                id.file_name(),
                existing.file_name()
            )));
        }
        map.insert(key_of(&id), blob.clone());
        Ok(())
    }

    fn delete(&self, id: &BlobId) -> Result<()> {
        let mut c = self.lock();
        let map = c.map_mut(id.blob_type);
        if map.get(&key_of(id)).is_some_and(|b| b.id() == *id) {
            map.remove(&key_of(id));
        }
        Ok(())
    }

    fn list(&self) -> Result<Vec<BlobId>> {
        let c = self.lock();
        let mut ids: Vec<BlobId> = [&c.snapshots, &c.deltas, &c.reverse_deltas, &c.headers]
            .into_iter()
            .flat_map(|m| m.values().map(Blob::id))
            .collect();
        ids.sort_by_key(|id| (id.to_version, id.from_version, id.blob_type));
        Ok(ids)
    }

    fn lock_producer(&self) -> Result<Box<dyn ProducerLock>> {
        let mut c = self.lock();
        if c.producer_locked {
            return Err(Error::Conflict("another producer holds this in-memory store's producer lock".into()));
        }
        c.producer_locked = true;
        Ok(Box::new(MemoryProducerLock { contents: self.contents.clone() }))
    }
}

/// The in-memory store's producer lock: a flag, cleared on drop.
struct MemoryProducerLock {
    contents: Arc<Mutex<Contents>>,
}

impl std::fmt::Debug for MemoryProducerLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryProducerLock")
    }
}

impl ProducerLock for MemoryProducerLock {
    fn renew(&self) -> Result<()> {
        // Nothing takes the flag from its holder, so holding the guard is holding the lock.
        Ok(())
    }
}

impl Drop for MemoryProducerLock {
    fn drop(&mut self) {
        lock_contents(&self.contents).producer_locked = false;
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
            return Err(announce_conflict(version, expected, c.announced));
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

    #[test]
    fn blobs_are_never_overwritten() {
        let store = InMemoryBlobStore::new();
        store.publish(&Blob::snapshot(10, vec![1])).unwrap();
        store.publish(&Blob::delta(10, 11, vec![2])).unwrap();
        let again = store.publish(&Blob::snapshot(10, vec![9])).unwrap_err();
        assert!(matches!(again, Error::Conflict(_)), "{again}");
        // A second delta from the same version is the same collision.
        let rival = store.publish(&Blob::delta(10, 12, vec![3])).unwrap_err();
        assert!(rival.to_string().contains("delta-10-11"), "{rival}");
        assert_eq!(&*store.retrieve_snapshot(10).unwrap().unwrap().data, &[1]);
        assert_eq!(store.retrieve_delta(10).unwrap().unwrap().to_version, 11);
        // Deleting a blob by another name leaves the one there alone; deleting it frees the name.
        store.delete(&Blob::delta(10, 12, vec![]).id()).unwrap();
        assert!(store.retrieve_delta(10).unwrap().is_some());
        store.delete(&Blob::delta(10, 11, vec![]).id()).unwrap();
        store.publish(&Blob::delta(10, 12, vec![3])).unwrap();
        let ids = store.list().unwrap();
        assert_eq!(ids, [Blob::snapshot(10, vec![]).id(), Blob::delta(10, 12, vec![]).id()]);
    }

    #[test]
    fn announcement_is_a_compare_and_swap() {
        let store = InMemoryBlobStore::new();
        store.announce(5, None).unwrap();
        let stale = store.announce(6, None).unwrap_err();
        assert!(matches!(stale, Error::Conflict(_)));
        assert!(stale.to_string().contains("announced version 5"), "{stale}");
        store.announce(7, Some(5)).unwrap();
        assert!(store.announce(8, Some(5)).is_err());
        assert_eq!(store.announced_version().unwrap(), Some(7));
    }

    #[test]
    fn one_producer_lock_at_a_time() {
        let store = InMemoryBlobStore::new();
        let held = store.lock_producer().unwrap();
        held.renew().unwrap();
        assert!(matches!(store.lock_producer(), Err(Error::Conflict(_))));
        drop(held);
        store.lock_producer().unwrap();
    }
}

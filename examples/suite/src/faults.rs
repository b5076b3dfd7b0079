//! A blob store that misbehaves on purpose: with probability `rate`, a retrieval fails, is delayed, or
//! hands back a truncated (corrupted) blob, and a publish fails. Every fault is counted, so a run can
//! show the engine met each one with an error and a retry, never with a wrong state.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hollow::store::{
    AnnouncementWatcher, Announcer, Blob, BlobId, BlobPublisher, BlobRetriever, BlobStore, ProducerLock,
};
use hollow::{Error, Result, Version};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Faults injected so far, by kind.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct FaultCounts {
    pub failed_retrievals: u64,
    pub delayed_retrievals: u64,
    pub corrupted_blobs: u64,
    pub failed_publishes: u64,
}

impl FaultCounts {
    pub fn total(&self) -> u64 {
        self.failed_retrievals + self.delayed_retrievals + self.corrupted_blobs + self.failed_publishes
    }
}

pub struct FaultyStore {
    inner: Arc<dyn BlobStore>,
    rate: f64,
    enabled: AtomicBool,
    rng: Mutex<StdRng>,
    failed_retrievals: AtomicU64,
    delayed_retrievals: AtomicU64,
    corrupted_blobs: AtomicU64,
    failed_publishes: AtomicU64,
}

impl FaultyStore {
    /// Faults start disabled: see [`enable`](Self::enable).
    pub fn new(inner: Arc<dyn BlobStore>, rate: f64, seed: u64) -> FaultyStore {
        FaultyStore {
            inner,
            rate,
            enabled: AtomicBool::new(false),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            failed_retrievals: AtomicU64::new(0),
            delayed_retrievals: AtomicU64::new(0),
            corrupted_blobs: AtomicU64::new(0),
            failed_publishes: AtomicU64::new(0),
        }
    }

    pub fn enable(&self, on: bool) {
        self.enabled.store(on, Ordering::Release);
    }

    pub fn counts(&self) -> FaultCounts {
        FaultCounts {
            failed_retrievals: self.failed_retrievals.load(Ordering::Relaxed),
            delayed_retrievals: self.delayed_retrievals.load(Ordering::Relaxed),
            corrupted_blobs: self.corrupted_blobs.load(Ordering::Relaxed),
            failed_publishes: self.failed_publishes.load(Ordering::Relaxed),
        }
    }

    /// A number in [0, 1) when faults are on, else `None`.
    fn roll(&self) -> Option<f64> {
        self.enabled.load(Ordering::Acquire).then(|| self.rng.lock().unwrap_or_else(|e| e.into_inner()).random())
    }

    /// Retrieve through `get`, maybe failing, delaying or truncating the blob.
    fn retrieve(&self, what: &str, get: impl FnOnce() -> Result<Option<Blob>>) -> Result<Option<Blob>> {
        let Some(roll) = self.roll().filter(|r| *r < self.rate) else { return get() };
        let third = self.rate / 3.0;
        if roll < third {
            self.failed_retrievals.fetch_add(1, Ordering::Relaxed);
            let e = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected fault");
            return Err(Error::io(format!("retrieving {what}"), e));
        }
        if roll < 2.0 * third {
            self.delayed_retrievals.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(5));
            return get();
        }
        let Some(mut blob) = get()? else { return Ok(None) };
        self.corrupted_blobs.fetch_add(1, Ordering::Relaxed);
        // A download cut short: the first part of the bytes only.
        let keep = blob.data.len() * 2 / 3;
        blob.data = blob.data[..keep].into();
        Ok(Some(blob))
    }
}

impl BlobRetriever for FaultyStore {
    fn retrieve_snapshot(&self, desired: Version) -> Result<Option<Blob>> {
        self.retrieve("a snapshot", || self.inner.retrieve_snapshot(desired))
    }
    fn retrieve_delta(&self, from: Version) -> Result<Option<Blob>> {
        self.retrieve("a delta", || self.inner.retrieve_delta(from))
    }
    fn retrieve_reverse_delta(&self, from: Version) -> Result<Option<Blob>> {
        self.retrieve("a reverse delta", || self.inner.retrieve_reverse_delta(from))
    }
    fn retrieve_header(&self, version: Version) -> Result<Option<Blob>> {
        self.inner.retrieve_header(version)
    }
}

impl BlobPublisher for FaultyStore {
    fn publish(&self, blob: &Blob) -> Result<()> {
        if self.roll().is_some_and(|r| r < self.rate / 2.0) {
            self.failed_publishes.fetch_add(1, Ordering::Relaxed);
            let e = std::io::Error::new(std::io::ErrorKind::TimedOut, "injected fault");
            return Err(Error::io(format!("publishing {}", blob.file_name()), e));
        }
        self.inner.publish(blob)
    }
    fn delete(&self, id: &BlobId) -> Result<()> {
        self.inner.delete(id)
    }
    fn list(&self) -> Result<Vec<BlobId>> {
        self.inner.list()
    }
    fn lock_producer(&self) -> Result<Box<dyn ProducerLock>> {
        self.inner.lock_producer()
    }
}

impl Announcer for FaultyStore {
    fn announced_version(&self) -> Result<Option<Version>> {
        self.inner.announced_version()
    }
    fn announce(&self, version: Version, expected: Option<Version>) -> Result<()> {
        self.inner.announce(version, expected)
    }
}

impl AnnouncementWatcher for FaultyStore {
    fn latest_version(&self) -> Result<Option<Version>> {
        self.inner.latest_version()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_is_counted_and_a_corrupted_blob_is_shorter() {
        let inner = Arc::new(hollow::InMemoryBlobStore::new());
        inner.publish(&Blob::snapshot(7, vec![1u8; 300])).unwrap();
        let store = FaultyStore::new(inner, 1.0, 3);
        // Off: nothing is touched.
        assert_eq!(store.retrieve_snapshot(7).unwrap().unwrap().data.len(), 300);
        assert_eq!(store.counts().total(), 0);
        store.enable(true);
        let (mut errors, mut short, mut whole) = (0, 0, 0);
        for _ in 0..60 {
            match store.retrieve_snapshot(7) {
                Err(e) => errors += u64::from(e.to_string().contains("injected fault")),
                Ok(Some(blob)) if blob.data.len() == 200 => short += 1,
                Ok(Some(blob)) if blob.data.len() == 300 => whole += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        let counts = store.counts();
        assert_eq!(counts.total(), 60);
        assert_eq!(
            (counts.failed_retrievals, counts.corrupted_blobs, counts.delayed_retrievals),
            (errors, short, whole)
        );
        assert!(errors > 0 && short > 0 && whole > 0, "{counts:?}");
        // Publishing fails at half the rate; a failed publish stores nothing.
        let failed = (0..40).filter(|v| store.publish(&Blob::snapshot(100 + v, vec![0u8; 8])).is_err()).count();
        assert_eq!(failed as u64, store.counts().failed_publishes);
        assert!((5..=35).contains(&failed), "{failed} of 40 publishes failed");
        assert_eq!(store.list().unwrap().len(), 1 + 40 - failed);
    }
}

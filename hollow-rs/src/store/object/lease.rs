//! The producer lock of an object store: a lease object, `producer.lock`, holding JSON
//! `{"owner", "host", "pid", "expires_at_ms"}`.
//!
//! Invariant: at most one live (unexpired) lease exists, and only its owner extends it. Every change is
//! a conditional write: taking a free lock is `PutMode::Create`, taking over an expired one and renewing
//! are `PutMode::Update` on the ETag just read (or last written), so of two producers racing for the same
//! state exactly one write succeeds and the other gets Conflict.
//!
//! What a lease cannot exclude (the residual window): a producer paused (GC, VM stall, network partition)
//! past its lease's expiry may still be about to write a blob or an announcement it decided on before the
//! pause, while another producer has taken the lease over. Blobs are create-if-absent and the announcement
//! is a compare-and-swap, so such a late write can fail or land a blob nobody follows, but it cannot
//! overwrite a version or announce over the new producer's version. A producer should [`renew`] before each
//! cycle's announcement and keep its cycles well under the TTL. Expiry is judged on the taker's clock, so
//! clocks must agree to well within the TTL.
//!
//! [`renew`]: crate::store::ProducerLock::renew

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use object_store::{Attributes, PutMode, PutPayload, UpdateVersion};
use serde::{Deserialize, Serialize};

use super::{is_precondition, layout, os_error, random_u64, Inner};
use crate::error::{Error, Result};
use crate::store::ProducerLock;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct LeaseRecord {
    owner: String,
    host: String,
    pid: u32,
    expires_at_ms: u64,
}

impl LeaseRecord {
    fn holder(&self) -> String {
        format!("{} (host {}, pid {})", self.owner, self.host, self.pid)
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

async fn read(inner: &Inner) -> Result<Option<(LeaseRecord, UpdateVersion)>> {
    let Some((data, _, meta)) = inner.read_object(layout::PRODUCER_LOCK).await? else { return Ok(None) };
    let record: LeaseRecord = serde_json::from_slice(&data).map_err(|e| {
        Error::InvalidArgument(format!("{} is not a producer lease: {e}", inner.display(layout::PRODUCER_LOCK)))
    })?;
    Ok(Some((record, UpdateVersion { e_tag: meta.e_tag, version: meta.version })))
}

/// A held producer lease; dropping it deletes the lease if it is still ours.
pub(crate) struct ObjectLease {
    inner: Arc<Inner>,
    owner: String,
    /// The version of the lease object we last wrote.
    written: Mutex<UpdateVersion>,
}

impl std::fmt::Debug for ObjectLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectLease").field("store", &self.inner.url).field("owner", &self.owner).finish()
    }
}

impl ObjectLease {
    fn record(&self) -> LeaseRecord {
        LeaseRecord {
            owner: self.owner.clone(),
            host: host_name(),
            pid: std::process::id(),
            expires_at_ms: now_ms() + self.inner.lease_ttl.as_millis() as u64,
        }
    }

    fn payload(record: &LeaseRecord) -> PutPayload {
        PutPayload::from(serde_json::to_vec(record).unwrap_or_default())
    }

    /// Take the lease. Runs on the store's runtime, so it builds no `ObjectLease` until it has won: a
    /// lease dropped there would block a runtime worker on its own release.
    pub(super) async fn acquire(inner: Arc<Inner>) -> Result<ObjectLease> {
        let owner = format!("{:016x}{:016x}", random_u64(), random_u64());
        let current = read(&inner).await?;
        let mode = match &current {
            None => PutMode::Create,
            Some((held, _)) if held.expires_at_ms > now_ms() => {
                return Err(Error::Conflict(format!(
                    "another producer holds the producer lock on {}: {} for {} ms more",
                    inner.url,
                    held.holder(),
                    held.expires_at_ms - now_ms()
                )))
            }
            // Expired: take it over, but only from the state we just read.
            Some((_, version)) => PutMode::Update(version.clone()),
        };
        let record = LeaseRecord {
            owner: owner.clone(),
            host: host_name(),
            pid: std::process::id(),
            expires_at_ms: now_ms() + inner.lease_ttl.as_millis() as u64,
        };
        match inner.put(layout::PRODUCER_LOCK, Self::payload(&record), mode, Attributes::new()).await {
            Ok(written) => Ok(ObjectLease { inner, owner, written: Mutex::new(written) }),
            Err(e) if is_precondition(&e) => {
                let holder = read(&inner).await?.map_or("another producer".to_owned(), |(r, _)| r.holder());
                Err(Error::Conflict(format!("another producer just took the producer lock on {}: {holder}", inner.url)))
            }
            Err(e) => Err(os_error(&format!("writing {}", inner.display(layout::PRODUCER_LOCK)), e)),
        }
    }
}

impl ProducerLock for ObjectLease {
    fn renew(&self) -> Result<()> {
        let record = self.record();
        let current = self.written.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let inner = self.inner.clone();
        let written = super::runtime::block_on(async move {
            match inner
                .put(layout::PRODUCER_LOCK, ObjectLease::payload(&record), PutMode::Update(current), Attributes::new())
                .await
            {
                Ok(v) => Ok(v),
                Err(e) if is_precondition(&e) => {
                    let holder = read(&inner).await?.map_or("nobody (it was released)".to_owned(), |(r, _)| r.holder());
                    Err(Error::Conflict(format!(
                        "another producer took over the producer lock on {}: {holder}",
                        inner.url
                    )))
                }
                Err(e) => Err(os_error(&format!("renewing {}", inner.display(layout::PRODUCER_LOCK)), e)),
            }
        })?;
        *self.written.lock().unwrap_or_else(|e| e.into_inner()) = written;
        Ok(())
    }
}

impl Drop for ObjectLease {
    fn drop(&mut self) {
        if self.owner.is_empty() {
            return;
        }
        let inner = self.inner.clone();
        let owner = std::mem::take(&mut self.owner);
        // Best effort: object stores have no delete-if-match, so between reading "ours" and deleting, a
        // producer could take over an expired lease and lose it here; it then fails its next renew.
        let _ = super::runtime::block_on(async move {
            if let Some((record, _)) = read(&inner).await? {
                if record.owner == owner {
                    inner.delete(layout::PRODUCER_LOCK).await?;
                }
            }
            Ok(())
        });
    }
}

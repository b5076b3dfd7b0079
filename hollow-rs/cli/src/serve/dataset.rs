//! The versions the server can show: the one the followed consumer holds, and older (or pinned)
//! versions built on request.
//!
//! The followed consumer is never pinned or moved back: viewing version `V` builds a second read state
//! for `V` with a consumer of its own (snapshot at or below `V`, then deltas, as the planner chooses),
//! so every other reader keeps following the announced version. The last [`OTHER_STATES_KEPT`] such
//! states are kept, so paging through an old version does not load it again; builds are serialized,
//! so many requests for old versions cost one build at a time, not memory for all of them at once.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hollow::consumer::Consumer;
use hollow::mapped::MappingMode;
use hollow::store::{BlobStore, BlobType};
use hollow::ReadState;

use super::error::{ApiError, ApiResult};

/// How many read states of versions other than the followed one are kept.
pub const OTHER_STATES_KEPT: usize = 4;

/// How long a listing of the store's versions and its announced version is reused: every page and
/// every open tab's poll asks for them, and on an object store each asking is a LIST and a GET.
pub const LISTING_TTL: Duration = Duration::from_secs(2);

/// The store's announced version and versions, as listed at some instant.
#[derive(Clone)]
struct Listing {
    at: Instant,
    announced: Option<i64>,
    versions: Vec<i64>,
}

pub struct Dataset {
    /// The store as named on the command line (shown in pages).
    pub name: String,
    store: Arc<dyn BlobStore>,
    /// How every consumer of the store here loads snapshots.
    mapping: MappingMode,
    /// Follows the announced version (subscribed by the caller).
    pub consumer: Consumer,
    /// Recently built states of other versions, most recent last.
    others: Mutex<VecDeque<Arc<ReadState>>>,
    /// Held while building a state of another version.
    building: Mutex<()>,
    /// The last listing of the store, reused for [`LISTING_TTL`].
    listing: Mutex<Option<Listing>>,
}

impl Dataset {
    pub fn new(name: &str, store: Arc<dyn BlobStore>, mapping: MappingMode) -> Self {
        let consumer = Consumer::builder(store.clone())
            .with_announcement_watcher(store.clone())
            .with_memory_mapping(mapping)
            .build();
        Dataset {
            name: name.to_owned(),
            store,
            mapping,
            consumer,
            others: Mutex::new(VecDeque::new()),
            building: Mutex::new(()),
            listing: Mutex::new(None),
        }
    }

    /// A consumer of the same store that follows nothing: for walking versions on the side.
    pub fn side_consumer(&self) -> Consumer {
        Consumer::builder(self.store.clone()).with_memory_mapping(self.mapping).build()
    }

    /// The state the followed consumer holds.
    pub fn current(&self) -> ApiResult<Arc<ReadState>> {
        self.consumer.read_state().ok_or_else(|| {
            ApiError::unavailable(format!(
                "no version of {} is loaded yet: nothing announced, or loading it failed",
                self.name
            ))
        })
    }

    /// The announced version, as the store said at most [`LISTING_TTL`] ago.
    pub fn announced(&self) -> ApiResult<Option<i64>> {
        Ok(self.listing()?.announced)
    }

    /// Every version the store has a blob leading to, ascending, as listed at most [`LISTING_TTL`] ago.
    pub fn versions(&self) -> ApiResult<Vec<i64>> {
        Ok(self.listing()?.versions)
    }

    fn listing(&self) -> ApiResult<Listing> {
        self.list(false)
    }

    /// The listing, taken again when `fresh` or older than [`LISTING_TTL`].
    fn list(&self, fresh: bool) -> ApiResult<Listing> {
        let mut kept = self.listing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(listing) = kept.as_ref().filter(|l| !fresh && l.at.elapsed() < LISTING_TTL) {
            return Ok(listing.clone());
        }
        let announced = self.store.latest_version()?;
        let mut versions: Vec<i64> =
            self.store.list()?.into_iter().filter(|b| b.blob_type != BlobType::Header).map(|b| b.to_version).collect();
        versions.sort_unstable();
        versions.dedup();
        let listing = Listing { at: Instant::now(), announced, versions };
        *kept = Some(listing.clone());
        Ok(listing)
    }

    /// The retained version just before `version`, if any.
    pub fn version_before(&self, version: i64) -> ApiResult<Option<i64>> {
        Ok(self.versions()?.into_iter().rev().find(|&v| v < version))
    }

    /// The state at `version`, or the followed one for `None`. Blocks while building.
    pub fn at(&self, version: Option<i64>) -> ApiResult<Arc<ReadState>> {
        let current = self.current();
        let Some(version) = version else { return current };
        if let Some(state) = current.ok().filter(|s| s.version() == version) {
            return Ok(state);
        }
        if let Some(state) = self.kept(version) {
            return Ok(state);
        }
        // A version published since the last listing is not a reason to say no: list again first.
        let mut versions = self.versions()?;
        if !versions.contains(&version) {
            versions = self.list(true)?.versions;
        }
        if !versions.contains(&version) {
            return Err(ApiError::not_found(format!(
                "version {version} is not in the store (versions: {})",
                versions.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            )));
        }
        let _building = self.building.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(state) = self.kept(version) {
            return Ok(state);
        }
        let consumer = self.side_consumer();
        consumer.refresh_to(version)?;
        let state = consumer.read_state().ok_or_else(|| ApiError::not_found(format!("version {version}")))?;
        let mut others = self.others.lock().unwrap_or_else(|e| e.into_inner());
        if others.len() == OTHER_STATES_KEPT {
            others.pop_front();
        }
        others.push_back(state.clone());
        metrics::counter!("hollow_serve_states_built_total").increment(1);
        Ok(state)
    }

    fn kept(&self, version: i64) -> Option<Arc<ReadState>> {
        let mut others = self.others.lock().unwrap_or_else(|e| e.into_inner());
        let at = others.iter().position(|s| s.version() == version)?;
        let state = others.remove(at)?;
        others.push_back(state.clone());
        Some(state)
    }
}

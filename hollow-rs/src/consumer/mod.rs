//! The consumer: follows the announced version and serves lock-free reads.
//!
//! A [`Consumer`] holds the current [`ReadState`] in an `ArcSwap`. Readers call
//! [`Consumer::read_state`] and get an `Arc` that pins one version for as long as they hold it; they
//! never take a lock and never see a half-applied state. A refresh plans the blobs to apply
//! ([`planner`]), builds the new state off to the side (applying a delta never modifies the old
//! state), and swaps it in only when every blob applied. A failed refresh leaves the last good version
//! in place, reports the error, and makes the next refresh start from a fresh snapshot.

pub mod planner;
pub(crate) mod read_state;
mod typed;

pub use read_state::{IndexSpec, ReadState, STRING_TYPE};
pub use typed::{Records, TypedIndex};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;

use crate::error::{Error, ErrorKind, Result};
use crate::mapped::MappingMode;
use crate::memory::BlobBuffer;
use crate::read::{Follower, ReadStateEngine};
use crate::store::{AnnouncementWatcher, BlobRetriever, BlobType, Version};
use crate::telemetry::{ConsumerTelemetry, DEFAULT_DATASET};
use planner::{Planner, UpdatePlan};

/// Hears about refreshes. Every method has an empty default.
pub trait RefreshListener: Send + Sync {
    /// A refresh from `from` to `to` started.
    fn refresh_started(&self, from: Option<Version>, to: Version) {
        let _ = (from, to);
    }
    /// A blob was applied while building the new state (not yet visible to readers).
    fn blob_applied(&self, blob_type: BlobType, to: Version) {
        let _ = (blob_type, to);
    }
    /// The new state is visible to readers.
    fn refresh_succeeded(&self, from: Option<Version>, to: Version) {
        let _ = (from, to);
    }
    /// The refresh failed; readers still see `from`.
    fn refresh_failed(&self, from: Option<Version>, to: Version, error: &Error) {
        let _ = (from, to, error);
    }
}

/// Counters about a consumer's refreshes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumerMetrics {
    /// Refreshes that changed the state.
    pub refreshes_succeeded: u64,
    /// Refreshes that failed.
    pub refreshes_failed: u64,
    /// Failures since the last success.
    pub consecutive_failures: u64,
    /// Snapshots loaded.
    pub snapshots_applied: u64,
    /// Deltas and reverse deltas applied.
    pub deltas_applied: u64,
    /// Bytes of blobs applied.
    pub bytes_applied: u64,
    /// Duration of the last successful refresh.
    pub last_refresh_duration: Duration,
    /// Failures to read the announced version in the background loop ([`Consumer::subscribe`]).
    pub watch_failures: u64,
    /// Indexes that could not be rebuilt on a new state although their type is in it (the index is
    /// then built, and fails again, on first use). An index over a type the state lacks is not counted.
    pub index_build_failures: u64,
}

struct RefreshState {
    force_snapshot: bool,
    metrics: ConsumerMetrics,
}

struct Inner {
    retriever: Arc<dyn BlobRetriever>,
    watcher: Option<Arc<dyn AnnouncementWatcher>>,
    listeners: Vec<Arc<dyn RefreshListener>>,
    planner: Planner,
    declared_indexes: Vec<IndexSpec>,
    mapping: MappingMode,
    telemetry: ConsumerTelemetry,
    pinned: Mutex<Option<Version>>,
    current: ArcSwapOption<ReadState>,
    /// Serializes refreshes; readers never touch it.
    refresh: Mutex<RefreshState>,
}

/// Follows a blob store and serves the current version. Clones share one consumer.
#[derive(Clone)]
pub struct Consumer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer").field("current_version", &self.current_version()).finish()
    }
}

/// Builds a [`Consumer`].
pub struct ConsumerBuilder {
    retriever: Arc<dyn BlobRetriever>,
    watcher: Option<Arc<dyn AnnouncementWatcher>>,
    listeners: Vec<Arc<dyn RefreshListener>>,
    planner: Planner,
    declared_indexes: Vec<IndexSpec>,
    name: String,
    mapping: MappingMode,
}

impl ConsumerBuilder {
    /// Name the dataset this consumer follows, for the `dataset` label of its metrics and the field of
    /// its log records (see [`telemetry`](crate::telemetry)); `"default"` unless set.
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// Keep a primary-key index of `type_name` (on its schema's primary key) in every state, built
    /// before the state becomes visible.
    pub fn with_primary_key_index(mut self, type_name: &str) -> Self {
        self.declared_indexes.push(IndexSpec::PrimaryKey { type_name: type_name.into(), fields: Vec::new() });
        self
    }

    /// Keep a hash index of `type_name` on `fields` in every state, built before the state becomes
    /// visible.
    pub fn with_hash_index(mut self, type_name: &str, fields: &[&str]) -> Self {
        let fields = fields.iter().map(|f| (*f).to_owned()).collect();
        self.declared_indexes.push(IndexSpec::Hash { type_name: type_name.into(), fields });
        self
    }

    /// Announcements come from `watcher`; without one, only [`Consumer::refresh_to`] works.
    pub fn with_announcement_watcher(mut self, watcher: Arc<dyn AnnouncementWatcher>) -> Self {
        self.watcher = Some(watcher);
        self
    }

    /// Add a refresh listener.
    pub fn with_refresh_listener(mut self, listener: Arc<dyn RefreshListener>) -> Self {
        self.listeners.push(listener);
        self
    }

    /// Most deltas to follow before loading a snapshot instead (default 32, as Java).
    pub fn with_max_deltas_before_double_snapshot(mut self, n: usize) -> Self {
        self.planner.max_deltas_before_double_snapshot = n.max(1);
        self
    }

    /// Whether a fresh snapshot may replace the state when deltas cannot reach the target (default true).
    pub fn with_double_snapshot(mut self, allow: bool) -> Self {
        self.planner.allow_double_snapshot = allow;
        self
    }

    /// How snapshots are loaded: [`MappingMode::Copy`] (the default) reads them into the heap;
    /// [`MappingMode::Shared`] maps the snapshot file and reads its records in place, when the
    /// retriever has the snapshot in a local file ([`BlobRetriever::local_file`]: the filesystem store,
    /// the object store with a `cache_dir`), and reads it into the heap otherwise. Deltas always build
    /// heap shards for what they change and keep the rest mapped. See [`crate::mapped`] for what a
    /// mapped file must not undergo.
    pub fn with_memory_mapping(mut self, mode: MappingMode) -> Self {
        self.mapping = mode;
        self
    }

    /// The consumer. It holds no state until the first refresh.
    pub fn build(self) -> Consumer {
        Consumer {
            inner: Arc::new(Inner {
                retriever: self.retriever,
                watcher: self.watcher,
                listeners: self.listeners,
                planner: self.planner,
                declared_indexes: self.declared_indexes,
                mapping: self.mapping,
                telemetry: ConsumerTelemetry { dataset: self.name },
                pinned: Mutex::new(None),
                current: ArcSwapOption::empty(),
                refresh: Mutex::new(RefreshState { force_snapshot: false, metrics: ConsumerMetrics::default() }),
            }),
        }
    }
}

impl Consumer {
    /// Start building a consumer that reads blobs from `retriever`.
    pub fn builder(retriever: Arc<dyn BlobRetriever>) -> ConsumerBuilder {
        ConsumerBuilder {
            retriever,
            watcher: None,
            listeners: Vec::new(),
            planner: Planner::default(),
            declared_indexes: Vec::new(),
            name: DEFAULT_DATASET.to_owned(),
            mapping: MappingMode::Copy,
        }
    }

    /// The current state, if any: a cheap handle that pins one version. Never blocks.
    pub fn read_state(&self) -> Option<Arc<ReadState>> {
        self.inner.current.load_full()
    }

    /// The current version, if any.
    pub fn current_version(&self) -> Option<Version> {
        self.inner.current.load().as_ref().map(|s| s.version())
    }

    /// Counters about refreshes so far.
    pub fn metrics(&self) -> ConsumerMetrics {
        self.lock_refresh().metrics.clone()
    }

    fn lock_refresh(&self) -> MutexGuard<'_, RefreshState> {
        // The refresh state is a flag and counters, consistent after any panic.
        self.inner.refresh.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Refresh to the announced version (or the pinned one, see [`pin`](Self::pin)). Returns the
    /// version now held: with nothing announced yet, the current version, if any. A consumer built
    /// without an announcement watcher cannot know what is announced: unless pinned, that is
    /// [`Error::InvalidArgument`] (use [`refresh_to`](Self::refresh_to)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] without an announcement watcher (unless
    /// pinned); otherwise the errors of [`refresh_to`](Self::refresh_to) and of the watcher.
    pub fn refresh(&self) -> Result<Option<Version>> {
        let target = match (self.pinned_version(), &self.inner.watcher) {
            (Some(pinned), _) => Some(pinned),
            (None, Some(w)) => {
                let announced = w.latest_version()?;
                if let Some(v) = announced {
                    self.inner.telemetry.announced(v);
                }
                announced
            }
            (None, None) => {
                return Err(Error::InvalidArgument(
                    "this consumer has no announcement watcher, so it cannot know the announced version: \
                     build it with with_announcement_watcher(store), or call refresh_to(version)"
                        .into(),
                ))
            }
        };
        match target {
            Some(v) => self.refresh_to(v).map(Some),
            None => Ok(self.current_version()),
        }
    }

    /// Hold `version` until [`unpin`](Self::unpin): refresh to it now, and make [`refresh`](Self::refresh)
    /// and the background subscription stay there whatever is announced (Java's pinning, e.g. to
    /// roll consumers back while a bad version is fixed). On failure nothing is pinned.
    ///
    /// # Errors
    ///
    /// The errors of [`refresh_to`](Self::refresh_to); then nothing is pinned.
    pub fn pin(&self, version: Version) -> Result<Version> {
        self.refresh_to(version)?;
        *self.inner.pinned.lock().unwrap_or_else(|e| e.into_inner()) = Some(version);
        Ok(version)
    }

    /// Stop holding a pinned version; the next refresh follows the announcements again.
    pub fn unpin(&self) {
        *self.inner.pinned.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The pinned version, if any.
    pub fn pinned_version(&self) -> Option<Version> {
        *self.inner.pinned.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Refresh to exactly `version` (forward by deltas, back by reverse deltas, or by snapshot), once:
    /// later refreshes follow the announcements again (see [`pin`](Self::pin) to stay).
    /// On any failure the current state stays as it was.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no blobs reach `version`, the retriever's errors
    /// ([`Error::Io`]), [`Error::CorruptBlob`] and
    /// [`Error::IntegrityCheckFailed`] for blobs that do not load or do
    /// not chain, the errors of index updates. The current state is kept.
    pub fn refresh_to(&self, version: Version) -> Result<Version> {
        let mut state = self.lock_refresh();
        let current = self.inner.current.load_full();
        let from = current.as_ref().map(|s| s.version());
        if from == Some(version) {
            return Ok(version);
        }
        let started = Instant::now();
        let span = tracing::info_span!(
            target: "hollow::consumer",
            "hollow.consumer.refresh",
            dataset = %self.inner.telemetry.dataset,
            from_version = from,
            to_version = version,
            plan = tracing::field::Empty,
            blobs = tracing::field::Empty,
        );
        let _entered = span.enter();
        for l in &self.inner.listeners {
            l.refresh_started(from, version);
        }
        let result = self.build_state(current.as_deref(), version, state.force_snapshot, &mut state.metrics);
        let took = started.elapsed();
        match result {
            Ok(new_state) => {
                self.inner.telemetry.refresh_succeeded(version, took, new_state.engine());
                tracing::info!(target: "hollow::consumer", from_version = from, version, duration_ms = took.as_secs_f64() * 1e3, "refreshed to version {version}");
                self.inner.current.store(Some(Arc::new(new_state)));
                state.force_snapshot = false;
                state.metrics.refreshes_succeeded += 1;
                state.metrics.consecutive_failures = 0;
                state.metrics.last_refresh_duration = took;
                for l in &self.inner.listeners {
                    l.refresh_succeeded(from, version);
                }
                Ok(version)
            }
            Err(e) => {
                self.inner.telemetry.refresh_failed(took);
                tracing::warn!(target: "hollow::consumer", from_version = from, to_version = version, error = %e, "refresh failed; readers keep the current version");
                state.force_snapshot = self.inner.planner.allow_double_snapshot;
                state.metrics.refreshes_failed += 1;
                state.metrics.consecutive_failures += 1;
                for l in &self.inner.listeners {
                    l.refresh_failed(from, version, &e);
                }
                Err(e)
            }
        }
    }

    /// A snapshot as [`ConsumerBuilder::with_memory_mapping`] says: mapped from the retriever's local
    /// file when there is one, else from the bytes retrieved; and the followers' results on it.
    fn load_snapshot<T: Send>(
        &self,
        blob: &crate::store::Blob,
        followers: &[Follower<'_, T>],
    ) -> Result<(ReadStateEngine, Vec<T>)> {
        if self.inner.mapping == MappingMode::Shared {
            match self.inner.retriever.local_file(&blob.id()) {
                Some(path) => match ReadStateEngine::from_snapshot_file_with(&path, MappingMode::Shared, followers) {
                    // The file vanished or changed since it was retrieved: the bytes in hand are the blob.
                    Err(e) if matches!(e.kind(), ErrorKind::Io | ErrorKind::IntegrityCheckFailed) => {
                        tracing::warn!(target: "hollow::consumer", path = %path.display(), error = %e,
                            "mapping the snapshot failed: loaded into the heap");
                        self.inner.telemetry.mapping_fell_back();
                    }
                    loaded => return loaded,
                },
                None => tracing::debug!(
                    target: "hollow::consumer",
                    version = blob.to_version,
                    "no local file for the snapshot: loaded into the heap"
                ),
            }
        }
        ReadStateEngine::from_snapshot_buffer_with(BlobBuffer::shared(Arc::clone(&blob.data)), followers)
    }

    fn build_state(
        &self,
        current: Option<&ReadState>,
        version: Version,
        force_snapshot: bool,
        metrics: &mut ConsumerMetrics,
    ) -> Result<ReadState> {
        let from = current.map(|s| s.version());
        let plan: UpdatePlan = self.inner.planner.plan(&*self.inner.retriever, from, version, force_snapshot)?;
        let span = tracing::Span::current();
        span.record("plan", plan_kind(&plan));
        span.record("blobs", plan.blobs.len());
        let telemetry = &self.inner.telemetry;
        telemetry.planned(plan.blobs.iter().filter(|b| b.blob_type != BlobType::Header).count());
        let reached = plan.destination(from);
        if reached != Some(version) {
            return Err(Error::NotFound(format!(
                "version {version}: no snapshot or delta path leads there from {}",
                from.map_or("an empty consumer".to_owned(), |v| format!("version {v}"))
            )));
        }
        let mut built: Option<ReadState> = None;
        for blob in &plan.blobs {
            let _apply = tracing::debug_span!(
                target: "hollow::consumer",
                "hollow.consumer.apply_blob",
                kind = crate::telemetry::blob_kind(blob.blob_type),
                version = blob.to_version,
                bytes = blob.data.len(),
            )
            .entered();
            let previous = built.as_ref().or(current);
            let next = match (blob.blob_type, previous) {
                (BlobType::Snapshot, _) => {
                    // Indexes are rebuilt as a snapshot loads (the previous state's and the declared
                    // ones), each as soon as the types its key reads are in...
                    let mut specs = previous.map(ReadState::index_specs).unwrap_or_default();
                    for spec in &self.inner.declared_indexes {
                        if !specs.contains(spec) {
                            specs.push(spec.clone());
                        }
                    }
                    let blob_span = tracing::Span::current();
                    let followers = ReadState::index_followers(&specs, &blob_span);
                    let (engine, built) = self.load_snapshot(blob, &followers).map_err(|e| blob_context(e, blob))?;
                    check_against_header(&*self.inner.retriever, blob.to_version, &engine)?;
                    let mut failed = Vec::new();
                    let declared = &self.inner.declared_indexes;
                    let next = ReadState::with_built_indexes(
                        blob.to_version,
                        engine,
                        &specs,
                        built,
                        &mut |spec, took, built| match built {
                            // A declared index that failed is built again, and reported, once the plan is done.
                            Err(_) if declared.contains(spec) => {}
                            Err(e) => {
                                telemetry.index_updated(spec.type_name(), took);
                                failed.push((spec.clone(), e));
                            }
                            Ok(()) => telemetry.index_updated(spec.type_name(), took),
                        },
                    );
                    for (spec, e) in failed {
                        index_failed(&next, &spec, &e, metrics);
                    }
                    next
                }
                // ...and follow deltas at the cost of the change, beside the delta's other types.
                (BlobType::Delta | BlobType::ReverseDelta, Some(base)) => {
                    let mut failed = Vec::new();
                    let next = base
                        .next_by_delta(blob, &mut |spec, took, carried| {
                            telemetry.index_updated(spec.type_name(), took);
                            if let Err(e) = carried {
                                failed.push((spec.clone(), e));
                            }
                        })
                        .map_err(|e| blob_context(e, blob))?;
                    for (spec, e) in failed {
                        index_failed(&next, &spec, &e, metrics);
                    }
                    next
                }
                (BlobType::Delta | BlobType::ReverseDelta, None) => {
                    return Err(blob_context(
                        Error::InvalidArgument("update plan starts with a delta but there is no state".into()),
                        blob,
                    ));
                }
                (BlobType::Header, _) => continue,
            };
            if blob.blob_type == BlobType::Snapshot {
                metrics.snapshots_applied += 1;
            } else {
                metrics.deltas_applied += 1;
            }
            metrics.bytes_applied += blob.data.len() as u64;
            telemetry.blob_applied(blob.blob_type, blob.data.len());
            for l in &self.inner.listeners {
                l.blob_applied(blob.blob_type, blob.to_version);
            }
            built = Some(next);
        }
        let state = built.ok_or_else(|| Error::NotFound(format!("version {version}: nothing to apply")))?;
        if plan.blobs.last().is_some_and(|b| b.blob_type != BlobType::Snapshot) {
            check_against_header(&*self.inner.retriever, version, state.engine())?;
        }
        let _span = tracing::debug_span!(target: "hollow::consumer", "hollow.consumer.update_indexes").entered();
        // A declared index over a type this version lacks is built when the type appears.
        ensure_indexes(&state, &self.inner.declared_indexes, metrics, telemetry);
        Ok(state)
    }

    /// Refresh whenever the watcher announces a new version, on a background thread, until the returned
    /// handle is stopped or dropped. Refresh errors are reported to the refresh listeners.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the consumer has no announcement
    /// watcher, [`Error::Io`] when the background thread cannot be started.
    pub fn subscribe(&self) -> Result<Subscription> {
        let watcher = self
            .inner
            .watcher
            .clone()
            .ok_or_else(|| Error::InvalidArgument("subscribe needs an announcement watcher".into()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let consumer = self.clone();
        let stop_flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("hollow-consumer-refresh".into())
            .spawn(move || {
                let mut seen = None;
                let mut backoff = Duration::ZERO;
                while !stop_flag.load(Ordering::Acquire) {
                    if !backoff.is_zero() {
                        sleep_unless_stopped(&stop_flag, backoff);
                    }
                    let announced = match watcher.wait_for_change(seen, Duration::from_millis(100)) {
                        Ok(v) => {
                            if let Some(v) = v.filter(|&v| Some(v) != seen) {
                                consumer.inner.telemetry.announced(v);
                            }
                            v
                        }
                        Err(e) => {
                            tracing::warn!(target: "hollow::consumer", error = %e, "reading the announced version failed; retrying");
                            consumer.lock_refresh().metrics.watch_failures += 1;
                            backoff = (backoff * 2).clamp(Duration::from_millis(100), Duration::from_secs(10));
                            continue;
                        }
                    };
                    // A pin wins over announcements; it is checked at least every 100 ms.
                    match consumer.pinned_version().or(announced) {
                        Some(v) if Some(v) != consumer.current_version() => {
                            // A failed refresh (already reported to listeners) is retried with backoff.
                            if consumer.refresh_to(v).is_ok() {
                                seen = announced;
                                backoff = Duration::ZERO;
                            } else {
                                backoff = (backoff * 2).clamp(Duration::from_millis(100), Duration::from_secs(10));
                            }
                        }
                        _ => seen = announced,
                    }
                }
            })
            .map_err(|e| Error::io("starting the refresh thread", e))?;
        Ok(Subscription { stop, thread: Some(thread) })
    }
}

fn sleep_unless_stopped(stop: &AtomicBool, total: Duration) {
    let deadline = Instant::now() + total;
    while !stop.load(Ordering::Acquire) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
    }
}

/// Check a state against the header blob of its version, where the store has one: the header names the
/// state the version was published as (its randomized tag), so a snapshot or delta chain that leads
/// elsewhere (a blob left by a failed cycle, say) is refused before anyone reads it.
fn check_against_header(retriever: &dyn BlobRetriever, version: Version, state: &ReadStateEngine) -> Result<()> {
    let Some(header) = retriever.retrieve_header(version)? else { return Ok(()) };
    let mut reader = crate::encoding::reader::ByteReader::new(&header.data);
    let expected = crate::blob::BlobHeader::read(&mut reader).map_err(|e| blob_context(e, &header))?.destination_tag;
    if expected == state.randomized_tag() {
        return Ok(());
    }
    Err(Error::corrupt(
        format!(
            "the blobs leading to version {version} make state {:#018x}, but header-{version} names state {expected:#018x}",
            state.randomized_tag()
        ),
        0,
    ))
}

/// Load `version` from scratch (its nearest snapshot at or below, then deltas), checked as a consumer
/// checks it. For [`Producer::restore`](crate::producer::Producer::restore).
pub(crate) fn load_version(retriever: &dyn BlobRetriever, version: Version) -> Result<ReadStateEngine> {
    let plan = Planner::default().plan(retriever, None, version, false)?;
    if plan.destination(None) != Some(version) {
        return Err(Error::NotFound(format!("version {version}: no snapshot and deltas lead to it")));
    }
    let mut state: Option<ReadStateEngine> = None;
    for blob in &plan.blobs {
        let next = match (blob.blob_type, &state) {
            (BlobType::Snapshot, _) => ReadStateEngine::from_snapshot_owned(Arc::clone(&blob.data)),
            (BlobType::Header, _) => continue,
            (BlobType::ReverseDelta, Some(s)) => s.apply_reverse_delta(&blob.data),
            (_, Some(s)) => s.apply_delta(&blob.data),
            (_, None) => return Err(Error::NotFound(format!("version {version}: no snapshot to start from"))),
        }
        .map_err(|e| blob_context(e, blob))?;
        if blob.blob_type == BlobType::Snapshot {
            check_against_header(retriever, blob.to_version, &next)?;
        }
        state = Some(next);
    }
    let state = state.ok_or_else(|| Error::NotFound(format!("version {version}: nothing to restore")))?;
    check_against_header(retriever, version, &state)?;
    Ok(state)
}

/// Build the indexes `specs` that `state` lacks, side by side, counting each failure unless the
/// index's type is simply absent.
fn ensure_indexes(
    state: &ReadState,
    specs: &[IndexSpec],
    metrics: &mut ConsumerMetrics,
    telemetry: &ConsumerTelemetry,
) {
    if specs.is_empty() {
        return;
    }
    // Only the indexes built now: those already present were reported when they were built or moved.
    for (spec, (built, took)) in specs.iter().zip(state.ensure_indexes(specs)).filter_map(|(s, r)| Some((s, r?))) {
        telemetry.index_updated(spec.type_name(), took);
        if let Err(e) = built {
            index_failed(state, spec, &e, metrics);
        }
    }
}

/// An index `state` could not have: logged and counted, unless its type is simply absent (it is
/// built when the type appears).
fn index_failed(state: &ReadState, spec: &IndexSpec, e: &Error, metrics: &mut ConsumerMetrics) {
    if state.engine().type_state(spec.type_name()).is_some() {
        tracing::warn!(target: "hollow::consumer", index = ?spec, error = %e, "building an index failed; it is retried on first use");
        metrics.index_build_failures += 1;
    }
}

/// The `plan` field of a refresh span.
fn plan_kind(plan: &UpdatePlan) -> &'static str {
    match plan.blobs.first().map(|b| b.blob_type) {
        None => "none",
        Some(BlobType::Snapshot) => "snapshot",
        Some(BlobType::ReverseDelta) => "reverse_deltas",
        Some(_) => "deltas",
    }
}

fn blob_context(e: Error, blob: &crate::store::Blob) -> Error {
    match e {
        Error::CorruptBlob { message, position } => {
            Error::CorruptBlob { message: format!("{}: {message}", blob.file_name()), position }
        }
        other => other,
    }
}

/// A background refresh loop started by [`Consumer::subscribe`]. Dropping it stops the loop.
#[derive(Debug)]
pub struct Subscription {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Subscription {
    /// Stop the loop and wait for it to finish.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.shutdown();
    }
}

//! The producer: runs cycles that turn a full set of records into a new published version.
//!
//! [`Producer::run_cycle`] does what Java's `HollowProducer.runCycle` does:
//!
//! 1. mint a version and start a cycle in the write engine;
//! 2. **populate**: the caller adds every record of the new state to a [`WriteState`];
//! 3. if nothing changed, stop: nothing is published and the current version is returned;
//! 4. **publish** the header blob, the delta and reverse delta from the current version, and a snapshot
//!    (every cycle, or every `num_states_between_snapshots + 1` cycles);
//! 5. **integrity check**: read the new snapshot back, apply the delta to the current state and the
//!    reverse delta to the result, and compare `HollowChecksum`s, so a blob that would not reproduce the
//!    state is never announced;
//! 6. **validate** the new state with every [`Validator`];
//! 7. **announce** the version.
//!
//! A failure at any step announces nothing, removes the blobs the cycle published, and rolls the write
//! engine back to the last announced state, so the next cycle starts from there and its delta follows
//! the chain consumers are on.
//!
//! [`Producer::run_incremental_cycle`] (and [`Producer::apply_change_set`]) is the same cycle with
//! another populate step: instead of adding every record, the caller upserts and deletes records by
//! primary key ([`IncrementalChanges`]); the state is the last announced (or restored) one with those
//! changes, replaced and deleted records leaving with the records only they referenced (Java's
//! `HollowProducer.Incremental`). Both kinds of cycle go through one cycle runner, so steps 1 and 3-7,
//! the rollback, and everything below apply to both, and they can be mixed freely.
//!
//! # The publishing protocol
//!
//! What keeps "a version names one state, forever" true whatever crashes or rival producers do:
//!
//! * **One producer per store.** The first cycle (or restore) takes the store's producer lock
//!   ([`BlobPublisher::lock_producer`]) and holds it for the producer's life; a second producer's cycles
//!   fail with [`Error::Conflict`]. The lock is confirmed ([`ProducerLock::renew`]) at every cycle.
//! * **Recovery.** With the lock held, the producer reads the announced version `A` and removes every
//!   blob above it: what a crashed producer published but never announced. Nothing else can be writing
//!   above `A`, so this is safe, and afterwards no blob names a version that was not announced.
//! * **Versions are never reused.** The minter is told the announced version and every version with a
//!   blob in the store, and mints above them; blobs are created only if absent, so a collision fails
//!   the cycle instead of overwriting a blob.
//! * **Announcement is a compare-and-swap** on the version this producer last saw announced: a rival
//!   that announced in between makes the cycle fail with "another producer announced version X".
//! * **A failed cycle leaves nothing behind**: its blobs are deleted before the error is returned (and
//!   should that fail too, the next start's recovery removes them), and the snapshot countdown only
//!   advances when a version is announced.
//!
//! After a restart, [`Producer::restore_announced`] (or [`Producer::restore`] with an announced version)
//! loads the announced version from the blob store and the producer carries on from it: its next delta
//! starts at that version, so consumers keep following with deltas, and records that did not change keep
//! their ordinals.

mod incremental;
pub mod validators;
pub mod version;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::blob::{
    TAG_CYCLE_START, TAG_DELTA_CHAIN_VERSION_COUNTER, TAG_PARTITIONED_ORDINAL_MAP, TAG_SCHEMA_HASH, TAG_TO_VERSION,
};
use crate::consumer::ReadState;
use crate::error::{panic_message, Error, Result};
use crate::mapper::{Mappable, ObjectMapper};
use crate::read::ReadStateEngine;
use crate::schema::{FieldType, ObjectField, ObjectSchema, Schema, STRING_TYPE};
use crate::store::retention::{CleanupReport, RetentionPolicy};
use crate::store::{Announcer, Blob, BlobId, BlobPublisher, BlobRetriever, ProducerLock, Version};
use crate::telemetry::{CycleResult, Phase, ProducerTelemetry, DEFAULT_DATASET};
use crate::tools::checksum::HollowChecksum;
use crate::write::{ListRecord, MapRecord, ObjectRecord, SetRecord, WriteStateEngine};
pub use incremental::{IncrementalChanges, IncrementalStats};
pub use validators::{DuplicateKeyValidator, RecordCountVarianceValidator};
pub use version::{SequenceVersionMinter, TimestampVersionMinter, VersionMinter};

/// Checks a candidate state before it is announced. Returning an error vetoes the cycle.
pub trait Validator: Send + Sync {
    /// A name for messages.
    fn name(&self) -> &str;
    /// Check `state`; an `Err` with a message vetoes the cycle.
    ///
    /// # Errors
    ///
    /// A message saying why `state` is refused; the cycle then fails with
    /// [`Error::ValidationFailed`].
    fn validate(&self, state: &ReadState) -> std::result::Result<(), String>;

    /// Check `candidate` against `previous`, the state consumers are on (`None` for the first
    /// version). The default checks `candidate` alone with [`validate`](Self::validate).
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate).
    fn validate_change(&self, previous: Option<&ReadState>, candidate: &ReadState) -> std::result::Result<(), String> {
        let _ = previous;
        self.validate(candidate)
    }
}

/// Hears about the stages of each cycle. Every method has an empty default.
pub trait ProducerListener: Send + Sync {
    /// A cycle for `version` started.
    fn cycle_started(&self, version: Version) {
        let _ = version;
    }
    /// A blob was published.
    fn blob_published(&self, blob: &Blob) {
        let _ = blob;
    }
    /// `version` was announced.
    fn announced(&self, version: Version) {
        let _ = version;
    }
    /// The cycle found no change; nothing was published.
    fn no_change(&self, version: Version) {
        let _ = version;
    }
    /// Retention ran after an announced cycle (see [`ProducerBuilder::with_retention`]). A failure
    /// does not fail the cycle (its version is announced): it is reported here and counted in
    /// [`Producer::retention_failures`].
    fn retention_completed(&self, result: std::result::Result<&CleanupReport, &Error>) {
        let _ = result;
    }
    /// The cycle ended: `Ok(version)` when a new version was announced (or nothing changed and
    /// `version` is the current one), `Err` when it failed.
    fn cycle_completed(&self, result: std::result::Result<Version, &Error>) {
        let _ = result;
    }
}

/// What one successful cycle produced. Reported to [`MetricsCollector`]s; never for a failed cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleMetrics {
    /// The announced version.
    pub version: Version,
    /// Per type (sorted by name): populated records, shards and memory.
    pub types: Vec<TypeMetrics>,
    /// Size of each blob published, by type.
    pub snapshot_bytes: Option<usize>,
    /// Size of the delta, if one was published.
    pub delta_bytes: Option<usize>,
    /// Size of the reverse delta, if one was published.
    pub reverse_delta_bytes: Option<usize>,
    /// Size of the header blob.
    pub header_bytes: usize,
    /// Time spent in the populate step.
    pub populate_duration: Duration,
    /// Time for the whole cycle.
    pub cycle_duration: Duration,
}

/// Per-type figures of a cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeMetrics {
    /// The type's name.
    pub name: String,
    /// Populated records.
    pub records: usize,
    /// Shards.
    pub num_shards: u32,
    /// Approximate bytes the type's records take in a consumer's memory.
    pub heap_bytes: usize,
}

/// Receives the metrics of every successful cycle.
pub trait MetricsCollector: Send + Sync {
    /// Called after a cycle announced a new version.
    fn collect(&self, metrics: &CycleMetrics);
}

/// The records of the state being built in a cycle. Handed to the populate function.
pub struct WriteState<'a> {
    engine: &'a mut WriteStateEngine,
    mapper: &'a mut ObjectMapper,
    version: Version,
}

impl WriteState<'_> {
    /// The version this cycle will produce.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Add any serde value through the producer's [`ObjectMapper`]: a struct becomes a record of a type
    /// named after it (schemas derived the way Java's `HollowObjectMapper` names them, registered on
    /// first use), a `&str` a `String` record. Returns the ordinal of the top-level record.
    ///
    /// # Errors
    ///
    /// Those of [`ObjectMapper::add`]: a type that cannot be traced, or a value that does not fit its schema.
    pub fn add<T: Mappable + ?Sized>(&mut self, value: &T) -> Result<u32> {
        self.mapper.add(self.engine, value)
    }

    /// Add a JSON value as a record of `type_name`, following the registered schemas (see
    /// [`mapper::from_json`](crate::mapper::from_json)).
    ///
    /// # Errors
    ///
    /// Those of [`ObjectMapper::add_json`]: an unregistered type, or JSON that does not fit its schema.
    pub fn add_json(&mut self, type_name: &str, json: &serde_json::Value) -> Result<u32> {
        self.mapper.add_json(self.engine, type_name, json)
    }

    /// Add a string to the simple string dataset: a record of type `String { string value; }`, as
    /// Java's object mapper writes a `String` added on its own. Registers the type if needed.
    ///
    /// # Errors
    ///
    /// [`Error::SchemaMismatch`] when a `String` type with another schema is
    /// registered.
    pub fn add_string(&mut self, value: &str) -> Result<u32> {
        if self.engine.schema(STRING_TYPE).is_none() {
            let schema = ObjectSchema::new(STRING_TYPE).with_field(ObjectField::new("value", FieldType::String));
            self.engine.add_schema(schema.into())?;
        }
        let mut record = ObjectRecord::new();
        record.set_string(0, value);
        self.engine.add(STRING_TYPE, &record)
    }

    /// Add an OBJECT record to `type_name`; returns its ordinal.
    ///
    /// # Errors
    ///
    /// Those of [`WriteStateEngine::add`]: an unregistered type, a record that does not fit its schema, a
    /// reference to a record not added in this cycle.
    pub fn add_object(&mut self, type_name: &str, record: &ObjectRecord) -> Result<u32> {
        self.engine.add(type_name, record)
    }

    /// Add a LIST record to `type_name`; returns its ordinal.
    ///
    /// # Errors
    ///
    /// As [`add_object`](Self::add_object).
    pub fn add_list(&mut self, type_name: &str, record: &ListRecord) -> Result<u32> {
        self.engine.add(type_name, record)
    }

    /// Add a SET record to `type_name`; returns its ordinal.
    ///
    /// # Errors
    ///
    /// As [`add_object`](Self::add_object).
    pub fn add_set(&mut self, type_name: &str, record: &SetRecord) -> Result<u32> {
        self.engine.add(type_name, record)
    }

    /// Add a MAP record to `type_name`; returns its ordinal.
    ///
    /// # Errors
    ///
    /// As [`add_object`](Self::add_object).
    pub fn add_map(&mut self, type_name: &str, record: &MapRecord) -> Result<u32> {
        self.engine.add(type_name, record)
    }

    /// The write engine, for anything else (registering schemas, raw records).
    pub fn engine(&mut self) -> &mut WriteStateEngine {
        self.engine
    }
}

/// Builds a [`Producer`].
pub struct ProducerBuilder {
    publisher: Arc<dyn BlobPublisher>,
    announcer: Option<Arc<dyn Announcer>>,
    minter: Arc<dyn VersionMinter>,
    listeners: Vec<Arc<dyn ProducerListener>>,
    validators: Vec<Arc<dyn Validator>>,
    metrics: Vec<Arc<dyn MetricsCollector>>,
    schemas: Vec<Schema>,
    num_states_between_snapshots: u32,
    integrity_check: bool,
    target_max_type_shard_size: Option<u64>,
    type_resharding: bool,
    mapper: ObjectMapper,
    retention: Option<RetentionPolicy>,
    duplicate_key_check: bool,
    announcing_chosen: bool,
    name: String,
}

impl ProducerBuilder {
    /// Name the dataset this producer writes, for the `dataset` label of its metrics and the field of
    /// its log records (see [`telemetry`](crate::telemetry)); `"default"` unless set.
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// Do not refuse states in which records share a primary key (the [`DuplicateKeyValidator`], on by
    /// default).
    pub fn without_duplicate_key_check(mut self) -> Self {
        self.duplicate_key_check = false;
        self
    }

    /// After every announced version, remove the blobs `policy` does not keep (see
    /// [`retention`](crate::store::retention)). Needs an announcer: without one nothing is announced.
    pub fn with_retention(mut self, policy: RetentionPolicy) -> Self {
        self.retention = Some(policy);
        self
    }

    /// Use `mapper` (configured with primary keys, inline fields, type names...) for
    /// [`WriteState::add`].
    pub fn with_object_mapper(mut self, mapper: ObjectMapper) -> Self {
        self.mapper = mapper;
        self
    }

    /// Announce versions with `announcer` (usually the store itself). A producer needs one, or an
    /// explicit [`without_announcer`](Self::without_announcer).
    pub fn with_announcer(mut self, announcer: Arc<dyn Announcer>) -> Self {
        self.announcer = Some(announcer);
        self.announcing_chosen = true;
        self
    }

    /// Publish versions without announcing them (consumers then have to be told versions some other
    /// way, with [`Consumer::refresh_to`](crate::consumer::Consumer::refresh_to)). Without an
    /// announcer, nothing tells crash leftovers from versions, so nothing is cleaned on start.
    pub fn without_announcer(mut self) -> Self {
        self.announcer = None;
        self.announcing_chosen = true;
        self
    }

    /// Mint versions with `minter` (default: [`TimestampVersionMinter`]).
    pub fn with_version_minter(mut self, minter: Arc<dyn VersionMinter>) -> Self {
        self.minter = minter;
        self
    }

    /// Add a listener.
    pub fn with_listener(mut self, listener: Arc<dyn ProducerListener>) -> Self {
        self.listeners.push(listener);
        self
    }

    /// Add a validator; any validator can veto a cycle.
    pub fn with_validator(mut self, validator: Arc<dyn Validator>) -> Self {
        self.validators.push(validator);
        self
    }

    /// Add a metrics collector.
    pub fn with_metrics_collector(mut self, collector: Arc<dyn MetricsCollector>) -> Self {
        self.metrics.push(collector);
        self
    }

    /// Register a type's schema up front (types may also be registered from the populate function).
    /// Register referenced types before the types that refer to them.
    pub fn with_schema(mut self, schema: Schema) -> Self {
        self.schemas.push(schema);
        self
    }

    /// Register several schemas, e.g. from [`parse_schemas`](crate::schema::dsl::parse_schemas). They are
    /// registered dependencies first, whatever their order in `schemas`.
    pub fn with_schemas(mut self, schemas: impl IntoIterator<Item = Schema>) -> Self {
        self.schemas.extend(schemas);
        self
    }

    /// Publish a snapshot only every `n + 1` cycles; deltas are published every cycle (default 0: a
    /// snapshot every cycle, as Java).
    pub fn with_num_states_between_snapshots(mut self, n: u32) -> Self {
        self.num_states_between_snapshots = n;
        self
    }

    /// Skip the integrity check (not recommended; required for type resharding).
    pub fn without_integrity_check(mut self) -> Self {
        self.integrity_check = false;
        self
    }

    /// Target maximum size of one shard of a type (default 16 MiB).
    pub fn with_target_max_type_shard_size(mut self, bytes: u64) -> Self {
        self.target_max_type_shard_size = Some(bytes);
        self
    }

    /// Let shard counts change along the delta chain as types grow and shrink.
    pub fn with_type_resharding(mut self, allow: bool) -> Self {
        self.type_resharding = allow;
        self
    }

    /// The producer.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for options that do not go together (type
    /// resharding without the integrity check, retention without an announcer or keeping no snapshot);
    /// [`Error::Schema`] for schemas that do not check (a type defined twice, a key
    /// that does not resolve).
    pub fn build(self) -> Result<Producer> {
        if !self.announcing_chosen {
            return Err(Error::InvalidArgument(
                "the producer has no announcer: its versions would reach no consumer; call with_announcer(store), \
                 or without_announcer() to publish without announcing"
                    .into(),
            ));
        }
        if self.type_resharding && !self.integrity_check {
            return Err(Error::InvalidArgument("type resharding requires the integrity check".into()));
        }
        if let Some(policy) = &self.retention {
            if self.announcer.is_none() {
                return Err(Error::InvalidArgument("retention needs an announcer".into()));
            }
            if policy.keep_snapshots == 0 {
                return Err(Error::InvalidArgument("retention must keep at least one snapshot".into()));
            }
        }
        crate::schema::check_schemas(&self.schemas)?;
        let mut validators = self.validators;
        if self.duplicate_key_check {
            validators.insert(0, Arc::new(DuplicateKeyValidator));
        }
        let mut engine = WriteStateEngine::new();
        for s in crate::schema::order::dependency_order(&self.schemas) {
            engine.add_schema(s.clone())?;
        }
        if let Some(size) = self.target_max_type_shard_size {
            engine.set_target_max_type_shard_size(size);
        }
        engine.set_allow_type_resharding(self.type_resharding);
        Ok(Producer {
            engine,
            publisher: self.publisher,
            announcer: self.announcer,
            minter: self.minter,
            listeners: self.listeners,
            validators,
            metrics: self.metrics,
            num_states_between_snapshots: self.num_states_between_snapshots,
            num_states_until_next_snapshot: 0,
            integrity_check: self.integrity_check,
            current: None,
            mapper: self.mapper,
            lock: None,
            announced: None,
            retention: self.retention,
            retention_failures: 0,
            leftovers: Vec::new(),
            key_indexes: incremental::KeyIndexes::default(),
            last_incremental: None,
            telemetry: ProducerTelemetry { dataset: self.name },
            counts: ProducerMetrics::default(),
        })
    }
}

/// Runs cycles and publishes versions. See the [module docs](self).
pub struct Producer {
    engine: WriteStateEngine,
    publisher: Arc<dyn BlobPublisher>,
    announcer: Option<Arc<dyn Announcer>>,
    minter: Arc<dyn VersionMinter>,
    listeners: Vec<Arc<dyn ProducerListener>>,
    validators: Vec<Arc<dyn Validator>>,
    metrics: Vec<Arc<dyn MetricsCollector>>,
    num_states_between_snapshots: u32,
    num_states_until_next_snapshot: i64,
    integrity_check: bool,
    /// The last announced (or restored) state, as consumers see it.
    current: Option<Arc<ReadState>>,
    mapper: ObjectMapper,
    /// The store's producer lock, taken by the first cycle or restore and held for the producer's life.
    lock: Option<Box<dyn ProducerLock>>,
    /// The version this producer knows to be announced: read when the lock was taken, then the version
    /// of each announcement it made. The compare-and-swap of the next announcement expects it.
    announced: Option<Version>,
    retention: Option<RetentionPolicy>,
    retention_failures: u64,
    /// Blobs of failed cycles that could not be removed yet; the next cycle removes them first.
    leftovers: Vec<BlobId>,
    /// Primary-key indexes over `current` for incremental cycles, moved along from state to state.
    key_indexes: incremental::KeyIndexes,
    last_incremental: Option<IncrementalStats>,
    telemetry: ProducerTelemetry,
    counts: ProducerMetrics,
}

/// Counters about a producer's cycles ([`Producer::metrics`]); the same measurements feed the
/// [`telemetry`](crate::telemetry) metrics and the [`MetricsCollector`]s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerMetrics {
    /// Cycles that announced (or, without an announcer, published) a new version.
    pub cycles_succeeded: u64,
    /// Cycles that failed: nothing was announced.
    pub cycles_failed: u64,
    /// Cycles that found nothing changed: nothing was published.
    pub cycles_no_change: u64,
    /// Duration of the last cycle, whatever its outcome.
    pub last_cycle_duration: Duration,
    /// The version this producer last announced or restored.
    pub current_version: Option<Version>,
    /// Retention runs that failed after an announced cycle.
    pub retention_failures: u64,
}

/// What a cycle's populate step works with: the write engine just prepared for the cycle, and what
/// the incremental cycle needs besides.
pub(crate) struct CycleInput<'a> {
    engine: &'a mut WriteStateEngine,
    mapper: &'a mut ObjectMapper,
    version: Version,
    /// The last announced (or restored) state, which the engine's previous cycle holds.
    current: Option<&'a Arc<ReadState>>,
    key_indexes: &'a mut incremental::KeyIndexes,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer").field("current_version", &self.current_version()).finish()
    }
}

/// Blobs of one cycle, staged in memory.
struct Staged {
    header: Blob,
    snapshot: Option<Blob>,
    delta: Option<Blob>,
    reverse_delta: Option<Blob>,
}

impl Producer {
    /// Start building a producer that publishes to `publisher`.
    pub fn builder(publisher: Arc<dyn BlobPublisher>) -> ProducerBuilder {
        ProducerBuilder {
            publisher,
            announcer: None,
            minter: Arc::new(TimestampVersionMinter::new()),
            listeners: Vec::new(),
            validators: Vec::new(),
            metrics: Vec::new(),
            schemas: Vec::new(),
            num_states_between_snapshots: 0,
            integrity_check: true,
            target_max_type_shard_size: None,
            type_resharding: false,
            mapper: ObjectMapper::new(),
            retention: None,
            duplicate_key_check: true,
            announcing_chosen: false,
            name: DEFAULT_DATASET.to_owned(),
        }
    }

    /// The last announced version, if any.
    pub fn current_version(&self) -> Option<Version> {
        self.current.as_ref().map(|s| s.version())
    }

    /// The last announced state, read back from the producer's own blobs.
    pub fn read_state(&self) -> Option<Arc<ReadState>> {
        self.current.clone()
    }

    /// The write engine (e.g. to register schemas between cycles).
    pub fn engine_mut(&mut self) -> &mut WriteStateEngine {
        &mut self.engine
    }

    /// Take the store's producer lock (once) and recover from whatever a crashed producer left; see the
    /// [module docs](self). Called by every cycle and restore; after the first, it only confirms that the
    /// lock is still held.
    fn ensure_started(&mut self) -> Result<()> {
        if let Some(lock) = &self.lock {
            return lock.renew();
        }
        let lock = self.publisher.lock_producer()?;
        let announced = match &self.announcer {
            Some(announcer) => announcer.announced_version()?,
            None => None,
        };
        let blobs = self.publisher.list()?;
        let mut newest = announced;
        for blob in &blobs {
            // Without an announcer nothing is ever announced, so nothing can be told apart as a leftover.
            let unannounced = self.announcer.is_some() && announced.is_none_or(|a| blob.newest_version() > a);
            if unannounced {
                self.publisher.delete(blob)?;
            } else {
                newest = newest.max(Some(blob.newest_version()));
            }
            // A removed leftover's version is not reused either, should its removal not be durable.
            self.minter.observe(blob.newest_version());
        }
        if let Some(v) = newest {
            self.minter.observe(v);
        }
        self.announced = announced;
        self.lock = Some(lock);
        Ok(())
    }

    /// How many times retention failed after an announced cycle (each also reported to listeners).
    pub fn retention_failures(&self) -> u64 {
        self.retention_failures
    }

    fn apply_retention(&mut self, announced: Version) {
        let Some(policy) = &self.retention else { return };
        let result = crate::store::retention::clean(self.publisher.as_ref(), announced, policy);
        if let Err(e) = &result {
            tracing::warn!(target: "hollow::producer", version = announced, error = %e, "retention failed");
            self.retention_failures += 1;
        }
        for l in &self.listeners {
            l.retention_completed(result.as_ref());
        }
    }

    /// The version this producer knows to be announced (read from the store when it started, then each
    /// version it announced), if any.
    pub fn announced_version(&self) -> Option<Version> {
        self.announced
    }

    /// Resume the delta chain after a restart from the announced version: [`restore`](Self::restore)
    /// of the version the store announces. Nothing announced is [`Error::NotFound`].
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when nothing is announced; those of
    /// [`restore`](Self::restore).
    pub fn restore_announced(&mut self, retriever: &dyn BlobRetriever) -> Result<Version> {
        self.ensure_started()?;
        let version = self.announced.ok_or_else(|| Error::NotFound("no version is announced to restore".into()))?;
        self.restore(version, retriever)?;
        Ok(version)
    }

    /// Resume the delta chain after a restart (Java's `HollowProducer.restore`): load `version` from
    /// `retriever` (its nearest snapshot, then deltas) and continue from it, so the next cycle publishes
    /// a delta from `version` that consumers on it can apply, and records that did not change keep their
    /// ordinals.
    ///
    /// `version` must have been announced: with an announcer, a version above the announced one is
    /// refused ([`Error::InvalidArgument`]), since only a failed or crashed cycle can have published it.
    /// Restoring takes the store's producer lock first (see the [module docs](self)).
    ///
    /// The write engine is replaced by a new one with the same types and settings, restored from the
    /// loaded state (see [`WriteStateEngine::restore_from`]): types must be registered (with the
    /// builder, or before the first cycle after the restore), schemas must be compatible with the
    /// restored ones, and header tags set on the old engine are not carried over. Versions minted from
    /// now on are greater than `version`. On error the producer is left as it was.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no blobs reach `version`; the retriever's errors;
    /// [`Error::CorruptBlob`] for blobs that do not load; those of
    /// [`WriteStateEngine::restore_from`] (incompatible schemas).
    pub fn restore(&mut self, version: Version, retriever: &dyn BlobRetriever) -> Result<()> {
        self.ensure_started()?;
        if self.announcer.is_some() && self.announced.is_none_or(|a| version > a) {
            return Err(Error::InvalidArgument(format!(
                "version {version} was never announced (announced: {}); only announced versions can be restored",
                self.announced.map_or("none".to_owned(), |a| a.to_string())
            )));
        }
        let state = crate::consumer::load_version(retriever, version)?;
        let mut engine = self.new_engine_like_current()?;
        engine.restore_from(&state)?;
        self.engine = engine;
        self.minter.observe(version);
        self.num_states_until_next_snapshot = self.num_states_between_snapshots as i64;
        self.current = Some(Arc::new(ReadState::new(version, state)));
        Ok(())
    }

    /// An empty write engine with the current one's types and settings (and its pinned shard counts,
    /// if it never completed a cycle: after one, every count is a chosen one, not a pinned one).
    fn new_engine_like_current(&self) -> Result<WriteStateEngine> {
        let mut engine = WriteStateEngine::new();
        engine.set_target_max_type_shard_size(self.engine.target_max_type_shard_size());
        engine.set_allow_type_resharding(self.engine.allow_type_resharding());
        for schema in self.engine.schemas() {
            engine.add_schema(schema.clone())?;
            if let Some(n) = self.engine.num_shards(schema.name()).filter(|_| self.current.is_none()) {
                engine.set_num_shards(schema.name(), n)?;
            }
        }
        Ok(engine)
    }

    /// Run one cycle: `populate` adds every record of the new state. Returns the version now announced
    /// (the current one if nothing changed). On error nothing is announced and the producer stays at
    /// its last announced state.
    ///
    /// # Errors
    ///
    /// The error `populate` returns; [`Error::ValidationFailed`] when a
    /// validator vetoes the state; [`Error::IntegrityCheckFailed`] when
    /// the blobs do not read back to the state; [`Error::Conflict`] when another
    /// producer took the store or announced; the store's errors ([`Error::Io`]).
    pub fn run_cycle<F>(&mut self, populate: F) -> Result<Version>
    where
        F: FnOnce(&mut WriteState<'_>) -> Result<()>,
    {
        self.run_any_cycle("full", |input| {
            populate(&mut WriteState { engine: input.engine, mapper: input.mapper, version: input.version })
        })
    }

    /// Run an incremental cycle (Java's `HollowProducer.Incremental.runIncrementalCycle`): the new state
    /// is the last announced (or restored) one with the changes `changes` makes, by primary key, instead
    /// of a full set of records. Everything else is [`run_cycle`](Self::run_cycle)'s: the same publish,
    /// integrity check, validation, announcement, and rollback on failure (an error or panic in
    /// `changes` fails the cycle, with nothing announced). Before any state, it starts from nothing.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hollow::mapper::{GenericValue, ObjectMapper};
    /// # use hollow::producer::Producer;
    /// # use hollow::store::memory::InMemoryBlobStore;
    /// #[derive(serde::Serialize, serde::Deserialize, Clone)]
    /// struct Movie { id: i64, title: String }
    ///
    /// let store = Arc::new(InMemoryBlobStore::new());
    /// let mut producer = Producer::builder(store.clone())
    ///     .with_announcer(store.clone())
    ///     .with_object_mapper(ObjectMapper::new().primary_key("Movie", ["id"]))
    ///     .build()?;
    /// producer.run_incremental_cycle(|changes| {
    ///     changes.add_or_modify(&Movie { id: 1, title: "Heat".into() })?;
    ///     changes.add_or_modify(&Movie { id: 2, title: "Alien".into() })
    /// })?;
    /// producer.run_incremental_cycle(|changes| {
    ///     changes.add_or_modify(&Movie { id: 1, title: "Heat (1995)".into() })?;
    ///     changes.delete_of::<Movie>(&[GenericValue::Long(2)])
    /// })?;
    /// let stats = producer.last_incremental_stats().unwrap();
    /// assert_eq!((stats.upserts, stats.deletes), (1, 1));
    /// # Ok::<(), hollow::Error>(())
    /// ```
    ///
    /// Semantics, as Java's:
    ///
    /// * **Upsert** ([`IncrementalChanges::add_or_modify`], [`upsert_generic`](IncrementalChanges::upsert_generic),
    ///   [`upsert_json`](IncrementalChanges::upsert_json)): the record replaces the record with the same
    ///   primary key in the last state, if any. For a type without a primary key the record is added if
    ///   absent.
    /// * **Delete** ([`IncrementalChanges::delete`]): removes the record with that key; an absent key is
    ///   a no-op (counted in [`IncrementalStats::absent_deletes`]).
    /// * A later change to a key replaces an earlier one of the same cycle.
    /// * A replaced or deleted record leaves with the records it references that nothing kept
    ///   references any more, of any type, keyed ones included; records still referenced stay, and so
    ///   does a replaced or deleted record that another kept record references. See
    ///   [`WriteStateEngine::remove_with_orphans`] for the exact rule.
    /// * Keys are looked up in primary-key indexes over the last state, which are kept from cycle to
    ///   cycle and moved along with each new state at the cost of what changed.
    ///
    /// The blobs are those of a full cycle that adds the records of the last state that stay, then the
    /// upserted records in the order of their (surviving) changes: same type sections, same ordinals.
    ///
    /// # Errors
    ///
    /// As [`run_cycle`](Self::run_cycle), with the errors of the changes ([`IncrementalChanges`]) in place of
    /// `populate`'s.
    pub fn run_incremental_cycle<F>(&mut self, changes: F) -> Result<Version>
    where
        F: FnOnce(&mut IncrementalChanges<'_>) -> Result<()>,
    {
        let mut stats = None;
        let result = self.run_any_cycle("incremental", |input| {
            stats = Some(incremental::populate(input, changes)?);
            Ok(())
        });
        if result.is_ok() {
            self.last_incremental = stats;
        }
        result
    }

    /// [`run_incremental_cycle`](Self::run_incremental_cycle) applying `changes` in order.
    ///
    /// # Errors
    ///
    /// As [`run_incremental_cycle`](Self::run_incremental_cycle) and [`IncrementalChanges::apply_all`].
    pub fn apply_change_set(&mut self, changes: &crate::diff::ChangeSet) -> Result<Version> {
        self.run_incremental_cycle(|c| c.apply_all(changes))
    }

    /// What the last successful incremental cycle did (also when it found no change), if any.
    pub fn last_incremental_stats(&self) -> Option<&IncrementalStats> {
        self.last_incremental.as_ref()
    }

    /// The cycle runner every kind of cycle goes through: start, populate (with `populate`), publish,
    /// check, validate, announce; on failure, roll back. See the [module docs](self).
    fn run_any_cycle<P>(&mut self, kind: &'static str, populate: P) -> Result<Version>
    where
        P: FnOnce(&mut CycleInput<'_>) -> Result<()>,
    {
        let started = Instant::now();
        let span = tracing::info_span!(
            target: "hollow::producer",
            "hollow.producer.cycle",
            dataset = %self.telemetry.dataset,
            kind,
            version = tracing::field::Empty,
            from_version = self.current_version(),
        );
        let _entered = span.enter();
        let version = match self.start_cycle() {
            Ok(version) => version,
            Err(e) => {
                tracing::warn!(target: "hollow::producer", error = %e, "cycle could not start; nothing was announced");
                self.cycle_ended(CycleResult::Failed, started);
                for l in &self.listeners {
                    l.cycle_completed(Err(&e));
                }
                return Err(e);
            }
        };
        span.record("version", version);
        for l in &self.listeners {
            l.cycle_started(version);
        }
        self.engine.prepare_for_next_cycle();
        let result = self.run_cycle_steps(version, started, populate);
        match &result {
            Ok(Some(metrics)) => {
                self.cycle_ended(CycleResult::Succeeded, started);
                tracing::info!(
                    target: "hollow::producer",
                    version,
                    duration_ms = metrics.cycle_duration.as_secs_f64() * 1e3,
                    "announced version {version}"
                );
                for m in &self.metrics {
                    m.collect(metrics);
                }
            }
            Ok(None) => {
                self.cycle_ended(CycleResult::NoChange, started);
                tracing::info!(target: "hollow::producer", version = self.current_version(), "no change; nothing published");
                self.engine.reset_to_last_prepare_for_next_cycle();
                for l in &self.listeners {
                    l.no_change(version);
                }
            }
            Err(e) => {
                self.cycle_ended(CycleResult::Failed, started);
                tracing::warn!(target: "hollow::producer", version, error = %e, "cycle failed; nothing was announced");
                self.engine.reset_to_last_prepare_for_next_cycle()
            }
        }
        let result = result.map(|m| m.map_or_else(|| self.current_version().unwrap_or(version), |m| m.version));
        for l in &self.listeners {
            l.cycle_completed(result.as_ref().copied());
        }
        result
    }

    fn cycle_ended(&mut self, result: CycleResult, started: Instant) {
        let took = started.elapsed();
        self.telemetry.cycle_ended(result, took);
        self.counts.last_cycle_duration = took;
        match result {
            CycleResult::Succeeded => self.counts.cycles_succeeded += 1,
            CycleResult::Failed => self.counts.cycles_failed += 1,
            CycleResult::NoChange => self.counts.cycles_no_change += 1,
        }
    }

    /// Counters about this producer's cycles so far.
    pub fn metrics(&self) -> ProducerMetrics {
        ProducerMetrics {
            current_version: self.current_version(),
            retention_failures: self.retention_failures,
            ..self.counts.clone()
        }
    }

    /// Run `f` inside the span of `phase` and record its duration.
    fn phase<T>(&mut self, phase: Phase, f: impl FnOnce(&mut Self) -> T) -> T {
        let span = match phase {
            Phase::Populate => tracing::info_span!(target: "hollow::producer", "hollow.producer.populate"),
            Phase::Write => tracing::info_span!(target: "hollow::producer", "hollow.producer.write"),
            Phase::Publish => tracing::info_span!(target: "hollow::producer", "hollow.producer.publish"),
            Phase::IntegrityCheck => tracing::info_span!(target: "hollow::producer", "hollow.producer.integrity_check"),
            Phase::Validate => tracing::info_span!(target: "hollow::producer", "hollow.producer.validate"),
            Phase::Announce => {
                tracing::info_span!(target: "hollow::producer", "hollow.producer.announce", version = self.engine.header_tag(TAG_TO_VERSION))
            }
        };
        let _entered = span.enter();
        let started = Instant::now();
        let out = f(self);
        self.telemetry.phase(phase, started.elapsed());
        out
    }

    /// Take or confirm the producer lock and mint the cycle's version.
    fn start_cycle(&mut self) -> Result<Version> {
        self.ensure_started()?;
        // Blobs an earlier failed cycle could not remove would collide with this cycle's (a delta is
        // named by the version it leaves): remove them first, or fail before publishing anything.
        while let Some(id) = self.leftovers.last().copied() {
            self.publisher.delete(&id).map_err(|e| Error::Io {
                context: Some(format!("removing {} left by a failed cycle", id.file_name())),
                source: std::io::Error::other(e.to_string()),
            })?;
            self.leftovers.pop();
        }
        let version = self.minter.mint();
        let newest = self.announced.max(self.current_version());
        match newest.filter(|&v| version <= v) {
            // A minter that ignores `observe` (a user's) must still never reuse a version.
            Some(v) => Err(Error::InvalidArgument(format!(
                "the version minter gave {version}, not above version {v} (announced or restored)"
            ))),
            None => Ok(version),
        }
    }

    fn run_cycle_steps<P>(&mut self, version: Version, started: Instant, populate: P) -> Result<Option<CycleMetrics>>
    where
        P: FnOnce(&mut CycleInput<'_>) -> Result<()>,
    {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        self.engine.set_header_tag(TAG_CYCLE_START, now_ms.to_string());

        let populate_started = Instant::now();
        self.phase(Phase::Populate, |this| {
            let mut input = CycleInput {
                engine: &mut this.engine,
                mapper: &mut this.mapper,
                version,
                current: this.current.as_ref(),
                key_indexes: &mut this.key_indexes,
            };
            match catch_unwind(AssertUnwindSafe(|| populate(&mut input))) {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e),
                Err(panic) => Err(Error::InvalidArgument(format!("populate panicked: {}", panic_message(&*panic)))),
            }
        })?;
        let populate_duration = populate_started.elapsed();

        if self.current.is_some() && !self.engine.has_changed_since_last_cycle() {
            return Ok(None);
        }
        self.update_header_tags(version);
        let staged = self.phase(Phase::Write, |this| this.stage(version))?;
        let mut published = Vec::new();
        let outcome = self.publish_and_announce(version, &staged, &mut published);
        let candidate = match outcome {
            Ok(candidate) => candidate,
            Err(e) => return Err(self.remove_published(&published, e)),
        };
        self.minter.observe(version);
        let metrics = CycleMetrics {
            version,
            types: candidate
                .engine()
                .types()
                .map(|t| TypeMetrics {
                    name: t.name().to_owned(),
                    records: t.populated().count(),
                    num_shards: t.num_shards(),
                    heap_bytes: t.approximate_heap_bytes(),
                })
                .collect(),
            snapshot_bytes: staged.snapshot.as_ref().map(|b| b.data.len()),
            delta_bytes: staged.delta.as_ref().map(|b| b.data.len()),
            reverse_delta_bytes: staged.reverse_delta.as_ref().map(|b| b.data.len()),
            header_bytes: staged.header.data.len(),
            populate_duration,
            cycle_duration: started.elapsed(),
        };
        self.current = Some(candidate);
        self.apply_retention(version);
        Ok(Some(metrics))
    }

    fn update_header_tags(&mut self, version: Version) {
        let schemas: Vec<Schema> = self.engine.schemas().cloned().collect();
        self.engine.set_header_tag(TAG_SCHEMA_HASH, crate::schema::hash::schema_hash_tag(&schemas));
        self.engine.set_header_tag(TAG_TO_VERSION, version.to_string());
        let previous_counter = self
            .current
            .as_ref()
            .and_then(|s| {
                s.engine().header_tags().get(TAG_DELTA_CHAIN_VERSION_COUNTER).and_then(|v| v.parse::<i64>().ok())
            })
            .unwrap_or(0);
        self.engine.set_header_tag(TAG_DELTA_CHAIN_VERSION_COUNTER, (previous_counter + 1).to_string());
        self.engine.set_header_tag(TAG_PARTITIONED_ORDINAL_MAP, "false");
    }

    fn stage(&mut self, version: Version) -> Result<Staged> {
        let mut header = Vec::new();
        self.engine.write_header_blob(&mut header)?;
        let snapshot_due = self.num_states_until_next_snapshot <= 0;
        let snapshot = if self.current.is_none() || self.integrity_check || snapshot_due {
            let mut bytes = Vec::new();
            self.engine.write_snapshot(&mut bytes)?;
            Some(Blob::snapshot(version, bytes))
        } else {
            None
        };
        let (delta, reverse_delta) = match &self.current {
            Some(current) => {
                let from = current.version();
                let mut d = Vec::new();
                self.engine.write_delta(&mut d)?;
                let mut r = Vec::new();
                self.engine.write_reverse_delta(&mut r)?;
                (Some(Blob::delta(from, version, d)), Some(Blob::reverse_delta(version, from, r)))
            }
            None => (None, None),
        };
        Ok(Staged { header: Blob::header(version, header), snapshot, delta, reverse_delta })
    }

    /// Publish the staged blobs (recording each in `published`), read them back, validate, and
    /// announce. Returns the state announced.
    fn publish_and_announce(
        &mut self,
        version: Version,
        staged: &Staged,
        published: &mut Vec<BlobId>,
    ) -> Result<Arc<ReadState>> {
        let publish_snapshot = self.current.is_none() || self.num_states_until_next_snapshot <= 0;
        let mut blobs = vec![&staged.header];
        blobs.extend(staged.delta.iter().chain(staged.reverse_delta.iter()));
        if publish_snapshot {
            blobs.extend(staged.snapshot.iter());
        }
        self.phase(Phase::Publish, |this| {
            for blob in blobs {
                let blob_span = tracing::info_span!(
                    target: "hollow::producer",
                    "hollow.producer.publish_blob",
                    kind = crate::telemetry::blob_kind(blob.blob_type),
                    bytes = blob.data.len(),
                    duration_ms = tracing::field::Empty,
                )
                .entered();
                let started = Instant::now();
                this.publisher.publish(blob).map_err(|e| this.explain_collision(version, e))?;
                blob_span.record("duration_ms", started.elapsed().as_secs_f64() * 1e3);
                published.push(blob.id());
                this.telemetry.blob_published(blob.blob_type, blob.data.len());
                for l in &this.listeners {
                    l.blob_published(blob);
                }
            }
            Ok::<_, Error>(())
        })?;
        let candidate =
            Arc::new(ReadState::new(version, self.phase(Phase::IntegrityCheck, |this| this.read_back(staged))?));
        self.phase(Phase::Validate, |this| this.validate(&candidate))?;
        if let Some(lock) = &self.lock {
            // A lock that expires (object stores) may have been taken over while this cycle ran.
            lock.renew()?;
        }
        if let Some(announcer) = self.announcer.clone() {
            self.phase(Phase::Announce, |this| announce(announcer.as_ref(), version, this.announced))?;
            self.announced = Some(version);
            self.telemetry.announced(version, candidate.engine());
            for l in &self.listeners {
                l.announced(version);
            }
        }
        // The countdown advances only with an announced version: a failed cycle's snapshot is removed,
        // so counting it would leave the next versions without a snapshot to start from.
        self.num_states_until_next_snapshot = if publish_snapshot {
            self.num_states_between_snapshots as i64
        } else {
            self.num_states_until_next_snapshot - 1
        };
        Ok(candidate)
    }

    /// A blob collision usually means another producer moved the store on; say so when the announced
    /// version shows it.
    fn explain_collision(&self, version: Version, error: Error) -> Error {
        let (Error::Conflict(collision), Some(announcer)) = (&error, &self.announcer) else { return error };
        match announcer.announced_version() {
            Ok(actual) if actual != self.announced => {
                let Error::Conflict(m) = crate::store::announce_conflict(version, self.announced, actual) else {
                    return error;
                };
                Error::Conflict(format!("{m} ({collision})"))
            }
            _ => error,
        }
    }

    /// Remove the blobs of a failed cycle (newest first), then return its error. A blob that cannot be
    /// removed is named in the error; the next start's recovery removes it, and its version is never
    /// minted again.
    fn remove_published(&mut self, published: &[BlobId], error: Error) -> Error {
        let mut failures = Vec::new();
        for id in published.iter().rev() {
            if let Err(e) = self.publisher.delete(id) {
                failures.push(format!("{}: {e}", id.file_name()));
                self.leftovers.push(*id);
            }
        }
        if failures.is_empty() {
            return error;
        }
        tracing::warn!(target: "hollow::producer", failures = ?failures, "a failed cycle's blobs could not all be removed");
        let note = format!(
            " (the failed cycle's blobs could not all be removed, the next cycle retries: {})",
            failures.join("; ")
        );
        match error {
            Error::Conflict(m) => Error::Conflict(m + &note),
            Error::ValidationFailed(m) => Error::ValidationFailed(m + &note),
            Error::IntegrityCheckFailed(m) => Error::IntegrityCheckFailed(m + &note),
            Error::InvalidArgument(m) => Error::InvalidArgument(m + &note),
            Error::NotFound(m) => Error::NotFound(m + &note),
            Error::Io { context, source } => Error::Io { context: Some(context.unwrap_or_default() + &note), source },
            other => other,
        }
    }

    /// Read the staged blobs back into the state consumers will see, checking them against each other.
    fn read_back(&self, staged: &Staged) -> Result<ReadStateEngine> {
        let from_snapshot =
            staged.snapshot.as_ref().map(|b| ReadStateEngine::from_snapshot_owned(Arc::clone(&b.data))).transpose()?;
        let Some(current) = &self.current else {
            return from_snapshot.ok_or_else(|| Error::IntegrityCheckFailed("no snapshot for the first state".into()));
        };
        let delta = staged.delta.as_ref().expect("a delta is staged whenever there is a current state");
        let from_delta = current.engine().apply_delta(&delta.data)?;
        if self.integrity_check {
            let snapshot = from_snapshot.as_ref().expect("the integrity check stages a snapshot");
            check_same(snapshot, &from_delta, "the snapshot and the delta")?;
            let reverse = staged.reverse_delta.as_ref().expect("a reverse delta is staged with the delta");
            let back = from_delta.apply_reverse_delta(&reverse.data)?;
            check_same(current.engine(), &back, "the previous state and the reverse delta")?;
        }
        Ok(from_delta)
    }

    fn validate(&self, candidate: &ReadState) -> Result<()> {
        let failures: Vec<String> = self
            .validators
            .iter()
            .filter_map(|v| {
                let veto = v.validate_change(self.current.as_deref(), candidate).err()?;
                tracing::warn!(target: "hollow::producer", validator = v.name(), error = %veto, "a validator vetoed the cycle");
                Some(format!("{}: {veto}", v.name()))
            })
            .collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Error::ValidationFailed(failures.join("; ")))
        }
    }
}

/// Announce with a compare-and-swap. An I/O failure may hide a write that happened (a timeout after
/// the store applied it), so the announcement is read back before the failure is believed.
fn announce(announcer: &dyn Announcer, version: Version, expected: Option<Version>) -> Result<()> {
    match announcer.announce(version, expected) {
        Err(e @ Error::Io { .. }) => match announcer.announced_version() {
            Ok(Some(v)) if v == version => Ok(()),
            _ => Err(e),
        },
        other => other,
    }
}

fn check_same(expected: &ReadStateEngine, actual: &ReadStateEngine, what: &str) -> Result<()> {
    let a = HollowChecksum::for_state_engine_with_common_schemas(expected, actual)?;
    let b = HollowChecksum::for_state_engine_with_common_schemas(actual, expected)?;
    if a.value() == b.value() {
        Ok(())
    } else {
        Err(Error::IntegrityCheckFailed(format!(
            "checksums of {what} differ ({:08x} vs {:08x})",
            a.value() as u32,
            b.value() as u32
        )))
    }
}

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
//! A failure at any step announces nothing and rolls the write engine back to the last announced
//! state, so the next cycle starts from there and its delta follows the chain consumers are on.
//!
//! After a restart, [`Producer::restore`] loads the announced version from the blob store and the
//! producer carries on from it: its next delta starts at that version, so consumers keep following
//! with deltas, and records that did not change keep their ordinals.

pub mod version;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::blob::{
    TAG_CYCLE_START, TAG_DELTA_CHAIN_VERSION_COUNTER, TAG_PARTITIONED_ORDINAL_MAP, TAG_SCHEMA_HASH, TAG_TO_VERSION,
};
use crate::consumer::planner::Planner;
use crate::consumer::read_state::STRING_TYPE;
use crate::consumer::ReadState;
use crate::error::{Error, Result};
use crate::mapper::{Mappable, ObjectMapper};
use crate::read::ReadStateEngine;
use crate::schema::{FieldType, ObjectField, ObjectSchema, Schema};
use crate::store::{Announcer, Blob, BlobPublisher, BlobRetriever, BlobType, Version};
use crate::tools::checksum::HollowChecksum;
use crate::write::{ListRecord, MapRecord, ObjectRecord, SetRecord, WriteStateEngine};
pub use version::{SequenceVersionMinter, TimestampVersionMinter, VersionMinter};

/// Checks a candidate state before it is announced. Returning an error vetoes the cycle.
pub trait Validator: Send + Sync {
    /// A name for messages.
    fn name(&self) -> &str;
    /// Check `state`; an `Err` with a message vetoes the cycle.
    fn validate(&self, state: &ReadState) -> std::result::Result<(), String>;
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
    pub fn add<T: Mappable + ?Sized>(&mut self, value: &T) -> Result<u32> {
        self.mapper.add(self.engine, value)
    }

    /// Add a JSON value as a record of `type_name`, following the registered schemas (see
    /// [`mapper::from_json`](crate::mapper::from_json)).
    pub fn add_json(&mut self, type_name: &str, json: &serde_json::Value) -> Result<u32> {
        self.mapper.add_json(self.engine, type_name, json)
    }

    /// Add a string to the simple string dataset: a record of type `String { string value; }`, as
    /// Java's object mapper writes a `String` added on its own. Registers the type if needed.
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
    pub fn add_object(&mut self, type_name: &str, record: &ObjectRecord) -> Result<u32> {
        self.engine.add(type_name, record)
    }

    /// Add a LIST record to `type_name`; returns its ordinal.
    pub fn add_list(&mut self, type_name: &str, record: &ListRecord) -> Result<u32> {
        self.engine.add(type_name, record)
    }

    /// Add a SET record to `type_name`; returns its ordinal.
    pub fn add_set(&mut self, type_name: &str, record: &SetRecord) -> Result<u32> {
        self.engine.add(type_name, record)
    }

    /// Add a MAP record to `type_name`; returns its ordinal.
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
}

impl ProducerBuilder {
    /// Use `mapper` (configured with primary keys, inline fields, type names...) for
    /// [`WriteState::add`].
    pub fn with_object_mapper(mut self, mapper: ObjectMapper) -> Self {
        self.mapper = mapper;
        self
    }

    /// Announce versions with `announcer` (without one, versions are published but not announced).
    pub fn with_announcer(mut self, announcer: Arc<dyn Announcer>) -> Self {
        self.announcer = Some(announcer);
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
    pub fn build(self) -> Result<Producer> {
        if self.type_resharding && !self.integrity_check {
            return Err(Error::InvalidArgument("type resharding requires the integrity check".into()));
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
            validators: self.validators,
            metrics: self.metrics,
            num_states_between_snapshots: self.num_states_between_snapshots,
            num_states_until_next_snapshot: 0,
            integrity_check: self.integrity_check,
            current: None,
            mapper: self.mapper,
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
    /// The last announced state, as consumers see it.
    current: Option<Arc<ReadState>>,
    mapper: ObjectMapper,
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

    /// Resume the delta chain after a restart (Java's `HollowProducer.restore`): load `version` from
    /// `retriever` (its nearest snapshot, then deltas) and continue from it, so the next cycle publishes
    /// a delta from `version` that consumers on it can apply, and records that did not change keep their
    /// ordinals.
    ///
    /// The write engine is replaced by a new one with the same types and settings, restored from the
    /// loaded state (see [`WriteStateEngine::restore_from`]): types must be registered (with the
    /// builder, or before the first cycle after the restore), schemas must be compatible with the
    /// restored ones, and header tags set on the old engine are not carried over. Versions minted from
    /// now on are greater than `version`. On error the producer is left as it was.
    pub fn restore(&mut self, version: Version, retriever: &dyn BlobRetriever) -> Result<()> {
        let plan = Planner::default().plan(retriever, None, version, false)?;
        if plan.destination(None) != Some(version) {
            return Err(Error::NotFound(format!("version {version}: no snapshot and deltas lead to it")));
        }
        let mut state: Option<ReadStateEngine> = None;
        for blob in &plan.blobs {
            state = Some(match (blob.blob_type, &state) {
                (BlobType::Snapshot, _) => ReadStateEngine::from_snapshot(&blob.data)?,
                (_, Some(s)) => s.apply_delta(&blob.data)?,
                (_, None) => return Err(Error::NotFound(format!("version {version}: no snapshot to start from"))),
            });
        }
        let state = state.ok_or_else(|| Error::NotFound(format!("version {version}: nothing to restore")))?;
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
    pub fn run_cycle<F>(&mut self, populate: F) -> Result<Version>
    where
        F: FnOnce(&mut WriteState<'_>) -> Result<()>,
    {
        let started = Instant::now();
        let version = self.minter.mint();
        for l in &self.listeners {
            l.cycle_started(version);
        }
        self.engine.prepare_for_next_cycle();
        let result = self.run_cycle_steps(version, started, populate);
        match &result {
            Ok(Some(metrics)) => {
                for m in &self.metrics {
                    m.collect(metrics);
                }
            }
            Ok(None) => {
                self.engine.reset_to_last_prepare_for_next_cycle();
                for l in &self.listeners {
                    l.no_change(version);
                }
            }
            Err(_) => self.engine.reset_to_last_prepare_for_next_cycle(),
        }
        let result = result.map(|m| m.map_or_else(|| self.current_version().unwrap_or(version), |m| m.version));
        for l in &self.listeners {
            l.cycle_completed(result.as_ref().copied());
        }
        result
    }

    fn run_cycle_steps<F>(&mut self, version: Version, started: Instant, populate: F) -> Result<Option<CycleMetrics>>
    where
        F: FnOnce(&mut WriteState<'_>) -> Result<()>,
    {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        self.engine.set_header_tag(TAG_CYCLE_START, now_ms.to_string());

        let populate_started = Instant::now();
        let mut ws = WriteState { engine: &mut self.engine, mapper: &mut self.mapper, version };
        match catch_unwind(AssertUnwindSafe(|| populate(&mut ws))) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(panic) => return Err(Error::InvalidArgument(format!("populate panicked: {}", panic_message(&panic)))),
        }
        let populate_duration = populate_started.elapsed();

        if self.current.is_some() && !self.engine.has_changed_since_last_cycle() {
            return Ok(None);
        }
        self.update_header_tags(version);
        let staged = self.stage(version)?;
        self.publish(&staged)?;
        let candidate = Arc::new(ReadState::new(version, self.read_back(&staged)?));
        self.validate(&candidate)?;
        if let Some(announcer) = &self.announcer {
            announcer.announce(version, announcer.announced_version()?)?; // TEMP stub
            for l in &self.listeners {
                l.announced(version);
            }
        }
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

    fn publish(&mut self, staged: &Staged) -> Result<()> {
        let publish_snapshot = self.current.is_none() || self.num_states_until_next_snapshot <= 0;
        let mut blobs = vec![&staged.header];
        blobs.extend(staged.delta.iter().chain(staged.reverse_delta.iter()));
        if publish_snapshot {
            blobs.extend(staged.snapshot.iter());
        }
        for blob in blobs {
            self.publisher.publish(blob)?;
            for l in &self.listeners {
                l.blob_published(blob);
            }
        }
        self.num_states_until_next_snapshot = if publish_snapshot {
            self.num_states_between_snapshots as i64
        } else {
            self.num_states_until_next_snapshot - 1
        };
        Ok(())
    }

    /// Read the staged blobs back into the state consumers will see, checking them against each other.
    fn read_back(&self, staged: &Staged) -> Result<ReadStateEngine> {
        let from_snapshot = staged.snapshot.as_ref().map(|b| ReadStateEngine::from_snapshot(&b.data)).transpose()?;
        let Some(current) = &self.current else {
            return from_snapshot.ok_or_else(|| Error::IntegrityCheckFailed("no snapshot for the first state".into()));
        };
        let delta = staged.delta.as_ref().expect("a delta is staged whenever there is a current state");
        let from_delta = current.engine().apply_delta(&delta.data)?;
        if self.integrity_check {
            let snapshot = from_snapshot.as_ref().expect("the integrity check stages a snapshot");
            check_same(snapshot, &from_delta, "the snapshot and the delta")?;
            let reverse = staged.reverse_delta.as_ref().expect("a reverse delta is staged with the delta");
            let back = from_delta.apply_delta(&reverse.data)?;
            check_same(current.engine(), &back, "the previous state and the reverse delta")?;
        }
        Ok(from_delta)
    }

    fn validate(&self, candidate: &ReadState) -> Result<()> {
        let failures: Vec<String> = self
            .validators
            .iter()
            .filter_map(|v| v.validate(candidate).err().map(|msg| format!("{}: {msg}", v.name())))
            .collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Error::ValidationFailed(failures.join("; ")))
        }
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

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

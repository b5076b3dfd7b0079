//! [`WriteStateEngine`]: records in, blobs out, one cycle at a time.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use super::dataset::Dataset;
use super::layout::Direction;
use super::ordinal_map::MAX_ORDINAL;
use super::record::{RecordRef, Value};
use super::tags::{TagMinter, NO_STATE_TAG};
use super::type_state::TypeWriteState;
use crate::blob::{envelope, BlobHeader, TAG_RESHARDING_INVOKED};
use crate::encoding::varint;
use crate::error::{Error, Result};
use crate::read::ReadStateEngine;
use crate::schema::paths::SchemaLookup;
use crate::schema::{codec, Schema};

/// The target maximum shard size Java's `HollowProducer` uses by default: 16 MiB.
pub const DEFAULT_TARGET_MAX_TYPE_SHARD_SIZE: u64 = 16 * 1024 * 1024;

/// The producer side of a Hollow dataset: holds the records of the current cycle (and the previous
/// one), assigns ordinals, and writes snapshot, delta, reverse-delta and header blobs that Java Hollow
/// consumers read.
///
/// A cycle goes:
/// 1. [`prepare_for_next_cycle`](Self::prepare_for_next_cycle) (a no-op before the first cycle);
/// 2. [`add`](Self::add) every record of the new state (records not added again are removed);
/// 3. write blobs: [`write_snapshot`](Self::write_snapshot), [`write_delta`](Self::write_delta),
///    [`write_reverse_delta`](Self::write_reverse_delta), [`write_header_blob`](Self::write_header_blob),
///    in any order and as often as wanted. The first write freezes the cycle; adding more records is
///    an error until the next `prepare_for_next_cycle`.
///
/// ```
/// use hollow::schema::{FieldType, ObjectField, ObjectSchema};
/// use hollow::write::{ObjectRecord, WriteStateEngine};
///
/// let mut engine = WriteStateEngine::new();
/// engine.add_schema(ObjectSchema::new("Movie").with_field(ObjectField::new("id", FieldType::Int)).into())?;
/// let mut movie = ObjectRecord::new();
/// movie.set_int("id", 1);
/// assert_eq!(engine.add("Movie", &movie)?, 0);
/// let mut snapshot = Vec::new();
/// engine.write_snapshot(&mut snapshot)?;
///
/// engine.prepare_for_next_cycle();
/// movie.clear().set_int("id", 2);
/// assert_eq!(engine.add("Movie", &movie)?, 1, "ordinal 0 is still a ghost for one cycle");
/// let mut delta = Vec::new();
/// engine.write_delta(&mut delta)?;
/// # Ok::<(), hollow::Error>(())
/// ```
#[derive(Debug)]
pub struct WriteStateEngine {
    types: Vec<TypeWriteState>,
    by_name: HashMap<String, usize>,
    target_max_type_shard_size: u64,
    allow_type_resharding: bool,
    header_tags: BTreeMap<String, String>,
    previous_header_tags: BTreeMap<String, String>,
    previous_tag: i64,
    next_tag: i64,
    minter: TagMinter,
    /// True from the first write of a cycle until the next `prepare_for_next_cycle`.
    writing: bool,
    /// The state restored from, until the first cycle after the restore is written and the next one
    /// begins: a type registered in that window is restored when it is registered.
    restored_state: Option<ReadStateEngine>,
    scratch: Scratch,
    /// Names this engine's set of schemas: unique across all engines of the process, renewed whenever a
    /// type is registered (see [`schemas_id`](Self::schemas_id)).
    schemas_id: u64,
}

/// Mints [`WriteStateEngine::schemas_id`] values; 0 is never minted.
static NEXT_SCHEMAS_ID: AtomicU64 = AtomicU64::new(1);

fn mint_schemas_id() -> u64 {
    NEXT_SCHEMAS_ID.fetch_add(1, Ordering::Relaxed)
}

/// Where a cycle stood when a trial started (see [`WriteStateEngine::start_trial`]).
#[derive(Debug)]
pub(crate) struct Trial {
    /// Words allocated in each type's populated set; `None` when the cycle already had records.
    allocated: Option<Vec<usize>>,
}

/// Buffers reused across `add` calls.
#[derive(Debug, Default)]
struct Scratch {
    bytes: Vec<u8>,
    slots: Vec<Value>,
    ordinals: Vec<u32>,
    entries: Vec<(u32, u32)>,
    /// A record's fields shared with a restored state (see `TypeWriteState::add`).
    shared: Vec<u8>,
}

impl Default for WriteStateEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl WriteStateEngine {
    /// An engine with no types, the producer's default shard size target and no resharding.
    pub fn new() -> Self {
        let mut minter = TagMinter::from_entropy();
        let next_tag = minter.mint(NO_STATE_TAG);
        WriteStateEngine {
            types: Vec::new(),
            by_name: HashMap::new(),
            target_max_type_shard_size: DEFAULT_TARGET_MAX_TYPE_SHARD_SIZE,
            allow_type_resharding: false,
            header_tags: BTreeMap::new(),
            previous_header_tags: BTreeMap::new(),
            previous_tag: NO_STATE_TAG,
            next_tag,
            minter,
            writing: false,
            restored_state: None,
            scratch: Scratch::default(),
            schemas_id: mint_schemas_id(),
        }
    }

    // ----- types ---------------------------------------------------------------------------------

    /// Register a type. Types are written in registration order; register a type's dependencies
    /// (referenced, element, key and value types) before it, as Java does.
    ///
    /// A type registered after [`restore_from`](Self::restore_from) and before the first cycle after it
    /// is written is restored from that state as it is registered (it fails as `restore_from` would).
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] when a type of that name is registered with a different schema
    /// or the schema's keys do not resolve; [`Error::InvalidArgument`] while a
    /// cycle is being written; as [`restore_from`](Self::restore_from) when the type is restored.
    pub fn add_schema(&mut self, schema: Schema) -> Result<()> {
        if self.writing {
            return Err(Error::InvalidArgument(format!(
                "cannot register type {} while a cycle is being written; call prepare_for_next_cycle() first",
                schema.name()
            )));
        }
        if self.by_name.contains_key(schema.name()) {
            return Err(Error::Schema(format!("type {} is already registered", schema.name())));
        }
        if let Schema::Object(s) = &schema {
            let mut seen = std::collections::HashSet::new();
            if let Some(f) = s.fields.iter().find(|f| !seen.insert(f.name.as_str())) {
                return Err(Error::Schema(format!("type {} has two fields named {}", s.name, f.name)));
            }
        }
        let mut state = TypeWriteState::new(schema);
        if let Some(read) = self.restored_state.as_ref().and_then(|s| s.type_state(state.records.schema.name())) {
            state.check_restorable(read)?;
            state.restore_from(read)?;
        }
        self.by_name.insert(state.records.schema.name().to_owned(), self.types.len());
        self.types.push(state);
        self.schemas_id = mint_schemas_id();
        Ok(())
    }

    /// An id of this engine's current set of schemas, never shared with another engine or another set:
    /// while it is unchanged, schemas copied out of this engine are still its schemas (registered
    /// schemas never change; registering a type renews the id). Lets the mapper cache them cheaply.
    pub(crate) fn schemas_id(&self) -> u64 {
        self.schemas_id
    }

    /// The schemas of all types, in registration order.
    pub fn schemas(&self) -> impl Iterator<Item = &Schema> {
        self.types.iter().map(|t| &t.records.schema)
    }

    /// A type's schema.
    pub fn schema(&self, type_name: &str) -> Option<&Schema> {
        self.type_state(type_name).map(|t| &t.records.schema)
    }

    fn type_state(&self, type_name: &str) -> Option<&TypeWriteState> {
        self.by_name.get(type_name).map(|&i| &self.types[i])
    }

    /// Fix a type's shard count instead of deriving it from the target shard size (Java's
    /// `@HollowShardLargeType`). Only possible before the type is first written, unless the count is
    /// unchanged. With type resharding allowed, the count still moves with the data afterwards.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unregistered type,
    /// [`Error::InvalidArgument`] for a count that is not a power of two or a
    /// change after the type was written.
    pub fn set_num_shards(&mut self, type_name: &str, num_shards: u32) -> Result<()> {
        if num_shards == 0 || !num_shards.is_power_of_two() {
            return Err(Error::InvalidArgument(format!("number of shards {num_shards} is not a power of two")));
        }
        let &i = self.by_name.get(type_name).ok_or_else(|| not_registered(type_name))?;
        let t = &mut self.types[i];
        match t.num_shards() {
            0 => t.pin_num_shards(num_shards),
            n if n == num_shards => {}
            n => {
                return Err(Error::InvalidArgument(format!(
                    "type {type_name} already has {n} shards; cannot change it to {num_shards}"
                )))
            }
        }
        Ok(())
    }

    /// A type's shard count, once it has been written (`None` before, or for an unknown type).
    pub fn num_shards(&self, type_name: &str) -> Option<u32> {
        self.type_state(type_name).map(|t| t.num_shards()).filter(|&n| n != 0)
    }

    // ----- settings ------------------------------------------------------------------------------

    /// The shard size (bytes) a type aims to stay under; it decides how many shards a type gets.
    /// Default 16 MiB, as Java's producer.
    pub fn set_target_max_type_shard_size(&mut self, bytes: u64) {
        self.target_max_type_shard_size = bytes;
    }

    /// See [`set_target_max_type_shard_size`](Self::set_target_max_type_shard_size).
    pub fn target_max_type_shard_size(&self) -> u64 {
        self.target_max_type_shard_size
    }

    /// Let shard counts follow the data from cycle to cycle (by one ×2 or ÷2 step per cycle; Java's
    /// `withTypeResharding`). Consumers need Java Hollow 7.7 (objects) / 7.12 (collections) or later.
    pub fn set_allow_type_resharding(&mut self, allow: bool) {
        self.allow_type_resharding = allow;
    }

    /// See [`set_allow_type_resharding`](Self::set_allow_type_resharding).
    pub fn allow_type_resharding(&self) -> bool {
        self.allow_type_resharding
    }

    // ----- header tags and randomized tags ---------------------------------------------------------

    /// Set a header tag of the current state. Tags persist from cycle to cycle until changed or
    /// removed. The engine itself maintains `hollow.type.resharding.invoked` (e.g. `Movie:(2,4)`),
    /// set in a cycle that reshards and removed otherwise.
    pub fn set_header_tag(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.header_tags.insert(key.into(), value.into());
    }

    /// Remove a header tag of the current state.
    pub fn remove_header_tag(&mut self, key: &str) -> Option<String> {
        self.header_tags.remove(key)
    }

    /// A header tag of the current state.
    pub fn header_tag(&self, key: &str) -> Option<&str> {
        self.header_tags.get(key).map(String::as_str)
    }

    /// The header tags of the current state.
    pub fn header_tags(&self) -> &BTreeMap<String, String> {
        &self.header_tags
    }

    /// The header tags of the previous state (what reverse deltas carry).
    pub fn previous_header_tags(&self) -> &BTreeMap<String, String> {
        &self.previous_header_tags
    }

    /// The tag of the previous state (-1 before the first cycle has been written and moved past).
    pub fn previous_randomized_tag(&self) -> i64 {
        self.previous_tag
    }

    /// The tag of the state being built.
    pub fn next_randomized_tag(&self) -> i64 {
        self.next_tag
    }

    /// Replace the tag of the state being built (for tests, or to reproduce a known chain).
    pub fn override_next_randomized_tag(&mut self, tag: i64) {
        self.next_tag = tag;
    }

    /// Replace the tag of the previous state, so that the next delta continues a chain this engine did
    /// not write (Java's `overridePreviousStateRandomizedTag`).
    pub fn override_previous_randomized_tag(&mut self, tag: i64) {
        self.previous_tag = tag;
    }

    /// Make future tags a deterministic sequence derived from `seed` (for reproducible tests). Re-mints
    /// the tag of the state being built.
    pub fn seed_randomized_tags(&mut self, seed: u64) {
        self.minter = TagMinter::seeded(seed);
        self.next_tag = self.minter.mint(self.previous_tag);
    }

    // ----- records -------------------------------------------------------------------------------

    /// Add a record to type `type_name` and return its ordinal. A record equal to one already added
    /// (in this cycle, or in the previous one and not yet re-added) gets that record's ordinal.
    ///
    /// # Errors
    ///
    /// Fails with [`Error::NotFound`] for an unknown type, [`Error::SchemaMismatch`] when the record
    /// does not fit the type's schema (kind, field names or field value kinds), and
    /// [`Error::InvalidArgument`] when it refers to an ordinal that is not populated in this cycle in a
    /// registered type, or when the cycle is already being written.
    pub fn add<'r>(&mut self, type_name: &str, record: impl Into<RecordRef<'r>>) -> Result<u32> {
        if self.writing {
            return Err(Error::InvalidArgument(
                "this cycle is being written; call prepare_for_next_cycle() before adding records".into(),
            ));
        }
        let &index = self.by_name.get(type_name).ok_or_else(|| not_registered(type_name))?;
        let record = record.into();
        let Scratch { bytes, slots, ordinals, entries, shared } = &mut self.scratch;
        bytes.clear();
        shared.clear();
        let shared_fields = self.types[index].shared_fields();
        let types = &self.types;
        let check = |referenced: &str, ordinal: u32, what: &dyn Fn() -> String| -> Result<()> {
            if ordinal > MAX_ORDINAL {
                return Err(Error::InvalidArgument(format!(
                    "{}: ordinal {ordinal} is out of range (at most {MAX_ORDINAL})",
                    what()
                )));
            }
            match self.by_name.get(referenced) {
                Some(&i) if !types[i].records.current.get(ordinal) => Err(Error::InvalidArgument(format!(
                    "{}: {referenced} record {ordinal} is not populated in this cycle",
                    what()
                ))),
                _ => Ok(()),
            }
        };
        match (&types[index].records.schema, record) {
            (Schema::Object(s), RecordRef::Object(r)) => {
                r.resolve(s, &types[index].field_index, slots)?;
                // A record whose primary key is null can never be found by it: refuse it here, where
                // every surface (Rust, mapper, C, Python) adds records.
                if let Some((first, _)) =
                    types[index].key_fields.iter().find(|&&(_, i)| matches!(slots[i], Value::Null))
                {
                    return Err(Error::InvalidArgument(format!(
                        "{} record without its primary key: field {first} is null",
                        s.name
                    )));
                }
                for (f, value) in s.fields.iter().zip(slots.iter()) {
                    if let (Value::Reference(o), Some(target)) = (value, &f.referenced_type) {
                        check(target, *o, &|| format!("field {}.{}", s.name, f.name))?;
                    }
                }
                r.encode(s, slots, bytes);
                if let Some(fields) = shared_fields {
                    r.encode_fields(s, slots, fields.iter().copied(), shared);
                }
            }
            (Schema::List(s), RecordRef::List(r)) => {
                for &o in r.elements() {
                    check(&s.element_type, o, &|| format!("list {}", s.name))?;
                }
                r.encode(bytes);
            }
            (Schema::Set(s), RecordRef::Set(r)) => {
                for &o in r.elements() {
                    check(&s.element_type, o, &|| format!("set {}", s.name))?;
                }
                r.encode(ordinals, bytes)?;
            }
            (Schema::Map(s), RecordRef::Map(r)) => {
                for &(k, v) in r.entries() {
                    check(&s.key_type, k, &|| format!("map {} key", s.name))?;
                    check(&s.value_type, v, &|| format!("map {} value", s.name))?;
                }
                r.encode(entries, bytes)?;
            }
            (schema, record) => {
                return Err(Error::SchemaMismatch(format!(
                    "type {} is a {}; cannot add a {} record to it",
                    schema.name(),
                    schema.kind().name(),
                    record.kind_name()
                )))
            }
        }
        let shared = shared_fields.is_some().then_some(&shared[..]);
        self.types[index].add(bytes, shared)
    }

    /// The ordinals populated so far in this cycle, ascending.
    pub fn populated_ordinals(&self, type_name: &str) -> Option<Vec<u32>> {
        self.type_state(type_name).map(|t| t.records.current.iter().collect())
    }

    // ----- cycles --------------------------------------------------------------------------------

    /// True when some type's populated records (or shard count) differ from the previous cycle's, i.e.
    /// when publishing this cycle would produce a non-empty delta.
    pub fn has_changed_since_last_cycle(&self) -> bool {
        self.types.iter().any(TypeWriteState::has_changed_since_last_cycle)
    }

    /// Freeze the cycle and compute what blobs need (bit widths, shard counts). Every `write_*` does
    /// this first; calling it again in the same cycle does nothing.
    ///
    /// # Errors
    ///
    /// None today: the `Result` leaves room for checks of the blob format's limits.
    pub fn prepare_for_write(&mut self) -> Result<()> {
        if self.writing {
            return Ok(());
        }
        self.header_tags.remove(TAG_RESHARDING_INVOKED);
        let mut resharded = Vec::new();
        for t in &mut self.types {
            if let Some((from, to)) = t.prepare_for_write(self.target_max_type_shard_size, self.allow_type_resharding) {
                resharded.push(format!("{}:({from},{to})", t.records.schema.name()));
            }
        }
        if !resharded.is_empty() {
            self.header_tags.insert(TAG_RESHARDING_INVOKED.to_owned(), resharded.join(" "));
        }
        self.writing = true;
        Ok(())
    }

    /// Start the next cycle: the state just built becomes the previous state, records must be added
    /// anew, and ordinals of records that were not in the state just built become reusable. Does
    /// nothing if no blob (or `prepare_for_write`) has been written since the last call.
    pub fn prepare_for_next_cycle(&mut self) {
        if !self.writing {
            return;
        }
        self.previous_tag = self.next_tag;
        self.next_tag = self.minter.mint(self.previous_tag);
        self.previous_header_tags = self.header_tags.clone();
        for t in &mut self.types {
            t.prepare_for_next_cycle();
        }
        self.writing = false;
        self.restored_state = None;
    }

    /// Abandon the current cycle: drop the records added since the last `prepare_for_next_cycle` and
    /// return to the state right after it, with a fresh tag for the next state.
    pub fn reset_to_last_prepare_for_next_cycle(&mut self) {
        for t in &mut self.types {
            t.reset_to_last_prepare_for_next_cycle();
        }
        self.next_tag = self.minter.mint(self.previous_tag);
        self.writing = false;
    }

    // ----- incremental cycles ------------------------------------------------------------------------

    /// Put every record of the previous cycle in this one, at its ordinal, without encoding it again
    /// (Java's `addAllObjectsFromPreviousCycle`): the start of an incremental cycle, which then removes
    /// records ([`remove_with_orphans`](Self::remove_with_orphans)) and adds new ones. Records already
    /// added in this cycle stay. See the module docs of `write::incremental` (private) for the semantics.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] while the cycle is being written.
    pub fn add_all_from_previous_cycle(&mut self) -> Result<()> {
        self.check_not_writing("add the previous cycle's records")?;
        for t in &mut self.types {
            super::incremental::add_all_from_previous(&mut t.records);
        }
        Ok(())
    }

    /// Remove records from this cycle (Java's `removeOrdinalFromThisCycle`), with the records that
    /// become unreferenced as a result (Java's incremental populator: `addTransitiveMatches`, then
    /// `removeReferencedOutsideClosure`).
    ///
    /// `roots` are the records to remove, `anchors` records to keep whatever the roots reference (each
    /// as `(type name, ordinal)`); see the module docs of `write::incremental` for exactly what goes. A root still
    /// referenced by a kept record stays. Roots and anchors not populated in this cycle are ignored.
    /// Returns the number of records removed per type (types with none are left out).
    ///
    /// # Errors
    ///
    /// Fails with [`Error::NotFound`] for an unknown type, [`Error::InvalidArgument`] while a cycle is
    /// being written; then nothing is removed.
    pub fn remove_with_orphans(
        &mut self,
        roots: &[(&str, u32)],
        anchors: &[(&str, u32)],
    ) -> Result<BTreeMap<String, usize>> {
        self.check_not_writing("remove records")?;
        let resolve = |list: &[(&str, u32)]| -> Result<Vec<(usize, u32)>> {
            list.iter()
                .map(|&(name, o)| self.by_name.get(name).map(|&t| (t, o)).ok_or_else(|| not_registered(name)))
                .collect()
        };
        let (roots, anchors) = (resolve(roots)?, resolve(anchors)?);
        let mut records: Vec<&mut super::dataset::TypeRecords> =
            self.types.iter_mut().map(|t| &mut t.records).collect();
        let removed = super::incremental::remove_with_orphans(&mut records, &self.by_name, &roots, &anchors);
        Ok(self
            .types
            .iter()
            .zip(removed)
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| (t.records.schema.name().to_owned(), n))
            .collect())
    }

    /// Whether the record `ordinal` of `type_name` was populated in the previous cycle.
    pub fn was_populated_in_previous_cycle(&self, type_name: &str, ordinal: u32) -> bool {
        self.type_state(type_name).is_some_and(|t| t.records.previous.get(ordinal))
    }

    /// Whether the record `ordinal` of `type_name` is populated in this cycle.
    pub fn is_populated(&self, type_name: &str, ordinal: u32) -> bool {
        self.type_state(type_name).is_some_and(|t| t.records.current.get(ordinal))
    }

    /// The canonical bytes of a record held (populated in this cycle or the previous one).
    pub(crate) fn record_bytes(&self, type_name: &str, ordinal: u32) -> Option<&[u8]> {
        self.type_state(type_name)?.records.record_bytes(ordinal)
    }

    /// Per type: how many records this cycle has that the previous one had not, and how many the
    /// previous one had that this one has not.
    pub fn changes_since_previous_cycle(&self) -> Vec<(String, (usize, usize))> {
        self.types
            .iter()
            .map(|t| (t.records.schema.name().to_owned(), t.records.current.difference_counts(&t.records.previous)))
            .collect()
    }

    /// True in the first cycle after a restore whose state lacked fields of some type, where a new
    /// record may take the ordinal of a restored record it shares the other fields with.
    pub(crate) fn projects_restored_fields(&self) -> bool {
        self.types.iter().any(|t| t.shared_fields().is_some())
    }

    /// Remember where this cycle stands, to abandon what is added after it with
    /// [`abandon_trial`](Self::abandon_trial).
    pub(crate) fn start_trial(&self) -> Trial {
        if self.types.iter().any(|t| t.records.current.iter().next().is_some()) {
            return Trial { allocated: None };
        }
        Trial { allocated: Some(self.types.iter().map(|t| t.records.current.allocated_words()).collect()) }
    }

    /// Drop everything added since [`start_trial`](Self::start_trial) (which must have been called
    /// right after `prepare_for_next_cycle`): as [`reset_to_last_prepare_for_next_cycle`], and the
    /// populated sets give back the segments the trial allocated, so that nothing of it can show in a
    /// blob (Java's reset keeps them; a trial is not something Java does).
    ///
    /// [`reset_to_last_prepare_for_next_cycle`]: Self::reset_to_last_prepare_for_next_cycle
    pub(crate) fn abandon_trial(&mut self, trial: Trial) {
        self.reset_to_last_prepare_for_next_cycle();
        let Some(allocated) = trial.allocated else { return };
        for (i, t) in self.types.iter_mut().enumerate() {
            t.records.current.truncate_words(allocated.get(i).copied().unwrap_or(0));
        }
    }

    fn check_not_writing(&self, what: &str) -> Result<()> {
        if self.writing {
            return Err(Error::InvalidArgument(format!(
                "cannot {what} while a cycle is being written; call prepare_for_next_cycle() first"
            )));
        }
        Ok(())
    }

    /// Continue from a state consumers hold, as if this engine had written it (Java's
    /// `HollowWriteStateEngine.restoreFrom`): the next cycle's delta goes from `state` to the new state,
    /// and records added again keep their ordinals, so the delta holds only what changed.
    ///
    /// For every registered type that `state` has, its populated records become this engine's
    /// previous cycle, each at its ordinal, and the type keeps `state`'s shard count (unless pinned
    /// with [`set_num_shards`](Self::set_num_shards)). Types `state` lacks start empty; types only
    /// `state` has are ignored, unless registered before the first cycle after the restore is written
    /// (see [`add_schema`](Self::add_schema)). The previous randomized tag becomes `state`'s tag, so consumers accept
    /// the next delta, and the previous header tags become `state`'s (reverse deltas carry them).
    /// Ordinals between restored records are reused for new records from the next cycle on.
    ///
    /// A type's schema here may differ from `state`'s when the two are compatible: same kind, the same
    /// element / key / value types, and object fields of the same name with the same type. Fields
    /// `state` lacks are null in the restored records; in the next cycle a record that differs from a
    /// restored one only in such fields still takes its ordinal, as in Java.
    ///
    /// # Errors
    ///
    /// Fails with [`Error::InvalidArgument`] if the engine already holds records or is writing a cycle,
    /// or a pinned shard count differs from `state`'s; with [`Error::SchemaMismatch`] for incompatible
    /// schemas; with [`Error::CorruptBlob`] for records that cannot be re-encoded (a string that is not
    /// UTF-16 code units, a map with a key twice). On error the engine is left empty, as before.
    pub fn restore_from(&mut self, state: &ReadStateEngine) -> Result<()> {
        if self.writing || self.types.iter().any(|t| !t.is_empty()) {
            return Err(Error::InvalidArgument(
                "can only restore into an engine that holds no records and is not writing a cycle".into(),
            ));
        }
        let restorable = |t: &TypeWriteState| state.type_state(t.records.schema.name());
        for t in &self.types {
            if let Some(read) = restorable(t) {
                t.check_restorable(read)?;
            }
        }
        let pinned: Vec<u32> = self.types.iter().map(TypeWriteState::num_shards).collect();
        for i in 0..self.types.len() {
            let Some(read) = restorable(&self.types[i]) else { continue };
            if let Err(e) = self.types[i].restore_from(read) {
                for (t, &num_shards) in self.types.iter_mut().zip(&pinned) {
                    *t = TypeWriteState::new(t.records.schema.clone());
                    if num_shards != 0 {
                        t.pin_num_shards(num_shards);
                    }
                }
                return Err(e);
            }
        }
        self.previous_tag = state.randomized_tag();
        self.next_tag = self.minter.mint(self.previous_tag);
        self.previous_header_tags = state.header_tags().clone();
        self.restored_state = Some(state.clone());
        Ok(())
    }

    // ----- blobs ---------------------------------------------------------------------------------

    /// Append a snapshot of the current state: every type, all populated records.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] when a schema cannot be encoded (a name longer than 65535
    /// bytes).
    pub fn write_snapshot(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.prepare_for_write()?;
        let all: Vec<usize> = (0..self.types.len()).collect();
        let header = self.header(&all, Direction::Forward);
        atomically(out, |out| {
            header.write(out)?;
            varint::write_usize(out, all.len());
            let ds = self.dataset();
            for t in &self.types {
                codec::write_schema(out, &t.records.schema)?;
                envelope::write_num_shards(out, t.num_shards());
                t.write_snapshot(&ds, out).map_err(|e| in_type(e, t))?;
            }
            Ok(())
        })
    }

    /// Append a delta from the previous state to the current one. Only types that changed are in it.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] when a schema cannot be encoded (a name longer than 65535
    /// bytes).
    pub fn write_delta(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.write_any_delta(Direction::Forward, out)
    }

    /// Append a reverse delta from the current state back to the previous one. It carries the
    /// previous state's header tags.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] when a schema cannot be encoded (a name longer than 65535
    /// bytes).
    pub fn write_reverse_delta(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.write_any_delta(Direction::Reverse, out)
    }

    fn write_any_delta(&mut self, direction: Direction, out: &mut Vec<u8>) -> Result<()> {
        self.prepare_for_write()?;
        let changed: Vec<usize> =
            (0..self.types.len()).filter(|&i| self.types[i].has_changed_since_last_cycle()).collect();
        let header = self.header(&changed, direction);
        atomically(out, |out| {
            header.write(out)?;
            varint::write_usize(out, changed.len());
            let ds = self.dataset();
            for &i in &changed {
                let t = &self.types[i];
                codec::write_schema(out, &t.records.schema)?;
                let num_shards = match direction {
                    Direction::Forward => t.num_shards(),
                    Direction::Reverse => t.rev_num_shards(),
                };
                envelope::write_num_shards(out, num_shards);
                t.write_delta(&ds, direction, out).map_err(|e| in_type(e, t))?;
            }
            Ok(())
        })
    }

    /// Append a header blob: the current state's header with every schema, and no data (Java 7's
    /// `header-<version>` artifact).
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] when a schema cannot be encoded (a name longer than 65535
    /// bytes).
    pub fn write_header_blob(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.prepare_for_write()?;
        let all: Vec<usize> = (0..self.types.len()).collect();
        let header = self.header(&all, Direction::Forward);
        atomically(out, |out| {
            header.write(out)?;
            varint::write_usize(out, all.len());
            Ok(())
        })
    }

    fn header(&self, types: &[usize], direction: Direction) -> BlobHeader {
        let schemas = types.iter().map(|&i| self.types[i].records.schema.clone()).collect();
        match direction {
            Direction::Forward => BlobHeader {
                origin_tag: self.previous_tag,
                destination_tag: self.next_tag,
                schemas,
                tags: self.header_tags.clone(),
            },
            Direction::Reverse => BlobHeader {
                origin_tag: self.next_tag,
                destination_tag: self.previous_tag,
                schemas,
                tags: self.previous_header_tags.clone(),
            },
        }
    }

    fn dataset(&self) -> Dataset<'_> {
        Dataset { types: self.types.iter().map(|t| &t.records).collect(), by_name: &self.by_name }
    }
}

/// The registered schemas of a write engine, for resolving key paths and for the mapper's JSON input.
impl SchemaLookup for WriteStateEngine {
    fn schema(&self, name: &str) -> Option<&Schema> {
        WriteStateEngine::schema(self, name)
    }
}

fn not_registered(type_name: &str) -> Error {
    Error::NotFound(format!("type {type_name} is not registered"))
}

fn in_type(e: Error, t: &TypeWriteState) -> Error {
    match e {
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("writing type {}: {m}", t.records.schema.name())),
        other => other,
    }
}

/// Run `f` appending to `out`; on error, leave `out` as it was.
fn atomically(out: &mut Vec<u8>, f: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<()> {
    let start = out.len();
    let result = f(out);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

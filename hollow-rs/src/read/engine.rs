//! The read state engine: the dataset at one version, loaded from a snapshot and moved by deltas.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::collection::CollectionState;
use super::collection_data::CollectionKind;
use super::follow::{self, Schedule, Waiting};
use super::object::kind_mismatch;
use super::parallel_load;
use super::retention::release_sparse_buffers;
use super::sharding::DeltaDirection;
use super::{ListTypeReadState, MapTypeReadState, ObjectTypeReadState, SetTypeReadState, TypeReadState};
use crate::blob::{envelope, BlobHeader};
use crate::encoding::ByteReader;
use crate::error::{Error, Result};
use crate::mapped::{MappingMode, SnapshotFile};
use crate::memory::{Backing, BlobBuffer};
use crate::schema::paths::SchemaLookup;
use crate::schema::{codec, Schema};

/// A dataset at one version.
///
/// Cloning is cheap: type states are shared. [`apply_delta`](Self::apply_delta) returns a new engine and
/// leaves this one untouched; the two share every type (and every shard) the delta did not change.
#[derive(Debug, Clone, Default)]
pub struct ReadStateEngine {
    types: BTreeMap<String, Arc<TypeReadState>>,
    randomized_tag: i64,
    origin_tag: i64,
    header_tags: BTreeMap<String, String>,
}

/// Read one type section's schema and shard envelope.
fn read_section_start(r: &mut ByteReader<'_>) -> Result<(Schema, u32, u64)> {
    let at = r.position();
    let schema = codec::read_schema(r)?;
    let num_shards = envelope::read_num_shards(r).map_err(|e| e.in_type(schema.name()))?;
    Ok((schema, num_shards, at))
}

fn read_num_types(r: &mut ByteReader<'_>) -> Result<usize> {
    let n = r.varint_count("number of type sections")?;
    // A type section is at least a few bytes, so the count cannot exceed what remains.
    r.check_len(n as u64, 1, "type sections")
}

impl ReadStateEngine {
    /// Load a snapshot blob. Bytes after the last type section are ignored (forward compatibility).
    ///
    /// Large snapshots are decoded on several threads, type by type (see [`crate::parallelism`]),
    /// with the same result and the same errors as on one (see `read/parallel_load.rs`).
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`](crate::Error::CorruptBlob) for a blob that is truncated, not a snapshot or
    /// otherwise malformed; [`Error::Schema`](crate::Error::Schema) for schemas that do not decode.
    ///
    /// The blob is copied once, whole, into a buffer the state reads in place (see
    /// [`from_snapshot_buffer`](Self::from_snapshot_buffer)); to load without that copy, hand over
    /// the blob with [`from_snapshot_owned`](Self::from_snapshot_owned).
    pub fn from_snapshot(blob: &[u8]) -> Result<Self> {
        let buffer = BlobBuffer::copy_of(blob).map_err(|e| Error::io("allocating a buffer for a snapshot", e))?;
        Self::from_snapshot_buffer(buffer)
    }

    /// Load a snapshot blob held in memory, without copying it: the state reads its records in
    /// place and keeps the blob alive (until deltas have replaced most of it: see
    /// `read/retention.rs`). The blob is never written.
    ///
    /// # Errors
    ///
    /// As [`from_snapshot`](Self::from_snapshot).
    pub fn from_snapshot_owned(blob: Arc<[u8]>) -> Result<Self> {
        Self::from_snapshot_buffer(BlobBuffer::shared(blob))
    }

    /// Load the snapshot blob in `buffer`, reading its records in place; the state keeps the buffer
    /// alive as [`from_snapshot_owned`](Self::from_snapshot_owned) does.
    ///
    /// # Errors
    ///
    /// As [`from_snapshot`](Self::from_snapshot).
    pub fn from_snapshot_buffer(buffer: BlobBuffer) -> Result<Self> {
        Self::from_snapshot_buffer_with(buffer, &[] as &[Follower<'_, ()>]).map(|(state, _)| state)
    }

    /// [`from_snapshot_buffer`](Self::from_snapshot_buffer), and each follower run on the result: the
    /// state and the followers' results, in order. A follower starts as soon as the types it reads
    /// are loaded, beside the snapshot's other types (see [`Follower`]): building an index this way
    /// overlaps the load instead of following all of it.
    ///
    /// # Errors
    ///
    /// As [`from_snapshot`](Self::from_snapshot); no follower's result is returned then.
    pub fn from_snapshot_buffer_with<T: Send>(
        buffer: BlobBuffer,
        followers: &[Follower<'_, T>],
    ) -> Result<(Self, Vec<T>)> {
        Self::load_snapshot(ByteReader::over(&Backing::Buffer(buffer)), followers)
    }

    /// Load the snapshot file at `path`: read into memory ([`MappingMode::Copy`]: one read into a
    /// buffer on huge pages that the state then reads in place, see [`BlobBuffer::read_file`]), or
    /// mapped and read in place ([`MappingMode::Shared`]; see [`crate::mapped`] for what that asks
    /// of the file).
    ///
    /// # Errors
    ///
    /// As [`from_snapshot`](Self::from_snapshot); [`Error::Io`](crate::Error::Io) when the file cannot be
    /// read or mapped; [`Error::IntegrityCheckFailed`](crate::Error::IntegrityCheckFailed) when a mapped
    /// file changed while it loaded.
    pub fn from_snapshot_file(path: &Path, mode: MappingMode) -> Result<Self> {
        Self::from_snapshot_file_with(path, mode, &[] as &[Follower<'_, ()>]).map(|(state, _)| state)
    }

    /// [`from_snapshot_file`](Self::from_snapshot_file) with followers, as
    /// [`from_snapshot_buffer_with`](Self::from_snapshot_buffer_with).
    ///
    /// # Errors
    ///
    /// As [`from_snapshot_file`](Self::from_snapshot_file); no follower's result is returned then.
    pub fn from_snapshot_file_with<T: Send>(
        path: &Path,
        mode: MappingMode,
        followers: &[Follower<'_, T>],
    ) -> Result<(Self, Vec<T>)> {
        match mode {
            MappingMode::Copy => {
                let buffer =
                    BlobBuffer::read_file(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
                Self::from_snapshot_buffer_with(buffer, followers)
            }
            MappingMode::Shared => Self::load_mapped(&SnapshotFile::open(path)?, followers),
        }
    }

    /// Load a mapped snapshot file, reading its records in place. The state keeps the mapping alive.
    ///
    /// # Errors
    ///
    /// As [`from_snapshot_file`](Self::from_snapshot_file).
    pub fn from_snapshot_mapped(file: &SnapshotFile) -> Result<Self> {
        Self::load_mapped(file, &[] as &[Follower<'_, ()>]).map(|(state, _)| state)
    }

    /// The snapshot `file` maps, read in place, checked unchanged once loaded; and the followers'
    /// results on it.
    fn load_mapped<T: Send>(file: &SnapshotFile, followers: &[Follower<'_, T>]) -> Result<(Self, Vec<T>)> {
        let loaded = Self::load_snapshot(ByteReader::over(&Backing::File(Arc::clone(file.mapping()))), followers)?;
        file.check_unchanged()?;
        Ok(loaded)
    }

    /// The snapshot `r` reads, and the followers' results on it. Windows into a buffer the state
    /// would read too little of are copied out before the followers' results are settled (see
    /// [`Schedule::finish`]).
    fn load_snapshot<T: Send>(mut r: ByteReader<'_>, followers: &[Follower<'_, T>]) -> Result<(Self, Vec<T>)> {
        let blob_len = r.remaining();
        let header = BlobHeader::read(&mut r)?;
        let num_types = read_num_types(&mut r)?;
        let with_types = |types| Self::with_header(&header, types);
        let none_before = BTreeMap::new();
        let threads = parallel_load::section_threads(blob_len, num_types);
        let sections = (threads > 1).then(|| Self::walk_sections(&r, num_types, false)).flatten();
        // The types each follower reads, named from the snapshot's schemas.
        let resolved: Vec<Vec<String>> = match &sections {
            Some(sections) if !followers.is_empty() => {
                let schemas: Vec<Schema> = sections.iter().map(|s| s.schema.clone()).collect();
                followers.iter().map(|f| f.types_in(&schemas.as_slice())).collect()
            }
            _ => Vec::new(),
        };
        let parallel = sections.as_deref().and_then(|sections| {
            // A snapshot naming a type twice is loaded sequentially, which reports it.
            let names = parallel_load::distinct_types(sections)?;
            let waiting = Follower::waiting(followers, &resolved);
            let schedule = Schedule::new(waiting, &none_before, &names, &with_types);
            let types = parallel_load::decode(sections, threads, &schedule, Self::read_type_snapshot)?;
            Some(types.map(|types| (types, schedule)))
        });
        let (types, schedule) = match parallel {
            Some(loaded) => {
                let (types, schedule) = loaded?;
                (types, Some(schedule))
            }
            None => (Self::read_types_in_order(&mut r, num_types)?, None),
        };
        Ok(Self::settle(types, &with_types, schedule, followers))
    }

    /// A state of `types`, tagged as the blob with `header` leaves it.
    fn with_header(header: &BlobHeader, types: BTreeMap<String, Arc<TypeReadState>>) -> Self {
        ReadStateEngine {
            types,
            randomized_tag: header.destination_tag,
            origin_tag: header.origin_tag,
            header_tags: header.tags.clone(),
        }
    }

    /// The type sections of a snapshot, one after the other.
    fn read_types_in_order(r: &mut ByteReader<'_>, num_types: usize) -> Result<BTreeMap<String, Arc<TypeReadState>>> {
        let mut types = BTreeMap::new();
        for _ in 0..num_types {
            let (schema, num_shards, at) = read_section_start(r)?;
            let name = schema.name().to_owned();
            let state = Self::read_type_snapshot(r, schema, num_shards).map_err(|e| e.in_type(&name))?;
            if types.insert(name.clone(), Arc::new(state)).is_some() {
                return Err(Error::corrupt(format!("type {name} appears twice in the snapshot"), at));
            }
        }
        Ok(types)
    }

    fn read_type_snapshot(r: &mut ByteReader<'_>, schema: Schema, num_shards: u32) -> Result<TypeReadState> {
        Ok(match schema {
            Schema::Object(s) => TypeReadState::Object(ObjectTypeReadState::read_snapshot(r, s, num_shards)?),
            Schema::List(s) => TypeReadState::List(ListTypeReadState::read_snapshot(r, s, num_shards)?),
            Schema::Set(s) => TypeReadState::Set(SetTypeReadState::read_snapshot(r, s, num_shards)?),
            Schema::Map(s) => TypeReadState::Map(MapTypeReadState::read_snapshot(r, s, num_shards)?),
        })
    }

    /// Apply a delta or reverse delta blob, returning the new state. `self` is not modified. Fails with
    /// [`Error::TagMismatch`] if the blob was not produced from this state.
    ///
    /// Types the delta does not mention are shared unchanged. Types the delta has but this state does
    /// not (new types, filtered types) are skipped: new types only appear with a snapshot. A type whose
    /// shard count differs from the delta's is resharded first. Records removed by the delta stop being
    /// populated at once but stay readable until the next delta that touches their type.
    ///
    /// On a large state the delta's types are applied on several threads (see
    /// [`crate::parallelism`]), with the same result and the same errors as on one.
    ///
    /// # Errors
    ///
    /// [`Error::CorruptBlob`](crate::Error::CorruptBlob) for a malformed delta;
    /// [`Error::TagMismatch`](crate::Error::TagMismatch) when the delta does not start at this state (its
    /// origin tag differs).
    pub fn apply_delta(&self, blob: &[u8]) -> Result<Self> {
        self.apply(blob, DeltaDirection::Forward, &[] as &[Follower<'_, ()>]).map(|(state, _)| state)
    }

    /// Apply a reverse delta (from this state's version back to the previous one), returning the new
    /// state, as [`ReadStateEngine::apply_delta`] does. A reverse delta adds back records of the older
    /// version at the ordinals they had then, which a state reached by walking back cannot foresee, so
    /// its added ordinals are not held to a forward delta's growth bound.
    ///
    /// # Errors
    ///
    /// As [`ReadStateEngine::apply_delta`].
    pub fn apply_reverse_delta(&self, blob: &[u8]) -> Result<Self> {
        self.apply(blob, DeltaDirection::Reverse, &[] as &[Follower<'_, ()>]).map(|(state, _)| state)
    }

    /// [`apply_delta`](Self::apply_delta), and each follower run on the result: the new state and
    /// the followers' results, in order. A follower starts as soon as the types it reads have their
    /// new states, beside the delta's other types (see [`Follower`]): moving an index across a
    /// delta this way overlaps the delta instead of following all of it.
    ///
    /// # Errors
    ///
    /// As [`ReadStateEngine::apply_delta`]; no follower's result is returned then.
    pub fn apply_delta_with<T: Send>(&self, blob: &[u8], followers: &[Follower<'_, T>]) -> Result<(Self, Vec<T>)> {
        self.apply(blob, DeltaDirection::Forward, followers)
    }

    /// [`apply_reverse_delta`](Self::apply_reverse_delta) with followers, as
    /// [`apply_delta_with`](Self::apply_delta_with).
    ///
    /// # Errors
    ///
    /// As [`ReadStateEngine::apply_delta`]; no follower's result is returned then.
    pub fn apply_reverse_delta_with<T: Send>(
        &self,
        blob: &[u8],
        followers: &[Follower<'_, T>],
    ) -> Result<(Self, Vec<T>)> {
        self.apply(blob, DeltaDirection::Reverse, followers)
    }

    fn apply<T: Send>(
        &self,
        blob: &[u8],
        direction: DeltaDirection,
        followers: &[Follower<'_, T>],
    ) -> Result<(Self, Vec<T>)> {
        let mut r = ByteReader::new(blob);
        let header = BlobHeader::read(&mut r)?;
        if header.origin_tag != self.randomized_tag {
            return Err(Error::TagMismatch { origin: header.origin_tag, current: self.randomized_tag });
        }
        let num_types = read_num_types(&mut r)?;
        let with_types = |types| Self::with_header(&header, types);
        let apply_section = |r: &mut ByteReader<'_>, schema: &Schema, num_shards: u32, at: u64| {
            Self::apply_section(&self.types, r, direction, schema, num_shards, at)
        };
        let threads = parallel_load::section_threads(self.storage_bytes(), num_types);
        let sections = (threads > 1).then(|| Self::walk_sections(&r, num_types, true)).flatten();
        // A delta never changes a schema: the state's name the types its followers read.
        let resolved: Vec<Vec<String>> =
            if sections.is_some() { followers.iter().map(|f| f.types_in(self)).collect() } else { Vec::new() };
        let parallel = sections.as_deref().and_then(|sections| {
            let mut names = parallel_load::distinct_types(sections)?;
            // A section of a type this state lacks is skipped: it is never done.
            names.retain(|t| self.types.contains_key(*t));
            let waiting = Follower::waiting(followers, &resolved);
            let schedule = Schedule::new(waiting, &self.types, &names, &with_types);
            let types = parallel_load::apply(sections, threads, self.types.clone(), &schedule, apply_section)?;
            Some(types.map(|types| (types, schedule)))
        });
        let (types, schedule) = match parallel {
            Some(applied) => {
                let (types, schedule) = applied?;
                (types, Some(schedule))
            }
            None => {
                let mut types = self.types.clone();
                for _ in 0..num_types {
                    let (schema, num_shards, at) = read_section_start(&mut r)?;
                    let name = schema.name().to_owned();
                    // A type named twice applies to what its first section made.
                    let state = Self::apply_section(&types, &mut r, direction, &schema, num_shards, at);
                    if let Some(next) = state.map_err(|e| e.in_type(&name))? {
                        types.insert(name, Arc::new(next));
                    }
                }
                (types, None)
            }
        };
        Ok(Self::settle(types, &with_types, schedule, followers))
    }

    /// The last step of a load or delta: windows into buffers the state would read too little of
    /// copied out (`retention.rs`), then the followers' results on the state: those of `schedule`
    /// (which reruns any whose view no longer holds the result's states), or, without one, every
    /// follower run on the state now.
    fn settle<T: Send>(
        mut types: BTreeMap<String, Arc<TypeReadState>>,
        with_types: &dyn Fn(BTreeMap<String, Arc<TypeReadState>>) -> Self,
        schedule: Option<Schedule<'_, Self, T>>,
        followers: &[Follower<'_, T>],
    ) -> (Self, Vec<T>) {
        release_sparse_buffers(&mut types);
        let result = with_types(types);
        let outputs = match schedule {
            Some(schedule) => schedule.finish(&result, &result.types),
            None => follow::run_on(&followers.iter().map(|f| &*f.run).collect::<Vec<_>>(), &result),
        };
        (result, outputs)
    }

    /// One delta section applied to its type in `types`: the type's next state, or `None` for a
    /// type `types` does not have (its section skipped).
    fn apply_section(
        types: &BTreeMap<String, Arc<TypeReadState>>,
        r: &mut ByteReader<'_>,
        direction: DeltaDirection,
        schema: &Schema,
        num_shards: u32,
        at: u64,
    ) -> Result<Option<TypeReadState>> {
        match types.get(schema.name()) {
            Some(state) => Self::apply_type_delta(r, direction, state, schema, num_shards, at).map(Some),
            None => Self::discard_type(r, schema, num_shards, true).map(|()| None),
        }
    }

    fn apply_type_delta(
        r: &mut ByteReader<'_>,
        direction: DeltaDirection,
        state: &TypeReadState,
        schema: &Schema,
        num_shards: u32,
        at: u64,
    ) -> Result<TypeReadState> {
        Ok(match (state, schema) {
            (TypeReadState::Object(s), Schema::Object(d)) => {
                TypeReadState::Object(s.apply_delta(r, direction, d, num_shards)?)
            }
            (TypeReadState::List(s), Schema::List(_)) => TypeReadState::List(s.apply_delta(r, direction, num_shards)?),
            (TypeReadState::Set(s), Schema::Set(_)) => TypeReadState::Set(s.apply_delta(r, direction, num_shards)?),
            (TypeReadState::Map(s), Schema::Map(_)) => TypeReadState::Map(s.apply_delta(r, direction, num_shards)?),
            _ => return Err(kind_mismatch(schema.name(), state.schema().kind().name(), schema.kind().name(), at)),
        })
    }

    /// The bounds of the `num_types` sections of a snapshot or delta (`delta`) from `r`, found by
    /// skipping each by its length fields; `None` if any is damaged.
    fn walk_sections<'a>(r: &ByteReader<'a>, num_types: usize, delta: bool) -> Option<Vec<parallel_load::Section<'a>>> {
        let skip =
            |r: &mut ByteReader<'a>, schema: &Schema, num_shards| Self::discard_type(r, schema, num_shards, delta);
        parallel_load::walk(r.clone(), num_types, read_section_start, skip)
    }

    /// Skip a type body by its length fields.
    fn discard_type(r: &mut ByteReader<'_>, schema: &Schema, num_shards: u32, delta: bool) -> Result<()> {
        match schema {
            Schema::Object(s) => ObjectTypeReadState::discard(r, s, num_shards, delta),
            Schema::List(_) => CollectionState::discard(r, CollectionKind::List, num_shards, delta),
            Schema::Set(_) => CollectionState::discard(r, CollectionKind::Set, num_shards, delta),
            Schema::Map(_) => CollectionState::discard(r, CollectionKind::Map, num_shards, delta),
        }
    }

    /// Bytes of every type's record arrays, as a measure of the work a delta touching them all does.
    fn storage_bytes(&self) -> usize {
        let mut bytes = 0;
        for state in self.types() {
            state.for_each_storage(&mut |b| bytes += b.len());
        }
        bytes
    }

    /// Number of shards, over all types, whose records are read in place from a file mapping: all of
    /// them after a mapped load, those no delta has touched since.
    pub fn mapped_shards(&self) -> usize {
        self.types().map(TypeReadState::mapped_shards).sum()
    }

    /// Bytes of the blob buffers this state reads records from in place, each buffer counted once
    /// (0 for a state whose arrays are all its own or in a file mapping). See `read/retention.rs` for
    /// how long a buffer stays.
    pub fn blob_buffer_bytes(&self) -> usize {
        let mut buffers = std::collections::HashMap::new();
        for state in self.types() {
            state.for_each_storage(&mut |bytes| {
                if let Some(buffer) = bytes.buffer() {
                    buffers.insert(buffer.id(), buffer.held_bytes());
                }
            });
        }
        buffers.values().sum()
    }

    /// The randomized tag identifying this state (the destination tag of the last blob applied).
    pub fn randomized_tag(&self) -> i64 {
        self.randomized_tag
    }

    /// The origin tag of the last blob applied (`-1` for a chain's first snapshot).
    pub fn origin_tag(&self) -> i64 {
        self.origin_tag
    }

    /// Header tags of the last blob applied (for a reverse delta: of its destination state).
    pub fn header_tags(&self) -> &BTreeMap<String, String> {
        &self.header_tags
    }

    /// Names of all types, sorted.
    pub fn type_names(&self) -> Vec<&str> {
        self.types.keys().map(String::as_str).collect()
    }

    /// All type states, sorted by name.
    pub fn types(&self) -> impl Iterator<Item = &TypeReadState> {
        self.types.values().map(|t| &**t)
    }

    /// All schemas, sorted by type name.
    pub fn schemas(&self) -> impl Iterator<Item = &Schema> {
        self.types().map(TypeReadState::schema)
    }

    /// A type's state.
    pub fn type_state(&self, name: &str) -> Option<&TypeReadState> {
        self.types.get(name).map(|t| &**t)
    }

    /// A type's state, shared: the handle stays valid (and reads this version of the type) on its own,
    /// so a caller reading one type many times can keep it instead of looking the type up by name.
    pub fn type_state_shared(&self, name: &str) -> Option<Arc<TypeReadState>> {
        self.types.get(name).cloned()
    }

    /// A type's schema.
    pub fn schema(&self, name: &str) -> Option<&Schema> {
        self.type_state(name).map(TypeReadState::schema)
    }

    /// An OBJECT type's state.
    pub fn object(&self, name: &str) -> Option<&ObjectTypeReadState> {
        match self.type_state(name)? {
            TypeReadState::Object(s) => Some(s),
            _ => None,
        }
    }

    /// A LIST type's state.
    pub fn list(&self, name: &str) -> Option<&ListTypeReadState> {
        match self.type_state(name)? {
            TypeReadState::List(s) => Some(s),
            _ => None,
        }
    }

    /// A SET type's state.
    pub fn set(&self, name: &str) -> Option<&SetTypeReadState> {
        match self.type_state(name)? {
            TypeReadState::Set(s) => Some(s),
            _ => None,
        }
    }

    /// A MAP type's state.
    pub fn map(&self, name: &str) -> Option<&MapTypeReadState> {
        match self.type_state(name)? {
            TypeReadState::Map(s) => Some(s),
            _ => None,
        }
    }

    /// True when this engine and `other` share the state of type `name` (the delta between them did not
    /// touch it). Useful to check that untouched types are not copied.
    pub fn shares_type_with(&self, other: &ReadStateEngine, name: &str) -> bool {
        match (self.types.get(name), other.types.get(name)) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// The schemas of a read state, for resolving key paths (hash keys, primary keys, indexes) and for the
/// mapper's JSON input.
impl SchemaLookup for ReadStateEngine {
    fn schema(&self, name: &str) -> Option<&Schema> {
        ReadStateEngine::schema(self, name)
    }
}

/// Work to run on a snapshot's or a delta's result that reads only some of its types: given to
/// [`ReadStateEngine::from_snapshot_buffer_with`], [`ReadStateEngine::from_snapshot_file_with`] or
/// [`ReadStateEngine::apply_delta_with`], it starts as soon as those types have their new states,
/// beside the blob's other types (see `read/follow.rs` for why its result is the same as on the
/// whole result).
pub struct Follower<'f, T> {
    types: FollowerTypes<'f>,
    run: Box<dyn Fn(&ReadStateEngine) -> T + Send + Sync + 'f>,
}

/// Names the types a follower reads, given the result's schemas.
type TypesFromSchemas<'f> = Box<dyn Fn(&dyn SchemaLookup) -> Vec<String> + Send + Sync + 'f>;

/// The types a follower reads: named, or found from the blob's schemas.
enum FollowerTypes<'f> {
    Named(Vec<String>),
    FromSchemas(TypesFromSchemas<'f>),
}

impl<'f, T> Follower<'f, T> {
    /// `run` is given the result, or a view of it that holds the named `types` (those the result
    /// has) and no others, with the result's tags. It may run on another thread, beside the blob's
    /// remaining types, and it may run twice: early on a view, then on the result if the load's or
    /// delta's last step replaced a state the view held (only the second result is kept). So it
    /// must read no other type and have no effect beyond its result.
    pub fn new<S: Into<String>>(
        types: impl IntoIterator<Item = S>,
        run: impl Fn(&ReadStateEngine) -> T + Send + Sync + 'f,
    ) -> Self {
        let types = FollowerTypes::Named(types.into_iter().map(Into::into).collect());
        Follower { types, run: Box::new(run) }
    }

    /// A follower whose types depend on the schemas, which a snapshot's reader knows only once it
    /// has walked the blob: `types` is given the result's schemas (a snapshot's, or the state's a
    /// delta applies to) and names the types `run` reads, as for [`new`](Self::new). A follower
    /// whose types cannot be named (an index whose key does not resolve: `types` returns none) runs
    /// on the whole result.
    pub fn from_schemas(
        types: impl Fn(&dyn SchemaLookup) -> Vec<String> + Send + Sync + 'f,
        run: impl Fn(&ReadStateEngine) -> T + Send + Sync + 'f,
    ) -> Self {
        Follower { types: FollowerTypes::FromSchemas(Box::new(types)), run: Box::new(run) }
    }

    /// `followers` as a load's or delta's schedule sees them, each with the types it reads
    /// (`types[i]` for `followers[i]`).
    fn waiting<'s>(followers: &'s [Self], types: &'s [Vec<String>]) -> Vec<Waiting<'s, ReadStateEngine, T>> {
        followers.iter().zip(types).map(|(f, types)| Waiting { types, run: &*f.run }).collect()
    }

    /// The types `run` reads, in a dataset of `schemas`.
    pub fn types_in(&self, schemas: &dyn SchemaLookup) -> Vec<String> {
        match &self.types {
            FollowerTypes::Named(types) => types.clone(),
            FollowerTypes::FromSchemas(types) => types(schemas),
        }
    }
}

impl<T> std::fmt::Debug for Follower<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let types = match &self.types {
            FollowerTypes::Named(types) => format!("{types:?}"),
            FollowerTypes::FromSchemas(_) => "from the schemas".to_owned(),
        };
        f.debug_struct("Follower").field("types", &types).finish_non_exhaustive()
    }
}

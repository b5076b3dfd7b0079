//! [`ReadState`]: one version of the dataset as consumers read it, with its indexes.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use crate::error::{Error, Result};
use crate::index::{key_types, HashIndex, KeyValue, PathRules, PrimaryKeyIndex};
use crate::read::{Follower, ReadStateEngine};
use crate::store::{Blob, BlobType, Version};

pub use crate::schema::STRING_TYPE;

/// Which index: a type, and key field paths (empty: the schema's primary key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndexSpec {
    /// A unique index.
    PrimaryKey {
        /// The indexed type.
        type_name: String,
        /// Key field paths; empty for the type's schema primary key.
        fields: Vec<String>,
    },
    /// A multi-valued index.
    Hash {
        /// The indexed type.
        type_name: String,
        /// Key field paths.
        fields: Vec<String>,
    },
}

impl IndexSpec {
    /// The indexed type.
    pub fn type_name(&self) -> &str {
        let (IndexSpec::PrimaryKey { type_name, .. } | IndexSpec::Hash { type_name, .. }) = self;
        type_name
    }
}

impl IndexSpec {
    /// Whether this is the spec of that kind, type and fields (compared without building a spec, so
    /// that finding an existing index does not allocate).
    fn is(&self, primary_key: bool, type_name: &str, fields: &[&str]) -> bool {
        let (t, f) = match self {
            IndexSpec::PrimaryKey { type_name, fields } if primary_key => (type_name, fields),
            IndexSpec::Hash { type_name, fields } if !primary_key => (type_name, fields),
            _ => return false,
        };
        t == type_name && f.len() == fields.len() && f.iter().zip(fields).all(|(a, b)| a == b)
    }
}

/// An index build's result and how long it took.
pub(crate) type Built = (Result<AnyIndex>, Duration);

#[derive(Debug, Clone)]
pub(crate) enum AnyIndex {
    PrimaryKey(Arc<PrimaryKeyIndex>),
    Hash(Arc<HashIndex>),
}

impl AnyIndex {
    fn build(spec: &IndexSpec, engine: &ReadStateEngine) -> Result<Self> {
        Ok(match spec {
            IndexSpec::PrimaryKey { type_name, fields } if fields.is_empty() => {
                AnyIndex::PrimaryKey(Arc::new(PrimaryKeyIndex::new(engine, type_name)?))
            }
            IndexSpec::PrimaryKey { type_name, fields } => {
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                AnyIndex::PrimaryKey(Arc::new(PrimaryKeyIndex::with_fields(engine, type_name, &fields)?))
            }
            IndexSpec::Hash { type_name, fields } => {
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                AnyIndex::Hash(Arc::new(HashIndex::new(engine, type_name, &fields)?))
            }
        })
    }

    /// Building `spec`'s index as a snapshot loads (see [`Follower::from_schemas`]), in a span of its
    /// own under `parent`, timed.
    fn build_follower<'a>(spec: &'a IndexSpec, parent: &'a tracing::Span) -> Follower<'a, Built> {
        Follower::from_schemas(
            move |schemas| {
                let (IndexSpec::PrimaryKey { type_name, fields } | IndexSpec::Hash { type_name, fields }) = spec;
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                let rules = if matches!(spec, IndexSpec::PrimaryKey { .. }) {
                    PathRules::PrimaryKey
                } else {
                    PathRules::HashIndex
                };
                key_types(schemas, type_name, &fields, rules)
            },
            move |engine| in_index_span(parent, spec, || AnyIndex::build(spec, engine)),
        )
    }

    fn types_read(&self) -> Vec<&str> {
        match self {
            AnyIndex::PrimaryKey(i) => i.types_read().collect(),
            AnyIndex::Hash(i) => i.types_read().collect(),
        }
    }

    fn updated(&self, from: &ReadStateEngine, to: &ReadStateEngine) -> Result<Self> {
        Ok(match self {
            AnyIndex::PrimaryKey(i) => AnyIndex::PrimaryKey(Arc::new(i.updated(from, to)?)),
            AnyIndex::Hash(i) => AnyIndex::Hash(Arc::new(i.updated(from, to)?)),
        })
    }
}

/// One version of the dataset, as consumers read it. Holding it (an `Arc`, cheap to clone) pins the
/// version: its records and indexes stay valid however the consumer moves on.
///
/// Indexes are built on first use ([`primary_key_index`](Self::primary_key_index),
/// [`hash_index`](Self::hash_index)) and from then on kept current by the consumer across refreshes,
/// at a cost that follows the size of each change.
pub struct ReadState {
    version: Version,
    engine: ReadStateEngine,
    /// Copy-on-write, so lookups of an existing index never lock. A list: a state holds a few
    /// indexes, and a scan of a few specs beats hashing one.
    indexes: ArcSwap<Vec<(IndexSpec, AnyIndex)>>,
    /// Serializes index builds, so two threads asking for the same index build it once.
    build: Mutex<()>,
}

impl std::fmt::Debug for ReadState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadState")
            .field("version", &self.version)
            .field("indexes", &self.indexes.load().len())
            .finish()
    }
}

impl ReadState {
    /// A read state over `engine` at `version`, with no indexes yet.
    pub fn new(version: Version, engine: ReadStateEngine) -> Self {
        ReadState { version, engine, indexes: ArcSwap::from_pointee(Vec::new()), build: Mutex::new(()) }
    }

    /// A read state over a snapshot's `engine` at `version`, with the indexes of `specs` that
    /// [`index_followers`](Self::index_followers) built as it loaded (`built`, in the same order).
    /// `took` hears each index's time and result, failures included; a failed index is left out
    /// (it is rebuilt on next use if it can be).
    pub(crate) fn with_built_indexes(
        version: Version,
        engine: ReadStateEngine,
        specs: &[IndexSpec],
        built: Vec<Built>,
        took: &mut dyn FnMut(&IndexSpec, Duration, Result<()>),
    ) -> Self {
        let state = ReadState::new(version, engine);
        let mut indexes = Vec::with_capacity(specs.len());
        for (spec, (index, elapsed)) in specs.iter().zip(built) {
            match index {
                Ok(index) => {
                    indexes.push((spec.clone(), index));
                    took(spec, elapsed, Ok(()));
                }
                Err(e) => took(spec, elapsed, Err(e)),
            }
        }
        state.indexes.store(Arc::new(indexes));
        state
    }

    /// Work that builds the indexes of `specs` (distinct) beside a snapshot's load, for
    /// [`ReadStateEngine::from_snapshot_buffer_with`]: each starts as soon as the types its key
    /// reads are loaded. Their results go to [`with_built_indexes`](Self::with_built_indexes).
    pub(crate) fn index_followers<'a>(specs: &'a [IndexSpec], parent: &'a tracing::Span) -> Vec<Follower<'a, Built>> {
        specs.iter().map(|spec| AnyIndex::build_follower(spec, parent)).collect()
    }

    /// The version this state holds.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The underlying read state engine (typed access to every type).
    pub fn engine(&self) -> &ReadStateEngine {
        &self.engine
    }

    /// Number of strings in the simple string dataset (records of type `String`); 0 if there is none.
    pub fn size(&self) -> usize {
        self.engine.object(STRING_TYPE).map_or(0, |t| t.populated().count())
    }

    /// The string `key` if the simple string dataset holds it. Lookups go through a primary-key
    /// index on `String.value`, built on first use.
    pub fn get(&self, key: &str) -> Option<Cow<'_, str>> {
        let ordinal = self.string_ordinal(key)?;
        self.engine.object(STRING_TYPE)?.read_string(ordinal, 0)
    }

    /// True if the simple string dataset holds `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.string_ordinal(key).is_some()
    }

    fn string_ordinal(&self, key: &str) -> Option<u32> {
        self.engine.object(STRING_TYPE)?;
        let index = self.primary_key_index_on(STRING_TYPE, &["value"]).ok()?;
        index.get(&self.engine, &[KeyValue::from(key)])
    }

    /// The primary-key index of `type_name` on its schema's primary key.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) when the state has no OBJECT type `type_name`,
    /// [`Error::Schema`](crate::Error::Schema) when it has no primary key or the key does not resolve.
    pub fn primary_key_index(&self, type_name: &str) -> Result<Arc<PrimaryKeyIndex>> {
        self.primary_key_index_on(type_name, &[])
    }

    /// A unique index of `type_name` on the given key field paths.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) when the state has no OBJECT type `type_name`,
    /// [`Error::SchemaMismatch`](crate::Error::SchemaMismatch) when a path does not resolve against its
    /// schemas.
    pub fn primary_key_index_on(&self, type_name: &str, fields: &[&str]) -> Result<Arc<PrimaryKeyIndex>> {
        match self.find_or_build_index(true, type_name, fields)? {
            AnyIndex::PrimaryKey(i) => Ok(i),
            AnyIndex::Hash(_) => unreachable!("a primary-key spec maps to a primary-key index"),
        }
    }

    /// A hash index (multi-valued) of `type_name` on the given key field paths.
    ///
    /// # Errors
    ///
    /// As [`primary_key_index_on`](Self::primary_key_index_on): an unknown type or a path that does not
    /// resolve.
    pub fn hash_index(&self, type_name: &str, fields: &[&str]) -> Result<Arc<HashIndex>> {
        match self.find_or_build_index(false, type_name, fields)? {
            AnyIndex::Hash(i) => Ok(i),
            AnyIndex::PrimaryKey(_) => unreachable!("a hash spec maps to a hash index"),
        }
    }

    fn find_or_build_index(&self, primary_key: bool, type_name: &str, fields: &[&str]) -> Result<AnyIndex> {
        let find = |indexes: &[(IndexSpec, AnyIndex)]| {
            indexes.iter().find(|(spec, _)| spec.is(primary_key, type_name, fields)).map(|(_, i)| i.clone())
        };
        if let Some(i) = find(&self.indexes.load()) {
            return Ok(i);
        }
        let (type_name, fields) = (type_name.to_owned(), to_strings(fields));
        let spec = match primary_key {
            true => IndexSpec::PrimaryKey { type_name, fields },
            false => IndexSpec::Hash { type_name, fields },
        };
        self.build_index(spec)
    }

    fn build_index(&self, spec: IndexSpec) -> Result<AnyIndex> {
        let _building = self.build.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, i)) = self.indexes.load().iter().find(|(s, _)| *s == spec) {
            return Ok(i.clone());
        }
        let index = AnyIndex::build(&spec, &self.engine)?;
        let mut next = Vec::clone(&self.indexes.load());
        next.push((spec, index.clone()));
        self.indexes.store(Arc::new(next));
        Ok(index)
    }

    /// Make sure every index of `specs` exists, building those missing side by side (up to
    /// [`max_threads`](crate::parallelism::max_threads) at a time): after a snapshot, each declared
    /// index is a pass over its type's records, independent of the others. Each spec's result, in
    /// the order given (`None` for one already present, or given twice); a failed build leaves the
    /// others in place.
    pub(crate) fn ensure_indexes(&self, specs: &[IndexSpec]) -> Vec<Option<(Result<()>, Duration)>> {
        let _building = self.build.lock().unwrap_or_else(|e| e.into_inner());
        let present = self.indexes.load();
        // Positions in `specs` of the indexes to build.
        let missing: Vec<usize> = (0..specs.len())
            .filter(|&i| !present.iter().any(|(p, _)| *p == specs[i]) && !specs[..i].contains(&specs[i]))
            .collect();
        let threads = crate::parallelism::max_threads().min(missing.len()).max(1);
        let order: Vec<usize> = (0..missing.len()).collect();
        let built: Vec<Built> = crate::parallelism::run_jobs(&order, threads, |job| {
            let started = Instant::now();
            (AnyIndex::build(&specs[missing[job]], &self.engine), started.elapsed())
        });
        let mut results: Vec<Option<(Result<()>, Duration)>> = specs.iter().map(|_| None).collect();
        let mut next = Vec::clone(&present);
        for (&at, (index, took)) in missing.iter().zip(built) {
            results[at] = Some(match index {
                Ok(index) => {
                    next.push((specs[at].clone(), index));
                    (Ok(()), took)
                }
                Err(e) => (Err(e), took),
            });
        }
        self.indexes.store(Arc::new(next));
        results
    }

    /// The state a delta or reverse delta `blob` from this state leads to, with this
    /// state's indexes carried over. Each index moves as soon as its types have their new states,
    /// beside the rest of the delta (see [`Follower`]). An index that cannot be carried over (its
    /// type is gone, or its rebuild failed) is dropped: it is rebuilt on next use if it can be.
    /// `took` hears how long each index took, and whether it was carried.
    pub(crate) fn next_by_delta(
        &self,
        blob: &Blob,
        took: &mut dyn FnMut(&IndexSpec, Duration, Result<()>),
    ) -> Result<ReadState> {
        let current = self.indexes.load();
        // Each index moves in a span of its own under the blob's, on whichever thread moves it.
        let blob_span = tracing::Span::current();
        let followers: Vec<Follower<'_, (Result<AnyIndex>, Duration)>> = current
            .iter()
            .map(|(spec, index)| {
                let blob_span = &blob_span;
                Follower::new(index.types_read(), move |to| {
                    in_index_span(blob_span, spec, || index.updated(&self.engine, to))
                })
            })
            .collect();
        let (engine, moved) = match blob.blob_type {
            BlobType::Delta => self.engine.apply_delta_with(&blob.data, &followers)?,
            BlobType::ReverseDelta => self.engine.apply_reverse_delta_with(&blob.data, &followers)?,
            other => return Err(Error::InvalidArgument(format!("a {other:?} blob is not a delta"))),
        };
        let mut carried = Vec::with_capacity(current.len());
        for ((spec, _), (updated, elapsed)) in current.iter().zip(moved) {
            match updated {
                Ok(updated) => {
                    carried.push((spec.clone(), updated));
                    took(spec, elapsed, Ok(()));
                }
                Err(e) => took(spec, elapsed, Err(e)),
            }
        }
        let next = ReadState::new(blob.to_version, engine);
        next.indexes.store(Arc::new(carried));
        Ok(next)
    }

    /// The specs of the indexes this state holds.
    pub fn index_specs(&self) -> Vec<IndexSpec> {
        self.indexes.load().iter().map(|(spec, _)| spec.clone()).collect()
    }
}

/// `work` on `spec`'s index, in a span of its own under `parent` (the blob's, whichever thread runs
/// it), timed.
fn in_index_span<R>(parent: &tracing::Span, spec: &IndexSpec, work: impl FnOnce() -> R) -> (R, Duration) {
    let _span = tracing::debug_span!(
        target: "hollow::consumer",
        parent: parent,
        "hollow.consumer.update_indexes",
        index_type = spec.type_name(),
    )
    .entered();
    let started = Instant::now();
    let out = work();
    (out, started.elapsed())
}

fn to_strings(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|f| (*f).to_owned()).collect()
}

//! [`PrimaryKeyIndex`]: the record of an OBJECT type with a given key.

use std::sync::Arc;

use super::hasher::KeyHasher;
use super::key::{KeyValue, LeafKind};
use super::overlay::Overlay;
use super::path::PathRules;
use super::shape::{key_types, DirectKey, KeyShape};
use super::source::{ObjectRecords, Source};
use super::table::{plan_update, SlotTable, Update};
use crate::error::{Error, Result};
use crate::read::{Follower, ReadStateEngine, TypeReadState};
use crate::schema::FieldType;

/// Keys a batch lookup prepares ahead of the one it resolves, per stage of its pipeline
/// ([`PrimaryKeyIndex::get_many_each`]): enough that the misses of one stage overlap the work of
/// the others, few enough that the prefetched lines are still in L1 when they are read.
pub(super) const LOOKAHEAD: usize = 16;

/// Finds the record of an OBJECT type by its key: the type's primary key, or any fields given by
/// path (`id`, `title` (expanded to `title.value`), `address.city.value`, `studio!` for the ordinal
/// of the referenced record).
///
/// An index belongs to one version of the dataset: query it with the engine it was built or updated
/// for. Move it to the next version with [`PrimaryKeyIndex::updated`], which costs in proportion to
/// the records that changed and leaves this index valid for the old version.
///
/// If several records share a key (the producer did not enforce the primary key), `get` returns one
/// of them. Records with a null key field are not indexed.
#[derive(Debug, Clone)]
pub struct PrimaryKeyIndex {
    shape: Arc<KeyShape>,
    base: Arc<Base>,
    overlay: Overlay,
    version: i64,
    /// The indexed type's state in the version this index is for, so that lookups need not find
    /// it by name (`None` for sources that do not share states).
    root: HeldType,
}

/// A held type state; its `Debug` names the type instead of dumping its records.
#[derive(Clone, Default)]
struct HeldType(Option<Arc<TypeReadState>>);

impl std::fmt::Debug for HeldType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(t) => write!(f, "HeldType({})", t.name()),
            None => f.write_str("HeldType(None)"),
        }
    }
}

/// The table built at the last full build: (fingerprint, root ordinal) slots.
#[derive(Debug)]
struct Base {
    table: SlotTable,
    entries: usize,
}

impl PrimaryKeyIndex {
    /// Index `type_name` by its schema's primary key.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) when `engine` has no OBJECT type `type_name`,
    /// [`Error::Schema`](crate::Error::Schema) when it has no primary key or the key does not resolve.
    pub fn new(engine: &ReadStateEngine, type_name: &str) -> Result<Self> {
        Self::build_by_schema_key(engine, type_name)
    }

    /// Index `type_name` by the given key field paths.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) when `engine` has no OBJECT type `type_name`,
    /// [`Error::SchemaMismatch`](crate::Error::SchemaMismatch) when a field path does not resolve.
    pub fn with_fields(engine: &ReadStateEngine, type_name: &str, fields: &[&str]) -> Result<Self> {
        Self::build_in(engine, type_name, fields)
    }

    /// The ordinal of the populated record whose key is `key` (one value per key field, in order),
    /// or `None`. A key of the wrong length or with values of the wrong kinds matches nothing.
    /// `engine` must be the version this index is for.
    #[inline(always)]
    pub fn get(&self, engine: &ReadStateEngine, key: &[KeyValue<'_>]) -> Option<u32> {
        self.get_in(engine, key)
    }

    /// [`Self::get`] for a key of one `int` or `long` field given as an `i64` (an `int` field matches
    /// only values that fit in 32 bits). A key of another shape matches nothing, as in `get`.
    ///
    /// `get` matches a key of one integer field as a number too; this skips only making the
    /// [`KeyValue`] slice and checking its length and kind (callgrind, 100k movies, a lookup and title
    /// read as in `hollow-ffi/examples/bench_get.rs`: 449 instructions against 464 through `get`). The
    /// C API's prepared reads, which check the key's shape once, use it.
    #[inline(always)]
    pub fn get_i64(&self, engine: &ReadStateEngine, key: i64) -> Option<u32> {
        let Some([field]) = self.shape.direct() else {
            return self.get_in(engine, &[KeyValue::Long(key)]);
        };
        debug_assert_eq!(engine.version_tag(), self.version, "index used with another version of the dataset");
        let key = match field.kind {
            LeafKind::Value(FieldType::Long) => key,
            LeafKind::Value(FieldType::Int) => i32::try_from(key).ok()? as i64,
            _ => return None,
        };
        // Hashed as `Probe::Int` hashes, which is how the table filed the stored values.
        let mut h = KeyHasher::default();
        h.write_u64(key as u64);
        let hash = h.finish();
        let (field_index, field_type) = (field.field, field.field_type);
        match self.root.0.as_deref().and_then(ReadStateEngine::held_object) {
            Some(object) => self.find(hash, |r| object.integer(r, field_index, field_type) == Some(key)),
            None => self.get_in(engine, &[KeyValue::Long(key)]),
        }
    }

    /// [`Self::get`] for many keys; faster than one call per key because the cache misses of many
    /// keys overlap: the table slots of the next keys, and for keys of inline fields the records they
    /// name, are loaded while the current ones are resolved. On 1M movies (a 52 MB snapshot, far
    /// beyond the cache), 64-91 ns a key against 136-250 ns for `get` in a loop
    /// (`examples/java_compare.rs`, 8 rounds).
    pub fn get_many<'k, K: AsRef<[KeyValue<'k>]>>(&self, engine: &ReadStateEngine, keys: &[K]) -> Vec<Option<u32>> {
        self.get_many_in(engine, keys)
    }

    /// [`Self::get_many`] without the result vector: `found(i, ordinal)` is called for each key, in
    /// order, so that a caller with its own output (a C array, a NumPy array) allocates nothing.
    pub fn get_many_each<'k, K: AsRef<[KeyValue<'k>]>>(
        &self,
        engine: &ReadStateEngine,
        keys: &[K],
        found: impl FnMut(usize, Option<u32>),
    ) {
        self.get_many_each_in(engine, keys, found)
    }

    /// This index moved from version `from` (the one it is for; an error otherwise) to `to`, the
    /// state reached from `from` by one delta or reverse delta. Only the records of the indexed type
    /// that changed are visited; when the changes since the last full build exceed an eighth of the
    /// index, the table is rebuilt from `to` instead. If `to` was not reached from `from` (its
    /// origin tag differs) or the schemas on the key paths changed, the index is rebuilt from `to`.
    /// `self` stays valid for `from`.
    ///
    /// # Errors
    ///
    /// As [`with_fields`](Self::with_fields), when the index is rebuilt from `to` and its key paths no longer
    /// resolve.
    pub fn updated(&self, from: &ReadStateEngine, to: &ReadStateEngine) -> Result<Self> {
        self.updated_in(from, to)
    }

    /// Building this index as a snapshot loads, as work for
    /// [`ReadStateEngine::from_snapshot_buffer_with`] or
    /// [`ReadStateEngine::from_snapshot_file_with`]: it gives what [`with_fields`](Self::with_fields)
    /// (or, for no `fields`, [`new`](Self::new)) gives on the loaded state, and starts as soon as the
    /// types the key reads are loaded, beside the snapshot's other types.
    pub fn build_follower<'a>(type_name: &'a str, fields: &'a [&'a str]) -> Follower<'a, Result<Self>> {
        Follower::from_schemas(
            move |schemas| key_types(schemas, type_name, fields, PathRules::PrimaryKey),
            move |engine| match fields {
                [] => Self::new(engine, type_name),
                fields => Self::with_fields(engine, type_name, fields),
            },
        )
    }

    /// This index moved across a delta from `from` (the state it is for), as work for
    /// [`ReadStateEngine::apply_delta_with`]: it gives [`updated`](Self::updated)'s result, and
    /// starts as soon as the types it reads have their new states, beside the rest of the delta.
    pub fn follower<'a>(&'a self, from: &'a ReadStateEngine) -> Follower<'a, Result<Self>> {
        Follower::new(self.types_read(), move |to| self.updated(from, to))
    }

    /// The types whose records the index reads: its own, then those its key paths go through.
    pub fn types_read(&self) -> impl Iterator<Item = &str> {
        self.shape.types()
    }

    /// The indexed type.
    pub fn type_name(&self) -> &str {
        self.shape.root()
    }

    /// The key field paths, as given.
    pub fn key_fields(&self) -> impl Iterator<Item = &str> {
        self.shape.fields().iter().map(|f| f.path.text.as_str())
    }

    /// Approximate heap bytes of the index: its base table and the changes since it was built
    /// (pages shared with the index's other versions are counted in each).
    pub fn heap_bytes(&self) -> usize {
        self.base.table.heap_bytes() + self.overlay.heap_bytes()
    }

    pub(crate) fn build_by_schema_key<S: Source>(src: &S, type_name: &str) -> Result<Self> {
        let schema = src.schema(type_name).ok_or_else(|| Error::NotFound(format!("type {type_name}")))?;
        let object = schema
            .as_object()
            .ok_or_else(|| Error::InvalidArgument(format!("type {type_name} is not an OBJECT type")))?;
        let key = object.primary_key.as_ref().ok_or_else(|| {
            Error::InvalidArgument(format!("type {type_name} has no primary key; give the key fields"))
        })?;
        let fields: Vec<&str> = key.iter().map(String::as_str).collect();
        Self::build_in(src, type_name, &fields)
    }

    pub(crate) fn build_in<S: Source>(src: &S, type_name: &str, fields: &[&str]) -> Result<Self> {
        if !matches!(src.schema(type_name), None | Some(crate::schema::Schema::Object(_))) {
            return Err(Error::InvalidArgument(format!("type {type_name} is not an OBJECT type")));
        }
        let shape = KeyShape::bind(src, type_name, fields, PathRules::PrimaryKey)?;
        Ok(Self::build_with_shape(src, Arc::new(shape)))
    }

    fn build_with_shape<S: Source>(src: &S, shape: Arc<KeyShape>) -> Self {
        let (table, entries) = SlotTable::of_keys(&shape, src);
        PrimaryKeyIndex {
            base: Arc::new(Base { table, entries }),
            overlay: Overlay::new(entries),
            version: src.version_tag(),
            root: HeldType(src.shared_type(shape.root())),
            shape,
        }
    }

    /// Always inlined, across crates too: a lookup is a few hundred instructions around one or two cache
    /// misses, and LLVM left it out of line in the C API's exported functions, whose budget the
    /// boundary's checks had spent. Inlined (with the held type looked up once, outside the match
    /// closure), a C one-call read by key (`examples/c/bench_get.c`) went from 749 to 687 instructions
    /// and the same read in Rust from 571 to 521 (callgrind, 100k movies). Only the direct path is
    /// inlined; keys read through references or collections take [`Self::get_by_paths`], out of line.
    #[inline(always)]
    pub(crate) fn get_in<S: Source>(&self, src: &S, key: &[KeyValue<'_>]) -> Option<u32> {
        debug_assert_eq!(src.version_tag(), self.version, "index used with another version of the dataset");
        let Some(direct) = self.shape.direct() else {
            return self.get_by_paths(src, key);
        };
        let key = DirectKey::new(direct, key)?;
        // A held state is a pointer away, looked up once outside the candidates' loop: with the
        // lookup by name inside it as well, the loop's body was left out of line (85 instructions a
        // candidate through `get_i64`, callgrind).
        match self.root.0.as_deref().and_then(S::held_object) {
            Some(object) => self.find(key.hash, |r| key.matches(object, r)),
            None => self.find_unheld(src, &key),
        }
    }

    /// [`Self::get_in`] for a source that holds no state of the root type: the type is found by name,
    /// and only for a candidate, so that a miss touches nothing but the table.
    #[inline(never)]
    fn find_unheld<S: Source>(&self, src: &S, key: &DirectKey<'_, '_, '_>) -> Option<u32> {
        self.find(key.hash, |r| src.object(self.shape.root()).is_some_and(|object| key.matches(object, r)))
    }

    /// [`Self::get_in`] for a key whose fields are not all inline fields of the root type.
    #[inline(never)]
    fn get_by_paths<S: Source>(&self, src: &S, key: &[KeyValue<'_>]) -> Option<u32> {
        let hash = self.shape.hash_key(key)?;
        self.find(hash, |r| self.shape.root_matches(src, r, key))
    }

    /// The first root filed under `hash` that `matches`: in the overlay's additions, then in the
    /// base table unless stale.
    #[inline(always)]
    fn find(&self, hash: u64, matches: impl Fn(u32) -> bool) -> Option<u32> {
        if self.overlay.is_empty() {
            return self.base.table.find(hash, matches);
        }
        if let Some(r) = self.overlay.added(hash).find(|&r| matches(r)) {
            return Some(r);
        }
        self.base.table.find(hash, |r| !self.overlay.is_stale(r) && matches(r))
    }

    pub(crate) fn get_many_in<'k, S: Source, K: AsRef<[KeyValue<'k>]>>(&self, src: &S, keys: &[K]) -> Vec<Option<u32>> {
        let mut out = Vec::with_capacity(keys.len());
        self.get_many_each_in(src, keys, |_, found| out.push(found));
        out
    }

    /// Lookups in a three-stage pipeline over batches of [`LOOKAHEAD`] keys, so that the cache misses
    /// of many keys are in flight together: while batch `b` is resolved, the records that batch
    /// `b + 1`'s home slots name are being loaded, and the home slots of batch `b + 2`. A key resolved
    /// this way reads a slot and a record that are usually in cache already; one looked up alone waits
    /// for each in turn. (Only keys of direct fields have their records prefetched: others read
    /// through references, which the pipeline does not follow.)
    #[inline]
    pub(crate) fn get_many_each_in<'k, S: Source, K: AsRef<[KeyValue<'k>]>>(
        &self,
        src: &S,
        keys: &[K],
        mut found: impl FnMut(usize, Option<u32>),
    ) {
        let object = self.root.0.as_deref().and_then(S::held_object).or_else(|| src.object(self.shape.root()));
        let direct = self.shape.direct().zip(object);
        let table = &self.base.table;
        let batch = |b: usize| &keys[(b * LOOKAHEAD).min(keys.len())..((b + 1) * LOOKAHEAD).min(keys.len())];
        let batches = keys.len().div_ceil(LOOKAHEAD);
        // Each key's hash and, for direct fields, its checked form; `None` for a key that can never match.
        let mut stages = [[None; LOOKAHEAD]; 3];
        for b in 0..batches + 2 {
            if b < batches {
                let prepared = &mut stages[b % 3];
                for (p, key) in prepared.iter_mut().zip(batch(b)) {
                    let key = key.as_ref();
                    *p = match direct {
                        Some((fields, _)) => DirectKey::new(fields, key).map(|d| (d.hash, Some(d))),
                        None => self.shape.hash_key(key).map(|h| (h, None)),
                    };
                    if let Some((h, _)) = *p {
                        table.prefetch_home(h);
                    }
                }
            }
            if let (Some(aimed), Some((_, object))) = (b.checked_sub(1).filter(|&a| a < batches), direct) {
                for (h, d) in stages[aimed % 3][..batch(aimed).len()].iter().flatten() {
                    if let (Some(d), Some(root)) = (d, table.probe(*h).next()) {
                        d.prefetch(object, root);
                    }
                }
            }
            let Some(done) = b.checked_sub(2) else { continue };
            for (i, (p, key)) in stages[done % 3].iter().zip(batch(done)).enumerate() {
                found(
                    done * LOOKAHEAD + i,
                    match (p, direct) {
                        (Some((h, Some(d))), Some((_, object))) => self.find(*h, |r| d.matches(object, r)),
                        (Some((h, _)), _) => self.find(*h, |r| self.shape.root_matches(src, r, key.as_ref())),
                        (None, _) => None,
                    },
                );
            }
        }
    }

    pub(crate) fn updated_in<S: Source>(&self, from: &S, to: &S) -> Result<Self> {
        Ok(match plan_update(&self.shape, self.version, &self.overlay, self.base.entries, from, to)? {
            Update::Unchanged => PrimaryKeyIndex { version: to.version_tag(), ..self.clone() },
            Update::Overlay(overlay) => PrimaryKeyIndex {
                overlay,
                version: to.version_tag(),
                root: HeldType(to.shared_type(self.shape.root())),
                ..self.clone()
            },
            Update::Rebuild => {
                let fields: Vec<&str> = self.key_fields().collect();
                Self::build_in(to, self.type_name(), &fields)?
            }
        })
    }

    /// Changes held outside the base table (for tests of the rebuild policy).
    #[cfg(test)]
    pub(crate) fn overlay_len(&self) -> usize {
        self.overlay.len()
    }
}

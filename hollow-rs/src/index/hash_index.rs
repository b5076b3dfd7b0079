//! [`HashIndex`]: all records of a type matching a key, where keys may repeat and may be reached
//! through references, collections and maps.

use std::iter::Peekable;
use std::sync::Arc;

use super::key::{KeyValue, LeafKind};
use super::overlay::Overlay;
use super::path::PathRules;
use super::shape::{key_types, DirectKey, KeyShape};
use super::source::Source;
use super::table::{for_each_key, plan_update, SlotTable, Update};
use crate::error::Result;
use crate::read::{Follower, ReadStateEngine};
use crate::schema::FieldType;

/// Finds every record of a type whose key fields match: `year`, `studio.address.city.value`,
/// `tags.element.value` (a record matches if **any** of its tags does), `cast.element.name` with
/// `cast.element.role` (both fields of the **same** element), `title` (a reference: matched by the
/// String record's ordinal, as paths are not expanded here).
///
/// Like [`PrimaryKeyIndex`](super::PrimaryKeyIndex), an index belongs to one version and moves to
/// the next with [`HashIndex::updated`] at a cost that follows the change (Java rebuilds its hash
/// index on every delta).
///
/// Records are grouped by distinct key in the table; a lookup verifies the key against one member
/// of the group and returns the group, so it reads one record whatever the number of matches.
/// Verifying a key whose paths cross a collection walks the member's elements with a small scratch
/// allocation; keys of OBJECT fields only are verified without allocating.
#[derive(Debug, Clone)]
pub struct HashIndex {
    shape: Arc<KeyShape>,
    base: Arc<Base>,
    overlay: Overlay,
    version: i64,
}

/// The table built at the last full build: (fingerprint, group) slots, and each group's members
/// (ascending root ordinals, all yielding the group's key) in one array.
#[derive(Debug)]
struct Base {
    table: SlotTable,
    group_start: Box<[u32]>,
    members: Box<[u32]>,
}

impl Base {
    fn group(&self, g: u32) -> &[u32] {
        let g = g as usize;
        &self.members[self.group_start[g] as usize..self.group_start[g + 1] as usize]
    }
}

impl HashIndex {
    /// Index `type_name` by the given match field paths.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) when `engine` has no OBJECT type `type_name`,
    /// [`Error::SchemaMismatch`](crate::Error::SchemaMismatch) when a field path does not resolve.
    pub fn new(engine: &ReadStateEngine, type_name: &str, fields: &[&str]) -> Result<Self> {
        Self::build_in(engine, type_name, fields)
    }

    /// Building this index as a snapshot loads, as
    /// [`PrimaryKeyIndex::build_follower`](super::PrimaryKeyIndex::build_follower) does: it gives
    /// what [`new`](Self::new) gives on the loaded state.
    pub fn build_follower<'a>(type_name: &'a str, fields: &'a [&'a str]) -> Follower<'a, Result<Self>> {
        Follower::from_schemas(
            move |schemas| key_types(schemas, type_name, fields, PathRules::HashIndex),
            move |engine| Self::new(engine, type_name, fields),
        )
    }

    /// The populated records whose key is `key` (one value per key field, in order). A key of the
    /// wrong length or with values of the wrong kinds matches nothing. `engine` must be the version
    /// this index is for.
    pub fn find<'i>(&'i self, engine: &ReadStateEngine, key: &[KeyValue<'_>]) -> HashIndexMatches<'i> {
        self.find_in(engine, key)
    }

    /// This index moved from version `from` (the one it is for) to `to`, reached from `from` by one
    /// delta or reverse delta; see [`PrimaryKeyIndex::updated`](super::PrimaryKeyIndex::updated).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new), when the schemas on the paths changed and the index is rebuilt from `to`.
    pub fn updated(&self, from: &ReadStateEngine, to: &ReadStateEngine) -> Result<Self> {
        self.updated_in(from, to)
    }

    /// This index moved across a delta from `from` (the state it is for), as work for
    /// [`ReadStateEngine::apply_delta_with`]: it gives [`updated`](Self::updated)'s result, and
    /// starts as soon as the types it reads have their new states, beside the rest of the delta.
    pub fn follower<'a>(&'a self, from: &'a ReadStateEngine) -> Follower<'a, Result<Self>> {
        Follower::new(self.types_read(), move |to| self.updated(from, to))
    }

    /// The types whose records the index reads: its own, then those its match paths go through.
    pub fn types_read(&self) -> impl Iterator<Item = &str> {
        self.shape.types()
    }

    /// The indexed type.
    pub fn type_name(&self) -> &str {
        self.shape.root()
    }

    /// The match field paths, as given.
    pub fn key_fields(&self) -> impl Iterator<Item = &str> {
        self.shape.fields().iter().map(|f| f.path.text.as_str())
    }

    /// The kind of value each match field holds, in order: the leaf field's type, or
    /// [`FieldType::Reference`] for a path matched by ordinal (one ending at a reference, or at a LIST,
    /// SET or MAP element that is not expanded). Lets callers reject a key of the wrong kind instead of
    /// finding nothing.
    pub fn key_field_types(&self) -> impl Iterator<Item = FieldType> + '_ {
        self.shape.fields().iter().map(|f| match f.kind {
            LeafKind::Value(t) => t,
            LeafKind::Ordinal => FieldType::Reference,
        })
    }

    /// Approximate heap bytes of the index: its base table and the changes since it was built
    /// (pages shared with the index's other versions are counted in each).
    pub fn heap_bytes(&self) -> usize {
        self.base.table.heap_bytes()
            + 4 * (self.base.group_start.len() + self.base.members.len())
            + self.overlay.heap_bytes()
    }

    pub(crate) fn build_in<S: Source>(src: &S, type_name: &str, fields: &[&str]) -> Result<Self> {
        let shape = KeyShape::bind(src, type_name, fields, PathRules::HashIndex)?;
        Ok(Self::build_with_shape(src, Arc::new(shape)))
    }

    fn build_with_shape<S: Source>(src: &S, shape: Arc<KeyShape>) -> Self {
        // Every (hash, root, instance) of the dataset, then grouped by key.
        let mut entries: Vec<(u64, u32, u32)> = Vec::with_capacity(src.populated_count(shape.root()));
        let mut instances: Vec<u32> = Vec::new();
        for_each_key(&shape, src, |hash, root, slots| {
            entries.push((hash, root, instances.len() as u32));
            instances.extend_from_slice(slots);
        });
        entries.sort_unstable_by_key(|&(hash, root, _)| (hash, root));

        let width = shape.fields().len();
        let instance = |at: u32| &instances[at as usize..at as usize + width];
        let mut groups = GroupsBuilder::default();
        // Keys sharing a hash: nearly always one key; several only on a 64-bit collision.
        let mut clusters: Vec<(u32, Vec<u32>)> = Vec::new();
        for run in entries.chunk_by(|a, b| a.0 == b.0) {
            clusters.clear();
            for &(_, root, at) in run {
                match clusters.iter_mut().find(|(rep, _)| shape.instances_equal(src, instance(*rep), instance(at))) {
                    Some((_, members)) => {
                        if members.last() != Some(&root) {
                            members.push(root);
                        }
                    }
                    None => clusters.push((at, vec![root])),
                }
            }
            for (_, members) in &clusters {
                groups.push(run[0].0, members);
            }
        }
        let base = groups.finish();
        let overlay = Overlay::new(base.members.len());
        HashIndex { shape, base: Arc::new(base), overlay, version: src.version_tag() }
    }

    pub(crate) fn find_in<'i, S: Source>(&'i self, src: &S, key: &[KeyValue<'_>]) -> HashIndexMatches<'i> {
        debug_assert_eq!(src.version_tag(), self.version, "index used with another version of the dataset");
        let mut matches = HashIndexMatches { base: &[], overlay: &self.overlay, added: Vec::new() };
        // Keys of inline fields of the root are compared in place (see `KeyShape::direct`).
        let direct = match self.shape.direct() {
            Some(fields) => match DirectKey::new(fields, key) {
                Some(d) => src.object(self.shape.root()).map(|object| (d, object)),
                None => return matches,
            },
            None => None,
        };
        let hash = match &direct {
            Some((d, _)) => d.hash,
            None => match self.shape.hash_key(key) {
                Some(hash) => hash,
                None => return matches,
            },
        };
        let holds_key = |r: u32| match &direct {
            Some((d, object)) => d.matches(*object, r),
            None => self.shape.root_matches(src, r, key),
        };
        for g in self.base.table.probe(hash) {
            let members = self.base.group(g);
            // Any member still populated yields the group's key: check it against the query.
            let Some(&rep) = members.iter().find(|&&r| !self.overlay.is_stale(r)) else { continue };
            if holds_key(rep) {
                matches.base = members;
                break;
            }
        }
        if !self.overlay.is_empty() {
            matches.added = self.overlay.added(hash).filter(|&r| holds_key(r)).collect();
            matches.added.sort_unstable();
        }
        matches
    }

    pub(crate) fn updated_in<S: Source>(&self, from: &S, to: &S) -> Result<Self> {
        Ok(match plan_update(&self.shape, self.version, &self.overlay, self.base.members.len(), from, to)? {
            Update::Unchanged => HashIndex { version: to.version_tag(), ..self.clone() },
            Update::Overlay(overlay) => HashIndex { overlay, version: to.version_tag(), ..self.clone() },
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

#[derive(Default)]
struct GroupsBuilder {
    hashes: Vec<u64>,
    group_start: Vec<u32>,
    members: Vec<u32>,
}

impl GroupsBuilder {
    fn push(&mut self, hash: u64, members: &[u32]) {
        self.hashes.push(hash);
        self.group_start.push(self.members.len() as u32);
        self.members.extend_from_slice(members);
    }

    fn finish(mut self) -> Base {
        let groups: Vec<(u64, u32)> = self.hashes.iter().enumerate().map(|(g, &h)| (h, g as u32)).collect();
        let table = SlotTable::build(&[&groups], groups.len().saturating_sub(1) as u32);
        self.group_start.push(self.members.len() as u32);
        Base { table, group_start: self.group_start.into(), members: self.members.into() }
    }
}

/// The result of [`HashIndex::find`]: matching root ordinals, ascending.
#[derive(Debug, Clone)]
pub struct HashIndexMatches<'i> {
    /// The matching group of the base table (members removed since are skipped).
    base: &'i [u32],
    overlay: &'i Overlay,
    /// Matching records added since the base was built, ascending.
    added: Vec<u32>,
}

impl<'i> HashIndexMatches<'i> {
    /// The matching ordinals, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let base = self.base.iter().copied().filter(|&r| !self.overlay.is_stale(r));
        MergeAscending { a: base.peekable(), b: self.added.iter().copied().peekable() }
    }

    /// Whether nothing matched.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The number of matches.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// The matching ordinals, ascending, in a `Vec`.
    pub fn to_vec(&self) -> Vec<u32> {
        self.iter().collect()
    }
}

/// Merge of two ascending, disjoint sequences.
struct MergeAscending<A: Iterator<Item = u32>, B: Iterator<Item = u32>> {
    a: Peekable<A>,
    b: Peekable<B>,
}

impl<A: Iterator<Item = u32>, B: Iterator<Item = u32>> Iterator for MergeAscending<A, B> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        match (self.a.peek(), self.b.peek()) {
            (Some(x), Some(y)) if x <= y => self.a.next(),
            (Some(_), Some(_)) | (None, Some(_)) => self.b.next(),
            (Some(_), None) => self.a.next(),
            (None, None) => None,
        }
    }
}

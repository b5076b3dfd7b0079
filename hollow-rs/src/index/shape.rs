//! The key of an index: its bound field paths, and how to read key values out of a root record.
//!
//! Reading a key from a record yields *instances*: one slot per key field holding the ordinal the
//! value is read from (the record owning an inline field, or, for a path ending at a reference, the
//! referenced ordinal itself). A path made of OBJECT fields yields at most one instance; a path
//! through a LIST, SET or MAP yields one per element (or entry), and key fields below the same
//! collection step bind to the **same** element, as in Java's hash index traversal. A null reference,
//! an empty collection or a null inline value yields no instance, so such a record is not indexed
//! under that key.

use std::ops::ControlFlow;

use super::hasher::KeyHasher;
use super::key::{hash_field, FieldValue, KeyValue, LeafKind, Probe};
use super::path::{self, FieldPath, Leaf, PathRules, Segment};
use super::source::{CollectionRecords, MapRecords, ObjectRecords, Source};
use crate::error::{Error, Result};
use crate::schema::paths::SchemaLookup;
use crate::schema::{FieldType, Schema};

/// One key field.
#[derive(Debug, Clone)]
pub(crate) struct KeyField {
    /// The bound path.
    pub(crate) path: FieldPath,
    /// Where the value is read.
    leaf: LeafRead,
    /// What kind of value the field yields.
    pub(crate) kind: LeafKind,
}

/// How a key field's value is read from its slot.
#[derive(Debug, Clone)]
enum LeafRead {
    /// Field `field` of kind `field_type` of the OBJECT type `owner`, at the slot's ordinal.
    Value { owner: String, field: usize, field_type: FieldType },
    /// The slot's ordinal itself.
    Ordinal,
}

/// All key fields of an index over one root type.
#[derive(Debug, Clone)]
pub(crate) struct KeyShape {
    root: String,
    fields: Vec<KeyField>,
    /// The traversal tree, when some path crosses a collection or a map; otherwise each field is
    /// read by following its chain of references.
    tree: Option<Node>,
    /// When every key field is an inline field of the root type (the common primary key), where
    /// each is: lookups then compare the root record's fields directly.
    direct: Option<Box<[DirectField]>>,
}

/// Most key fields for the direct lookup path; longer keys take the general path.
pub(crate) const MAX_DIRECT: usize = 4;

/// A key field that is an inline field of the root type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DirectField {
    /// The field's index in the root type's schema.
    pub(crate) field: usize,
    /// The field's kind (never REFERENCE).
    pub(crate) field_type: FieldType,
    /// What the field yields, to check a caller's key against.
    pub(crate) kind: LeafKind,
}

/// The types a key of `paths` from `root` reads, in a dataset of `schemas` (each once, the root
/// first): what [`KeyShape::types`] names once bound. Empty paths are the root's primary key. Empty
/// when the key does not resolve (the build then fails, and says why).
pub(crate) fn key_types(schemas: &dyn SchemaLookup, root: &str, paths: &[&str], rules: PathRules) -> Vec<String> {
    let Some(schema) = schemas.schema(root) else { return Vec::new() };
    let primary_key: Vec<&str>;
    let paths = if paths.is_empty() && rules == PathRules::PrimaryKey {
        let Some(key) = schema.as_object().and_then(|o| o.primary_key.as_ref()) else { return Vec::new() };
        primary_key = key.iter().map(String::as_str).collect();
        &primary_key
    } else {
        paths
    };
    if paths.is_empty() {
        return Vec::new();
    }
    let mut types = vec![root.to_owned()];
    for p in paths {
        let Ok(path) = path::bind(schemas, root, p, rules) else { return Vec::new() };
        for t in path.types() {
            if !types.iter().any(|have| have == t) {
                types.push(t.to_owned());
            }
        }
    }
    types
}

impl KeyShape {
    /// Bind `paths` from `root` in `src`.
    pub(crate) fn bind<S: Source>(src: &S, root: &str, paths: &[&str], rules: PathRules) -> Result<Self> {
        if src.schema(root).is_none() {
            return Err(Error::NotFound(format!("type {root} is not in the dataset")));
        }
        if paths.is_empty() {
            return Err(Error::InvalidArgument(format!("an index over {root} needs at least one key field")));
        }
        let mut fields = Vec::with_capacity(paths.len());
        for p in paths {
            let path = path::bind(&SourceSchemas(src), root, p, rules)?;
            let leaf = path.leaf();
            let kind = LeafKind::from(&leaf);
            let leaf = match leaf {
                Leaf::Value { owner, field, field_type } => LeafRead::Value { owner, field, field_type },
                Leaf::Ordinal { .. } => LeafRead::Ordinal,
            };
            fields.push(KeyField { path, leaf, kind });
        }
        let crosses_collection =
            fields.iter().any(|f| f.path.segments.iter().any(|s| !matches!(s, Segment::Field { .. })));
        let tree = crosses_collection.then(|| Node::build(root, &fields));
        let direct = fields
            .iter()
            .map(|f| match (f.path.segments.as_slice(), &f.leaf) {
                ([Segment::Field { referenced: None, .. }], &LeafRead::Value { field, field_type, .. }) => {
                    Some(DirectField { field, field_type, kind: f.kind })
                }
                _ => None,
            })
            .collect::<Option<Box<[DirectField]>>>()
            .filter(|d| d.len() <= MAX_DIRECT);
        Ok(KeyShape { root: root.to_owned(), fields, tree, direct })
    }

    /// The root type.
    pub(crate) fn root(&self) -> &str {
        &self.root
    }

    /// The key fields.
    pub(crate) fn fields(&self) -> &[KeyField] {
        &self.fields
    }

    /// The key fields, if every one is an inline field of the root type.
    #[inline]
    pub(crate) fn direct(&self) -> Option<&[DirectField]> {
        self.direct.as_deref()
    }

    /// Every type whose schema the key depends on.
    pub(crate) fn types(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.root.as_str()).chain(self.fields.iter().flat_map(|f| f.path.types()))
    }

    /// Call `f` with the slots of each key instance of `root` until it breaks.
    pub(crate) fn for_each_instance<S: Source>(
        &self,
        src: &S,
        root: u32,
        f: &mut dyn FnMut(&[u32]) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        match &self.tree {
            None => {
                let mut slots = SlotBuf::new(self.fields.len());
                for (i, field) in self.fields.iter().enumerate() {
                    match chain_slot(src, root, &field.path) {
                        Some(s) => slots.as_mut()[i] = s,
                        None => return ControlFlow::Continue(()),
                    }
                }
                f(slots.as_ref())
            }
            Some(tree) => {
                let mut slots = vec![0u32; self.fields.len()];
                let mut pending = vec![(tree, root)];
                visit(src, &mut pending, &mut slots, f)
            }
        }
    }

    /// The value of key field `i` in an instance slot; `None` for null.
    #[inline]
    pub(crate) fn value<'s, S: Source>(&self, src: &'s S, i: usize, slot: u32) -> Option<FieldValue<'s>> {
        match &self.fields[i].leaf {
            LeafRead::Value { owner, field, field_type } => src.object(owner)?.value(slot, *field, *field_type),
            LeafRead::Ordinal => Some(FieldValue::Ordinal(slot)),
        }
    }

    /// The hash of an instance; `None` if a key field is null.
    pub(crate) fn hash_instance<S: Source>(&self, src: &S, slots: &[u32]) -> Option<u64> {
        let mut h = KeyHasher::default();
        for (i, &slot) in slots.iter().enumerate() {
            hash_field(&mut h, self.value(src, i, slot)?);
        }
        Some(h.finish())
    }

    /// Whether two instances have equal, non-null keys.
    pub(crate) fn instances_equal<S: Source>(&self, src: &S, a: &[u32], b: &[u32]) -> bool {
        (0..self.fields.len()).all(|i| match (self.value(src, i, a[i]), self.value(src, i, b[i])) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        })
    }

    /// The hash of a caller's key; `None` if it can never match (wrong length or kinds).
    #[inline]
    pub(crate) fn hash_key(&self, key: &[KeyValue<'_>]) -> Option<u64> {
        if key.len() != self.fields.len() {
            return None;
        }
        let mut h = KeyHasher::default();
        for (value, field) in key.iter().zip(&self.fields) {
            Probe::new(value, &field.kind)?.hash_into(&mut h);
        }
        Some(h.finish())
    }

    /// Whether an instance holds a caller's key (already checked by [`Self::hash_key`]).
    #[inline]
    fn instance_matches<S: Source>(&self, src: &S, slots: &[u32], key: &[KeyValue<'_>]) -> bool {
        key.iter().zip(&self.fields).enumerate().all(|(i, (value, field))| {
            match (Probe::new(value, &field.kind), self.value(src, i, slots[i])) {
                (Some(p), Some(v)) => p.matches(v),
                _ => false,
            }
        })
    }

    /// Whether `root` yields the caller's `key` (already checked by [`Self::hash_key`]).
    #[inline]
    pub(crate) fn root_matches<S: Source>(&self, src: &S, root: u32, key: &[KeyValue<'_>]) -> bool {
        self.for_each_instance(src, root, &mut |slots| {
            if self.instance_matches(src, slots, key) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .is_break()
    }

    /// The key hash of record `root` of the root type read by the direct path (`object` is the root
    /// type's records); `None` if a key field is null.
    #[inline]
    pub(crate) fn direct_hash<'a, O: ObjectRecords<'a>>(direct: &[DirectField], object: O, root: u32) -> Option<u64> {
        let mut h = KeyHasher::default();
        for d in direct {
            hash_field(&mut h, object.value(root, d.field, d.field_type)?);
        }
        Some(h.finish())
    }

    /// The distinct key hashes of `root`, ascending, into `out` (cleared first).
    pub(crate) fn key_hashes<S: Source>(&self, src: &S, root: u32, out: &mut Vec<u64>) {
        out.clear();
        if let (Some(direct), Some(object)) = (self.direct(), src.object(&self.root)) {
            out.extend(Self::direct_hash(direct, object, root));
            return;
        }
        let _ = self.for_each_instance(src, root, &mut |slots| {
            if let Some(h) = self.hash_instance(src, slots) {
                out.push(h);
            }
            ControlFlow::Continue(())
        });
        out.sort_unstable();
        out.dedup();
    }

    /// The paths as given, for messages.
    pub(crate) fn describe(&self) -> String {
        let paths: Vec<&str> = self.fields.iter().map(|f| f.path.text.as_str()).collect();
        format!("{}({})", self.root, paths.join(", "))
    }
}

/// A caller's key for a shape whose fields are all direct ([`KeyShape::direct`]), checked and hashed
/// once per lookup.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DirectKey<'s, 'k, 'v> {
    fields: &'s [DirectField],
    key: &'k [KeyValue<'v>],
    /// The key hash, as [`KeyShape::hash_key`] computes it.
    pub(crate) hash: u64,
    /// The value of a key of one INT or LONG field, the key of most primary keys: it is matched by
    /// reading that one field as a number, with no loop over fields or match on kinds. Through the
    /// general loop, a lookup by such a key took 304 instructions with every line in cache (callgrind,
    /// 1M movies), the loop out of line and the field read called twice.
    integer: Option<i64>,
}

impl<'s, 'k, 'v> DirectKey<'s, 'k, 'v> {
    /// `key` against `fields`; `None` if it can never match (wrong length or kinds).
    #[inline(always)]
    pub(crate) fn new(fields: &'s [DirectField], key: &'k [KeyValue<'v>]) -> Option<Self> {
        if key.len() != fields.len() {
            return None;
        }
        let mut h = KeyHasher::default();
        if let ([value], [field]) = (key, fields) {
            let probe = Probe::new(value, &field.kind)?;
            probe.hash_into(&mut h);
            let integer = match (probe, field.field_type) {
                (Probe::Int(v), FieldType::Int | FieldType::Long) => Some(v),
                _ => None,
            };
            return Some(DirectKey { fields, key, hash: h.finish(), integer });
        }
        for (value, field) in key.iter().zip(fields) {
            Probe::new(value, &field.kind)?.hash_into(&mut h);
        }
        Some(DirectKey { fields, key, hash: h.finish(), integer: None })
    }

    /// Start loading the key fields of record `root`, which [`Self::matches`] will read.
    #[inline(always)]
    pub(crate) fn prefetch<'a, O: ObjectRecords<'a>>(&self, object: O, root: u32) {
        for f in self.fields {
            object.prefetch(root, f.field);
        }
    }

    /// Whether record `root` of the root type holds this key.
    #[inline(always)]
    pub(crate) fn matches<'a, O: ObjectRecords<'a>>(&self, object: O, root: u32) -> bool {
        match (self.integer, self.fields) {
            (Some(v), [f]) => object.integer(root, f.field, f.field_type) == Some(v),
            _ => self.matches_fields(object, root),
        }
    }

    /// [`Self::matches`] for any direct key, field by field.
    #[inline(never)]
    fn matches_fields<'a, O: ObjectRecords<'a>>(&self, object: O, root: u32) -> bool {
        // The probes were checked by `new`; building them again is a match on two tags, cheaper
        // than keeping them (a lookup that misses never needs them).
        self.fields.iter().zip(self.key).all(|(f, value)| {
            match (Probe::new(value, &f.kind), object.value(root, f.field, f.field_type)) {
                (Some(p), Some(v)) => p.matches(v),
                _ => false,
            }
        })
    }
}

/// The schemas of a [`Source`], for path binding.
struct SourceSchemas<'a, S>(&'a S);

impl<S: Source> SchemaLookup for SourceSchemas<'_, S> {
    fn schema(&self, name: &str) -> Option<&Schema> {
        self.0.schema(name)
    }
}

/// Slots of one instance without allocating for keys of up to 8 fields.
enum SlotBuf {
    Inline([u32; 8], usize),
    Heap(Vec<u32>),
}

impl SlotBuf {
    fn new(n: usize) -> Self {
        if n <= 8 {
            SlotBuf::Inline([0; 8], n)
        } else {
            SlotBuf::Heap(vec![0; n])
        }
    }
    fn as_mut(&mut self) -> &mut [u32] {
        match self {
            SlotBuf::Inline(a, n) => &mut a[..*n],
            SlotBuf::Heap(v) => v,
        }
    }
    fn as_ref(&self) -> &[u32] {
        match self {
            SlotBuf::Inline(a, n) => &a[..*n],
            SlotBuf::Heap(v) => v,
        }
    }
}

/// Follow a path of OBJECT fields from `root` to its slot: the owner of its inline field, or the
/// ordinal its last reference points to. `None` on a null reference.
#[inline]
fn chain_slot<S: Source>(src: &S, root: u32, path: &FieldPath) -> Option<u32> {
    let mut ordinal = root;
    for seg in &path.segments {
        match seg {
            Segment::Field { referenced: None, .. } => return Some(ordinal),
            Segment::Field { owner, field, .. } => ordinal = src.object(owner)?.reference(ordinal, *field)?,
            _ => unreachable!("chains are bound only for paths of OBJECT fields"),
        }
    }
    Some(ordinal)
}

/// A step of the traversal tree: a record of `type_name`, and what the key reads from it.
#[derive(Debug, Clone)]
struct Node {
    type_name: String,
    /// Key fields whose value is this record's ordinal.
    ordinal_slots: Vec<usize>,
    kind: NodeKind,
}

#[derive(Debug, Clone)]
enum NodeKind {
    /// Nothing below.
    End,
    /// Inline fields read from this record, and references followed from it.
    Object { value_slots: Vec<usize>, refs: Vec<(usize, Node)> },
    /// Each element of a LIST or SET.
    Elements(Box<Node>),
    /// Each entry of a MAP, with its key and/or value.
    Entries { key: Option<Box<Node>>, value: Option<Box<Node>> },
}

impl Node {
    fn new(type_name: &str) -> Self {
        Node { type_name: type_name.to_owned(), ordinal_slots: Vec::new(), kind: NodeKind::End }
    }

    fn build(root: &str, fields: &[KeyField]) -> Node {
        let mut tree = Node::new(root);
        for (slot, field) in fields.iter().enumerate() {
            tree.insert(&field.path.segments, slot);
        }
        tree
    }

    fn insert(&mut self, segments: &[Segment], slot: usize) {
        let Some((seg, rest)) = segments.split_first() else {
            self.ordinal_slots.push(slot);
            return;
        };
        let child = match seg {
            Segment::Field { field, referenced, .. } => {
                if !matches!(self.kind, NodeKind::Object { .. }) {
                    self.kind = NodeKind::Object { value_slots: Vec::new(), refs: Vec::new() };
                }
                let NodeKind::Object { value_slots, refs } = &mut self.kind else { unreachable!() };
                let Some(target) = referenced else {
                    value_slots.push(slot);
                    return;
                };
                let at = match refs.iter().position(|(f, _)| f == field) {
                    Some(at) => at,
                    None => {
                        refs.push((*field, Node::new(target)));
                        refs.len() - 1
                    }
                };
                &mut refs[at].1
            }
            Segment::Element { element, .. } => {
                if !matches!(self.kind, NodeKind::Elements(_)) {
                    self.kind = NodeKind::Elements(Box::new(Node::new(element)));
                }
                let NodeKind::Elements(child) = &mut self.kind else { unreachable!() };
                child
            }
            Segment::MapKey { key: t, .. } | Segment::MapValue { value: t, .. } => {
                if !matches!(self.kind, NodeKind::Entries { .. }) {
                    self.kind = NodeKind::Entries { key: None, value: None };
                }
                let NodeKind::Entries { key, value } = &mut self.kind else { unreachable!() };
                let side = if matches!(seg, Segment::MapKey { .. }) { key } else { value };
                side.get_or_insert_with(|| Box::new(Node::new(t)))
            }
        };
        child.insert(rest, slot);
    }
}

/// Depth-first product over the pending (node, ordinal) steps: each collection step branches over
/// its elements, every other step binds slots; a complete binding is one instance. `pending` is
/// restored before returning, so that a caller iterating elements can push the next one.
fn visit<'t, S: Source>(
    src: &S,
    pending: &mut Vec<(&'t Node, u32)>,
    slots: &mut [u32],
    f: &mut dyn FnMut(&[u32]) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let Some((node, ordinal)) = pending.pop() else {
        return f(slots);
    };
    for &i in &node.ordinal_slots {
        slots[i] = ordinal;
    }
    let flow = match &node.kind {
        NodeKind::End => visit(src, pending, slots, f),
        NodeKind::Object { value_slots, refs } => {
            for &i in value_slots {
                slots[i] = ordinal;
            }
            let mark = pending.len();
            let object = src.object(&node.type_name);
            let mut complete = true;
            for (field, child) in refs {
                match object.and_then(|o| o.reference(ordinal, *field)) {
                    Some(r) => pending.push((child, r)),
                    None => {
                        complete = false;
                        break;
                    }
                }
            }
            let flow = if complete { visit(src, pending, slots, f) } else { ControlFlow::Continue(()) };
            pending.truncate(mark);
            flow
        }
        NodeKind::Elements(child) => match src.collection(&node.type_name) {
            Some(c) => c.try_for_each(ordinal, &mut |element| {
                pending.push((child, element));
                let flow = visit(src, pending, slots, f);
                pending.pop();
                flow
            }),
            None => ControlFlow::Continue(()),
        },
        NodeKind::Entries { key, value } => match src.map(&node.type_name) {
            Some(m) => m.try_for_each(ordinal, &mut |k, v| {
                let mark = pending.len();
                if let Some(key) = key {
                    pending.push((key, k));
                }
                if let Some(value) = value {
                    pending.push((value, v));
                }
                let flow = visit(src, pending, slots, f);
                pending.truncate(mark);
                flow
            }),
            None => ControlFlow::Continue(()),
        },
    };
    pending.push((node, ordinal));
    flow
}

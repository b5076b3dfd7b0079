//! The diff itself: candidates per type (by populated ordinals, or by comparing records in place),
//! matched by key hash, read as values only where they may have changed.

use std::collections::{BTreeSet, HashMap};

use super::value::{canonical, compare_keys, field_changes, hash_key};
use super::{DiffMethod, DiffOptions, DiffStats, KeyedRecord, ModifiedRecord, StateDiff, TypeDiff};
use crate::encoding::bits::mask;
use crate::error::{Error, Result};
use crate::mapper::{read_generic, GenericValue};
use crate::read::{ObjectTypeReadState, PopulatedOrdinals, ReadStateEngine, TypeReadState};
use crate::schema::order::dependency_order;
use crate::schema::paths::{resolve_key, KeyPath};
use crate::schema::{FieldType, Schema};

/// What changed from `from` to `to`, type by type (see the [module docs](super)).
///
/// # Errors
///
/// Fails with [`Error::InvalidArgument`] when [`DiffOptions::primary_keys`] names a type that is not
/// an OBJECT type of either state, [`Error::Schema`] when a primary key does not resolve, and with the
/// errors of [`read_generic`] for records that cannot be read (a corrupt state).
pub fn diff(from: &ReadStateEngine, to: &ReadStateEngine, options: &DiffOptions) -> Result<StateDiff> {
    for type_name in options.primary_keys.keys() {
        if from.object(type_name).is_none() && to.object(type_name).is_none() {
            return Err(Error::InvalidArgument(format!(
                "a primary key is given for {type_name}, which is not an OBJECT type of either state"
            )));
        }
    }
    let one_delta = !options.compare_all
        && (from.randomized_tag() == to.randomized_tag()
            || to.origin_tag() == from.randomized_tag()
            || from.origin_tag() == to.randomized_tag());
    let mut stats = DiffStats {
        method: if one_delta { DiffMethod::OneDelta } else { DiffMethod::Compared },
        shared_types: 0,
        ordinals_compared: 0,
        records_read: 0,
    };
    let names: BTreeSet<&str> = from.type_names().into_iter().chain(to.type_names()).collect();
    let reported: Vec<&str> =
        names.iter().copied().filter(|n| options.types.as_ref().is_none_or(|only| only.contains(*n))).collect();
    let changed_in_place =
        if one_delta { HashMap::new() } else { compare_in_place(from, to, &reported, &mut stats.ordinals_compared) };
    let referenced = referenced_types(from, to);
    let mut types = Vec::with_capacity(reported.len());
    for type_name in reported {
        let in_place = changed_in_place.get(type_name);
        let type_diff = diff_type(from, to, type_name, in_place, &referenced, options, &mut stats)
            .map_err(|e| e.with_context(&format!("diff of type {type_name}")))?;
        types.push(type_diff);
    }
    Ok(StateDiff { types, stats })
}

/// Types referenced by another type, in either state (a type referencing itself does not count: it
/// still has records no other type holds).
fn referenced_types<'a>(from: &'a ReadStateEngine, to: &'a ReadStateEngine) -> BTreeSet<&'a str> {
    from.schemas()
        .chain(to.schemas())
        .flat_map(|s| s.referenced_types().into_iter().filter(move |r| *r != s.name()))
        .collect()
}

/// The ordinals populated in both states whose records may differ, per type, for the reported
/// types and every type they reach. Types are visited in dependency order so a type sees which of
/// its children changed in place.
fn compare_in_place(
    from: &ReadStateEngine,
    to: &ReadStateEngine,
    reported: &[&str],
    ordinals_compared: &mut u64,
) -> HashMap<String, PopulatedOrdinals> {
    // The reported types and everything they reference, present in both states.
    let mut needed: BTreeSet<&str> = BTreeSet::new();
    let mut pending: Vec<&str> = reported.to_vec();
    while let Some(name) = pending.pop() {
        let (Some(a), Some(_)) = (from.schema(name), to.schema(name)) else { continue };
        if needed.insert(name) {
            pending.extend(a.referenced_types());
            pending.extend(to.schema(name).map(Schema::referenced_types).unwrap_or_default());
        }
    }
    let schemas: Vec<Schema> = needed.iter().filter_map(|n| to.schema(n).cloned()).collect();
    let mut changed: HashMap<String, PopulatedOrdinals> = HashMap::new();
    for schema in dependency_order(&schemas) {
        let name = schema.name();
        let (Some(old), Some(new)) = (from.type_state_shared(name), to.type_state_shared(name)) else { continue };
        if std::sync::Arc::ptr_eq(&old, &new) {
            // No delta between the two touched the type: its records, and the records they reference
            // (populated all along), are the same.
            changed.insert(name.to_owned(), PopulatedOrdinals::default());
            continue;
        }
        let in_both = old.populated().iter().filter(|&o| new.populated().contains(o));
        let ordinals: Vec<u32> = if old.schema() != new.schema() {
            // Fields moved or changed kind: leave it to the value comparison.
            in_both.collect()
        } else {
            // A child type not compared yet (a reference cycle) or missing from a state is taken as
            // changed everywhere: `None`. One found unchanged needs no lookups: skipped.
            let child = |t: &str| -> Option<Option<&PopulatedOrdinals>> {
                match changed.get(t) {
                    Some(c) if c.count() == 0 => Some(None),
                    Some(c) => Some(Some(c)),
                    None => None,
                }
            };
            let comparer = RecordComparer::new(&old, &new, &child);
            match comparer {
                Some(comparer) => in_both
                    .filter(|&o| {
                        *ordinals_compared += 1;
                        !comparer.same(o)
                    })
                    .collect(),
                None => in_both.collect(),
            }
        };
        changed.insert(name.to_owned(), PopulatedOrdinals::from_ordinals(ordinals));
    }
    changed
}

/// Compares a record's stored form in two states of one type (same schema). `children[i]` is, for
/// the i-th referenced type (fields for an OBJECT; element, or key and value, for a collection), the
/// ordinals found changed in place, `None` when none were.
struct RecordComparer<'a> {
    old: &'a TypeReadState,
    new: &'a TypeReadState,
    children: Vec<Option<&'a PopulatedOrdinals>>,
}

impl<'a> RecordComparer<'a> {
    /// `None` when a child's changes are unknown: then every record must be taken as changed.
    fn new(
        old: &'a TypeReadState,
        new: &'a TypeReadState,
        child: &dyn Fn(&str) -> Option<Option<&'a PopulatedOrdinals>>,
    ) -> Option<Self> {
        let children = match old.schema() {
            Schema::Object(s) => s
                .fields
                .iter()
                .map(|f| match (&f.referenced_type, f.field_type) {
                    (Some(t), FieldType::Reference) => child(t),
                    _ => Some(None),
                })
                .collect::<Option<Vec<_>>>()?,
            other => other.referenced_types().into_iter().map(child).collect::<Option<Vec<_>>>()?,
        };
        Some(RecordComparer { old, new, children })
    }

    fn changed_child(&self, i: usize, ordinal: u32) -> bool {
        self.children.get(i).copied().flatten().is_some_and(|c| c.contains(ordinal))
    }

    /// True when `ordinal` holds the same value in both states.
    fn same(&self, ordinal: u32) -> bool {
        match (self.old, self.new) {
            (TypeReadState::Object(a), TypeReadState::Object(b)) => self.same_object(a, b, ordinal),
            (TypeReadState::List(a), TypeReadState::List(b)) => {
                a.elements(ordinal).eq(b.elements(ordinal)) && !a.elements(ordinal).any(|e| self.changed_child(0, e))
            }
            (TypeReadState::Set(a), TypeReadState::Set(b)) => {
                a.elements(ordinal).eq(b.elements(ordinal)) && !a.elements(ordinal).any(|e| self.changed_child(0, e))
            }
            (TypeReadState::Map(a), TypeReadState::Map(b)) => {
                a.entries(ordinal).eq(b.entries(ordinal))
                    && !a.entries(ordinal).any(|(k, v)| self.changed_child(0, k) || self.changed_child(1, v))
            }
            _ => false,
        }
    }

    fn same_object(&self, a: &ObjectTypeReadState, b: &ObjectTypeReadState, ordinal: u32) -> bool {
        (0..a.schema().fields.len()).all(|i| match a.field_type(i) {
            Some(FieldType::String | FieldType::Bytes) => a.read_bytes(ordinal, i) == b.read_bytes(ordinal, i),
            Some(FieldType::Float | FieldType::Double) => {
                a.read_raw(ordinal, i).map(|r| r.0) == b.read_raw(ordinal, i).map(|r| r.0)
            }
            Some(field_type) => {
                // The two states may store the field at different widths, and null is all ones at
                // the width: compare "null or the value".
                let value =
                    |s: &ObjectTypeReadState| s.read_raw(ordinal, i).and_then(|(v, w)| (v != mask(w)).then_some(v));
                let (x, y) = (value(a), value(b));
                x == y && !(field_type == FieldType::Reference && x.is_some_and(|c| self.changed_child(i, c as u32)))
            }
            None => false,
        })
    }
}

/// A candidate record read as a value, with its key.
struct Entry {
    /// The primary key's values; `None` for a type keyed by its whole record.
    key: Option<Vec<GenericValue>>,
    record: GenericValue,
    hash: u64,
}

impl Entry {
    fn key(&self) -> &[GenericValue] {
        self.key.as_deref().unwrap_or(std::slice::from_ref(&self.record))
    }

    fn into_keyed(self) -> KeyedRecord {
        let key = self.key.unwrap_or_else(|| vec![self.record.clone()]);
        KeyedRecord { key, record: self.record }
    }
}

/// The primary-key paths of a type: given in the options, or declared by either state's schema.
fn key_paths<'a>(options: &'a DiffOptions, type_name: &str, schemas: [Option<&'a Schema>; 2]) -> Option<&'a [String]> {
    if let Some(paths) = options.primary_keys.get(type_name) {
        return Some(paths);
    }
    schemas.into_iter().flatten().find_map(|s| match s {
        Schema::Object(o) => o.primary_key.as_deref(),
        _ => None,
    })
}

fn read_entries(
    engine: &ReadStateEngine,
    type_name: &str,
    ordinals: &[u32],
    paths: Option<&[KeyPath]>,
    records_read: &mut u64,
) -> Result<Vec<Entry>> {
    ordinals
        .iter()
        .map(|&o| {
            *records_read += 1;
            let record = canonical(read_generic(engine, type_name, o)?);
            let key = paths.map(|paths| paths.iter().map(|p| key_value(&record, p)).collect::<Vec<_>>());
            let hash = hash_key(key.as_deref().unwrap_or(std::slice::from_ref(&record)));
            Ok(Entry { key, record, hash })
        })
        .collect()
}

/// The value at the end of a key path, read by field name through the record's references (a
/// `field!` path ends at the referenced record itself).
fn key_value(record: &GenericValue, path: &KeyPath) -> GenericValue {
    let mut current = record;
    for step in &path.steps {
        match current.field(&step.field_name) {
            Some(v) => current = v,
            None => return GenericValue::Null,
        }
    }
    current.clone()
}

/// Merge two ascending lists of distinct ordinals.
fn merge_ascending(a: &[u32], b: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut out: Vec<u32> = a.iter().copied().chain(b).collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn diff_type(
    from: &ReadStateEngine,
    to: &ReadStateEngine,
    type_name: &str,
    in_place: Option<&PopulatedOrdinals>,
    referenced: &BTreeSet<&str>,
    options: &DiffOptions,
    stats: &mut DiffStats,
) -> Result<TypeDiff> {
    let (old, new) = (from.type_state(type_name), to.type_state(type_name));
    let primary_key = key_paths(options, type_name, [old.map(TypeReadState::schema), new.map(TypeReadState::schema)]);
    let mut type_diff = TypeDiff {
        type_name: type_name.to_owned(),
        primary_key: primary_key.map(<[String]>::to_vec),
        is_root: primary_key.is_some() || !referenced.contains(type_name),
        added: 0,
        removed: 0,
        modified: 0,
        unchanged: 0,
        added_records: Vec::new(),
        removed_records: Vec::new(),
        modified_records: Vec::new(),
    };
    let old_count = old.map_or(0, |t| t.populated().count());
    if from.shares_type_with(to, type_name) {
        stats.shared_types += 1;
        type_diff.unchanged = old_count;
        return Ok(type_diff);
    }
    let (mut old_candidates, mut new_candidates) = (Vec::new(), Vec::new());
    match (old, new) {
        (Some(a), Some(b)) => a.populated().diff(b.populated(), &mut old_candidates, &mut new_candidates),
        (Some(a), None) => old_candidates.extend(a.populated().iter()),
        (None, Some(b)) => new_candidates.extend(b.populated().iter()),
        (None, None) => {}
    }
    if let Some(in_place) = in_place.filter(|c| c.count() > 0) {
        old_candidates = merge_ascending(&old_candidates, in_place.iter());
        new_candidates = merge_ascending(&new_candidates, in_place.iter());
    }
    if old_candidates.is_empty() && new_candidates.is_empty() {
        type_diff.unchanged = old_count;
        return Ok(type_diff);
    }
    let resolve = |engine: &ReadStateEngine| -> Result<Option<Vec<KeyPath>>> {
        match primary_key {
            Some(paths) if engine.object(type_name).is_some() => Ok(Some(resolve_key(engine, type_name, paths)?)),
            _ => Ok(None),
        }
    };
    let (old_paths, new_paths) = (resolve(from)?, resolve(to)?);
    let old_entries = read_entries(from, type_name, &old_candidates, old_paths.as_deref(), &mut stats.records_read)?;
    let new_entries = read_entries(to, type_name, &new_candidates, new_paths.as_deref(), &mut stats.records_read)?;

    // Match old candidates to new ones by key: a hash table of the new side, each entry taken once.
    let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::with_capacity(new_entries.len());
    for (i, e) in new_entries.iter().enumerate() {
        by_hash.entry(e.hash).or_default().push(i);
    }
    let mut taken = vec![false; new_entries.len()];
    let (mut removed, mut modified) = (Vec::new(), Vec::new());
    for old_entry in old_entries {
        let found = by_hash.get(&old_entry.hash).and_then(|same_hash| {
            same_hash.iter().copied().find(|&i| !taken[i] && new_entries[i].key() == old_entry.key())
        });
        match found {
            Some(i) => {
                taken[i] = true;
                if new_entries[i].record != old_entry.record {
                    modified.push((old_entry, i));
                }
            }
            None => removed.push(old_entry),
        }
    }
    type_diff.removed = removed.len();
    type_diff.modified = modified.len();
    type_diff.unchanged = old_count.saturating_sub(removed.len() + modified.len());
    let limit = options.detail_limit.unwrap_or(usize::MAX);

    removed.sort_by(|a, b| compare_keys(a.key(), b.key()));
    type_diff.removed_records = removed.into_iter().take(limit).map(Entry::into_keyed).collect();

    modified.sort_by(|(a, _), (b, _)| compare_keys(a.key(), b.key()));
    modified.truncate(limit);
    let mut new_slots: Vec<Option<Entry>> = new_entries.into_iter().map(Some).collect();
    for (old_entry, i) in modified {
        let Some(new_entry) = new_slots[i].take() else { continue };
        let fields = field_changes(&old_entry.record, &new_entry.record);
        let key = old_entry.key().to_vec();
        type_diff.modified_records.push(ModifiedRecord { key, old: old_entry.record, new: new_entry.record, fields });
    }

    let mut added: Vec<Entry> =
        new_slots.into_iter().zip(taken).filter(|(_, taken)| !taken).filter_map(|(slot, _)| slot).collect();
    type_diff.added = added.len();
    added.sort_by(|a, b| compare_keys(a.key(), b.key()));
    type_diff.added_records = added.into_iter().take(limit).map(Entry::into_keyed).collect();
    Ok(type_diff)
}

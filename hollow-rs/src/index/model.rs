//! A small model of Hollow's record semantics, to test index maintenance independently of the
//! blob codecs: a producer that deduplicates records by content and reuses freed ordinals (smallest
//! first, from the next cycle on), and consumer states that keep removed records readable as ghosts
//! for one transition and then wipe them to zeros, as Java does.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};

use super::key::{double_key_bits, FieldValue};
use super::source::{CollectionRecords, MapRecords, ObjectRecords, Source};
use crate::schema::{FieldType, Schema};
use std::ops::ControlFlow;

/// A stored field value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Int(i32),
    Long(i64),
    Double(u64),
    /// A STRING in stored form.
    Str(Vec<u8>),
    Ref(u32),
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Record {
    Object(Vec<Option<Field>>),
    Elements(Vec<u32>),
    Entries(Vec<(u32, u32)>),
}

/// The records of every type at one version, as the producer wrote it.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    pub(crate) types: BTreeMap<String, BTreeMap<u32, Record>>,
}

/// Producer side: assigns ordinals.
#[derive(Debug, Default)]
pub(crate) struct Producer {
    types: HashMap<String, TypeOrdinals>,
    current: State,
}

#[derive(Debug, Default)]
struct TypeOrdinals {
    /// Ordinals of the records of the last cycle and of the cycle being written.
    by_content: HashMap<Record, u32>,
    free: BTreeSet<u32>,
    next: u32,
}

impl Producer {
    /// Add a record to the cycle being written; its ordinal.
    pub(crate) fn add(&mut self, type_name: &str, record: Record) -> u32 {
        let t = self.types.entry(type_name.to_owned()).or_default();
        let ordinal = match t.by_content.get(&record) {
            Some(&o) => o,
            None => {
                let o = match t.free.pop_first() {
                    Some(o) => o,
                    None => {
                        t.next += 1;
                        t.next - 1
                    }
                };
                t.by_content.insert(record.clone(), o);
                o
            }
        };
        self.current.types.entry(type_name.to_owned()).or_default().insert(ordinal, record);
        ordinal
    }

    /// End the cycle: the state written. Ordinals not used in it are free from the next cycle on.
    pub(crate) fn finish_cycle(&mut self) -> State {
        let state = std::mem::take(&mut self.current);
        for (name, t) in &mut self.types {
            let kept = state.types.get(name);
            let dropped: Vec<(Record, u32)> = t
                .by_content
                .iter()
                .filter(|(_, o)| !kept.is_some_and(|k| k.contains_key(o)))
                .map(|(r, &o)| (r.clone(), o))
                .collect();
            for (r, o) in dropped {
                t.by_content.remove(&r);
                t.free.insert(o);
            }
        }
        state
    }
}

static NEXT_TAG: AtomicI64 = AtomicI64::new(1);

/// Consumer side: a state as a read engine holds it.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    tag: i64,
    origin: i64,
    schemas: BTreeMap<String, Schema>,
    types: BTreeMap<String, EngineType>,
}

#[derive(Debug, Clone, Default)]
struct EngineType {
    populated: BTreeSet<u32>,
    /// Populated records and ghosts.
    records: BTreeMap<u32, Record>,
    /// Ordinals whose data was cleared: they read as zeros, like Java's cleared fixed-length bits.
    wiped: BTreeSet<u32>,
}

impl Engine {
    /// A state loaded from a snapshot.
    pub(crate) fn snapshot(schemas: &[Schema], state: &State) -> Engine {
        let mut e = Engine {
            tag: NEXT_TAG.fetch_add(1, Ordering::Relaxed),
            origin: -1,
            schemas: schemas.iter().map(|s| (s.name().to_owned(), s.clone())).collect(),
            types: BTreeMap::new(),
        };
        for s in schemas {
            let records = state.types.get(s.name()).cloned().unwrap_or_default();
            let t = EngineType { populated: records.keys().copied().collect(), records, wiped: BTreeSet::new() };
            e.types.insert(s.name().to_owned(), t);
        }
        e
    }

    /// The state reached by a delta (or reverse delta) to `target`: records removed become ghosts,
    /// the ghosts of the previous transition are wiped.
    pub(crate) fn transition(&self, target: &State) -> Engine {
        let mut next = Engine { tag: NEXT_TAG.fetch_add(1, Ordering::Relaxed), origin: self.tag, ..self.clone() };
        for (name, t) in &mut next.types {
            let empty = BTreeMap::new();
            let target_records = target.types.get(name).unwrap_or(&empty);
            let old_ghosts: Vec<u32> = t.records.keys().copied().filter(|o| !t.populated.contains(o)).collect();
            for o in old_ghosts {
                t.records.remove(&o);
                t.wiped.insert(o);
            }
            for (&o, r) in target_records {
                if !t.populated.contains(&o) {
                    t.wiped.remove(&o);
                    t.records.insert(o, r.clone());
                }
            }
            t.populated = target_records.keys().copied().collect();
        }
        next
    }

    fn record(&self, type_name: &str, ordinal: u32) -> Option<&Record> {
        self.types.get(type_name)?.records.get(&ordinal)
    }
}

/// One type of a model engine.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TypeView<'a>(&'a EngineType);

impl<'a> ObjectRecords<'a> for TypeView<'a> {
    fn value(self, ordinal: u32, field: usize, field_type: FieldType) -> Option<FieldValue<'a>> {
        if self.0.wiped.contains(&ordinal) {
            return Some(match field_type {
                FieldType::String | FieldType::Bytes => FieldValue::Bytes(&[]),
                FieldType::Double => FieldValue::Double(0),
                FieldType::Float => FieldValue::Float(0),
                FieldType::Boolean => FieldValue::Boolean(false),
                _ => FieldValue::Int(0),
            });
        }
        let Some(Record::Object(fields)) = self.0.records.get(&ordinal) else { return None };
        Some(match fields.get(field)?.as_ref()? {
            Field::Int(v) => FieldValue::Int(*v as i64),
            Field::Long(v) => FieldValue::Int(*v),
            Field::Double(bits) => FieldValue::Double(double_key_bits(f64::from_bits(*bits))),
            Field::Str(b) => FieldValue::Bytes(b),
            Field::Ref(o) => FieldValue::Ordinal(*o),
        })
    }

    fn reference(self, ordinal: u32, field: usize) -> Option<u32> {
        if self.0.wiped.contains(&ordinal) {
            return Some(0);
        }
        match self.0.records.get(&ordinal) {
            Some(Record::Object(fields)) => match fields.get(field)? {
                Some(Field::Ref(o)) => Some(*o),
                _ => None,
            },
            _ => None,
        }
    }
}

impl CollectionRecords for TypeView<'_> {
    fn try_for_each(self, ordinal: u32, f: &mut dyn FnMut(u32) -> ControlFlow<()>) -> ControlFlow<()> {
        match self.0.records.get(&ordinal) {
            Some(Record::Elements(e)) => e.iter().try_for_each(|&o| f(o)),
            _ => ControlFlow::Continue(()),
        }
    }
}

impl MapRecords for TypeView<'_> {
    fn try_for_each(self, ordinal: u32, f: &mut dyn FnMut(u32, u32) -> ControlFlow<()>) -> ControlFlow<()> {
        match self.0.records.get(&ordinal) {
            Some(Record::Entries(e)) => e.iter().try_for_each(|&(k, v)| f(k, v)),
            _ => ControlFlow::Continue(()),
        }
    }
}

impl Source for Engine {
    type Object<'a> = TypeView<'a>;
    type Collection<'a> = TypeView<'a>;
    type Map<'a> = TypeView<'a>;

    fn version_tag(&self) -> i64 {
        self.tag
    }
    fn origin_tag(&self) -> i64 {
        self.origin
    }
    fn shares_type(&self, other: &Self, type_name: &str) -> bool {
        // Across one transition, a type whose populated set did not change did not change at all,
        // as a read engine that shares the type's state between the two versions.
        self.types.get(type_name).map(|t| &t.populated) == other.types.get(type_name).map(|t| &t.populated)
    }
    fn schema(&self, type_name: &str) -> Option<&Schema> {
        self.schemas.get(type_name)
    }
    fn object(&self, type_name: &str) -> Option<TypeView<'_>> {
        matches!(self.schemas.get(type_name)?, Schema::Object(_)).then(|| TypeView(&self.types[type_name]))
    }
    fn collection(&self, type_name: &str) -> Option<TypeView<'_>> {
        matches!(self.schemas.get(type_name)?, Schema::List(_) | Schema::Set(_))
            .then(|| TypeView(&self.types[type_name]))
    }
    fn map(&self, type_name: &str) -> Option<TypeView<'_>> {
        matches!(self.schemas.get(type_name)?, Schema::Map(_)).then(|| TypeView(&self.types[type_name]))
    }
    fn populated_count(&self, type_name: &str) -> usize {
        self.types.get(type_name).map_or(0, |t| t.populated.len())
    }
    fn for_each_populated(&self, type_name: &str, f: &mut dyn FnMut(u32)) {
        if let Some(t) = self.types.get(type_name) {
            t.populated.iter().for_each(|&o| f(o));
        }
    }
    fn for_each_populated_in(&self, type_name: &str, ordinals: std::ops::Range<u32>, f: &mut dyn FnMut(u32)) {
        if let Some(t) = self.types.get(type_name) {
            t.populated.range(ordinals).for_each(|&o| f(o));
        }
    }
    fn max_populated(&self, type_name: &str) -> Option<u32> {
        self.types.get(type_name)?.populated.last().copied()
    }
    fn populated_changes(&self, newer: &Self, type_name: &str, removed: &mut Vec<u32>, added: &mut Vec<u32>) {
        let empty = BTreeSet::new();
        let old = self.types.get(type_name).map_or(&empty, |t| &t.populated);
        let new = newer.types.get(type_name).map_or(&empty, |t| &t.populated);
        merge_difference(old.iter().copied(), new.iter().copied(), removed, added);
    }
}

impl Engine {
    /// The populated ordinals of a type (for oracles).
    pub(crate) fn populated(&self, type_name: &str) -> Vec<u32> {
        self.types.get(type_name).map(|t| t.populated.iter().copied().collect()).unwrap_or_default()
    }

    /// A populated record (for oracles).
    pub(crate) fn populated_record(&self, type_name: &str, ordinal: u32) -> Option<&Record> {
        let t = self.types.get(type_name)?;
        t.populated.contains(&ordinal).then(|| self.record(type_name, ordinal)).flatten()
    }
}

/// Symmetric difference of two ascending ordinal sequences.
pub(crate) fn merge_difference(
    old: impl Iterator<Item = u32>,
    new: impl Iterator<Item = u32>,
    removed: &mut Vec<u32>,
    added: &mut Vec<u32>,
) {
    let mut old = old.peekable();
    let mut new = new.peekable();
    loop {
        match (old.peek().copied(), new.peek().copied()) {
            (Some(a), Some(b)) if a == b => {
                old.next();
                new.next();
            }
            (Some(a), Some(b)) if a < b => {
                removed.push(a);
                old.next();
            }
            (Some(_), Some(b)) => {
                added.push(b);
                new.next();
            }
            (Some(a), None) => {
                removed.push(a);
                old.next();
            }
            (None, Some(b)) => {
                added.push(b);
                new.next();
            }
            (None, None) => return,
        }
    }
}

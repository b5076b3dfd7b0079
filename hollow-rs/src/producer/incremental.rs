//! Incremental cycles: changes by primary key on top of the last announced state (Java's
//! `HollowProducer.Incremental`). See [`Producer::run_incremental_cycle`](super::Producer::run_incremental_cycle).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::CycleInput;
use crate::consumer::ReadState;
use crate::diff::{Change, ChangeSet};
use crate::encoding::{hollow_string, zigzag};
use crate::error::{Error, Result};
use crate::index::{KeyValue, PrimaryKeyIndex};
use crate::mapper::{from_json, GenericValue, Mappable, ObjectMapper};
use crate::schema::paths::{resolve_key, KeyPath};
use crate::schema::{FieldType, Schema};
use crate::store::Version;
use crate::write::canonical::{object_fields, RawField};
use crate::write::{WriteStateEngine, NULL_DOUBLE_BITS, NULL_FLOAT_BITS};

/// What an incremental cycle did. See [`Producer::last_incremental_stats`](super::Producer::last_incremental_stats).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncrementalStats {
    /// Upserts applied (after later changes to a key replaced earlier ones).
    pub upserts: usize,
    /// Deletes applied to a record that was there.
    pub deletes: usize,
    /// Deletes of a key that had no record: no-ops.
    pub absent_deletes: usize,
    /// Changes replaced by a later change to the same key in the same cycle.
    pub superseded: usize,
    /// Per type: records of the previous state no longer in the new one (deleted, replaced, or left
    /// unreferenced), and records new in it. Types with neither are left out.
    pub removed: BTreeMap<String, usize>,
    /// See [`removed`](Self::removed).
    pub added: BTreeMap<String, usize>,
}

/// A record's identity for an incremental change: its primary key, or (types without one) the record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Ident {
    Key(Vec<KeyPart>),
    /// The ordinal the record got when the change was made (see [`IncrementalChanges`]).
    Record(u32),
}

/// One key field's value, normalized so that a key read from a record and a key given by a caller
/// compare equal when Hollow's key equality says so.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyPart {
    Null,
    Int(i64),
    Float(u32),
    Double(u64),
    Boolean(bool),
    String(String),
    Bytes(Vec<u8>),
    Reference(u32),
}

type Replay = Box<dyn Fn(&mut ObjectMapper, &mut WriteStateEngine) -> Result<u32>>;

enum OpKind {
    /// `ordinal`: the record's ordinal when it was added; `replay` adds it again.
    Upsert { ordinal: u32, replay: Replay },
    /// `probed_absent`: a keyless delete whose record had to be added to be found, and was not there.
    Delete { probed_absent: bool },
}

struct Op {
    type_name: String,
    ident: Ident,
    kind: OpKind,
}

/// The changes of an incremental cycle, handed to the function given to
/// [`Producer::run_incremental_cycle`](super::Producer::run_incremental_cycle).
///
/// Every change names its record by primary key: an upsert by the key of the record given, a delete by
/// the key's values (in the order the primary key lists its fields; see
/// [`diff::change`](crate::diff::change)). A type without a primary key is keyed by its whole record.
/// Changes are checked when they are made (an unknown type, a record or key that does not fit the
/// schema is an error right away) and applied when the function returns; a later change to a key
/// replaces an earlier one.
pub struct IncrementalChanges<'a> {
    engine: &'a mut WriteStateEngine,
    mapper: &'a mut ObjectMapper,
    version: Version,
    ops: Vec<Op>,
    /// Resolved primary keys by type (`None`: the type has none).
    keys: HashMap<String, Option<Vec<KeyPath>>>,
}

impl IncrementalChanges<'_> {
    /// The version this cycle will produce.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Add `value` through the producer's [`ObjectMapper`], replacing the record with the same primary
    /// key if there is one (a type without a primary key: add it if absent). Its type's schemas are
    /// registered on first use, as by [`WriteState::add`](super::WriteState::add).
    ///
    /// # Errors
    ///
    /// Those of [`ObjectMapper::add`] (a value that does not fit its derived schema), and
    /// [`Error::Schema`](crate::Error::Schema) when the type's primary key does not resolve.
    pub fn add_or_modify<T: Mappable + Clone + 'static>(&mut self, value: &T) -> Result<()> {
        let type_name = self.mapper.initialize::<T>(self.engine)?;
        let ordinal = self.mapper.add(self.engine, value)?;
        let value = value.clone();
        self.upserted(type_name, ordinal, Box::new(move |m, e| m.add(e, &value)))
    }

    /// [`add_or_modify`](Self::add_or_modify) for a generic record of `type_name` (whose schemas must
    /// be registered).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`](crate::Error::NotFound) for an unregistered type,
    /// [`Error::SchemaMismatch`](crate::Error::SchemaMismatch) when the record does not fit it.
    pub fn upsert_generic(&mut self, type_name: &str, record: &GenericValue) -> Result<()> {
        self.schema(type_name)?;
        if record.type_name() != Some(type_name) {
            return Err(Error::SchemaMismatch(format!(
                "the record to upsert into {type_name} is {}",
                record.type_name().map_or_else(|| format!("the value {record}"), |t| format!("a record of {t}"))
            )));
        }
        let ordinal = self.mapper.add_generic(self.engine, record)?;
        let record = record.clone();
        self.upserted(type_name.to_owned(), ordinal, Box::new(move |m, e| m.add_generic(e, &record)))
    }

    /// [`upsert_generic`](Self::upsert_generic) of a JSON record (read with
    /// [`from_json`](crate::mapper::from_json)).
    ///
    /// # Errors
    ///
    /// Those of [`from_json`](crate::mapper::from_json) and of [`upsert_generic`](Self::upsert_generic).
    pub fn upsert_json(&mut self, type_name: &str, json: &serde_json::Value) -> Result<()> {
        self.schema(type_name)?;
        let record = from_json(json, type_name, &*self.engine)?;
        self.upsert_generic(type_name, &record)
    }

    /// Delete the record of `type_name` whose primary key is `key` (one value per key field, in the
    /// order the primary key lists them: `[GenericValue::Long(7)]`); a key with no record is a no-op,
    /// counted in [`IncrementalStats::absent_deletes`]. For a type without a primary key, `key` is the
    /// record itself, one value.
    ///
    /// # Errors
    ///
    /// Fails with [`Error::NotFound`] for an unknown type, [`Error::SchemaMismatch`] when `key` has the
    /// wrong number of values or a value of the wrong kind, [`Error::InvalidArgument`] when the type has
    /// no primary key and `key` is not one of its records.
    pub fn delete(&mut self, type_name: &str, key: &[GenericValue]) -> Result<()> {
        let kind = self.schema(type_name)?.kind();
        let ident = match self.key_paths(type_name)? {
            Some(paths) => Ident::Key(key_from_values(type_name, &paths, key)?),
            None => {
                let [record] = key else {
                    return Err(Error::SchemaMismatch(format!(
                        "type {type_name} has no primary key: its key is the whole record, one value, not {}",
                        key.len()
                    )));
                };
                if record.type_name() != Some(type_name) {
                    return Err(Error::InvalidArgument(format!(
                        "type {type_name} ({}) has no primary key: a delete needs the record itself as its key, not {record}",
                        kind.name()
                    )));
                }
                // Adding the record finds it if it is there; if not, the cycle is replayed without it.
                let ordinal = self.mapper.add_generic(self.engine, record)?;
                let probed_absent = !self.engine.was_populated_in_previous_cycle(type_name, ordinal);
                self.ops.push(Op {
                    type_name: type_name.to_owned(),
                    ident: Ident::Record(ordinal),
                    kind: OpKind::Delete { probed_absent },
                });
                return Ok(());
            }
        };
        self.ops.push(Op { type_name: type_name.to_owned(), ident, kind: OpKind::Delete { probed_absent: false } });
        Ok(())
    }

    /// [`delete`](Self::delete) from the type `T`'s values are records of.
    ///
    /// # Errors
    ///
    /// As [`delete`](Self::delete), and [`Error::Schema`](crate::Error::Schema) when `T`'s schemas cannot be
    /// derived.
    pub fn delete_of<T: Mappable>(&mut self, key: &[GenericValue]) -> Result<()> {
        let type_name = self.mapper.initialize::<T>(self.engine)?;
        self.delete(&type_name, key)
    }

    /// Apply one change of a [`ChangeSet`].
    ///
    /// # Errors
    ///
    /// Those of [`upsert_generic`](Self::upsert_generic) and [`delete`](Self::delete).
    pub fn apply(&mut self, change: &Change) -> Result<()> {
        match change {
            Change::Upsert { type_name, record } => self.upsert_generic(type_name, record),
            Change::Delete { type_name, key } => self.delete(type_name, key),
        }
    }

    /// Apply every change of `changes`, in order.
    ///
    /// # Errors
    ///
    /// The first error of [`apply`](Self::apply); the changes before it stay applied to this cycle.
    pub fn apply_all(&mut self, changes: &ChangeSet) -> Result<()> {
        changes.changes().iter().try_for_each(|c| self.apply(c))
    }

    /// The engine's schema of `type_name`, or [`Error::NotFound`].
    fn schema(&self, type_name: &str) -> Result<&Schema> {
        self.engine.schema(type_name).ok_or_else(|| Error::NotFound(format!("type {type_name} is not registered")))
    }

    fn key_paths(&mut self, type_name: &str) -> Result<Option<Vec<KeyPath>>> {
        if let Some(paths) = self.keys.get(type_name) {
            return Ok(paths.clone());
        }
        let paths = match self.schema(type_name)? {
            Schema::Object(s) => match &s.primary_key {
                Some(key) => Some(resolve_key(&*self.engine, type_name, key)?),
                None => None,
            },
            _ => None,
        };
        self.keys.insert(type_name.to_owned(), paths.clone());
        Ok(paths)
    }

    fn upserted(&mut self, type_name: String, ordinal: u32, replay: Replay) -> Result<()> {
        let ident = match self.key_paths(&type_name)? {
            Some(paths) => Ident::Key(key_of_record(self.engine, &paths, ordinal)),
            None => Ident::Record(ordinal),
        };
        self.ops.push(Op { type_name, ident, kind: OpKind::Upsert { ordinal, replay } });
        Ok(())
    }
}

/// Primary-key indexes over the last announced state, kept from cycle to cycle and moved along with
/// the state (by [`PrimaryKeyIndex::updated`], whose cost follows the change).
#[derive(Default)]
pub(crate) struct KeyIndexes {
    /// The state the indexes are for.
    state: Option<Arc<ReadState>>,
    by_type: HashMap<String, PrimaryKeyIndex>,
}

impl KeyIndexes {
    /// Move the indexes to `current`.
    fn follow(&mut self, current: &Arc<ReadState>) {
        if self.state.as_ref().is_some_and(|s| Arc::ptr_eq(s, current)) {
            return;
        }
        if let Some(old) = self.state.take() {
            let by_type = std::mem::take(&mut self.by_type);
            self.by_type = by_type
                .into_iter()
                .filter_map(|(t, idx)| idx.updated(old.engine(), current.engine()).ok().map(|idx| (t, idx)))
                .collect();
        }
        self.state = Some(current.clone());
    }

    /// The ordinal in `current` of the record of `type_name` with the key `key` (read along `paths`).
    fn find(
        &mut self,
        current: &Arc<ReadState>,
        type_name: &str,
        paths: &[KeyPath],
        key: &[KeyPart],
    ) -> Result<Option<u32>> {
        self.follow(current);
        let engine = current.engine();
        if engine.type_state(type_name).is_none() || key.contains(&KeyPart::Null) {
            return Ok(None);
        }
        let index = match self.by_type.entry(type_name.to_owned()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let fields: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                e.insert(PrimaryKeyIndex::with_fields(engine, type_name, &fields)?)
            }
        };
        let values: Vec<KeyValue<'_>> = key
            .iter()
            .map(|p| match p {
                KeyPart::Int(v) => KeyValue::Long(*v),
                KeyPart::Float(b) => KeyValue::Float(f32::from_bits(*b)),
                KeyPart::Double(b) => KeyValue::Double(f64::from_bits(*b)),
                KeyPart::Boolean(b) => KeyValue::Boolean(*b),
                KeyPart::String(s) => KeyValue::String(Cow::Borrowed(s)),
                KeyPart::Bytes(b) => KeyValue::Bytes(Cow::Borrowed(b)),
                KeyPart::Reference(o) => KeyValue::Reference(*o),
                KeyPart::Null => unreachable!("null keys are not looked up"),
            })
            .collect();
        Ok(index.get(engine, &values))
    }
}

/// Run the change function and apply its changes to the engine, which
/// [`Producer::run_incremental_cycle`](super::Producer::run_incremental_cycle) has just prepared.
///
/// The function's records are added as it makes its changes (that is how their keys are read and the
/// errors show at once). If that is already the cycle (no change replaced by a later one, no
/// keyless delete of an absent record, not the first cycle after a restore that projects fields),
/// the previous cycle's records are added, the replaced and deleted records removed with their
/// orphans, keeping everything the new records reference. Otherwise the additions are abandoned and
/// made again, from the surviving changes only, after the removals: the ordinals are the same either
/// way, those of a full cycle adding the records in the order of the surviving changes.
pub(crate) fn populate<F>(input: &mut CycleInput<'_>, changes: F) -> Result<IncrementalStats>
where
    F: FnOnce(&mut IncrementalChanges<'_>) -> Result<()>,
{
    let trial = input.engine.start_trial();
    let mut c = IncrementalChanges {
        engine: &mut *input.engine,
        mapper: &mut *input.mapper,
        version: input.version,
        ops: Vec::new(),
        keys: HashMap::new(),
    };
    changes(&mut c)?;
    let IncrementalChanges { ops, keys, .. } = c;
    let engine = &mut *input.engine;

    let mut last: HashMap<(&str, &Ident), usize> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        last.insert((&op.type_name, &op.ident), i);
    }
    let survives = |i: usize| last[&(ops[i].type_name.as_str(), &ops[i].ident)] == i;
    let mut stats = IncrementalStats { superseded: ops.len() - last.len(), ..IncrementalStats::default() };
    let replay = engine.projects_restored_fields()
        || ops.iter().enumerate().any(|(i, op)| match op.kind {
            OpKind::Upsert { .. } => !survives(i),
            OpKind::Delete { probed_absent } => probed_absent,
        });

    let mut roots: Vec<(&str, u32)> = Vec::new();
    let mut anchors: Vec<(&str, u32)> = Vec::new();
    for (_, op) in ops.iter().enumerate().filter(|&(i, _)| survives(i)) {
        let previous = match (&op.ident, input.current) {
            (_, None) => None,
            (Ident::Key(key), Some(current)) => {
                let paths = keys[&op.type_name].as_deref().expect("a keyed change has key paths");
                input.key_indexes.find(current, &op.type_name, paths, key)?
            }
            (Ident::Record(o), Some(_)) => engine.was_populated_in_previous_cycle(&op.type_name, *o).then_some(*o),
        };
        match (&op.kind, &op.ident) {
            (OpKind::Upsert { ordinal, .. }, ident) => {
                stats.upserts += 1;
                anchors.push((&op.type_name, *ordinal));
                if let (Some(p), Ident::Key(_)) = (previous, ident) {
                    if p != *ordinal {
                        roots.push((&op.type_name, p));
                    }
                }
            }
            (OpKind::Delete { .. }, _) => match previous {
                Some(p) => {
                    stats.deletes += 1;
                    roots.push((&op.type_name, p));
                }
                None => stats.absent_deletes += 1,
            },
        }
    }

    if replay {
        engine.abandon_trial(trial);
        engine.add_all_from_previous_cycle()?;
        engine.remove_with_orphans(&roots, &[])?;
        for (_, op) in ops.iter().enumerate().filter(|&(i, _)| survives(i)) {
            if let OpKind::Upsert { replay, .. } = &op.kind {
                replay(input.mapper, engine)?;
            }
        }
    } else {
        engine.add_all_from_previous_cycle()?;
        engine.remove_with_orphans(&roots, &anchors)?;
    }
    for (type_name, (added, removed)) in engine.changes_since_previous_cycle() {
        if added > 0 {
            stats.added.insert(type_name.clone(), added);
        }
        if removed > 0 {
            stats.removed.insert(type_name, removed);
        }
    }
    Ok(stats)
}

/// The key of the record `ordinal` of the write engine, read along `paths`.
fn key_of_record(engine: &WriteStateEngine, paths: &[KeyPath], ordinal: u32) -> Vec<KeyPart> {
    paths.iter().map(|path| key_part_of_record(engine, path, ordinal).unwrap_or(KeyPart::Null)).collect()
}

fn key_part_of_record(engine: &WriteStateEngine, path: &KeyPath, mut ordinal: u32) -> Option<KeyPart> {
    let (leaf, walk) = path.steps.split_last()?;
    let field = |type_name: &str, ordinal: u32, index: usize| -> Option<RawField<'_>> {
        let Some(Schema::Object(schema)) = engine.schema(type_name) else { return None };
        let bytes = engine.record_bytes(type_name, ordinal)?;
        object_fields(schema.fields.iter().map(|f| f.field_type), bytes).nth(index)
    };
    for step in walk {
        match field(&step.type_name, ordinal, step.field_index)? {
            RawField::Var(o) => ordinal = o as u32,
            _ => return None,
        }
    }
    Some(match (leaf.field_type, field(&leaf.type_name, ordinal, leaf.field_index)?) {
        (_, RawField::Null) => KeyPart::Null,
        (FieldType::Int | FieldType::Long, RawField::Var(z)) => KeyPart::Int(zigzag::decode_i64(z)),
        (FieldType::Reference, RawField::Var(o)) => KeyPart::Reference(o as u32),
        (FieldType::Boolean, RawField::Boolean(b)) => KeyPart::Boolean(b),
        (FieldType::Float, RawField::Float(NULL_FLOAT_BITS))
        | (FieldType::Double, RawField::Double(NULL_DOUBLE_BITS)) => KeyPart::Null,
        (FieldType::Float, RawField::Float(bits)) => KeyPart::Float(float_bits(f32::from_bits(bits))),
        (FieldType::Double, RawField::Double(bits)) => KeyPart::Double(double_bits(f64::from_bits(bits))),
        (FieldType::String, RawField::Bytes(b)) => KeyPart::String(hollow_string::decode(b)?.into_owned()),
        (FieldType::Bytes, RawField::Bytes(b)) => KeyPart::Bytes(b.to_vec()),
        _ => return None,
    })
}

/// A caller's key values, checked against the key's fields.
fn key_from_values(type_name: &str, paths: &[KeyPath], key: &[GenericValue]) -> Result<Vec<KeyPart>> {
    if paths.len() != key.len() {
        return Err(Error::SchemaMismatch(format!(
            "the primary key of {type_name} has {} field(s) ({}); the key gives {} value(s)",
            paths.len(),
            paths.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", "),
            key.len()
        )));
    }
    paths
        .iter()
        .zip(key)
        .map(|(path, value)| {
            let mismatch = || {
                Error::SchemaMismatch(format!(
                    "key of {type_name}: {value} is not a value of {path} ({:?})",
                    path.leaf_type()
                ))
            };
            if value.is_null() {
                return Ok(KeyPart::Null);
            }
            Ok(match path.leaf_type() {
                FieldType::Int => {
                    let v = value.as_i64().ok_or_else(mismatch)?;
                    i32::try_from(v).map_err(|_| mismatch())?;
                    KeyPart::Int(v)
                }
                FieldType::Long => KeyPart::Int(value.as_i64().ok_or_else(mismatch)?),
                FieldType::Reference => {
                    KeyPart::Reference(value.as_i64().and_then(|v| u32::try_from(v).ok()).ok_or_else(mismatch)?)
                }
                FieldType::String => KeyPart::String(value.as_str().ok_or_else(mismatch)?.to_owned()),
                FieldType::Boolean => match value {
                    GenericValue::Boolean(b) => KeyPart::Boolean(*b),
                    _ => return Err(mismatch()),
                },
                FieldType::Float => match value {
                    GenericValue::Float(f) => KeyPart::Float(float_bits(*f)),
                    _ => return Err(mismatch()),
                },
                FieldType::Double => match value {
                    GenericValue::Double(d) => KeyPart::Double(double_bits(*d)),
                    _ => return Err(mismatch()),
                },
                FieldType::Bytes => match value {
                    GenericValue::Bytes(b) => KeyPart::Bytes(b.clone()),
                    _ => return Err(mismatch()),
                },
            })
        })
        .collect()
}

/// Float bits with every NaN one, as key equality (`floatToIntBits`) has it.
fn float_bits(f: f32) -> u32 {
    if f.is_nan() {
        f32::NAN.to_bits()
    } else {
        f.to_bits()
    }
}

fn double_bits(d: f64) -> u64 {
    if d.is_nan() {
        f64::NAN.to_bits()
    } else {
        d.to_bits()
    }
}

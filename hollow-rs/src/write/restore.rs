//! Restoring a type's write state from a read state (Java's `HollowTypeWriteState.restoreFrom`), so a
//! producer that restarts continues the delta chain its consumers are on.
//!
//! Every populated record of the read state is turned back into the canonical bytes [`super::record`]
//! produces for the same values, and placed at exactly its ordinal as a record of the *previous*
//! cycle. The next cycle then finds each record it adds again at its old ordinal, and its delta holds
//! just the real changes. References need no remapping: every type keeps its ordinals.
//!
//! The bytes are rebuilt through the same record builders `add` uses, from the values the read state
//! holds, so they follow every canonicalization `add` applies: a NaN float or double becomes Java's
//! canonical NaN, the null sentinels stay null, a set's elements are sorted, a map's entries ordered,
//! and a string keeps its exact UTF-16 code units (lone surrogates included).
//!
//! The ordinals between restored records are free for new records right away (they are no ghosts
//! to the engine). Java hands them out **largest first** in the cycle after a restore (it pools them
//! in ascending order and takes from the end, without the sort a normal cycle does), and so does this
//! engine; from the next cycle on, the smallest free ordinal goes first again.
//!
//! ## Schema changes
//!
//! The write engine's schema wins. As in Java, the two schemas of a type must be compatible: same kind,
//! same element / key / value types for collections, and for objects, a field both have must have the
//! same type (and referenced type). An OBJECT record is restored with the fields both schemas have;
//! fields only the write schema has are null, fields only the read state has are dropped.
//!
//! When the write schema has fields the read state lacks, the records the next cycle adds have values
//! there that the restored records cannot have, so their bytes never match. Java then matches records
//! on the fields both schemas share (its "common schema"): a new record whose shared fields equal a
//! restored record's takes that record's ordinal (its *preferred* ordinal) if no other record took it
//! yet in this cycle. [`Projection`] does the same, so adding a field does not renumber (and re-send)
//! every record, nor every record that refers to them. As in Java, the record then keeps its ordinal
//! with its new values: the delta does not carry them (consumers on the old schema could not read them
//! anyway), and a cycle whose only differences are values of new fields has no change to publish;
//! consumers see the new values in snapshots written from then on.

use std::collections::HashMap;

use super::record::{ListRecord, MapRecord, ObjectRecord, SetRecord, Value};
use crate::error::{Error, Result};
use crate::read::{ObjectTypeReadState, TypeReadState};
use crate::schema::{FieldType, ObjectSchema, Schema};

/// How the fields of one OBJECT type map between the write schema and the read state's schema.
#[derive(Debug, Clone)]
pub(crate) struct FieldMapping {
    /// For each write-schema field, the index of the field with the same name in the read schema.
    read_field: Vec<Option<usize>>,
}

impl FieldMapping {
    /// Match `write` against `read` by field name. A field both have with different types is
    /// [`Error::SchemaMismatch`], as Java's `findCommonSchema`.
    pub fn new(write: &ObjectSchema, read: &ObjectSchema) -> Result<Self> {
        let mut read_field = Vec::with_capacity(write.fields.len());
        for f in &write.fields {
            let matching = read.field_index(&f.name);
            if let Some(r) = matching.map(|i| &read.fields[i]) {
                if r.field_type != f.field_type || r.referenced_type != f.referenced_type {
                    return Err(Error::SchemaMismatch(format!(
                        "cannot restore type {}: field {} is {} here but {} in the restored state",
                        write.name,
                        f.name,
                        describe(f.field_type, f.referenced_type.as_deref()),
                        describe(r.field_type, r.referenced_type.as_deref()),
                    )));
                }
            }
            read_field.push(matching);
        }
        Ok(FieldMapping { read_field })
    }

    /// The write-schema fields the read state also has, in write-schema order.
    pub fn common_fields(&self) -> Vec<usize> {
        self.read_field.iter().enumerate().filter_map(|(i, r)| r.map(|_| i)).collect()
    }

    /// True when the write schema has a field the read state lacks.
    pub fn has_new_fields(&self) -> bool {
        self.read_field.iter().any(Option::is_none)
    }
}

fn describe(t: FieldType, referenced: Option<&str>) -> String {
    match referenced {
        Some(r) => format!("a REFERENCE to {r}"),
        None => t.java_name().to_owned(),
    }
}

/// Check that a type's write schema and the read state's schema are compatible (see the module docs);
/// for OBJECT types, return how their fields map.
pub(crate) fn check_compatible(write: &Schema, read: &Schema) -> Result<Option<FieldMapping>> {
    let mismatch = |what: &str, ours: &str, theirs: &str| {
        Err(Error::SchemaMismatch(format!(
            "cannot restore type {}: its {what} is {ours} here but {theirs} in the restored state",
            write.name()
        )))
    };
    match (write, read) {
        (Schema::Object(w), Schema::Object(r)) => return FieldMapping::new(w, r).map(Some),
        (Schema::List(w), Schema::List(r)) if w.element_type != r.element_type => {
            return mismatch("element type", &w.element_type, &r.element_type)
        }
        (Schema::Set(w), Schema::Set(r)) if w.element_type != r.element_type => {
            return mismatch("element type", &w.element_type, &r.element_type)
        }
        (Schema::Map(w), Schema::Map(r)) if w.key_type != r.key_type => {
            return mismatch("key type", &w.key_type, &r.key_type)
        }
        (Schema::Map(w), Schema::Map(r)) if w.value_type != r.value_type => {
            return mismatch("value type", &w.value_type, &r.value_type)
        }
        (Schema::List(_), Schema::List(_)) | (Schema::Set(_), Schema::Set(_)) | (Schema::Map(_), Schema::Map(_)) => {}
        _ => return mismatch("kind", write.kind().name(), read.kind().name()),
    }
    Ok(None)
}

/// Records of the first cycle after a restore, matched on the fields the write schema shares with the
/// restored state (Java's `restoredMaps` under the common schema). Only needed when the write schema
/// has fields the restored state lacks.
#[derive(Debug, Clone)]
pub(crate) struct Projection {
    /// The shared fields, as write-schema indices in schema order.
    pub fields: Vec<usize>,
    /// A restored record's shared fields, encoded → its ordinal (the lowest, for records that only
    /// differed in fields the write schema dropped).
    preferred: HashMap<Box<[u8]>, u32>,
    /// The restored bytes of every record a new record took over, to undo if the cycle is abandoned.
    replaced: Vec<(u32, Vec<u8>)>,
}

impl Projection {
    fn new(fields: Vec<usize>) -> Self {
        Projection { fields, preferred: HashMap::new(), replaced: Vec::new() }
    }

    /// The restored record whose shared fields encode to `projection`, if any.
    pub fn preferred_ordinal(&self, projection: &[u8]) -> Option<u32> {
        self.preferred.get(projection).copied()
    }

    /// Make `ordinal` the preferred ordinal of records whose shared fields encode to `shared`, unless a
    /// lower one already is.
    pub fn prefer(&mut self, shared: &[u8], ordinal: u32) {
        self.preferred.entry(shared.into()).or_insert(ordinal);
    }

    /// Remember that the record at `ordinal` was given new bytes; `original` are its restored ones.
    pub fn record_replacement(&mut self, ordinal: u32, original: Vec<u8>) {
        self.replaced.push((ordinal, original));
    }

    /// The replacements made in this cycle, latest first, forgetting them.
    pub fn take_replacements(&mut self) -> impl Iterator<Item = (u32, Vec<u8>)> {
        std::mem::take(&mut self.replaced).into_iter().rev()
    }
}

/// What a type's write state keeps during the first cycle after a restore.
#[derive(Debug, Clone, Default)]
pub(crate) struct Restored {
    /// Present when records must be matched on shared fields (see [`Projection`]).
    pub projection: Option<Projection>,
}

/// Rebuilds the canonical bytes of a read state's records.
pub(crate) struct Rebuilder<'a> {
    schema: &'a Schema,
    field_index: &'a HashMap<String, usize>,
    mapping: Option<FieldMapping>,
    object: ObjectRecord,
    slots: Vec<Value>,
    ordinals: Vec<u32>,
    entries: Vec<(u32, u32)>,
    list: ListRecord,
    set: SetRecord,
    map: MapRecord,
}

impl<'a> Rebuilder<'a> {
    /// A rebuilder for records of a type whose write schema is `schema` (with its field-name index),
    /// restored from a read state with a compatible schema mapped by `mapping` (OBJECT types).
    pub fn new(schema: &'a Schema, field_index: &'a HashMap<String, usize>, mapping: Option<FieldMapping>) -> Self {
        Rebuilder {
            schema,
            field_index,
            mapping,
            object: ObjectRecord::new(),
            slots: Vec::new(),
            ordinals: Vec::new(),
            entries: Vec::new(),
            list: ListRecord::new(),
            set: SetRecord::new(),
            map: MapRecord::new(),
        }
    }

    /// The [`Projection`] records of this type need after the restore, if any.
    pub fn projection(&self) -> Option<Projection> {
        self.mapping.as_ref().filter(|m| m.has_new_fields()).map(|m| Projection::new(m.common_fields()))
    }

    /// Call `place(ordinal, canonical bytes, shared-field bytes)` for every populated record of `read`,
    /// by ascending ordinal. The shared-field bytes are given when [`Self::projection`] is `Some`.
    pub fn for_each_record(
        &mut self,
        read: &TypeReadState,
        mut place: impl FnMut(u32, &[u8], Option<&[u8]>) -> Result<()>,
    ) -> Result<()> {
        let projection = self.projection().map(|p| p.fields);
        let mut bytes = Vec::new();
        let mut shared = Vec::new();
        for ordinal in read.populated().iter() {
            if ordinal as i64 > read.max_ordinal() as i64 {
                return Err(Error::corrupt(
                    format!(
                        "record {ordinal} is populated but the type has data only up to ordinal {} (found while \
                         restoring; offset unknown)",
                        read.max_ordinal()
                    ),
                    0,
                )
                .in_type(read.name()));
            }
            bytes.clear();
            shared.clear();
            match (self.schema, read) {
                (Schema::Object(schema), TypeReadState::Object(r)) => {
                    let mapping = self.mapping.as_ref().expect("OBJECT types are restored with a field mapping");
                    fill_object(&mut self.object, schema, mapping, r, ordinal)?;
                    self.object.resolve(schema, self.field_index, &mut self.slots)?;
                    self.object.encode(schema, &self.slots, &mut bytes);
                    if let Some(fields) = &projection {
                        self.object.encode_fields(schema, &self.slots, fields.iter().copied(), &mut shared);
                    }
                }
                (Schema::List(_), TypeReadState::List(r)) => {
                    self.list.clear();
                    r.elements(ordinal).for_each(|e| {
                        self.list.add_element(e);
                    });
                    self.list.encode(&mut bytes);
                }
                (Schema::Set(_), TypeReadState::Set(r)) => {
                    self.set.clear();
                    r.elements(ordinal).for_each(|e| {
                        self.set.add_element(e);
                    });
                    self.set.encode(&mut self.ordinals, &mut bytes).map_err(|e| in_record(e, read, ordinal))?;
                }
                (Schema::Map(_), TypeReadState::Map(r)) => {
                    self.map.clear();
                    r.entries(ordinal).for_each(|(k, v)| {
                        self.map.add_entry(k, v);
                    });
                    self.map.encode(&mut self.entries, &mut bytes).map_err(|e| in_record(e, read, ordinal))?;
                }
                _ => {
                    return Err(Error::SchemaMismatch(format!(
                        "cannot restore type {}: it is a {} here but a {} in the restored state",
                        self.schema.name(),
                        self.schema.kind().name(),
                        read.schema().kind().name()
                    )))
                }
            }
            place(ordinal, &bytes, projection.is_some().then_some(&shared[..]))?;
        }
        Ok(())
    }
}

/// Set on `record` the values record `ordinal` of `read` has in the fields both schemas share.
fn fill_object(
    record: &mut ObjectRecord,
    schema: &ObjectSchema,
    mapping: &FieldMapping,
    read: &ObjectTypeReadState,
    ordinal: u32,
) -> Result<()> {
    record.clear();
    for (i, (f, from)) in schema.fields.iter().zip(&mapping.read_field).enumerate() {
        let Some(r) = *from else { continue };
        match f.field_type {
            FieldType::Int => read.read_int(ordinal, r).map(|v| record.set_int(i, v)),
            FieldType::Long => read.read_long(ordinal, r).map(|v| record.set_long(i, v)),
            FieldType::Boolean => read.read_boolean(ordinal, r).map(|v| record.set_boolean(i, v)),
            FieldType::Float => read.read_float_bits(ordinal, r).map(|b| record.set_float(i, f32::from_bits(b))),
            FieldType::Double => read.read_double_bits(ordinal, r).map(|b| record.set_double(i, f64::from_bits(b))),
            FieldType::Bytes => read.read_bytes(ordinal, r).map(|b| record.set_bytes(i, b)),
            FieldType::Reference => read.read_ordinal(ordinal, r).map(|o| record.set_reference(i, o)),
            FieldType::String => match read.read_bytes(ordinal, r) {
                None => None,
                // ASCII code units are stored as themselves, which is also their UTF-8.
                Some(b) if b.is_ascii() => Some(record.set_string(i, std::str::from_utf8(b).unwrap_or_default())),
                Some(_) => {
                    let units = read.read_string_utf16(ordinal, r).ok_or_else(|| {
                        Error::corrupt(
                            format!(
                                "record {ordinal}, field {}: the string is not a sequence of VarInt UTF-16 code \
                                 units (found while restoring; offset unknown)",
                                f.name
                            ),
                            0,
                        )
                        .in_type(&schema.name)
                    })?;
                    Some(record.set_string_utf16(i, &units))
                }
            },
        };
    }
    Ok(())
}

fn in_record(e: Error, read: &TypeReadState, ordinal: u32) -> Error {
    match e {
        Error::InvalidArgument(m) => Error::corrupt(
            format!("record {ordinal} cannot be restored: {m} (found while restoring; offset unknown)"),
            0,
        )
        .in_type(read.name()),
        other => other,
    }
}

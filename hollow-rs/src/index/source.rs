//! What an index reads from a dataset, as a trait.
//!
//! The indexes are written against [`Source`] rather than directly against
//! [`ReadStateEngine`](crate::read::ReadStateEngine), so that their maintenance logic can be tested
//! against a small model of Hollow's ordinal and ghost-record semantics as well as against real
//! engines. The read engine is the only implementation outside tests.

use std::ops::ControlFlow;
use std::sync::Arc;

use super::key::{double_key_bits, float_key_bits, FieldValue};
use crate::read::{
    ListTypeReadState, MapTypeReadState, ObjectTypeReadState, PopulatedOrdinals, ReadStateEngine, SetTypeReadState,
    TypeReadState,
};
use crate::schema::{FieldType, Schema};

/// Records of a dataset at one version, as the indexes read them.
pub(crate) trait Source: Sync {
    /// Access to the records of one OBJECT type.
    type Object<'a>: ObjectRecords<'a>
    where
        Self: 'a;
    /// Access to the records of one LIST or SET type.
    type Collection<'a>: CollectionRecords
    where
        Self: 'a;
    /// Access to the records of one MAP type.
    type Map<'a>: MapRecords
    where
        Self: 'a;

    /// Identifies this version (the randomized tag of the state).
    fn version_tag(&self) -> i64;
    /// The version this one was reached from (the origin tag of the last blob applied).
    fn origin_tag(&self) -> i64;
    /// Whether `self` and `other` share a type's state, so that it is the same in both.
    fn shares_type(&self, other: &Self, type_name: &str) -> bool;
    /// A type's schema.
    fn schema(&self, type_name: &str) -> Option<&Schema>;
    /// An OBJECT type.
    fn object(&self, type_name: &str) -> Option<Self::Object<'_>>;
    /// A LIST or SET type.
    fn collection(&self, type_name: &str) -> Option<Self::Collection<'_>>;
    /// A MAP type.
    fn map(&self, type_name: &str) -> Option<Self::Map<'_>>;
    /// Number of populated records of a type (0 for an unknown type).
    fn populated_count(&self, type_name: &str) -> usize;
    /// Call `f` with each populated ordinal of a type, ascending.
    fn for_each_populated(&self, type_name: &str, f: &mut dyn FnMut(u32));
    /// Call `f` with each populated ordinal of a type in `ordinals`, ascending.
    fn for_each_populated_in(&self, type_name: &str, ordinals: std::ops::Range<u32>, f: &mut dyn FnMut(u32));
    /// The largest populated ordinal of a type.
    fn max_populated(&self, type_name: &str) -> Option<u32>;
    /// The ordinals populated in `self` and not in `newer` (`removed`) and the other way round
    /// (`added`), both ascending.
    fn populated_changes(&self, newer: &Self, type_name: &str, removed: &mut Vec<u32>, added: &mut Vec<u32>);

    /// A type's state, shared, for an index to hold so that its lookups need not find the type by
    /// name. `None` (the default) where states are not shared: the index then looks the type up.
    fn shared_type(&self, type_name: &str) -> Option<Arc<TypeReadState>> {
        let _ = type_name;
        None
    }

    /// The records of a held OBJECT type state (see [`Source::shared_type`]).
    fn held_object<'a>(state: &'a TypeReadState) -> Option<Self::Object<'a>>
    where
        Self: 'a,
    {
        let _ = state;
        None
    }
}

/// Field reads of one OBJECT type.
pub(crate) trait ObjectRecords<'a>: Copy {
    /// The value of an inline field (`field_type` is never REFERENCE); `None` for null.
    fn value(self, ordinal: u32, field: usize, field_type: FieldType) -> Option<FieldValue<'a>>;
    /// The ordinal referenced by a REFERENCE field; `None` for null.
    fn reference(self, ordinal: u32, field: usize) -> Option<u32>;
    /// An INT or LONG field as a number; `None` for null, or for a field of another type.
    #[inline(always)]
    fn integer(self, ordinal: u32, field: usize, field_type: FieldType) -> Option<i64> {
        match self.value(ordinal, field, field_type) {
            Some(FieldValue::Int(v)) if matches!(field_type, FieldType::Int | FieldType::Long) => Some(v),
            _ => None,
        }
    }

    /// Start loading the cache line of a field of `ordinal`, ahead of [`Self::value`]; only a hint.
    #[inline(always)]
    fn prefetch(self, ordinal: u32, field: usize) {
        let _ = (ordinal, field);
    }
}

/// Element reads of one LIST or SET type.
pub(crate) trait CollectionRecords: Copy {
    /// Call `f` with each element ordinal of a record until it breaks.
    fn try_for_each(self, ordinal: u32, f: &mut dyn FnMut(u32) -> ControlFlow<()>) -> ControlFlow<()>;
}

/// Entry reads of one MAP type.
pub(crate) trait MapRecords: Copy {
    /// Call `f` with each (key, value) ordinal pair of a record until it breaks.
    fn try_for_each(self, ordinal: u32, f: &mut dyn FnMut(u32, u32) -> ControlFlow<()>) -> ControlFlow<()>;
}

/// A LIST or SET type of the read engine.
#[derive(Debug, Clone, Copy)]
pub(crate) enum EngineCollection<'a> {
    List(&'a ListTypeReadState),
    Set(&'a SetTypeReadState),
}

impl Source for ReadStateEngine {
    type Object<'a> = &'a ObjectTypeReadState;
    type Collection<'a> = EngineCollection<'a>;
    type Map<'a> = &'a MapTypeReadState;

    fn version_tag(&self) -> i64 {
        self.randomized_tag()
    }

    fn origin_tag(&self) -> i64 {
        ReadStateEngine::origin_tag(self)
    }

    fn shares_type(&self, other: &Self, type_name: &str) -> bool {
        self.shares_type_with(other, type_name)
    }

    fn schema(&self, type_name: &str) -> Option<&Schema> {
        self.type_state(type_name).map(|t| t.schema())
    }

    fn object(&self, type_name: &str) -> Option<&ObjectTypeReadState> {
        ReadStateEngine::object(self, type_name)
    }

    fn collection(&self, type_name: &str) -> Option<EngineCollection<'_>> {
        self.list(type_name).map(EngineCollection::List).or_else(|| self.set(type_name).map(EngineCollection::Set))
    }

    fn map(&self, type_name: &str) -> Option<&MapTypeReadState> {
        ReadStateEngine::map(self, type_name)
    }

    fn populated_count(&self, type_name: &str) -> usize {
        self.type_state(type_name).map_or(0, |t| t.populated().count())
    }

    fn for_each_populated(&self, type_name: &str, f: &mut dyn FnMut(u32)) {
        if let Some(t) = self.type_state(type_name) {
            t.populated().iter().for_each(f);
        }
    }

    fn for_each_populated_in(&self, type_name: &str, ordinals: std::ops::Range<u32>, f: &mut dyn FnMut(u32)) {
        if let Some(t) = self.type_state(type_name) {
            t.populated().iter_from(ordinals.start).take_while(|&o| o < ordinals.end).for_each(f);
        }
    }

    fn max_populated(&self, type_name: &str) -> Option<u32> {
        self.type_state(type_name)?.populated().max()
    }

    fn shared_type(&self, type_name: &str) -> Option<Arc<TypeReadState>> {
        self.type_state_shared(type_name)
    }

    #[inline]
    fn held_object<'a>(state: &'a TypeReadState) -> Option<&'a ObjectTypeReadState>
    where
        Self: 'a,
    {
        match state {
            TypeReadState::Object(o) => Some(o),
            _ => None,
        }
    }

    fn populated_changes(&self, newer: &Self, type_name: &str, removed: &mut Vec<u32>, added: &mut Vec<u32>) {
        let empty = PopulatedOrdinals::default();
        let old = self.type_state(type_name).map_or(&empty, |t| t.populated());
        let new = newer.type_state(type_name).map_or(&empty, |t| t.populated());
        old.diff(new, removed, added);
    }
}

impl<'a> ObjectRecords<'a> for &'a ObjectTypeReadState {
    #[inline(always)]
    fn value(self, ordinal: u32, field: usize, field_type: FieldType) -> Option<FieldValue<'a>> {
        Some(match field_type {
            FieldType::Int => FieldValue::Int(self.read_int(ordinal, field)? as i64),
            FieldType::Long => FieldValue::Int(self.read_long(ordinal, field)?),
            FieldType::Boolean => FieldValue::Boolean(self.read_boolean(ordinal, field)?),
            FieldType::Float => FieldValue::Float(float_key_bits(self.read_float(ordinal, field)?)),
            FieldType::Double => FieldValue::Double(double_key_bits(self.read_double(ordinal, field)?)),
            FieldType::String | FieldType::Bytes => FieldValue::Bytes(self.read_bytes(ordinal, field)?),
            FieldType::Reference => FieldValue::Ordinal(self.read_ordinal(ordinal, field)?),
        })
    }

    #[inline]
    fn reference(self, ordinal: u32, field: usize) -> Option<u32> {
        self.read_ordinal(ordinal, field)
    }

    #[inline(always)]
    fn prefetch(self, ordinal: u32, field: usize) {
        self.prefetch_field(ordinal, field);
    }

    #[inline(always)]
    fn integer(self, ordinal: u32, field: usize, field_type: FieldType) -> Option<i64> {
        match field_type {
            FieldType::Long => self.read_long(ordinal, field),
            FieldType::Int => self.read_int(ordinal, field).map(i64::from),
            _ => None,
        }
    }
}

impl CollectionRecords for EngineCollection<'_> {
    fn try_for_each(self, ordinal: u32, f: &mut dyn FnMut(u32) -> ControlFlow<()>) -> ControlFlow<()> {
        match self {
            EngineCollection::List(l) => l.elements(ordinal).try_for_each(f),
            EngineCollection::Set(s) => s.elements(ordinal).try_for_each(f),
        }
    }
}

impl MapRecords for &MapTypeReadState {
    fn try_for_each(self, ordinal: u32, f: &mut dyn FnMut(u32, u32) -> ControlFlow<()>) -> ControlFlow<()> {
        self.entries(ordinal).try_for_each(|(k, v)| f(k, v))
    }
}

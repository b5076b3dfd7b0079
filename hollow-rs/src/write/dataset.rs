//! What a type's body writers read of it, and of the other types: its schema, its records by ordinal,
//! and which ordinals are populated this cycle and the previous one.
//!
//! A leaf below the kinds: `object`, `collection` and `key_hash` read [`TypeRecords`] and [`Dataset`],
//! and `type_state`, which owns a `TypeRecords` per type and dispatches over the kinds, sits above them.
//! Keeping the records apart from the rest of a type's write state (shard counts, statistics) is what
//! lets the imports go one way.

use std::collections::HashMap;

use super::ordinal_map::OrdinalMap;
use super::populated::SegmentedBitSet;
use crate::schema::paths::SchemaLookup;
use crate::schema::Schema;

/// One type's records: canonical bytes by ordinal, and the ordinals populated in the cycle being built
/// (`current`) and in the one before (`previous`).
#[derive(Debug)]
pub(crate) struct TypeRecords {
    pub schema: Schema,
    pub ordinals: OrdinalMap,
    pub current: SegmentedBitSet,
    pub previous: SegmentedBitSet,
}

impl TypeRecords {
    pub fn new(schema: Schema) -> Self {
        TypeRecords {
            schema,
            ordinals: OrdinalMap::default(),
            current: SegmentedBitSet::default(),
            previous: SegmentedBitSet::default(),
        }
    }

    /// The canonical bytes of the record at `ordinal` (populated now or in the previous cycle).
    #[inline]
    pub fn record_bytes(&self, ordinal: u32) -> Option<&[u8]> {
        self.ordinals.bytes(ordinal)
    }

    /// Ordinals `0..=max_ordinal` populated in this cycle or the previous one: the records whose
    /// values consumers may still read, so whose values must fit the bit widths.
    pub fn ordinals_in_either(&self, max_ordinal: i32) -> impl Iterator<Item = u32> + '_ {
        (0..=max_ordinal).map(|o| o as u32).filter(|&o| self.current.get(o) || self.previous.get(o))
    }
}

/// The records of all types of an engine, for code that needs to look at other types (hash keys).
pub(crate) struct Dataset<'a> {
    pub types: Vec<&'a TypeRecords>,
    pub by_name: &'a HashMap<String, usize>,
}

impl<'a> Dataset<'a> {
    /// A type's index and records, by name.
    pub fn get(&self, name: &str) -> Option<(usize, &'a TypeRecords)> {
        let &i = self.by_name.get(name)?;
        Some((i, self.types[i]))
    }
}

/// The engine's schemas, for resolving key paths.
impl SchemaLookup for Dataset<'_> {
    fn schema(&self, name: &str) -> Option<&Schema> {
        self.get(name).map(|(_, records)| &records.schema)
    }
}

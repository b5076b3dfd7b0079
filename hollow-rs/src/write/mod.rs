//! The write state engine: records in, snapshot / delta / reverse-delta blobs out, byte-compatible
//! with Java Hollow's `HollowWriteStateEngine` and `HollowBlobWriter`.
//!
//! ## Model
//!
//! A producer builds one **state** per cycle by adding every record of that state to the
//! [`WriteStateEngine`]. Each record is serialized to Java's canonical byte form and deduplicated on
//! those bytes, so every distinct record of a type has one **ordinal**, and the same record keeps its
//! ordinal from cycle to cycle. A record that is not added again in a cycle
//! is removed; its ordinal becomes reusable in the cycle after next, because consumers keep removed
//! records readable ("ghosts") for one more delta. New records take the smallest free ordinal.
//!
//! An **incremental** cycle starts from the previous cycle's records instead
//! ([`WriteStateEngine::add_all_from_previous_cycle`]), removes some with the records that only they
//! referenced ([`WriteStateEngine::remove_with_orphans`]; semantics in `incremental`), and adds the new
//! ones: what it writes is what a full cycle adding the same records would write.
//!
//! An engine can also start from a state it did not write ([`WriteStateEngine::restore_from`]), to
//! continue the delta chain of a producer that restarted.
//!
//! Blobs are written from the engine's view of two states, the previous and the current:
//! * a **snapshot** holds every type and the current state in full;
//! * a **delta** holds the types that changed, with the ordinals removed and the records added;
//! * a **reverse delta** goes back from the current state to the previous one;
//! * a **header blob** holds just the header, with every schema.
//!
//! Bit widths are computed over the records of both states, so one set of statistics serves all three
//! blobs and the removed records still fit. Each type is split into a power-of-two number of shards
//! sized from a target shard size. Blobs are chained by random 64-bit tags.
//!
//! ## Modules
//!
//! * [`record`]: the record builders callers fill in.
//! * [`engine`]: [`WriteStateEngine`], cycles and blob writing.
//! * `type_state`: one type's state and shard counts, and the dispatch over the kinds' bodies;
//!   `object` and `collection`: the kind-specific bodies, over `layout` (shard layouts, widths) and
//!   `dataset` (the records the bodies read). Imports go one way: `engine` → `type_state` → kinds →
//!   leaves.
//! * `ordinal_map`: deduplication and ordinal assignment; `populated`: populated-ordinal sets sized
//!   exactly as Java's (encoded by [`crate::blob::populated`]).
//! * `key_hash`: placement of set elements and map keys by hash-key fields.
//! * `canonical`: the canonical record bytes, read back.
//! * `incremental`: starting a cycle from the previous one and removing records with their orphans.
//! * `restore`: rebuilding a write state from a read state, to continue a delta chain after a restart.
//! * `tags`: randomized state tags.

pub(crate) mod canonical;
mod collection;
mod dataset;
pub mod engine;
mod incremental;
mod key_hash;
mod layout;
mod object;
mod ordinal_map;
mod populated;
pub mod record;
mod restore;
mod tags;
mod type_state;

#[cfg(test)]
mod tests;

pub use engine::{WriteStateEngine, DEFAULT_TARGET_MAX_TYPE_SHARD_SIZE};
pub use record::{
    FieldRef, ListRecord, MapRecord, ObjectRecord, RecordRef, SetRecord, NULL_DOUBLE_BITS, NULL_FLOAT_BITS,
};
pub use tags::NO_STATE_TAG;

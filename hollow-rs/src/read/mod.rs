//! The read state engine: a dataset at one version, in memory, bit-packed as on the wire.
//!
//! [`ReadStateEngine::from_snapshot`] loads a snapshot; [`ReadStateEngine::apply_delta`] applies a delta
//! or reverse delta and returns a **new** engine, leaving `self` untouched, so readers of the old
//! version keep working while the new one is built. Unchanged types and shards are shared between the
//! two (`Arc`), so the cost of a delta follows the size of the change.
//!
//! Record access is by type and ordinal. Ordinals in a type are dense-ish integers; a record is
//! "populated" when it exists in the current version. Removed records stay readable as "ghosts" until
//! the next delta that touches their type, as in Java.
//!
//! ## Layout
//!
//! * `engine`: the engine; the blob's type sections, dispatched by kind.
//! * `type_state`: [`TypeReadState`], the dispatch over the four kinds.
//! * `object` over `object_data`: OBJECT records, their encoding, delta merging and resharding.
//! * `list`, `set`, `map` over `collection` and `collection_data`: the same for LIST, SET and MAP.
//! * `body`: what every kind's state holds (`TypeCore`) and the readers of the body layout they share.
//! * `sharding`: how ordinals spread over shards, a delta's removals and additions, the delta-merge walk
//!   every kind follows, resharding.
//! * `populated`: the populated-ordinals set.
//!
//! Imports between these files go one way, down this list (`engine` and `lookup` on top, `sharding`
//! and `populated` at the bottom): a kind never imports the dispatch over kinds.
//! * [`lookup`]: Java-compatible hash lookups in sets and maps, by element ordinal or by hash key.
//!
//! Every parse checks the sizes the accessors rely on, so an accessor never panics on data from a
//! corrupted blob; an ordinal without data reads as null or empty.
//!
//! What a parse allocates follows from the bytes present: counts are checked against the bytes that
//! remain before anything is allocated for them, every record counts as at least one bit of data (so
//! zero-width records cannot claim billions of records), and a delta's added ordinals may reach only
//! as far past the state's largest ordinal as Java's producer can place them (`sharding`). Loading a
//! snapshot of `n` bytes, or applying a delta of `d` bytes to a state of `s`, stays within a small
//! multiple of `n` (or `s + d`); `tests/alloc_bound.rs` measures it. The exception is a reverse delta
//! ([`ReadStateEngine::apply_reverse_delta`]): it adds records back at the ordinals an older version
//! gave them, which the state cannot bound, so it allocates for the ordinals it names, as Java does.

mod body;
mod collection;
mod collection_data;
mod engine;
mod follow;
mod list;
pub mod lookup;
mod map;
mod object;
mod object_data;
mod parallel_load;
mod populated;
mod retention;
mod set;
mod shard_arrays;
mod sharding;
mod type_state;

pub use engine::{Follower, ReadStateEngine};
pub use list::ListTypeReadState;
pub use lookup::SetMapKeyValue;
pub use map::MapTypeReadState;
pub use object::{ObjectTypeReadState, NULL_DOUBLE_BITS, NULL_FLOAT_BITS};
pub use populated::PopulatedOrdinals;
pub use set::SetTypeReadState;
pub use type_state::TypeReadState;

#[cfg(test)]
mod tests;

//! Consumer-side indexes: find records by key without scanning.
//!
//! * [`PrimaryKeyIndex`]: the one record of an OBJECT type with a given key (the schema's
//!   `@PrimaryKey`, or any key paths through references).
//! * [`HashIndex`]: every record of a type matching a key that may repeat, with paths that may go
//!   through lists, sets and maps (`tags.element.value`).
//!
//! Indexes are local to the consumer: nothing here is on the wire, and the hashes are our own.
//!
//! ## One version per index, updated by the change
//!
//! An index is immutable and belongs to one version of the dataset, like the
//! [`ReadStateEngine`](crate::read::ReadStateEngine) it reads records from; a consumer keeps one per
//! read state. `index.updated(&a, &b)` gives the index for `b`, the state reached from `a` by one
//! delta or reverse delta, and leaves `index` intact for readers still on `a`.
//!
//! The cost of `updated` follows the change, not the dataset. An index is an immutable base table
//! (built in full at some version, shared by `Arc`) plus a small persistent overlay of the changes
//! since: root records removed since the base (their base entries are ignored) and records added
//! since (filed by key hash). `updated` diffs the populated ordinals of the indexed type between `a`
//! and `b`, reads the keys of removed records in `a` and of added records in `b`, and edits a copy
//! of the overlay (in copy-on-write pages: the copy is the page tables, a pointer per page of 128
//! entries or 4096 bits, and an edit is O(1) plus a copy of its page the first time it touches
//! one). When the overlay outgrows an eighth of the base, the base is rebuilt from `b`: O(n) once
//! per n/8 changes.
//!
//! ## Why only the indexed type's records need watching
//!
//! A key is read from the root record and from records it references (`studio.address.city.value`
//! reads a Studio, an Address and a String). Only root ordinals are diffed, because of how Hollow
//! assigns ordinals (format spec §5.3):
//!
//! * A record's ordinal is the identity of its **content**: the producer deduplicates records by
//!   their serialized bytes, which include the *ordinals* of referenced records. A populated
//!   ordinal's content never changes; a "modified" record is a removal plus an addition.
//! * So if a referenced record changes (the city's text, say), it becomes a new record with a new
//!   ordinal; the Address referencing it then serializes differently and gets a new ordinal too, and
//!   so on up to the root, which is removed and re-added under a new ordinal. A root ordinal that is
//!   populated in both `a` and `b` therefore has the same content in both, and so does everything it
//!   references: its keys did not change.
//! * Could a referenced ordinal be reused for other content while a root still points at it? No:
//!   the producer adds every record reachable from the records it adds, so a record referenced by a
//!   populated root is itself populated, and a populated ordinal is never reassigned. Freed ordinals
//!   are reused no earlier than the cycle after they were freed.
//!
//! Removed records stay readable in `b` as ghosts, but the index reads their keys in `a`, where
//! they are still populated, so this does not depend on ghosts. Records whose ordinal was freed and
//! reused across two deltas are handled too: the base entry is ignored (stale) and the new record is
//! in the overlay.
//!
//! The diff is only sound between a state and the next one: across two transitions an ordinal may
//! have been removed and reused, and would look unchanged. So `updated` checks that `a` is the
//! state the index is for (by randomized tag; an error otherwise) and that `b` was reached from `a`
//! (its origin tag is `a`'s). Anything else (a state further away, a double snapshot of another
//! lineage) and any change of the schemas on the key paths makes `updated` rebuild from `b`, which
//! is always correct. When the read engine shares the indexed type's state between `a` and `b`
//! (the delta did not touch it), `updated` does nothing but retag.
//!
//! ## Lookups
//!
//! The base table is open addressing over compact slots: a fingerprint of the key hash and a root
//! ordinal (or group number) packed into 32 bits when the ordinals allow (see `table.rs`). A lookup hashes the caller's key (strings are hashed in
//! their stored form, so no allocation), reads the slot, and reads the record only on a
//! fingerprint match to verify the key. With an empty overlay that is one table miss plus the
//! record's; with a non-empty one, a trie probe is added. Lookups with a key whose length or kinds
//! do not fit the index match nothing.

mod duplicates;
mod hash_index;
mod hasher;
mod key;
mod overlay;
mod paged;
mod path;
mod primary_key;
mod shape;
mod source;
mod table;

#[cfg(test)]
mod model;
#[cfg(test)]
mod tests;

pub use duplicates::{find_duplicate_keys, DuplicateKey};
pub use hash_index::{HashIndex, HashIndexMatches};
pub use key::KeyValue;
pub use primary_key::PrimaryKeyIndex;

pub(crate) use path::PathRules;
pub(crate) use shape::key_types;

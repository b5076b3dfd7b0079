//! The blob container.
//!
//! A blob is a header ([`header`]) followed by `VarInt numTypes` and that many type sections. Each type
//! section is the type's schema, the shard envelope ([`envelope`]) and a kind-specific body that the
//! [`read`](crate::read) and [`write`](crate::write) engines own. A snapshot's type body ends with the
//! populated-ordinals bitset ([`populated`], whose one codec both engines use). Snapshots, deltas and reverse deltas share this container;
//! they differ in their bodies and in which types they include.

pub mod envelope;
pub mod header;
pub mod populated;

pub use header::{BlobHeader, BLOB_FORMAT_VERSION};

/// Header tag: the version a blob leads to.
pub const TAG_TO_VERSION: &str = "hollow.blob.to.version";
/// Header tag: how many states the delta chain has seen.
pub const TAG_DELTA_CHAIN_VERSION_COUNTER: &str = "hollow.delta.chain.version.counter";
/// Header tag: when the producer cycle started, in epoch milliseconds.
pub const TAG_CYCLE_START: &str = "hollow.metric.cycle.start";
/// Header tag: whether the producer used a partitioned ordinal map.
pub const TAG_PARTITIONED_ORDINAL_MAP: &str = "hollow.partitioned.ordinal.map";
/// Header tag: the hash of the schemas (see [`crate::schema::hash`]).
pub const TAG_SCHEMA_HASH: &str = "hollow.schema.hash";
/// Header tag: types whose shard count changed in this cycle.
pub const TAG_RESHARDING_INVOKED: &str = "hollow.type.resharding.invoked";

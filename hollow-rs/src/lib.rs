//! # hollow
//!
//! A Rust implementation of [Netflix Hollow](https://hollow.how)'s core: read-only, in-memory datasets
//! that one producer writes in cycles and many consumers read, kept in sync by snapshot, delta and
//! reverse-delta blobs. Blobs are byte-compatible with Java Hollow (blob format version 1030, v7.x).
//!
//! ## Layers
//!
//! * [`encoding`]: the raw primitives of the wire format (VarInts, bit arrays, Hollow strings, hashes).
//! * [`schema`]: object, list, set and map schemas; their binary form, text form and hash.
//! * [`blob`]: the blob container: header, tags, type-section envelopes.
//! * [`write`](mod@write): the write state engine: records to ordinals, snapshot/delta/reverse-delta writing.
//! * [`read`]: the read state engine: loading snapshots, applying deltas, record access.
//! * [`mapped`]: snapshot files read in place through a shared memory mapping (opt-in), and what that
//!   is safe against; [`memory`]: the arrays records are stored in (heap, huge pages, or a mapping).
//! * [`mapper`]: serde types and generic (JSON-like) values to and from records, with schemas derived
//!   the way Java's `HollowObjectMapper` derives them.
//! * [`diff`]: what changed between two read states, and change sets the incremental producer applies.
//! * [`index`]: primary-key and hash indexes over a read state, updated incrementally across deltas.
//! * [`store`]: where blobs and announcements live: in memory, or a directory in Java's layout.
//! * [`producer`]: cycles that publish new versions; [`consumer`]: refreshes and lock-free reads.
//! * [`telemetry`]: the tracing spans and metrics hollow reports, and their names.
//! * [`tools`]: checksums and dumps over a read state.

#![warn(missing_docs)]
// Every fallible public function says how it fails (`# Errors`); CI runs clippy with -D warnings.
#![warn(clippy::missing_errors_doc)]

pub mod blob;
pub mod codegen;
pub mod consumer;
pub mod diff;
pub mod encoding;
pub mod error;
pub mod index;
pub mod mapped;
pub mod mapper;
pub mod memory;
pub mod parallelism;
pub mod producer;
pub mod read;
pub mod schema;
pub mod store;
pub mod telemetry;
pub mod tools;
pub mod write;

// The front door: what an application names most, at the root (the module paths stay valid).
pub use consumer::{Consumer, ConsumerBuilder, ReadState, Records, TypedIndex};
pub use error::{Error, ErrorKind, Result};
pub use index::{HashIndex, KeyValue, PrimaryKeyIndex};
pub use mapper::{GenericValue, HollowRecord, ObjectMapper};
pub use producer::{Producer, ProducerBuilder, WriteState};
pub use read::ReadStateEngine;
pub use schema::dsl::{parse_schema, parse_schemas};
pub use schema::{Schema, STRING_TYPE};
pub use store::filesystem::FilesystemBlobStore;
pub use store::memory::InMemoryBlobStore;
pub use store::{StoreOptions, Version};
pub use write::WriteStateEngine;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

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
//! * [`mapper`]: serde types and generic (JSON-like) values to and from records, with schemas derived
//!   the way Java's `HollowObjectMapper` derives them.
//! * [`index`]: primary-key and hash indexes over a read state, updated incrementally across deltas.
//! * [`store`]: where blobs and announcements live: in memory, or a directory in Java's layout.
//! * [`producer`]: cycles that publish new versions; [`consumer`]: refreshes and lock-free reads.
//! * [`tools`]: checksums and dumps over a read state.

#![warn(missing_docs)]

pub mod blob;
pub mod consumer;
pub mod encoding;
pub mod error;
pub mod index;
pub mod mapper;
pub mod producer;
pub mod read;
pub mod schema;
pub mod store;
pub mod tools;
pub mod write;

pub use error::{Error, ErrorKind, Result};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

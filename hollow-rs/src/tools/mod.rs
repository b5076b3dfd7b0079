//! Tools over a read state: checksums, record stringification and full JSON dumps, each matching
//! what Java Hollow's tools produce for the same data.
//!
//! * [`checksum`]: `HollowChecksum`, the order-dependent hash of a whole state that the producer's
//!   integrity check compares.
//! * [`stringify`](mod@stringify): `HollowRecordJsonStringifier` output for one record.
//! * [`dump`]: a state as JSON, in the layout of the reference vectors' `expected/state-<v>.json`.
//! * [`java_float`]: Java 17's `Float.toString` / `Double.toString`, which the other two need.

pub mod checksum;
pub mod dump;
pub mod java_float;
pub mod stringify;

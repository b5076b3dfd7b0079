//! What changed between two read states, as counts, field-level differences and a change set.
//!
//! (The diff engine itself lands here; [`change`] holds the change set both the diff and the
//! incremental producer speak.)

pub mod change;

pub use change::{Change, ChangeSet};

//! The hollow-rs example suite: small programs that run the real engine (typed records, producer
//! cycles, deltas, indexes, a blob store) on an event schedule, show live progress, and end with a
//! report (text, `report.json`, `report.html` with charts).
//!
//! Each program is a module here with an `Options` type (its command line) and a `run` function that
//! returns the [`Report`]; `examples/NAME.rs` only parses the options and calls it, so the tests can
//! run every scenario in-process with a compressed schedule.

pub mod args;
pub mod benchmark;
pub mod comprehensive;
pub mod fleet;
pub mod html;
pub mod latency;
pub mod metrics;
pub mod movies;
pub mod progress;
pub mod report;
pub mod run;
pub mod schedule;

pub mod ecommerce;
pub mod faults;
pub mod performance;
pub mod stress;
pub mod tour;

pub use args::Common;
pub use report::Report;
pub use run::{main_with, Result, Run};

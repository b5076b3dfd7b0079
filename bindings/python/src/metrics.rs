//! Typed counters: `ConsumerMetrics`, `ProducerMetrics` and `IncrementalStats`, snapshots of the
//! core's structs (durations as float seconds). Each is frozen, has `to_dict()` and a `repr` naming
//! every value, and compares equal to another snapshot with the same values.

use std::collections::BTreeMap;

use hollow::store::Version;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Defines a frozen pyclass of plain fields with `to_dict`, `__repr__` and `__eq__`.
macro_rules! snapshot {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[pyclass(module = "hollow", frozen, get_all, eq)]
        #[derive(Clone, PartialEq)]
        pub struct $name {
            $($(#[$fmeta])* pub(crate) $field: $ty,)*
        }

        #[pymethods]
        impl $name {
            /// The values as a dict, by attribute name.
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                let d = PyDict::new(py);
                $(d.set_item(stringify!($field), self.$field.clone())?;)*
                Ok(d)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                let mut parts: Vec<String> = Vec::new();
                $(parts.push(format!(
                    "{}={}",
                    stringify!($field),
                    self.$field.clone().into_pyobject(py)?.into_any().repr()?
                ));)*
                Ok(format!("hollow.{}({})", stringify!($name), parts.join(", ")))
            }
        }
    };
}

snapshot! {
    /// Counters about a consumer's refreshes so far (`consumer.metrics`).
    ConsumerMetrics {
        /// Refreshes that changed the state.
        refreshes_succeeded: u64,
        /// Refreshes that failed (each also logged as a WARNING under `hollow.consumer`).
        refreshes_failed: u64,
        /// Failures since the last success.
        consecutive_failures: u64,
        /// Snapshots loaded.
        snapshots_applied: u64,
        /// Deltas and reverse deltas applied.
        deltas_applied: u64,
        /// Bytes of blobs applied.
        bytes_applied: u64,
        /// Duration of the last successful refresh, in seconds.
        last_refresh_duration: f64,
        /// Failed reads of the announced version while watching.
        watch_failures: u64,
        /// Indexes that could not be rebuilt on a new state although their type is in it.
        index_build_failures: u64,
    }
}

impl From<hollow::consumer::ConsumerMetrics> for ConsumerMetrics {
    fn from(m: hollow::consumer::ConsumerMetrics) -> Self {
        ConsumerMetrics {
            refreshes_succeeded: m.refreshes_succeeded,
            refreshes_failed: m.refreshes_failed,
            consecutive_failures: m.consecutive_failures,
            snapshots_applied: m.snapshots_applied,
            deltas_applied: m.deltas_applied,
            bytes_applied: m.bytes_applied,
            last_refresh_duration: m.last_refresh_duration.as_secs_f64(),
            watch_failures: m.watch_failures,
            index_build_failures: m.index_build_failures,
        }
    }
}

snapshot! {
    /// Counters about a producer's cycles so far (`producer.metrics`).
    ProducerMetrics {
        /// Cycles that announced a new version.
        cycles_succeeded: u64,
        /// Cycles that failed: nothing was announced.
        cycles_failed: u64,
        /// Cycles that found nothing changed: nothing was published.
        cycles_no_change: u64,
        /// Duration of the last cycle, whatever its outcome, in seconds.
        last_cycle_duration: f64,
        /// The version this producer last announced or restored (None before).
        current_version: Option<Version>,
        /// Retention runs that failed after an announced cycle.
        retention_failures: u64,
    }
}

impl From<hollow::producer::ProducerMetrics> for ProducerMetrics {
    fn from(m: hollow::producer::ProducerMetrics) -> Self {
        ProducerMetrics {
            cycles_succeeded: m.cycles_succeeded,
            cycles_failed: m.cycles_failed,
            cycles_no_change: m.cycles_no_change,
            last_cycle_duration: m.last_cycle_duration.as_secs_f64(),
            current_version: m.current_version,
            retention_failures: m.retention_failures,
        }
    }
}

snapshot! {
    /// What the last successful incremental cycle did (`producer.last_incremental_stats`).
    IncrementalStats {
        /// Upserts applied (after later changes to a key replaced earlier ones).
        upserts: usize,
        /// Deletes applied to a record that was there.
        deletes: usize,
        /// Deletes of a key that had no record: no-ops.
        absent_deletes: usize,
        /// Changes replaced by a later change to the same key in the same cycle.
        superseded: usize,
        /// Per type: records of the previous version no longer in the new one.
        removed: BTreeMap<String, usize>,
        /// Per type: records new in the new version.
        added: BTreeMap<String, usize>,
    }
}

impl From<&hollow::producer::IncrementalStats> for IncrementalStats {
    fn from(s: &hollow::producer::IncrementalStats) -> Self {
        IncrementalStats {
            upserts: s.upserts,
            deletes: s.deletes,
            absent_deletes: s.absent_deletes,
            superseded: s.superseded,
            removed: s.removed.clone(),
            added: s.added.clone(),
        }
    }
}

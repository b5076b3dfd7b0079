//! What hollow tells the people who run it: `tracing` spans and events, and metrics through the
//! [`metrics`] facade, so any subscriber and any exporter (Prometheus, StatsD, OpenTelemetry, ...) work.
//!
//! hollow installs neither a subscriber nor a recorder: the application does. Without one both cost
//! next to nothing: a disabled `tracing` callsite is one cached check, a metric with no recorder one
//! atomic load. Nothing is recorded on the read path (lookups, field reads, iteration): only cycles,
//! refreshes and the work inside them, a handful of events per version.
//!
//! # Spans
//!
//! | span | fields | inside it |
//! |---|---|---|
//! | `hollow.producer.cycle` | `dataset`, `kind` (`full`/`incremental`), `version`, `from_version` | the phases below; a `WARN` event when the cycle fails (with `error`), `INFO` when it announces or finds no change |
//! | `hollow.producer.populate` | | the caller's populate function (or the incremental changes) |
//! | `hollow.producer.write` | | writing the blobs in memory |
//! | `hollow.producer.publish` | | one `hollow.producer.publish_blob` per blob: `kind`, `bytes`, `duration_ms` |
//! | `hollow.producer.integrity_check` | | |
//! | `hollow.producer.validate` | | a `WARN` event per veto (`validator`, `error`) |
//! | `hollow.producer.announce` | `version` | |
//! | `hollow.consumer.refresh` | `dataset`, `from_version`, `to_version`, `plan` (`snapshot`/`deltas`/`reverse_deltas`/`none`), `blobs` | planning, one `hollow.consumer.apply_blob` per blob (`kind`, `version`, `bytes`), with one `hollow.consumer.update_indexes` (`index_type`) per index a delta moves (possibly on a worker thread, beside the rest of the delta), `hollow.consumer.update_indexes` for the indexes rebuilt after a snapshot or declared; `INFO` on success, `WARN` with `error` on failure |
//!
//! Event targets are the module paths (`hollow::producer`, `hollow::consumer`, `hollow::store`, ...),
//! which is what `RUST_LOG`-style filters and the Python and C log bridges go by.
//!
//! # Metrics
//!
//! Names and units follow Prometheus conventions (`_total` counters, `_seconds`, `_bytes`). Every
//! metric carries the label `dataset` (see `ProducerBuilder::with_name` and
//! `ConsumerBuilder::with_name`; `"default"` unless set), so several producers or consumers in one
//! process stay apart. Versions are reported as gauges: an exporter stores them as `f64`, exact up to
//! 2^53 (a timestamp version such as `20261206153000123` may be rounded by a few units).
//!
//! | metric | kind | labels | meaning |
//! |---|---|---|---|
//! | `hollow_producer_cycles_total` | counter | `result` = `succeeded`, `failed`, `no_change` | cycles run |
//! | `hollow_producer_cycle_duration_seconds` | histogram | `result` | whole cycle, populate to announce |
//! | `hollow_producer_phase_duration_seconds` | histogram | `phase` = `populate`, `write`, `publish`, `integrity_check`, `validate`, `announce` | each phase of a cycle that reached it |
//! | `hollow_producer_blob_bytes` | gauge | `kind` = `snapshot`, `delta`, `reverse_delta`, `header` | size of the last blob of that kind published |
//! | `hollow_producer_published_bytes_total` | counter | `kind` | bytes of blobs published |
//! | `hollow_producer_records` | gauge | `type` | populated records per type, last announced state |
//! | `hollow_producer_heap_bytes` | gauge | `type` | approximate heap bytes per type, last announced state |
//! | `hollow_producer_announced_version` | gauge | | the version this producer last announced |
//! | `hollow_consumer_refreshes_total` | counter | `result` = `succeeded`, `failed` | refreshes that changed the state or failed |
//! | `hollow_consumer_refresh_duration_seconds` | histogram | `result` | whole refresh, planning and fetching included |
//! | `hollow_consumer_blobs_applied_total` | counter | `kind` = `snapshot`, `delta`, `reverse_delta` | blobs applied |
//! | `hollow_consumer_blob_bytes_total` | counter | `kind` | bytes of blobs applied |
//! | `hollow_consumer_version` | gauge | | the version readers see |
//! | `hollow_consumer_announced_version` | gauge | | the newest version the consumer knows is announced |
//! | `hollow_consumer_versions_behind` | gauge | | blobs between the state readers see and the announced version, by the last plan (0 when current) |
//! | `hollow_consumer_last_refresh_timestamp_seconds` | gauge | | Unix time of the last successful refresh (time since it: `time() - this`) |
//! | `hollow_consumer_records` | gauge | `type` | populated records per type, current state |
//! | `hollow_consumer_heap_bytes` | gauge | `type` | approximate heap bytes per type, current state |
//! | `hollow_consumer_index_update_duration_seconds` | histogram | `type` | keeping one index current across a refresh |
//! | `hollow_consumer_mapping_fallbacks_total` | counter | | snapshots a mapping consumer loaded into the heap because its local file could not be mapped (vanished or changed) |
//!
//! [`describe_metrics`] registers the descriptions and units with the installed recorder.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics::{counter, gauge, histogram, Unit};

use crate::read::ReadStateEngine;
use crate::store::{BlobType, Version};

/// An event as one line of text for a log: its message, then its other fields in parentheses
/// (`refreshed to version 7 (version=7 duration_ms=1.5)`). The Python and C log bridges print this.
pub fn event_text(event: &tracing::Event<'_>) -> String {
    #[derive(Default)]
    struct Text {
        message: String,
        fields: String,
    }
    impl tracing::field::Visit for Text {
        fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
            if field.name() == "message" {
                self.message.push_str(value);
            } else {
                self.fields.push_str(&format!(" {}={}", field.name(), value));
            }
        }
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                self.message.push_str(&format!("{value:?}"));
            } else {
                self.fields.push_str(&format!(" {}={:?}", field.name(), value));
            }
        }
    }
    let mut text = Text::default();
    event.record(&mut text);
    if text.fields.is_empty() {
        text.message
    } else {
        format!("{} ({})", text.message, text.fields.trim_start())
    }
}

/// The label value of a producer or consumer built without a name.
pub const DEFAULT_DATASET: &str = "default";

/// Metric names, one constant each, so code, docs and tests name the same thing.
pub mod names {
    #![allow(missing_docs)]
    pub const PRODUCER_CYCLES: &str = "hollow_producer_cycles_total";
    pub const PRODUCER_CYCLE_DURATION: &str = "hollow_producer_cycle_duration_seconds";
    pub const PRODUCER_PHASE_DURATION: &str = "hollow_producer_phase_duration_seconds";
    pub const PRODUCER_BLOB_BYTES: &str = "hollow_producer_blob_bytes";
    pub const PRODUCER_PUBLISHED_BYTES: &str = "hollow_producer_published_bytes_total";
    pub const PRODUCER_RECORDS: &str = "hollow_producer_records";
    pub const PRODUCER_HEAP_BYTES: &str = "hollow_producer_heap_bytes";
    pub const PRODUCER_ANNOUNCED_VERSION: &str = "hollow_producer_announced_version";
    pub const CONSUMER_REFRESHES: &str = "hollow_consumer_refreshes_total";
    pub const CONSUMER_REFRESH_DURATION: &str = "hollow_consumer_refresh_duration_seconds";
    pub const CONSUMER_BLOBS_APPLIED: &str = "hollow_consumer_blobs_applied_total";
    pub const CONSUMER_BLOB_BYTES: &str = "hollow_consumer_blob_bytes_total";
    pub const CONSUMER_VERSION: &str = "hollow_consumer_version";
    pub const CONSUMER_ANNOUNCED_VERSION: &str = "hollow_consumer_announced_version";
    pub const CONSUMER_VERSIONS_BEHIND: &str = "hollow_consumer_versions_behind";
    pub const CONSUMER_LAST_REFRESH: &str = "hollow_consumer_last_refresh_timestamp_seconds";
    pub const CONSUMER_RECORDS: &str = "hollow_consumer_records";
    pub const CONSUMER_HEAP_BYTES: &str = "hollow_consumer_heap_bytes";
    pub const CONSUMER_INDEX_UPDATE_DURATION: &str = "hollow_consumer_index_update_duration_seconds";
    pub const CONSUMER_MAPPING_FALLBACKS: &str = "hollow_consumer_mapping_fallbacks_total";
}

use names::*;

/// Register every metric's description and unit with the installed recorder (exporters print them as
/// `# HELP` lines). Call it once after installing the recorder; metrics work without it.
pub fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(PRODUCER_CYCLES, Unit::Count, "Producer cycles run, by result");
    describe_histogram!(PRODUCER_CYCLE_DURATION, Unit::Seconds, "Producer cycle duration, populate to announce");
    describe_histogram!(PRODUCER_PHASE_DURATION, Unit::Seconds, "Duration of each phase of a producer cycle");
    describe_gauge!(PRODUCER_BLOB_BYTES, Unit::Bytes, "Size of the last published blob of each kind");
    describe_counter!(PRODUCER_PUBLISHED_BYTES, Unit::Bytes, "Bytes of blobs published, by kind");
    describe_gauge!(PRODUCER_RECORDS, Unit::Count, "Populated records per type in the last announced state");
    describe_gauge!(PRODUCER_HEAP_BYTES, Unit::Bytes, "Approximate heap bytes per type in the last announced state");
    describe_gauge!(PRODUCER_ANNOUNCED_VERSION, "The version the producer last announced");
    describe_counter!(CONSUMER_REFRESHES, Unit::Count, "Consumer refreshes, by result");
    describe_histogram!(CONSUMER_REFRESH_DURATION, Unit::Seconds, "Consumer refresh duration, fetching included");
    describe_counter!(CONSUMER_BLOBS_APPLIED, Unit::Count, "Blobs applied by the consumer, by kind");
    describe_counter!(CONSUMER_BLOB_BYTES, Unit::Bytes, "Bytes of blobs applied by the consumer, by kind");
    describe_gauge!(CONSUMER_VERSION, "The version the consumer's readers see");
    describe_gauge!(CONSUMER_ANNOUNCED_VERSION, "The newest version the consumer knows is announced");
    describe_gauge!(CONSUMER_VERSIONS_BEHIND, Unit::Count, "Blobs between the current and the announced version");
    describe_gauge!(CONSUMER_LAST_REFRESH, Unit::Seconds, "Unix time of the last successful refresh");
    describe_gauge!(CONSUMER_RECORDS, Unit::Count, "Populated records per type in the consumer's state");
    describe_gauge!(CONSUMER_HEAP_BYTES, Unit::Bytes, "Approximate heap bytes per type in the consumer's state");
    describe_histogram!(
        CONSUMER_INDEX_UPDATE_DURATION,
        Unit::Seconds,
        "Time to keep one index current across a refresh"
    );
    describe_counter!(
        CONSUMER_MAPPING_FALLBACKS,
        Unit::Count,
        "Snapshots loaded into the heap because their local file could not be mapped"
    );
}

/// The label value of a blob kind.
pub fn blob_kind(kind: BlobType) -> &'static str {
    match kind {
        BlobType::Snapshot => "snapshot",
        BlobType::Delta => "delta",
        BlobType::ReverseDelta => "reverse_delta",
        BlobType::Header => "header",
    }
}

fn unix_seconds_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Records and heap bytes per type, as two per-type gauges.
fn record_types(records: &'static str, heap: &'static str, dataset: &str, state: &ReadStateEngine) {
    for t in state.types() {
        let labels = [("dataset", dataset.to_owned()), ("type", t.name().to_owned())];
        gauge!(records, &labels).set(t.populated().count() as f64);
        gauge!(heap, &labels).set(t.approximate_heap_bytes() as f64);
    }
}

/// A consumer's metrics, labelled with its dataset name.
#[derive(Debug, Clone)]
pub(crate) struct ConsumerTelemetry {
    pub dataset: String,
}

impl ConsumerTelemetry {
    fn labels(&self) -> [(&'static str, String); 1] {
        [("dataset", self.dataset.clone())]
    }

    fn with(&self, key: &'static str, value: &'static str) -> [(&'static str, String); 2] {
        [("dataset", self.dataset.clone()), (key, value.to_owned())]
    }

    pub fn announced(&self, announced: Version) {
        gauge!(CONSUMER_ANNOUNCED_VERSION, &self.labels()).set(announced as f64);
    }

    pub fn planned(&self, blobs: usize) {
        gauge!(CONSUMER_VERSIONS_BEHIND, &self.labels()).set(blobs as f64);
    }

    pub fn blob_applied(&self, kind: BlobType, bytes: usize) {
        counter!(CONSUMER_BLOBS_APPLIED, &self.with("kind", blob_kind(kind))).increment(1);
        counter!(CONSUMER_BLOB_BYTES, &self.with("kind", blob_kind(kind))).increment(bytes as u64);
    }

    pub fn index_updated(&self, type_name: &str, took: Duration) {
        let labels = [("dataset", self.dataset.clone()), ("type", type_name.to_owned())];
        histogram!(CONSUMER_INDEX_UPDATE_DURATION, &labels).record(took.as_secs_f64());
    }

    pub fn refresh_succeeded(&self, version: Version, took: Duration, state: &ReadStateEngine) {
        counter!(CONSUMER_REFRESHES, &self.with("result", "succeeded")).increment(1);
        histogram!(CONSUMER_REFRESH_DURATION, &self.with("result", "succeeded")).record(took.as_secs_f64());
        gauge!(CONSUMER_VERSION, &self.labels()).set(version as f64);
        gauge!(CONSUMER_VERSIONS_BEHIND, &self.labels()).set(0.0);
        gauge!(CONSUMER_LAST_REFRESH, &self.labels()).set(unix_seconds_now());
        record_types(CONSUMER_RECORDS, CONSUMER_HEAP_BYTES, &self.dataset, state);
    }

    pub fn mapping_fell_back(&self) {
        counter!(CONSUMER_MAPPING_FALLBACKS, &self.labels()).increment(1);
    }

    pub fn refresh_failed(&self, took: Duration) {
        counter!(CONSUMER_REFRESHES, &self.with("result", "failed")).increment(1);
        histogram!(CONSUMER_REFRESH_DURATION, &self.with("result", "failed")).record(took.as_secs_f64());
    }
}

/// A producer's metrics, labelled with its dataset name.
#[derive(Debug, Clone)]
pub(crate) struct ProducerTelemetry {
    pub dataset: String,
}

/// The phases of a producer cycle, as the `phase` label names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Populate,
    Write,
    Publish,
    IntegrityCheck,
    Validate,
    Announce,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Populate => "populate",
            Phase::Write => "write",
            Phase::Publish => "publish",
            Phase::IntegrityCheck => "integrity_check",
            Phase::Validate => "validate",
            Phase::Announce => "announce",
        }
    }
}

/// How a cycle ended, as the `result` label names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CycleResult {
    Succeeded,
    Failed,
    NoChange,
}

impl ProducerTelemetry {
    fn with(&self, key: &'static str, value: &'static str) -> [(&'static str, String); 2] {
        [("dataset", self.dataset.clone()), (key, value.to_owned())]
    }

    pub fn phase(&self, phase: Phase, took: Duration) {
        histogram!(PRODUCER_PHASE_DURATION, &self.with("phase", phase.label())).record(took.as_secs_f64());
    }

    pub fn blob_published(&self, kind: BlobType, bytes: usize) {
        gauge!(PRODUCER_BLOB_BYTES, &self.with("kind", blob_kind(kind))).set(bytes as f64);
        counter!(PRODUCER_PUBLISHED_BYTES, &self.with("kind", blob_kind(kind))).increment(bytes as u64);
    }

    pub fn cycle_ended(&self, result: CycleResult, took: Duration) {
        let result = match result {
            CycleResult::Succeeded => "succeeded",
            CycleResult::Failed => "failed",
            CycleResult::NoChange => "no_change",
        };
        counter!(PRODUCER_CYCLES, &self.with("result", result)).increment(1);
        histogram!(PRODUCER_CYCLE_DURATION, &self.with("result", result)).record(took.as_secs_f64());
    }

    pub fn announced(&self, version: Version, state: &ReadStateEngine) {
        gauge!(PRODUCER_ANNOUNCED_VERSION, &[("dataset", self.dataset.clone())]).set(version as f64);
        record_types(PRODUCER_RECORDS, PRODUCER_HEAP_BYTES, &self.dataset, state);
    }
}

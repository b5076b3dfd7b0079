//! A `tracing` subscriber and a metrics recorder that remember everything, for tests that check what
//! hollow reports: the span tree with its fields, the events, and every metric's value.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One span: its name, its parent's index in [`Recording::spans`], and its fields as text.
#[derive(Debug, Clone)]
pub struct SpanRecord {
    pub name: String,
    pub parent: Option<usize>,
    pub fields: BTreeMap<String, String>,
}

/// One event: level, target, message, fields, and the index of the span it happened in.
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub level: tracing::Level,
    pub target: String,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub span: Option<usize>,
}

#[derive(Debug, Default)]
pub struct Recording {
    pub spans: Vec<SpanRecord>,
    pub events: Vec<EventRecord>,
}

impl Recording {
    /// Indexes of the spans named `name`.
    pub fn spans_named(&self, name: &str) -> Vec<usize> {
        (0..self.spans.len()).filter(|&i| self.spans[i].name == name).collect()
    }

    /// Names of the direct children of span `parent`, in order of creation.
    pub fn children(&self, parent: usize) -> Vec<&str> {
        self.spans.iter().filter(|s| s.parent == Some(parent)).map(|s| s.name.as_str()).collect()
    }

    /// Indexes of the direct children of `parent` named `name`.
    pub fn children_named(&self, parent: usize, name: &str) -> Vec<usize> {
        (0..self.spans.len()).filter(|&i| self.spans[i].parent == Some(parent) && self.spans[i].name == name).collect()
    }

    /// Field `field` of span `span`.
    pub fn field(&self, span: usize, field: &str) -> Option<&str> {
        self.spans[span].fields.get(field).map(String::as_str)
    }

    /// Events inside span `span` (directly).
    pub fn events_in(&self, span: usize) -> Vec<&EventRecord> {
        self.events.iter().filter(|e| e.span == Some(span)).collect()
    }
}

struct Fields<'a> {
    message: Option<&'a mut String>,
    fields: &'a mut BTreeMap<String, String>,
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        match (&mut self.message, field.name()) {
            (Some(m), "message") => m.push_str(value),
            _ => {
                self.fields.insert(field.name().to_owned(), value.to_owned());
            }
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        match (&mut self.message, field.name()) {
            (Some(m), "message") => m.push_str(&format!("{value:?}")),
            _ => {
                self.fields.insert(field.name().to_owned(), format!("{value:?}"));
            }
        }
    }
}

/// The index in `Recording::spans` and the recording, kept in each recorded span's extensions.
struct SpanIndex(usize, Arc<Mutex<Recording>>);

/// Records into the recording of the current thread, if it has one (see [`record_tracing`]), and
/// spans and events on other threads (a library's worker threads) into the recording of their parent
/// span. One layer is installed globally, once: per-thread default subscribers race with `tracing`'s
/// global interest cache when tests run in parallel, so a callsite first seen elsewhere could go
/// unrecorded.
#[derive(Clone, Default)]
pub struct RecordingLayer;

thread_local! {
    static CURRENT: std::cell::RefCell<Option<Arc<Mutex<Recording>>>> = const { std::cell::RefCell::new(None) };
}

fn current() -> Option<Arc<Mutex<Recording>>> {
    CURRENT.with(|c| c.borrow().clone())
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for RecordingLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let parent = span.parent().and_then(|p| p.extensions().get::<SpanIndex>().map(|i| (i.0, Arc::clone(&i.1))));
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields { message: None, fields: &mut fields });
        let Some(recording) = current().or_else(|| parent.as_ref().map(|p| Arc::clone(&p.1))) else { return };
        let index = {
            let mut spans = recording.lock().unwrap();
            let parent = parent.filter(|p| Arc::ptr_eq(&p.1, &recording)).map(|p| p.0);
            spans.spans.push(SpanRecord { name: attrs.metadata().name().to_owned(), parent, fields });
            spans.spans.len() - 1
        };
        span.extensions_mut().insert(SpanIndex(index, recording));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let Some((index, recording)) = span.extensions().get::<SpanIndex>().map(|i| (i.0, Arc::clone(&i.1))) else {
            return;
        };
        let mut recording = recording.lock().unwrap();
        values.record(&mut Fields { message: None, fields: &mut recording.spans[index].fields });
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let span =
            ctx.event_span(event).and_then(|s| s.extensions().get::<SpanIndex>().map(|i| (i.0, Arc::clone(&i.1))));
        let (mut message, mut fields) = (String::new(), BTreeMap::new());
        event.record(&mut Fields { message: Some(&mut message), fields: &mut fields });
        let meta = event.metadata();
        let Some(recording) = current().or_else(|| span.as_ref().map(|s| Arc::clone(&s.1))) else { return };
        let span = span.filter(|s| Arc::ptr_eq(&s.1, &recording)).map(|s| s.0);
        recording.lock().unwrap().events.push(EventRecord {
            level: *meta.level(),
            target: meta.target().to_owned(),
            message,
            fields,
            span,
        });
    }
}

/// Run `f` with a recording subscriber (this thread only) and return what it recorded.
pub fn record_tracing<T>(f: impl FnOnce() -> T) -> (T, Recording) {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(RecordingLayer))
            .expect("no other global subscriber in this test binary");
    });
    let recording = Arc::new(Mutex::new(Recording::default()));
    CURRENT.with(|c| *c.borrow_mut() = Some(recording.clone()));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = None);
    let recording = std::mem::take(&mut *recording.lock().unwrap());
    (out, recording)
}

/// Every metric recorded: name, labels (sorted) and value.
#[derive(Debug, Default)]
pub struct Metrics {
    pub values: Vec<(String, BTreeMap<String, String>, DebugValue)>,
}

impl Metrics {
    fn find(&self, name: &str, labels: &[(&str, &str)]) -> Option<&DebugValue> {
        self.values
            .iter()
            .find(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
            .map(|(_, _, v)| v)
    }

    /// A counter's value; 0 when it was never incremented.
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        match self.find(name, labels) {
            Some(DebugValue::Counter(v)) => *v,
            None => 0,
            Some(other) => panic!("{name} is not a counter: {other:?}"),
        }
    }

    /// A gauge's value.
    pub fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        match self.find(name, labels) {
            Some(DebugValue::Gauge(v)) => Some(v.into_inner()),
            None => None,
            Some(other) => panic!("{name} is not a gauge: {other:?}"),
        }
    }

    /// A histogram's samples.
    pub fn histogram(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        match self.find(name, labels) {
            Some(DebugValue::Histogram(v)) => v.iter().map(|x| x.into_inner()).collect(),
            None => Vec::new(),
            Some(other) => panic!("{name} is not a histogram: {other:?}"),
        }
    }

    /// Label sets recorded for `name`.
    pub fn label_sets(&self, name: &str) -> Vec<&BTreeMap<String, String>> {
        self.values.iter().filter(|(n, _, _)| n == name).map(|(_, l, _)| l).collect()
    }

    pub fn names(&self) -> std::collections::BTreeSet<&str> {
        self.values.iter().map(|(n, _, _)| n.as_str()).collect()
    }
}

/// Run `f` with a recording metrics recorder (this thread only) and return what it recorded.
pub fn record_metrics<T>(f: impl FnOnce() -> T) -> (T, Metrics) {
    let recorder = DebuggingRecorder::new();
    let snapshotter: Snapshotter = recorder.snapshotter();
    let out = metrics::with_local_recorder(&recorder, f);
    let values = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (_, key) = key.into_parts();
            let labels = key.labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
            (key.name().to_owned(), labels, value)
        })
        .collect();
    (out, Metrics { values })
}

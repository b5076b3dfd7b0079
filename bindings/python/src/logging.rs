//! The core's `tracing` events, forwarded to Python's `logging`.
//!
//! The core reports what it cannot raise (a background refresh that failed, a failed read of the
//! announced version, a failed cycle, retention failures) as `tracing` events with targets such as
//! `hollow::consumer`; this module installs, when the extension module loads, a small subscriber that
//! passes each event at level INFO or above to the Python logger named after its target
//! (`hollow.consumer`, `hollow.producer`, ...), so nothing goes unreported in a Python program. If the
//! process already has a global `tracing` subscriber, that one is kept.
//!
//! Events may come from background threads: the subscriber takes the GIL for the call (re-entrantly
//! if the thread already holds it), and does nothing once the interpreter is shutting down.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyString;
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{span, Event, Level, Metadata, Subscriber};

/// The most verbose level forwarded (DEBUG and TRACE events are not).
const MAX_LEVEL: Level = Level::INFO;

/// Forwards events to Python's `logging`; spans are ignored.
struct PyLogging;

/// The Python logger name for a `tracing` target: `hollow::consumer` is `hollow.consumer`, and a
/// target outside the crate goes under `hollow.` too.
fn logger_name(target: &str) -> String {
    let name = target.replace("::", ".");
    if name == "hollow" || name.starts_with("hollow.") {
        name
    } else {
        format!("hollow.{name}")
    }
}

/// Python's number for a level.
fn python_level(level: Level) -> u32 {
    match level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

fn log(py: Python<'_>, target: &str, level: Level, text: &str) -> PyResult<()> {
    static GET_LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let get_logger =
        GET_LOGGER.get_or_try_init(py, || Ok::<_, PyErr>(py.import("logging")?.getattr("getLogger")?.unbind()))?;
    let logger = get_logger.call1(py, (logger_name(target),))?;
    let logger = logger.bind(py);
    let level = python_level(level);
    if logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
        logger.call_method1("log", (level, PyString::new(py, "%s"), text))?;
    }
    Ok(())
}

impl Subscriber for PyLogging {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.enabled(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event() && *metadata.level() <= MAX_LEVEL
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::from_level(MAX_LEVEL))
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        let text = hollow::telemetry::event_text(event);
        // `try_attach`: nothing to log to once the interpreter is shutting down.
        Python::try_attach(|py| {
            if let Err(e) = log(py, metadata.target(), *metadata.level(), &text) {
                // A handler that raised: report it as Python reports errors it cannot raise.
                e.write_unraisable(py, None);
            }
        });
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// Install the forwarding subscriber as the process's global one, unless there is one already.
pub fn install() {
    // An error means another global subscriber is set (by the host program): keep it.
    let _ = tracing::subscriber::set_global_default(PyLogging);
}

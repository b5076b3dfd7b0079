//! Log records for C programs: the core's `tracing` events, passed to a callback the program sets.
//!
//! The core reports what it cannot return as an error (a background refresh that failed, retention
//! that failed after an announced cycle) and what an operator wants to see (each announced cycle, each
//! refresh) as `tracing` events. `hollow_set_log_callback` installs, the first time it is called, a
//! process-wide subscriber that hands every event at or above the chosen level to the callback; spans
//! are not recorded, so nothing costs more than a level check when no callback is set.

use std::ffi::{c_char, c_void, CString};
use std::sync::{OnceLock, RwLock};

use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{span, Event, Level, Metadata, Subscriber};

use crate::guard::{guard, FfiResult};
use crate::status::{hollow_status, FfiError};

/// How much a log record matters; a callback set for a level receives that level and the ones above
/// it (smaller numbers).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[allow(non_camel_case_types)]
pub enum hollow_log_level {
    /// Something failed.
    Error = 1,
    /// Something failed that hollow retries or works around (a background refresh, retention).
    Warn = 2,
    /// A cycle announced a version, a consumer refreshed.
    Info = 3,
    /// Details of the work inside cycles and refreshes.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

impl hollow_log_level {
    fn of(level: Level) -> Self {
        match level {
            Level::ERROR => Self::Error,
            Level::WARN => Self::Warn,
            Level::INFO => Self::Info,
            Level::DEBUG => Self::Debug,
            Level::TRACE => Self::Trace,
        }
    }
}

/// Receives one log record: its level, its target (the part of hollow it comes from, such as
/// `"hollow::consumer"`) and its text (the message, then its fields in parentheses). Both strings are
/// NUL-terminated UTF-8 valid only during the call. It may be called from any thread, including hollow's
/// background refresh threads, and concurrently; it must not call back into libhollow.
#[allow(non_camel_case_types)]
pub type hollow_log_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: hollow_log_level,
        target: *const c_char,
        message: *const c_char,
    ),
>;

#[derive(Clone, Copy)]
struct Sink {
    callback: unsafe extern "C" fn(*mut c_void, hollow_log_level, *const c_char, *const c_char),
    /// The caller's pointer, passed back untouched; kept as an integer so the sink is `Send + Sync`
    /// (the callback contract makes it the caller's job to share what it points to).
    user_data: usize,
    max_level: hollow_log_level,
}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

fn sink() -> Option<Sink> {
    *SINK.read().unwrap_or_else(|e| e.into_inner())
}

/// Forwards events to the callback in [`SINK`]; spans are ignored.
struct CallbackLog;

impl Subscriber for CallbackLog {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // The level can change after a callsite is registered, so events are asked about every time.
        if metadata.is_event() {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event() && sink().is_some_and(|s| hollow_log_level::of(*metadata.level()) <= s.max_level)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let Some(sink) = sink() else { return };
        let metadata = event.metadata();
        let level = hollow_log_level::of(*metadata.level());
        if level > sink.max_level {
            return;
        }
        // Interior NULs cannot come from hollow's own text; should a value carry one, it is cut there.
        let c_string = |s: String| {
            CString::new(s).unwrap_or_else(|e| {
                let end = e.nul_position();
                CString::new(&e.into_vec()[..end]).unwrap_or_default()
            })
        };
        let target = c_string(metadata.target().to_owned());
        let message = c_string(hollow::telemetry::event_text(event));
        // SAFETY: the callback was given by the caller of `hollow_set_log_callback` for exactly this
        // use (its contract: callable from any thread, concurrently); both strings live until it returns.
        unsafe { (sink.callback)(sink.user_data as *mut c_void, level, target.as_ptr(), message.as_ptr()) };
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// Send hollow's log records at `max_level` and above to `callback`, with `user_data` passed back to
/// it; a NULL `callback` stops them. Replaces any callback set before. Until a callback is set, records
/// go nowhere.
///
/// `max_level` is a `hollow_log_level` (`HOLLOW_LOG_LEVEL_INFO` for the records an operator wants).
/// The first call installs hollow's log subscriber for the whole process. Errors:
/// `HOLLOW_STATUS_INVALID_ARGUMENT` when another part of the process (a Rust library with its own
/// `tracing` subscriber) installed one first, or `max_level` is not a `hollow_log_level`.
/// Thread safety: any thread; records already being delivered may still reach the previous callback.
#[no_mangle]
pub extern "C" fn hollow_set_log_callback(
    callback: hollow_log_callback,
    user_data: *mut c_void,
    max_level: i32,
) -> hollow_status {
    guard(|| {
        let max_level = match max_level {
            1 => hollow_log_level::Error,
            2 => hollow_log_level::Warn,
            3 => hollow_log_level::Info,
            4 => hollow_log_level::Debug,
            5 => hollow_log_level::Trace,
            other => {
                return Err(FfiError::new(
                    hollow_status::InvalidArgument,
                    format!("log level {other} is not a hollow_log_level (1 to 5)"),
                ))
            }
        };
        install()?;
        *SINK.write().unwrap_or_else(|e| e.into_inner()) =
            callback.map(|callback| Sink { callback, user_data: user_data as usize, max_level });
        Ok(())
    })
}

/// Install [`CallbackLog`] once; the outcome is remembered.
fn install() -> FfiResult {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    if *INSTALLED.get_or_init(|| tracing::subscriber::set_global_default(CallbackLog).is_ok()) {
        Ok(())
    } else {
        Err(FfiError::new(
            hollow_status::InvalidArgument,
            "another tracing subscriber is installed in this process; hollow's log records go to it",
        ))
    }
}

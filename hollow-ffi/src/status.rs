//! Status codes, their messages, and the per-thread detailed message of the last failure.
//!
//! Every fallible function returns a [`hollow_status`]. The numbers are part of the ABI: a code is
//! never renumbered or reused. Codes 1 to 99 mirror [`hollow::ErrorKind`] one to one (the same
//! categories the Rust and Python APIs report); codes from 100 up are failures only the C boundary
//! has (a NULL argument, text that is not UTF-8, a panic caught at the boundary, ...).

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};

use hollow::ErrorKind;

/// What a call did. `HOLLOW_STATUS_OK` (0) is success; anything else is a failure whose details are in
/// `hollow_last_error_message()`. Values are stable across releases.
#[allow(non_camel_case_types)]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum hollow_status {
    /// Success.
    Ok = 0,
    /// A blob is malformed, truncated, or of an unsupported format version.
    CorruptBlob = 1,
    /// A delta was applied to a state it was not produced from.
    TagMismatch = 2,
    /// Schema text could not be parsed, or schemas disagree.
    Schema = 3,
    /// A value does not fit its schema: unknown field, wrong field type, wrong record kind.
    SchemaMismatch = 4,
    /// A type, field, record, version or blob store does not exist.
    NotFound = 5,
    /// An argument is out of range or otherwise invalid.
    InvalidArgument = 6,
    /// A validator vetoed a producer cycle.
    ValidationFailed = 7,
    /// The producer's blobs did not reproduce its state; nothing was announced.
    IntegrityCheckFailed = 8,
    /// An I/O operation failed.
    Io = 9,
    /// Another writer got there first: a blob of that name exists, another producer announced a
    /// different version, or holds the store's producer lock. Nothing was announced.
    Conflict = 10,
    /// A pointer argument that must not be NULL was NULL.
    NullArgument = 100,
    /// A text argument is not valid UTF-8.
    InvalidUtf8 = 101,
    /// The library panicked (a bug); the call was abandoned and the host process is unharmed.
    Panic = 102,
    /// A producer's populate callback returned a non-zero value.
    CallbackFailed = 103,
    /// Called from inside a callback on the same handle (for example `hollow_producer_run_cycle` or
    /// `hollow_producer_restore_announced` from inside that producer's populate callback); the call did
    /// nothing and the running call goes on.
    ReentrantCall = 104,
    /// An error of a kind newer than this list (should not happen; please report it).
    Unknown = 199,
}

impl hollow_status {
    /// The code for an error of the core library.
    pub(crate) fn of_kind(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::CorruptBlob => hollow_status::CorruptBlob,
            ErrorKind::TagMismatch => hollow_status::TagMismatch,
            ErrorKind::Schema => hollow_status::Schema,
            ErrorKind::SchemaMismatch => hollow_status::SchemaMismatch,
            ErrorKind::NotFound => hollow_status::NotFound,
            ErrorKind::InvalidArgument => hollow_status::InvalidArgument,
            ErrorKind::ValidationFailed => hollow_status::ValidationFailed,
            ErrorKind::IntegrityCheckFailed => hollow_status::IntegrityCheckFailed,
            ErrorKind::Io => hollow_status::Io,
            ErrorKind::Conflict => hollow_status::Conflict,
            _ => hollow_status::Unknown,
        }
    }

    /// The code with this number, if there is one.
    pub(crate) fn from_code(code: i32) -> Option<Self> {
        use hollow_status::*;
        const ALL: [hollow_status; 17] = [
            Ok,
            CorruptBlob,
            TagMismatch,
            Schema,
            SchemaMismatch,
            NotFound,
            InvalidArgument,
            ValidationFailed,
            IntegrityCheckFailed,
            Io,
            Conflict,
            NullArgument,
            InvalidUtf8,
            Panic,
            CallbackFailed,
            ReentrantCall,
            Unknown,
        ];
        ALL.into_iter().find(|s| *s as i32 == code)
    }

    /// A fixed, NUL-terminated description of the code.
    fn message(self) -> &'static CStr {
        match self {
            hollow_status::Ok => c"success",
            hollow_status::CorruptBlob => c"corrupt blob",
            hollow_status::TagMismatch => c"delta does not apply to this state",
            hollow_status::Schema => c"schema error",
            hollow_status::SchemaMismatch => c"value does not fit the schema",
            hollow_status::NotFound => c"not found",
            hollow_status::InvalidArgument => c"invalid argument",
            hollow_status::ValidationFailed => c"validation failed",
            hollow_status::IntegrityCheckFailed => c"integrity check failed",
            hollow_status::Io => c"I/O error",
            hollow_status::Conflict => c"conflict with another producer",
            hollow_status::NullArgument => c"NULL argument",
            hollow_status::InvalidUtf8 => c"text is not valid UTF-8",
            hollow_status::Panic => c"internal panic (a bug in libhollow)",
            hollow_status::CallbackFailed => c"callback failed",
            hollow_status::ReentrantCall => c"called from inside a callback on the same handle",
            hollow_status::Unknown => c"unknown error",
        }
    }
}

/// A failure on its way to the caller: a code and the detailed message. Boxed, so that the `Result`s of
/// the fast paths stay one or two registers wide (`Result<(), FfiError>` is a nullable pointer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FfiError(Box<Failure>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Failure {
    status: hollow_status,
    message: String,
}

impl FfiError {
    #[cold]
    pub(crate) fn new(status: hollow_status, message: impl Into<String>) -> Self {
        FfiError(Box::new(Failure { status, message: message.into() }))
    }

    /// Out of line: every exported function checks its pointers on its fast path.
    #[cold]
    #[inline(never)]
    pub(crate) fn null(argument: &str) -> Self {
        FfiError::new(hollow_status::NullArgument, format!("argument `{argument}` is NULL"))
    }

    pub(crate) fn status(&self) -> hollow_status {
        self.0.status
    }

    pub(crate) fn message(&self) -> &str {
        &self.0.message
    }
}

impl From<hollow::Error> for FfiError {
    fn from(e: hollow::Error) -> Self {
        FfiError::new(hollow_status::of_kind(e.kind()), e.to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Record `message` as this thread's last error message.
pub(crate) fn set_last_error(message: &str) {
    // Interior NULs cannot be represented in a C string; they only come from user-supplied text.
    let c = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = c);
}

/// A short, fixed description of a status code (for example `"not found"`); `"unrecognized status
/// code"` for a number that is not a `hollow_status`.
///
/// The string is static: never free it. Thread safety: any thread, any time.
#[no_mangle]
pub extern "C" fn hollow_status_message(code: i32) -> *const c_char {
    match hollow_status::from_code(code) {
        Some(s) => s.message().as_ptr(),
        None => c"unrecognized status code".as_ptr(),
    }
}

/// The detailed message of the last call that failed on this thread: what went wrong and where
/// (`"not found: type Movie has no field \"titel\""`). An empty string if no call has failed on this
/// thread yet. Successful calls do not clear it, so read it right after a call returned a non-OK status.
///
/// The string belongs to the library and stays valid until the next failing call on the same thread
/// (or the thread's exit); copy it to keep it. Never NULL. Thread safety: each thread has its own.
#[no_mangle]
pub extern "C" fn hollow_last_error_message() -> *const c_char {
    // The pointer targets the heap buffer of the thread-local CString, which only a later failure on
    // this same thread replaces.
    LAST_ERROR.try_with(|slot| slot.borrow().as_ptr()).unwrap_or(c"".as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for code in 0..300 {
            if let Some(s) = hollow_status::from_code(code) {
                assert_eq!(s as i32, code);
                assert!(seen.insert(s));
            }
        }
        assert_eq!(seen.len(), 17);
        // The boundary-only codes are ABI too.
        use hollow_status::*;
        let boundary = [NullArgument, InvalidUtf8, Panic, CallbackFailed, ReentrantCall, Unknown];
        assert_eq!(boundary.map(|s| s as i32), [100, 101, 102, 103, 104, 199]);
        assert_eq!(Ok as i32, 0);
    }

    #[test]
    fn every_error_kind_has_its_own_code() {
        let kinds = [
            ErrorKind::CorruptBlob,
            ErrorKind::TagMismatch,
            ErrorKind::Schema,
            ErrorKind::SchemaMismatch,
            ErrorKind::NotFound,
            ErrorKind::InvalidArgument,
            ErrorKind::ValidationFailed,
            ErrorKind::IntegrityCheckFailed,
            ErrorKind::Io,
            ErrorKind::Conflict,
        ];
        let codes: Vec<i32> = kinds.iter().map(|&k| hollow_status::of_kind(k) as i32).collect();
        // The numbers are ABI: they must never change.
        assert_eq!(codes, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }

    #[test]
    fn messages_are_static_and_known() {
        // SAFETY: status messages are static NUL-terminated strings.
        let msg = |code| unsafe { CStr::from_ptr(hollow_status_message(code)) }.to_str().unwrap();
        assert_eq!(msg(0), "success");
        assert_eq!(msg(5), "not found");
        assert_eq!(msg(100), "NULL argument");
        assert_eq!(msg(104), "called from inside a callback on the same handle");
        assert_eq!(msg(-7), "unrecognized status code");
    }

    #[test]
    fn last_error_is_per_thread() {
        set_last_error("boom\0here");
        // SAFETY: the message is NUL-terminated, owned by this thread and copied before the next call.
        let read = || unsafe { CStr::from_ptr(hollow_last_error_message()) }.to_str().unwrap().to_owned();
        assert_eq!(read(), "boom\\0here");
        std::thread::spawn(move || assert_eq!(read(), "")).join().unwrap();
    }
}

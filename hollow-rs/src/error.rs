//! The one error type of the crate.
//!
//! Each variant is something a caller can act on. The C error codes and the Python exception classes
//! are derived from [`ErrorKind`], one to one, so all three languages report the same thing.

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in a blob a decoding error happened.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlobPosition {
    /// Byte offset from the start of the blob.
    pub offset: u64,
    /// The type section being read, if any.
    pub type_name: Option<String>,
}

impl fmt::Display for BlobPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.type_name {
            Some(t) => write!(f, "byte {} (type {t})", self.offset),
            None => write!(f, "byte {}", self.offset),
        }
    }
}

/// Everything that can go wrong in hollow-rs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A blob is malformed, truncated, or larger than its contents justify.
    #[error("corrupt blob at {position}: {message}")]
    CorruptBlob {
        /// What was wrong.
        message: String,
        /// Where it was found.
        position: BlobPosition,
    },
    /// A blob was written in a format version this library does not read.
    #[error("unsupported blob format version {found} (expected {expected})")]
    UnsupportedVersion {
        /// The version found in the blob.
        found: i32,
        /// The version this library reads.
        expected: i32,
    },
    /// A delta was applied to a state it was not produced from.
    #[error("delta does not apply to this state: blob origin tag {origin:#018x}, current state tag {current:#018x}")]
    TagMismatch {
        /// The delta's origin tag.
        origin: i64,
        /// The tag of the state it was applied to.
        current: i64,
    },
    /// Schema text could not be parsed, or schemas disagree.
    #[error("schema error: {0}")]
    Schema(String),
    /// A value did not fit the schema it was given for (wrong field, wrong type, ...).
    #[error("schema mismatch: {0}")]
    SchemaMismatch(String),
    /// A type, field, record, version or blob does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// An argument was out of range or otherwise invalid.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A validator vetoed a producer cycle.
    #[error("validation failed: {0}")]
    ValidationFailed(String),
    /// The producer's integrity check found that its blobs do not reproduce its state.
    #[error("integrity check failed: {0}")]
    IntegrityCheckFailed(String),
    /// Another writer got there first: a blob of that name already exists (versions and blobs are never
    /// reused), another producer announced a different version, or holds the store's producer lock.
    #[error("conflict: {0}")]
    Conflict(String),
    /// An I/O operation failed.
    #[error("I/O error{}: {source}", context.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Io {
        /// What was being done.
        context: Option<String>,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// The stable category of an [`Error`], for mapping to C codes and Python exceptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::CorruptBlob`], [`Error::UnsupportedVersion`].
    CorruptBlob,
    /// See [`Error::TagMismatch`].
    TagMismatch,
    /// See [`Error::Schema`].
    Schema,
    /// See [`Error::SchemaMismatch`].
    SchemaMismatch,
    /// See [`Error::NotFound`].
    NotFound,
    /// See [`Error::InvalidArgument`].
    InvalidArgument,
    /// See [`Error::ValidationFailed`].
    ValidationFailed,
    /// See [`Error::IntegrityCheckFailed`].
    IntegrityCheckFailed,
    /// See [`Error::Io`].
    Io,
    /// See [`Error::Conflict`].
    Conflict,
}

impl Error {
    /// The stable category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::CorruptBlob { .. } | Error::UnsupportedVersion { .. } => ErrorKind::CorruptBlob,
            Error::TagMismatch { .. } => ErrorKind::TagMismatch,
            Error::Schema(_) => ErrorKind::Schema,
            Error::SchemaMismatch(_) => ErrorKind::SchemaMismatch,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::ValidationFailed(_) => ErrorKind::ValidationFailed,
            Error::IntegrityCheckFailed(_) => ErrorKind::IntegrityCheckFailed,
            Error::Io { .. } => ErrorKind::Io,
            Error::Conflict(_) => ErrorKind::Conflict,
        }
    }

    /// A corrupt-blob error at `offset`, outside any type section.
    pub fn corrupt(message: impl Into<String>, offset: u64) -> Self {
        Error::CorruptBlob { message: message.into(), position: BlobPosition { offset, type_name: None } }
    }

    /// Attach the type section being read to a corrupt-blob error that has none yet.
    pub fn in_type(mut self, type_name: &str) -> Self {
        if let Error::CorruptBlob { position, .. } = &mut self {
            if position.type_name.is_none() {
                position.type_name = Some(type_name.to_owned());
            }
        }
        self
    }

    /// The same error, its message prefixed with where it happened (`"change line 3: ..."`); an I/O
    /// error keeps its source and takes `context` as its note.
    pub fn with_context(self, context: &str) -> Self {
        let prefix = |m: String| format!("{context}: {m}");
        match self {
            Error::CorruptBlob { message, position } => Error::CorruptBlob { message: prefix(message), position },
            Error::Schema(m) => Error::Schema(prefix(m)),
            Error::SchemaMismatch(m) => Error::SchemaMismatch(prefix(m)),
            Error::NotFound(m) => Error::NotFound(prefix(m)),
            Error::InvalidArgument(m) => Error::InvalidArgument(prefix(m)),
            Error::ValidationFailed(m) => Error::ValidationFailed(prefix(m)),
            Error::IntegrityCheckFailed(m) => Error::IntegrityCheckFailed(prefix(m)),
            Error::Conflict(m) => Error::Conflict(prefix(m)),
            Error::Io { context: inner, source } => Error::Io {
                context: Some(inner.map_or_else(|| context.to_owned(), |c| format!("{context}: {c}"))),
                source,
            },
            e @ (Error::UnsupportedVersion { .. } | Error::TagMismatch { .. }) => e,
        }
    }

    /// An I/O error with a note on what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: Some(context.into()), source }
    }
}

impl From<std::io::Error> for Error {
    fn from(source: std::io::Error) -> Self {
        Error::Io { context: None, source }
    }
}

/// The message a caught panic carried (`panic!("...")` payloads are `&str` or `String`), for reporting
/// a panic as an error: the producer does it for a panicking populate callback, the C library for any
/// panic it stops at its boundary.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

//! The error type the mapper's serde implementations use internally, converted to [`crate::Error`] at
//! the public boundary.
//!
//! serde requires the error of a `Serializer`/`Deserializer` to implement its own error traits, which
//! the crate-wide [`Error`] does not. This wrapper also collects the path to the failing value
//! (`Show.cast[2].name`) as the error travels up through fields and elements, so a message says where
//! in a nested value the problem is.

use std::fmt;

use crate::error::Error;

/// A crate error plus the path (innermost segment first) to the value it concerns.
#[derive(Debug)]
pub(crate) struct MapperError {
    pub(crate) error: Error,
    path: Vec<PathSegment>,
}

#[derive(Debug)]
enum PathSegment {
    /// A field of a record: `Type.field`.
    Field {
        owner: String,
        field: String,
    },
    /// The n-th element of a list or set.
    Index(usize),
    /// A map key or value.
    MapKey,
    MapValue,
}

impl MapperError {
    pub(crate) fn new(error: Error) -> Self {
        MapperError { error, path: Vec::new() }
    }

    /// A [`Error::SchemaMismatch`]: a value that does not fit the schema it is written to or read from.
    pub(crate) fn mismatch(message: impl Into<String>) -> Self {
        Self::new(Error::SchemaMismatch(message.into()))
    }

    /// An [`Error::Schema`]: a Rust type the mapper cannot derive a schema for.
    pub(crate) fn schema(message: impl Into<String>) -> Self {
        Self::new(Error::Schema(message.into()))
    }

    /// An [`Error::InvalidArgument`]: a value Hollow cannot store (out of range, null where not allowed).
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(Error::InvalidArgument(message.into()))
    }

    /// Turn any error but an [`Error::Schema`] into one, its message rewritten by `message`.
    pub(crate) fn into_schema_error(mut self, message: impl FnOnce(String) -> String) -> Self {
        if !matches!(self.error, Error::Schema(_)) {
            let original = match &self.error {
                Error::SchemaMismatch(m) | Error::InvalidArgument(m) | Error::NotFound(m) => m.clone(),
                other => other.to_string(),
            };
            self.error = Error::Schema(message(original));
        }
        self
    }

    /// Note that the error happened inside field `field` of a record of type `owner`.
    pub(crate) fn in_field(mut self, owner: &str, field: &str) -> Self {
        self.path.push(PathSegment::Field { owner: owner.to_owned(), field: field.to_owned() });
        self
    }

    /// Note that the error happened inside element `index` of a list or set.
    pub(crate) fn in_element(mut self, index: usize) -> Self {
        self.path.push(PathSegment::Index(index));
        self
    }

    /// Note that the error happened inside a map key (`true`) or value (`false`).
    pub(crate) fn in_map(mut self, key: bool) -> Self {
        self.path.push(if key { PathSegment::MapKey } else { PathSegment::MapValue });
        self
    }

    fn path_string(&self) -> String {
        let mut out = String::new();
        for (i, segment) in self.path.iter().rev().enumerate() {
            match segment {
                PathSegment::Field { owner, field } if i == 0 => {
                    out.push_str(owner);
                    out.push('.');
                    out.push_str(field);
                }
                PathSegment::Field { field, .. } => {
                    out.push('.');
                    out.push_str(field);
                }
                PathSegment::Index(n) => out.push_str(&format!("[{n}]")),
                PathSegment::MapKey => out.push_str("{key}"),
                PathSegment::MapValue => out.push_str("{value}"),
            }
        }
        out
    }

    /// The crate error, its message prefixed with the path when there is one.
    pub(crate) fn into_error(self) -> Error {
        if self.path.is_empty() {
            return self.error;
        }
        let at = self.path_string();
        match self.error {
            Error::SchemaMismatch(m) => Error::SchemaMismatch(format!("at {at}: {m}")),
            Error::Schema(m) => Error::Schema(format!("at {at}: {m}")),
            Error::InvalidArgument(m) => Error::InvalidArgument(format!("at {at}: {m}")),
            Error::NotFound(m) => Error::NotFound(format!("at {at}: {m}")),
            other => other,
        }
    }
}

impl From<Error> for MapperError {
    fn from(error: Error) -> Self {
        MapperError::new(error)
    }
}

impl From<MapperError> for Error {
    fn from(e: MapperError) -> Self {
        e.into_error()
    }
}

impl fmt::Display for MapperError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.error)
        } else {
            write!(f, "at {}: {}", self.path_string(), self.error)
        }
    }
}

impl std::error::Error for MapperError {}

/// Errors raised by a `Serialize` implementation (`S::Error::custom`) are the value's own complaint.
impl serde::ser::Error for MapperError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        MapperError::invalid(msg.to_string())
    }
}

/// Errors raised by a `Deserialize` implementation (missing field, invalid type, ...) mean the record
/// does not have the shape the Rust type expects.
impl serde::de::Error for MapperError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        MapperError::mismatch(msg.to_string())
    }
}

pub(crate) type MapperResult<T> = std::result::Result<T, MapperError>;

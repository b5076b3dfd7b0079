//! Dynamically typed values: data from a dynamic language (Python objects, say), written through the
//! one schema-following writer.
//!
//! A dynamic value is any `Serialize` value whose numbers carry no width: an integer is serialized as
//! the smallest of `i32`, `i64`, `u64` that holds it, a real as `f64`. [`ObjectMapper::add_dynamic`]
//! writes it with the [writing rules](super#writing) of typed values, except that any number fits a
//! FLOAT or DOUBLE field (converted, as a Python `int` or `float` is), an `f64` fits a FLOAT field, and
//! an integer too large for an INT field is [`Error::InvalidArgument`] (out of range, not a mismatch).
//! Values that may be null should be serialized through `serialize_some`, so NaN and minimum values
//! stay values.

use serde::Serialize;

use super::ser::Writer;
use super::ObjectMapper;
use crate::error::{Error, Result};
use crate::write::WriteStateEngine;

impl ObjectMapper {
    /// Add the dynamically typed `value` as a record of `type_name`, whose schema (and those of the
    /// types it refers to) must be registered in `engine`.
    ///
    /// A dynamic value's numbers carry no width: it should serialize an integer as the smallest of
    /// `i32`, `i64`, `u64` that holds it, a real as `f64`, and nullable numbers through `serialize_some`
    /// (so NaN and minimum values stay values). It is written as [`add_as`](Self::add_as) writes, except
    /// that any number fits a FLOAT or DOUBLE field, converted (an `f64` in a FLOAT field is rounded), and
    /// an integer too large for an INT field is [`Error::InvalidArgument`].
    ///
    /// # Errors
    ///
    /// As [`add_as`](Self::add_as); [`Error::InvalidArgument`] for an integer
    /// too large for its INT or LONG field.
    pub fn add_dynamic<T: ?Sized + Serialize>(
        &mut self,
        engine: &mut WriteStateEngine,
        type_name: &str,
        value: &T,
    ) -> Result<u32> {
        Writer::new(engine, &mut self.cache).dynamic().write(type_name, value).map_err(Error::from)
    }
}

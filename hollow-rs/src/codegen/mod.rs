//! Code generation from schemas: typed accessors for Rust and Python (`hollow codegen`).
//!
//! Pure string generation: [`generate`] takes parsed schemas and returns source text; the CLI writes it
//! where the user wants it. The same schemas always give the same text, byte for byte, so generated
//! files can be checked in and compared.
//!
//! * [`Language::Rust`]: zero-copy views. `Api::new(&state)` resolves every type and field in a
//!   [`ReadState`](crate::ReadState) once ([`runtime`]); each type gets a `Copy` view (`ShowView<'a>`:
//!   the `Api` and an ordinal) with one accessor per field that reads the record in place, references
//!   as the referenced type's view, lists, sets and maps as iterators of views, and a typed
//!   primary-key lookup (`api.show_by_key(id)`) for types with a primary key. Strings are `Cow<str>`:
//!   borrowed from the engine when the stored text is ASCII, decoded into a `String` otherwise
//!   (Hollow stores strings as modified UTF-8 of UTF-16, which is not Rust's UTF-8 beyond ASCII).
//! * [`Language::Python`]: one frozen dataclass per OBJECT type, for
//!   `rs.type("Show", as_=Show)` in the Python bindings. Single-field types (`String`, `Long`,
//!   enums) are their value, as the bindings read them; lists are `List`, sets `FrozenSet`, maps `Dict`.
//!
//! Every type a schema refers to must be among the schemas given ([`Error::Schema`] otherwise).

mod names;
mod python;
pub mod runtime;
mod rust;

use crate::error::{Error, Result};
use crate::schema::Schema;

/// The language to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Rust views over a read state.
    Rust,
    /// Python dataclasses.
    Python,
}

impl std::str::FromStr for Language {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "rust" => Ok(Language::Rust),
            "python" => Ok(Language::Python),
            other => Err(Error::InvalidArgument(format!("unknown language {other:?} (expected rust or python)"))),
        }
    }
}

/// Source text for `schemas` in `language`.
///
/// # Errors
/// [`Error::Schema`] when a schema refers to a type that is not among `schemas`, a type name appears
/// twice, or a primary key does not resolve.
pub fn generate(language: Language, schemas: &[Schema]) -> Result<String> {
    let schemas = GenSchemas::new(schemas)?;
    match language {
        Language::Rust => rust::generate(&schemas),
        Language::Python => Ok(python::generate(&schemas)),
    }
}

/// Schemas checked to be complete: every referenced type present, every name once.
struct GenSchemas<'a> {
    schemas: &'a [Schema],
}

impl<'a> GenSchemas<'a> {
    fn new(schemas: &'a [Schema]) -> Result<Self> {
        let mut seen = std::collections::HashSet::new();
        for schema in schemas {
            if !seen.insert(schema.name()) {
                return Err(Error::Schema(format!("type {} is defined twice", schema.name())));
            }
        }
        for schema in schemas {
            for referenced in schema.referenced_types() {
                if !seen.contains(referenced) {
                    return Err(Error::Schema(format!(
                        "{} refers to type {referenced}, which is not among the schemas",
                        schema.name()
                    )));
                }
            }
        }
        Ok(GenSchemas { schemas })
    }

    fn all(&self) -> &'a [Schema] {
        self.schemas
    }

    fn get(&self, name: &str) -> Option<&'a Schema> {
        self.schemas.iter().find(|s| s.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::dsl::parse_schemas;

    #[test]
    fn a_missing_referenced_type_is_an_error() {
        let schemas = parse_schemas("Movie { Title title; }").unwrap();
        let err = generate(Language::Rust, &schemas).unwrap_err();
        assert!(err.to_string().contains("Title"), "{err}");
    }

    #[test]
    fn unknown_language_is_an_error() {
        assert!("cobol".parse::<Language>().is_err());
        assert_eq!("python".parse::<Language>().unwrap(), Language::Python);
    }

    #[test]
    fn rust_output_has_views_and_a_key_lookup() {
        let schemas =
            parse_schemas("String { string value; } Movie @PrimaryKey(id) { long id; String title; }").unwrap();
        let code = generate(Language::Rust, &schemas).unwrap();
        assert!(code.contains("pub struct MovieView<'a>"), "{code}");
        assert!(code.contains("pub fn movie_by_key(&self, id: i64)"), "{code}");
        assert!(code.contains("pub fn title(&self) -> Option<StringView<'a>>"), "{code}");
    }

    #[test]
    fn python_output_unwraps_single_field_types() {
        let schemas = parse_schemas("String { string value; } Movie { long id; String title; String class; }").unwrap();
        let code = generate(Language::Python, &schemas).unwrap();
        assert!(code.contains("class Movie:"), "{code}");
        assert!(code.contains("    title: Optional[str]"), "{code}");
        assert!(code.contains("class_: Optional[str] = dataclasses.field(metadata={\"hollow\": \"class\"})"), "{code}");
        assert!(!code.contains("class String"), "{code}");
    }
}

//! Key field paths: from a dot-notation path such as `studio.address.city` to the fields it walks through.
//!
//! Primary keys (`@PrimaryKey`) and hash keys (`@HashKey` of a SET or MAP) name their fields by path,
//! starting at a type: the OBJECT itself for a primary key, the element type of a SET, the key type of a
//! MAP. Each segment names a field of the current OBJECT type; a REFERENCE field moves on to the
//! referenced type. The read engine uses the resolved path to find a record by key and the write engine to
//! place set elements and map entries in their buckets, so both must resolve exactly as Java's
//! `FieldPaths.createFieldPathForPrimaryKey` does:
//!
//! * Only OBJECT types can be walked through; a path into a LIST, SET or MAP is an error.
//! * A path that ends at a REFERENCE field is **auto-expanded** to an inline field: if the referenced
//!   type has exactly one field, that field is appended (and expansion goes on if it is a reference too);
//!   otherwise, if the referenced type has a primary key of exactly one path, that path (resolved from the
//!   referenced type, by these same rules) is appended. Anything else cannot be expanded. So `city`
//!   becomes `city.value` when `city` references the `String` type.
//! * A path ending in `!` is not expanded: `studio!` keys on the referenced record's ordinal.
//!
//! Where Java misbehaves this module reports an error instead: an expansion that runs in a circle
//! (`Node { Node next; }`), on which Java loops forever (and, to bound the work a hostile blob's schemas
//! can ask for, one through more than 64 types); an expansion into a type missing from the dataset,
//! on which Java throws a `NullPointerException` ([`KeyPathErrorKind::NotBindable`] here); and a path that
//! names no field at all (`!`), for which Java returns an empty path.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;

use super::{FieldType, Schema};
use crate::error::Error;

/// Schemas found by type name: what a path is resolved against.
pub trait SchemaLookup {
    /// The schema of the type called `name`, if the dataset has one.
    fn schema(&self, name: &str) -> Option<&Schema>;
}

impl SchemaLookup for [Schema] {
    fn schema(&self, name: &str) -> Option<&Schema> {
        self.iter().find(|s| s.name() == name)
    }
}

impl SchemaLookup for Vec<Schema> {
    fn schema(&self, name: &str) -> Option<&Schema> {
        self.as_slice().schema(name)
    }
}

impl<S: BuildHasher> SchemaLookup for HashMap<String, Schema, S> {
    fn schema(&self, name: &str) -> Option<&Schema> {
        self.get(name)
    }
}

impl SchemaLookup for BTreeMap<String, Schema> {
    fn schema(&self, name: &str) -> Option<&Schema> {
        self.get(name)
    }
}

impl<T: SchemaLookup + ?Sized> SchemaLookup for &T {
    fn schema(&self, name: &str) -> Option<&Schema> {
        (**self).schema(name)
    }
}

/// One field a key path walks through.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyStep {
    /// The OBJECT type that has the field.
    pub type_name: String,
    /// The field's name.
    pub field_name: String,
    /// The field's index in that type's schema.
    pub field_index: usize,
    /// The field's kind.
    pub field_type: FieldType,
    /// For a REFERENCE field, the type it references.
    pub referenced_type: Option<String>,
}

/// A resolved key path: the fields from the root type down to the key value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyPath {
    /// The type the path starts at.
    pub root_type: String,
    /// The fields walked through, in order; never empty.
    pub steps: Vec<KeyStep>,
    /// False when the path was written with a trailing `!`.
    pub auto_expand: bool,
}

impl KeyPath {
    /// The last field: the one holding the key value. An inline field, unless the path ends in `!`, in
    /// which case it may be a REFERENCE whose ordinal is the value.
    pub fn leaf(&self) -> &KeyStep {
        self.steps.last().expect("a resolved key path has at least one step")
    }

    /// The kind of the key value.
    pub fn leaf_type(&self) -> FieldType {
        self.leaf().field_type
    }

    /// The field index at each step (Java's `PrimaryKey.getFieldPathIndex`).
    pub fn field_indices(&self) -> Vec<usize> {
        self.steps.iter().map(|s| s.field_index).collect()
    }
}

/// The full path, expansions included, as Java's `FieldPath.toString()` writes it: `address.city.value`,
/// with a trailing `!` when the path was not auto-expanded.
impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(&step.field_name)?;
        }
        if !self.auto_expand {
            f.write_str("!")?;
        }
        Ok(())
    }
}

/// Why a key path could not be resolved (Java's `FieldPathException.ErrorKind`, same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPathErrorKind {
    /// A type on the path is not in the dataset. Java's engines tolerate this one for hash keys (a
    /// consumer may have filtered the type out) and simply do without the key.
    NotBindable,
    /// A type on the path has no field of the segment's name (or the path names no field at all).
    NotFound,
    /// The path goes on past an inline field, or into a LIST, SET or MAP.
    NotTraversable,
    /// The path ends at a reference that cannot be expanded to an inline field.
    NotExpandable,
}

/// A key path that could not be resolved. Converts into [`Error::Schema`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPathError {
    /// What went wrong.
    pub kind: KeyPathErrorKind,
    /// The type the path starts at.
    pub root_type: String,
    /// The path as written.
    pub path: String,
    /// What went wrong, in words, naming the type and segment.
    pub detail: String,
}

impl fmt::Display for KeyPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key path \"{}\" from type {}: {}", self.path, self.root_type, self.detail)
    }
}

impl std::error::Error for KeyPathError {}

impl From<KeyPathError> for Error {
    fn from(e: KeyPathError) -> Self {
        Error::Schema(e.to_string())
    }
}

/// Resolve one key path starting at `root_type`.
///
/// # Errors
///
/// [`Error::NotFound`] for a type or field that does not exist,
/// [`Error::SchemaMismatch`] for a path that does not fit the schemas
/// (including primary keys that expand into each other in a circle).
pub fn resolve_key_path(
    schemas: &(impl SchemaLookup + ?Sized),
    root_type: &str,
    path: &str,
) -> Result<KeyPath, KeyPathError> {
    let mut expanding = Vec::new();
    Resolver { schemas, root_type, path }.resolve(&mut expanding)
}

/// Resolve every path of a key starting at `root_type`.
///
/// # Errors
///
/// As [`resolve_key_path`], for the first path that does not resolve.
pub fn resolve_key(
    schemas: &(impl SchemaLookup + ?Sized),
    root_type: &str,
    paths: &[String],
) -> Result<Vec<KeyPath>, KeyPathError> {
    paths.iter().map(|p| resolve_key_path(schemas, root_type, p)).collect()
}

/// The type a schema's key is relative to, and the key's paths: an OBJECT's primary key (from the object),
/// a SET's hash key (from its element type), a MAP's hash key (from its key type). `None` when the schema
/// has no key; LISTs never do.
pub fn key_of(schema: &Schema) -> Option<(&str, &[String])> {
    match schema {
        Schema::Object(s) => s.primary_key.as_deref().map(|k| (s.name.as_str(), k)),
        Schema::List(_) => None,
        Schema::Set(s) => s.hash_key.as_deref().map(|k| (s.element_type.as_str(), k)),
        Schema::Map(s) => s.hash_key.as_deref().map(|k| (s.key_type.as_str(), k)),
    }
}

/// Resolve a schema's primary key or hash key (see [`key_of`]); `Ok(None)` when it has none.
///
/// # Errors
///
/// As [`resolve_key_path`].
pub fn resolve_schema_key(
    schemas: &(impl SchemaLookup + ?Sized),
    schema: &Schema,
) -> Result<Option<Vec<KeyPath>>, KeyPathError> {
    key_of(schema).map(|(root, paths)| resolve_key(schemas, root, paths)).transpose()
}

/// How many types auto-expansion may pass through, nested primary-key expansions included. Schemas come
/// from blobs, where a chain of thousands of single-field types (or of primary keys, each expanded by a
/// nested resolution) would cost quadratic time or a deep recursion; real keys expand through a few.
const MAX_EXPANSION_DEPTH: usize = 64;

struct Resolver<'a, L: SchemaLookup + ?Sized> {
    schemas: &'a L,
    root_type: &'a str,
    path: &'a str,
}

impl<'a, L: SchemaLookup + ?Sized> Resolver<'a, L> {
    fn error(&self, kind: KeyPathErrorKind, detail: String) -> KeyPathError {
        KeyPathError { kind, root_type: self.root_type.to_owned(), path: self.path.to_owned(), detail }
    }

    /// `expanding` holds the types auto-expansion has passed through, across nested primary-key
    /// expansions: meeting one again means the expansion would never end.
    fn resolve(&self, expanding: &mut Vec<String>) -> Result<KeyPath, KeyPathError> {
        use KeyPathErrorKind::*;
        let (written, auto_expand) = match self.path.strip_suffix('!') {
            Some(p) => (p, false),
            None => (self.path, true),
        };
        // Like Java's String.split: no segments for "", and trailing empty segments dropped.
        let mut segments: Vec<&str> = if written.is_empty() { Vec::new() } else { written.split('.').collect() };
        while segments.last() == Some(&"") {
            segments.pop();
        }

        let mut steps: Vec<KeyStep> = Vec::new();
        // The type the next segment is looked up in; None after an inline field.
        let mut next_type: Option<&str> = Some(self.root_type);
        for (i, &segment) in segments.iter().enumerate() {
            let Some(type_name) = next_type else {
                let previous = &segments[..i].join(".");
                return Err(self.error(NotTraversable, format!("\"{previous}\" is an inline field, it has no fields")));
            };
            let schema = self.schemas.schema(type_name).ok_or_else(|| {
                self.error(NotBindable, format!("type {type_name} (for segment \"{segment}\") is not in the dataset"))
            })?;
            let Schema::Object(object) = schema else {
                return Err(self.error(
                    NotTraversable,
                    format!("type {type_name} is a {}; only OBJECT types have fields", schema.kind().name()),
                ));
            };
            let index = object
                .field_index(segment)
                .ok_or_else(|| self.error(NotFound, format!("type {type_name} has no field \"{segment}\"")))?;
            let field = &object.fields[index];
            steps.push(step(type_name, index, field));
            next_type = field.referenced_type.as_deref();
        }

        if auto_expand {
            while let Some(type_name) = next_type {
                if expanding.iter().any(|t| t == type_name) {
                    return Err(self.error(
                        NotExpandable,
                        format!("expansion runs in a circle: expanding through type {type_name} never ends"),
                    ));
                }
                if expanding.len() >= MAX_EXPANSION_DEPTH {
                    return Err(self.error(
                        NotExpandable,
                        format!("expansion goes through more than {MAX_EXPANSION_DEPTH} types"),
                    ));
                }
                expanding.push(type_name.to_owned());
                let schema = self.schemas.schema(type_name).ok_or_else(|| {
                    self.error(NotBindable, format!("type {type_name} (to expand the path into) is not in the dataset"))
                })?;
                let Schema::Object(object) = schema else {
                    return Err(self.error(
                        NotExpandable,
                        format!("the path ends at type {type_name}, a {}", schema.kind().name()),
                    ));
                };
                if let [only] = object.fields.as_slice() {
                    steps.push(step(type_name, 0, only));
                    next_type = only.referenced_type.as_deref();
                } else if let Some([key_path]) = object.primary_key.as_deref() {
                    let nested = Resolver { schemas: self.schemas, root_type: type_name, path: key_path };
                    let expansion = nested.resolve(expanding).map_err(|cause| {
                        self.error(NotExpandable, format!("expanding through the primary key of {type_name}: {cause}"))
                    })?;
                    steps.extend(expansion.steps);
                    break;
                } else {
                    return Err(self.error(
                        NotExpandable,
                        format!(
                            "the path ends at type {type_name}, which has {} fields and no single-field primary key \
                             (end the path with '!' to key on the reference itself)",
                            object.fields.len()
                        ),
                    ));
                }
            }
        }

        if steps.is_empty() {
            return Err(self.error(NotFound, "the path names no field".into()));
        }
        Ok(KeyPath { root_type: self.root_type.to_owned(), steps, auto_expand })
    }
}

fn step(type_name: &str, field_index: usize, field: &super::ObjectField) -> KeyStep {
    KeyStep {
        type_name: type_name.to_owned(),
        field_name: field.name.clone(),
        field_index,
        field_type: field.field_type,
        referenced_type: field.referenced_type.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::KeyPathErrorKind::*;
    use super::*;
    use crate::schema::dsl::parse_schemas;

    fn schemas() -> Vec<Schema> {
        parse_schemas(
            "String { string value; }
             Integer { int value; }
             Address { String city; int zip; }
             Studio @PrimaryKey(name, address.city.value) { string name; Address address; }
             Person @PrimaryKey(personId) { int personId; string name; }
             Show @PrimaryKey(id) { long id; Studio studio; Person host; Wrapper wrapped; ListOfPerson cast; }
             Wrapper { Inner inner; }
             Inner { Integer number; }
             ListOfPerson List<Person>;
             SetOfPerson Set<Person> @HashKey(name);
             MapOfPersonToRole Map<Person,Role> @HashKey(personId);
             Node { Node next; }
             Ping @PrimaryKey(pong) { Pong pong; int x; }
             Pong @PrimaryKey(ping) { Ping ping; int y; }
             Dangling { Missing m; }",
        )
        .unwrap()
    }

    fn resolve(root: &str, path: &str) -> Result<KeyPath, KeyPathError> {
        resolve_key_path(&schemas(), root, path)
    }

    /// `Type.field` for each step, and the leaf kind.
    fn shape(root: &str, path: &str) -> (Vec<String>, FieldType) {
        let p = resolve(root, path).unwrap_or_else(|e| panic!("{e}"));
        (p.steps.iter().map(|s| format!("{}.{}", s.type_name, s.field_name)).collect(), p.leaf_type())
    }

    fn kind(root: &str, path: &str) -> KeyPathErrorKind {
        resolve(root, path).expect_err(path).kind
    }

    #[test]
    fn plain_paths_walk_fields() {
        let p = resolve("Studio", "address.city.value").unwrap();
        assert_eq!(p.field_indices(), [1, 0, 0]);
        assert_eq!(p.steps[0].referenced_type.as_deref(), Some("Address"));
        assert_eq!(p.leaf().type_name, "String");
        assert_eq!(p.leaf_type(), FieldType::String);
        assert_eq!(p.to_string(), "address.city.value");
        assert_eq!(shape("Person", "personId"), (vec!["Person.personId".into()], FieldType::Int));
        assert_eq!(shape("Show", "id"), (vec!["Show.id".into()], FieldType::Long));
    }

    #[test]
    fn single_field_types_expand() {
        assert_eq!(
            shape("Studio", "address.city"),
            (vec!["Studio.address".into(), "Address.city".into(), "String.value".into()], FieldType::String)
        );
        assert_eq!(
            shape("Show", "wrapped"),
            (
                vec!["Show.wrapped".into(), "Wrapper.inner".into(), "Inner.number".into(), "Integer.value".into()],
                FieldType::Int
            )
        );
        // An empty path expands from the root type itself, as in Java.
        assert_eq!(shape("String", ""), (vec!["String.value".into()], FieldType::String));
    }

    #[test]
    fn single_path_primary_keys_expand() {
        assert_eq!(shape("Show", "host"), (vec!["Show.host".into(), "Person.personId".into()], FieldType::Int));
        // Studio's key has two paths: no expansion.
        assert_eq!(kind("Show", "studio"), NotExpandable);
    }

    #[test]
    fn a_bang_stops_expansion() {
        let p = resolve("Studio", "address.city!").unwrap();
        assert_eq!(p.field_indices(), [1, 0]);
        assert_eq!(p.leaf_type(), FieldType::Reference);
        assert!(!p.auto_expand);
        assert_eq!(p.to_string(), "address.city!");
        assert_eq!(shape("Show", "studio!"), (vec!["Show.studio".into()], FieldType::Reference));
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = resolve("Studio", "address.town").unwrap_err();
        assert_eq!(e.kind, NotFound);
        assert!(e.to_string().contains("Address") && e.to_string().contains("\"town\""), "{e}");
        assert!(e.to_string().contains("address.town") && e.to_string().contains("Studio"), "{e}");
        assert_eq!(kind("Missing", "x"), NotBindable);
        assert_eq!(kind("Dangling", "m.x"), NotBindable);
        assert_eq!(kind("Dangling", "m"), NotBindable);
        assert_eq!(kind("Person", "name.first"), NotTraversable);
        assert_eq!(kind("Show", "cast.element"), NotTraversable);
        assert_eq!(kind("Show", "cast"), NotExpandable);
        assert_eq!(kind("Studio", "address"), NotExpandable);
        assert_eq!(kind("Person", "!"), NotFound);
        assert_eq!(kind("Studio", "address..city"), NotFound);
        let e: Error = resolve("Studio", "nope").unwrap_err().into();
        assert!(matches!(&e, Error::Schema(m) if m.contains("nope")), "{e}");
    }

    #[test]
    fn circular_expansions_are_errors_not_hangs() {
        assert_eq!(kind("Node", "next"), NotExpandable);
        assert_eq!(kind("Ping", "pong"), NotExpandable);
        assert!(resolve("Ping", "pong").unwrap_err().to_string().contains("circle"));
        // Walking a cycle explicitly is fine.
        assert_eq!(shape("Ping", "pong.ping.x").1, FieldType::Int);
    }

    #[test]
    fn long_expansions_are_cut_off() {
        // T0 { T1 next; } ... T{n-1} { T{n} next; } T{n} { int value; }: "next" expands through n types.
        let chain = |n: usize| {
            let mut dsl: String = (0..n).map(|i| format!("T{i} {{ T{} next; }}\n", i + 1)).collect();
            dsl.push_str(&format!("T{n} {{ int value; }}"));
            parse_schemas(&dsl).unwrap()
        };
        let fits = resolve_key_path(&chain(MAX_EXPANSION_DEPTH), "T0", "next").unwrap();
        assert_eq!((fits.steps.len(), fits.leaf_type()), (MAX_EXPANSION_DEPTH + 1, FieldType::Int));
        let too_long = resolve_key_path(&chain(MAX_EXPANSION_DEPTH + 1), "T0", "next").unwrap_err();
        assert_eq!(too_long.kind, NotExpandable);
    }

    #[test]
    fn schema_keys_resolve_from_the_right_type() {
        let all = schemas();
        let key = |name: &str| resolve_schema_key(&all, all.schema(name).unwrap()).unwrap();
        let set = key("SetOfPerson").unwrap();
        assert_eq!((set[0].root_type.as_str(), set[0].field_indices()), ("Person", vec![1]));
        let map = key("MapOfPersonToRole").unwrap();
        assert_eq!((map[0].root_type.as_str(), map[0].leaf_type()), ("Person", FieldType::Int));
        let studio = key("Studio").unwrap();
        assert_eq!(studio.len(), 2);
        assert_eq!(studio[1].field_indices(), [1, 0, 0]);
        assert_eq!(key("ListOfPerson"), None);
        assert_eq!(key("Address"), None);
    }

    #[test]
    fn lookups_by_map_agree_with_slices() {
        let all = schemas();
        let by_name: HashMap<String, Schema> = all.iter().map(|s| (s.name().to_owned(), s.clone())).collect();
        let sorted: BTreeMap<String, Schema> = by_name.clone().into_iter().collect();
        let expected = resolve_key_path(&all, "Show", "host").unwrap();
        assert_eq!(resolve_key_path(&by_name, "Show", "host").unwrap(), expected);
        assert_eq!(resolve_key_path(&sorted, "Show", "host").unwrap(), expected);
        assert_eq!(resolve_key_path(all.as_slice(), "Show", "host").unwrap(), expected);
    }
}

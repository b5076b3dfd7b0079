//! Binding dot-separated key paths (`studio.address.city.value`) to the schemas of a dataset.
//!
//! A path starts at a type and names one step per segment: a field of an OBJECT, `element` of a LIST
//! or SET, `key` or `value` of a MAP. It ends either at an inline field (INT, STRING, ...), whose
//! value is the key, or at a reference (a REFERENCE field, a collection element, a map key or value),
//! whose *ordinal* is the key.
//!
//! The two kinds of index bind paths as Java's `FieldPaths` does:
//! * primary keys go through OBJECT fields only, and a path that ends at a reference is
//!   **auto-expanded** into the referenced type: through its only field if it has one field (so
//!   `title` becomes `title.value` for `String {string value;}`), or else through its single-field
//!   primary key. A trailing `!` turns expansion off, and the path's key is then the ordinal.
//! * hash index paths may cross collections and maps and are never expanded.
//!
//! Primary key paths are resolved by [`crate::schema::paths`], the crate's one implementation of
//! Java's primary key rules; this module adds the hash index rules and one representation for both.

use crate::error::{Error, Result};
use crate::schema::paths::{resolve_key_path, SchemaLookup};
use crate::schema::{FieldType, Schema};

/// How to bind a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathRules {
    /// OBJECT fields only; expand a path that ends at a reference unless it ends with `!`.
    PrimaryKey,
    /// Any traversal, no expansion.
    HashIndex,
}

/// One bound step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Field `field` of OBJECT type `owner`.
    Field {
        /// The OBJECT type holding the field.
        owner: String,
        /// The field's index in `owner`'s schema.
        field: usize,
        /// The field's kind.
        field_type: FieldType,
        /// For a REFERENCE field, the referenced type.
        referenced: Option<String>,
    },
    /// The elements of LIST or SET `owner`.
    Element { owner: String, element: String },
    /// The keys of MAP `owner`.
    MapKey { owner: String, key: String },
    /// The values of MAP `owner`.
    MapValue { owner: String, value: String },
}

impl Segment {
    /// The type this step lands in, if it lands on a record (a reference of some kind).
    pub(crate) fn target_type(&self) -> Option<&str> {
        match self {
            Segment::Field { referenced, .. } => referenced.as_deref(),
            Segment::Element { element, .. } => Some(element),
            Segment::MapKey { key, .. } => Some(key),
            Segment::MapValue { value, .. } => Some(value),
        }
    }
}

/// What a bound path yields: an inline value, or the ordinal of the record it ends at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Leaf {
    /// The value of field `field` (of kind `field_type`) of OBJECT type `owner`.
    Value { owner: String, field: usize, field_type: FieldType },
    /// The ordinal of a record of type `type_name`.
    Ordinal { type_name: String },
}

/// A path bound to a dataset's schemas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldPath {
    /// The path as given.
    pub(crate) text: String,
    /// Steps from the root type. Never empty.
    pub(crate) segments: Vec<Segment>,
}

impl FieldPath {
    /// What the path yields.
    pub(crate) fn leaf(&self) -> Leaf {
        match self.segments.last().expect("bound paths are never empty") {
            Segment::Field { owner, field, field_type, referenced: None } => {
                Leaf::Value { owner: owner.clone(), field: *field, field_type: *field_type }
            }
            other => Leaf::Ordinal { type_name: other.target_type().expect("reference segment").to_owned() },
        }
    }

    /// Every type the path reads, the root included.
    pub(crate) fn types(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().flat_map(|s| {
            let owner = match s {
                Segment::Field { owner, .. }
                | Segment::Element { owner, .. }
                | Segment::MapKey { owner, .. }
                | Segment::MapValue { owner, .. } => owner.as_str(),
            };
            std::iter::once(owner).chain(s.target_type())
        })
    }
}

/// Bind `path` from `root` with `rules`.
pub(crate) fn bind(
    schemas: &(impl SchemaLookup + ?Sized),
    root: &str,
    path: &str,
    rules: PathRules,
) -> Result<FieldPath> {
    if rules == PathRules::PrimaryKey {
        let key = resolve_key_path(schemas, root, path)?;
        let segments = key
            .steps
            .into_iter()
            .map(|s| Segment::Field {
                owner: s.type_name,
                field: s.field_index,
                field_type: s.field_type,
                referenced: s.referenced_type,
            })
            .collect();
        return Ok(FieldPath { text: path.to_owned(), segments });
    }
    let invalid = |why: String| Error::InvalidArgument(format!("key path \"{path}\" from type {root}: {why}"));
    if path.is_empty() {
        return Err(invalid("the path is empty".into()));
    }
    let mut segments = Vec::new();
    let mut current: Option<String> = Some(root.to_owned());
    for name in path.split('.') {
        let Some(type_name) = current.take() else {
            let last = segments.last().map(segment_label).unwrap_or_default();
            return Err(invalid(format!("cannot go past {last}, which is not a reference")));
        };
        let s = schemas.schema(&type_name).ok_or_else(|| invalid(format!("type {type_name} is not in the dataset")))?;
        let seg = match s {
            Schema::Object(o) => {
                let field =
                    o.field_index(name).ok_or_else(|| invalid(format!("type {type_name} has no field \"{name}\"")))?;
                let f = &o.fields[field];
                Segment::Field {
                    owner: type_name,
                    field,
                    field_type: f.field_type,
                    referenced: f.referenced_type.clone(),
                }
            }
            Schema::List(l) if name == "element" => {
                Segment::Element { owner: type_name, element: l.element_type.clone() }
            }
            Schema::Set(l) if name == "element" => {
                Segment::Element { owner: type_name, element: l.element_type.clone() }
            }
            Schema::Map(m) if name == "key" => Segment::MapKey { owner: type_name, key: m.key_type.clone() },
            Schema::Map(m) if name == "value" => Segment::MapValue { owner: type_name, value: m.value_type.clone() },
            Schema::Map(_) => return Err(invalid(format!("MAP type {type_name} has only \"key\" and \"value\""))),
            _ => return Err(invalid(format!("{} type {type_name} has only \"element\"", s.kind().name()))),
        };
        current = seg.target_type().map(str::to_owned);
        segments.push(seg);
    }
    Ok(FieldPath { text: path.to_owned(), segments })
}

fn segment_label(s: &Segment) -> String {
    match s {
        Segment::Field { owner, field, field_type, .. } => {
            format!("field #{field} of {owner} ({})", field_type.java_name())
        }
        Segment::Element { owner, .. } => format!("the elements of {owner}"),
        Segment::MapKey { owner, .. } => format!("the keys of {owner}"),
        Segment::MapValue { owner, .. } => format!("the values of {owner}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ListSchema, MapSchema, ObjectField, ObjectSchema};
    use std::collections::BTreeMap;

    fn schemas() -> BTreeMap<String, Schema> {
        let list = [
            Schema::Object(ObjectSchema::new("String").with_field(ObjectField::new("value", FieldType::String))),
            Schema::Object(
                ObjectSchema::new("Address")
                    .with_field(ObjectField::reference("city", "String"))
                    .with_field(ObjectField::new("zip", FieldType::Int)),
            ),
            Schema::Object(
                ObjectSchema::new("Studio")
                    .with_field(ObjectField::new("name", FieldType::String))
                    .with_field(ObjectField::reference("address", "Address"))
                    .with_primary_key(["name"]),
            ),
            Schema::Object(
                ObjectSchema::new("Show")
                    .with_field(ObjectField::new("id", FieldType::Long))
                    .with_field(ObjectField::reference("title", "String"))
                    .with_field(ObjectField::reference("studio", "Studio"))
                    .with_field(ObjectField::reference("address", "Address"))
                    .with_field(ObjectField::reference("tags", "ListOfString"))
                    .with_field(ObjectField::reference("roles", "MapOfStringToString")),
            ),
            Schema::List(ListSchema { name: "ListOfString".into(), element_type: "String".into() }),
            Schema::Map(MapSchema {
                name: "MapOfStringToString".into(),
                key_type: "String".into(),
                value_type: "String".into(),
                hash_key: None,
            }),
        ];
        list.into_iter().map(|s| (s.name().to_owned(), s)).collect()
    }

    fn bind_in(root: &str, path: &str, rules: PathRules) -> Result<FieldPath> {
        bind(&schemas(), root, path, rules)
    }

    #[test]
    fn inline_field() {
        let p = bind_in("Show", "id", PathRules::PrimaryKey).unwrap();
        assert_eq!(p.leaf(), Leaf::Value { owner: "Show".into(), field: 0, field_type: FieldType::Long });
    }

    #[test]
    fn reference_to_single_field_type_expands() {
        let p = bind_in("Show", "title", PathRules::PrimaryKey).unwrap();
        assert_eq!(p.segments.len(), 2);
        assert_eq!(p.leaf(), Leaf::Value { owner: "String".into(), field: 0, field_type: FieldType::String });
        let p = bind_in("Show", "address.city", PathRules::PrimaryKey).unwrap();
        assert_eq!(p.leaf(), Leaf::Value { owner: "String".into(), field: 0, field_type: FieldType::String });
        assert_eq!(p.types().collect::<Vec<_>>(), ["Show", "Address", "Address", "String", "String"]);
    }

    #[test]
    fn reference_expands_through_single_field_primary_key() {
        let p = bind_in("Show", "studio", PathRules::PrimaryKey).unwrap();
        assert_eq!(p.leaf(), Leaf::Value { owner: "Studio".into(), field: 0, field_type: FieldType::String });
    }

    #[test]
    fn bang_keys_on_the_reference() {
        let p = bind_in("Show", "address!", PathRules::PrimaryKey).unwrap();
        assert_eq!(p.leaf(), Leaf::Ordinal { type_name: "Address".into() });
        assert_eq!(p.text, "address!");
    }

    #[test]
    fn unexpandable_reference_is_an_error() {
        let e = bind_in("Show", "address", PathRules::PrimaryKey).unwrap_err();
        assert!(e.to_string().contains("Address"), "{e}");
    }

    #[test]
    fn primary_keys_do_not_cross_collections() {
        let e = bind_in("Show", "tags.element.value", PathRules::PrimaryKey).unwrap_err();
        assert!(e.to_string().contains("tags"), "{e}");
    }

    #[test]
    fn hash_index_paths_cross_collections_and_maps() {
        let p = bind_in("Show", "tags.element.value", PathRules::HashIndex).unwrap();
        assert_eq!(p.segments.len(), 3);
        assert_eq!(p.leaf(), Leaf::Value { owner: "String".into(), field: 0, field_type: FieldType::String });
        let p = bind_in("Show", "roles.value", PathRules::HashIndex).unwrap();
        assert_eq!(p.leaf(), Leaf::Ordinal { type_name: "String".into() });
        // Hash index paths are not expanded.
        let p = bind_in("Show", "title", PathRules::HashIndex).unwrap();
        assert_eq!(p.leaf(), Leaf::Ordinal { type_name: "String".into() });
    }

    #[test]
    fn bad_paths_say_what_is_wrong() {
        let msg = |root, path, rules| bind_in(root, path, rules).unwrap_err().to_string();
        assert!(msg("Show", "nope", PathRules::HashIndex).contains("no field \"nope\""));
        assert!(msg("Show", "id.x", PathRules::HashIndex).contains("not a reference"));
        assert!(msg("Show", "tags.first", PathRules::HashIndex).contains("only \"element\""));
        assert!(msg("Show", "roles.entry", PathRules::HashIndex).contains("\"key\" and \"value\""));
        assert!(msg("Nope", "id", PathRules::HashIndex).contains("not in the dataset"));
        assert!(msg("Show", "", PathRules::HashIndex).contains("empty"));
    }
}

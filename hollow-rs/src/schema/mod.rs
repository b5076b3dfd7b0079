//! Schemas: the shape of each type in a dataset.
//!
//! A Hollow dataset is a set of named types, each an OBJECT (named fields of fixed kinds), a LIST, a SET
//! or a MAP (whose elements, keys and values are references to records of other types). An OBJECT may
//! have a primary key; a SET or MAP may have a hash key, which decides the bucket placement that
//! lookups rely on.
//!
//! * [`codec`]: the binary form written in blob headers and before each type section.
//! * [`dsl`]: Hollow's schema text form (`Movie @PrimaryKey(id) { long id; String title; }`), parsed and
//!   printed exactly as Java prints it.
//! * [`hash`]: the `hollow.schema.hash` header tag.
//! * [`paths`]: key field paths (`address.city.value`) resolved to the fields they walk through.
//! * [`order`]: dependency order of types (referenced types first).

pub mod codec;
pub mod dsl;
pub mod hash;
pub mod order;
pub mod paths;

/// The type Java's object mapper writes for strings added on their own (`String { string value; }`):
/// producers register it, the simple string API of consumers reads it. Here, beside the schemas, so
/// both sides name it without one importing the other.
pub const STRING_TYPE: &str = "String";

use std::fmt;

/// The kind of an OBJECT field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// A reference to a record of another type, stored as its ordinal.
    Reference,
    /// A 32-bit signed integer.
    Int,
    /// A 64-bit signed integer.
    Long,
    /// A boolean.
    Boolean,
    /// A 32-bit float.
    Float,
    /// A 64-bit float.
    Double,
    /// A string, stored inline in the record's variable-length data.
    String,
    /// A byte array, stored inline in the record's variable-length data.
    Bytes,
}

impl FieldType {
    /// The name Java writes in the binary schema (`FieldType.name()`).
    pub fn java_name(self) -> &'static str {
        match self {
            FieldType::Reference => "REFERENCE",
            FieldType::Int => "INT",
            FieldType::Long => "LONG",
            FieldType::Boolean => "BOOLEAN",
            FieldType::Float => "FLOAT",
            FieldType::Double => "DOUBLE",
            FieldType::String => "STRING",
            FieldType::Bytes => "BYTES",
        }
    }

    /// Parse the name Java writes in the binary schema.
    pub fn from_java_name(name: &str) -> Option<Self> {
        Some(match name {
            "REFERENCE" => FieldType::Reference,
            "INT" => FieldType::Int,
            "LONG" => FieldType::Long,
            "BOOLEAN" => FieldType::Boolean,
            "FLOAT" => FieldType::Float,
            "DOUBLE" => FieldType::Double,
            "STRING" => FieldType::String,
            "BYTES" => FieldType::Bytes,
            _ => return None,
        })
    }

    /// True for STRING and BYTES, whose values live in a per-field variable-length heap.
    pub fn is_variable_length(self) -> bool {
        matches!(self, FieldType::String | FieldType::Bytes)
    }
}

/// One field of an OBJECT schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectField {
    /// Field name.
    pub name: String,
    /// Field kind.
    pub field_type: FieldType,
    /// For [`FieldType::Reference`], the referenced type's name.
    pub referenced_type: Option<String>,
}

impl ObjectField {
    /// A field of an inline kind (anything but REFERENCE).
    pub fn new(name: impl Into<String>, field_type: FieldType) -> Self {
        ObjectField { name: name.into(), field_type, referenced_type: None }
    }

    /// A REFERENCE field to `referenced_type`.
    pub fn reference(name: impl Into<String>, referenced_type: impl Into<String>) -> Self {
        ObjectField {
            name: name.into(),
            field_type: FieldType::Reference,
            referenced_type: Some(referenced_type.into()),
        }
    }
}

/// An OBJECT type: named fields, in record layout order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectSchema {
    /// Type name.
    pub name: String,
    /// Fields in layout order.
    pub fields: Vec<ObjectField>,
    /// Primary key field paths (dot notation), if the type has a primary key.
    pub primary_key: Option<Vec<String>>,
}

impl ObjectSchema {
    /// A schema with no fields yet and no primary key.
    pub fn new(name: impl Into<String>) -> Self {
        ObjectSchema { name: name.into(), fields: Vec::new(), primary_key: None }
    }

    /// Add a field (builder style).
    pub fn with_field(mut self, field: ObjectField) -> Self {
        self.fields.push(field);
        self
    }

    /// Set the primary key (builder style).
    pub fn with_primary_key<S: Into<String>>(mut self, paths: impl IntoIterator<Item = S>) -> Self {
        self.primary_key = Some(paths.into_iter().map(Into::into).collect());
        self
    }

    /// Index of the field called `name`.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// A LIST type: an ordered sequence of references.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListSchema {
    /// Type name.
    pub name: String,
    /// The element type's name.
    pub element_type: String,
}

/// A SET type: unordered distinct references, stored as a hash table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SetSchema {
    /// Type name.
    pub name: String,
    /// The element type's name.
    pub element_type: String,
    /// Hash key field paths (relative to the element type), if any.
    pub hash_key: Option<Vec<String>>,
}

/// A MAP type: references to references, stored as a hash table on the keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapSchema {
    /// Type name.
    pub name: String,
    /// The key type's name.
    pub key_type: String,
    /// The value type's name.
    pub value_type: String,
    /// Hash key field paths (relative to the key type), if any.
    pub hash_key: Option<Vec<String>>,
}

/// The kind of a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    /// Named fields.
    Object,
    /// Ordered references.
    List,
    /// Distinct references.
    Set,
    /// Reference to reference.
    Map,
}

impl SchemaKind {
    /// The name used in dumps and messages: `OBJECT`, `LIST`, `SET` or `MAP`.
    pub fn name(self) -> &'static str {
        match self {
            SchemaKind::Object => "OBJECT",
            SchemaKind::List => "LIST",
            SchemaKind::Set => "SET",
            SchemaKind::Map => "MAP",
        }
    }
}

/// The schema of one type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Schema {
    /// An OBJECT type.
    Object(ObjectSchema),
    /// A LIST type.
    List(ListSchema),
    /// A SET type.
    Set(SetSchema),
    /// A MAP type.
    Map(MapSchema),
}

impl Schema {
    /// The type's name.
    pub fn name(&self) -> &str {
        match self {
            Schema::Object(s) => &s.name,
            Schema::List(s) => &s.name,
            Schema::Set(s) => &s.name,
            Schema::Map(s) => &s.name,
        }
    }

    /// The type's kind.
    pub fn kind(&self) -> SchemaKind {
        match self {
            Schema::Object(_) => SchemaKind::Object,
            Schema::List(_) => SchemaKind::List,
            Schema::Set(_) => SchemaKind::Set,
            Schema::Map(_) => SchemaKind::Map,
        }
    }

    /// Names of the types this type refers to, in schema order.
    pub fn referenced_types(&self) -> Vec<&str> {
        match self {
            Schema::Object(s) => s.fields.iter().filter_map(|f| f.referenced_type.as_deref()).collect(),
            Schema::List(s) => vec![&s.element_type],
            Schema::Set(s) => vec![&s.element_type],
            Schema::Map(s) => vec![&s.key_type, &s.value_type],
        }
    }

    /// The OBJECT schema, if this is one.
    pub fn as_object(&self) -> Option<&ObjectSchema> {
        match self {
            Schema::Object(s) => Some(s),
            _ => None,
        }
    }
}

impl From<ObjectSchema> for Schema {
    fn from(s: ObjectSchema) -> Self {
        Schema::Object(s)
    }
}

impl From<ListSchema> for Schema {
    fn from(s: ListSchema) -> Self {
        Schema::List(s)
    }
}

impl From<SetSchema> for Schema {
    fn from(s: SetSchema) -> Self {
        Schema::Set(s)
    }
}

impl From<MapSchema> for Schema {
    fn from(s: MapSchema) -> Self {
        Schema::Map(s)
    }
}

/// Prints the schema exactly as Java's `HollowSchema.toString()` does (see [`dsl`]).
impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&dsl::to_java_string(self))
    }
}

/// Check a set of schemas a producer is given: no type is defined twice (the schema language would
/// otherwise let the last definition silently win), and every primary key and hash key resolves to
/// fields that exist (`@PrimaryKey(nope)` is refused here, not when a consumer first builds an index).
/// Errors are [`Error::Schema`](crate::Error::Schema) naming the type and key path.
///
/// # Errors
///
/// [`Error::Schema`](crate::Error::Schema) naming the type and key path.
pub fn check_schemas(schemas: &[Schema]) -> crate::Result<()> {
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = schemas.iter().find(|s| !seen.insert(s.name())) {
        return Err(crate::Error::Schema(format!("type {} is defined twice", twice.name())));
    }
    for schema in schemas {
        paths::resolve_schema_key(schemas, schema)?;
    }
    Ok(())
}

//! The mapper's settings: what Java's mapper reads from annotations (`@HollowPrimaryKey`,
//! `@HollowTypeName`, `@HollowInline`, `@HollowHashKey`, boxed field types), given here as configuration
//! keyed by Hollow type and field names. Set through the builder methods of
//! [`ObjectMapper`](super::ObjectMapper).

use std::collections::HashMap;

/// Per-field settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldConfig {
    /// Store a string (or enum name) inline as a STRING field instead of a REFERENCE.
    pub(crate) inline: bool,
    /// Store a number or boolean as a REFERENCE to its boxed type (`Integer`, ...) instead of inline.
    pub(crate) reference: bool,
    /// Give a sequence field a SET schema.
    pub(crate) set: bool,
    /// The name of the type the field refers to, instead of the derived one.
    pub(crate) type_name: Option<String>,
    /// The hash key of the SET or MAP type the field refers to.
    pub(crate) hash_key: Option<Vec<String>>,
}

/// All mapper settings.
#[derive(Debug, Clone)]
pub(crate) struct MapperConfig {
    /// serde container name -> Hollow type name.
    pub(crate) renames: HashMap<String, String>,
    /// Hollow type name -> primary key field paths.
    pub(crate) primary_keys: HashMap<String, Vec<String>>,
    /// Hollow type name -> field name -> settings.
    pub(crate) fields: HashMap<String, HashMap<String, FieldConfig>>,
    /// Give sets and maps Java's default hash key (see [`super::derive`]).
    pub(crate) default_hash_keys: bool,
}

impl Default for MapperConfig {
    fn default() -> Self {
        MapperConfig {
            renames: HashMap::new(),
            primary_keys: HashMap::new(),
            fields: HashMap::new(),
            default_hash_keys: true,
        }
    }
}

impl MapperConfig {
    /// The Hollow type name for a serde container name.
    pub(crate) fn type_name<'a>(&'a self, serde_name: &'a str) -> &'a str {
        self.renames.get(serde_name).map(String::as_str).unwrap_or(serde_name)
    }

    /// The settings of a field, if any were given.
    pub(crate) fn field(&self, owner: &str, field: &str) -> Option<&FieldConfig> {
        self.fields.get(owner)?.get(field)
    }

    /// The settings of a field, created on first use.
    pub(crate) fn field_mut(&mut self, owner: &str, field: &str) -> &mut FieldConfig {
        self.fields.entry(owner.to_owned()).or_default().entry(field.to_owned()).or_default()
    }
}

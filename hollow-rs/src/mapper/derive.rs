//! From traced shapes to Hollow schemas: names, registration order, default hash keys, and the check
//! of derived schemas against the ones an engine already has.
//!
//! The rules are Java's (`HollowObjectMapper`, `HollowTypeMapper.getDefaultTypeName`,
//! `HollowObjectTypeMapper.getDefaultElementHashKey`) and are listed in the [mapper documentation](super).
//! Structs are realized as soon as their fields are traced (the tracer calls [`Deriver::realize_struct`]);
//! everything else waits for the context it appears in, because a field may inline a string or a number
//! while a collection element is always a record of its own. Realizing a field's types one after the
//! other, depth first, gives Java's registration order.

use std::collections::HashMap;

use super::config::MapperConfig;
use super::error::{MapperError, MapperResult};
use super::shape::{Scalar, Shape};
use crate::error::Error;
use crate::schema::{FieldType, ListSchema, MapSchema, ObjectField, ObjectSchema, Schema, SetSchema};
use crate::write::WriteStateEngine;

/// The name of the one field of an enum type.
pub(crate) const ENUM_NAME_FIELD: &str = "_name";
/// The name of the one field of a boxed scalar type.
pub(crate) const VALUE_FIELD: &str = "value";

/// The schemas derived so far, in registration order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Registry {
    schemas: Vec<Schema>,
    index: HashMap<String, usize>,
}

impl Registry {
    pub(crate) fn schemas(&self) -> &[Schema] {
        &self.schemas
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Schema> {
        self.index.get(name).map(|&i| &self.schemas[i])
    }

    pub(crate) fn len(&self) -> usize {
        self.schemas.len()
    }

    /// Forget the schemas registered after the first `len` (a derivation that failed half way).
    pub(crate) fn truncate(&mut self, len: usize) {
        for schema in self.schemas.drain(len..) {
            self.index.remove(schema.name());
        }
    }

    /// Register `schema`, or keep the one already registered under its name if it has the same shape.
    fn register(&mut self, schema: Schema) -> MapperResult<()> {
        if let Some(existing) = self.get(schema.name()) {
            if same_shape(existing, &schema) {
                return Ok(());
            }
            return Err(MapperError::schema(format!(
                "two different types map to the Hollow type name {}: `{}` and `{}`; rename one of them",
                schema.name(),
                existing,
                schema
            )));
        }
        self.index.insert(schema.name().to_owned(), self.schemas.len());
        self.schemas.push(schema);
        Ok(())
    }
}

/// True when two schemas describe the same records: kinds, fields, element/key/value types. Keys are
/// not compared: they decide lookups and bucket placement, not what a record holds.
pub(crate) fn same_shape(a: &Schema, b: &Schema) -> bool {
    match (a, b) {
        (Schema::Object(a), Schema::Object(b)) => a.fields == b.fields,
        (Schema::List(a), Schema::List(b)) => a.element_type == b.element_type,
        (Schema::Set(a), Schema::Set(b)) => a.element_type == b.element_type,
        (Schema::Map(a), Schema::Map(b)) => a.key_type == b.key_type && a.value_type == b.value_type,
        _ => false,
    }
}

/// Whether records derived as `derived` can be written to the engine's existing schema `existing`: same
/// kind and referenced types, and for an OBJECT every derived field present with the same kind (the
/// writer matches fields by name, so order and extra fields in `existing` do not matter).
pub(crate) fn check_compatible(derived: &Schema, existing: &Schema) -> Result<(), Error> {
    let compatible = match (derived, existing) {
        (Schema::Object(d), Schema::Object(e)) => {
            for f in &d.fields {
                match e.fields.iter().find(|g| g.name == f.name) {
                    Some(g) if g.field_type == f.field_type && g.referenced_type == f.referenced_type => {}
                    Some(g) => {
                        return Err(Error::SchemaMismatch(format!(
                            "field {}.{} is {} in the engine's schema but the Rust type gives {}",
                            d.name,
                            f.name,
                            describe_field(g),
                            describe_field(f)
                        )))
                    }
                    None => {
                        return Err(Error::SchemaMismatch(format!(
                            "the engine's schema of {} has no field {} (it has: {})",
                            d.name,
                            f.name,
                            e.fields.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join(", ")
                        )))
                    }
                }
            }
            true
        }
        (Schema::List(_) | Schema::Set(_) | Schema::Map(_), _) => same_shape(derived, existing),
        _ => false,
    };
    if compatible {
        Ok(())
    } else {
        Err(Error::SchemaMismatch(format!("the Rust type gives `{derived}` but the engine already has `{existing}`")))
    }
}

/// Whether records of the state's schema `existing` can be read as the Rust type that derived `derived`:
/// same kind and element types; an OBJECT field both have must hold the same kind of value (fields only
/// one side has are fine: the reader matches fields by name and a missing one reads as absent).
///
/// A REFERENCE to a single-field type on one side and that field's kind inline on the other hold the
/// same value (the reader reads a `String { string value; }` record as its string), so a Rust `String`
/// field (derived as a REFERENCE to `String`) reads a Java `@HollowInline` STRING field, and back.
/// `derived_type` and `existing_type` find the referenced schemas on each side.
pub(crate) fn check_readable<'s>(
    derived: &Schema,
    existing: &Schema,
    derived_type: &dyn Fn(&str) -> Option<&'s Schema>,
    existing_type: &dyn Fn(&str) -> Option<&'s Schema>,
) -> Result<(), Error> {
    let (Schema::Object(d), Schema::Object(e)) = (derived, existing) else {
        return if same_shape(derived, existing) {
            Ok(())
        } else {
            Err(Error::SchemaMismatch(format!("the Rust type expects `{derived}` but the read state has `{existing}`")))
        };
    };
    // The inline kind a field's value has: its own, or the one field of the single-field type it refers to.
    let value_kind = |f: &ObjectField, lookup: &dyn Fn(&str) -> Option<&'s Schema>| match &f.referenced_type {
        None => Some(f.field_type),
        Some(t) => match lookup(t).and_then(Schema::as_object).map(|o| o.fields.as_slice()) {
            Some([only]) if only.field_type != FieldType::Reference => Some(only.field_type),
            _ => None,
        },
    };
    for f in &d.fields {
        let Some(g) = e.fields.iter().find(|g| g.name == f.name) else { continue };
        let same = (g.field_type == f.field_type && g.referenced_type == f.referenced_type)
            || (f.field_type != g.field_type
                && value_kind(f, derived_type).is_some_and(|k| Some(k) == value_kind(g, existing_type)));
        if !same {
            return Err(Error::SchemaMismatch(format!(
                "field {}.{} is {} in the read state but the Rust type expects {}",
                d.name,
                f.name,
                describe_field(g),
                describe_field(f)
            )));
        }
    }
    Ok(())
}

fn describe_field(f: &ObjectField) -> String {
    match &f.referenced_type {
        Some(t) => format!("a REFERENCE to {t}"),
        None => f.field_type.java_name().to_owned(),
    }
}

/// Register in `engine` every derived schema it lacks; check the ones it has.
pub(crate) fn sync_to_engine(schemas: &[Schema], engine: &mut WriteStateEngine) -> Result<(), Error> {
    for schema in schemas {
        match engine.schema(schema.name()) {
            Some(existing) => check_compatible(schema, existing)?,
            None => engine.add_schema(schema.clone())?,
        }
    }
    Ok(())
}

/// Turns shapes into registered schemas, following the configuration.
pub(crate) struct Deriver<'a> {
    pub(crate) config: &'a MapperConfig,
    pub(crate) registry: &'a mut Registry,
    /// Structs whose fields are being traced, to reject circular references.
    pub(crate) in_progress: Vec<String>,
    /// The shape of the value the tracer traced last.
    pub(crate) traced: Option<Shape>,
}

impl<'a> Deriver<'a> {
    pub(crate) fn new(config: &'a MapperConfig, registry: &'a mut Registry) -> Self {
        Deriver { config, registry, in_progress: Vec::new(), traced: None }
    }

    /// The type a top-level value of this shape is a record of.
    pub(crate) fn realize_root(&mut self, shape: Shape) -> MapperResult<String> {
        self.realize_element(shape)
    }

    /// Register a struct's OBJECT schema once its fields are realized.
    pub(crate) fn realize_struct(&mut self, name: String, fields: Vec<ObjectField>) -> MapperResult<()> {
        let primary_key = self.config.primary_keys.get(&name).cloned();
        self.registry.register(Schema::Object(ObjectSchema { name, fields, primary_key }))
    }

    /// The field a struct field of this shape becomes.
    pub(crate) fn realize_field(&mut self, owner: &str, field: &str, shape: Shape) -> MapperResult<ObjectField> {
        let config = self.config.field(owner, field).cloned().unwrap_or_default();
        let misplaced = |what: &str| {
            MapperError::schema(format!(
                "{what} is configured for field {owner}.{field}, which is a {}",
                describe(&shape)
            ))
        };
        let inner = strip_options(&shape);
        if config.hash_key.is_some() && !matches!(inner, Shape::Seq { set: true, .. } | Shape::Map { .. }) {
            return Err(misplaced("a hash key"));
        }
        match inner {
            Shape::Scalar(scalar) => {
                let by_reference = match scalar {
                    Scalar::Str => !config.inline,
                    _ if config.inline && config.reference => return Err(misplaced("both inline and reference")),
                    _ => config.reference || config.type_name.is_some(),
                };
                if by_reference {
                    let name = self.realize_scalar(*scalar, config.type_name.as_deref())?;
                    Ok(ObjectField::reference(field, name))
                } else if config.type_name.is_some() {
                    Err(misplaced("a referenced type name for an inline field"))
                } else {
                    Ok(ObjectField::new(field, scalar.field_type()))
                }
            }
            Shape::Enum(_) if config.inline => {
                if config.type_name.is_some() {
                    return Err(misplaced("a referenced type name for an inline field"));
                }
                Ok(ObjectField::new(field, FieldType::String))
            }
            Shape::Enum(name) => {
                let name = config.type_name.as_deref().unwrap_or(name).to_owned();
                self.realize_enum(&name)?;
                Ok(ObjectField::reference(field, name))
            }
            Shape::Object(name) => {
                if config.inline || config.type_name.is_some() {
                    return Err(misplaced("inlining or a referenced type name"));
                }
                Ok(ObjectField::reference(field, name.clone()))
            }
            Shape::Seq { .. } | Shape::Map { .. } => {
                if config.inline {
                    return Err(misplaced("inlining"));
                }
                let name = self.realize_collection(inner, config.type_name.as_deref(), config.hash_key.as_deref())?;
                Ok(ObjectField::reference(field, name))
            }
            Shape::Option(_) => Err(MapperError::schema("internal: an Option survived strip_options")),
        }
    }

    /// The type an element, key or value of this shape is a record of.
    fn realize_element(&mut self, shape: Shape) -> MapperResult<String> {
        match strip_options(&shape) {
            Shape::Scalar(scalar) => self.realize_scalar(*scalar, None),
            Shape::Enum(name) => {
                self.realize_enum(name)?;
                Ok(name.clone())
            }
            Shape::Object(name) => Ok(name.clone()),
            collection => self.realize_collection(collection, None, None),
        }
    }

    /// `Integer { int value; }` and friends.
    fn realize_scalar(&mut self, scalar: Scalar, name: Option<&str>) -> MapperResult<String> {
        let name = name.unwrap_or(scalar.wrapper_type_name()).to_owned();
        let schema = ObjectSchema::new(name.clone()).with_field(ObjectField::new(VALUE_FIELD, scalar.field_type()));
        self.realize_struct_schema(schema)?;
        Ok(name)
    }

    /// `Color { string _name; }`.
    fn realize_enum(&mut self, name: &str) -> MapperResult<()> {
        let schema = ObjectSchema::new(name).with_field(ObjectField::new(ENUM_NAME_FIELD, FieldType::String));
        self.realize_struct_schema(schema)
    }

    fn realize_struct_schema(&mut self, mut schema: ObjectSchema) -> MapperResult<()> {
        schema.primary_key = self.config.primary_keys.get(&schema.name).cloned();
        self.registry.register(Schema::Object(schema))
    }

    fn realize_collection(
        &mut self,
        shape: &Shape,
        name: Option<&str>,
        hash_key: Option<&[String]>,
    ) -> MapperResult<String> {
        let schema = match shape {
            Shape::Seq { set, element } => {
                let element_type = self.realize_element((**element).clone())?;
                let kind = if *set { "SetOf" } else { "ListOf" };
                let name = name.map_or_else(|| format!("{kind}{element_type}"), str::to_owned);
                if *set {
                    let hash_key = self.hash_key(&element_type, hash_key);
                    Schema::Set(SetSchema { name, element_type, hash_key })
                } else {
                    Schema::List(ListSchema { name, element_type })
                }
            }
            Shape::Map { key, value } => {
                let key_type = self.realize_element((**key).clone())?;
                let value_type = self.realize_element((**value).clone())?;
                let name = name.map_or_else(|| format!("MapOf{key_type}To{value_type}"), str::to_owned);
                let hash_key = self.hash_key(&key_type, hash_key);
                Schema::Map(MapSchema { name, key_type, value_type, hash_key })
            }
            other => return Err(MapperError::schema(format!("internal: {} is not a collection", describe(other)))),
        };
        let name = schema.name().to_owned();
        self.registry.register(schema)?;
        Ok(name)
    }

    /// The configured hash key, or Java's default one for element (or key) type `element_type`.
    fn hash_key(&self, element_type: &str, configured: Option<&[String]>) -> Option<Vec<String>> {
        if let Some(paths) = configured {
            return Some(paths.to_vec());
        }
        if !self.config.default_hash_keys {
            return None;
        }
        let Some(Schema::Object(element)) = self.registry.get(element_type) else { return None };
        if let Some(pk) = &element.primary_key {
            return Some(pk.clone());
        }
        match element.fields.as_slice() {
            [only] if only.field_type != FieldType::Reference => Some(vec![only.name.clone()]),
            _ => None,
        }
    }
}

fn strip_options(mut shape: &Shape) -> &Shape {
    while let Shape::Option(inner) = shape {
        shape = inner;
    }
    shape
}

/// A shape in words, for messages.
fn describe(shape: &Shape) -> String {
    match shape {
        Shape::Scalar(s) => s.rust_name().to_owned(),
        Shape::Option(inner) => format!("optional {}", describe(inner)),
        Shape::Object(name) => format!("struct ({name})"),
        Shape::Enum(name) => format!("enum ({name})"),
        Shape::Seq { set: true, .. } => "set".to_owned(),
        Shape::Seq { set: false, .. } => "sequence".to_owned(),
        Shape::Map { .. } => "map".to_owned(),
    }
}

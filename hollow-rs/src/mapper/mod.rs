//! The object mapper: Rust values to Hollow records and back, with serde.
//!
//! This is Java's `HollowObjectMapper` for serde types. [`ObjectMapper::add`] writes any
//! `Serialize + Deserialize` value (and a `str`) into a [`WriteStateEngine`], deriving the schemas of
//! its type the first time, named and ordered exactly as Java derives them; [`get`] reads a record
//! back into any `Deserialize` type. For data whose shape is known only at run time,
//! [`GenericValue`] is a dynamic record: written with [`ObjectMapper::add_generic`], read with
//! [`read_generic`], converted from JSON with [`from_json`].
//!
//! ```
//! use hollow::mapper::{self, ObjectMapper};
//! use hollow::read::ReadStateEngine;
//! use hollow::write::WriteStateEngine;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, PartialEq, Debug)]
//! struct Movie {
//!     id: i64,
//!     title: String,
//!     tags: Vec<String>,
//! }
//!
//! let mut engine = WriteStateEngine::new();
//! let mut mapper = ObjectMapper::new().primary_key("Movie", ["id"]);
//! let movie = Movie { id: 1, title: "Alien".into(), tags: vec!["sci-fi".into()] };
//! let ordinal = mapper.add(&mut engine, &movie)?;
//! // Movie @PrimaryKey(id) { long id; String title; ListOfString tags; }, String, ListOfString
//! assert_eq!(engine.schema("Movie").unwrap().to_string(),
//!            "Movie @PrimaryKey(id) {\n\tlong id;\n\tString title;\n\tListOfString tags;\n}");
//!
//! let mut blob = Vec::new();
//! engine.write_snapshot(&mut blob)?;
//! let read = ReadStateEngine::from_snapshot(&blob)?;
//! let back: Movie = mapper::get(&read, "Movie", ordinal)?;
//! assert_eq!(back, movie);
//! # Ok::<(), hollow::Error>(())
//! ```
//!
//! ## Schemas come from the type
//!
//! The mapper derives a type's schemas by running its `Deserialize` implementation against a tracing
//! deserializer, which answers every request with a placeholder (zero, empty string, one element per
//! sequence, `Some` for options, the first variant of an enum) and records what was asked. The requests
//! depend on the type only, so a first value full of `None`s and empty collections derives the same
//! schemas as any other. That is why [`ObjectMapper::add`] needs `Deserialize` as well as `Serialize`;
//! [`ObjectMapper::add_as`] writes `Serialize`-only values (borrowed views, say) against schemas that
//! are registered already.
//!
//! What cannot be traced is an [`Error::Schema`]: circular references (as in Java), tuples and tuple
//! structs, `()`, 128-bit integers, enums whose variants carry data, and types whose shape depends on
//! the data (`deserialize_any`: untagged enums, `#[serde(flatten)]`, `serde_json::Value`). A type whose
//! `Deserialize` rejects the placeholders (a non-empty-string newtype, say) cannot be traced either;
//! register its schema in the engine and use [`ObjectMapper::add_as`].
//!
//! ## Naming and order: Java's `HollowObjectMapper`
//!
//! | Rust                                              | Hollow                                                   |
//! |---------------------------------------------------|----------------------------------------------------------|
//! | struct `Movie` (its serde name)                   | OBJECT `Movie`, fields in declaration order              |
//! | `i8`, `i16`, `i32`, `u8`, `u16`, `char` field     | INT (inline, like a Java primitive)                      |
//! | `i64`, `u32`, `u64` field                         | LONG                                                     |
//! | `f32` / `f64` / `bool` field                      | FLOAT / DOUBLE / BOOLEAN                                 |
//! | `String` field                                    | REFERENCE to `String { string value; }`, or STRING inlined |
//! | `Vec<u8>`, `serde_bytes`                          | BYTES                                                    |
//! | `Option<T>`                                       | `T`, nullable (`None` is null)                           |
//! | enum of unit variants `Color`                     | OBJECT `Color { string _name; }` (like a Java enum)      |
//! | newtype struct                                    | its content                                              |
//! | `Vec<T>` (any sequence)                           | LIST `ListOfT`                                           |
//! | `HashSet<T>`, `BTreeSet<T>`, [`as_set`]           | SET `SetOfT`                                             |
//! | `HashMap<K, V>`, `BTreeMap<K, V>`                 | MAP `MapOfKToV`                                          |
//!
//! Elements, keys and values are records of their own type: a `Vec<i32>` is `ListOfInteger` over
//! `Integer { int value; }`, with Java's boxed names (`Byte`, `Short`, `Integer`, `Long`, `Float`,
//! `Double`, `Boolean`, `Character`, `String`; `u8` is `Short`, `u16` `Integer`, `u32`/`u64` `Long`, bytes
//! `Bytes`). A `None` element is an error, as a null element is in Java. Standard set types are
//! recognized by their [`type_name`](std::any::type_name); [`as_set`] and [`ObjectMapper::set_field`]
//! mark any other sequence as a set.
//!
//! Types are registered dependencies first, in the order Java's mapper creates them: for each field in
//! declaration order, what it needs (element before list; key, then value, before map), then the struct.
//! A SET whose element type (a MAP whose key type) has a primary key gets it as its hash key; failing
//! that, when the type has exactly one field and it is not a REFERENCE, that field
//! (`SetOfString Set<String> @HashKey(value);`). The first derivation of a type name wins, as in Java;
//! two different shapes under one name are an [`Error::Schema`].
//!
//! Java's annotations are configuration methods on [`ObjectMapper`], keyed by Hollow type and field
//! names: `@HollowPrimaryKey` is [`primary_key`](ObjectMapper::primary_key), `@HollowTypeName`
//! [`rename_type`](ObjectMapper::rename_type) and [`field_type_name`](ObjectMapper::field_type_name),
//! `@HollowInline` [`inline_field`](ObjectMapper::inline_field), `@HollowHashKey`
//! [`hash_key`](ObjectMapper::hash_key); a boxed (non-inline) Java number is
//! [`reference_field`](ObjectMapper::reference_field).
//!
//! Derived schemas are registered in the engine when it lacks them. When it already has a type of that
//! name, the derived one must be compatible (same kind and element types; every derived field present
//! with the same kind), or the add fails with [`Error::SchemaMismatch`].
//!
//! ## Writing
//!
//! Writing follows the engine's schemas, not the Rust type, so one writer serves typed values,
//! [`GenericValue`]s and [`ObjectMapper::add_as`]:
//!
//! | Schema                | Takes                                                                  |
//! |-----------------------|------------------------------------------------------------------------|
//! | OBJECT                | a struct, or a map of field names (fields not given are null)          |
//! | OBJECT with one field | also that field's value alone (a `str` for `String`, an `i32` for `Integer`) |
//! | OBJECT with `_name`   | also a unit enum variant                                                |
//! | LIST, SET             | a sequence (a SET keeps each element once)                              |
//! | MAP                   | a map, or a sequence of `[key, value]` pairs                            |
//!
//! A field takes the Rust types whose every value it holds: INT takes `i8`, `i16`, `i32`, `u8`, `u16`,
//! `char`; LONG those and `u32`, `i64`, `u64` (up to `i64::MAX`, beyond is [`Error::InvalidArgument`]);
//! DOUBLE `f32` and `f64`; FLOAT `f32`. Anything else is [`Error::SchemaMismatch`] whatever the value,
//! so a mismatch shows on the first record, not on an unlucky one. Errors name the path to the value
//! (`at Show.cast[2].name: ...`).
//!
//! Nulls follow Java's mapper: `None` is null; a non-optional `i8::MIN`, `i16::MIN`, `'\0'` or NaN is
//! stored as null (as Java stores `Byte.MIN_VALUE`, `Short.MIN_VALUE`, `Character.MIN_VALUE` and NaN of
//! primitive fields), and the engine stores `i32::MIN` and `i64::MIN` as null. `Some(f64::NAN)` and
//! `Some(i16::MIN)` stay values, as a Java boxed `Double` or `@HollowInline Short` does.
//!
//! Unlike Java, a record whose primary key is missing is refused ([`Error::InvalidArgument`]): a field
//! that starts a primary-key path must be given, and not null, since a record with a null key can never
//! be found by its key. (Only the record's own field is checked; a path's later fields are in records
//! it refers to.)
//!
//! ## Reading
//!
//! [`get`] reads a record into any `Deserialize` type, following references, lists, sets (in Hollow's
//! iteration order) and maps. An OBJECT record offers its fields as a map, so a struct takes them by
//! name and ignores the ones it does not know; a single-field record also reads as its field's value
//! (`String`, `Integer`, an enum's `_name`). A null REFERENCE, STRING or BYTES field is left out, so
//! serde treats it as missing: an `Option` field reads `None`, a `#[serde(default)]` field its
//! default, anything else fails with [`Error::SchemaMismatch`]. A null number or boolean reads as
//! `None` into an `Option`, and otherwise as Java reads it into a primitive: the type's minimum for an
//! integer (0 for the unsigned ones, as for a Java `char`), NaN for a float, `false`, `'\0'`. ASCII
//! strings can be borrowed from the engine (`&str`, `Cow<str>`).
//!
//! On a consumer's [`ReadState`](crate::ReadState), the type names itself ([`HollowRecord`]):
//! [`get_as::<T>(key)`](crate::ReadState::get_as) by primary key, [`index::<T>()`](crate::ReadState::index)
//! for repeated lookups, [`iter::<T>()`](crate::ReadState::iter) for every record. For hot paths that
//! should not deserialize at all, [`codegen`](crate::codegen) generates zero-copy views from the schemas.
//!
//! References can form cycles in a blob no mapper wrote: reading stops with [`Error::CorruptBlob`]
//! past 128 nested records instead of overflowing the stack (and writing stops at the same depth).
//!
//! ## Generic values and JSON
//!
//! For data whose shape is known only at run time: [`read_generic`] reads any record as a
//! [`GenericValue`] tree, [`from_json`] builds one from JSON following the schemas, and
//! [`ObjectMapper::add_generic`] / [`ObjectMapper::add_json`] write them. [`find_by_primary_key`]
//! finds a record by its primary key, by scanning the type.
//!
//! A mapper is meant to serve one write engine, as Java's does.
//!
//! [`WriteStateEngine`]: crate::write::WriteStateEngine
//! [`Error::SchemaMismatch`]: crate::Error::SchemaMismatch
//! [`Error::Schema`]: crate::Error::Schema
//! [`Error::InvalidArgument`]: crate::Error::InvalidArgument
//! [`Error::CorruptBlob`]: crate::Error::CorruptBlob

mod config;
mod de;
mod derive;
mod error;
mod generic;
mod json;
mod key;
mod record;
mod ser;
mod set;
mod shape;
mod trace;
mod value;

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::read::ReadStateEngine;
use crate::schema::Schema;
use crate::write::WriteStateEngine;

use self::config::MapperConfig;
use self::derive::{Deriver, Registry};
use self::error::MapperResult;
use self::ser::{SchemaCache, Writer};
use self::shape::{Scalar, Shape};

pub use self::generic::{read_generic, read_value_field, GenericValue};
pub use self::json::from_json;
pub use self::key::{find_by_primary_key, get_by_primary_key};
pub use self::record::{DerivedType, HollowRecord, KeyPart, RecordKey};
pub use self::set::as_set;

/// Types the mapper can derive schemas for: every `Serialize + DeserializeOwned` type, and `str` (a
/// record of type `String`).
///
/// Implemented automatically; it cannot be implemented by hand.
pub trait Mappable: Serialize {
    #[doc(hidden)]
    fn tracing() -> Tracing;
}

/// How a [`Mappable`] type is traced (an implementation detail of the trait).
#[doc(hidden)]
pub struct Tracing(pub(crate) for<'a, 'b> fn(&'a mut Deriver<'b>) -> MapperResult<Shape>);

impl<T: Serialize + DeserializeOwned> Mappable for T {
    fn tracing() -> Tracing {
        Tracing(trace::trace_type::<T>)
    }
}

impl Mappable for str {
    fn tracing() -> Tracing {
        Tracing(|_| Ok(Shape::Scalar(Scalar::Str)))
    }
}

/// Writes serde values into a write engine, deriving their schemas the way Java's
/// `HollowObjectMapper` does. See the [module documentation](self).
///
/// Configuration methods (the equivalents of Java's annotations) take and return the mapper, so they
/// are set before any type is derived: `ObjectMapper::new().primary_key("Movie", ["id"])`.
#[derive(Debug, Default)]
pub struct ObjectMapper {
    config: MapperConfig,
    registry: Registry,
    /// Rust type (by `type_name`) -> the Hollow type its values are records of.
    roots: HashMap<&'static str, String>,
    /// How many of the registry's schemas have been registered in (or checked against) the engine.
    synced: usize,
    cache: SchemaCache,
}

impl ObjectMapper {
    /// A mapper with Java's defaults: no primary keys, strings referenced, default hash keys on.
    pub fn new() -> Self {
        Self::default()
    }

    // ----- configuration ---------------------------------------------------------------------------

    /// Give OBJECT type `type_name` a primary key (Java's `@HollowPrimaryKey(fields = ...)`). Paths use
    /// dot notation through references (`address.city.value`).
    pub fn primary_key<S: Into<String>>(mut self, type_name: &str, fields: impl IntoIterator<Item = S>) -> Self {
        self.config.primary_keys.insert(type_name.to_owned(), fields.into_iter().map(Into::into).collect());
        self
    }

    /// [`primary_key`](Self::primary_key) for the type `T` maps to (its serde name, after
    /// [`rename_type`](Self::rename_type)). Does nothing when `T` is not a struct or enum.
    pub fn with_primary_key<T: DeserializeOwned, S: Into<String>>(self, fields: impl IntoIterator<Item = S>) -> Self {
        match trace::serde_container_name::<T>() {
            Some(name) => {
                let name = self.config.type_name(name).to_owned();
                self.primary_key(&name, fields)
            }
            None => self,
        }
    }

    /// Map the serde container `serde_name` (a struct or enum name, as serde sees it) to the Hollow type
    /// name `hollow_name` (Java's `@HollowTypeName` on a class). Other configuration uses the Hollow name.
    pub fn rename_type(mut self, serde_name: &str, hollow_name: &str) -> Self {
        self.config.renames.insert(serde_name.to_owned(), hollow_name.to_owned());
        self
    }

    /// Store string field `field` of `type_name` inline as STRING (Java's `@HollowInline`); also
    /// works for an enum field, stored as its variant name.
    pub fn inline_field(mut self, type_name: &str, field: &str) -> Self {
        self.config.field_mut(type_name, field).inline = true;
        self
    }

    /// Store number or boolean field `field` of `type_name` as a REFERENCE to its boxed type
    /// (`Integer { int value; }`, ...), as Java does for an `Integer` field without `@HollowInline`.
    pub fn reference_field(mut self, type_name: &str, field: &str) -> Self {
        self.config.field_mut(type_name, field).reference = true;
        self
    }

    /// Give sequence field `field` of `type_name` a SET schema (for sequence types other than
    /// `HashSet`/`BTreeSet`, which are sets already). [`as_set`] does the same from the struct.
    pub fn set_field(mut self, type_name: &str, field: &str) -> Self {
        self.config.field_mut(type_name, field).set = true;
        self
    }

    /// Give the SET or MAP type that field `field` of `type_name` refers to this hash key (Java's
    /// `@HollowHashKey`), instead of the default one.
    pub fn hash_key<S: Into<String>>(
        mut self,
        type_name: &str,
        field: &str,
        paths: impl IntoIterator<Item = S>,
    ) -> Self {
        self.config.field_mut(type_name, field).hash_key = Some(paths.into_iter().map(Into::into).collect());
        self
    }

    /// Name the type that field `field` of `type_name` refers to (Java's `@HollowTypeName` on a field):
    /// a string field then refers to `referenced_type { string value; }`, a number field to a boxed type
    /// of that name (as [`reference_field`](Self::reference_field) does, under another name), an enum
    /// field to an enum type of that name, a collection field to a collection type of that name. Not
    /// for struct fields: rename the struct with [`rename_type`](Self::rename_type).
    pub fn field_type_name(mut self, type_name: &str, field: &str, referenced_type: &str) -> Self {
        self.config.field_mut(type_name, field).type_name = Some(referenced_type.to_owned());
        self
    }

    /// Whether sets and maps get Java's default hash keys (on by default; Java's
    /// `doNotUseDefaultHashKeys()` turns them off).
    pub fn use_default_hash_keys(mut self, on: bool) -> Self {
        self.config.default_hash_keys = on;
        self
    }

    // ----- schemas ---------------------------------------------------------------------------------

    /// Derive the schemas of `T` without an engine; returns the name of the type `T`'s values are
    /// records of. The schemas are then in [`schemas`](Self::schemas).
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] when `T` cannot be traced (see [Schemas come from the
    /// type](self#schemas-come-from-the-type)) or derives a shape that clashes with an earlier type of the
    /// same name.
    pub fn derive<T: ?Sized + Mappable>(&mut self) -> Result<String> {
        let key = std::any::type_name::<T>();
        if let Some(root) = self.roots.get(key) {
            return Ok(root.clone());
        }
        let before = self.registry.len();
        let mut deriver = Deriver::new(&self.config, &mut self.registry);
        match (T::tracing().0)(&mut deriver).and_then(|shape| deriver.realize_root(shape)) {
            Ok(root) => {
                self.roots.insert(key, root.clone());
                Ok(root)
            }
            Err(e) => {
                // All or nothing: keep no schema of a type that cannot be derived.
                self.registry.truncate(before);
                Err(e.into())
            }
        }
    }

    /// Every schema derived so far, dependencies first (the order they are registered in an engine).
    pub fn schemas(&self) -> &[Schema] {
        self.registry.schemas()
    }

    /// Register the schemas of `T` in `engine` without adding a record (Java's `initializeTypeState`);
    /// returns the name of the type `T`'s values are records of.
    ///
    /// # Errors
    ///
    /// As [`derive`](Self::derive); [`Error::SchemaMismatch`] when `engine` has
    /// a type of the same name that the derived schema does not fit.
    pub fn initialize<T: ?Sized + Mappable>(&mut self, engine: &mut WriteStateEngine) -> Result<String> {
        let root = self.derive::<T>()?;
        self.sync(engine, &root)?;
        Ok(root)
    }

    /// Register the derived schemas `engine` lacks; check the ones it has.
    fn sync(&mut self, engine: &mut WriteStateEngine, root: &str) -> Result<()> {
        let schemas = self.registry.schemas();
        if engine.schema(root).is_none() {
            // A fresh engine (or one that was never synced): check everything.
            self.synced = 0;
        }
        if self.synced < schemas.len() {
            derive::sync_to_engine(&schemas[self.synced..], engine)?;
            self.synced = schemas.len();
        }
        Ok(())
    }

    // ----- writing ---------------------------------------------------------------------------------

    /// Add `value` (and every record it refers to) to `engine`; returns the ordinal of its record.
    ///
    /// The first value of a type derives and registers the type's schemas. A top-level `str` or
    /// `String` is a record of type `String`, a number one of its boxed type (`Integer`, ...), a
    /// collection one of its `ListOf...`/`SetOf...`/`MapOf...` type.
    ///
    /// # Errors
    ///
    /// As [`initialize`](Self::initialize); when the value does not fit the schema, the writer's errors (see
    /// [Writing](self#writing)): [`Error::SchemaMismatch`] naming the path,
    /// [`Error::InvalidArgument`] for out-of-range numbers or a `None`
    /// element.
    pub fn add<T: ?Sized + Mappable>(&mut self, engine: &mut WriteStateEngine, value: &T) -> Result<u32> {
        let root = self.initialize::<T>(engine)?;
        Writer::new(engine, &mut self.cache).write(&root, value).map_err(Error::from)
    }

    /// Add `value` as a record of `type_name`, whose schema (and those of the types it refers to) must
    /// be registered in `engine` already. For values whose type cannot be traced (types that are only
    /// `Serialize`, borrowed data), or to write one Rust type as another Hollow type.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when `type_name` (or a type it refers to) is not
    /// registered; the writer's errors (see [Writing](self#writing)).
    pub fn add_as<T: ?Sized + Serialize>(
        &mut self,
        engine: &mut WriteStateEngine,
        type_name: &str,
        value: &T,
    ) -> Result<u32> {
        Writer::new(engine, &mut self.cache).write(type_name, value).map_err(Error::from)
    }

    /// Add a generic record (its type is the one it names) to `engine`, whose schemas must be
    /// registered already.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a value that is not a record,
    /// [`Error::NotFound`] for an unregistered type,
    /// [`Error::SchemaMismatch`] when it does not fit its schema.
    pub fn add_generic(&mut self, engine: &mut WriteStateEngine, value: &GenericValue) -> Result<u32> {
        let type_name = value.type_name().ok_or_else(|| {
            Error::InvalidArgument(
                "a generic value added at the top level must be a record (object or collection)".into(),
            )
        })?;
        self.add_as(engine, type_name, value)
    }

    /// Convert `json` to a record of `type_name` (see [`from_json`]) and add it.
    ///
    /// # Errors
    ///
    /// Those of [`from_json`] and of [`add_generic`](Self::add_generic).
    pub fn add_json(
        &mut self,
        engine: &mut WriteStateEngine,
        type_name: &str,
        json: &serde_json::Value,
    ) -> Result<u32> {
        let value = from_json(json, type_name, &*engine)?;
        self.add_generic(engine, &value)
    }
}

// ----- reading ---------------------------------------------------------------------------------------

/// Read the record `ordinal` of `type_name` into a `T`.
///
/// References, lists, sets and maps are followed; struct fields are matched by name. ASCII strings can
/// be borrowed from the engine (`&str`, `Cow<str>` fields). Fails with [`Error::NotFound`] for an
/// unknown type or an ordinal beyond the type's records, [`Error::SchemaMismatch`] when the record
/// does not fit `T`.
///
/// # Errors
///
/// [`Error::NotFound`] for an unknown type or an ordinal beyond the type's records,
/// [`Error::SchemaMismatch`] when the record does not fit `T`,
/// [`Error::CorruptBlob`] for records that do not decode.
pub fn get<'a, T: Deserialize<'a>>(engine: &'a ReadStateEngine, type_name: &str, ordinal: u32) -> Result<T> {
    let record = de::RecordDeserializer::new(engine, type_name, ordinal)?;
    T::deserialize(record).map_err(Error::from)
}

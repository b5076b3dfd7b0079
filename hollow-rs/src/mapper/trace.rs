//! Deriving a type's shape from its `Deserialize` implementation, without a value.
//!
//! The tracer is a serde `Deserializer` that answers every request with a placeholder (zero, empty
//! string, one element per sequence, `Some` for options, the first variant of an enum) and records what
//! was requested. Since the request sequence is fixed by the type, not by any value, the schemas come
//! out the same whether the first value written has `None`s and empty collections or not.
//!
//! Two things serde does not say, the tracer infers:
//! * **Sets.** A `HashSet` and a `Vec` both deserialize as a sequence. When the type being traced is
//!   known (`Deserialize` impls ask for elements and fields with a `PhantomData<T>` seed), its
//!   [`type_name`](std::any::type_name()) shows whether it is one of the standard set types. The
//!   [`super::as_set`] adapter and [`ObjectMapper::set_field`](super::ObjectMapper::set_field) mark
//!   sets explicitly.
//! * **Byte arrays.** A sequence of `u8` that is not a set is BYTES, as a Java `byte[]` is.
//!
//! What cannot be traced is rejected with [`Error::Schema`](crate::Error::Schema): circular references
//! (as in Java), tuples, `()`, 128-bit integers, enums with data-carrying variants, and types that
//! inspect the input to decide their shape (`deserialize_any`: untagged enums, `#[serde(flatten)]`,
//! `serde_json::Value`). A type whose `Deserialize` rejects the placeholders (a non-empty-string
//! newtype, say) cannot be traced either; give its schema to the engine directly and write it with
//! [`ObjectMapper::add_as`](super::ObjectMapper::add_as).

use std::any::type_name;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};

use super::derive::Deriver;
use super::error::{MapperError, MapperResult};
use super::set::SET_MARKER;
use super::shape::{is_set_type_name, Scalar, Shape};
use crate::schema::ObjectField;

/// Trace `T` and return its shape; structs met on the way are registered.
pub(crate) fn trace_type<T: DeserializeOwned>(deriver: &mut Deriver<'_>) -> MapperResult<Shape> {
    let set = is_set_type_name(type_name::<T>());
    trace_seed(deriver, std::marker::PhantomData::<T>, set).map(|(_, shape)| shape).map_err(|e| {
        // Anything but the tracer's own verdict comes from a Deserialize impl that rejected a placeholder.
        e.into_schema_error(|message| {
            format!(
                "cannot derive a schema for {}: its Deserialize rejected the tracer's placeholder value ({message}); \
                 register the schema in the engine and write with ObjectMapper::add_as",
                type_name::<T>()
            )
        })
    })
}

fn trace_seed<'de, S: DeserializeSeed<'de>>(
    deriver: &mut Deriver<'_>,
    seed: S,
    set: bool,
) -> MapperResult<(S::Value, Shape)> {
    deriver.traced = None;
    let value = seed.deserialize(Tracer { deriver: &mut *deriver, set })?;
    let shape = deriver.traced.take().ok_or_else(|| {
        MapperError::schema(format!("{} did not ask for a value of any known kind", short_type_name::<S>()))
    })?;
    Ok((value, shape))
}

/// `type_name` of a seed, without the `PhantomData<...>` around it.
fn short_type_name<S>() -> &'static str {
    let name = type_name::<S>();
    name.strip_prefix("core::marker::PhantomData<").and_then(|n| n.strip_suffix('>')).unwrap_or(name)
}

/// The tracing deserializer for one value.
struct Tracer<'t, 'a> {
    deriver: &'t mut Deriver<'a>,
    /// This value (if a sequence, possibly behind options and newtypes) is a set.
    set: bool,
}

macro_rules! trace_scalar {
    ($($method:ident => $scalar:ident, $visit:ident($placeholder:expr);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> MapperResult<V::Value> {
                let value = visitor.$visit::<MapperError>($placeholder)?;
                self.deriver.traced = Some(Shape::Scalar(Scalar::$scalar));
                Ok(value)
            }
        )*
    };
}

fn unsupported(what: &str) -> MapperError {
    MapperError::schema(format!("{what} cannot be mapped to Hollow"))
}

impl<'de> de::Deserializer<'de> for Tracer<'_, '_> {
    type Error = MapperError;

    trace_scalar! {
        deserialize_bool => Bool, visit_bool(false);
        deserialize_i8 => I8, visit_i8(0);
        deserialize_i16 => I16, visit_i16(0);
        deserialize_i32 => I32, visit_i32(0);
        deserialize_i64 => I64, visit_i64(0);
        deserialize_u8 => U8, visit_u8(0);
        deserialize_u16 => U16, visit_u16(0);
        deserialize_u32 => U32, visit_u32(0);
        deserialize_u64 => U64, visit_u64(0);
        deserialize_f32 => F32, visit_f32(0.0);
        deserialize_f64 => F64, visit_f64(0.0);
        deserialize_char => Char, visit_char('\0');
        deserialize_str => Str, visit_borrowed_str("");
        deserialize_string => Str, visit_borrowed_str("");
        deserialize_bytes => Bytes, visit_borrowed_bytes(&[]);
        deserialize_byte_buf => Bytes, visit_borrowed_bytes(&[]);
    }

    fn deserialize_i128<V: Visitor<'de>>(self, _: V) -> MapperResult<V::Value> {
        Err(unsupported("a 128-bit integer"))
    }

    fn deserialize_u128<V: Visitor<'de>>(self, _: V) -> MapperResult<V::Value> {
        Err(unsupported("a 128-bit integer"))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> MapperResult<V::Value> {
        Err(unsupported(
            "a type whose shape depends on the data (it uses deserialize_any: an untagged enum, \
             #[serde(flatten)], or a dynamic value such as serde_json::Value)",
        ))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> MapperResult<V::Value> {
        let deriver = self.deriver;
        deriver.traced = None;
        let value = visitor.visit_some(Tracer { deriver: &mut *deriver, set: self.set })?;
        let inner = deriver.traced.take().ok_or_else(|| MapperError::schema("an Option's content was not traced"))?;
        deriver.traced = Some(Shape::Option(Box::new(inner)));
        Ok(value)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, _: V) -> MapperResult<V::Value> {
        Err(unsupported("the unit type ()"))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> MapperResult<V::Value> {
        let value = visitor.visit_unit::<MapperError>()?;
        let name = self.deriver.config.type_name(name).to_owned();
        self.deriver.realize_struct(name.clone(), Vec::new())?;
        self.deriver.traced = Some(Shape::Object(name));
        Ok(value)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> MapperResult<V::Value> {
        // A newtype is its content (as in serde_json); the set adapter is a newtype with a marker name.
        let set = self.set || name == SET_MARKER;
        visitor.visit_newtype_struct(Tracer { deriver: self.deriver, set })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> MapperResult<V::Value> {
        let deriver = self.deriver;
        let mut access = SeqTracer { deriver: &mut *deriver, element: None };
        let value = visitor.visit_seq(&mut access)?;
        let element = access.element.ok_or_else(|| MapperError::schema("a sequence's element type was not traced"))?;
        deriver.traced = Some(if !self.set && element == Shape::Scalar(Scalar::U8) {
            Shape::Scalar(Scalar::Bytes)
        } else {
            Shape::Seq { set: self.set, element: Box::new(element) }
        });
        Ok(value)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> MapperResult<V::Value> {
        Err(unsupported("a tuple or fixed-size array (Hollow has no tuple type; use a struct or a Vec)"))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, name: &'static str, _: usize, _: V) -> MapperResult<V::Value> {
        Err(unsupported(&format!("the tuple struct {name} (give its fields names)")))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> MapperResult<V::Value> {
        let deriver = self.deriver;
        let mut access = MapTracer { deriver: &mut *deriver, key: None, value: None };
        let value = visitor.visit_map(&mut access)?;
        match (access.key, access.value) {
            (Some(key), Some(value_shape)) => {
                deriver.traced = Some(Shape::Map { key: Box::new(key), value: Box::new(value_shape) });
                Ok(value)
            }
            _ => Err(MapperError::schema("a map's key and value types were not traced")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> MapperResult<V::Value> {
        let deriver = self.deriver;
        let name = deriver.config.type_name(name).to_owned();
        if deriver.in_progress.contains(&name) {
            return Err(MapperError::schema(format!(
                "type {name} refers to itself (through {}); circular references are not supported",
                deriver.in_progress.join(" -> ")
            )));
        }
        deriver.in_progress.push(name.clone());
        let mut access = StructTracer { deriver: &mut *deriver, owner: &name, fields, next: 0, collected: Vec::new() };
        let result = visitor.visit_map(&mut access);
        let collected = std::mem::take(&mut access.collected);
        deriver.in_progress.pop();
        let value = result?;
        deriver.realize_struct(name.clone(), collected)?;
        deriver.traced = Some(Shape::Object(name));
        Ok(value)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> MapperResult<V::Value> {
        let Some(&first) = variants.first() else {
            return Err(unsupported(&format!("the enum {name}, which has no variants,")));
        };
        let value = visitor.visit_enum(EnumTracer { name, variant: first })?;
        self.deriver.traced = Some(Shape::Enum(self.deriver.config.type_name(name).to_owned()));
        Ok(value)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, _: V) -> MapperResult<V::Value> {
        Err(unsupported("an identifier outside a struct or enum"))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> MapperResult<V::Value> {
        visitor.visit_unit()
    }
}

/// Yields one traced element.
struct SeqTracer<'t, 'a> {
    deriver: &'t mut Deriver<'a>,
    element: Option<Shape>,
}

impl<'de> de::SeqAccess<'de> for SeqTracer<'_, '_> {
    type Error = MapperError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> MapperResult<Option<S::Value>> {
        if self.element.is_some() {
            return Ok(None);
        }
        let (value, shape) = trace_seed(self.deriver, seed, is_set_type_name(type_name::<S>()))?;
        self.element = Some(shape);
        Ok(Some(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(1)
    }
}

/// Yields one traced entry.
struct MapTracer<'t, 'a> {
    deriver: &'t mut Deriver<'a>,
    key: Option<Shape>,
    value: Option<Shape>,
}

impl<'de> de::MapAccess<'de> for MapTracer<'_, '_> {
    type Error = MapperError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> MapperResult<Option<K::Value>> {
        if self.key.is_some() {
            return Ok(None);
        }
        let (key, shape) = trace_seed(self.deriver, seed, is_set_type_name(type_name::<K>()))?;
        self.key = Some(shape);
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> MapperResult<V::Value> {
        let (value, shape) = trace_seed(self.deriver, seed, is_set_type_name(type_name::<V>()))?;
        self.value = Some(shape);
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(1)
    }
}

/// Yields each field of a struct, realizing it as it is traced.
struct StructTracer<'t, 'a, 'n> {
    deriver: &'t mut Deriver<'a>,
    owner: &'n str,
    fields: &'static [&'static str],
    next: usize,
    collected: Vec<ObjectField>,
}

impl<'de> de::MapAccess<'de> for StructTracer<'_, '_, '_> {
    type Error = MapperError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> MapperResult<Option<K::Value>> {
        match self.fields.get(self.next) {
            Some(&field) => seed.deserialize(BorrowedStrDeserializer::new(field)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> MapperResult<V::Value> {
        let field = self.fields.get(self.next).copied().ok_or_else(|| MapperError::schema("value without a key"))?;
        self.next += 1;
        let configured_set = self.deriver.config.field(self.owner, field).is_some_and(|c| c.set);
        let set = configured_set || is_set_type_name(type_name::<V>());
        let (value, shape) = trace_seed(self.deriver, seed, set).map_err(|e| e.in_field(self.owner, field))?;
        let realized =
            self.deriver.realize_field(self.owner, field, shape).map_err(|e| e.in_field(self.owner, field))?;
        self.collected.push(realized);
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len() - self.next)
    }
}

/// Picks an enum's first variant; fails for variants that carry data.
struct EnumTracer {
    name: &'static str,
    variant: &'static str,
}

impl<'de> de::EnumAccess<'de> for EnumTracer {
    type Error = MapperError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> MapperResult<(S::Value, Self)> {
        let value = seed.deserialize(BorrowedStrDeserializer::<MapperError>::new(self.variant))?;
        Ok((value, self))
    }
}

impl EnumTracer {
    fn data_variant(&self) -> MapperError {
        unsupported(&format!(
            "the enum {} (its variant {} carries data; only enums of unit variants map to Hollow, as `_name`)",
            self.name, self.variant
        ))
    }
}

impl<'de> de::VariantAccess<'de> for EnumTracer {
    type Error = MapperError;

    fn unit_variant(self) -> MapperResult<()> {
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, _: S) -> MapperResult<S::Value> {
        Err(self.data_variant())
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> MapperResult<V::Value> {
        Err(self.data_variant())
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], _: V) -> MapperResult<V::Value> {
        Err(self.data_variant())
    }
}

/// The serde name of `T` when it is a struct or enum (what [`trace_type`] would name its type), found
/// without tracing its fields.
pub(crate) fn serde_container_name<T: DeserializeOwned>() -> Option<&'static str> {
    match T::deserialize(NameProbe) {
        Err(Probe::Found(name)) => Some(name),
        _ => None,
    }
}

/// Stops at the first struct or enum and reports its name.
struct NameProbe;

#[derive(Debug)]
enum Probe {
    Found(&'static str),
    Other,
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("name probe")
    }
}

impl std::error::Error for Probe {}

impl de::Error for Probe {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Probe::Other
    }
}

impl<'de> de::Deserializer<'de> for NameProbe {
    type Error = Probe;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probe> {
        Err(Probe::Other)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probe> {
        Err(Probe::Found(name))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, _: V) -> Result<V::Value, Probe> {
        Err(Probe::Found(name))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probe> {
        Err(Probe::Found(name))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        newtype_struct seq tuple tuple_struct map identifier ignored_any
    }
}

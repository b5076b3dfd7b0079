//! The shape of a Rust type as the mapper sees it, before it becomes Hollow schemas.
//!
//! Tracing a type (see [`super::trace`]) yields a [`Shape`] tree. Structs are realized as OBJECT schemas
//! as soon as their fields are traced, so a shape refers to them by name; everything else (scalars,
//! strings, enums, collections) stays a shape until the context it appears in decides what it becomes:
//! a field may inline a string or a number, while a collection element is always a record of its own.

use crate::schema::FieldType;

/// A value kind with no inner structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    Char,
    Str,
    Bytes,
}

impl Scalar {
    /// The field kind the scalar is stored as, inline in a record: the smallest Hollow kind that holds
    /// every value of the Rust type (as Java maps `byte`/`short`/`char`/`int` to INT).
    pub(crate) fn field_type(self) -> FieldType {
        match self {
            Scalar::Bool => FieldType::Boolean,
            Scalar::I8 | Scalar::I16 | Scalar::I32 | Scalar::U8 | Scalar::U16 | Scalar::Char => FieldType::Int,
            Scalar::I64 | Scalar::U32 | Scalar::U64 => FieldType::Long,
            Scalar::F32 => FieldType::Float,
            Scalar::F64 => FieldType::Double,
            Scalar::Str => FieldType::String,
            Scalar::Bytes => FieldType::Bytes,
        }
    }

    /// The name of the single-field type that holds the scalar when it is a record of its own (a
    /// collection element, or a field configured as a reference): Java's boxed type names, chosen by
    /// range for the unsigned types Java lacks. Its one field is called `value`.
    pub(crate) fn wrapper_type_name(self) -> &'static str {
        match self {
            Scalar::Bool => "Boolean",
            Scalar::I8 => "Byte",
            Scalar::I16 | Scalar::U8 => "Short",
            Scalar::I32 | Scalar::U16 => "Integer",
            Scalar::I64 | Scalar::U32 | Scalar::U64 => "Long",
            Scalar::F32 => "Float",
            Scalar::F64 => "Double",
            Scalar::Char => "Character",
            Scalar::Str => "String",
            Scalar::Bytes => "Bytes",
        }
    }

    /// A short Rust-side name for messages.
    pub(crate) fn rust_name(self) -> &'static str {
        match self {
            Scalar::Bool => "bool",
            Scalar::I8 => "i8",
            Scalar::I16 => "i16",
            Scalar::I32 => "i32",
            Scalar::I64 => "i64",
            Scalar::U8 => "u8",
            Scalar::U16 => "u16",
            Scalar::U32 => "u32",
            Scalar::U64 => "u64",
            Scalar::F32 => "f32",
            Scalar::F64 => "f64",
            Scalar::Char => "char",
            Scalar::Str => "string",
            Scalar::Bytes => "bytes",
        }
    }
}

/// The traced shape of a Rust type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A number, boolean, char, string or byte array.
    Scalar(Scalar),
    /// `Option<T>`: the inner shape, nullable.
    Option(Box<Shape>),
    /// A struct, already realized as the OBJECT type of this name.
    Object(String),
    /// An enum whose variants carry no data, to be realized as an OBJECT type with one `_name` field.
    Enum(String),
    /// A sequence: a LIST, or a SET when the type (or configuration) says so.
    Seq { set: bool, element: Box<Shape> },
    /// A map.
    Map { key: Box<Shape>, value: Box<Shape> },
}

/// Rust collection types whose serde form is a plain sequence but which hold distinct elements, so the
/// mapper gives them a SET schema (matched on the last path segment of the type's name).
const SET_TYPES: &[&str] = &["HashSet", "BTreeSet", "IndexSet", "OrdSet"];

/// Wrappers serde serializes transparently; set detection looks through them.
const TRANSPARENT_WRAPPERS: &[&str] = &["Option", "Box", "Rc", "Arc", "Cow", "PhantomData"];

/// Whether `type_name` (as printed by [`std::any::type_name`]) is a set type, possibly behind
/// references, `Option`, `Box`, `Rc`, `Arc`, `Cow` or `PhantomData`.
///
/// `type_name` is documented as best-effort, which is why this only ever upgrades a sequence to a SET
/// for the well-known set types; the [`super::as_set`] adapter and
/// [`ObjectMapper::set_field`](super::ObjectMapper::set_field) are the explicit ways.
pub(crate) fn is_set_type_name(type_name: &str) -> bool {
    let mut name = type_name;
    loop {
        name = name.trim_start_matches('&').trim_start_matches("mut ").trim();
        if name.starts_with(['(', '[']) {
            return false; // a tuple, array or slice
        }
        let (path, args) = match name.find('<') {
            Some(i) => (&name[..i], Some(&name[i + 1..])),
            None => (name, None),
        };
        let last = path.rsplit("::").next().unwrap_or(path);
        if SET_TYPES.contains(&last) {
            return true;
        }
        match args {
            Some(args) if TRANSPARENT_WRAPPERS.contains(&last) => name = first_generic_argument(args),
            _ => return false,
        }
    }
}

/// The first argument of a generic argument list (the text after `<`), respecting nesting.
/// Lifetime arguments (`Cow<'_, T>`) are skipped.
fn first_generic_argument(mut args: &str) -> &str {
    loop {
        let mut depth = 0usize;
        let mut end = args.len();
        for (i, c) in args.char_indices() {
            match c {
                '<' | '(' | '[' => depth += 1,
                '>' | ')' | ']' if depth == 0 => {
                    end = i;
                    break;
                }
                '>' | ')' | ']' => depth -= 1,
                ',' if depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let argument = args[..end].trim();
        match args[end..].strip_prefix(',') {
            Some(rest) if argument.starts_with('\'') => args = rest,
            _ => return argument,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::any::type_name;
    use std::borrow::Cow;
    use std::collections::{BTreeSet, HashMap, HashSet};
    use std::marker::PhantomData;
    use std::sync::Arc;

    #[test]
    fn set_types_are_recognized_through_wrappers() {
        assert!(is_set_type_name(type_name::<HashSet<String>>()));
        assert!(is_set_type_name(type_name::<BTreeSet<i32>>()));
        assert!(is_set_type_name(type_name::<PhantomData<Option<HashSet<Vec<i32>>>>>()));
        assert!(is_set_type_name(type_name::<Box<Arc<BTreeSet<(i32, String)>>>>()));
        assert!(is_set_type_name(type_name::<&HashSet<u8>>()));
        assert!(is_set_type_name(type_name::<Cow<'static, BTreeSet<String>>>()));
    }

    #[test]
    fn other_types_are_not_sets() {
        assert!(!is_set_type_name(type_name::<Vec<HashSet<String>>>()));
        assert!(!is_set_type_name(type_name::<HashMap<String, HashSet<i32>>>()));
        assert!(!is_set_type_name(type_name::<Option<Vec<i32>>>()));
        assert!(!is_set_type_name(type_name::<String>()));
        assert!(!is_set_type_name(type_name::<PhantomData<(HashSet<i32>, i32)>>()));
    }

    #[test]
    fn scalar_kinds_follow_java() {
        assert_eq!(Scalar::I16.field_type(), FieldType::Int);
        assert_eq!(Scalar::U32.field_type(), FieldType::Long);
        assert_eq!(Scalar::I32.wrapper_type_name(), "Integer");
        assert_eq!(Scalar::Str.wrapper_type_name(), "String");
        assert_eq!(Scalar::Char.field_type(), FieldType::Int);
    }
}

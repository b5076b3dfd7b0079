//! A record as JSON-like text, exactly as Java's `HollowRecordJsonStringifier` writes it.
//!
//! The output is Hollow's own, not strict JSON: references are expanded in place, floating-point
//! values print as Java does (`3.4028235E38`, bare `NaN`, `Infinity`), and object fields that are
//! null are left out. The shapes:
//!
//! * OBJECT: `{"field": value,"field": value}` (a space after each colon, none after commas). With
//!   `collapse_all_single_field_objects`, an object of one field prints as just that field's value.
//! * LIST and SET: `[element,element]` (`[]` when empty), set elements in Hollow's bucket order.
//! * MAP: when the key type is a "primitive wrapper" (an OBJECT of one non-reference field), an
//!   object keyed by that field's value, quoted unless it is already a string: `{"S1": [...]}`;
//!   otherwise a list of entries `[{"key":…,"value":…}]`. An empty map is `{ }`.
//! * A referenced type the state does not have prints as `{ }`.
//! * BYTES print as Java's `Arrays.toString(byte[])`: `[0, -1, 127]`.
//! * Strings escape `"`, `\`, `\n`, `\r`, `\t`, `\b`, `\f` and other code units below 0x20
//!   (`\u0001`); everything else, lone surrogates included, is copied as is.
//!
//! A record that (in corrupt data) contains itself prints as `null` where it recurs.
//!
//! With `pretty_print`, entries go on their own lines, indented by two spaces per level, in Java's
//! (slightly irregular) layout.
//!
//! Text is written to a [`TextSink`], because a Hollow string is UTF-16 and may hold a lone
//! surrogate, which a Rust `String` cannot; [`stringify`](fn@stringify) replaces those with U+FFFD, while a sink
//! such as the dump's JSON writer can keep them exactly.

use std::cell::RefCell;

use crate::encoding::hollow_string;
use crate::read::{
    ListTypeReadState, MapTypeReadState, ObjectTypeReadState, ReadStateEngine, SetTypeReadState, TypeReadState,
};
use crate::schema::{FieldType, ObjectSchema};

use super::java_float::{double_to_string, float_to_string};

/// Receives stringified text.
pub trait TextSink {
    /// Append text.
    fn push_str(&mut self, text: &str);
    /// Append UTF-16 code units, which may include lone surrogates.
    fn push_utf16(&mut self, units: &[u16]);
}

/// Lone surrogates become U+FFFD.
impl TextSink for String {
    fn push_str(&mut self, text: &str) {
        String::push_str(self, text);
    }

    fn push_utf16(&mut self, units: &[u16]) {
        self.extend(char::decode_utf16(units.iter().copied()).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
    }
}

/// Options of `HollowRecordJsonStringifier`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StringifyOptions {
    /// Newlines and two-space indentation.
    pub pretty_print: bool,
    /// Print an OBJECT of exactly one field as that field's value alone.
    pub collapse_all_single_field_objects: bool,
}

/// `new HollowRecordJsonStringifier(false, false).stringify(engine, type, ordinal)`: compact, no
/// collapsing. Lone surrogates in strings become U+FFFD.
pub fn stringify(engine: &ReadStateEngine, type_name: &str, ordinal: u32) -> String {
    let mut out = String::new();
    Stringifier::new(engine, StringifyOptions::default()).write_record(&mut out, type_name, ordinal);
    out
}

/// Writes records of one state as text.
#[derive(Debug, Clone)]
pub struct Stringifier<'a> {
    engine: &'a ReadStateEngine,
    options: StringifyOptions,
    /// Records being expanded (type state address, ordinal), outermost first. Valid data never
    /// references a record from inside itself, but a corrupt blob can; the repeat then prints as
    /// `null` instead of recursing without end (Java would overflow its stack).
    expanding: RefCell<Vec<(usize, u32)>>,
}

const NEWLINE: &str = "\n";
const INDENT: &str = "  ";

impl<'a> Stringifier<'a> {
    /// A stringifier over `engine`.
    pub fn new(engine: &'a ReadStateEngine, options: StringifyOptions) -> Self {
        Stringifier { engine, options, expanding: RefCell::new(Vec::new()) }
    }

    /// The record `ordinal` of type `type_name` as a `String` (lone surrogates become U+FFFD).
    pub fn stringify(&self, type_name: &str, ordinal: u32) -> String {
        let mut out = String::new();
        self.write_record(&mut out, type_name, ordinal);
        out
    }

    /// Write the record `ordinal` of type `type_name`.
    pub fn write_record(&self, out: &mut dyn TextSink, type_name: &str, ordinal: u32) {
        self.write_reference(out, type_name, Some(ordinal), 0);
    }

    fn write_reference(&self, out: &mut dyn TextSink, type_name: &str, ordinal: Option<u32>, indentation: usize) {
        let Some(state) = self.engine.type_state(type_name) else {
            out.push_str("{ }");
            return;
        };
        let Some(ordinal) = ordinal else {
            out.push_str("null");
            return;
        };
        let record = (state as *const TypeReadState as usize, ordinal);
        if self.expanding.borrow().contains(&record) {
            out.push_str("null");
            return;
        }
        self.expanding.borrow_mut().push(record);
        match state {
            TypeReadState::Object(object) => self.write_object(out, object, ordinal, indentation),
            TypeReadState::List(list) => self.write_list(out, list, ordinal, indentation),
            TypeReadState::Set(set) => self.write_set(out, set, ordinal, indentation),
            TypeReadState::Map(map) => self.write_map(out, map, ordinal, indentation),
        }
        self.expanding.borrow_mut().pop();
    }

    fn newline_and_indent(&self, out: &mut dyn TextSink, indentation: usize) {
        if self.options.pretty_print {
            out.push_str(NEWLINE);
            indent(out, indentation);
        }
    }

    fn indent_if_pretty(&self, out: &mut dyn TextSink, indentation: usize) {
        if self.options.pretty_print {
            indent(out, indentation);
        }
    }

    fn write_object(&self, out: &mut dyn TextSink, object: &ObjectTypeReadState, ordinal: u32, indentation: usize) {
        let schema = object.schema();
        if schema.fields.len() == 1 && self.options.collapse_all_single_field_objects {
            self.write_field(out, object, schema, ordinal, 0, indentation);
            return;
        }
        out.push_str("{");
        let indentation = indentation + 1;
        let mut first = true;
        for (field, definition) in schema.fields.iter().enumerate() {
            if object.is_null(ordinal, field) {
                continue;
            }
            if !first {
                out.push_str(",");
            }
            first = false;
            self.newline_and_indent(out, indentation);
            out.push_str("\"");
            out.push_str(&definition.name);
            out.push_str("\": ");
            self.write_field(out, object, schema, ordinal, field, indentation);
        }
        if !first {
            self.newline_and_indent(out, indentation - 1);
        }
        out.push_str("}");
    }

    /// One field's value. Nulls print as Java's typed getters return them (`Integer.MIN_VALUE`,
    /// `NaN`, `null`); they only get here for a collapsed object or a map key.
    fn write_field(
        &self,
        out: &mut dyn TextSink,
        object: &ObjectTypeReadState,
        schema: &ObjectSchema,
        ordinal: u32,
        field: usize,
        indentation: usize,
    ) {
        match schema.fields[field].field_type {
            FieldType::Boolean => out.push_str(match object.read_boolean(ordinal, field) {
                Some(true) => "true",
                Some(false) => "false",
                None => "null",
            }),
            FieldType::Bytes => match object.read_bytes(ordinal, field) {
                Some(bytes) => write_java_byte_array(out, bytes),
                None => out.push_str("null"),
            },
            FieldType::Double => {
                out.push_str(&double_to_string(object.read_double(ordinal, field).unwrap_or(f64::NAN)))
            }
            FieldType::Float => out.push_str(&float_to_string(object.read_float(ordinal, field).unwrap_or(f32::NAN))),
            FieldType::Int => out.push_str(&object.read_int(ordinal, field).unwrap_or(i32::MIN).to_string()),
            FieldType::Long => out.push_str(&object.read_long(ordinal, field).unwrap_or(i64::MIN).to_string()),
            FieldType::String => match object.read_bytes(ordinal, field) {
                Some(encoded) => {
                    out.push_str("\"");
                    write_escaped_string(out, encoded);
                    out.push_str("\"");
                }
                None => out.push_str("null"),
            },
            FieldType::Reference => {
                let referenced = schema.fields[field].referenced_type.as_deref().unwrap_or_default();
                self.write_reference(out, referenced, object.read_ordinal(ordinal, field), indentation);
            }
        }
    }

    fn write_list(&self, out: &mut dyn TextSink, list: &ListTypeReadState, ordinal: u32, indentation: usize) {
        let indentation = indentation + 1;
        let size = list.size(ordinal);
        if size == 0 {
            out.push_str("[]");
            return;
        }
        out.push_str("[");
        if self.options.pretty_print {
            out.push_str(NEWLINE);
        }
        let element_type = &list.schema().element_type;
        for (i, element) in list.elements(ordinal).enumerate() {
            self.indent_if_pretty(out, indentation);
            self.write_reference(out, element_type, Some(element), indentation);
            if i + 1 < size {
                out.push_str(",");
                if self.options.pretty_print {
                    out.push_str(NEWLINE);
                }
            }
        }
        self.newline_and_indent(out, indentation - 1);
        out.push_str("]");
    }

    fn write_set(&self, out: &mut dyn TextSink, set: &SetTypeReadState, ordinal: u32, indentation: usize) {
        let indentation = indentation + 1;
        let element_type = &set.schema().element_type;
        let mut elements = set.elements(ordinal).peekable();
        if elements.peek().is_none() {
            out.push_str("[]");
            return;
        }
        out.push_str("[");
        if self.options.pretty_print {
            out.push_str(NEWLINE);
        }
        let mut first = true;
        for element in elements {
            if !first {
                // Java's set layout puts no newline between elements.
                out.push_str(",");
            }
            first = false;
            self.indent_if_pretty(out, indentation);
            self.write_reference(out, element_type, Some(element), indentation);
        }
        self.newline_and_indent(out, indentation - 1);
        out.push_str("]");
    }

    fn write_map(&self, out: &mut dyn TextSink, map: &MapTypeReadState, ordinal: u32, indentation: usize) {
        let indentation = indentation + 1;
        if map.size(ordinal) == 0 {
            out.push_str("{ }");
            return;
        }
        let schema = map.schema();
        match self.engine.type_state(&schema.key_type) {
            Some(TypeReadState::Object(key_type)) if is_primitive_wrapper(key_type.schema()) => {
                self.write_map_as_object(out, map, ordinal, key_type, &schema.value_type, indentation)
            }
            _ => self.write_map_as_entries(out, map, ordinal, &schema.key_type, &schema.value_type, indentation),
        }
    }

    fn write_map_as_object(
        &self,
        out: &mut dyn TextSink,
        map: &MapTypeReadState,
        ordinal: u32,
        key_type: &ObjectTypeReadState,
        value_type: &str,
        indentation: usize,
    ) {
        let key_schema = key_type.schema();
        let quote_key = key_schema.fields[0].field_type != FieldType::String;
        out.push_str("{");
        if self.options.pretty_print {
            out.push_str(NEWLINE);
        }
        let mut first = true;
        for (key, value) in map.entries(ordinal) {
            if !first {
                out.push_str(",");
                if self.options.pretty_print {
                    out.push_str(NEWLINE);
                }
            }
            first = false;
            self.indent_if_pretty(out, indentation);
            if quote_key {
                out.push_str("\"");
            }
            self.write_field(out, key_type, key_schema, key, 0, indentation);
            if quote_key {
                out.push_str("\"");
            }
            out.push_str(": ");
            self.write_reference(out, value_type, Some(value), indentation);
        }
        if !first {
            self.newline_and_indent(out, indentation - 1);
        }
        out.push_str("}");
    }

    fn write_map_as_entries(
        &self,
        out: &mut dyn TextSink,
        map: &MapTypeReadState,
        ordinal: u32,
        key_type: &str,
        value_type: &str,
        indentation: usize,
    ) {
        out.push_str("[");
        if self.options.pretty_print {
            out.push_str(NEWLINE);
        }
        let mut first = true;
        for (key, value) in map.entries(ordinal) {
            if !first {
                out.push_str(",");
                if self.options.pretty_print {
                    out.push_str(NEWLINE);
                }
            }
            first = false;
            self.indent_if_pretty(out, indentation - 1);
            out.push_str("{");
            self.newline_and_indent(out, indentation);
            out.push_str("\"key\":");
            self.write_reference(out, key_type, Some(key), indentation + 1);
            out.push_str(",");
            self.newline_and_indent(out, indentation);
            out.push_str("\"value\":");
            self.write_reference(out, value_type, Some(value), indentation + 1);
            self.newline_and_indent(out, indentation - 1);
            out.push_str("}");
        }
        out.push_str("]");
    }
}

fn indent(out: &mut dyn TextSink, indentation: usize) {
    for _ in 0..indentation {
        out.push_str(INDENT);
    }
}

/// An OBJECT of exactly one field that is not a reference: its value can serve as a JSON key.
fn is_primitive_wrapper(schema: &ObjectSchema) -> bool {
    schema.fields.len() == 1 && schema.fields[0].field_type != FieldType::Reference
}

/// `Arrays.toString(byte[])`: signed values, comma and space separated.
fn write_java_byte_array(out: &mut dyn TextSink, bytes: &[u8]) {
    let mut text = String::with_capacity(2 + bytes.len() * 5);
    text.push('[');
    for (i, &b) in bytes.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&(b as i8).to_string());
    }
    text.push(']');
    out.push_str(&text);
}

/// A stored string (VarInt UTF-16 units) with the stringifier's escapes applied.
fn write_escaped_string(out: &mut dyn TextSink, encoded: &[u8]) {
    if encoded.is_ascii() {
        // ASCII bytes are exactly the code units.
        let mut escaped = String::with_capacity(encoded.len());
        for &b in encoded {
            push_escaped_unit(&mut escaped, b as u16);
        }
        out.push_str(&escaped);
        return;
    }
    // Bytes that are not VarInt code units can only come from a corrupt blob; they print as "".
    let units = hollow_string::decode_utf16(encoded).unwrap_or_default();
    let mut escaped: Vec<u16> = Vec::with_capacity(units.len());
    let mut ascii_escape = String::new();
    for &unit in &units {
        if unit < 0x80 {
            ascii_escape.clear();
            push_escaped_unit(&mut ascii_escape, unit);
            escaped.extend(ascii_escape.bytes().map(u16::from));
        } else {
            escaped.push(unit);
        }
    }
    out.push_utf16(&escaped);
}

/// Escape one code unit below 0x80 (others never need escaping) into `out`.
fn push_escaped_unit(out: &mut String, unit: u16) {
    match unit {
        0x22 => out.push_str("\\\""),
        0x5c => out.push_str("\\\\"),
        0x0a => out.push_str("\\n"),
        0x0d => out.push_str("\\r"),
        0x09 => out.push_str("\\t"),
        0x08 => out.push_str("\\b"),
        0x0c => out.push_str("\\f"),
        u if u < 0x20 => out.push_str(&format!("\\u{u:04x}")),
        u => out.push(char::from(u as u8)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(units: &[u16]) -> Vec<u16> {
        let mut encoded = Vec::new();
        hollow_string::encode_utf16_into(&mut encoded, units);
        struct Units(Vec<u16>);
        impl TextSink for Units {
            fn push_str(&mut self, text: &str) {
                self.0.extend(text.encode_utf16());
            }
            fn push_utf16(&mut self, units: &[u16]) {
                self.0.extend_from_slice(units);
            }
        }
        let mut sink = Units(Vec::new());
        write_escaped_string(&mut sink, &encoded);
        sink.0
    }

    #[test]
    fn escapes_like_java() {
        let input = "quote\" backslash\\ newline\n tab\t cr\r ctrl\u{1} del\u{7f} bs\u{8} ff\u{c}";
        let expected = "quote\\\" backslash\\\\ newline\\n tab\\t cr\\r ctrl\\u0001 del\u{7f} bs\\b ff\\f";
        let units: Vec<u16> = input.encode_utf16().collect();
        assert_eq!(String::from_utf16(&escaped(&units)).unwrap(), expected);
    }

    #[test]
    fn keeps_non_ascii_and_lone_surrogates() {
        let units = [0x61, 0xd83d, 0x22, 0xe9, 0x1f];
        assert_eq!(escaped(&units), [0x61, 0xd83d, 0x5c, 0x22, 0xe9, 0x5c, 0x75, 0x30, 0x30, 0x31, 0x66]);
    }

    #[test]
    fn string_sink_replaces_lone_surrogates() {
        let mut s = String::new();
        TextSink::push_utf16(&mut s, &[0x61, 0xd800, 0xd83d, 0xde00]);
        assert_eq!(s, "a\u{fffd}\u{1f600}");
    }

    #[test]
    fn bytes_like_arrays_to_string() {
        let mut s = String::new();
        write_java_byte_array(&mut s, &[0, 0xff, 0x7f, 0x80]);
        assert_eq!(s, "[0, -1, 127, -128]");
        s.clear();
        write_java_byte_array(&mut s, &[]);
        assert_eq!(s, "[]");
    }
}

//! A whole state as JSON, in the layout of the reference vectors' `expected/state-<v>.json`.
//!
//! The reference dumps were written by Java Hollow reading each version; producing the same text
//! from a Rust [`ReadStateEngine`] shows that both read the same data. The output is byte-for-byte
//! the reference layout:
//!
//! ```text
//! {
//! "version":20250101000000001,
//! "randomizedTag":4552538127765319263,
//! "randomizedTagHex":"3f2ddd4e8bdfae5f",
//! "headerTags":{"hollow.blob.to.version":"20250101000000001",…},
//! "hollowChecksum":"6fc54b36",
//! "types":[
//! {"schema":{"name":"String","kind":"OBJECT","primaryKey":null,"fields":[…],"hollowSchemaText":"…"},
//!  "numShards":1,"maxOrdinal":2,"populatedCount":3,
//!  "populatedOrdinals":[0,1,2],
//!  "records":[
//!   {"ordinal":0,"value":{"value":"user1"},"stringifier":"{\"value\": \"user1\"}"},
//!   …
//!  ]}
//! ]}
//! ```
//!
//! Types are sorted by name and records by ordinal (populated ones only). A record's `value` gives
//! each field by type: INT, LONG, BOOLEAN and STRING as JSON values or `null`; FLOAT and DOUBLE as
//! `{"v":…,"bits":"<raw IEEE hex>"}` where `v` is Java's `toString` as a bare number, or a string
//! for `"NaN"`, `"Infinity"`, `"-Infinity"` and `"-0.0"`; BYTES as `{"hex":…,"len":…}`; REFERENCE
//! as `{"ref":ordinal}`. A LIST is `{"size","elements"}`, a SET adds `"buckets"` (element or -1 per
//! bucket), a MAP is `{"size","entries":[[k,v]…],"buckets":[[k,v]|null…]}`. `stringifier` is the
//! record through [`Stringifier`] (compact, no collapsing). The checksum is zero-padded hex.
//!
//! Strings are escaped as the reference dumps are: `"`, `\`, `\n`, `\r`, `\t`, `\b`, `\f` with a
//! backslash, other control characters (C0, DEL and C1) and lone surrogates as `\uXXXX`; all other
//! text, non-ASCII included, is written as is.

use crate::encoding::hollow_string;
use crate::read::{
    ListTypeReadState, MapTypeReadState, ObjectTypeReadState, ReadStateEngine, SetTypeReadState, TypeReadState,
};
use crate::schema::{dsl, FieldType, Schema};

use super::checksum::HollowChecksum;
use super::java_float::{double_to_string, float_to_string};
use super::stringify::{Stringifier, StringifyOptions, TextSink};

/// The dump of `engine`, which holds data version `version`.
pub fn dump_state(engine: &ReadStateEngine, version: i64) -> String {
    let mut out = String::new();
    write_state(&mut out, engine, version);
    out
}

/// The dump of `engine` at `version`, with only the types whose names `include` accepts.
pub fn dump_state_filtered(engine: &ReadStateEngine, version: i64, include: impl Fn(&str) -> bool) -> String {
    let mut out = String::new();
    write_state_filtered(&mut out, engine, version, include);
    out
}

/// Append the dump of `engine` at `version` to `out`.
pub fn write_state(out: &mut String, engine: &ReadStateEngine, version: i64) {
    write_state_filtered(out, engine, version, |_| true)
}

/// Append the dump of `engine` at `version` to `out`, with only the types `include` accepts.
pub fn write_state_filtered(out: &mut String, engine: &ReadStateEngine, version: i64, include: impl Fn(&str) -> bool) {
    let tag = engine.randomized_tag();
    out.push_str("{\n");
    out.push_str(&format!("\"version\":{version},\n"));
    out.push_str(&format!("\"randomizedTag\":{tag},\n"));
    out.push_str(&format!("\"randomizedTagHex\":\"{:016x}\",\n", tag as u64));
    out.push_str("\"headerTags\":{");
    for (i, (key, value)) in engine.header_tags().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_str(out, key);
        out.push(':');
        write_json_str(out, value);
    }
    out.push_str("},\n");
    let checksum = HollowChecksum::for_state_engine(engine);
    out.push_str(&format!("\"hollowChecksum\":\"{:08x}\",\n", checksum.value() as u32));
    out.push_str("\"types\":[\n");
    let stringifier = Stringifier::new(engine, StringifyOptions::default());
    for (i, state) in engine.types().filter(|t| include(t.name())).enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        write_type(out, state, &stringifier);
    }
    out.push_str("\n]}\n");
}

fn write_type(out: &mut String, state: &TypeReadState, stringifier: &Stringifier<'_>) {
    out.push_str("{\"schema\":");
    write_schema(out, state.schema());
    let populated = state.populated();
    out.push_str(&format!(
        ",\n \"numShards\":{},\"maxOrdinal\":{},\"populatedCount\":{},\n \"populatedOrdinals\":[",
        state.num_shards(),
        state.max_ordinal(),
        populated.count()
    ));
    for (i, ordinal) in populated.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&ordinal.to_string());
    }
    out.push_str("],\n \"records\":[\n");
    let mut any = false;
    for ordinal in populated.iter() {
        if any {
            out.push_str(",\n");
        }
        any = true;
        out.push_str("  ");
        write_record(out, state, stringifier, ordinal);
    }
    if any {
        out.push('\n');
    }
    out.push_str(" ]}");
}

/// One record as the dump writes it in its type's `records`:
/// `{"ordinal":…,"value":…,"stringifier":"…"}`; `None` when `ordinal` is not populated in `type_name`.
/// For tools that show one record in the dump's layout (`hollow serve`).
pub fn record_json(engine: &ReadStateEngine, type_name: &str, ordinal: u32) -> Option<String> {
    let state = engine.type_state(type_name).filter(|t| t.populated().contains(ordinal))?;
    let mut out = String::new();
    write_record(&mut out, state, &Stringifier::new(engine, StringifyOptions::default()), ordinal);
    Some(out)
}

fn write_record(out: &mut String, state: &TypeReadState, stringifier: &Stringifier<'_>, ordinal: u32) {
    out.push_str(&format!("{{\"ordinal\":{ordinal},\"value\":"));
    match state {
        TypeReadState::Object(object) => write_object_value(out, object, ordinal),
        TypeReadState::List(list) => write_list_value(out, list, ordinal),
        TypeReadState::Set(set) => write_set_value(out, set, ordinal),
        TypeReadState::Map(map) => write_map_value(out, map, ordinal),
    }
    out.push_str(",\"stringifier\":\"");
    stringifier.write_record(&mut JsonStringSink(out), state.name(), ordinal);
    out.push_str("\"}");
}

fn write_schema(out: &mut String, schema: &Schema) {
    out.push_str("{\"name\":");
    write_json_str(out, schema.name());
    out.push_str(",\"kind\":");
    write_json_str(out, schema.kind().name());
    match schema {
        Schema::Object(object) => {
            out.push_str(",\"primaryKey\":");
            write_optional_str_list(out, object.primary_key.as_deref());
            out.push_str(",\"fields\":[");
            for (i, field) in object.fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"name\":");
                write_json_str(out, &field.name);
                out.push_str(",\"type\":");
                write_json_str(out, field.field_type.java_name());
                if let Some(referenced) = &field.referenced_type {
                    out.push_str(",\"referencedType\":");
                    write_json_str(out, referenced);
                }
                out.push('}');
            }
            out.push(']');
        }
        Schema::List(list) => {
            out.push_str(",\"elementType\":");
            write_json_str(out, &list.element_type);
        }
        Schema::Set(set) => {
            out.push_str(",\"elementType\":");
            write_json_str(out, &set.element_type);
            out.push_str(",\"hashKey\":");
            write_optional_str_list(out, set.hash_key.as_deref());
        }
        Schema::Map(map) => {
            out.push_str(",\"keyType\":");
            write_json_str(out, &map.key_type);
            out.push_str(",\"valueType\":");
            write_json_str(out, &map.value_type);
            out.push_str(",\"hashKey\":");
            write_optional_str_list(out, map.hash_key.as_deref());
        }
    }
    out.push_str(",\"hollowSchemaText\":");
    write_json_str(out, &dsl::to_java_string(schema));
    out.push('}');
}

fn write_optional_str_list(out: &mut String, items: Option<&[String]>) {
    let Some(items) = items else {
        out.push_str("null");
        return;
    };
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_str(out, item);
    }
    out.push(']');
}

fn write_object_value(out: &mut String, object: &ObjectTypeReadState, ordinal: u32) {
    out.push('{');
    for (field, definition) in object.schema().fields.iter().enumerate() {
        if field > 0 {
            out.push(',');
        }
        write_json_str(out, &definition.name);
        out.push(':');
        match definition.field_type {
            FieldType::Int => write_or_null(out, object.read_int(ordinal, field)),
            FieldType::Long => write_or_null(out, object.read_long(ordinal, field)),
            FieldType::Boolean => write_or_null(out, object.read_boolean(ordinal, field)),
            FieldType::Float => match object.read_float_bits(ordinal, field) {
                Some(bits) => write_floating(out, &float_to_string(f32::from_bits(bits)), &format!("{bits:08x}")),
                None => out.push_str("null"),
            },
            FieldType::Double => match object.read_double_bits(ordinal, field) {
                Some(bits) => write_floating(out, &double_to_string(f64::from_bits(bits)), &format!("{bits:016x}")),
                None => out.push_str("null"),
            },
            FieldType::String => match object.read_bytes(ordinal, field) {
                Some(encoded) => write_hollow_string(out, encoded),
                None => out.push_str("null"),
            },
            FieldType::Bytes => match object.read_bytes(ordinal, field) {
                Some(bytes) => {
                    out.push_str("{\"hex\":\"");
                    for b in bytes {
                        out.push_str(&format!("{b:02x}"));
                    }
                    out.push_str(&format!("\",\"len\":{}}}", bytes.len()));
                }
                None => out.push_str("null"),
            },
            FieldType::Reference => match object.read_ordinal(ordinal, field) {
                Some(referenced) => out.push_str(&format!("{{\"ref\":{referenced}}}")),
                None => out.push_str("null"),
            },
        }
    }
    out.push('}');
}

fn write_or_null(out: &mut String, value: Option<impl ToString>) {
    match value {
        Some(v) => out.push_str(&v.to_string()),
        None => out.push_str("null"),
    }
}

/// `{"v":…,"bits":"…"}`; `v` is a bare number unless JSON has no number for it.
fn write_floating(out: &mut String, java_text: &str, hex_bits: &str) {
    out.push_str("{\"v\":");
    match java_text {
        "NaN" | "Infinity" | "-Infinity" | "-0.0" => write_json_str(out, java_text),
        number => out.push_str(number),
    }
    out.push_str(",\"bits\":\"");
    out.push_str(hex_bits);
    out.push_str("\"}");
}

fn write_list_value(out: &mut String, list: &ListTypeReadState, ordinal: u32) {
    out.push_str(&format!("{{\"size\":{},\"elements\":[", list.size(ordinal)));
    write_joined(out, list.elements(ordinal));
    out.push_str("]}");
}

fn write_set_value(out: &mut String, set: &SetTypeReadState, ordinal: u32) {
    out.push_str(&format!("{{\"size\":{},\"elements\":[", set.size(ordinal)));
    write_joined(out, set.elements(ordinal));
    out.push_str("],\"buckets\":[");
    let buckets = (0..set.num_buckets(ordinal)).map(|b| set.bucket(ordinal, b).map_or(-1, i64::from));
    write_joined(out, buckets);
    out.push_str("]}");
}

fn write_map_value(out: &mut String, map: &MapTypeReadState, ordinal: u32) {
    out.push_str(&format!("{{\"size\":{},\"entries\":[", map.size(ordinal)));
    write_joined(out, map.entries(ordinal).map(|(k, v)| format!("[{k},{v}]")));
    out.push_str("],\"buckets\":[");
    let buckets = (0..map.num_buckets(ordinal))
        .map(|b| map.bucket(ordinal, b).map_or_else(|| "null".to_owned(), |(k, v)| format!("[{k},{v}]")));
    write_joined(out, buckets);
    out.push_str("]}");
}

fn write_joined(out: &mut String, items: impl Iterator<Item = impl ToString>) {
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item.to_string());
    }
}

/// A stored string value (VarInt UTF-16 units) as a JSON string, lone surrogates kept as escapes.
fn write_hollow_string(out: &mut String, encoded: &[u8]) {
    out.push('"');
    if encoded.is_ascii() {
        escape_str_into(out, std::str::from_utf8(encoded).expect("ASCII is UTF-8"));
    } else {
        // Bytes that are not VarInt code units can only come from a corrupt blob; they print as "".
        escape_utf16_into(out, &hollow_string::decode_utf16(encoded).unwrap_or_default());
    }
    out.push('"');
}

/// `text` as a JSON string literal.
fn write_json_str(out: &mut String, text: &str) {
    out.push('"');
    escape_str_into(out, text);
    out.push('"');
}

/// Escapes text into the inside of a JSON string literal, as it arrives: the dump writes the
/// stringifier's output straight into its `"stringifier"` value this way.
struct JsonStringSink<'a>(&'a mut String);

impl TextSink for JsonStringSink<'_> {
    fn push_str(&mut self, text: &str) {
        escape_str_into(self.0, text);
    }

    fn push_utf16(&mut self, units: &[u16]) {
        escape_utf16_into(self.0, units);
    }
}

fn escape_str_into(out: &mut String, text: &str) {
    for c in text.chars() {
        escape_char_into(out, c);
    }
}

fn escape_utf16_into(out: &mut String, units: &[u16]) {
    for decoded in char::decode_utf16(units.iter().copied()) {
        match decoded {
            Ok(c) => escape_char_into(out, c),
            Err(lone) => out.push_str(&format!("\\u{:04x}", lone.unpaired_surrogate())),
        }
    }
}

fn escape_char_into(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_reference_dumps() {
        let mut out = String::new();
        write_json_str(&mut out, "quote\" backslash\\ newline\n tab\t cr\r ctrl\u{1} del\u{7f} c1\u{85} é😀");
        assert_eq!(out, r#""quote\" backslash\\ newline\n tab\t cr\r ctrl\u0001 del\u007f c1\u0085 é😀""#);
    }

    #[test]
    fn lone_surrogates_become_escapes() {
        let mut out = String::new();
        escape_utf16_into(&mut out, &[0x61, 0xd800, 0xd83d, 0xde00, 0xdc00]);
        assert_eq!(out, "a\\ud800😀\\udc00");

        let mut encoded = Vec::new();
        hollow_string::encode_utf16_into(&mut encoded, &[0xd83d, 0x22]);
        out.clear();
        write_hollow_string(&mut out, &encoded);
        assert_eq!(out, "\"\\ud83d\\\"\"");
    }

    #[test]
    fn floating_values() {
        let mut out = String::new();
        write_floating(&mut out, &float_to_string(f32::from_bits(0x7f7f_ffff)), "7f7fffff");
        assert_eq!(out, r#"{"v":3.4028235E38,"bits":"7f7fffff"}"#);
        out.clear();
        write_floating(&mut out, &double_to_string(-0.0), "8000000000000000");
        assert_eq!(out, r#"{"v":"-0.0","bits":"8000000000000000"}"#);
        out.clear();
        write_floating(&mut out, &double_to_string(f64::NEG_INFINITY), "fff0000000000000");
        assert_eq!(out, r#"{"v":"-Infinity","bits":"fff0000000000000"}"#);
    }
}

//! Records as the explorer shows them: a one-line preview, the primary key's values, and a tree of
//! fields whose references are links (collections expanded one level, the rest on request).
//!
//! Everything here is bounded whatever the data: a preview stops at [`PREVIEW_CHARS`] characters and
//! [`PREVIEW_DEPTH`] references deep, an expanded collection shows at most [`EXPANDED_ENTRIES`] entries
//! (the collection's own page pages through the rest). Values are plain data; escaping is the
//! templates' job.

use hollow::read::{ObjectTypeReadState, ReadStateEngine, TypeReadState};
use hollow::schema::paths::KeyPath;
use hollow::schema::{FieldType, Schema};
use hollow::tools::java_float::{double_to_string, float_to_string};
use serde::Serialize;
use serde_json::{json, Value as Json};

/// Characters of a preview, at most (then `…`).
pub const PREVIEW_CHARS: usize = 160;
/// References a preview follows, at most.
pub const PREVIEW_DEPTH: usize = 6;
/// Entries of a referenced collection shown in a record's tree.
pub const EXPANDED_ENTRIES: usize = 50;

/// A value in a record's tree.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Node {
    /// A null field.
    Null,
    /// An inline value (INT, LONG, BOOLEAN, FLOAT, DOUBLE, STRING; BYTES as hex).
    Value { value: Json },
    /// A reference to another record.
    #[serde(rename_all = "camelCase")]
    Ref {
        #[serde(rename = "type")]
        type_name: String,
        ordinal: u32,
        /// OBJECT, LIST, SET or MAP.
        type_kind: &'static str,
        preview: String,
        /// Elements or entries, for a collection.
        #[serde(skip_serializing_if = "Option::is_none")]
        size: Option<usize>,
        /// The first entries of a collection, when expanded.
        #[serde(skip_serializing_if = "Option::is_none")]
        entries: Option<Vec<Entry>>,
    },
}

/// An element of a LIST or SET (`key` absent) or an entry of a MAP.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<Node>,
    pub value: Node,
}

/// A field of an OBJECT record.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    pub name: String,
    pub field_type: &'static str,
    pub node: Node,
}

/// An inline field as JSON: numbers, booleans and strings as themselves, floats as numbers (or the
/// strings `"NaN"`, `"Infinity"`, `"-Infinity"`), BYTES as hex, a reference as its ordinal.
pub fn field_json(object: &ObjectTypeReadState, ordinal: u32, field: usize, field_type: FieldType) -> Json {
    let value = match field_type {
        FieldType::Int => object.read_int(ordinal, field).map(Json::from),
        FieldType::Long => object.read_long(ordinal, field).map(Json::from),
        FieldType::Boolean => object.read_boolean(ordinal, field).map(Json::from),
        FieldType::Float => object.read_float(ordinal, field).map(|v| float_json(f64::from(v), || float_to_string(v))),
        FieldType::Double => object.read_double(ordinal, field).map(|v| float_json(v, || double_to_string(v))),
        FieldType::String => object.read_string(ordinal, field).map(|s| Json::from(s.into_owned())),
        FieldType::Bytes => object.read_bytes(ordinal, field).map(|b| Json::from(hex(b))),
        FieldType::Reference => object.read_ordinal(ordinal, field).map(Json::from),
    };
    value.unwrap_or(Json::Null)
}

fn float_json(v: f64, java_text: impl FnOnce() -> String) -> Json {
    serde_json::Number::from_f64(v).map_or_else(|| Json::from(java_text()), Json::Number)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The values of a record's key, one per resolved path (a `!` path gives the referenced ordinal).
pub fn key_values(engine: &ReadStateEngine, paths: &[KeyPath], ordinal: u32) -> Vec<Json> {
    paths.iter().map(|path| key_value(engine, path, ordinal).unwrap_or(Json::Null)).collect()
}

fn key_value(engine: &ReadStateEngine, path: &KeyPath, ordinal: u32) -> Option<Json> {
    let (leaf, walk) = path.steps.split_last()?;
    let mut object = engine.object(&path.root_type)?;
    let mut ordinal = ordinal;
    for step in walk {
        ordinal = object.read_ordinal(ordinal, step.field_index)?;
        object = engine.object(step.referenced_type.as_deref()?)?;
    }
    Some(field_json(object, ordinal, leaf.field_index, leaf.field_type))
}

/// The kind name of a type (`OBJECT`, ...).
pub fn kind_name(state: &TypeReadState) -> &'static str {
    state.schema().kind().name()
}

/// Elements or entries of a collection record; `None` for an OBJECT.
pub fn collection_size(state: &TypeReadState, ordinal: u32) -> Option<usize> {
    match state {
        TypeReadState::Object(_) => None,
        TypeReadState::List(l) => Some(l.size(ordinal)),
        TypeReadState::Set(s) => Some(s.size(ordinal)),
        TypeReadState::Map(m) => Some(m.size(ordinal)),
    }
}

/// A reference to record `ordinal` of `type_name`, with its first entries when `expand` and it is a
/// collection. A dangling reference (a corrupt blob) is shown as a reference with an empty preview.
pub fn reference(engine: &ReadStateEngine, type_name: &str, ordinal: u32, expand: bool) -> Node {
    let state = engine.type_state(type_name);
    let entries = match (expand, state) {
        (true, Some(s)) if !matches!(s, TypeReadState::Object(_)) => {
            Some(entries(engine, s, ordinal, 0, EXPANDED_ENTRIES))
        }
        _ => None,
    };
    Node::Ref {
        type_name: type_name.to_owned(),
        ordinal,
        type_kind: state.map_or("OBJECT", kind_name),
        preview: preview(engine, type_name, ordinal),
        size: state.and_then(|s| collection_size(s, ordinal)),
        entries,
    }
}

/// The fields of OBJECT record `ordinal`, references as [`Node::Ref`] (collections expanded).
pub fn fields(engine: &ReadStateEngine, object: &ObjectTypeReadState, ordinal: u32) -> Vec<Field> {
    object
        .schema()
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let node = match (f.field_type, &f.referenced_type) {
                (FieldType::Reference, Some(t)) => match object.read_ordinal(ordinal, i) {
                    Some(o) => reference(engine, t, o, true),
                    None => Node::Null,
                },
                (kind, _) => match field_json(object, ordinal, i, kind) {
                    Json::Null => Node::Null,
                    value => Node::Value { value },
                },
            };
            Field { name: f.name.clone(), field_type: f.field_type.java_name(), node }
        })
        .collect()
}

/// Entries `skip..skip + take` of collection record `ordinal` (none for an OBJECT), in Hollow's
/// iteration order, each element, key and value a collapsed reference.
pub fn entries(engine: &ReadStateEngine, state: &TypeReadState, ordinal: u32, skip: usize, take: usize) -> Vec<Entry> {
    let r = |t: &str, o: u32| reference(engine, t, o, false);
    if let (TypeReadState::Map(m), Schema::Map(s)) = (state, state.schema()) {
        let entries = m.entries(ordinal).skip(skip).take(take);
        return entries.map(|(k, v)| Entry { key: Some(r(&s.key_type, k)), value: r(&s.value_type, v) }).collect();
    }
    match elements(state, ordinal) {
        Some((elements, element_type)) => {
            elements.skip(skip).take(take).map(|e| Entry { key: None, value: r(element_type, e) }).collect()
        }
        None => Vec::new(),
    }
}

/// The element ordinals of a LIST or SET record, in Hollow's iteration order, and their type.
fn elements(state: &TypeReadState, ordinal: u32) -> Option<(Box<dyn Iterator<Item = u32> + '_>, &str)> {
    match (state, state.schema()) {
        (TypeReadState::List(l), Schema::List(s)) => Some((Box::new(l.elements(ordinal)), &s.element_type)),
        (TypeReadState::Set(l), Schema::Set(s)) => Some((Box::new(l.elements(ordinal)), &s.element_type)),
        _ => None,
    }
}

/// One line for a record: `{id: 1, title: "Heat", tags: ["crime"]}`; a single-field record
/// (`String`) as its field. At most [`PREVIEW_CHARS`] characters.
pub fn preview(engine: &ReadStateEngine, type_name: &str, ordinal: u32) -> String {
    let mut out = Preview { engine, text: String::new(), chars: 0, full: false };
    out.record(type_name, ordinal, 0);
    if out.full {
        out.text.push('…');
    }
    out.text
}

struct Preview<'e> {
    engine: &'e ReadStateEngine,
    text: String,
    chars: usize,
    full: bool,
}

impl Preview<'_> {
    fn push(&mut self, s: &str) {
        for c in s.chars() {
            if self.chars == PREVIEW_CHARS {
                self.full = true;
                return;
            }
            self.text.push(c);
            self.chars += 1;
        }
    }

    fn record(&mut self, type_name: &str, ordinal: u32, depth: usize) {
        if self.full {
            return;
        }
        let engine = self.engine;
        let Some(state) = engine.type_state(type_name) else {
            return self.push("?");
        };
        if depth >= PREVIEW_DEPTH {
            return self.push("…");
        }
        if let Some((elements, element_type)) = elements(state, ordinal) {
            return self.sequence(elements, element_type, depth);
        }
        match (state, state.schema()) {
            (TypeReadState::Object(o), _) => self.object(o, ordinal, depth),
            (TypeReadState::Map(m), Schema::Map(s)) => {
                self.push("{");
                for (i, (k, v)) in m.entries(ordinal).enumerate() {
                    if self.full {
                        break;
                    }
                    if i > 0 {
                        self.push(", ");
                    }
                    self.record(&s.key_type, k, depth + 1);
                    self.push(": ");
                    self.record(&s.value_type, v, depth + 1);
                }
                self.push("}");
            }
            _ => self.push("?"),
        }
    }

    fn sequence(&mut self, items: impl Iterator<Item = u32>, element: &str, depth: usize) {
        self.push("[");
        for (i, e) in items.enumerate() {
            if self.full {
                break;
            }
            if i > 0 {
                self.push(", ");
            }
            self.record(element, e, depth + 1);
        }
        self.push("]");
    }

    fn object(&mut self, o: &ObjectTypeReadState, ordinal: u32, depth: usize) {
        let fields = &o.schema().fields;
        let single = fields.len() == 1;
        if !single {
            self.push("{");
        }
        for (i, f) in fields.iter().enumerate() {
            if self.full {
                break;
            }
            if i > 0 {
                self.push(", ");
            }
            if !single {
                self.push(&f.name);
                self.push(": ");
            }
            match (f.field_type, &f.referenced_type, o.read_ordinal(ordinal, i)) {
                (FieldType::Reference, Some(t), Some(r)) => self.record(t, r, depth + 1),
                (kind, _, _) => {
                    let text = match field_json(o, ordinal, i, kind) {
                        Json::String(s) if kind == FieldType::String => json!(s).to_string(),
                        Json::String(s) => s,
                        other => other.to_string(),
                    };
                    self.push(&text)
                }
            }
        }
        if !single {
            self.push("}");
        }
    }
}

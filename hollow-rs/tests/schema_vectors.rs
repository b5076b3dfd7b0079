//! Schema text, schema hash and key paths against the Java reference vectors.
//!
//! Every type of every state dump carries Java's `toString()` of its schema (`hollowSchemaText`) next to
//! the schema's structured fields, and every state carries the `hollow.schema.hash` header tag Java's
//! producer computed. Printing, parsing and hashing must reproduce all of them.

mod common;

use std::fs;
use std::sync::OnceLock;

use common::{load_json, schema_from_json, vectors};

use hollow::blob::{BlobHeader, TAG_SCHEMA_HASH};
use hollow::encoding::ByteReader;
use hollow::schema::dsl::{parse_schema, parse_schemas, to_java_string};
use hollow::schema::hash::schema_hash_tag;
use hollow::schema::order::dependency_order;
use hollow::schema::paths::{resolve_key_path, resolve_schema_key, KeyPathErrorKind, SchemaLookup};
use hollow::schema::{FieldType, Schema};
use serde_json::Value;

/// Every `expected/state-*.json[.gz]` of every scenario, parsed once for all tests.
fn states() -> &'static [(String, Value)] {
    static STATES: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    STATES.get_or_init(load_states)
}

fn load_states() -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for scenario in fs::read_dir(vectors()).unwrap() {
        let expected = scenario.unwrap().path().join("expected");
        let Ok(entries) = fs::read_dir(&expected) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            // `load_json` takes the `.json` name and falls back on the `.json.gz` file.
            let json_name = name.strip_suffix(".gz").unwrap_or(&name);
            if !json_name.ends_with(".json") {
                continue;
            }
            let state = load_json(&path.with_file_name(json_name));
            found.push((path.strip_prefix(vectors()).unwrap().display().to_string(), state));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(found.len() >= 14, "expected the state dumps of all five scenarios, found {}", found.len());
    found
}

fn state_schemas(state: &Value) -> Vec<Schema> {
    state["types"].as_array().unwrap().iter().map(|t| schema_from_json(&t["schema"])).collect()
}

#[test]
fn text_form_matches_java_for_every_type() {
    let mut checked = 0;
    for (file, state) in states() {
        for t in state["types"].as_array().unwrap() {
            let java_text = t["schema"]["hollowSchemaText"].as_str().unwrap();
            let schema = schema_from_json(&t["schema"]);
            assert_eq!(to_java_string(&schema), java_text, "{file}: {}", schema.name());
            assert_eq!(schema.to_string(), java_text, "{file}: Display");
            assert_eq!(parse_schema(java_text).unwrap(), schema, "{file}: parsing {java_text:?}");
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} types checked");
}

#[test]
fn all_of_a_states_schema_texts_parse_together() {
    for (file, state) in states() {
        let schemas = state_schemas(state);
        let joined: Vec<String> = schemas.iter().map(to_java_string).collect();
        // Java's toString forms run together as the schema hash sees them, and one per line.
        for separator in ["", "\n"] {
            assert_eq!(parse_schemas(&joined.join(separator)).unwrap(), schemas, "{file}, separator {separator:?}");
        }
    }
}

#[test]
fn schema_hash_tag_matches_every_state() {
    for (file, state) in states() {
        let expected = state["headerTags"][TAG_SCHEMA_HASH].as_str().unwrap();
        assert_eq!(schema_hash_tag(&state_schemas(state)), expected, "{file}");
    }
}

/// Snapshots and header blobs list every type, so the tag in their header is the hash of their schemas.
#[test]
fn schema_hash_tag_matches_every_snapshot_and_header_blob() {
    let mut checked = 0;
    for scenario in fs::read_dir(vectors()).unwrap() {
        let blobs = scenario.unwrap().path().join("blobs");
        let Ok(entries) = fs::read_dir(&blobs) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !(name.starts_with("snapshot-") || name.starts_with("header-")) {
                continue;
            }
            let bytes = fs::read(&path).unwrap();
            let header = BlobHeader::read(&mut ByteReader::new(&bytes)).unwrap();
            assert!(!header.schemas.is_empty(), "{name}");
            assert_eq!(
                Some(schema_hash_tag(&header.schemas).as_str()),
                header.tag(TAG_SCHEMA_HASH),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 26, "only {checked} blobs checked");
}

fn collections_schemas() -> Vec<Schema> {
    let (_, state) = states().iter().find(|(f, _)| f.starts_with("collections/")).unwrap();
    state_schemas(state)
}

fn steps(schemas: &[Schema], root: &str, path: &str) -> Vec<(String, usize, FieldType)> {
    let resolved = resolve_key_path(schemas, root, path).unwrap_or_else(|e| panic!("{e}"));
    resolved.steps.into_iter().map(|s| (s.type_name, s.field_index, s.field_type)).collect()
}

fn step(type_name: &str, index: usize, field_type: FieldType) -> (String, usize, FieldType) {
    (type_name.to_owned(), index, field_type)
}

#[test]
fn collections_keys_resolve() {
    let schemas = collections_schemas();
    let studio = resolve_schema_key(&schemas, schemas.schema("Studio").unwrap()).unwrap().unwrap();
    assert_eq!(studio.len(), 2);
    assert_eq!(studio[0].to_string(), "name");
    assert_eq!(studio[0].field_indices(), [0]);
    assert_eq!(studio[0].leaf_type(), FieldType::String);
    assert_eq!(
        steps(&schemas, "Studio", "address.city.value"),
        [
            step("Studio", 1, FieldType::Reference),
            step("Address", 0, FieldType::Reference),
            step("String", 0, FieldType::String)
        ]
    );
    assert_eq!(studio[1].field_indices(), [1, 0, 0]);
    // Auto-expansion through the single-field String type gives the same path.
    assert_eq!(resolve_key_path(&schemas, "Studio", "address.city").unwrap(), studio[1]);

    let crew = resolve_schema_key(&schemas, schemas.schema("SetOfPerson").unwrap()).unwrap().unwrap();
    assert_eq!(
        (crew[0].root_type.as_str(), crew[0].field_indices(), crew[0].leaf_type()),
        ("Person", vec![1], FieldType::String)
    );

    let roles = resolve_schema_key(&schemas, schemas.schema("MapOfPersonToRole").unwrap()).unwrap().unwrap();
    assert_eq!(roles[0].root_type, "Person");
    assert_eq!(steps(&schemas, "Person", "personId"), [step("Person", 0, FieldType::Int)]);
    assert_eq!(roles[0].field_indices(), [0]);
    // The map's hash key is Person's primary key.
    let person_key = resolve_schema_key(&schemas, schemas.schema("Person").unwrap()).unwrap().unwrap();
    assert_eq!(roles, person_key);

    for (set_or_map, root, leaf) in [
        ("SetOfString", "String", FieldType::String),
        ("SetOfInteger", "Integer", FieldType::Int),
        ("MapOfStringToLong", "String", FieldType::String),
        ("MapOfStringToListOfInteger", "String", FieldType::String),
    ] {
        let key = resolve_schema_key(&schemas, schemas.schema(set_or_map).unwrap()).unwrap().unwrap();
        assert_eq!(
            (key[0].root_type.as_str(), key[0].field_indices(), key[0].leaf_type()),
            (root, vec![0], leaf),
            "{set_or_map}"
        );
    }

    // Every key of the dataset resolves; lists have none.
    for schema in &schemas {
        let key = resolve_schema_key(&schemas, schema).unwrap();
        assert_eq!(
            key.is_none(),
            matches!(
                schema.name(),
                "ListOfString"
                    | "ListOfInteger"
                    | "ListOfPerson"
                    | "ListOfListOfString"
                    | "Address"
                    | "Integer"
                    | "Long"
                    | "Role"
                    | "String"
            ),
            "{}",
            schema.name()
        );
    }

    // Paths through a reference Java cannot expand, and into collections, are errors.
    let err = |root: &str, path: &str| resolve_key_path(&schemas, root, path).unwrap_err().kind;
    assert_eq!(err("Show", "studio"), KeyPathErrorKind::NotExpandable);
    assert_eq!(err("Show", "cast.element"), KeyPathErrorKind::NotTraversable);
    assert_eq!(err("Studio", "address.street"), KeyPathErrorKind::NotFound);
    assert_eq!(steps(&schemas, "Show", "studio!"), [step("Show", 10, FieldType::Reference)]);
}

#[test]
fn collections_dependency_order_puts_referenced_types_first() {
    let schemas = collections_schemas();
    let ordered: Vec<&str> = dependency_order(&schemas).iter().map(|s| s.name()).collect();
    // Computed with Java's HollowSchemaSorter over the same schemas.
    assert_eq!(
        ordered,
        [
            "Integer",
            "ListOfInteger",
            "Long",
            "Person",
            "ListOfPerson",
            "SetOfInteger",
            "SetOfPerson",
            "String",
            "Address",
            "ListOfString",
            "ListOfListOfString",
            "MapOfStringToListOfInteger",
            "MapOfStringToLong",
            "Role",
            "MapOfPersonToRole",
            "SetOfString",
            "Studio",
            "Show"
        ]
    );
}

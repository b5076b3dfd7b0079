//! The object mapper against Java's `HollowObjectMapper`, using the Java-written vectors.
//!
//! The Java classes behind the `collections`, `primitives` and `strings` vectors are modelled as Rust
//! structs (Java's nullable object fields as `Option`, primitives as plain fields, annotations as mapper
//! configuration). The tests check that the mapper derives exactly Java's schemas in Java's order, that
//! every Java record reads into the Rust types, and that writing those values back produces exactly the
//! records Java wrote.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use hollow::blob::BlobHeader;
use hollow::encoding::ByteReader;
use hollow::mapper::{self, GenericValue, ObjectMapper};
use hollow::read::ReadStateEngine;
use hollow::schema::Schema;
use hollow::write::WriteStateEngine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const VERSIONS: [&str; 3] = ["20250101000000001", "20250101000000002", "20250101000000003"];

fn vector(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(scenario)
}

fn java_snapshot(scenario: &str, version: &str) -> Vec<u8> {
    fs::read(vector(scenario).join(format!("blobs/snapshot-{version}"))).unwrap()
}

fn java_state(scenario: &str, version: &str) -> ReadStateEngine {
    ReadStateEngine::from_snapshot(&java_snapshot(scenario, version)).unwrap()
}

/// The schema names of a blob, in the order Java wrote them, from the manifest.
fn java_schema_order(scenario: &str, blob: &str) -> Vec<String> {
    let manifest: Value = serde_json::from_slice(&fs::read(vector(scenario).join("manifest.json")).unwrap()).unwrap();
    let file = manifest["files"].as_array().unwrap().iter().find(|f| f["name"] == blob).unwrap();
    file["header"]["schemas"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

fn snapshot(engine: &mut WriteStateEngine) -> ReadStateEngine {
    let mut blob = Vec::new();
    engine.write_snapshot(&mut blob).unwrap();
    ReadStateEngine::from_snapshot(&blob).unwrap()
}

/// Every populated record of every type, as generic values in canonical JSON text, sorted: the content
/// of a state without its ordinal assignment.
fn records_by_type(state: &ReadStateEngine) -> BTreeMap<String, Vec<String>> {
    state
        .types()
        .map(|t| {
            let mut records: Vec<String> =
                t.populated().iter().map(|o| canonical(&mapper::read_generic(state, t.name(), o).unwrap())).collect();
            records.sort();
            (t.name().to_owned(), records)
        })
        .collect()
}

/// A generic value as text in which set and map order (hash placement, which depends on ordinals)
/// does not show.
fn canonical(value: &GenericValue) -> String {
    match value {
        GenericValue::Set { elements, .. } => {
            let mut items: Vec<String> = elements.iter().map(canonical).collect();
            items.sort();
            format!("set[{}]", items.join(","))
        }
        GenericValue::Map { entries, .. } => {
            let mut items: Vec<String> =
                entries.iter().map(|(k, v)| format!("{}=>{}", canonical(k), canonical(v))).collect();
            items.sort();
            format!("map{{{}}}", items.join(","))
        }
        GenericValue::List { elements, .. } => {
            format!("list[{}]", elements.iter().map(canonical).collect::<Vec<_>>().join(","))
        }
        GenericValue::Object { type_name, fields } => format!(
            "{type_name}{{{}}}",
            fields.iter().map(|(n, v)| format!("{n}:{}", canonical(v))).collect::<Vec<_>>().join(",")
        ),
        scalar => format!("{scalar:?}"),
    }
}

// ----- collections ----------------------------------------------------------------------------------

/// `@HollowPrimaryKey(fields = "id") class Show`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Show {
    id: i64,
    title: Option<String>, // @HollowInline
    tags: Option<Vec<String>>,
    seasons: Option<BTreeSet<i32>>,
    counters: Option<HashMap<String, i64>>,
    cast: Option<Vec<Person>>,
    crew: Option<BTreeSet<Person>>, // @HollowHashKey(fields = "name")
    roles: Option<BTreeMap<Person, Role>>,
    episodes_by_season: Option<HashMap<String, Vec<i32>>>,
    nested_lists: Option<Vec<Vec<String>>>,
    studio: Option<Studio>,
    keywords: Option<BTreeSet<String>>,
}

/// `@HollowPrimaryKey(fields = "personId") class Person`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Person {
    person_id: i32,
    name: Option<String>, // @HollowInline
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Role {
    name: Option<String>,
    lead: bool,
}

/// `@HollowPrimaryKey(fields = {"name", "address.city.value"}) class Studio`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Studio {
    name: Option<String>, // @HollowInline
    address: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    city: Option<String>,
    zip: i32,
}

fn collections_mapper() -> ObjectMapper {
    ObjectMapper::new()
        .primary_key("Show", ["id"])
        .primary_key("Person", ["personId"])
        .primary_key("Studio", ["name", "address.city.value"])
        .inline_field("Show", "title")
        .inline_field("Person", "name")
        .inline_field("Studio", "name")
        .hash_key("Show", "crew", ["name"])
}

fn schemas_by_name(schemas: impl IntoIterator<Item = Schema>) -> BTreeMap<String, Schema> {
    schemas.into_iter().map(|s| (s.name().to_owned(), s)).collect()
}

#[test]
fn collections_schemas_equal_javas_in_javas_order() {
    let mut mapper = collections_mapper();
    assert_eq!(mapper.derive::<Show>().unwrap(), "Show");
    assert_eq!(mapper.derive::<Person>().unwrap(), "Person");

    let ours: Vec<&str> = mapper.schemas().iter().map(Schema::name).collect();
    assert_eq!(ours, java_schema_order("collections", "blobs/snapshot-20250101000000001"));

    let java = java_state("collections", VERSIONS[0]);
    let java_schemas = schemas_by_name(java.schemas().cloned());
    assert_eq!(schemas_by_name(mapper.schemas().iter().cloned()), java_schemas);
    // Spot checks of what the comparison covers, in Hollow's text form.
    let text = |name: &str| mapper.schemas().iter().find(|s| s.name() == name).unwrap().to_string();
    assert_eq!(text("SetOfPerson"), "SetOfPerson Set<Person> @HashKey(name);");
    assert_eq!(text("MapOfPersonToRole"), "MapOfPersonToRole Map<Person,Role> @HashKey(personId);");
    assert_eq!(text("SetOfString"), "SetOfString Set<String> @HashKey(value);");
    assert_eq!(
        text("MapOfStringToListOfInteger"),
        "MapOfStringToListOfInteger Map<String,ListOfInteger> @HashKey(value);"
    );
    assert_eq!(text("ListOfListOfString"), "ListOfListOfString List<ListOfString>;");
    assert_eq!(text("Studio"), "Studio @PrimaryKey(name, address.city.value) {\n\tstring name;\n\tAddress address;\n}");
}

#[test]
fn collections_engine_registers_types_in_javas_order() {
    let mut mapper = collections_mapper();
    let mut engine = WriteStateEngine::new();
    mapper.initialize::<Show>(&mut engine).unwrap();
    mapper.initialize::<Person>(&mut engine).unwrap();
    let ours: Vec<&str> = engine.schemas().map(Schema::name).collect();
    assert_eq!(ours, java_schema_order("collections", "blobs/snapshot-20250101000000001"));
}

#[test]
fn collections_records_read_into_rust_and_write_back_as_java_wrote_them() {
    for version in VERSIONS {
        let java = java_state("collections", version);
        let shows: Vec<Show> = java
            .type_state("Show")
            .unwrap()
            .populated()
            .iter()
            .map(|o| mapper::get(&java, "Show", o).unwrap())
            .collect();
        let people: Vec<Person> = java
            .type_state("Person")
            .unwrap()
            .populated()
            .iter()
            .map(|o| mapper::get(&java, "Person", o).unwrap())
            .collect();
        assert!(!shows.is_empty() && !people.is_empty());

        let mut mapper = collections_mapper();
        let mut engine = WriteStateEngine::new();
        let ordinals: Vec<u32> = shows.iter().map(|s| mapper.add(&mut engine, s).unwrap()).collect();
        for p in &people {
            mapper.add(&mut engine, p).unwrap();
        }
        let ours = snapshot(&mut engine);

        // The same records as Java's state, type by type (types Java kept without records included).
        let java_records = records_by_type(&java);
        let our_records = records_by_type(&ours);
        for (name, records) in &java_records {
            assert_eq!(our_records.get(name).unwrap_or(&Vec::new()), records, "type {name} at {version}");
        }
        // And each show reads back as written.
        for (show, &o) in shows.iter().zip(&ordinals) {
            assert_eq!(&mapper::get::<Show>(&ours, "Show", o).unwrap(), show);
        }
    }
}

#[test]
fn collections_java_values_are_what_the_dump_says() {
    let java = java_state("collections", VERSIONS[0]);
    let id = mapper::find_by_primary_key(&java, "Show", &[GenericValue::Long(1)]).unwrap().unwrap();
    let show: Show = mapper::get(&java, "Show", id).unwrap();
    assert_eq!(show.title.as_deref(), Some("Stranger Things"));
    assert_eq!(show.tags.as_ref().unwrap(), &["scifi", "horror", "80s", "scifi"]);
    assert_eq!(show.seasons.as_ref().unwrap(), &BTreeSet::from([1, 2, 3, 4]));
    assert_eq!(show.counters.as_ref().unwrap()["neg"], -5);
    assert_eq!(show.cast.as_ref().unwrap()[0], Person { person_id: 10, name: Some("Millie".into()) });
    let studio = show.studio.as_ref().unwrap();
    assert_eq!(studio.address.as_ref().unwrap().city.as_deref(), Some("Los Angeles"));

    // Composite primary key through a reference: (name, address.city.value).
    let key = [GenericValue::String("Left Bank".into()), GenericValue::String("London".into())];
    let studio: Studio = mapper::get_by_primary_key(&java, "Studio", &key).unwrap().unwrap();
    assert_eq!(studio.address.unwrap().zip, 10000);
    let missing = [GenericValue::String("Left Bank".into()), GenericValue::String("Paris".into())];
    assert_eq!(mapper::find_by_primary_key(&java, "Studio", &missing).unwrap(), None);
}

#[test]
fn collections_all_null_show_reads_as_nones() {
    // v3 added show 5 with every nullable field null.
    let java = java_state("collections", VERSIONS[2]);
    let o = mapper::find_by_primary_key(&java, "Show", &[GenericValue::Long(5)]).unwrap().unwrap();
    let show: Show = mapper::get(&java, "Show", o).unwrap();
    assert_eq!(
        show,
        Show {
            id: 5,
            title: None,
            tags: None,
            seasons: None,
            counters: None,
            cast: None,
            crew: None,
            roles: None,
            episodes_by_season: None,
            nested_lists: None,
            studio: None,
            keywords: None
        }
    );
}

// ----- primitives -----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[allow(clippy::upper_case_acronyms)]
enum Color {
    RED,
    GREEN,
    BLUE,
}

/// `java.util.Date`, which Java's mapper stores as `Date { long value; }`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Date {
    value: i64,
}

/// A Java `char`: one UTF-16 unit, which a Rust `char` cannot always hold (a lone surrogate). Written as
/// Java writes a char (`'\0'` through `serialize_char`, so the mapper applies Java's null rule to it),
/// read as a number (a null reads as 0).
#[derive(Debug, Clone, Copy, PartialEq)]
struct JavaChar(u16);

impl Serialize for JavaChar {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            0 => s.serialize_char('\0'),
            unit => s.serialize_u16(unit),
        }
    }
}

impl<'de> Deserialize<'de> for JavaChar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u16::deserialize(d).map(JavaChar)
    }
}

/// `@HollowPrimaryKey(fields = "id") class AllTypes`: Java primitives as plain fields, boxed and object
/// fields as `Option`s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AllTypes {
    id: i32,
    int_val: i32,
    long_val: i64,
    float_val: f32,
    double_val: f64,
    bool_val: bool,
    short_val: i16,
    byte_val: i8,
    char_val: JavaChar,
    inline_string: Option<String>,
    ref_string: Option<String>,
    bytes_val: Option<Vec<u8>>,
    boxed_int: Option<i32>,
    boxed_long: Option<i64>,
    boxed_float: Option<f32>,
    boxed_double: Option<f64>,
    boxed_bool: Option<bool>,
    boxed_short: Option<i16>,
    boxed_byte: Option<i8>,
    boxed_char: Option<JavaChar>,
    inline_int: Option<i32>,
    inline_long: Option<i64>,
    inline_float: Option<f32>,
    inline_double: Option<f64>,
    inline_bool: Option<bool>,
    inline_short: Option<i16>,
    inline_byte: Option<i8>,
    inline_char: Option<JavaChar>,
    color: Option<Color>,
    date: Option<Date>,
}

fn primitives_mapper() -> ObjectMapper {
    let boxed =
        ["boxedInt", "boxedLong", "boxedFloat", "boxedDouble", "boxedBool", "boxedShort", "boxedByte", "boxedChar"];
    boxed
        .iter()
        .fold(ObjectMapper::new().primary_key("AllTypes", ["id"]), |m, f| m.reference_field("AllTypes", f))
        .inline_field("AllTypes", "inlineString")
        // A u16 refers to Integer by default; Java's char to Character.
        .field_type_name("AllTypes", "boxedChar", "Character")
}

#[test]
fn primitives_schemas_equal_javas_in_javas_order() {
    let mut mapper = primitives_mapper();
    mapper.derive::<AllTypes>().unwrap();
    let ours: Vec<&str> = mapper.schemas().iter().map(Schema::name).collect();
    assert_eq!(ours, java_schema_order("primitives", "blobs/snapshot-20250101000000001"));
    let java = java_state("primitives", VERSIONS[0]);
    assert_eq!(schemas_by_name(mapper.schemas().iter().cloned()), schemas_by_name(java.schemas().cloned()));
}

#[test]
fn primitives_records_read_into_rust_and_write_back_as_java_wrote_them() {
    // Java's nulls for primitives (NaN, Short.MIN_VALUE, '\0', Integer.MIN_VALUE, ...) read into the Rust
    // fields and are written back as the same nulls.
    for version in VERSIONS {
        let java = java_state("primitives", version);
        let all: Vec<AllTypes> = java
            .type_state("AllTypes")
            .unwrap()
            .populated()
            .iter()
            .map(|o| mapper::get(&java, "AllTypes", o).unwrap())
            .collect();
        let mut mapper = primitives_mapper();
        let mut engine = WriteStateEngine::new();
        for value in &all {
            mapper.add(&mut engine, value).unwrap();
        }
        let ours = snapshot(&mut engine);
        let java_records = records_by_type(&java);
        let our_records = records_by_type(&ours);
        for (name, records) in &java_records {
            assert_eq!(our_records.get(name).unwrap_or(&Vec::new()), records, "type {name} at {version}");
        }
    }
}

#[test]
fn primitives_specials_read_as_java_wrote_them() {
    let java = java_state("primitives", VERSIONS[0]);
    let get = |id: i32| -> AllTypes {
        let o = mapper::find_by_primary_key(&java, "AllTypes", &[GenericValue::Int(id)]).unwrap().unwrap();
        mapper::get(&java, "AllTypes", o).unwrap()
    };
    let specials = get(4);
    assert_eq!(specials.ref_string.as_deref(), Some("emoji 😀🎬 👩‍👩‍👧"));
    assert_eq!(specials.inline_string.as_deref(), Some("naïve café – 日本語 Ελληνικά"));
    let all_null = get(5);
    assert_eq!(all_null.boxed_int, None);
    assert_eq!(all_null.ref_string, None);
    assert_eq!(all_null.color, None);
    assert_eq!(all_null.date, None);
    assert_eq!(specials.boxed_char, Some(JavaChar(0xD83D)), "a lone surrogate");
    assert_eq!(specials.inline_char, Some(JavaChar(8364)));
    assert!(specials.double_val == f64::NEG_INFINITY && specials.inline_double.unwrap().is_nan());
    assert_eq!(specials.boxed_double.map(f64::to_bits), Some((-0.0f64).to_bits()));
    assert_eq!(specials.bytes_val.as_deref(), Some(&[0u8, 0xFF, 0x7F, 0x80][..]));
    let typical = get(1);
    assert_eq!(typical.color, Some(Color::RED));
    assert_eq!(typical.char_val, JavaChar(65));
    assert_eq!(typical.float_val.to_bits(), 0x4048_F5C3, "3.14f32");
    // Java's mins: MIN_VALUE of a primitive is stored as null and read back as the minimum; a boxed
    // Integer.MIN_VALUE is an Integer record with a null value.
    let mins = get(3);
    assert_eq!((mins.int_val, mins.long_val, mins.short_val, mins.byte_val), (i32::MIN, i64::MIN, i16::MIN, i8::MIN));
    assert_eq!(mins.char_val, JavaChar(0));
    assert_eq!(mins.boxed_int, Some(i32::MIN));
    assert_eq!(mins.inline_short, Some(i16::MIN));
    assert_eq!(mins.color, Some(Color::GREEN));
}

// ----- strings ----------------------------------------------------------------------------------------

/// `ws.add("user1")` in Java; `mapper.add(&mut engine, "user1")` here. Adding the strings in the order of
/// Java's ordinals, the mapper's blobs have Java's bodies byte for byte.
#[test]
fn strings_added_as_str_give_javas_blob_bodies() {
    let mut mapper = ObjectMapper::new();
    let mut engine = WriteStateEngine::new();
    for version in VERSIONS {
        let java_blob = java_snapshot("strings", version);
        let mut r = ByteReader::new(&java_blob);
        let java_header = BlobHeader::read(&mut r).unwrap();
        let java_body = &java_blob[r.position() as usize..];
        let java = ReadStateEngine::from_snapshot(&java_blob).unwrap();
        let strings = java.object("String").unwrap();
        let mut values: Vec<(u32, String)> =
            strings.populated().iter().map(|o| (o, mapper::get::<String>(&java, "String", o).unwrap())).collect();
        values.sort();
        for (ordinal, s) in &values {
            assert_eq!(mapper.add(&mut engine, s.as_str()).unwrap(), *ordinal, "{s} at {version}");
        }
        engine.override_previous_randomized_tag(java_header.origin_tag);
        engine.override_next_randomized_tag(java_header.destination_tag);
        let mut ours = Vec::new();
        engine.write_snapshot(&mut ours).unwrap();
        let mut r = ByteReader::new(&ours);
        let our_header = BlobHeader::read(&mut r).unwrap();
        assert_eq!(our_header.schemas, java_header.schemas);
        assert!(&ours[r.position() as usize..] == java_body, "snapshot body differs at {version}");
        engine.prepare_for_next_cycle();
    }
}

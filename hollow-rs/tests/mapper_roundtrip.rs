//! The object mapper on Rust types: derived schemas, round trips through a snapshot, configuration,
//! generic values and JSON, and the error paths.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use hollow::mapper::{self, from_json, GenericValue, ObjectMapper};
use hollow::read::ReadStateEngine;
use hollow::schema::{FieldType, ObjectField, ObjectSchema, Schema};
use hollow::write::{ObjectRecord, WriteStateEngine};
use hollow::{Error, ErrorKind};
use serde::{Deserialize, Serialize};
use serde_json::json;

fn snapshot(engine: &mut WriteStateEngine) -> ReadStateEngine {
    let mut blob = Vec::new();
    engine.write_snapshot(&mut blob).unwrap();
    ReadStateEngine::from_snapshot(&blob).unwrap()
}

fn schema_text(engine: &WriteStateEngine, name: &str) -> String {
    engine.schema(name).unwrap_or_else(|| panic!("no schema {name}")).to_string()
}

fn schema_names(engine: &WriteStateEngine) -> Vec<&str> {
    engine.schemas().map(Schema::name).collect()
}

fn kind(result: Result<impl std::fmt::Debug, Error>) -> (ErrorKind, String) {
    let e = result.expect_err("expected an error");
    (e.kind(), e.to_string())
}

// ----- every kind of field ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum Genre {
    Drama,
    Comedy,
    #[serde(rename = "SCI_FI")]
    SciFi,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
struct Actor {
    id: i32,
    name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct UserId(i64);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Everything {
    flag: bool,
    tiny: i8,
    small: i16,
    int: i32,
    long: i64,
    byte: u8,
    word: u16,
    dword: u32,
    qword: u64,
    single: f32,
    double: f64,
    letter: char,
    text: String,
    inline_text: String,
    blob: Vec<u8>,
    maybe_int: Option<i32>,
    maybe_text: Option<String>,
    maybe_actor: Option<Actor>,
    lead: Actor,
    cast: Vec<Actor>,
    tags: HashSet<String>,
    years: BTreeSet<i64>,
    by_name: HashMap<String, Actor>,
    by_season: BTreeMap<i32, Vec<String>>,
    by_actor: BTreeMap<Actor, Genre>,
    genre: Genre,
    genres: Vec<Genre>,
    inline_genre: Genre,
    matrix: Vec<Vec<i32>>,
    nested_sets: HashMap<String, BTreeSet<i32>>,
    user: UserId,
}

fn everything() -> Everything {
    let hopper = Actor { id: 2, name: "Jim Hopper".into() };
    let eleven = Actor { id: 1, name: "Eleven 🧇".into() };
    Everything {
        flag: true,
        tiny: -7,
        small: -30000,
        int: 123_456_789,
        long: -9_000_000_000_000,
        byte: 255,
        word: 65535,
        dword: u32::MAX,
        qword: i64::MAX as u64,
        single: 1.5e-3,
        double: -0.0,
        letter: 'é',
        text: "naïve café – 日本語 Ελληνικά".into(),
        inline_text: "emoji 😀🎬 👩‍👩‍👧 \u{0} tab\t".into(),
        blob: vec![0, 1, 0x7F, 0x80, 0xFF],
        maybe_int: Some(-1),
        maybe_text: None,
        maybe_actor: Some(eleven.clone()),
        lead: hopper.clone(),
        cast: vec![eleven.clone(), hopper.clone(), eleven.clone()],
        tags: ["80s", "scifi", "horror", "Ünïcödé"].into_iter().map(String::from).collect(),
        years: [2016, 2017, 2019, 2022].into(),
        by_name: [("Eleven".to_owned(), eleven.clone()), ("Hopper".to_owned(), hopper.clone())].into(),
        by_season: [(1, vec!["Chapter One".to_owned()]), (4, vec![])].into(),
        by_actor: [(eleven, Genre::SciFi), (hopper, Genre::Drama)].into(),
        genre: Genre::SciFi,
        genres: vec![Genre::Comedy, Genre::Drama, Genre::Comedy],
        inline_genre: Genre::Comedy,
        matrix: vec![vec![1, 2], vec![], vec![3]],
        nested_sets: [("a".to_owned(), [1, 2].into()), ("b".to_owned(), BTreeSet::new())].into(),
        user: UserId(42),
    }
}

fn everything_mapper() -> ObjectMapper {
    ObjectMapper::new()
        .inline_field("Everything", "inline_text")
        .inline_field("Everything", "inline_genre")
        .primary_key("Actor", ["id"])
}

#[test]
fn every_field_kind_round_trips() {
    let mut engine = WriteStateEngine::new();
    let mut mapper = everything_mapper();
    let value = everything();
    let ordinal = mapper.add(&mut engine, &value).unwrap();

    assert_eq!(
        schema_text(&engine, "Everything"),
        "Everything {\n\tboolean flag;\n\tint tiny;\n\tint small;\n\tint int;\n\tlong long;\n\tint byte;\n\tint word;\
         \n\tlong dword;\n\tlong qword;\n\tfloat single;\n\tdouble double;\n\tint letter;\n\tString text;\
         \n\tstring inline_text;\n\tbytes blob;\n\tint maybe_int;\n\tString maybe_text;\n\tActor maybe_actor;\
         \n\tActor lead;\n\tListOfActor cast;\n\tSetOfString tags;\n\tSetOfLong years;\n\tMapOfStringToActor by_name;\
         \n\tMapOfIntegerToListOfString by_season;\n\tMapOfActorToGenre by_actor;\n\tGenre genre;\
         \n\tListOfGenre genres;\n\tstring inline_genre;\n\tListOfListOfInteger matrix;\
         \n\tMapOfStringToSetOfInteger nested_sets;\n\tlong user;\n}"
    );
    assert_eq!(schema_text(&engine, "SetOfLong"), "SetOfLong Set<Long> @HashKey(value);");
    assert_eq!(schema_text(&engine, "MapOfActorToGenre"), "MapOfActorToGenre Map<Actor,Genre> @HashKey(id);");
    assert_eq!(schema_text(&engine, "Genre"), "Genre {\n\tstring _name;\n}");
    assert_eq!(schema_text(&engine, "ListOfGenre"), "ListOfGenre List<Genre>;");
    // Dependencies first, in field order, as Java registers them.
    assert_eq!(
        schema_names(&engine),
        [
            "String",
            "Actor",
            "ListOfActor",
            "SetOfString",
            "Long",
            "SetOfLong",
            "MapOfStringToActor",
            "Integer",
            "ListOfString",
            "MapOfIntegerToListOfString",
            "Genre",
            "MapOfActorToGenre",
            "ListOfGenre",
            "ListOfInteger",
            "ListOfListOfInteger",
            "SetOfInteger",
            "MapOfStringToSetOfInteger",
            "Everything"
        ]
    );

    let state = snapshot(&mut engine);
    let back: Everything = mapper::get(&state, "Everything", ordinal).unwrap();
    assert_eq!(back.double.to_bits(), (-0.0f64).to_bits());
    assert_eq!(back, value);

    // Equal values are the same record; equal nested values are shared.
    let mut engine2 = WriteStateEngine::new();
    let first = mapper.add(&mut engine2, &value).unwrap();
    assert_eq!(mapper.add(&mut engine2, &value).unwrap(), first);
    let state = snapshot(&mut engine2);
    assert_eq!(state.type_state("Everything").unwrap().populated().count(), 1);
    assert_eq!(state.type_state("Actor").unwrap().populated().count(), 2, "Eleven and Hopper, each once");
    assert_eq!(state.type_state("Genre").unwrap().populated().count(), 3);
}

#[test]
fn java_null_conventions_for_primitives() {
    #[derive(Debug, Serialize, Deserialize)]
    struct Nums {
        a: i8,
        b: i16,
        c: i32,
        d: i64,
        e: f32,
        f: f64,
        g: char,
        h: Option<i16>,
        i: Option<f64>,
        j: Option<f32>,
    }
    let mut engine = WriteStateEngine::new();
    let mut m = ObjectMapper::new();
    let value = Nums {
        a: i8::MIN,
        b: i16::MIN,
        c: i32::MIN,
        d: i64::MIN,
        e: f32::NAN,
        f: f64::NAN,
        g: '\0',
        h: Some(i16::MIN),
        i: Some(f64::NAN),
        j: None,
    };
    let o = m.add(&mut engine, &value).unwrap();
    let state = snapshot(&mut engine);
    // Stored as Java's mapper stores them: a primitive's minimum (or NaN, or '\0') is null, a boxed one
    // keeps its value.
    let generic = mapper::read_generic(&state, "Nums", o).unwrap();
    for field in ["a", "b", "c", "d", "e", "f", "g", "j"] {
        assert!(generic.field(field).unwrap().is_null(), "{field}: {generic}");
    }
    assert_eq!(generic.field("h"), Some(&GenericValue::Int(-32768)));
    assert!(matches!(generic.field("i"), Some(GenericValue::Double(x)) if x.is_nan()));
    // And read back as the minimums.
    let back: Nums = mapper::get(&state, "Nums", o).unwrap();
    assert_eq!(
        (back.a, back.b, back.c, back.d, back.g, back.h),
        (i8::MIN, i16::MIN, i32::MIN, i64::MIN, '\0', Some(i16::MIN))
    );
    assert!(back.e.is_nan() && back.f.is_nan() && back.i.unwrap().is_nan());
    assert_eq!(back.j, None);
}

// ----- schemas come from the type, not the first value -----------------------------------------------

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct Sparse {
    id: i64,
    title: Option<String>,
    lead: Option<Actor>,
    cast: Vec<Actor>,
    tags: BTreeSet<String>,
    ratings: HashMap<String, f64>,
    genre: Option<Genre>,
}

#[test]
fn schemas_do_not_depend_on_the_first_value() {
    let empty = Sparse::default();
    let full = Sparse {
        id: 1,
        title: Some("x".into()),
        lead: Some(Actor { id: 1, name: "a".into() }),
        cast: vec![Actor { id: 2, name: "b".into() }],
        tags: ["t".to_owned()].into(),
        ratings: [("imdb".to_owned(), 8.5)].into(),
        genre: Some(Genre::Drama),
    };
    let (mut first_empty, mut first_full) = (WriteStateEngine::new(), WriteStateEngine::new());
    let (mut m1, mut m2) = (ObjectMapper::new(), ObjectMapper::new());
    m1.add(&mut first_empty, &empty).unwrap();
    m1.add(&mut first_empty, &full).unwrap();
    m2.add(&mut first_full, &full).unwrap();
    m2.add(&mut first_full, &empty).unwrap();
    let all = |e: &WriteStateEngine| e.schemas().cloned().collect::<Vec<_>>();
    assert_eq!(all(&first_empty), all(&first_full));
    assert_eq!(
        schema_names(&first_empty),
        ["String", "Actor", "ListOfActor", "SetOfString", "Double", "MapOfStringToDouble", "Genre", "Sparse"]
    );

    let state = snapshot(&mut first_empty);
    assert_eq!(mapper::get::<Sparse>(&state, "Sparse", 0).unwrap(), empty);
    assert_eq!(mapper::get::<Sparse>(&state, "Sparse", 1).unwrap(), full);
}

// ----- top-level values --------------------------------------------------------------------------------

#[test]
fn top_level_values_are_records_of_their_boxed_or_collection_type() {
    let mut engine = WriteStateEngine::new();
    let mut m = ObjectMapper::new();
    assert_eq!(m.add(&mut engine, "user1").unwrap(), 0);
    assert_eq!(m.add(&mut engine, &"user2".to_owned()).unwrap(), 1);
    assert_eq!(m.add(&mut engine, "user1").unwrap(), 0);
    let five = m.add(&mut engine, &5i32).unwrap();
    let list = m.add(&mut engine, &vec![1i32, 2, 3]).unwrap();
    let set = m.add(&mut engine, &HashSet::from(["a".to_owned()])).unwrap();
    let map = m.add(&mut engine, &BTreeMap::from([(1i64, true)])).unwrap();
    let genre = m.add(&mut engine, &Genre::Comedy).unwrap();
    assert_eq!(schema_text(&engine, "String"), "String {\n\tstring value;\n}");
    assert_eq!(schema_text(&engine, "SetOfString"), "SetOfString Set<String> @HashKey(value);");
    assert_eq!(schema_text(&engine, "MapOfLongToBoolean"), "MapOfLongToBoolean Map<Long,Boolean> @HashKey(value);");
    let state = snapshot(&mut engine);
    assert_eq!(mapper::get::<String>(&state, "String", 1).unwrap(), "user2");
    assert_eq!(mapper::get::<i32>(&state, "Integer", five).unwrap(), 5);
    assert_eq!(mapper::get::<Vec<i32>>(&state, "ListOfInteger", list).unwrap(), [1, 2, 3]);
    assert_eq!(mapper::get::<HashSet<String>>(&state, "SetOfString", set).unwrap(), HashSet::from(["a".to_owned()]));
    assert_eq!(
        mapper::get::<BTreeMap<i64, bool>>(&state, "MapOfLongToBoolean", map).unwrap(),
        BTreeMap::from([(1, true)])
    );
    assert_eq!(mapper::get::<Genre>(&state, "Genre", genre).unwrap(), Genre::Comedy);
    // Records read as any shape that fits: a String record as a struct with a `value` field, as JSON.
    #[derive(Deserialize, PartialEq, Debug)]
    struct Boxed {
        value: String,
    }
    assert_eq!(mapper::get::<Boxed>(&state, "String", 0).unwrap(), Boxed { value: "user1".into() });
    assert_eq!(
        mapper::get::<serde_json::Value>(&state, "ListOfInteger", list).unwrap(),
        json!([{"value": 1}, {"value": 2}, {"value": 3}])
    );
}

// ----- configuration ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Movie {
    id: i64,
    title: String,
    #[serde(with = "hollow::mapper::as_set")]
    tags: Vec<String>,
    languages: Vec<String>,
    countries: Vec<String>,
    awards: BTreeMap<String, i32>,
    rating: i32,
    studio: Option<String>,
}

fn movie() -> Movie {
    Movie {
        id: 7,
        title: "Alien".into(),
        tags: vec!["space".into(), "horror".into()],
        languages: vec!["en".into()],
        countries: vec!["US".into(), "UK".into()],
        awards: [("Oscar".to_owned(), 1)].into(),
        rating: 9,
        studio: Some("Fox".into()),
    }
}

#[test]
fn configuration_matches_javas_annotations() {
    let mut engine = WriteStateEngine::new();
    let mut m = ObjectMapper::new()
        .rename_type("Movie", "Film")
        .with_primary_key::<Movie, _>(["id"])
        .inline_field("Film", "title")
        .set_field("Film", "languages")
        .field_type_name("Film", "countries", "CountryList")
        .hash_key("Film", "awards", Vec::<String>::new())
        .reference_field("Film", "rating")
        .field_type_name("Film", "studio", "StudioName");
    let value = movie();
    let o = m.add(&mut engine, &value).unwrap();
    assert_eq!(
        schema_text(&engine, "Film"),
        "Film @PrimaryKey(id) {\n\tlong id;\n\tstring title;\n\tSetOfString tags;\n\tSetOfString languages;\
         \n\tCountryList countries;\n\tMapOfStringToInteger awards;\n\tInteger rating;\n\tStudioName studio;\n}"
    );
    assert_eq!(schema_text(&engine, "CountryList"), "CountryList List<String>;");
    assert_eq!(schema_text(&engine, "MapOfStringToInteger"), "MapOfStringToInteger Map<String,Integer> @HashKey();");
    assert_eq!(schema_text(&engine, "StudioName"), "StudioName {\n\tstring value;\n}");
    let state = snapshot(&mut engine);
    let mut back: Movie = mapper::get(&state, "Film", o).unwrap();
    back.tags.sort();
    let mut expected = value;
    expected.tags.sort();
    assert_eq!(back, expected);
}

#[test]
fn default_hash_keys_can_be_turned_off() {
    let mut m = ObjectMapper::new().use_default_hash_keys(false);
    m.derive::<BTreeSet<String>>().unwrap();
    assert_eq!(m.schemas().last().unwrap().to_string(), "SetOfString Set<String>;");
}

#[test]
fn add_as_writes_types_that_cannot_be_traced() {
    // A borrowed, Serialize-only view written as the Film type another value registered.
    #[derive(Serialize)]
    struct MovieView<'a> {
        id: i64,
        title: &'a str,
    }
    let mut engine = WriteStateEngine::new();
    let mut m = ObjectMapper::new();
    m.initialize::<Movie>(&mut engine).unwrap();
    let title = String::from("Heat");
    let o = m.add_as(&mut engine, "Movie", &MovieView { id: 3, title: &title }).unwrap();
    let state = snapshot(&mut engine);
    let generic = mapper::read_generic(&state, "Movie", o).unwrap();
    assert_eq!(generic.field("id"), Some(&GenericValue::Long(3)));
    assert_eq!(generic.field("title").and_then(GenericValue::as_str), Some("Heat"));
    assert!(generic.field("tags").unwrap().is_null());
}

#[test]
fn borrowed_strings_read_without_copies() {
    #[derive(Deserialize)]
    struct View<'a> {
        #[serde(borrow)]
        title: Cow<'a, str>,
        id: i64,
    }
    let mut engine = WriteStateEngine::new();
    let mut m = ObjectMapper::new().inline_field("Movie", "title");
    let o = m.add(&mut engine, &movie()).unwrap();
    let mut unicode = movie();
    unicode.title = "Amélie".into();
    let p = m.add(&mut engine, &unicode).unwrap();
    let state = snapshot(&mut engine);
    let view: View = mapper::get(&state, "Movie", o).unwrap();
    assert!(matches!(view.title, Cow::Borrowed("Alien")));
    assert_eq!(view.id, 7);
    let view: View = mapper::get(&state, "Movie", p).unwrap();
    assert_eq!(view.title, "Amélie");
}

// ----- generic values and JSON -------------------------------------------------------------------------

#[test]
fn generic_values_and_json_round_trip() {
    let mut engine = WriteStateEngine::new();
    let mut m = everything_mapper();
    let o = m.add(&mut engine, &everything()).unwrap();
    let state = snapshot(&mut engine);
    let generic = mapper::read_generic(&state, "Everything", o).unwrap();
    assert_eq!(generic.type_name(), Some("Everything"));
    assert_eq!(generic.field("text").and_then(GenericValue::as_str), Some("naïve café – 日本語 Ελληνικά"));
    assert_eq!(generic.field("qword").and_then(GenericValue::as_i64), Some(i64::MAX));

    // JSON and back, against the engine's schemas, gives the same generic value...
    let json = generic.to_json();
    assert_eq!(json["inline_genre"], json!("Comedy"));
    assert_eq!(json["genre"], json!({"_name": "SCI_FI"}));
    let again = from_json(&json, "Everything", &state).unwrap();
    assert_eq!(canonical(&again), canonical(&generic));
    // ...which written to the same engine is the same record.
    let mut engine2 = WriteStateEngine::new();
    let o2 = m.add(&mut engine2, &everything()).unwrap();
    assert_eq!(m.add_generic(&mut engine2, &again).unwrap(), o2);
    assert_eq!(m.add_json(&mut engine2, "Everything", &json).unwrap(), o2);
    let state2 = snapshot(&mut engine2);
    assert_eq!(state2.type_state("Everything").unwrap().populated().count(), 1);
}

/// Text of a generic value in which set and map order does not show.
fn canonical(value: &GenericValue) -> String {
    match value {
        GenericValue::Set { elements, .. } => {
            let mut items: Vec<String> = elements.iter().map(canonical).collect();
            items.sort();
            format!("set{items:?}")
        }
        GenericValue::Map { entries, .. } => {
            let mut items: Vec<String> =
                entries.iter().map(|(k, v)| format!("{}=>{}", canonical(k), canonical(v))).collect();
            items.sort();
            format!("map{items:?}")
        }
        GenericValue::List { elements, .. } => format!("list{:?}", elements.iter().map(canonical).collect::<Vec<_>>()),
        GenericValue::Object { type_name, fields } => {
            format!("{type_name}{:?}", fields.iter().map(|(n, v)| format!("{n}:{}", canonical(v))).collect::<Vec<_>>())
        }
        scalar => format!("{scalar:?}"),
    }
}

#[test]
fn json_in_the_shapes_a_producer_gets() {
    let mut engine = WriteStateEngine::new();
    let mut m = ObjectMapper::new().inline_field("Movie", "title");
    m.initialize::<Movie>(&mut engine).unwrap();
    m.initialize::<BTreeMap<i32, Vec<String>>>(&mut engine).unwrap();
    // Scalars for single-field types, arrays for lists and sets, objects for maps, missing fields null.
    let o = m
        .add_json(
            &mut engine,
            "Movie",
            &json!({"id": 7, "title": "Alien", "tags": ["space", "horror"], "languages": ["en"],
                    "countries": ["US", {"value": "UK"}], "awards": {"Oscar": 1}, "rating": 9, "studio": "Fox"}),
        )
        .unwrap();
    // Maps as [key, value] pairs, and object keys parsed as numbers for a numeric key type.
    let pairs = m.add_json(&mut engine, "MapOfIntegerToListOfString", &json!([[1, ["a"]], [2, []]])).unwrap();
    let object = m.add_json(&mut engine, "MapOfIntegerToListOfString", &json!({"2": [], "1": ["a"]})).unwrap();
    assert_eq!(pairs, object);
    let state = snapshot(&mut engine);
    let mut back: Movie = mapper::get(&state, "Movie", o).unwrap();
    back.tags.sort();
    let mut expected = movie();
    expected.tags.sort();
    assert_eq!(back, expected);
    assert_eq!(
        mapper::get::<BTreeMap<i32, Vec<String>>>(&state, "MapOfIntegerToListOfString", pairs).unwrap(),
        BTreeMap::from([(1, vec!["a".to_owned()]), (2, vec![])])
    );
}

#[test]
fn json_that_does_not_fit_names_where() {
    let mut engine = WriteStateEngine::new();
    let mut m = ObjectMapper::new();
    m.initialize::<Everything>(&mut engine).unwrap();
    let cases = [
        (json!({"flag": 1}), ErrorKind::SchemaMismatch, "Everything.flag"),
        (json!({"nope": 1}), ErrorKind::SchemaMismatch, "no field nope"),
        (json!({"int": 3_000_000_000i64}), ErrorKind::SchemaMismatch, "does not fit an INT"),
        (json!({"cast": [{"id": 1, "name": 5}]}), ErrorKind::SchemaMismatch, "Everything.cast[0].name"),
        (json!({"cast": [null]}), ErrorKind::InvalidArgument, "Everything.cast[0]"),
        (json!({"blob": [1, 256]}), ErrorKind::SchemaMismatch, "Everything.blob"),
        (json!({"by_season": {"x": []}}), ErrorKind::SchemaMismatch, "not a number"),
        (json!({"by_actor": [[{"id": 1, "name": "a"}]]}), ErrorKind::SchemaMismatch, "[key, value] pairs"),
        (json!([1, 2]), ErrorKind::SchemaMismatch, "give it as an object"),
    ];
    for (json, expected_kind, expected_text) in cases {
        let (k, message) = kind(from_json(&json, "Everything", &engine));
        assert_eq!(k, expected_kind, "{json}: {message}");
        assert!(message.contains(expected_text), "{json}: {message}");
    }
    assert_eq!(kind(from_json(&json!({}), "Nope", &engine)).0, ErrorKind::NotFound);
}

// ----- errors ----------------------------------------------------------------------------------------

#[test]
fn a_conflicting_existing_schema_is_a_schema_mismatch() {
    let mut engine = WriteStateEngine::new();
    engine.add_schema(ObjectSchema::new("Actor").with_field(ObjectField::new("id", FieldType::String)).into()).unwrap();
    let (k, message) = kind(ObjectMapper::new().add(&mut engine, &Actor { id: 1, name: "a".into() }));
    assert_eq!(k, ErrorKind::SchemaMismatch, "{message}");
    assert!(message.contains("Actor.id"), "{message}");

    // A compatible existing schema (same fields, another order, one more) is used as it is.
    let mut engine = WriteStateEngine::new();
    engine
        .add_schema(ObjectSchema::new("String").with_field(ObjectField::new("value", FieldType::String)).into())
        .unwrap();
    engine
        .add_schema(
            ObjectSchema::new("Actor")
                .with_field(ObjectField::reference("name", "String"))
                .with_field(ObjectField::new("extra", FieldType::Long))
                .with_field(ObjectField::new("id", FieldType::Int))
                .into(),
        )
        .unwrap();
    let o = ObjectMapper::new().add(&mut engine, &Actor { id: 1, name: "a".into() }).unwrap();
    let state = snapshot(&mut engine);
    assert_eq!(mapper::get::<Actor>(&state, "Actor", o).unwrap(), Actor { id: 1, name: "a".into() });
}

#[test]
fn values_that_do_not_fit_the_schema_are_schema_mismatches() {
    let mut engine = WriteStateEngine::new();
    let mut m = ObjectMapper::new();
    m.initialize::<Movie>(&mut engine).unwrap();
    #[derive(Serialize)]
    struct Wrong {
        id: &'static str,
    }
    #[derive(Serialize)]
    struct Unknown {
        director: &'static str,
    }
    #[derive(Serialize)]
    struct Narrowing {
        id: i64,
        rating: i64,
    }
    for (value, text) in [
        (m.add_as(&mut engine, "Movie", &Wrong { id: "x" }), "Movie.id"),
        (m.add_as(&mut engine, "Movie", &Unknown { director: "x" }), "no field director"),
        (m.add_as(&mut engine, "Movie", &Narrowing { id: 1, rating: 2 }), "Movie.rating"),
        (m.add_as(&mut engine, "ListOfString", &5), "ListOfString"),
        (m.add_as(&mut engine, "Movie", &[1, 2]), "Movie"),
    ] {
        let (k, message) = kind(value);
        assert_eq!(k, ErrorKind::SchemaMismatch, "{message}");
        assert!(message.contains(text), "{message}");
    }
    assert_eq!(kind(m.add_as(&mut engine, "Nope", &5)).0, ErrorKind::NotFound);
}

#[test]
fn unsupported_shapes_are_clear_schema_errors() {
    #[derive(Serialize, Deserialize)]
    struct Node {
        value: i32,
        next: Option<Box<Node>>,
    }
    #[derive(Serialize, Deserialize)]
    struct WithTuple {
        pair: (i32, i32),
    }
    #[derive(Serialize, Deserialize)]
    enum Shape {
        Circle(f64),
        Square { side: f64 },
    }
    #[derive(Serialize, Deserialize)]
    struct WithShape {
        shape: Shape,
    }
    #[derive(Serialize, Deserialize)]
    struct WithJson {
        payload: serde_json::Value,
    }
    #[derive(Serialize, Deserialize)]
    struct WithI128 {
        big: i128,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Untagged {
        A(i32),
        B(String),
    }
    let mut engine = WriteStateEngine::new();
    let mut m = ObjectMapper::new();
    let node = Node { value: 1, next: None };
    for (result, text) in [
        (m.add(&mut engine, &node), "circular"),
        (m.add(&mut engine, &WithTuple { pair: (1, 2) }), "tuple"),
        (m.add(&mut engine, &WithShape { shape: Shape::Circle(1.0) }), "carries data"),
        (m.add(&mut engine, &WithJson { payload: json!(1) }), "deserialize_any"),
        (m.add(&mut engine, &WithI128 { big: 1 }), "128-bit"),
        (m.add(&mut engine, &Untagged::A(1)), "deserialize_any"),
        (m.add(&mut engine, &()), "()"),
    ] {
        let (k, message) = kind(result);
        assert_eq!(k, ErrorKind::Schema, "{message}");
        assert!(message.contains(text), "{message}");
    }
    // All or nothing: the failed derivations left no schema behind (not even String, met before the
    // tuple field in WithPrefix).
    #[derive(Serialize, Deserialize)]
    struct WithPrefix {
        name: String,
        pair: (i32, i32),
    }
    assert_eq!(kind(m.derive::<WithPrefix>()).0, ErrorKind::Schema);
    assert!(m.schemas().is_empty(), "{:?}", m.schemas());
    assert_eq!(engine.schemas().count(), 0);
}

#[test]
fn values_hollow_cannot_hold_are_invalid_arguments() {
    #[derive(Serialize, Deserialize)]
    struct Holes {
        items: Vec<Option<i32>>,
    }
    #[derive(Serialize, Deserialize)]
    struct Huge {
        n: u64,
    }
    let mut engine = WriteStateEngine::new();
    let mut m = ObjectMapper::new();
    let (k, message) = kind(m.add(&mut engine, &Holes { items: vec![Some(1), None] }));
    assert_eq!(k, ErrorKind::InvalidArgument, "{message}");
    assert!(message.contains("Holes.items[1]"), "{message}");
    assert!(m.add(&mut engine, &Holes { items: vec![Some(1)] }).is_ok());
    let (k, message) = kind(m.add(&mut engine, &Huge { n: u64::MAX }));
    assert_eq!(k, ErrorKind::InvalidArgument, "{message}");
    assert_eq!(m.add(&mut engine, &Huge { n: i64::MAX as u64 }).map(|_| ()).ok(), Some(()));
}

#[test]
fn two_types_with_one_name_are_a_schema_error() {
    mod a {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub struct Item {
            pub id: i32,
        }
    }
    mod b {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub struct Item {
            pub name: String,
        }
    }
    let mut m = ObjectMapper::new();
    m.derive::<a::Item>().unwrap();
    let e = m.derive::<b::Item>().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Schema, "{e}");
    assert!(e.to_string().contains("Item"), "{e}");
}

#[test]
fn misplaced_configuration_is_a_schema_error() {
    for m in [
        ObjectMapper::new().hash_key("Movie", "languages", ["value"]),
        ObjectMapper::new().inline_field("Movie", "awards"),
        ObjectMapper::new()
            .field_type_name("Movie", "id", "Id")
            .inline_field("Movie", "id")
            .reference_field("Movie", "id"),
    ] {
        let mut m = m;
        let e = m.derive::<Movie>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Schema, "{e}");
        assert!(e.to_string().contains("Movie."), "{e}");
    }
}

#[test]
fn reading_into_the_wrong_type_is_an_error_not_a_panic() {
    let mut engine = WriteStateEngine::new();
    let mut m = ObjectMapper::new();
    let o = m.add(&mut engine, &movie()).unwrap();
    let sparse = m.add(&mut engine, &Sparse::default()).unwrap();
    let state = snapshot(&mut engine);
    assert_eq!(kind(mapper::get::<Actor>(&state, "Movie", o)).0, ErrorKind::SchemaMismatch);
    assert_eq!(kind(mapper::get::<Vec<i32>>(&state, "Movie", o)).0, ErrorKind::SchemaMismatch);
    assert_eq!(kind(mapper::get::<i64>(&state, "Movie", o)).0, ErrorKind::SchemaMismatch);
    assert_eq!(kind(mapper::get::<Movie>(&state, "Nope", 0)).0, ErrorKind::NotFound);
    assert_eq!(kind(mapper::get::<Movie>(&state, "Movie", 99)).0, ErrorKind::NotFound);
    assert_eq!(kind(mapper::read_generic(&state, "Movie", 99)).0, ErrorKind::NotFound);
    // A null reference into a field that is not an Option: missing.
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Strict {
        title: String,
    }
    let (k, message) = kind(mapper::get::<Strict>(&state, "Sparse", sparse));
    assert_eq!(k, ErrorKind::SchemaMismatch);
    assert!(message.contains("title"), "{message}");
    // ...which #[serde(default)] accepts.
    #[derive(Deserialize, Debug)]
    struct Lenient {
        #[serde(default)]
        title: String,
    }
    assert_eq!(mapper::get::<Lenient>(&state, "Sparse", sparse).unwrap().title, "");
}

#[test]
fn deep_reference_chains_stop_with_an_error() {
    let node = ObjectSchema::new("Node")
        .with_field(ObjectField::new("v", FieldType::Int))
        .with_field(ObjectField::reference("next", "Node"));
    let mut engine = WriteStateEngine::new();
    engine.add_schema(node.into()).unwrap();
    let mut previous = None;
    for v in 0..300 {
        let mut r = ObjectRecord::new();
        r.set_int("v", v);
        if let Some(p) = previous {
            r.set_reference("next", p);
        }
        previous = Some(engine.add("Node", &r).unwrap());
    }
    let state = snapshot(&mut engine);
    let top = previous.unwrap();
    assert_eq!(kind(mapper::get::<serde_json::Value>(&state, "Node", top)).0, ErrorKind::CorruptBlob);
    assert_eq!(kind(mapper::read_generic(&state, "Node", top)).0, ErrorKind::CorruptBlob);
    assert!(mapper::read_generic(&state, "Node", 100).is_ok());

    // Writing a generic value nested that deep stops too.
    let mut value = GenericValue::Null;
    for v in 0..200 {
        value = GenericValue::Object {
            type_name: "Node".into(),
            fields: vec![("v".into(), GenericValue::Int(v)), ("next".into(), value)],
        };
    }
    let mut engine = WriteStateEngine::new();
    engine
        .add_schema(
            ObjectSchema::new("Node")
                .with_field(ObjectField::new("v", FieldType::Int))
                .with_field(ObjectField::reference("next", "Node"))
                .into(),
        )
        .unwrap();
    let (k, message) = kind(ObjectMapper::new().add_generic(&mut engine, &value));
    assert_eq!(k, ErrorKind::InvalidArgument, "{message}");
}

// ----- cycles -------------------------------------------------------------------------------------------

#[test]
fn a_mapper_serves_an_engine_across_cycles_and_deltas() {
    let mut engine = WriteStateEngine::new();
    let mut m = ObjectMapper::new().primary_key("Movie", ["id"]);
    let v1 = movie();
    m.add(&mut engine, &v1).unwrap();
    let mut blob = Vec::new();
    engine.write_snapshot(&mut blob).unwrap();
    let state1 = ReadStateEngine::from_snapshot(&blob).unwrap();
    engine.prepare_for_next_cycle();

    let mut v2 = movie();
    v2.id = 8;
    v2.countries.push("FR".into());
    m.add(&mut engine, &v1).unwrap();
    m.add(&mut engine, &v2).unwrap();
    let mut delta = Vec::new();
    engine.write_delta(&mut delta).unwrap();
    let state2 = state1.apply_delta(&delta).unwrap();
    let key = [GenericValue::Long(8)];
    assert_eq!(mapper::get_by_primary_key::<Movie>(&state2, "Movie", &key).unwrap(), Some(v2));
    assert_eq!(mapper::get_by_primary_key::<Movie>(&state1, "Movie", &key).unwrap(), None);
    assert_eq!(state2.type_state("Movie").unwrap().populated().count(), 2);
}

#[test]
fn flatten_is_rejected_at_derivation() {
    #[derive(Serialize, Deserialize)]
    struct Inner {
        a: i32,
    }
    #[derive(Serialize, Deserialize)]
    struct Outer {
        #[serde(flatten)]
        inner: Inner,
        b: i32,
    }
    let (k, message) = kind(ObjectMapper::new().derive::<Outer>());
    assert_eq!(k, ErrorKind::Schema, "{message}");
}

// ----- property: any value round trips ---------------------------------------------------------------

mod property {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Record {
        id: i64,
        name: String,
        inline_name: String,
        score: f64,
        small: i16,
        letter: char,
        maybe: Option<u32>,
        blob: Vec<u8>,
        tags: Vec<String>,
        unique: BTreeSet<i32>,
        counts: BTreeMap<String, i64>,
        children: Vec<Child>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Child {
        label: Option<String>,
        weight: f32,
    }

    fn child() -> impl Strategy<Value = Child> {
        (proptest::option::of(any::<String>()), any::<f32>().prop_filter("no NaN", |f| !f.is_nan()))
            .prop_map(|(label, weight)| Child { label, weight })
    }

    fn record() -> impl Strategy<Value = Record> {
        (
            (any::<i64>(), any::<String>(), any::<String>(), any::<f64>().prop_filter("no NaN", |f| !f.is_nan())),
            (any::<i16>(), any::<char>(), any::<Option<u32>>(), proptest::collection::vec(any::<u8>(), 0..20)),
            (
                proptest::collection::vec(any::<String>(), 0..5),
                proptest::collection::btree_set(any::<i32>(), 0..5),
                proptest::collection::btree_map(any::<String>(), any::<i64>(), 0..5),
                proptest::collection::vec(child(), 0..4),
            ),
        )
            .prop_map(
                |((id, name, inline_name, score), (small, letter, maybe, blob), (tags, unique, counts, children))| {
                    Record { id, name, inline_name, score, small, letter, maybe, blob, tags, unique, counts, children }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn records_round_trip(values in proptest::collection::vec(record(), 1..4)) {
            let mut engine = WriteStateEngine::new();
            let mut m = ObjectMapper::new().inline_field("Record", "inline_name");
            let ordinals: Vec<u32> = values.iter().map(|v| m.add(&mut engine, v).unwrap()).collect();
            let state = snapshot(&mut engine);
            for (value, &o) in values.iter().zip(&ordinals) {
                let back: Record = mapper::get(&state, "Record", o).unwrap();
                // Java's null rules: the minimums of i64 and i16 and '\0' come back as themselves.
                prop_assert_eq!(&back, value);
                // The generic reading of the record goes through JSON and back to the same record.
                let generic = mapper::read_generic(&state, "Record", o).unwrap();
                let again = from_json(&generic.to_json(), "Record", &state).unwrap();
                prop_assert_eq!(canonical(&again), canonical(&generic));
            }
        }
    }
}

// ----- with the producer and consumer -----------------------------------------------------------------

#[test]
fn a_producer_cycle_populated_through_the_mapper() {
    use hollow::consumer::Consumer;
    use hollow::producer::{Producer, SequenceVersionMinter};
    use hollow::store::memory::InMemoryBlobStore;
    use std::sync::Arc;

    let store = Arc::new(InMemoryBlobStore::new());
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(1)))
        .build()
        .unwrap();
    let mut m = ObjectMapper::new().primary_key("Movie", ["id"]);
    let (first, mut second) = (movie(), movie());
    second.id = 99;
    producer.run_cycle(|ws| m.add(ws.engine(), &first).map(drop)).unwrap();
    let v2 =
        producer.run_cycle(|ws| [&first, &second].iter().try_for_each(|mv| m.add(ws.engine(), *mv).map(drop))).unwrap();

    let consumer = Consumer::builder(store.clone()).with_announcement_watcher(store.clone()).build();
    assert_eq!(consumer.refresh().unwrap(), Some(v2));
    let state = consumer.read_state().unwrap();
    let found: Option<Movie> = mapper::get_by_primary_key(state.engine(), "Movie", &[GenericValue::Long(99)]).unwrap();
    assert_eq!(found, Some(second));
}

#[test]
fn a_type_that_rejects_the_tracers_placeholders_is_a_schema_error() {
    /// A string that must not be empty: its Deserialize rejects the tracer's "".
    #[derive(Serialize)]
    struct NonEmpty(String);
    impl<'de> Deserialize<'de> for NonEmpty {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            if s.is_empty() {
                return Err(serde::de::Error::custom("empty name"));
            }
            Ok(NonEmpty(s))
        }
    }
    #[derive(Serialize, Deserialize)]
    struct Named {
        name: NonEmpty,
    }
    let mut engine = WriteStateEngine::new();
    let (k, message) = kind(ObjectMapper::new().add(&mut engine, &Named { name: NonEmpty("x".into()) }));
    assert_eq!(k, ErrorKind::Schema, "{message}");
    assert!(message.contains("empty name") && message.contains("add_as"), "{message}");
    // The way out: register the schemas (here derived from a look-alike type) and write with add_as.
    #[derive(Serialize, Deserialize)]
    #[serde(rename = "Named")]
    struct NamedLike {
        name: String,
    }
    let mut m = ObjectMapper::new();
    m.initialize::<NamedLike>(&mut engine).unwrap();
    let o = m.add_as(&mut engine, "Named", &Named { name: NonEmpty("x".into()) }).unwrap();
    let state = snapshot(&mut engine);
    assert_eq!(mapper::get::<NamedLike>(&state, "Named", o).unwrap().name, "x");
}

#[test]
fn one_mapper_follows_each_engines_schemas() {
    // The mapper caches schemas; a cache filled from one engine must not guide writes into another
    // (even one at the same address), nor hide a type registered since.
    fn engine(text: &str) -> WriteStateEngine {
        let mut engine = WriteStateEngine::new();
        for schema in hollow::schema::dsl::parse_schemas(text).unwrap() {
            engine.add_schema(schema).unwrap();
        }
        engine
    }
    #[derive(Serialize)]
    struct Point<X> {
        x: X,
    }
    #[derive(Serialize)]
    struct Line {
        a: i32,
    }
    let mut m = ObjectMapper::new();
    for round in 0..3i32 {
        let mut ints = engine("Point { int x; }");
        m.add_as(&mut ints, "Point", &Point { x: round }).unwrap();
        let mut strings = engine("Point { string x; }");
        let (k, message) = kind(m.add_as(&mut strings, "Point", &Point { x: round }));
        assert_eq!(k, ErrorKind::SchemaMismatch, "{message}");
        m.add_as(&mut strings, "Point", &Point { x: "one" }).unwrap();
        let (k, _) = kind(m.add_as(&mut ints, "Point", &Point { x: "one" }));
        assert_eq!(k, ErrorKind::SchemaMismatch);
    }
    let mut e = engine("Point { int x; }");
    assert_eq!(kind(m.add_as(&mut e, "Line", &Line { a: 1 })).0, ErrorKind::NotFound);
    e.add_schema(hollow::schema::dsl::parse_schema("Line { int a; }").unwrap()).unwrap();
    let o = m.add_as(&mut e, "Line", &Line { a: 1 }).unwrap();
    assert_eq!(snapshot(&mut e).type_state("Line").map(|t| t.schema().name().to_owned()), Some("Line".into()));
    assert_eq!(o, 0);
}

#[test]
fn a_record_without_its_primary_key_is_refused() {
    let mut engine = WriteStateEngine::new();
    for schema in
        hollow::schema::dsl::parse_schemas("Movie @PrimaryKey(id) { long id; string title; int year; }").unwrap()
    {
        engine.add_schema(schema).unwrap();
    }
    #[derive(Serialize)]
    struct Movie {
        id: Option<i64>,
        title: &'static str,
    }
    let mut m = ObjectMapper::new();
    // Other fields may be missing (null, as in Java); the key may not be missing or null.
    m.add_json(&mut engine, "Movie", &json!({"id": 1})).unwrap();
    m.add_as(&mut engine, "Movie", &Movie { id: Some(2), title: "b" }).unwrap();
    for (k, message) in [
        kind(m.add_json(&mut engine, "Movie", &json!({"title": "x"}))),
        kind(m.add_json(&mut engine, "Movie", &json!({"id": null, "title": "x"}))),
        kind(m.add_as(&mut engine, "Movie", &Movie { id: None, title: "x" })),
        kind(m.add_dynamic(&mut engine, "Movie", &json!({"title": "x"}))),
    ] {
        assert_eq!(k, ErrorKind::InvalidArgument, "{message}");
        assert!(message.contains("Movie") && message.contains("primary key"), "{message}");
    }
    // A dynamic integer too large for an INT is out of range (a typed one is a mismatch of types).
    let (k, message) = kind(m.add_dynamic(&mut engine, "Movie", &json!({"id": 3, "year": 1i64 << 31})));
    assert_eq!(k, ErrorKind::InvalidArgument, "{message}");
    assert!(message.contains("Movie.year") && message.contains("2147483648 is out of range for an INT"), "{message}");
}

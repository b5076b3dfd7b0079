//! Round trip through generated code: the Rust views and Python dataclasses generated for the Java
//! vectors' `collections` schemas are checked in (`tests/generated/`); this test regenerates them and
//! compares (set HOLLOW_BLESS_GENERATED=1 to rewrite them), then reads every record of every version
//! through the generated Rust views and compares with the Java consumer's dumps.

mod common;

// Generated code is checked as generated, not reformatted.
#[rustfmt::skip]
#[allow(dead_code)]
#[path = "generated/collections.rs"]
mod collections;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::PathBuf;

use collections::Api;
use hollow::codegen::{generate, Language};
use hollow::{ReadState, ReadStateEngine};
use serde_json::{json, Value};

const SCENARIO: &str = "collections";

/// Counts the allocations of each test thread, so that tests running in parallel do not disturb it.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter only observes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: the allocator also runs while thread-locals are being torn down.
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes through `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

fn generated_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/generated")
}

fn snapshot_state(version: i64) -> ReadState {
    let blob = common::read_blob(SCENARIO, &format!("snapshot-{version}"));
    ReadState::new(version, ReadStateEngine::from_snapshot(&blob).unwrap())
}

/// The checked-in schema file is the schemas of the scenario's last snapshot, in the schema language.
fn schema_text() -> String {
    let last = *common::versions(SCENARIO).last().unwrap();
    let state = snapshot_state(last);
    state.engine().schemas().map(|s| format!("{}\n", hollow::schema::dsl::to_java_string(s))).collect()
}

fn check_generated(file: &str, actual: &str) {
    let path = generated_dir().join(file);
    if std::env::var_os("HOLLOW_BLESS_GENERATED").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} is not what the generator makes now; rerun with HOLLOW_BLESS_GENERATED=1 and review the diff",
        path.display()
    );
}

#[test]
fn generated_files_are_current() {
    let text = schema_text();
    check_generated("collections.schema", &text);
    let schemas = hollow::parse_schemas(&text).unwrap();
    check_generated("collections.rs", &generate(Language::Rust, &schemas).unwrap());
    check_generated("collections.py", &generate(Language::Python, &schemas).unwrap());
}

fn reference<T>(view: Option<T>, ordinal: impl Fn(&T) -> u32) -> Value {
    view.map_or(Value::Null, |v| json!({ "ref": ordinal(&v) }))
}

macro_rules! elements {
    ($view:expr) => {{
        let view = $view;
        let elements: Vec<u32> = view.iter().map(|e| e.ordinal()).collect();
        json!({ "size": view.len(), "elements": elements })
    }};
}

macro_rules! entries {
    ($view:expr) => {{
        let view = $view;
        let entries: Vec<[u32; 2]> = view.iter().map(|(k, v)| [k.ordinal(), v.ordinal()]).collect();
        json!({ "size": view.len(), "entries": entries })
    }};
}

/// Record `ordinal` of `type_name` read through the generated views, in the dumps' layout.
fn record_json(api: &Api<'_>, type_name: &str, ordinal: u32) -> Value {
    match type_name {
        "Address" => {
            let a = api.address(ordinal).expect("a populated record");
            json!({ "city": reference(a.city(), |s| s.ordinal()), "zip": a.zip() })
        }
        "Integer" => json!({ "value": api.integer(ordinal).expect("a populated record").value() }),
        "Long" => json!({ "value": api.long(ordinal).expect("a populated record").value() }),
        "String" => json!({ "value": api.string(ordinal).expect("a populated record").value() }),
        "Person" => {
            let p = api.person(ordinal).expect("a populated record");
            json!({ "personId": p.person_id(), "name": p.name() })
        }
        "Role" => {
            let r = api.role(ordinal).expect("a populated record");
            json!({ "name": reference(r.name(), |s| s.ordinal()), "lead": r.lead() })
        }
        "Studio" => {
            let s = api.studio(ordinal).expect("a populated record");
            json!({ "name": s.name(), "address": reference(s.address(), |a| a.ordinal()) })
        }
        "Show" => {
            let s = api.show(ordinal).expect("a populated record");
            json!({
                "id": s.id(),
                "title": s.title(),
                "tags": reference(s.tags(), |v| v.ordinal()),
                "seasons": reference(s.seasons(), |v| v.ordinal()),
                "counters": reference(s.counters(), |v| v.ordinal()),
                "cast": reference(s.cast(), |v| v.ordinal()),
                "crew": reference(s.crew(), |v| v.ordinal()),
                "roles": reference(s.roles(), |v| v.ordinal()),
                "episodesBySeason": reference(s.episodes_by_season(), |v| v.ordinal()),
                "nestedLists": reference(s.nested_lists(), |v| v.ordinal()),
                "studio": reference(s.studio(), |v| v.ordinal()),
                "keywords": reference(s.keywords(), |v| v.ordinal()),
            })
        }
        "ListOfInteger" => elements!(api.list_of_integer(ordinal).expect("a populated record")),
        "ListOfListOfString" => elements!(api.list_of_list_of_string(ordinal).expect("a populated record")),
        "ListOfPerson" => elements!(api.list_of_person(ordinal).expect("a populated record")),
        "ListOfString" => elements!(api.list_of_string(ordinal).expect("a populated record")),
        "SetOfInteger" => elements!(api.set_of_integer(ordinal).expect("a populated record")),
        "SetOfPerson" => elements!(api.set_of_person(ordinal).expect("a populated record")),
        "SetOfString" => elements!(api.set_of_string(ordinal).expect("a populated record")),
        "MapOfPersonToRole" => entries!(api.map_of_person_to_role(ordinal).expect("a populated record")),
        "MapOfStringToListOfInteger" => {
            entries!(api.map_of_string_to_list_of_integer(ordinal).expect("a populated record"))
        }
        "MapOfStringToLong" => entries!(api.map_of_string_to_long(ordinal).expect("a populated record")),
        other => panic!("type {other} is not in the generated API"),
    }
}

/// The populated ordinals of `type_name`, through the generated `*_records` iterators.
fn ordinals(api: &Api<'_>, type_name: &str) -> Vec<u32> {
    match type_name {
        "Address" => api.address_records().map(|v| v.ordinal()).collect(),
        "Integer" => api.integer_records().map(|v| v.ordinal()).collect(),
        "Long" => api.long_records().map(|v| v.ordinal()).collect(),
        "String" => api.string_records().map(|v| v.ordinal()).collect(),
        "Person" => api.person_records().map(|v| v.ordinal()).collect(),
        "Role" => api.role_records().map(|v| v.ordinal()).collect(),
        "Studio" => api.studio_records().map(|v| v.ordinal()).collect(),
        "Show" => api.show_records().map(|v| v.ordinal()).collect(),
        "ListOfInteger" => api.list_of_integer_records().map(|v| v.ordinal()).collect(),
        "ListOfListOfString" => api.list_of_list_of_string_records().map(|v| v.ordinal()).collect(),
        "ListOfPerson" => api.list_of_person_records().map(|v| v.ordinal()).collect(),
        "ListOfString" => api.list_of_string_records().map(|v| v.ordinal()).collect(),
        "SetOfInteger" => api.set_of_integer_records().map(|v| v.ordinal()).collect(),
        "SetOfPerson" => api.set_of_person_records().map(|v| v.ordinal()).collect(),
        "SetOfString" => api.set_of_string_records().map(|v| v.ordinal()).collect(),
        "MapOfPersonToRole" => api.map_of_person_to_role_records().map(|v| v.ordinal()).collect(),
        "MapOfStringToListOfInteger" => api.map_of_string_to_list_of_integer_records().map(|v| v.ordinal()).collect(),
        "MapOfStringToLong" => api.map_of_string_to_long_records().map(|v| v.ordinal()).collect(),
        other => panic!("type {other} is not in the generated API"),
    }
}

#[test]
fn every_record_reads_through_the_generated_views_as_java_dumped_it() {
    for version in common::versions(SCENARIO) {
        let state = snapshot_state(version);
        let api = Api::new(&state).unwrap();
        let expected: Value = serde_json::from_str(&common::read_expected(SCENARIO, version)).unwrap();
        let mut records = 0;
        for t in expected["types"].as_array().unwrap() {
            let type_name = t["schema"]["name"].as_str().unwrap();
            let populated: Vec<u32> =
                t["populatedOrdinals"].as_array().unwrap().iter().map(|o| o.as_u64().unwrap() as u32).collect();
            assert_eq!(ordinals(&api, type_name), populated, "v{version} {type_name} ordinals");
            for record in t["records"].as_array().unwrap() {
                let ordinal = record["ordinal"].as_u64().unwrap() as u32;
                let mut want = record["value"].clone();
                if let Some(fields) = want.as_object_mut() {
                    fields.remove("buckets");
                }
                assert_eq!(record_json(&api, type_name, ordinal), want, "v{version} {type_name} {ordinal}");
                records += 1;
            }
        }
        assert!(records > 80, "v{version}: only {records} records compared");
    }
}

#[test]
fn views_follow_references_and_look_up_primary_keys() {
    let version = common::versions(SCENARIO)[0];
    let state = snapshot_state(version);
    let api = Api::new(&state).unwrap();
    let show = api.show_by_key(1).unwrap().expect("show 1");
    assert_eq!(show.id(), Some(1));
    let studio = show.studio().expect("studio");
    let city = studio.address().and_then(|a| a.city()).and_then(|c| c.value()).expect("city");
    let name = studio.name().expect("studio name");
    // The composite key (name, address.city.value) finds the same studio.
    let found = api.studio_by_key(&name, &city).unwrap().expect("studio by key");
    assert_eq!(found.ordinal(), studio.ordinal());
    assert!(api.studio_by_key(&name, "Atlantis").unwrap().is_none());
    assert!(api.show_by_key(12345).unwrap().is_none());
    // Lists and maps iterate as views of their elements.
    let tags: Vec<String> = show.tags().unwrap().iter().filter_map(|s| s.value()).map(|s| s.into_owned()).collect();
    assert_eq!(tags.len(), show.tags().unwrap().len());
    let first_cast = show.cast().and_then(|c| c.get(0)).expect("cast");
    assert_eq!(api.person_by_key(first_cast.person_id().unwrap()).unwrap().unwrap().ordinal(), first_cast.ordinal());
    for (person, role) in show.roles().unwrap().iter() {
        assert!(person.name().is_some() && role.lead().is_some());
    }
}

#[test]
fn a_state_whose_kinds_differ_from_the_generated_code_is_refused() {
    // `Show.id` is a LONG in the generated code: a state where it is a STRING cannot be read by it.
    let schemas = hollow::parse_schemas("Show @PrimaryKey(id) { string id; }").unwrap();
    let mut engine = hollow::WriteStateEngine::new();
    for schema in schemas {
        engine.add_schema(schema).unwrap();
    }
    let mut blob = Vec::new();
    engine.write_snapshot(&mut blob).unwrap();
    let state = ReadState::new(1, ReadStateEngine::from_snapshot(&blob).unwrap());
    match Api::new(&state) {
        Err(hollow::Error::SchemaMismatch(message)) => assert!(message.contains("Show.id"), "{message}"),
        other => panic!("expected a schema mismatch, got {other:?}"),
    }
    // Types the state lacks read as empty.
    let empty = ReadState::new(1, ReadStateEngine::default());
    let api = Api::new(&empty).unwrap();
    assert_eq!(api.show_records().count(), 0);
    assert!(api.show_by_key(1).unwrap().is_none());
}

#[test]
fn reading_through_views_does_not_allocate() {
    let version = common::versions(SCENARIO)[0];
    let state = snapshot_state(version);
    let api = Api::new(&state).unwrap();
    api.show_by_key(1).unwrap(); // builds the primary-key index, once
    let before = allocations();
    let (mut sum, mut text, mut elements) = (0_i64, 0_usize, 0_usize);
    for show in api.show_records() {
        sum += show.id().unwrap_or(0);
        // ASCII strings are borrowed from the engine.
        text += show.title().map_or(0, |t| t.len());
        let studio = show.studio();
        text += studio.and_then(|s| s.name()).map_or(0, |n| n.len());
        text += studio.and_then(|s| s.address()).and_then(|a| a.city()).and_then(|c| c.value()).map_or(0, |c| c.len());
        elements += show.tags().map_or(0, |t| t.iter().count());
        elements += show.roles().map_or(0, |r| r.iter().filter(|(p, _)| p.person_id().is_some()).count());
        elements += show.seasons().map_or(0, |s| s.iter().filter_map(|i| i.value()).count());
        sum += i64::from(api.show_by_key(show.id().unwrap()).unwrap().is_some());
    }
    assert_eq!(allocations() - before, 0, "reads through generated views allocated");
    assert!(sum > 0 && text > 0 && elements > 0, "nothing was read: {sum} {text} {elements}");
    // The counter does see this thread's allocations.
    let before = allocations();
    let names: Vec<String> = api.studio_records().filter_map(|s| s.name()).map(|n| n.into_owned()).collect();
    assert!(!names.is_empty() && allocations() > before);
}

//! Engine-level tests: the worked examples of the format notes (exact bytes verified against Java),
//! ordinal lifecycle, sharding and error handling.

use super::*;
use crate::blob::BlobHeader;
use crate::encoding::hash::{hash_int, java_string_hash};
use crate::encoding::ByteReader;
use crate::schema::{FieldType, ListSchema, MapSchema, ObjectField, ObjectSchema, Schema, SetSchema};
use crate::Error;

fn movie_schema() -> Schema {
    ObjectSchema::new("Movie")
        .with_field(ObjectField::new("id", FieldType::Int))
        .with_field(ObjectField::new("title", FieldType::String))
        .with_primary_key(["id"])
        .into()
}

fn int_type(name: &str) -> Schema {
    ObjectSchema::new(name).with_field(ObjectField::new("value", FieldType::Int)).into()
}

fn add_ints(engine: &mut WriteStateEngine, type_name: &str, values: impl IntoIterator<Item = i32>) -> Vec<u32> {
    values
        .into_iter()
        .map(|v| {
            let mut r = ObjectRecord::new();
            r.set_int("value", v);
            engine.add(type_name, &r).unwrap()
        })
        .collect()
}

fn movie(id: i32, title: Option<&str>) -> ObjectRecord {
    let mut r = ObjectRecord::new();
    r.set_int("id", id);
    if let Some(t) = title {
        r.set_string("title", t);
    }
    r
}

/// Split a blob into its header and the bytes after it.
fn split(blob: &[u8]) -> (BlobHeader, Vec<u8>) {
    let mut r = ByteReader::new(blob);
    let header = BlobHeader::read(&mut r).unwrap();
    (header, blob[r.position() as usize..].to_vec())
}

/// The body of a single-type blob after the type's schema: `VarInt 1`, then the schema bytes.
fn type_body(blob: &[u8], schema: &Schema) -> Vec<u8> {
    let (_, body) = split(blob);
    let mut schema_bytes = Vec::new();
    crate::schema::codec::write_schema(&mut schema_bytes, schema).unwrap();
    assert_eq!(body[0], 1, "one type section");
    assert_eq!(&body[1..1 + schema_bytes.len()], &schema_bytes[..]);
    body[1 + schema_bytes.len()..].to_vec()
}

/// Find `section` (a type's schema) in a multi-type blob body and return what follows it.
fn section_after<'a>(body: &'a [u8], schema: &Schema) -> &'a [u8] {
    let mut schema_bytes = Vec::new();
    crate::schema::codec::write_schema(&mut schema_bytes, schema).unwrap();
    let at = body.windows(schema_bytes.len()).position(|w| w == &schema_bytes[..]).expect("type section present");
    &body[at + schema_bytes.len()..]
}

fn long(v: u64) -> [u8; 8] {
    v.to_be_bytes()
}

#[test]
fn worked_example_object_snapshot() {
    // Format notes §3.4.
    let mut engine = WriteStateEngine::new();
    engine.add_schema(movie_schema()).unwrap();
    engine.override_next_randomized_tag(0x1111_1111_1111_1111);
    assert_eq!(engine.add("Movie", &movie(1, Some("Ab"))).unwrap(), 0);
    assert_eq!(engine.add("Movie", &movie(-2, None)).unwrap(), 1);
    let mut blob = Vec::new();
    engine.write_snapshot(&mut blob).unwrap();

    let mut schema = Vec::new();
    crate::schema::codec::write_schema(&mut schema, &movie_schema()).unwrap();
    let mut expected = vec![0, 0, 4, 6];
    expected.extend_from_slice(&[0xFF; 8]);
    expected.extend_from_slice(&[0x11; 8]);
    expected.push(0x29);
    expected.push(1);
    expected.extend_from_slice(&schema);
    expected.extend_from_slice(&[0, 0, 0]); // forward-compat 0, no header tags
    expected.push(1);
    expected.extend_from_slice(&schema);
    expected.extend_from_slice(&[2, 0, 1, 1, 3, 3, 1]);
    expected.extend_from_slice(&long(0xCD2));
    expected.extend_from_slice(&[0, 2, b'A', b'b']);
    expected.extend_from_slice(&[0, 0, 1, 0]);
    expected.extend_from_slice(&long(3));
    expected.extend_from_slice(&[0; 255 * 8]);
    assert_eq!(blob, expected);
}

#[test]
fn worked_example_object_delta_and_reverse_delta() {
    // Format notes §5.1: v1 {0:(1,"Ab"), 1:(-2,null)} → v2 {0:(1,"Ab"), 2:(3,"é")}.
    let mut engine = WriteStateEngine::new();
    engine.add_schema(movie_schema()).unwrap();
    engine.add("Movie", &movie(1, Some("Ab"))).unwrap();
    engine.add("Movie", &movie(-2, None)).unwrap();
    engine.write_snapshot(&mut Vec::new()).unwrap();
    let v1_tag = engine.next_randomized_tag();

    engine.prepare_for_next_cycle();
    assert_eq!(engine.previous_randomized_tag(), v1_tag);
    assert_eq!(engine.add("Movie", &movie(1, Some("Ab"))).unwrap(), 0);
    assert_eq!(engine.add("Movie", &movie(3, Some("é"))).unwrap(), 2, "ordinal 1 is not reused yet");
    let (mut delta, mut reverse) = (Vec::new(), Vec::new());
    engine.write_delta(&mut delta).unwrap();
    engine.write_reverse_delta(&mut reverse).unwrap();

    let mut expected = vec![2, 0, 1, 2, 1, 1, 1, 2, 3, 4, 1];
    expected.extend_from_slice(&long(0x16));
    expected.extend_from_slice(&[0, 2, 0x81, 0x69]);
    assert_eq!(type_body(&delta, &movie_schema()), expected);

    let mut expected = vec![2, 0, 1, 2, 1, 2, 1, 1, 3, 4, 1];
    expected.extend_from_slice(&long(0x43));
    expected.extend_from_slice(&[0, 0]);
    assert_eq!(type_body(&reverse, &movie_schema()), expected);

    let (dh, _) = split(&delta);
    let (rh, _) = split(&reverse);
    assert_eq!((dh.origin_tag, dh.destination_tag), (v1_tag, engine.next_randomized_tag()));
    assert_eq!((rh.origin_tag, rh.destination_tag), (engine.next_randomized_tag(), v1_tag));
}

#[test]
fn worked_example_list() {
    // Format notes §4.1: list [3, 1] over element type S.
    let mut engine = WriteStateEngine::new();
    let list_schema: Schema = ListSchema { name: "ListOfS".into(), element_type: "S".into() }.into();
    engine.add_schema(int_type("S")).unwrap();
    engine.add_schema(list_schema.clone()).unwrap();
    add_ints(&mut engine, "S", 0..4);
    engine.add("ListOfS", &[3, 1].into_iter().collect::<ListRecord>()).unwrap();
    let mut blob = Vec::new();
    engine.write_snapshot(&mut blob).unwrap();
    let (_, body) = split(&blob);
    let mut expected = vec![2, 0, 1, 0, 2, 2, 2, 1];
    expected.extend_from_slice(&long(0x2));
    expected.push(1);
    expected.extend_from_slice(&long(0x7));
    expected.extend_from_slice(&[0, 0, 1, 0]);
    expected.extend_from_slice(&long(1));
    assert_eq!(&section_after(&body, &list_schema)[..expected.len()], &expected[..]);
}

#[test]
fn worked_example_set_without_hash_key() {
    // Format notes §4.2: {0, 2, 4} → buckets [4, 2, empty, 0].
    let mut engine = WriteStateEngine::new();
    let set_schema: Schema = SetSchema { name: "SetOfS".into(), element_type: "S".into(), hash_key: None }.into();
    engine.add_schema(int_type("S")).unwrap();
    engine.add_schema(set_schema.clone()).unwrap();
    add_ints(&mut engine, "S", 0..5);
    engine.add("SetOfS", &[4, 0, 2].into_iter().collect::<SetRecord>()).unwrap();
    let mut blob = Vec::new();
    engine.write_snapshot(&mut blob).unwrap();
    let (_, body) = split(&blob);
    let mut expected = vec![2, 0, 1, 0, 3, 2, 3, 4, 1];
    expected.extend_from_slice(&long(0x1C));
    expected.push(1);
    expected.extend_from_slice(&long(0x1D4));
    assert_eq!(&section_after(&body, &set_schema)[..expected.len()], &expected[..]);
}

#[test]
fn worked_example_map() {
    // Format notes §4.3: {1→2, 3→4} → buckets [3→4, empty, 1→2, empty].
    let mut engine = WriteStateEngine::new();
    let map_schema: Schema =
        MapSchema { name: "MapOfSToS".into(), key_type: "S".into(), value_type: "S".into(), hash_key: None }.into();
    engine.add_schema(int_type("S")).unwrap();
    engine.add_schema(map_schema.clone()).unwrap();
    add_ints(&mut engine, "S", 0..5);
    engine.add("MapOfSToS", &[(3, 4), (1, 2)].into_iter().collect::<MapRecord>()).unwrap();
    let mut blob = Vec::new();
    engine.write_snapshot(&mut blob).unwrap();
    let (_, body) = split(&blob);
    // pointer bits 3, size bits 2, key bits 3, value bits 3, 4 buckets; (pointer 4 | size 2 << 3).
    let mut expected = vec![2, 0, 1, 0, 3, 2, 3, 3, 4, 1];
    expected.extend_from_slice(&long(4 | 2 << 3));
    expected.push(1);
    expected.extend_from_slice(&long(0x1D_11E3));
    assert_eq!(&section_after(&body, &map_schema)[..expected.len()], &expected[..]);
}

#[test]
fn hash_key_places_elements_by_field_values() {
    // Format notes §4.2: "alpha", "beta", "gamma" land in buckets hashInt(s.hashCode()) & 3.
    let string: Schema = ObjectSchema::new("String").with_field(ObjectField::new("value", FieldType::String)).into();
    let set_schema: Schema =
        SetSchema { name: "SetOfString".into(), element_type: "String".into(), hash_key: Some(vec!["value".into()]) }
            .into();
    let mut engine = WriteStateEngine::new();
    engine.add_schema(string).unwrap();
    engine.add_schema(set_schema.clone()).unwrap();
    let words = ["alpha", "beta", "gamma"];
    let ordinals: Vec<u32> = words
        .iter()
        .map(|w| {
            let mut r = ObjectRecord::new();
            r.set_string("value", w);
            engine.add("String", &r).unwrap()
        })
        .collect();
    engine.add("SetOfString", &ordinals.iter().copied().collect::<SetRecord>()).unwrap();
    let mut blob = Vec::new();
    engine.write_snapshot(&mut blob).unwrap();
    let (_, body) = split(&blob);
    let shard = section_after(&body, &set_schema);
    // 02 00 01 | maxShardOrdinal 0 | pointer bits 3 | size bits 2 | element bits 2 | total 4 | 1 long
    assert_eq!(&shard[..9], &[2, 0, 1, 0, 3, 2, 2, 4, 1]);
    let buckets = u64::from_be_bytes(shard[18..26].try_into().unwrap());
    let mut expected = [3u64; 4];
    for (w, &o) in words.iter().zip(&ordinals) {
        let mut b = (hash_int(java_string_hash(w)) & 3) as usize;
        while expected[b] != 3 {
            b = (b + 1) & 3;
        }
        expected[b] = o as u64;
    }
    let expected_word = expected.iter().enumerate().fold(0, |acc, (i, &e)| acc | e << (2 * i));
    assert_eq!(buckets, expected_word);
}

#[test]
fn ordinals_are_stable_and_freed_ones_wait_a_cycle() {
    let mut engine = WriteStateEngine::new();
    engine.add_schema(int_type("S")).unwrap();
    assert_eq!(add_ints(&mut engine, "S", [10, 20, 30]), [0, 1, 2]);
    assert_eq!(add_ints(&mut engine, "S", [20]), [1], "duplicates share an ordinal");
    engine.write_snapshot(&mut Vec::new()).unwrap();

    engine.prepare_for_next_cycle();
    assert_eq!(add_ints(&mut engine, "S", [10, 30, 40]), [0, 2, 3]);
    engine.write_delta(&mut Vec::new()).unwrap();

    engine.prepare_for_next_cycle();
    assert_eq!(add_ints(&mut engine, "S", [50, 60, 10]), [1, 4, 0], "ordinal 1 is free again");
    assert_eq!(engine.populated_ordinals("S").unwrap(), [0, 1, 4]);
    engine.write_delta(&mut Vec::new()).unwrap();

    engine.prepare_for_next_cycle();
    assert_eq!(add_ints(&mut engine, "S", [20]), [2], "a record removed two cycles ago is new again");
}

#[test]
fn unchanged_types_are_left_out_of_deltas() {
    let mut engine = WriteStateEngine::new();
    engine.add_schema(int_type("A")).unwrap();
    engine.add_schema(int_type("B")).unwrap();
    add_ints(&mut engine, "A", [1]);
    add_ints(&mut engine, "B", [1]);
    engine.write_snapshot(&mut Vec::new()).unwrap();
    engine.prepare_for_next_cycle();
    add_ints(&mut engine, "A", [1]);
    add_ints(&mut engine, "B", [2]);
    assert!(engine.has_changed_since_last_cycle());
    let mut delta = Vec::new();
    engine.write_delta(&mut delta).unwrap();
    let (header, body) = split(&delta);
    assert_eq!(header.schemas, [int_type("B")]);
    assert_eq!(body[0], 1);

    engine.prepare_for_next_cycle();
    add_ints(&mut engine, "A", [1]);
    add_ints(&mut engine, "B", [2]);
    assert!(!engine.has_changed_since_last_cycle());
}

#[test]
fn header_tags_and_randomized_tags_chain() {
    let mut engine = WriteStateEngine::new();
    engine.seed_randomized_tags(42);
    engine.add_schema(int_type("S")).unwrap();
    engine.set_header_tag("k", "v1");
    add_ints(&mut engine, "S", [1]);
    let mut snapshot = Vec::new();
    engine.write_snapshot(&mut snapshot).unwrap();
    let (h1, _) = split(&snapshot);
    assert_eq!(h1.origin_tag, NO_STATE_TAG);
    assert_eq!(h1.tag("k"), Some("v1"));

    engine.prepare_for_next_cycle();
    engine.set_header_tag("k", "v2");
    add_ints(&mut engine, "S", [2]);
    let (mut snapshot, mut delta, mut reverse) = (Vec::new(), Vec::new(), Vec::new());
    engine.write_snapshot(&mut snapshot).unwrap();
    engine.write_delta(&mut delta).unwrap();
    engine.write_reverse_delta(&mut reverse).unwrap();
    let (s2, d2, r2) = (split(&snapshot).0, split(&delta).0, split(&reverse).0);
    assert_eq!((s2.origin_tag, s2.destination_tag), (h1.destination_tag, engine.next_randomized_tag()));
    assert_eq!((d2.origin_tag, d2.destination_tag), (s2.origin_tag, s2.destination_tag));
    assert_eq!((r2.origin_tag, r2.destination_tag), (s2.destination_tag, s2.origin_tag));
    assert_eq!(d2.tag("k"), Some("v2"));
    assert_eq!(r2.tag("k"), Some("v1"), "a reverse delta carries the previous state's tags");
    assert_ne!(s2.destination_tag as u64 >> 32, s2.origin_tag as u64 >> 32);

    let mut header_blob = Vec::new();
    engine.write_header_blob(&mut header_blob).unwrap();
    let (hb, rest) = split(&header_blob);
    assert_eq!(hb.schemas, [int_type("S")]);
    assert_eq!(rest, [1]);
}

#[test]
fn shard_counts_follow_the_target_size_and_reshard_one_step_per_cycle() {
    let mut engine = WriteStateEngine::new();
    engine.add_schema(int_type("S")).unwrap();
    engine.set_target_max_type_shard_size(64);
    engine.set_allow_type_resharding(true);
    // 1000 records of ~10 bits: ~1.3 KB, so 32 shards are wanted; the first cycle takes them at once.
    add_ints(&mut engine, "S", 0..1000);
    engine.write_snapshot(&mut Vec::new()).unwrap();
    assert_eq!(engine.num_shards("S"), Some(32));
    assert_eq!(engine.header_tag(crate::blob::TAG_RESHARDING_INVOKED), None);

    // Far more data: the count only doubles.
    engine.prepare_for_next_cycle();
    engine.set_target_max_type_shard_size(8);
    add_ints(&mut engine, "S", 0..1000);
    let (mut delta, mut reverse) = (Vec::new(), Vec::new());
    engine.write_delta(&mut delta).unwrap();
    engine.write_reverse_delta(&mut reverse).unwrap();
    assert_eq!(engine.num_shards("S"), Some(64));
    assert_eq!(engine.header_tag(crate::blob::TAG_RESHARDING_INVOKED), Some("S:(32,64)"));
    // Nothing but the shard count changed, and that alone puts the type in the deltas.
    let (_, d) = split(&delta);
    let (_, r) = split(&reverse);
    let schema_len = 1 + 2 + 1 + 2 + 2 + 5 + 2 + 3;
    assert_eq!(&d[1 + schema_len..1 + schema_len + 3], &[2, 0, 64]);
    assert_eq!(&r[1 + schema_len..1 + schema_len + 3], &[2, 0, 32]);

    // Without resharding the count stays put.
    engine.prepare_for_next_cycle();
    engine.set_allow_type_resharding(false);
    engine.set_target_max_type_shard_size(1 << 40);
    add_ints(&mut engine, "S", 0..1000);
    engine.write_snapshot(&mut Vec::new()).unwrap();
    assert_eq!(engine.num_shards("S"), Some(64));
    assert_eq!(engine.header_tag(crate::blob::TAG_RESHARDING_INVOKED), None);
}

#[test]
fn reset_abandons_the_cycle() {
    let mut engine = WriteStateEngine::new();
    engine.add_schema(int_type("S")).unwrap();
    add_ints(&mut engine, "S", [1, 2]);
    engine.write_snapshot(&mut Vec::new()).unwrap();
    engine.prepare_for_next_cycle();
    let tag = engine.next_randomized_tag();
    add_ints(&mut engine, "S", [1, 3]);
    engine.write_snapshot(&mut Vec::new()).unwrap();
    engine.reset_to_last_prepare_for_next_cycle();
    assert_ne!(engine.next_randomized_tag(), tag);
    assert_eq!(engine.populated_ordinals("S").unwrap(), Vec::<u32>::new());
    assert_eq!(add_ints(&mut engine, "S", [1, 4]), [0, 2], "2 is the smallest ordinal not in the previous state");
}

#[test]
fn records_that_do_not_fit_are_errors() {
    let mut engine = WriteStateEngine::new();
    engine.add_schema(movie_schema()).unwrap();
    engine.add_schema(ListSchema { name: "ListOfMovie".into(), element_type: "Movie".into() }.into()).unwrap();
    assert!(matches!(engine.add("Nope", &movie(1, None)), Err(Error::NotFound(_))));
    let mut r = ObjectRecord::new();
    r.set_string("id", "1");
    assert!(matches!(engine.add("Movie", &r), Err(Error::SchemaMismatch(_))));
    assert!(matches!(engine.add("Movie", &ListRecord::new()), Err(Error::SchemaMismatch(_))));
    assert!(matches!(engine.add("ListOfMovie", &movie(1, None)), Err(Error::SchemaMismatch(_))));
    let dangling: ListRecord = [7].into_iter().collect();
    assert!(matches!(engine.add("ListOfMovie", &dangling), Err(Error::InvalidArgument(_))));
    assert!(matches!(engine.add_schema(movie_schema()), Err(Error::Schema(_))));
    // Nothing was added by the failures.
    assert_eq!(engine.add("Movie", &movie(1, None)).unwrap(), 0);
    engine.write_snapshot(&mut Vec::new()).unwrap();
    assert!(matches!(engine.add("Movie", &movie(2, None)), Err(Error::InvalidArgument(_))));
    assert!(engine.set_num_shards("Movie", 3).is_err());
    assert!(engine.set_num_shards("Movie", 2).is_err(), "already written with 1 shard");
}

#[test]
fn bad_hash_key_is_an_error_when_writing() {
    let mut engine = WriteStateEngine::new();
    engine.add_schema(movie_schema()).unwrap();
    engine
        .add_schema(
            SetSchema { name: "SetOfMovie".into(), element_type: "Movie".into(), hash_key: Some(vec!["nope".into()]) }
                .into(),
        )
        .unwrap();
    let m = engine.add("Movie", &movie(1, None)).unwrap();
    engine.add("SetOfMovie", &[m].into_iter().collect::<SetRecord>()).unwrap();
    let mut out = vec![9];
    assert!(matches!(engine.write_snapshot(&mut out), Err(Error::Schema(_))));
    assert_eq!(out, [9], "nothing is appended on error");
}

#[test]
fn null_string_hash_key_is_an_error_and_unbound_key_falls_back() {
    let string: Schema = ObjectSchema::new("String").with_field(ObjectField::new("value", FieldType::String)).into();
    let mut engine = WriteStateEngine::new();
    engine.add_schema(string).unwrap();
    engine
        .add_schema(
            SetSchema {
                name: "SetOfString".into(),
                element_type: "String".into(),
                hash_key: Some(vec!["value".into()]),
            }
            .into(),
        )
        .unwrap();
    let null = engine.add("String", &ObjectRecord::new()).unwrap();
    engine.add("SetOfString", &[null].into_iter().collect::<SetRecord>()).unwrap();
    assert!(matches!(engine.write_snapshot(&mut Vec::new()), Err(Error::InvalidArgument(_))));

    // Element type not registered: placement falls back to the ordinal hash, as in Java.
    let mut engine = WriteStateEngine::new();
    engine
        .add_schema(
            SetSchema { name: "SetOfX".into(), element_type: "X".into(), hash_key: Some(vec!["id".into()]) }.into(),
        )
        .unwrap();
    engine.add("SetOfX", &[0, 1].into_iter().collect::<SetRecord>()).unwrap();
    engine.write_snapshot(&mut Vec::new()).unwrap();
}

#[test]
fn populated_bitset_length_follows_javas_history() {
    // Verified with Java Hollow 7.14.51: 20,000 records in cycle 1, then a single record per cycle.
    // Every snapshot's populated bitset has 512 longs: cycle 2 because its max ordinal (19,999, a
    // ghost) is read; cycles 3 and 4 because each bitset object keeps the segments it once had.
    let mut engine = WriteStateEngine::new();
    engine.add_schema(int_type("S")).unwrap();
    for (cycle, values) in [0..20_000, 0..1, 0..1, 5..6].into_iter().enumerate() {
        engine.prepare_for_next_cycle();
        add_ints(&mut engine, "S", values);
        let mut snapshot = Vec::new();
        engine.write_snapshot(&mut snapshot).unwrap();
        if cycle > 0 {
            engine.write_delta(&mut Vec::new()).unwrap();
            engine.write_reverse_delta(&mut Vec::new()).unwrap();
        }
        let at = snapshot.len() - 4 - 512 * 8;
        assert_eq!(&snapshot[at..at + 4], &512i32.to_be_bytes(), "cycle {}", cycle + 1);
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Int(usize, i32),
        Long(usize, i64),
        Float(usize, f32),
        Double(usize, f64),
        Bool(usize, bool),
        Str(usize, String),
        Utf16(usize, Vec<u16>),
        Bytes(usize, Vec<u8>),
        Ref(usize, u32),
        Null(usize),
        Named(String, i32),
    }

    const FIELDS: [&str; 8] = ["i", "l", "f", "d", "b", "s", "y", "r"];

    fn schema() -> Schema {
        ObjectSchema::new("T")
            .with_field(ObjectField::new("i", FieldType::Int))
            .with_field(ObjectField::new("l", FieldType::Long))
            .with_field(ObjectField::new("f", FieldType::Float))
            .with_field(ObjectField::new("d", FieldType::Double))
            .with_field(ObjectField::new("b", FieldType::Boolean))
            .with_field(ObjectField::new("s", FieldType::String))
            .with_field(ObjectField::new("y", FieldType::Bytes))
            .with_field(ObjectField::reference("r", "T"))
            .into()
    }

    fn op() -> impl Strategy<Value = Op> {
        let f = 0usize..10;
        prop_oneof![
            (f.clone(), any::<i32>()).prop_map(|(f, v)| Op::Int(f, v)),
            (f.clone(), any::<i64>()).prop_map(|(f, v)| Op::Long(f, v)),
            (f.clone(), any::<f32>()).prop_map(|(f, v)| Op::Float(f, v)),
            (f.clone(), any::<f64>()).prop_map(|(f, v)| Op::Double(f, v)),
            (f.clone(), any::<bool>()).prop_map(|(f, v)| Op::Bool(f, v)),
            (f.clone(), ".{0,8}").prop_map(|(f, v)| Op::Str(f, v)),
            (f.clone(), prop::collection::vec(any::<u16>(), 0..6)).prop_map(|(f, v)| Op::Utf16(f, v)),
            (f.clone(), prop::collection::vec(any::<u8>(), 0..6)).prop_map(|(f, v)| Op::Bytes(f, v)),
            (f.clone(), prop_oneof![0u32..4, any::<u32>()]).prop_map(|(f, v)| Op::Ref(f, v)),
            f.clone().prop_map(Op::Null),
            ("[a-z]{1,2}", any::<i32>()).prop_map(|(n, v)| Op::Named(n, v)),
        ]
    }

    fn apply(r: &mut ObjectRecord, op: &Op) {
        // Field indexes 0..8 go by name half of the time; 8 and 9 are out of range.
        let field = |i: usize| -> FieldRef {
            if i < FIELDS.len() && i.is_multiple_of(2) {
                FIELDS[i].into()
            } else {
                i.into()
            }
        };
        match op {
            Op::Int(f, v) => r.set_int(field(*f), *v),
            Op::Long(f, v) => r.set_long(field(*f), *v),
            Op::Float(f, v) => r.set_float(field(*f), *v),
            Op::Double(f, v) => r.set_double(field(*f), *v),
            Op::Bool(f, v) => r.set_boolean(field(*f), *v),
            Op::Str(f, v) => r.set_string(field(*f), v),
            Op::Utf16(f, v) => r.set_string_utf16(field(*f), v),
            Op::Bytes(f, v) => r.set_bytes(field(*f), v),
            Op::Ref(f, v) => r.set_reference(field(*f), *v),
            Op::Null(f) => r.set_null(field(*f)),
            Op::Named(n, v) => r.set_int(n.clone(), *v),
        };
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any record either fits (and the cycle writes) or is refused with a typed error; nothing
        /// panics, refused records change nothing, and equal records share an ordinal.
        #[test]
        fn arbitrary_records_never_panic(records in prop::collection::vec(prop::collection::vec(op(), 0..6), 1..12),
                                         sets in prop::collection::vec(prop::collection::vec(0u32..20, 0..5), 0..4)) {
            let mut engine = WriteStateEngine::new();
            engine.add_schema(schema()).unwrap();
            engine.add_schema(SetSchema { name: "SetOfT".into(), element_type: "T".into(), hash_key: Some(vec!["s".into()]) }.into()).unwrap();
            let mut accepted = Vec::new();
            for ops in &records {
                let mut r = ObjectRecord::new();
                ops.iter().for_each(|op| apply(&mut r, op));
                match engine.add("T", &r) {
                    Ok(o) => {
                        prop_assert_eq!(engine.add("T", &r).unwrap(), o);
                        accepted.push(o);
                    }
                    Err(Error::SchemaMismatch(_) | Error::InvalidArgument(_)) => {}
                    Err(e) => prop_assert!(false, "unexpected error {e}"),
                }
            }
            prop_assert_eq!(engine.populated_ordinals("T").unwrap().len(), {
                let mut a = accepted.clone(); a.sort_unstable(); a.dedup(); a.len()
            });
            for s in &sets {
                let r: SetRecord = s.iter().copied().collect();
                match engine.add("SetOfT", &r) {
                    Ok(_) | Err(Error::InvalidArgument(_)) => {}
                    Err(e) => prop_assert!(false, "unexpected error {e}"),
                }
            }
            // A null hash-key string is refused when writing, with the output untouched.
            let mut out = Vec::new();
            match engine.write_snapshot(&mut out) {
                Ok(()) => prop_assert!(!out.is_empty()),
                Err(Error::InvalidArgument(_)) => prop_assert!(out.is_empty()),
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
    }
}

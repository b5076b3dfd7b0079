//! Engine tests on hand-built blobs (the worked examples of the format doc) and on hostile input.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::parallel_load::tests::with_threads;
use super::*;
use crate::blob::{envelope, BlobHeader};
use crate::encoding::varint;
use crate::schema::{codec, FieldType, ListSchema, MapSchema, ObjectField, ObjectSchema, Schema, SetSchema};
use crate::Error;

fn movie() -> Schema {
    ObjectSchema::new("Movie")
        .with_field(ObjectField::new("id", FieldType::Int))
        .with_field(ObjectField::new("title", FieldType::String))
        .with_primary_key(["id"])
        .into()
}

/// A blob: header with `schemas`, then `sections` as (schema, numShards, body bytes).
fn blob(origin: i64, destination: i64, sections: &[(&Schema, u32, Vec<u8>)]) -> Vec<u8> {
    let mut tags = BTreeMap::new();
    tags.insert("hollow.blob.to.version".to_owned(), destination.to_string());
    let header = BlobHeader {
        origin_tag: origin,
        destination_tag: destination,
        schemas: sections.iter().map(|(s, _, _)| (*s).clone()).collect(),
        tags,
    };
    let mut out = Vec::new();
    header.write(&mut out).unwrap();
    varint::write_usize(&mut out, sections.len());
    for (schema, shards, body) in sections {
        codec::write_schema(&mut out, schema).unwrap();
        envelope::write_num_shards(&mut out, *shards);
        out.extend_from_slice(body);
    }
    out
}

fn long(v: u64) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// The populated bitset as Java writes it: one 256-long segment.
fn populated(ordinals: &[u32]) -> Vec<u8> {
    let mut out = Vec::new();
    crate::blob::populated::write(&mut out, ordinals, 256);
    out
}

/// Format doc §3.4: Movie {1,"Ab"}, {-2,null}.
fn movie_v1() -> Vec<u8> {
    let mut body = vec![0x01, 0x03, 0x03, 0x01];
    body.extend(long(0xCD2));
    body.extend([0x00, 0x02, b'A', b'b']);
    body.extend(populated(&[0, 1]));
    blob(-1, 0x1111_1111_1111_1111, &[(&movie(), 1, body)])
}

/// Format doc §5.1, forward: remove 1, add 2 = (3, "é").
fn movie_delta() -> Vec<u8> {
    let mut body = vec![0x02, 0x01, 0x01, 0x01, 0x02, 0x03, 0x04, 0x01];
    body.extend(long(0x16));
    body.extend([0x00, 0x02, 0x81, 0x69]);
    blob(0x1111_1111_1111_1111, 0x2222, &[(&movie(), 1, body)])
}

/// Format doc §5.1, reverse: remove 2, add 1 = (-2, null).
fn movie_reverse_delta() -> Vec<u8> {
    let mut body = vec![0x02, 0x01, 0x02, 0x01, 0x01, 0x03, 0x04, 0x01];
    body.extend(long(0x43));
    body.extend([0x00, 0x00]);
    blob(0x2222, 0x1111_1111_1111_1111, &[(&movie(), 1, body)])
}

#[test]
fn object_snapshot_worked_example() {
    let bytes = movie_v1();
    // The bytes of format doc §3.4, header included.
    assert_eq!(&bytes[..4], &[0, 0, 4, 6]);
    let e = ReadStateEngine::from_snapshot(&bytes).unwrap();
    assert_eq!(e.randomized_tag(), 0x1111_1111_1111_1111);
    assert_eq!(e.origin_tag(), -1);
    assert_eq!(e.type_names(), ["Movie"]);
    let m = e.object("Movie").unwrap();
    assert_eq!((m.max_ordinal(), m.populated().iter().collect::<Vec<_>>()), (1, vec![0, 1]));
    assert_eq!(m.read_int(0, 0), Some(1));
    assert_eq!(m.read_string(0, 1).as_deref(), Some("Ab"));
    assert!(matches!(m.read_string(0, 1), Some(std::borrow::Cow::Borrowed(_))));
    assert!(m.string_equals(0, 1, "Ab") && !m.string_equals(0, 1, "A"));
    assert_eq!(m.read_int(1, 0), Some(-2));
    assert_eq!(m.read_string(1, 1), None);
    assert!(m.is_null(1, 1) && !m.is_null(1, 0));
    assert_eq!(m.read_raw(1, 0), Some((3, 3)));
    // Out of range: no data, no panic.
    assert_eq!(m.read_int(2, 0), None);
    assert_eq!(m.read_int(0, 2), None);
    assert!(m.is_null(u32::MAX, 0));
    assert_eq!(m.read_bytes(0, 0), None, "INT field has no bytes");
    assert_eq!(e.type_state("Movie").unwrap().num_shards(), 1);
    assert!(e.list("Movie").is_none() && e.object("Nope").is_none());
}

#[test]
fn delta_and_reverse_delta_worked_example() {
    let v1 = ReadStateEngine::from_snapshot(&movie_v1()).unwrap();
    let v2 = v1.apply_delta(&movie_delta()).unwrap();
    assert_eq!(v2.randomized_tag(), 0x2222);
    assert_eq!(v2.header_tags()["hollow.blob.to.version"], "8738");
    let m = v2.object("Movie").unwrap();
    assert_eq!(m.populated().iter().collect::<Vec<_>>(), [0, 2]);
    assert_eq!(m.max_ordinal(), 2);
    assert_eq!((m.read_int(2, 0), m.read_string(2, 1).as_deref()), (Some(3), Some("é")));
    assert_eq!(m.read_string_utf16(2, 1), Some(vec![0xE9]));
    assert_eq!((m.read_int(0, 0), m.read_string(0, 1).as_deref()), (Some(1), Some("Ab")));
    // Ordinal 1 was removed: no longer populated, but still readable until the next delta (a ghost).
    assert_eq!(m.read_int(1, 0), Some(-2));
    assert!(m.is_null(1, 1));
    // The state the delta was applied to is untouched.
    assert_eq!(v1.object("Movie").unwrap().populated().iter().collect::<Vec<_>>(), [0, 1]);
    assert_eq!(v1.object("Movie").unwrap().read_int(2, 0), None);
    // A delta applies only to its origin state.
    assert!(matches!(
        v2.apply_delta(&movie_delta()),
        Err(Error::TagMismatch { origin: 0x1111_1111_1111_1111, current: 0x2222 })
    ));

    let back = v2.apply_reverse_delta(&movie_reverse_delta()).unwrap();
    let m = back.object("Movie").unwrap();
    assert_eq!(back.randomized_tag(), 0x1111_1111_1111_1111);
    assert_eq!(m.populated().iter().collect::<Vec<_>>(), [0, 1]);
    assert_eq!((m.read_int(1, 0), m.read_string(1, 1)), (Some(-2), None));
    assert_eq!((m.read_int(0, 0), m.read_string(0, 1).as_deref()), (Some(1), Some("Ab")));
    // Java keeps the newer state's maxOrdinal after a reverse delta, and 2 is now the ghost.
    assert_eq!(m.max_ordinal(), 2);
    assert_eq!((m.read_int(2, 0), m.read_string(2, 1).as_deref()), (Some(3), Some("é")));
    // One more delta drops the ghost's data.
    let again = back
        .apply_delta(&blob(0x1111_1111_1111_1111, 0x3333, &[(&movie(), 1, empty_object_delta(2, &[3, 4]))]))
        .unwrap();
    let m = again.object("Movie").unwrap();
    // As in Java: a dropped record's fixed fields are zero, its STRING empty (non-null stays non-null).
    assert_eq!(m.read_int(2, 0), Some(0));
    assert_eq!(m.read_string(2, 1).as_deref(), Some(""));
    assert_eq!((m.read_int(1, 0), m.read_int(0, 0)), (Some(-2), Some(1)));
}

/// An OBJECT delta shard that changes nothing: max ordinal, no removals or additions, widths, no data.
fn empty_object_delta(max: u8, widths: &[u8]) -> Vec<u8> {
    let mut body = vec![max, 0x00, 0x00];
    body.extend(widths);
    body.push(0x00);
    body.extend(std::iter::repeat_n(0x00, widths.len()));
    body
}

#[test]
fn delta_fields_map_by_name() {
    // The delta's schema has the fields the other way round, plus one the state does not know and
    // without `id`: added records get null there and `title` is found by name.
    let evolved: Schema = ObjectSchema::new("Movie")
        .with_field(ObjectField::new("rating", FieldType::Double))
        .with_field(ObjectField::new("title", FieldType::String))
        .into();
    // max 2, no removals, adds 2; widths rating 64, title 4; two longs: the rating, then title's end 2.
    let mut body = vec![0x02, 0x00, 0x01, 0x02, 0x40, 0x04, 0x02];
    body.extend(long(2.5f64.to_bits()));
    body.extend(long(0b0010));
    body.extend([0x00, 0x02, b'Z', b'z']);
    let v1 = ReadStateEngine::from_snapshot(&movie_v1()).unwrap();
    let v2 = v1.apply_delta(&blob(0x1111_1111_1111_1111, 5, &[(&evolved, 1, body)])).unwrap();
    let m = v2.object("Movie").unwrap();
    assert_eq!(m.schema(), movie().as_object().unwrap(), "the state keeps its schema");
    assert_eq!(m.read_string(2, 1).as_deref(), Some("Zz"));
    assert_eq!(m.read_int(2, 0), None, "a field missing from the delta is null in added records");
    assert_eq!((m.read_int(0, 0), m.read_string(0, 1).as_deref()), (Some(1), Some("Ab")));
    assert_eq!((m.read_int(1, 0), m.read_string(1, 1)), (Some(-2), None));
}

fn strings_schema(name: &str) -> Schema {
    ObjectSchema::new(name).with_field(ObjectField::new("value", FieldType::String)).into()
}

#[test]
fn collection_snapshots_worked_examples() {
    let s = strings_schema("S");
    let list: Schema = ListSchema { name: "L".into(), element_type: "S".into() }.into();
    let set: Schema = SetSchema { name: "T".into(), element_type: "S".into(), hash_key: None }.into();
    let map: Schema =
        MapSchema { name: "M".into(), key_type: "S".into(), value_type: "S".into(), hash_key: None }.into();
    // §4.1: list [3, 1].
    let mut list_body = vec![0x00, 0x02, 0x02, 0x02, 0x01];
    list_body.extend(long(0x2));
    list_body.push(0x01);
    list_body.extend(long(0x7));
    list_body.extend(populated(&[0]));
    // §4.2: set {0, 2, 4}: buckets [4, 2, empty, 0].
    let mut set_body = vec![0x00, 0x03, 0x02, 0x03, 0x04, 0x01];
    set_body.extend(long(0x1c));
    set_body.push(0x01);
    set_body.extend(long(0x1d4));
    set_body.extend(populated(&[0]));
    // §4.3: map {1 -> 2, 3 -> 4}: buckets [3->4, empty, 1->2, empty].
    let mut map_body = vec![0x00, 0x03, 0x02, 0x03, 0x03, 0x04, 0x01];
    map_body.extend(long(0x14));
    map_body.push(0x01);
    map_body.extend(long(0x1D11E3));
    map_body.extend(populated(&[0]));
    let mut s_body = vec![0x00, 0x02, 0x01];
    s_body.extend(long(0));
    s_body.push(0x00);
    s_body.extend(populated(&[]));
    let mut bytes = blob(-1, 7, &[(&s, 1, s_body), (&list, 1, list_body), (&set, 1, set_body), (&map, 1, map_body)]);
    bytes.extend([0xDE, 0xAD]); // trailing bytes are tolerated
    let e = ReadStateEngine::from_snapshot(&bytes).unwrap();
    assert_eq!(e.type_names(), ["L", "M", "S", "T"]);

    let l = e.list("L").unwrap();
    assert_eq!((l.size(0), l.elements(0).collect::<Vec<_>>()), (2, vec![3, 1]));
    assert_eq!((l.element_ordinal(0, 1), l.element_ordinal(0, 2)), (Some(1), None));
    assert_eq!((l.size(1), l.elements(1).count()), (0, 0));

    let t = e.set("T").unwrap();
    assert_eq!((t.size(0), t.num_buckets(0)), (3, 4));
    assert_eq!((0..4).map(|b| t.bucket(0, b)).collect::<Vec<_>>(), [Some(4), Some(2), None, Some(0)]);
    assert_eq!(t.elements(0).collect::<Vec<_>>(), [4, 2, 0]);
    assert!(t.contains_ordinal(0, 0) && t.contains_ordinal(0, 2) && t.contains_ordinal(0, 4));
    assert!(!t.contains_ordinal(0, 1) && !t.contains_ordinal(0, 3) && !t.contains_ordinal(5, 0));
    assert_eq!(t.bucket(0, 4), None);

    let m = e.map("M").unwrap();
    assert_eq!((m.size(0), m.num_buckets(0)), (2, 4));
    assert_eq!((0..4).map(|b| m.bucket(0, b)).collect::<Vec<_>>(), [Some((3, 4)), None, Some((1, 2)), None]);
    assert_eq!(m.entries(0).collect::<Vec<_>>(), [(3, 4), (1, 2)]);
    assert_eq!(
        (m.get_by_key_ordinal(0, 1), m.get_by_key_ordinal(0, 3), m.get_by_key_ordinal(0, 2)),
        (Some(2), Some(4), None)
    );
    assert!(lookup::set_contains(&e, "T", 0, 2).unwrap());
    assert_eq!(lookup::map_get(&e, "M", 0, 3).unwrap(), Some(4));
}

fn vector(scenario: &str, file: &str) -> Vec<u8> {
    let path = format!("{}/tests/vectors/{scenario}/blobs/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const V1: &str = "20250101000000001";
const V2: &str = "20250101000000002";

/// Everything an accessor can say about a record, to compare two states.
fn describe(state: &TypeReadState, ord: u32) -> String {
    match state {
        TypeReadState::Object(o) => (0..o.schema().fields.len())
            .map(|f| match o.field_type(f).unwrap() {
                FieldType::Int => format!("{:?}", o.read_int(ord, f)),
                FieldType::Long => format!("{:?}", o.read_long(ord, f)),
                FieldType::Boolean => format!("{:?}", o.read_boolean(ord, f)),
                FieldType::Float => format!("{:?}", o.read_float_bits(ord, f)),
                FieldType::Double => format!("{:?}", o.read_double_bits(ord, f)),
                FieldType::Reference => format!("{:?}", o.read_ordinal(ord, f)),
                FieldType::String | FieldType::Bytes => format!("{:?}/{}", o.read_bytes(ord, f), o.is_null(ord, f)),
            })
            .collect::<Vec<_>>()
            .join(","),
        TypeReadState::List(l) => format!("{:?}", l.elements(ord).collect::<Vec<_>>()),
        TypeReadState::Set(s) => {
            format!("{} {:?}", s.size(ord), (0..s.num_buckets(ord)).map(|b| s.bucket(ord, b)).collect::<Vec<_>>())
        }
        TypeReadState::Map(m) => {
            format!("{} {:?}", m.size(ord), (0..m.num_buckets(ord)).map(|b| m.bucket(ord, b)).collect::<Vec<_>>())
        }
    }
}

/// Every record with data, populated or not.
fn describe_all(state: &TypeReadState) -> Vec<String> {
    (0..=state.max_ordinal().max(-1) + 1).map(|o| describe(state, o as u32)).collect()
}

#[test]
fn resharding_keeps_every_record() {
    for (scenario, file) in [("collections", format!("snapshot-{V2}")), ("sharded", format!("snapshot-{V1}"))] {
        let e = ReadStateEngine::from_snapshot(&vector(scenario, &file)).unwrap();
        for t in e.types() {
            let before = describe_all(t);
            for n in [1, 2, 4, 16, 2, 1] {
                let r = t.with_num_shards(n);
                assert_eq!(r.num_shards(), n);
                assert_eq!(describe_all(&r), before, "{scenario} {} over {n} shards", t.name());
                let back = r.with_num_shards(t.num_shards());
                assert_eq!(describe_all(&back), before, "{scenario} {} back from {n} shards", t.name());
            }
        }
    }
}

#[test]
fn untouched_types_are_shared() {
    // Mapped, so that the sharing is not undone by the release of a mostly replaced blob buffer.
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, &vector("sharded", &format!("snapshot-{V1}"))).unwrap();
    let delta = vector("sharded", &format!("delta-{V1}-{V2}"));
    let v1 = ReadStateEngine::from_snapshot_file(file.path(), crate::mapped::MappingMode::Shared).unwrap();
    let v2 = v1.apply_delta(&delta).unwrap();
    // String is absent from this delta (manifest: "String is absent from the sharded v1->v2 delta").
    assert!(v2.shares_type_with(&v1, "String"));
    assert!(!v2.shares_type_with(&v1, "Item"));
    // From a blob buffer: the delta replaces Item, most of the blob, so String is copied out of the
    // buffer (see `read/retention.rs`) and the new state no longer reads it.
    let v1 = ReadStateEngine::from_snapshot(&vector("sharded", &format!("snapshot-{V1}"))).unwrap();
    let v2 = v1.apply_delta(&delta).unwrap();
    assert!(v1.blob_buffer_bytes() > 0);
    assert_eq!(v2.blob_buffer_bytes(), 0);
    assert!(!v2.shares_type_with(&v1, "String"));
    assert_eq!(describe_all(v2.type_state("String").unwrap()), describe_all(v1.type_state("String").unwrap()));
}

#[test]
fn unknown_types_in_a_delta_are_skipped() {
    // The delta carries types the state does not have, of all four kinds and sharded, before the one it
    // has: each is skipped by its length fields.
    let v1 = ReadStateEngine::from_snapshot(&movie_v1()).unwrap();
    let forward = movie_delta();
    let movie_section_len = {
        let e = v1.apply_delta(&forward).unwrap();
        assert_eq!(e.object("Movie").unwrap().populated().count(), 2);
        let (_, tail) = forward.split_at(forward.len() - 16);
        tail.len()
    };
    let _ = movie_section_len;
    let other = strings_schema("Other");
    let list: Schema = ListSchema { name: "L".into(), element_type: "Other".into() }.into();
    let set: Schema =
        SetSchema { name: "T".into(), element_type: "Other".into(), hash_key: Some(vec!["value".into()]) }.into();
    let map: Schema =
        MapSchema { name: "M".into(), key_type: "Other".into(), value_type: "Other".into(), hash_key: None }.into();
    let mut other_body = vec![0x01]; // two shards: type max ordinal 1
    for _ in 0..2 {
        other_body.extend([0x00, 0x00, 0x01, 0x00, 0x02, 0x01]);
        other_body.extend(long(0x1));
        other_body.extend([0x01, b'x']);
    }
    let mut list_body = vec![0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x01];
    list_body.extend(long(1));
    list_body.push(0x01);
    list_body.extend(long(0));
    let mut set_body = vec![0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01];
    set_body.extend(long(0b110));
    set_body.push(0x01);
    set_body.extend(long(0b10));
    let mut map_body = vec![0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01];
    map_body.extend(long(0b11));
    map_body.push(0x00);
    let mut movie_body = vec![0x02, 0x01, 0x01, 0x01, 0x02, 0x03, 0x04, 0x01];
    movie_body.extend(long(0x16));
    movie_body.extend([0x00, 0x02, 0x81, 0x69]);
    let delta = blob(
        0x1111_1111_1111_1111,
        0x2222,
        &[
            (&other, 2, other_body),
            (&list, 1, list_body),
            (&set, 1, set_body),
            (&map, 1, map_body),
            (&movie(), 1, movie_body),
        ],
    );
    let v2 = v1.apply_delta(&delta).unwrap();
    assert_eq!(v2.type_names(), ["Movie"]);
    assert_eq!(v2.object("Movie").unwrap().read_string(2, 1).as_deref(), Some("é"));
}

#[test]
fn a_type_changing_kind_is_an_error() {
    let v1 = ReadStateEngine::from_snapshot(&movie_v1()).unwrap();
    let as_list: Schema = ListSchema { name: "Movie".into(), element_type: "X".into() }.into();
    let mut body = vec![0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00];
    body.truncate(8);
    let err = v1.apply_delta(&blob(0x1111_1111_1111_1111, 2, &[(&as_list, 1, body)])).unwrap_err();
    assert!(err.to_string().contains("Movie"), "{err}");
}

/// Read everything a dump would, to make sure nothing panics on whatever state a blob produced.
fn read_everything(e: &ReadStateEngine) {
    for t in e.types() {
        for o in t.populated().iter().take(2000) {
            let _ = describe(t, o);
            if let TypeReadState::Object(obj) = t {
                for f in 0..obj.schema().fields.len() {
                    let _ = (
                        obj.read_string(o, f),
                        obj.read_string_utf16(o, f),
                        obj.read_int(o, f),
                        obj.read_ordinal(o, f),
                    );
                }
            }
            if let TypeReadState::Set(s) = t {
                let _ = s.contains_ordinal(o, 0);
            }
            if let TypeReadState::Map(m) = t {
                let _ = m.get_by_key_ordinal(o, 0);
            }
        }
        let _ = describe(t, t.max_ordinal().max(0) as u32 + 1);
    }
}

/// A deterministic xorshift, to damage blobs reproducibly.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn truncated_blobs_are_errors_not_panics() {
    let snapshot = vector("collections", &format!("snapshot-{V1}"));
    let delta = vector("collections", &format!("delta-{V1}-{V2}"));
    let base = ReadStateEngine::from_snapshot(&snapshot).unwrap();
    let step = |len: usize| if len > 4000 { 7 } else { 1 };
    let mut n = 0;
    while n < snapshot.len() {
        match ReadStateEngine::from_snapshot(&snapshot[..n]) {
            Err(Error::CorruptBlob { .. }) | Err(Error::UnsupportedVersion { .. }) => {}
            Err(e) => panic!("prefix {n}: unexpected {e}"),
            Ok(e) => read_everything(&e), // a prefix can end between type sections' bitsets only by luck
        }
        n += step(snapshot.len());
    }
    for n in 0..delta.len() {
        match base.apply_delta(&delta[..n]) {
            Err(Error::CorruptBlob { .. }) | Err(Error::UnsupportedVersion { .. }) => {}
            Err(e) => panic!("delta prefix {n}: unexpected {e}"),
            Ok(e) => read_everything(&e),
        }
    }
}

#[test]
fn damaged_blobs_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for scenario in ["strings", "primitives", "collections"] {
        let snapshot = vector(scenario, &format!("snapshot-{V1}"));
        let delta = vector(scenario, &format!("delta-{V1}-{V2}"));
        let base = ReadStateEngine::from_snapshot(&snapshot).unwrap();
        for _ in 0..300 {
            let mut s = snapshot.clone();
            let mut d = delta.clone();
            for _ in 0..1 + rng.next() % 4 {
                let i = (rng.next() as usize) % s.len();
                s[i] ^= 1 << (rng.next() % 8);
                let j = (rng.next() as usize) % d.len();
                d[j] = rng.next() as u8;
            }
            if let Ok(e) = ReadStateEngine::from_snapshot(&s) {
                read_everything(&e);
                if let Ok(next) = e.apply_delta(&delta) {
                    read_everything(&next);
                }
            }
            if let Ok(next) = base.apply_delta(&d) {
                read_everything(&next);
            }
        }
    }
}

#[test]
fn hostile_sizes_are_rejected_before_allocating() {
    // A shard claiming 2^30 records in a few bytes of fixed data.
    let mut body = vec![0x84, 0x80, 0x80, 0x80, 0x00, 0x03, 0x03, 0x01];
    body.extend(long(0));
    body.extend([0x00, 0x00]);
    body.extend(populated(&[]));
    assert!(matches!(
        ReadStateEngine::from_snapshot(&blob(-1, 1, &[(&movie(), 1, body)])),
        Err(Error::CorruptBlob { .. })
    ));
    // Offsets that go past the heap.
    let mut body = vec![0x00, 0x03, 0x03, 0x01];
    body.extend(long(0b111_000));
    body.extend([0x00, 0x02, b'A', b'b']);
    body.extend(populated(&[0]));
    let err = ReadStateEngine::from_snapshot(&blob(-1, 1, &[(&movie(), 1, body)])).unwrap_err();
    assert!(err.to_string().contains("Movie"), "{err}");
    // Widths above 64 bits.
    let mut body = vec![0x00, 0x41, 0x03, 0x01];
    body.extend(long(0));
    body.extend([0x00, 0x00]);
    assert!(ReadStateEngine::from_snapshot(&blob(-1, 1, &[(&movie(), 1, body)])).is_err());
    // A delta growing a type far beyond anything it adds.
    let v1 = ReadStateEngine::from_snapshot(&movie_v1()).unwrap();
    let mut body = vec![0x84, 0x80, 0x80, 0x80, 0x00, 0x00, 0x00, 0x03, 0x04, 0x00, 0x00, 0x00];
    body.truncate(12);
    assert!(matches!(
        v1.apply_delta(&blob(0x1111_1111_1111_1111, 2, &[(&movie(), 1, body)])),
        Err(Error::CorruptBlob { .. })
    ));
}

#[test]
#[ignore]
/// Timings of a 1M-record load, full read and 1% delta: `cargo test perf_probe -- --ignored --nocapture`.
fn perf_probe() {
    // 1M records {int id; string title} in one shard; then a delta changing 1% of them.
    let n: u64 = 1_000_000;
    let mut fixed = crate::encoding::BitArray::zeroed_bits(n * 56);
    let mut heap = Vec::new();
    for i in 0..n {
        heap.extend_from_slice(format!("title{i}").as_bytes());
        fixed.set(i * 56, 24, crate::encoding::zigzag::encode_i32(i as i32) as u64);
        fixed.set(i * 56 + 24, 32, heap.len() as u64);
    }
    let mut body = Vec::new();
    varint::write_i32(&mut body, (n - 1) as i32);
    body.extend([24, 32]);
    varint::write_usize(&mut body, fixed.num_words());
    fixed.write_words(&mut body, fixed.num_words());
    body.push(0);
    varint::write_usize(&mut body, heap.len());
    body.extend_from_slice(&heap);
    let ords: Vec<u32> = (0..n as u32).collect();
    crate::blob::populated::write(&mut body, &ords, crate::blob::populated::java_num_longs(Some(n as u32 - 1)));
    let snap = blob(-1, 1, &[(&movie(), 1, body)]);
    let t = std::time::Instant::now();
    let e = ReadStateEngine::from_snapshot(&snap).unwrap();
    eprintln!("load {} MB: {:?}", snap.len() >> 20, t.elapsed());
    let m = e.object("Movie").unwrap();
    let t = std::time::Instant::now();
    let mut total = 0i64;
    let mut len = 0usize;
    for o in 0..n as u32 {
        total += m.read_int(o, 0).unwrap() as i64;
        len += m.read_string(o, 1).unwrap().len();
    }
    eprintln!("read 1M ints+strings: {:?} ({total} {len})", t.elapsed());
    // Delta: remove every 100th, add them back with new titles.
    let changed: Vec<u32> = (0..n as u32).step_by(100).collect();
    let mut dfixed = crate::encoding::BitArray::zeroed_bits(changed.len() as u64 * 56);
    let mut dheap = Vec::new();
    for (k, &o) in changed.iter().enumerate() {
        dheap.extend_from_slice(format!("new{o}").as_bytes());
        dfixed.set(k as u64 * 56, 24, crate::encoding::zigzag::encode_i32(o as i32) as u64);
        dfixed.set(k as u64 * 56 + 24, 32, dheap.len() as u64);
    }
    let mut body = Vec::new();
    varint::write_i32(&mut body, (n - 1) as i32);
    crate::encoding::gap::write(&mut body, &changed);
    crate::encoding::gap::write(&mut body, &changed);
    body.extend([24, 32]);
    varint::write_usize(&mut body, dfixed.num_words());
    dfixed.write_words(&mut body, dfixed.num_words());
    body.push(0);
    varint::write_usize(&mut body, dheap.len());
    body.extend_from_slice(&dheap);
    let delta = blob(1, 2, &[(&movie(), 1, body)]);
    let t = std::time::Instant::now();
    let e2 = e.apply_delta(&delta).unwrap();
    eprintln!("delta 1%: {:?}", t.elapsed());
    assert_eq!(e2.object("Movie").unwrap().read_string(100, 1).as_deref(), Some("new100"));
    assert_eq!(e2.object("Movie").unwrap().read_string(101, 1).as_deref(), Some("title101"));
}

/// Everything a state says: tags, then each type's name, shard count, populated ordinals and
/// every record with data.
fn describe_engine(e: &ReadStateEngine) -> String {
    let mut out = format!("{} {} {:?}\n", e.randomized_tag(), e.origin_tag(), e.header_tags());
    for t in e.types() {
        let populated: Vec<u32> = t.populated().iter().collect();
        out += &format!("{} {} {populated:?} {:?}\n", t.name(), t.num_shards(), describe_all(t));
    }
    out
}

/// The state `make` gives with loads and deltas forced onto `threads` threads (1: the sequential
/// path), described, or the error's text.
fn on_threads(
    threads: usize,
    make: impl FnOnce() -> crate::error::Result<ReadStateEngine>,
) -> std::result::Result<String, String> {
    with_threads(threads, make).map(|e| describe_engine(&e)).map_err(|e| e.to_string())
}

/// Load `blob` on `threads` threads, as [`on_threads`] describes it.
fn load_on(blob: &[u8], threads: usize) -> std::result::Result<String, String> {
    on_threads(threads, || ReadStateEngine::from_snapshot(blob))
}

/// The files of a vector scenario whose names start with `prefix`, sorted.
fn vector_files(scenario: &str, prefix: &str) -> Vec<String> {
    let dir = format!("{}/tests/vectors/{scenario}/blobs", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|f| f.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.starts_with(prefix))
        .collect();
    files.sort();
    files
}

/// `blob` cut every `cut_step` bytes and with one bit flipped every `flip_step` bytes gives with
/// `threads` threads what it gives with one (asserted); how many forms failed, and how many did not.
fn damaged_alike(
    blob: &[u8],
    (cut_step, flip_step): (usize, usize),
    threads: usize,
    on: impl Fn(&[u8], usize) -> std::result::Result<String, String>,
) -> (usize, usize) {
    let (mut errors, mut fine) = (0, 0);
    let mut check = |damaged: &[u8], what: &str| {
        let sequential = on(damaged, 1);
        assert_eq!(on(damaged, threads), sequential, "{what}");
        if sequential.is_ok() {
            fine += 1
        } else {
            errors += 1
        }
    };
    for cut in (0..blob.len()).step_by(cut_step) {
        check(&blob[..cut], &format!("cut at {cut}"));
    }
    for at in (0..blob.len()).step_by(flip_step) {
        let mut flipped = blob.to_vec();
        flipped[at] ^= 1 << (at % 8);
        check(&flipped, &format!("bit {} of byte {at} flipped", at % 8));
    }
    (errors, fine)
}

#[test]
fn parallel_loads_give_the_sequential_state_and_errors() {
    let mut snapshots = 0;
    for scenario in ["strings", "primitives", "collections", "sharded", "sharded-reshard"] {
        for file in vector_files(scenario, "snapshot-") {
            let blob = vector(scenario, &file);
            let sequential = load_on(&blob, 1);
            assert!(sequential.is_ok(), "{scenario}/{file}: {sequential:?}");
            for threads in [2, 3, 8] {
                assert_eq!(load_on(&blob, threads), sequential, "{scenario}/{file} on {threads} threads");
            }
            snapshots += 1;
        }
    }
    assert!(snapshots >= 10, "{snapshots} snapshots");

    // Damaged blobs: truncations and bit flips spread over the blob give the same error, or the
    // same state, as the sequential load.
    let blob = vector("collections", &format!("snapshot-{V2}"));
    let (errors, loaded) = damaged_alike(&blob, (4, 11), 3, load_on);
    // Every cut is an error; some flips load.
    assert!(errors > blob.len() / 4 && loaded > 0, "{errors} errors, {loaded} loaded");
}

/// Apply a delta (or reverse delta) blob to `from` on `threads` threads (1: the sequential path):
/// the new state described, or the error's text.
fn apply_on(from: &ReadStateEngine, blob: &[u8], reverse: bool, threads: usize) -> std::result::Result<String, String> {
    on_threads(threads, || if reverse { from.apply_reverse_delta(blob) } else { from.apply_delta(blob) })
}

#[test]
fn parallel_deltas_give_the_sequential_state_and_errors() {
    let mut deltas = 0;
    for scenario in ["strings", "primitives", "collections", "sharded", "sharded-reshard"] {
        // Forward along the chain from V1, then back to V1, each step on every thread count.
        let forward = vector_files(scenario, "delta-");
        let backward = forward.iter().rev().map(|f| {
            let (from, to) = f["delta-".len()..].split_once('-').unwrap();
            (format!("reversedelta-{to}-{from}"), true)
        });
        let steps: Vec<(String, bool)> = forward.iter().map(|f| (f.clone(), false)).chain(backward).collect();
        let mut state = ReadStateEngine::from_snapshot(&vector(scenario, &format!("snapshot-{V1}"))).unwrap();
        for (file, reverse) in steps {
            let blob = vector(scenario, &file);
            let sequential = apply_on(&state, &blob, reverse, 1);
            assert!(sequential.is_ok(), "{scenario}/{file}: {sequential:?}");
            for threads in [2, 3, 8] {
                assert_eq!(
                    apply_on(&state, &blob, reverse, threads),
                    sequential,
                    "{scenario}/{file} on {threads} threads"
                );
            }
            state = if reverse { state.apply_reverse_delta(&blob) } else { state.apply_delta(&blob) }.unwrap();
            deltas += 1;
        }
        // Back where it started: the snapshot's records (removed ones stay readable as ghosts, so
        // only the populated ones are compared).
        let start = ReadStateEngine::from_snapshot(&vector(scenario, &format!("snapshot-{V1}"))).unwrap();
        for t in start.types() {
            let walked = state.type_state(t.name()).unwrap();
            let populated: Vec<u32> = t.populated().iter().collect();
            assert_eq!(walked.populated().iter().collect::<Vec<_>>(), populated, "{scenario}: {}", t.name());
            for o in populated {
                assert_eq!(describe(walked, o), describe(t, o), "{scenario}: {} record {o}", t.name());
            }
        }
    }
    assert_eq!(deltas, 18);

    // Damaged deltas: truncations and bit flips give the same error, or the same state, as the
    // sequential path.
    let from = ReadStateEngine::from_snapshot(&vector("collections", &format!("snapshot-{V1}"))).unwrap();
    let blob = vector("collections", &format!("delta-{V1}-{V2}"));
    let (errors, applied) =
        damaged_alike(&blob, (1, 1), 3, |damaged, threads| apply_on(&from, damaged, false, threads));
    assert!(errors > blob.len() && applied > 0, "{errors} errors, {applied} applied");
}

/// What a follower saw: the types of its view, and each of its types' state (its address in
/// memory, and its records described).
type Seen = (Vec<String>, Vec<(usize, String)>);

fn seen_by(types: &[&str], view: &ReadStateEngine) -> Seen {
    let names = view.types().map(|t| t.name().to_owned()).collect();
    let states = types
        .iter()
        .filter_map(|t| view.type_state_shared(t))
        .map(|s| (Arc::as_ptr(&s) as usize, describe_all(&s).join("|")))
        .collect();
    (names, states)
}

#[test]
fn followers_see_the_states_the_delta_result_holds_and_start_early() {
    let (mut early, mut early_named_twice) = (0, 0);
    for scenario in ["strings", "collections", "sharded", "sharded-reshard"] {
        let mut state = ReadStateEngine::from_snapshot(&vector(scenario, &format!("snapshot-{V1}"))).unwrap();
        for file in vector_files(scenario, "delta-") {
            let blob = vector(scenario, &file);
            let mut wanted: Vec<Vec<&str>> = state.types().map(|t| vec![t.name()]).collect();
            wanted.push(state.types().map(|t| t.name()).collect());
            wanted.push(vec!["NoSuchType"]);
            // A type named twice, as an index's key paths name their root type twice.
            let first = state.types().next().unwrap().name();
            wanted.push(vec![first, first]);
            for threads in [1, 2, 3] {
                let followers: Vec<Follower<'_, Seen>> = wanted
                    .iter()
                    .map(|types| Follower::new(types.iter().copied(), |view| seen_by(types, view)))
                    .collect();
                let (next, outputs) = with_threads(threads, || state.apply_delta_with(&blob, &followers)).unwrap();
                assert_eq!(describe_engine(&next), describe_engine(&state.apply_delta(&blob).unwrap()));
                let all: Vec<String> = next.types().map(|t| t.name().to_owned()).collect();
                for (types, (view_types, states)) in wanted.iter().zip(outputs) {
                    let what = format!("{scenario}/{file}, {threads} threads, follower of {types:?}");
                    // The very states of the result, and nothing else but them unless it ran on
                    // the whole result.
                    let result = seen_by(types, &next).1;
                    let addresses = |states: &[(usize, String)]| states.iter().map(|s| s.0).collect::<Vec<_>>();
                    assert_eq!(addresses(&states), addresses(&result), "{what}");
                    assert!(states == result, "{what}: the follower read other records than the result holds");
                    let own: Vec<String> = all.iter().filter(|t| types.contains(&t.as_str())).cloned().collect();
                    if view_types != all {
                        assert_eq!(view_types, own, "{what}");
                        assert!(threads > 1, "{what}: the sequential path runs followers on the result");
                        early += 1;
                        early_named_twice += usize::from(types.len() == 2 && types[0] == types[1]);
                    }
                }
            }
            state = state.apply_delta(&blob).unwrap();
        }
    }
    assert!(early >= 8, "{early} followers started before the whole delta was applied");
    assert!(early_named_twice > 0, "a follower naming its type twice never started early");
}

#[test]
fn a_failing_delta_returns_its_error_whatever_the_followers_did() {
    // Bits of the delta flipped one at a time, on two threads: every bit of the first 64 bytes (the
    // header and the first type's section start), then one bit of every later byte, a different bit
    // from byte to byte (every bit of the 2.8 KB delta took 17 s, most of a CI lane's tail). Some
    // flips leave the walk intact and break a later type's section after a follower of an earlier one
    // has run.
    let from = ReadStateEngine::from_snapshot(&vector("collections", &format!("snapshot-{V1}"))).unwrap();
    let blob = vector("collections", &format!("delta-{V1}-{V2}"));
    let ran = std::sync::atomic::AtomicUsize::new(0);
    let followers: Vec<Follower<'_, ()>> = from
        .types()
        .map(|t| {
            Follower::new([t.name()], |_| {
                ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            })
        })
        .collect();
    let (mut failed_after_a_follower, mut failed) = (0, 0);
    for at in (0..blob.len() * 8).filter(|at| at / 8 < 64 || at % 8 == (at / 8) % 8) {
        let mut damaged = blob.clone();
        damaged[at / 8] ^= 1 << (at % 8);
        ran.store(0, std::sync::atomic::Ordering::Relaxed);
        let with = with_threads(2, || from.apply_delta_with(&damaged, &followers));
        let ran_early = ran.load(std::sync::atomic::Ordering::Relaxed);
        let without = from.apply_delta(&damaged);
        match (with, without) {
            (Ok((next, outputs)), Ok(plain)) => {
                assert_eq!(describe_engine(&next), describe_engine(&plain), "bit {at}");
                assert_eq!(outputs.len(), followers.len());
            }
            (Err(with), Err(without)) => {
                assert_eq!(with.to_string(), without.to_string(), "bit {at}");
                failed += 1;
                failed_after_a_follower += usize::from(ran_early > 0);
            }
            (with, without) => panic!("bit {at}: {:?} with followers, {:?} without", with.err(), without.err()),
        }
    }
    assert!(failed_after_a_follower > 0, "{failed} failures, none after a follower ran");
}

/// Followers of a snapshot load, named or found from the schemas, see exactly the states the loaded
/// state holds, start before the whole snapshot is loaded when it is read on two threads, and never
/// change the load's result or error.
#[test]
fn snapshot_followers_see_the_loaded_states_and_start_early() {
    use crate::memory::BlobBuffer;

    let (mut early, mut early_from_schemas) = (0, 0);
    for scenario in ["strings", "collections", "sharded"] {
        for file in vector_files(scenario, "snapshot-") {
            let blob = vector(scenario, &file);
            let plain = ReadStateEngine::from_snapshot(&blob).unwrap();
            let mut wanted: Vec<Vec<&str>> = plain.types().map(|t| vec![t.name()]).collect();
            wanted.push(plain.types().map(|t| t.name()).collect());
            wanted.push(vec!["NoSuchType"]);
            let first = plain.types().next().unwrap().name();
            wanted.push(vec![first, first]);
            for threads in [1, 2] {
                // Each named follower twice: by name, and by a lookup of the schemas that must find
                // every type of the snapshot (and names the same types).
                let followers: Vec<Follower<'_, Seen>> = wanted
                    .iter()
                    .flat_map(|types| {
                        let named = Follower::new(types.iter().copied(), |view| seen_by(types, view));
                        let found = Follower::from_schemas(
                            |schemas| {
                                assert!(plain.types().all(|t| schemas.schema(t.name()) == Some(t.schema())));
                                types.iter().map(|t| (*t).to_owned()).collect()
                            },
                            |view| seen_by(types, view),
                        );
                        [named, found]
                    })
                    .collect();
                let buffer = BlobBuffer::copy_of(&blob).unwrap();
                let (loaded, outputs) =
                    with_threads(threads, || ReadStateEngine::from_snapshot_buffer_with(buffer, &followers)).unwrap();
                assert_eq!(describe_engine(&loaded), describe_engine(&plain));
                let all: Vec<String> = loaded.types().map(|t| t.name().to_owned()).collect();
                for (i, (view_types, states)) in outputs.into_iter().enumerate() {
                    let types = &wanted[i / 2];
                    let what = format!("{scenario}/{file}, {threads} threads, follower {i} of {types:?}");
                    let result = seen_by(types, &loaded).1;
                    let addresses = |states: &[(usize, String)]| states.iter().map(|s| s.0).collect::<Vec<_>>();
                    assert_eq!(addresses(&states), addresses(&result), "{what}");
                    assert!(states == result, "{what}: the follower read other records than the result holds");
                    if view_types != all {
                        let own: Vec<String> = all.iter().filter(|t| types.contains(&t.as_str())).cloned().collect();
                        assert_eq!(view_types, own, "{what}");
                        assert!(threads > 1, "{what}: the sequential path runs followers on the result");
                        early += 1;
                        early_from_schemas += i % 2;
                    }
                }
            }
        }
    }
    assert!(early >= 10, "{early} followers started before the whole snapshot was loaded");
    assert!(early_from_schemas > 0, "no follower found from the schemas started early");

    // A snapshot that fails to load returns its error, whatever the followers did: bit flips and
    // cuts over the blob, on two threads, against the plain load on one.
    let blob = vector("collections", &format!("snapshot-{V2}"));
    let plain = ReadStateEngine::from_snapshot(&blob).unwrap();
    let followers: Vec<Follower<'_, usize>> =
        plain.types().map(|t| Follower::new([t.name()], |view| view.types().count())).collect();
    let with_followers = |damaged: &[u8], threads: usize| {
        with_threads(threads, || {
            ReadStateEngine::from_snapshot_buffer_with(BlobBuffer::copy_of(damaged).unwrap(), &followers)
        })
        .map(|(e, outputs)| {
            assert_eq!(outputs.len(), followers.len());
            describe_engine(&e)
        })
        .map_err(|e| e.to_string())
    };
    let (errors, loaded) = damaged_alike(&blob, (97, 29), 2, |damaged, threads| {
        let with = with_followers(damaged, threads);
        assert_eq!(with, load_on(damaged, 1), "with followers against the plain load");
        with
    });
    assert!(errors > blob.len() / 97 && loaded > 0, "{errors} errors, {loaded} loaded");
}

/// Indexes built by followers as a snapshot loads (`build_follower`), on every thread count, answer
/// every key as the same indexes built after the load do: primary keys of one field, and of two
/// fields one of which is reached through two references; a hash index through references; and a
/// key that does not resolve fails as the build after the load fails.
#[test]
fn index_build_followers_give_what_a_build_after_the_load_gives() {
    use crate::index::{HashIndex, KeyValue, PrimaryKeyIndex};
    use crate::memory::BlobBuffer;

    let blob = vector("collections", &format!("snapshot-{V2}"));
    let after = ReadStateEngine::from_snapshot(&blob).unwrap();
    let string = |e: &ReadStateEngine, t: &str, o: u32, f: &str| {
        let t = e.object(t).unwrap();
        t.read_string(o, t.field_index(f).unwrap()).map(|s| s.into_owned())
    };
    let reference = |e: &ReadStateEngine, t: &str, o: u32, f: &str| {
        let t = e.object(t).unwrap();
        t.read_ordinal(o, t.field_index(f).unwrap())
    };
    // Each Studio's key (its name and its address's city) and each city alone.
    let studio_key = |e: &ReadStateEngine, o: u32| {
        let city = reference(e, "Address", reference(e, "Studio", o, "address")?, "city")?;
        Some((string(e, "Studio", o, "name")?, string(e, "String", city, "value")?))
    };
    let studios: Vec<u32> = after.type_state("Studio").unwrap().populated().iter().collect();
    let shows: Vec<u32> = after.type_state("Show").unwrap().populated().iter().collect();
    assert!(studios.len() > 1 && shows.len() > 1);

    let show_ix = PrimaryKeyIndex::new(&after, "Show").unwrap();
    let studio_ix = PrimaryKeyIndex::new(&after, "Studio").unwrap();
    let city_ix = HashIndex::new(&after, "Show", &["studio.address.city.value"]).unwrap();
    let unresolved = PrimaryKeyIndex::with_fields(&after, "Show", &["noSuchField"]).unwrap_err().to_string();
    let city_path = ["studio.address.city.value"];
    let bad_path = ["noSuchField"];
    for threads in [1, 2, 3] {
        let followers = [
            PrimaryKeyIndex::build_follower("Show", &[]),
            PrimaryKeyIndex::build_follower("Studio", &[]),
            PrimaryKeyIndex::build_follower("Show", &bad_path),
        ];
        let hash_followers = [HashIndex::build_follower("Show", &city_path)];
        // The types each reads, named from the schemas as the built index names them.
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v.dedup();
            v
        };
        let read = |types: &mut dyn Iterator<Item = &str>| sorted(types.map(str::to_owned).collect());
        assert_eq!(sorted(followers[0].types_in(&after)), read(&mut show_ix.types_read()));
        assert_eq!(sorted(followers[1].types_in(&after)), read(&mut studio_ix.types_read()));
        assert_eq!(followers[1].types_in(&after), ["Studio", "Address", "String"]);
        assert_eq!(sorted(hash_followers[0].types_in(&after)), read(&mut city_ix.types_read()));
        assert!(followers[2].types_in(&after).is_empty(), "a key that does not resolve names no type");

        let (e, mut built) = with_threads(threads, || {
            ReadStateEngine::from_snapshot_buffer_with(BlobBuffer::copy_of(&blob).unwrap(), &followers)
        })
        .unwrap();
        let (e2, mut hashed) = with_threads(threads, || {
            ReadStateEngine::from_snapshot_buffer_with(BlobBuffer::copy_of(&blob).unwrap(), &hash_followers)
        })
        .unwrap();
        assert_eq!(built.pop().unwrap().unwrap_err().to_string(), unresolved, "{threads} threads");
        let studio = built.pop().unwrap().unwrap();
        let show = built.pop().unwrap().unwrap();
        let by_city = hashed.pop().unwrap().unwrap();
        for &o in &shows {
            let id = e.object("Show").unwrap().read_long(o, 0).unwrap();
            let key = [KeyValue::Long(id)];
            assert_eq!(show.get(&e, &key), Some(o), "show {id}, {threads} threads");
            assert_eq!(show.get(&e, &key), show_ix.get(&after, &key));
        }
        assert_eq!(show.get(&e, &[KeyValue::Long(-12345)]), None);
        for &o in &studios {
            let (name, city) = studio_key(&e, o).unwrap();
            let key = [KeyValue::from(name.as_str()), KeyValue::from(city.as_str())];
            assert_eq!(studio.get(&e, &key), Some(o), "studio {name} in {city}, {threads} threads");
            assert_eq!(studio.get(&e, &key), studio_ix.get(&after, &key));
            let found = by_city.find(&e2, &[KeyValue::from(city.as_str())]).to_vec();
            let expected = city_ix.find(&after, &[KeyValue::from(city.as_str())]).to_vec();
            assert!(!found.is_empty(), "shows in {city}");
            assert_eq!(found, expected, "shows in {city}, {threads} threads");
        }
        assert_eq!(studio.heap_bytes(), studio_ix.heap_bytes());
        assert_eq!(by_city.heap_bytes(), city_ix.heap_bytes());
    }
}

/// A writer of two OBJECT types: `named`, records of a long `id` and a string `name`, and
/// `counted`, records of a long `id` only.
fn two_type_writer(named: ObjectSchema, counted: &str) -> crate::write::WriteStateEngine {
    let mut writer = crate::write::WriteStateEngine::new();
    let named = named
        .with_field(ObjectField::new("id", FieldType::Long))
        .with_field(ObjectField::new("name", FieldType::String));
    writer.add_schema(Schema::from(named)).unwrap();
    writer
        .add_schema(Schema::from(ObjectSchema::new(counted).with_field(ObjectField::new("id", FieldType::Long))))
        .unwrap();
    writer
}

/// A cycle of a [`two_type_writer`]: a `named` record for each of `ids`, named by `name`, and
/// `counted` records with ids `0..counted_records`. Its snapshot, and its delta from the last
/// cycle (empty after the first).
fn two_type_cycle(
    writer: &mut crate::write::WriteStateEngine,
    (named, ids, name): (&str, std::ops::Range<i64>, fn(i64) -> String),
    (counted, counted_records): (&str, i64),
) -> (Vec<u8>, Vec<u8>) {
    writer.prepare_for_next_cycle();
    let mut record = crate::write::ObjectRecord::new();
    for id in ids {
        record.clear().set_long("id", id).set_string("name", &name(id));
        writer.add(named, &record).unwrap();
    }
    for id in 0..counted_records {
        record.clear().set_long("id", id);
        writer.add(counted, &record).unwrap();
    }
    let (mut snapshot, mut delta) = (Vec::new(), Vec::new());
    writer.write_snapshot(&mut snapshot).unwrap();
    if writer.write_delta(&mut delta).is_err() {
        delta.clear();
    }
    (snapshot, delta)
}

/// A primary-key index moved beside a delta on several threads is the index `updated` gives after it.
#[test]
fn an_index_follower_gives_what_updated_gives() {
    use crate::index::{KeyValue, PrimaryKeyIndex};

    let mut writer = two_type_writer(ObjectSchema::new("Item").with_primary_key(["id"]), "Other");
    let mut cycle =
        |ids, others| two_type_cycle(&mut writer, ("Item", ids, |id| format!("item {id}")), ("Other", others));
    let (snapshot, _) = cycle(0..500, 50);
    let v1 = ReadStateEngine::from_snapshot(&snapshot).unwrap();
    let index = PrimaryKeyIndex::new(&v1, "Item").unwrap();
    let (_, delta) = cycle(100..650, 60);
    let v2 = v1.apply_delta(&delta).unwrap();
    let after = index.updated(&v1, &v2).unwrap();
    for threads in [1, 2, 3] {
        let (next, moved) = with_threads(threads, || v1.apply_delta_with(&delta, &[index.follower(&v1)])).unwrap();
        let beside = moved.into_iter().next().unwrap().unwrap();
        assert_eq!(beside.heap_bytes(), after.heap_bytes(), "{threads} threads");
        for id in -5..700 {
            let key = [KeyValue::Long(id)];
            assert_eq!(beside.get(&next, &key), after.get(&v2, &key), "id {id}, {threads} threads");
        }
        assert_eq!(
            beside.get(&next, &[KeyValue::Long(649)]).map(|o| next.object("Item").unwrap().read_long(o, 0)),
            Some(Some(649))
        );
        assert_eq!(beside.get(&next, &[KeyValue::Long(50)]), None, "removed by the delta");
    }
}

#[test]
fn a_follower_runs_again_when_the_delta_swaps_its_state_out_of_a_sparse_buffer() {
    use crate::memory::BlobBuffer;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let mut writer = two_type_writer(ObjectSchema::new("Big"), "Small");
    writer.set_num_shards("Big", 4).unwrap();
    let long_name = |id| format!("big record {id:>8} with a longish name");
    let mut cycle = |big, small| two_type_cycle(&mut writer, ("Big", 0..big, long_name), ("Small", small));
    let (snapshot, _) = cycle(4000, 10);
    let v1 = ReadStateEngine::from_snapshot_buffer(BlobBuffer::copy_of(&snapshot).unwrap()).unwrap();
    // Two Big records more: two of Big's four shards are rebuilt, the other two still read the
    // buffer, now half unread, so the delta's last step copies them out into a new Big state.
    let (_, delta) = cycle(4002, 11);
    let runs = AtomicUsize::new(0);
    let follower = Follower::new(["Big"], |view| {
        runs.fetch_add(1, Ordering::Relaxed);
        Arc::as_ptr(&view.type_state_shared("Big").unwrap()) as usize
    });
    let (v2, seen) = with_threads(2, || v1.apply_delta_with(&delta, std::slice::from_ref(&follower))).unwrap();
    assert_eq!(v2.blob_buffer_bytes(), 0, "the buffer was let go");
    assert_eq!(runs.load(Ordering::Relaxed), 2, "run early on the delta's Big, then again on the copy");
    assert_eq!(seen, [Arc::as_ptr(&v2.type_state_shared("Big").unwrap()) as usize]);
    assert_eq!(
        v2.object("Big").unwrap().read_string(4001, 1).as_deref(),
        Some("big record     4001 with a longish name")
    );
}

//! Java-compatible hash lookups in SET and MAP records.
//!
//! A SET record (a MAP record, on its keys) is an open-addressing table probed linearly from a home
//! bucket, wrapping inside the record's buckets; an empty bucket ends the probe. Where the home bucket
//! is depends on the collection's schema:
//!
//! * **Without a hash key**: `hashInt(element ordinal) & (buckets - 1)` ([`SetTypeReadState::contains_ordinal`],
//!   [`MapTypeReadState::get_by_key_ordinal`]).
//! * **With a hash key** (`@HashKey(a, b.c)`): the hash of the element's key field values
//!   ([`crate::encoding::hash::key_hash`] over [`FieldHash`], the table the write engine places elements
//!   by), masked with `buckets - 1`. A candidate matches when each key field of the element record
//!   equals the value looked up.
//!
//! Key field paths are dot-separated field names from the element (key) type, through REFERENCE
//! fields, resolved by [`crate::schema::paths`] exactly as the write engine resolves them to place the
//! elements (so `name` means `name.value` for a `String` type).

use super::{MapTypeReadState, ObjectTypeReadState, ReadStateEngine, SetTypeReadState};
use crate::encoding::hash::{self, java_string_hash, FieldHash};
use crate::error::{Error, Result};
use crate::schema::paths::{resolve_key_path, KeyPath, KeyPathErrorKind};
use crate::schema::FieldType;

/// One field value of a hash key, typed like the key field it is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SetMapKeyValue<'a> {
    /// An INT field.
    Int(i32),
    /// A LONG field.
    Long(i64),
    /// A BOOLEAN field.
    Boolean(bool),
    /// A FLOAT field (compared with `==`, as Java: NaN never matches).
    Float(f32),
    /// A DOUBLE field (compared with `==`).
    Double(f64),
    /// A STRING field.
    String(&'a str),
    /// A BYTES field.
    Bytes(&'a [u8]),
    /// A REFERENCE field (when the path ends with `!`): the referenced ordinal.
    Reference(u32),
}

impl SetMapKeyValue<'_> {
    /// The field type this value is compared with.
    pub fn field_type(&self) -> FieldType {
        match self {
            SetMapKeyValue::Int(_) => FieldType::Int,
            SetMapKeyValue::Long(_) => FieldType::Long,
            SetMapKeyValue::Boolean(_) => FieldType::Boolean,
            SetMapKeyValue::Float(_) => FieldType::Float,
            SetMapKeyValue::Double(_) => FieldType::Double,
            SetMapKeyValue::String(_) => FieldType::String,
            SetMapKeyValue::Bytes(_) => FieldType::Bytes,
            SetMapKeyValue::Reference(_) => FieldType::Reference,
        }
    }

    /// `hashInt` of the field's hash, as Java's `SetMapKeyHasher.hash(Object, FieldType)`.
    pub fn hash(&self) -> i32 {
        self.field_hash().hash()
    }

    fn field_hash(&self) -> FieldHash<'_> {
        match *self {
            SetMapKeyValue::Int(v) => FieldHash::Int(v),
            SetMapKeyValue::Long(v) => FieldHash::Long(v),
            SetMapKeyValue::Boolean(b) => FieldHash::Boolean(b),
            SetMapKeyValue::Float(f) => FieldHash::FloatBits(f.to_bits()),
            SetMapKeyValue::Double(d) => FieldHash::DoubleBits(d.to_bits()),
            SetMapKeyValue::String(s) => FieldHash::JavaString(java_string_hash(s)),
            SetMapKeyValue::Bytes(b) => FieldHash::Bytes(b),
            SetMapKeyValue::Reference(o) => FieldHash::Reference(o),
        }
    }
}

/// The hash of a whole key: `h = h * 31 ^ field.hash()` over the fields in order.
pub fn key_hash(key: &[SetMapKeyValue<'_>]) -> i32 {
    hash::key_hash(key.iter().map(SetMapKeyValue::field_hash))
}

/// Resolve a key field path from `root_type` against the engine's schemas, by the crate's one resolver,
/// [`crate::schema::paths`]. A type missing from the state is [`Error::NotFound`]; a path that does not
/// fit the schemas (a field that does not exist is also [`Error::NotFound`]) is [`Error::SchemaMismatch`],
/// including primary keys that expand into each other in a circle, as a blob's schemas may.
///
/// # Errors
///
/// [`Error::NotFound`] for a type or field missing from the state,
/// [`Error::SchemaMismatch`] for a path that does not fit the schemas.
pub fn bind_key_path(engine: &ReadStateEngine, root_type: &str, path: &str) -> Result<KeyPath> {
    resolve_key_path(engine, root_type, path).map_err(|e| match e.kind {
        KeyPathErrorKind::NotBindable | KeyPathErrorKind::NotFound => Error::NotFound(e.to_string()),
        KeyPathErrorKind::NotTraversable | KeyPathErrorKind::NotExpandable => Error::SchemaMismatch(e.to_string()),
    })
}

/// A hash key bound to a dataset: one path per key field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundKey {
    paths: Vec<KeyPath>,
}

impl BoundKey {
    /// Bind `paths` (relative to `root_type`) against the engine's schemas.
    ///
    /// # Errors
    ///
    /// As [`bind_key_path`], for the first path that does not bind.
    pub fn bind(engine: &ReadStateEngine, root_type: &str, paths: &[String]) -> Result<Self> {
        let paths = paths.iter().map(|p| bind_key_path(engine, root_type, p)).collect::<Result<_>>()?;
        Ok(BoundKey { paths })
    }

    /// The bound paths, one per key field.
    pub fn paths(&self) -> &[KeyPath] {
        &self.paths
    }

    /// Check that `key` has one value of the right type per key field.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for the wrong number of values,
    /// [`Error::SchemaMismatch`] for a value of the wrong kind.
    pub fn check_values(&self, key: &[SetMapKeyValue<'_>]) -> Result<()> {
        if key.len() != self.paths.len() {
            return Err(Error::InvalidArgument(format!("key has {} values, expected {}", key.len(), self.paths.len())));
        }
        for (p, v) in self.paths.iter().zip(key) {
            if p.leaf_type() != v.field_type() {
                return Err(Error::InvalidArgument(format!(
                    "key value {v:?} given for a {} field",
                    p.leaf_type().java_name()
                )));
            }
        }
        Ok(())
    }

    /// True when record `ordinal` of the root type has exactly the key values `key`.
    pub fn matches(&self, engine: &ReadStateEngine, ordinal: u32, key: &[SetMapKeyValue<'_>]) -> bool {
        key.len() == self.paths.len() && self.paths.iter().zip(key).all(|(p, v)| path_matches(engine, p, ordinal, v))
    }
}

fn path_matches(engine: &ReadStateEngine, path: &KeyPath, mut ordinal: u32, value: &SetMapKeyValue<'_>) -> bool {
    let Some((last, through)) = path.steps.split_last() else { return false };
    for step in through {
        match engine.object(&step.type_name).and_then(|o| o.read_ordinal(ordinal, step.field_index)) {
            Some(next) => ordinal = next,
            None => return false,
        }
    }
    let Some(o) = engine.object(&last.type_name) else { return false };
    field_equals(o, ordinal, last.field_index, value)
}

fn field_equals(o: &ObjectTypeReadState, ordinal: u32, field: usize, value: &SetMapKeyValue<'_>) -> bool {
    match *value {
        SetMapKeyValue::Int(v) => o.read_int(ordinal, field) == Some(v),
        SetMapKeyValue::Long(v) => o.read_long(ordinal, field) == Some(v),
        SetMapKeyValue::Boolean(v) => o.read_boolean(ordinal, field) == Some(v),
        SetMapKeyValue::Float(v) => o.read_float(ordinal, field) == Some(v),
        SetMapKeyValue::Double(v) => o.read_double(ordinal, field) == Some(v),
        SetMapKeyValue::String(s) => o.string_equals(ordinal, field, s),
        SetMapKeyValue::Bytes(b) => o.read_bytes(ordinal, field) == Some(b),
        SetMapKeyValue::Reference(r) => o.read_ordinal(ordinal, field) == Some(r),
    }
}

fn set_state<'e>(engine: &'e ReadStateEngine, set_type: &str) -> Result<&'e SetTypeReadState> {
    engine.set(set_type).ok_or_else(|| Error::NotFound(format!("SET type {set_type}")))
}

fn map_state<'e>(engine: &'e ReadStateEngine, map_type: &str) -> Result<&'e MapTypeReadState> {
    engine.map(map_type).ok_or_else(|| Error::NotFound(format!("MAP type {map_type}")))
}

/// The element of set `set_ordinal` whose hash key equals `key` (Java's `HollowSetTypeReadState.findElement`).
/// Fails if the type is not a SET with a hash key, or `key` does not fit the hash key's fields.
///
/// # Errors
///
/// [`Error::NotFound`] for an unknown type,
/// [`Error::SchemaMismatch`] when it is not a SET with a hash key or `key` does
/// not fit the hash key's fields.
pub fn find_set_element(
    engine: &ReadStateEngine,
    set_type: &str,
    set_ordinal: u32,
    key: &[SetMapKeyValue<'_>],
) -> Result<Option<u32>> {
    let set = set_state(engine, set_type)?;
    let schema = set.schema();
    let paths =
        schema.hash_key.as_deref().ok_or_else(|| Error::InvalidArgument(format!("SET {set_type} has no hash key")))?;
    let bound = BoundKey::bind(engine, &schema.element_type, paths)?;
    bound.check_values(key)?;
    Ok(set.probe(set_ordinal, key_hash(key), |e| bound.matches(engine, e, key)))
}

/// The (key, value) entry of map `map_ordinal` whose key's hash key equals `key` (Java's
/// `HollowMapTypeReadState.findEntry`). Fails if the type is not a MAP with a hash key, or `key` does
/// not fit the hash key's fields.
///
/// # Errors
///
/// [`Error::NotFound`] for an unknown type,
/// [`Error::SchemaMismatch`] when it is not a MAP with a hash key or `key` does
/// not fit the hash key's fields.
pub fn find_map_entry(
    engine: &ReadStateEngine,
    map_type: &str,
    map_ordinal: u32,
    key: &[SetMapKeyValue<'_>],
) -> Result<Option<(u32, u32)>> {
    let map = map_state(engine, map_type)?;
    let schema = map.schema();
    let paths =
        schema.hash_key.as_deref().ok_or_else(|| Error::InvalidArgument(format!("MAP {map_type} has no hash key")))?;
    let bound = BoundKey::bind(engine, &schema.key_type, paths)?;
    bound.check_values(key)?;
    Ok(map.probe(map_ordinal, key_hash(key), |k| bound.matches(engine, k, key)))
}

/// True when set `set_ordinal` holds the element ordinal `element`, whether or not the set has a hash
/// key. Without one the element is probed for from its home bucket; with one, whose placement depends
/// on the element's field values, the record's buckets are scanned.
///
/// # Errors
///
/// [`Error::NotFound`] when `set_type` is not a SET type of the state.
pub fn set_contains(engine: &ReadStateEngine, set_type: &str, set_ordinal: u32, element: u32) -> Result<bool> {
    let set = set_state(engine, set_type)?;
    Ok(match set.schema().hash_key {
        None => set.contains_ordinal(set_ordinal, element),
        Some(_) => set.elements(set_ordinal).any(|e| e == element),
    })
}

/// The value ordinal for key ordinal `key` in map `map_ordinal`, whether or not the map has a hash key
/// (see [`set_contains`]).
///
/// # Errors
///
/// [`Error::NotFound`] when `map_type` is not a MAP type of the state.
pub fn map_get(engine: &ReadStateEngine, map_type: &str, map_ordinal: u32, key: u32) -> Result<Option<u32>> {
    let map = map_state(engine, map_type)?;
    Ok(match map.schema().hash_key {
        None => map.get_by_key_ordinal(map_ordinal, key),
        Some(_) => map.entries(map_ordinal).find(|&(k, _)| k == key).map(|(_, v)| v),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::hash::hash_int;

    fn collections(version: u32) -> ReadStateEngine {
        let path = format!(
            "{}/tests/vectors/collections/blobs/snapshot-2025010100000000{version}",
            env!("CARGO_MANIFEST_DIR")
        );
        ReadStateEngine::from_snapshot(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn key_hash_matches_java_placement() {
        // Format doc §4.2: "alpha", "beta", "gamma" land in buckets hashInt(s.hashCode()) & 3.
        assert_eq!(key_hash(&[SetMapKeyValue::String("alpha")]), hash_int(java_string_hash("alpha")));
        assert_eq!(
            key_hash(&[SetMapKeyValue::Int(1), SetMapKeyValue::Int(2)]),
            hash_int(1).wrapping_mul(31) ^ hash_int(2)
        );
        assert_eq!(SetMapKeyValue::Boolean(true).hash(), hash_int(1231));
        assert_eq!(SetMapKeyValue::Long(1 << 32).hash(), hash_int(1));
    }

    #[test]
    fn finds_set_elements_by_hash_key() {
        let e = collections(2);
        // SetOfString @HashKey(value): set 0 is {"demogorgon" (15), "upside down" (14)}.
        assert_eq!(find_set_element(&e, "SetOfString", 0, &[SetMapKeyValue::String("demogorgon")]).unwrap(), Some(15));
        assert_eq!(find_set_element(&e, "SetOfString", 0, &[SetMapKeyValue::String("upside down")]).unwrap(), Some(14));
        assert_eq!(find_set_element(&e, "SetOfString", 0, &[SetMapKeyValue::String("royalty")]).unwrap(), None);
        // SetOfInteger @HashKey(value): set 0 holds the Integers 1..=4 as ordinals 0..=3.
        for v in 1..=4 {
            assert_eq!(find_set_element(&e, "SetOfInteger", 0, &[SetMapKeyValue::Int(v)]).unwrap(), Some(v as u32 - 1));
        }
        assert_eq!(find_set_element(&e, "SetOfInteger", 0, &[SetMapKeyValue::Int(9)]).unwrap(), None);
        // SetOfPerson @HashKey(name): an inline STRING of Person.
        assert_eq!(find_set_element(&e, "SetOfPerson", 0, &[SetMapKeyValue::String("Matt Duffer")]).unwrap(), Some(3));
        assert!(set_contains(&e, "SetOfPerson", 0, 4).unwrap());
        assert!(!set_contains(&e, "SetOfPerson", 0, 7).unwrap());
        // Wrong key shapes are errors, not misses.
        assert!(find_set_element(&e, "SetOfString", 0, &[SetMapKeyValue::Int(1)]).is_err());
        assert!(find_set_element(&e, "SetOfString", 0, &[]).is_err());
        assert!(find_set_element(&e, "NoSuchSet", 0, &[SetMapKeyValue::Int(1)]).is_err());
        // An ordinal without data finds nothing.
        assert_eq!(find_set_element(&e, "SetOfString", 1_000_000, &[SetMapKeyValue::String("x")]).unwrap(), None);
    }

    #[test]
    fn finds_map_entries_by_hash_key() {
        let e = collections(2);
        // MapOfStringToLong @HashKey(value): map 0 is {neg: (5,2), views: (3,0), likes: (4,1)}.
        assert_eq!(
            find_map_entry(&e, "MapOfStringToLong", 0, &[SetMapKeyValue::String("views")]).unwrap(),
            Some((3, 0))
        );
        assert_eq!(find_map_entry(&e, "MapOfStringToLong", 0, &[SetMapKeyValue::String("neg")]).unwrap(), Some((5, 2)));
        assert_eq!(find_map_entry(&e, "MapOfStringToLong", 0, &[SetMapKeyValue::String("nope")]).unwrap(), None);
        // MapOfPersonToRole @HashKey(personId): map 0 is {David(11) -> 1, Millie(10) -> 0}.
        assert_eq!(find_map_entry(&e, "MapOfPersonToRole", 0, &[SetMapKeyValue::Int(11)]).unwrap(), Some((1, 1)));
        assert_eq!(find_map_entry(&e, "MapOfPersonToRole", 0, &[SetMapKeyValue::Int(10)]).unwrap(), Some((0, 0)));
        assert_eq!(map_get(&e, "MapOfPersonToRole", 0, 1).unwrap(), Some(1));
        assert_eq!(map_get(&e, "MapOfPersonToRole", 0, 7).unwrap(), None);
    }

    #[test]
    fn key_paths_expand_like_java() {
        let e = collections(2);
        // Studio @PrimaryKey(name, address.city.value); "address.city" expands through String.
        let short = bind_key_path(&e, "Studio", "address.city").unwrap();
        let long = bind_key_path(&e, "Studio", "address.city.value").unwrap();
        assert_eq!(short, long);
        assert_eq!(long.leaf_type(), FieldType::String);
        assert_eq!(long.steps.len(), 3);
        let unexpanded = bind_key_path(&e, "Studio", "address!").unwrap();
        assert_eq!(unexpanded.leaf_type(), FieldType::Reference);
        // Address has two fields and no primary key: it cannot be expanded.
        assert!(bind_key_path(&e, "Studio", "address").is_err());
        assert!(bind_key_path(&e, "Studio", "name.value").is_err());
        assert!(bind_key_path(&e, "Studio", "nope").is_err());
        let key = BoundKey::bind(&e, "Studio", &["name".into(), "address.city".into()]).unwrap();
        assert!(key.matches(&e, 0, &[SetMapKeyValue::String("21 Laps"), SetMapKeyValue::String("Los Angeles")]));
        assert!(!key.matches(&e, 0, &[SetMapKeyValue::String("21 Laps"), SetMapKeyValue::String("London")]));
    }

    /// Java's placement: insert in ascending order, each from `hashInt(ordinal) & (n-1)`, probing linearly.
    fn place(ordinals: &[u32], n: usize) -> Vec<Option<u32>> {
        let mut table = vec![None; n];
        for &o in ordinals {
            let mut b = (hash_int(o as i32) as u32 as usize) & (n - 1);
            while table[b].is_some() {
                b = (b + 1) % n;
            }
            table[b] = Some(o);
        }
        table
    }

    #[test]
    fn unkeyed_placement_matches_the_format_examples() {
        // Format doc §4.2: set {0,2,4} has buckets [4, 2, empty, 0]; §4.3: map {1->2, 3->4} has buckets
        // [3->4, empty, 1->2, empty]. The readers' probes start where these were placed.
        assert_eq!(place(&[0, 2, 4], 4), [Some(4), Some(2), None, Some(0)]);
        assert_eq!(place(&[1, 3], 4), [Some(3), None, Some(1), None]);
    }

    /// Primary keys that refer to each other (possible in a blob's schemas) are an error, not a stack
    /// overflow.
    #[test]
    fn circular_primary_keys_are_an_error() {
        use crate::schema::{FieldType, ObjectField, ObjectSchema};
        use crate::write::WriteStateEngine;
        let mut w = WriteStateEngine::new();
        for (name, other) in [("A", "B"), ("B", "A")] {
            let field = other.to_lowercase();
            let schema = ObjectSchema::new(name)
                .with_field(ObjectField::reference(field.clone(), other))
                .with_field(ObjectField::new("x", FieldType::Int))
                .with_primary_key([field]);
            w.add_schema(schema.into()).unwrap();
        }
        let mut snapshot = Vec::new();
        w.write_snapshot(&mut snapshot).unwrap();
        let e = ReadStateEngine::from_snapshot(&snapshot).unwrap();
        let err = bind_key_path(&e, "A", "b").unwrap_err();
        assert!(err.to_string().contains("circle"), "{err}");
    }
}

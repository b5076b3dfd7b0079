//! Records as values: a canonical form, a total order, a hash, and the field-level difference of two
//! records.
//!
//! Two records are the same value when they read the same through their references, whatever the
//! ordinals. Equality of [`GenericValue`]s is structural and takes element order into account, but a
//! SET or MAP's iteration order follows its element ordinals' hashes, which differ between two states
//! that numbered the same values differently. [`canonical`] sorts set elements and map entries (by
//! [`compare_values`]), so equal values become equal `GenericValue`s and order-sensitive comparison,
//! hashing and diffing all see values only.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use serde_json::Value as Json;

use crate::mapper::GenericValue;

/// `value` with the elements of every SET and the entries of every MAP sorted by
/// [`compare_values`], at every depth: the form two equal values share whatever their ordinals.
pub fn canonical(value: GenericValue) -> GenericValue {
    match value {
        GenericValue::Object { type_name, fields } => {
            GenericValue::Object { type_name, fields: fields.into_iter().map(|(n, v)| (n, canonical(v))).collect() }
        }
        GenericValue::List { type_name, elements } => {
            GenericValue::List { type_name, elements: elements.into_iter().map(canonical).collect() }
        }
        GenericValue::Set { type_name, elements } => {
            let mut elements: Vec<GenericValue> = elements.into_iter().map(canonical).collect();
            elements.sort_by(compare_values);
            GenericValue::Set { type_name, elements }
        }
        GenericValue::Map { type_name, entries } => {
            let mut entries: Vec<(GenericValue, GenericValue)> =
                entries.into_iter().map(|(k, v)| (canonical(k), canonical(v))).collect();
            entries.sort_by(|(k1, v1), (k2, v2)| compare_values(k1, k2).then_with(|| compare_values(v1, v2)));
            GenericValue::Map { type_name, entries }
        }
        scalar => scalar,
    }
}

fn rank(value: &GenericValue) -> u8 {
    match value {
        GenericValue::Null => 0,
        GenericValue::Boolean(_) => 1,
        GenericValue::Int(_) => 2,
        GenericValue::Long(_) => 3,
        GenericValue::Float(_) => 4,
        GenericValue::Double(_) => 5,
        GenericValue::String(_) => 6,
        GenericValue::Bytes(_) => 7,
        GenericValue::Object { .. } => 8,
        GenericValue::List { .. } => 9,
        GenericValue::Set { .. } => 10,
        GenericValue::Map { .. } => 11,
    }
}

/// A total order on values that agrees with their equality (floats by `total_cmp`, which is equal
/// exactly when the bits are, as `GenericValue` equality compares them). Null sorts first; values of
/// different kinds sort by kind; records by type name, then fields or elements in order.
pub fn compare_values(a: &GenericValue, b: &GenericValue) -> Ordering {
    use GenericValue::*;
    match (a, b) {
        (Boolean(x), Boolean(y)) => x.cmp(y),
        (Int(x), Int(y)) => x.cmp(y),
        (Long(x), Long(y)) => x.cmp(y),
        (Float(x), Float(y)) => x.total_cmp(y),
        (Double(x), Double(y)) => x.total_cmp(y),
        (String(x), String(y)) => x.cmp(y),
        (Bytes(x), Bytes(y)) => x.cmp(y),
        (Object { type_name: t, fields: f }, Object { type_name: u, fields: g }) => t.cmp(u).then_with(|| {
            compare_sequences(f, g, |(n1, v1), (n2, v2)| n1.cmp(n2).then_with(|| compare_values(v1, v2)))
        }),
        (List { type_name: t, elements: e }, List { type_name: u, elements: f })
        | (Set { type_name: t, elements: e }, Set { type_name: u, elements: f }) => {
            t.cmp(u).then_with(|| compare_sequences(e, f, compare_values))
        }
        (Map { type_name: t, entries: e }, Map { type_name: u, entries: f }) => t.cmp(u).then_with(|| {
            compare_sequences(e, f, |(k1, v1), (k2, v2)| compare_values(k1, k2).then_with(|| compare_values(v1, v2)))
        }),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Lexicographic order of two sequences under `cmp`.
fn compare_sequences<T>(a: &[T], b: &[T], mut cmp: impl FnMut(&T, &T) -> Ordering) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match cmp(x, y) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
    }
    a.len().cmp(&b.len())
}

/// Compare two keys (one value per key field) with [`compare_values`].
pub fn compare_keys(a: &[GenericValue], b: &[GenericValue]) -> Ordering {
    compare_sequences(a, b, compare_values)
}

/// Feed `value` to `state`, consistently with `GenericValue` equality (floats by bits).
pub(crate) fn hash_value<H: Hasher>(value: &GenericValue, state: &mut H) {
    rank(value).hash(state);
    match value {
        GenericValue::Null => {}
        GenericValue::Boolean(v) => v.hash(state),
        GenericValue::Int(v) => v.hash(state),
        GenericValue::Long(v) => v.hash(state),
        GenericValue::Float(v) => v.to_bits().hash(state),
        GenericValue::Double(v) => v.to_bits().hash(state),
        GenericValue::String(v) => v.hash(state),
        GenericValue::Bytes(v) => v.hash(state),
        GenericValue::Object { type_name, fields } => {
            type_name.hash(state);
            fields.len().hash(state);
            for (name, v) in fields {
                name.hash(state);
                hash_value(v, state);
            }
        }
        GenericValue::List { type_name, elements } | GenericValue::Set { type_name, elements } => {
            type_name.hash(state);
            elements.len().hash(state);
            for v in elements {
                hash_value(v, state);
            }
        }
        GenericValue::Map { type_name, entries } => {
            type_name.hash(state);
            entries.len().hash(state);
            for (k, v) in entries {
                hash_value(k, state);
                hash_value(v, state);
            }
        }
    }
}

/// The hash of a key.
pub(crate) fn hash_key(key: &[GenericValue]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.len().hash(&mut hasher);
    for v in key {
        hash_value(v, &mut hasher);
    }
    hasher.finish()
}

/// One field whose value differs between the old and the new record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// Where the value is, from the record (see [`field_changes`] for the notation).
    pub path: String,
    /// The value in the old record ([`GenericValue::Null`] when absent or null).
    pub old: GenericValue,
    /// The value in the new record ([`GenericValue::Null`] when absent or null).
    pub new: GenericValue,
}

/// The values that differ between two canonical records (see [`canonical`]), with their paths, in
/// the order of the fields (and of list indexes and map keys) within the records.
///
/// Paths:
///
/// * `title`, `director.name`: a field, and a field of a referenced record. A record of exactly one
///   field (`String`, `Integer`, …) stands for its field: `title`, not `title.value`.
/// * `tags[2]`: element 2 of a LIST; elements past the end of the shorter list are reported against
///   null.
/// * `ratings{"US"}`: the value of the MAP entry with key `"US"` (the key in compact JSON, a record of
///   one field written as its field); an entry on one side only is reported against null.
/// * A SET whose membership changed is reported whole, at the set's own path: a set has no positions
///   to name, and its elements are values, so "which element changed" has no answer.
/// * A change of kind (null to a record, one type to another) is reported at its path, whole.
pub fn field_changes(old: &GenericValue, new: &GenericValue) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    walk(old, new, &mut String::new(), &mut changes);
    changes
}

fn walk(old: &GenericValue, new: &GenericValue, path: &mut String, out: &mut Vec<FieldChange>) {
    if old == new {
        return;
    }
    let at = path.len();
    let mut push_whole = |path: &str| {
        out.push(FieldChange { path: path.to_owned(), old: old.clone(), new: new.clone() });
    };
    match (old, new) {
        (GenericValue::Object { type_name: t, fields: f }, GenericValue::Object { type_name: u, fields: g })
            if t == u =>
        {
            if f.len() == 1 && g.len() == 1 && f[0].0 == g[0].0 {
                return walk(&f[0].1, &g[0].1, path, out);
            }
            // Fields by name: the two states may order or hold them differently if the schema changed.
            let mut names: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
            names.extend(g.iter().map(|(n, _)| n.as_str()).filter(|n| !f.iter().any(|(m, _)| m == n)));
            for name in names {
                let (a, b) =
                    (old.field(name).unwrap_or(&GenericValue::Null), new.field(name).unwrap_or(&GenericValue::Null));
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
                walk(a, b, path, out);
                path.truncate(at);
            }
        }
        (GenericValue::List { type_name: t, elements: e }, GenericValue::List { type_name: u, elements: f })
            if t == u =>
        {
            for i in 0..e.len().max(f.len()) {
                let (a, b) = (e.get(i).unwrap_or(&GenericValue::Null), f.get(i).unwrap_or(&GenericValue::Null));
                path.push_str(&format!("[{i}]"));
                walk(a, b, path, out);
                path.truncate(at);
            }
        }
        (GenericValue::Map { type_name: t, entries: e }, GenericValue::Map { type_name: u, entries: f }) if t == u => {
            // Both are sorted by key (canonical form): merge them.
            let (mut i, mut j) = (0, 0);
            while i < e.len() || j < f.len() {
                let order = match (e.get(i), f.get(j)) {
                    (Some((k1, _)), Some((k2, _))) => compare_values(k1, k2),
                    (Some(_), None) => Ordering::Less,
                    _ => Ordering::Greater,
                };
                let (key, a, b) = match order {
                    Ordering::Equal => (&e[i].0, &e[i].1, &f[j].1),
                    Ordering::Less => (&e[i].0, &e[i].1, &GenericValue::Null),
                    Ordering::Greater => (&f[j].0, &GenericValue::Null, &f[j].1),
                };
                path.push('{');
                path.push_str(&compact_json(key).to_string());
                path.push('}');
                walk(a, b, path, out);
                path.truncate(at);
                match order {
                    Ordering::Equal => (i, j) = (i + 1, j + 1),
                    Ordering::Less => i += 1,
                    Ordering::Greater => j += 1,
                }
            }
        }
        _ => push_whole(path),
    }
}

/// A value as JSON for a person: like [`GenericValue::to_json`], with every record of exactly one
/// field written as that field (`"Heat"` rather than `{"value":"Heat"}`).
pub fn compact_json(value: &GenericValue) -> Json {
    match value {
        GenericValue::Object { fields, .. } if fields.len() == 1 => compact_json(&fields[0].1),
        GenericValue::Object { fields, .. } => {
            Json::Object(fields.iter().map(|(n, v)| (n.clone(), compact_json(v))).collect())
        }
        GenericValue::List { elements, .. } | GenericValue::Set { elements, .. } => {
            Json::Array(elements.iter().map(compact_json).collect())
        }
        GenericValue::Map { entries, .. } => {
            if entries.iter().all(|(k, _)| k.as_str().is_some()) {
                Json::Object(
                    entries.iter().map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), compact_json(v))).collect(),
                )
            } else {
                Json::Array(entries.iter().map(|(k, v)| Json::Array(vec![compact_json(k), compact_json(v)])).collect())
            }
        }
        scalar => scalar.to_json(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> GenericValue {
        GenericValue::Object {
            type_name: "String".into(),
            fields: vec![("value".into(), GenericValue::String(v.into()))],
        }
    }

    fn object(type_name: &str, fields: Vec<(&str, GenericValue)>) -> GenericValue {
        GenericValue::Object {
            type_name: type_name.into(),
            fields: fields.into_iter().map(|(n, v)| (n.to_owned(), v)).collect(),
        }
    }

    #[test]
    fn canonical_form_makes_sets_and_maps_order_free() {
        let a = GenericValue::Set { type_name: "S".into(), elements: vec![s("b"), s("a")] };
        let b = GenericValue::Set { type_name: "S".into(), elements: vec![s("a"), s("b")] };
        assert_ne!(a, b);
        assert_eq!(canonical(a), canonical(b.clone()));
        let m1 = GenericValue::Map {
            type_name: "M".into(),
            entries: vec![(s("y"), GenericValue::Int(2)), (s("x"), GenericValue::Int(1))],
        };
        let m2 = GenericValue::Map {
            type_name: "M".into(),
            entries: vec![(s("x"), GenericValue::Int(1)), (s("y"), GenericValue::Int(2))],
        };
        assert_eq!(canonical(m1), canonical(m2));
    }

    #[test]
    fn order_agrees_with_equality_for_floats() {
        assert_eq!(compare_values(&GenericValue::Double(f64::NAN), &GenericValue::Double(f64::NAN)), Ordering::Equal);
        assert_ne!(compare_values(&GenericValue::Double(0.0), &GenericValue::Double(-0.0)), Ordering::Equal);
        assert_eq!(compare_values(&GenericValue::Null, &GenericValue::Int(0)), Ordering::Less);
    }

    #[test]
    fn paths_name_fields_references_list_elements_and_map_keys() {
        let list = |v: &[&str]| GenericValue::List {
            type_name: "ListOfString".into(),
            elements: v.iter().map(|x| s(x)).collect(),
        };
        let map = |v: &[(&str, i32)]| {
            canonical(GenericValue::Map {
                type_name: "MapOfStringToInt".into(),
                entries: v.iter().map(|(k, x)| (s(k), GenericValue::Int(*x))).collect(),
            })
        };
        let director = |name: &str| object("Director", vec![("name", s(name)), ("born", GenericValue::Int(1950))]);
        let old = object(
            "Movie",
            vec![
                ("id", GenericValue::Long(1)),
                ("title", s("Heat")),
                ("director", director("Mann")),
                ("tags", list(&["a", "b", "c"])),
                ("ratings", map(&[("US", 5), ("FR", 4)])),
            ],
        );
        let new = object(
            "Movie",
            vec![
                ("id", GenericValue::Long(1)),
                ("title", s("Heat 2")),
                ("director", director("M. Mann")),
                ("tags", list(&["a", "b", "x", "d"])),
                ("ratings", map(&[("US", 3), ("DE", 4), ("FR", 4)])),
            ],
        );
        let paths: Vec<String> = field_changes(&old, &new).into_iter().map(|c| c.path).collect();
        assert_eq!(paths, ["title", "director.name", "tags[2]", "tags[3]", r#"ratings{"DE"}"#, r#"ratings{"US"}"#]);
        let changes = field_changes(&old, &new);
        assert_eq!(changes[0].old, GenericValue::String("Heat".into()));
        assert_eq!(changes[3].old, GenericValue::Null);
        assert_eq!(changes[3].new, s("d"));
        assert!(field_changes(&old, &old).is_empty());
        // The reverse diff swaps old and new.
        let back = field_changes(&new, &old);
        assert_eq!(back.len(), changes.len());
        for (b, c) in back.iter().zip(&changes) {
            assert_eq!((&b.path, &b.old, &b.new), (&c.path, &c.new, &c.old));
        }
    }

    #[test]
    fn sets_are_reported_whole_and_kind_changes_at_their_path() {
        let set = |v: &[&str]| {
            canonical(GenericValue::Set { type_name: "SetOfString".into(), elements: v.iter().map(|x| s(x)).collect() })
        };
        let old = object("T", vec![("k", set(&["a", "b"])), ("d", GenericValue::Null)]);
        let new = object(
            "T",
            vec![
                ("k", set(&["b", "c"])),
                ("d", object("D", vec![("x", GenericValue::Int(1)), ("y", GenericValue::Int(2))])),
            ],
        );
        let changes = field_changes(&old, &new);
        assert_eq!(changes.len(), 2);
        assert_eq!((changes[0].path.as_str(), &changes[0].old), ("k", &set(&["a", "b"])));
        assert_eq!((changes[1].path.as_str(), &changes[1].old), ("d", &GenericValue::Null));
    }
}

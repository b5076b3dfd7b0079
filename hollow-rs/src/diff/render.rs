//! A diff as a change set, as text for a person and as JSON for tools.

use std::fmt::Write as _;

use serde_json::{json, Value as Json};

use super::value::compact_json;
use super::{Change, ChangeSet, DiffMethod, KeyedRecord, StateDiff, TypeDiff};
use crate::mapper::GenericValue;

impl StateDiff {
    /// The changes that take the old state's root records to the new state's: per root type, by
    /// type name, a delete per removed record then an upsert per modified and added record, each in
    /// key order.
    ///
    /// Root types are the types with a primary key and the types no other type references; the
    /// records of other types travel inside their parents' upserts (a `String` title inside its
    /// `Movie`). A record of a non-root type that no root reaches is not in the change set.
    ///
    /// Only the records kept in detail are included: diff without a
    /// [`detail_limit`](super::DiffOptions::detail_limit) (or use [`change_set`](super::change_set))
    /// for the whole change; [`is_complete`](StateDiff::is_complete) tells.
    pub fn to_change_set(&self) -> ChangeSet {
        let mut set = ChangeSet::new();
        for t in self.types.iter().filter(|t| t.is_root) {
            for removed in &t.removed_records {
                set.push(Change::Delete { type_name: t.type_name.clone(), key: removed.key.clone() });
            }
            // Modified and added records interleaved in key order, so the set reads like the type.
            let mut upserts: Vec<(&[GenericValue], &GenericValue)> =
                t.modified_records.iter().map(|m| (m.key.as_slice(), &m.new)).collect();
            upserts.extend(t.added_records.iter().map(|a| (a.key.as_slice(), &a.record)));
            upserts.sort_by(|a, b| super::compare_keys(a.0, b.0));
            for (_, record) in upserts {
                set.push(Change::Upsert { type_name: t.type_name.clone(), record: record.clone() });
            }
        }
        set
    }

    /// The diff for a person: a table of counts per type, then, per changed type, up to `limit`
    /// records of each kind: `+` added and `-` removed records with their values, `~` modified ones
    /// with each changed field as `path: old -> new`. Values are compact JSON (records of one field
    /// written as that field).
    pub fn render_text(&self, limit: usize) -> String {
        let mut out = String::new();
        let how = match self.stats.method {
            DiffMethod::OneDelta => "one delta apart: removed and added ordinals",
            DiffMethod::Compared => "records compared in place",
        };
        let changed = self.types.iter().filter(|t| !t.is_unchanged()).count();
        let _ = writeln!(out, "{changed} of {} types changed ({how})", self.types.len());
        let width = self.types.iter().map(|t| t.type_name.len()).max().unwrap_or(4).max(4);
        let _ = writeln!(
            out,
            "{:<width$}  {:>9}  {:>9}  {:>9}  {:>9}",
            "type", "added", "removed", "modified", "unchanged"
        );
        for t in &self.types {
            let _ = writeln!(
                out,
                "{:<width$}  {:>9}  {:>9}  {:>9}  {:>9}",
                t.type_name, t.added, t.removed, t.modified, t.unchanged
            );
        }
        for t in self.types.iter().filter(|t| !t.is_unchanged()) {
            let keyed_by = match &t.primary_key {
                Some(paths) => format!("key {}", paths.join(", ")),
                None => "keyed by value".to_owned(),
            };
            let _ = writeln!(out, "\n{} ({keyed_by})", t.type_name);
            let show = |out: &mut String, sign: char, records: &[KeyedRecord], total: usize| {
                for r in records.iter().take(limit) {
                    if t.primary_key.is_some() {
                        let _ = writeln!(out, "  {sign} {} {}", key_text(&r.key), compact_json(&r.record));
                    } else {
                        let _ = writeln!(out, "  {sign} {}", compact_json(&r.record));
                    }
                }
                more(out, sign, total, records.len().min(limit));
            };
            show(&mut out, '-', &t.removed_records, t.removed);
            show(&mut out, '+', &t.added_records, t.added);
            for m in t.modified_records.iter().take(limit) {
                let _ = writeln!(out, "  ~ {}", key_text(&m.key));
                for f in &m.fields {
                    let _ = writeln!(out, "      {}: {} -> {}", f.path, compact_json(&f.old), compact_json(&f.new));
                }
            }
            more(&mut out, '~', t.modified, t.modified_records.len().min(limit));
        }
        out
    }

    /// The diff for tools:
    ///
    /// ```text
    /// {"method":"oneDelta","stats":{…},
    ///  "types":[{"type":"Movie","primaryKey":["id"],"root":true,
    ///            "added":1,"removed":0,"modified":1,"unchanged":998,"complete":true,
    ///            "addedRecords":[{"key":[7],"record":{…}}],"removedRecords":[],
    ///            "modifiedRecords":[{"key":[1],"fields":[{"path":"title","old":…,"new":…}]}]}]}
    /// ```
    ///
    /// Keys, records and values use [`GenericValue::to_json`], which
    /// [`from_json`](crate::mapper::from_json) reads back.
    pub fn to_json(&self) -> Json {
        let method = match self.stats.method {
            DiffMethod::OneDelta => "oneDelta",
            DiffMethod::Compared => "compared",
        };
        json!({
            "method": method,
            "stats": {
                "sharedTypes": self.stats.shared_types,
                "ordinalsCompared": self.stats.ordinals_compared,
                "recordsRead": self.stats.records_read,
            },
            "types": self.types.iter().map(type_json).collect::<Vec<_>>(),
        })
    }
}

fn type_json(t: &TypeDiff) -> Json {
    let keyed = |records: &[KeyedRecord]| -> Vec<Json> {
        records.iter().map(|r| json!({"key": values_json(&r.key), "record": r.record.to_json()})).collect()
    };
    json!({
        "type": t.type_name,
        "primaryKey": t.primary_key,
        "root": t.is_root,
        "added": t.added,
        "removed": t.removed,
        "modified": t.modified,
        "unchanged": t.unchanged,
        "complete": t.is_complete(),
        "addedRecords": keyed(&t.added_records),
        "removedRecords": keyed(&t.removed_records),
        "modifiedRecords": t.modified_records.iter().map(|m| json!({
            "key": values_json(&m.key),
            "fields": m.fields.iter().map(|f| json!({"path": f.path, "old": f.old.to_json(), "new": f.new.to_json()})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn values_json(values: &[GenericValue]) -> Json {
    Json::Array(values.iter().map(GenericValue::to_json).collect())
}

/// A key as `[v1, v2]` in compact JSON.
fn key_text(key: &[GenericValue]) -> String {
    Json::Array(key.iter().map(compact_json).collect()).to_string()
}

fn more(out: &mut String, sign: char, total: usize, shown: usize) {
    if total > shown {
        let _ = writeln!(out, "  {sign} … and {} more", total - shown);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DiffStats, FieldChange, ModifiedRecord};
    use super::*;

    fn long(v: i64) -> GenericValue {
        GenericValue::Long(v)
    }

    fn movie(id: i64, title: &str) -> GenericValue {
        GenericValue::Object {
            type_name: "Movie".into(),
            fields: vec![("id".into(), long(id)), ("title".into(), GenericValue::String(title.into()))],
        }
    }

    fn sample() -> StateDiff {
        StateDiff {
            types: vec![TypeDiff {
                type_name: "Movie".into(),
                primary_key: Some(vec!["id".into()]),
                is_root: true,
                added: 2,
                removed: 1,
                modified: 1,
                unchanged: 5,
                added_records: vec![
                    KeyedRecord { key: vec![long(9)], record: movie(9, "Up") },
                    KeyedRecord { key: vec![long(3)], record: movie(3, "Big") },
                ],
                removed_records: vec![KeyedRecord { key: vec![long(2)], record: movie(2, "Jaws") }],
                modified_records: vec![ModifiedRecord {
                    key: vec![long(4)],
                    old: movie(4, "Heat"),
                    new: movie(4, "Heat 2"),
                    fields: vec![FieldChange {
                        path: "title".into(),
                        old: GenericValue::String("Heat".into()),
                        new: GenericValue::String("Heat 2".into()),
                    }],
                }],
            }],
            stats: DiffStats { method: DiffMethod::OneDelta, shared_types: 0, ordinals_compared: 0, records_read: 5 },
        }
    }

    #[test]
    fn change_set_deletes_then_upserts_in_key_order() {
        let changes = sample().to_change_set();
        let ops: Vec<String> = changes.changes().iter().map(|c| c.to_json().to_string()).collect();
        assert_eq!(
            ops,
            [
                r#"{"key":[2],"op":"delete","type":"Movie"}"#,
                r#"{"op":"upsert","record":{"id":3,"title":"Big"},"type":"Movie"}"#,
                r#"{"op":"upsert","record":{"id":4,"title":"Heat 2"},"type":"Movie"}"#,
                r#"{"op":"upsert","record":{"id":9,"title":"Up"},"type":"Movie"}"#,
            ]
        );
    }

    #[test]
    fn text_has_the_counts_and_the_changed_fields() {
        let text = sample().render_text(1);
        assert!(text.contains("1 of 1 types changed"), "{text}");
        assert!(text.contains("Movie          2          1          1          5"), "{text}");
        assert!(text.contains("  - [2] {\"id\":2,\"title\":\"Jaws\"}"), "{text}");
        assert!(text.contains("  + [9] {\"id\":9,\"title\":\"Up\"}"), "{text}");
        assert!(text.contains("  + … and 1 more"), "{text}");
        assert!(text.contains("  ~ [4]\n      title: \"Heat\" -> \"Heat 2\""), "{text}");
    }

    #[test]
    fn json_has_counts_and_field_changes() {
        let json = sample().to_json();
        let movie = &json["types"][0];
        assert_eq!(movie["added"], 2);
        assert_eq!(movie["complete"], true);
        assert_eq!(movie["modifiedRecords"][0]["fields"][0]["new"], "Heat 2");
        assert_eq!(movie["removedRecords"][0]["key"], json!([2]));
    }
}

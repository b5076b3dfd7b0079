//! The HTML pages, rendered on the server with maud, which escapes every interpolated value: record
//! data (a string field holding `<script>`) can only ever appear as text. Nothing here uses
//! `PreEscaped`. URLs built from data go through [`url`], which percent-encodes each component.

use maud::{html, Markup, DOCTYPE};
use serde_json::Value as Json;

use hollow::diff::{compact_json, ModifiedRecord, TypeDiff};
use hollow::mapper::GenericValue;

use super::changes::{Diff, History};
use super::explore::{Lookup, Record, RecordsPage, Row, Status, Types};
use super::records::{Entry, Node};

/// What the header says about the page: the version it shows, and whether that was asked for.
pub struct Viewing<'a> {
    pub status: &'a Status,
    pub version: Option<i64>,
    pub pinned: bool,
    /// Query parameters the version picker carries over (a lookup's key, say).
    pub keep: Vec<(String, String)>,
}

/// A path with query parameters, each percent-encoded; empty values are left out.
pub fn url(path: &[&str], query: &[(&str, String)]) -> String {
    let mut out = String::new();
    for segment in path {
        out.push('/');
        out.push_str(&encode(segment));
    }
    if out.is_empty() {
        out.push('/');
    }
    let mut first = true;
    for (name, value) in query.iter().filter(|(_, v)| !v.is_empty()) {
        out.push(if first { '?' } else { '&' });
        first = false;
        out.push_str(&encode(name));
        out.push('=');
        out.push_str(&encode(value));
    }
    out
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `version=V` for links that stay on a pinned version.
fn pin(pinned: bool, version: i64) -> (&'static str, String) {
    ("version", if pinned { version.to_string() } else { String::new() })
}

fn record_url(type_name: &str, ordinal: u32, pinned: bool, version: i64) -> String {
    url(&["types", type_name, "records", &ordinal.to_string()], &[pin(pinned, version)])
}

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

/// The page around `body`.
pub fn layout(title: &str, viewing: &Viewing<'_>, body: Markup) -> Markup {
    let status = viewing.status;
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · hollow" }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body data-version=(viewing.version.map(|v| v.to_string()).unwrap_or_default()) data-pinned=(viewing.pinned) {
                header {
                    a.brand href="/" { "hollow" }
                    span.dataset title="store" { (status.dataset) }
                    nav {
                        a href="/" { "Types" }
                        a href="/diff" { "Diff" }
                        a href="/history" { "History" }
                        a href="/api" { "API" }
                    }
                    div.versions {
                        @if let Some(v) = viewing.version {
                            span { "viewing " b #viewing-version { (v) } @if viewing.pinned { " (pinned)" } }
                        }
                        span { "current " b #current-version { (opt(status.current)) } }
                        span { "announced " b #announced-version { (opt(status.announced)) } }
                        form.pick method="get" {
                            @for (name, value) in &viewing.keep { input type="hidden" name=(name) value=(value); }
                            select name="version" aria-label="version" {
                                option value="" { "latest" }
                                @for v in status.versions.iter().rev() {
                                    option value=(v) selected[viewing.pinned && viewing.version == Some(*v)] { (v) }
                                }
                            }
                            button type="submit" { "view" }
                        }
                    }
                }
                div #update-banner hidden {}
                main { (body) }
            }
        }
    }
}

/// An error page: the status and what was wrong.
pub fn error(status: u16, message: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "error " (status) " · hollow" } link rel="stylesheet" href="/assets/style.css"; }
            body { main.error { h1 { "Error " (status) } p.message { (message) } p { a href="/" { "back to the types" } } } }
        }
    }
}

pub fn types(t: &Types) -> Markup {
    html! {
        h1 { "Types at version " (t.version) }
        table.grid {
            thead { tr { th { "type" } th { "kind" } th.num { "records" } th.num { "shards" } th.num { "max ordinal" } th.num { "heap bytes" } th { "primary key" } } }
            tbody {
                @for ty in &t.types {
                    tr {
                        td { a.type-link href=(url(&["types", &ty.name], &[pin(t.pinned, t.version)])) { (ty.name) } }
                        td { span.kind { (ty.kind) } }
                        td.num { (ty.records) } td.num { (ty.shards) } td.num { (ty.max_ordinal) } td.num { (ty.heap_bytes) }
                        td { @if let Some(k) = &ty.primary_key { code { (k.join(", ")) } } }
                    }
                }
            }
        }
    }
}

fn rows(rows: &[Row], type_name: &str, pinned: bool, version: i64, with_key: bool) -> Markup {
    html! {
        table.grid.records {
            thead { tr { th.num { "ordinal" } @if with_key { th { "key" } } th { "preview" } } }
            tbody {
                @for r in rows {
                    tr {
                        td.num { a.record-link href=(record_url(type_name, r.ordinal, pinned, version)) { (r.ordinal) } }
                        @if with_key { td.key { @if let Some(k) = &r.key { (key_text(k)) } } }
                        td.preview { (r.preview) }
                    }
                }
            }
        }
    }
}

fn key_text(values: &[Json]) -> String {
    values.iter().map(Json::to_string).collect::<Vec<_>>().join(", ")
}

/// The text a key value is typed as in a form: a string without its quotes.
fn key_input(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn records_page(p: &RecordsPage) -> Markup {
    let last_page = p.total.saturating_sub(1) / p.limit;
    let page_url = |page: usize| {
        url(
            &["types", &p.type_name],
            &[pin(p.pinned, p.version), ("page", page.to_string()), ("limit", p.limit.to_string())],
        )
    };
    html! {
        h1 { (p.type_name) " " span.kind { (p.kind) } }
        p.summary { (p.total) " records at version " (p.version) }
        div.forms {
            @if let Some(key) = &p.primary_key {
                form.lookup #pk-lookup method="get" action=(url(&["types", &p.type_name, "lookup"], &[])) {
                    h2 { "Look up by primary key" }
                    @if p.pinned { input type="hidden" name="version" value=(p.version); }
                    @for (i, path) in key.iter().enumerate() {
                        label { (path) " " input type="text" name=(format!("k{i}")) required; }
                    }
                    button type="submit" { "find" }
                }
            }
            form.lookup #hash-query method="get" action=(url(&["types", &p.type_name, "query"], &[])) {
                h2 { "Hash-index query" }
                @if p.pinned { input type="hidden" name="version" value=(p.version); }
                label { "fields " input type="text" name="fields" placeholder="path, path.element.value" required; }
                label { "k0 " input type="text" name="k0" required; }
                label { "k1 " input type="text" name="k1"; }
                button type="submit" { "query" }
            }
        }
        (rows(&p.records, &p.type_name, p.pinned, p.version, p.primary_key.is_some()))
        nav.pages {
            @if p.page > 0 { a href=(page_url(p.page - 1)) { "← previous" } }
            span { "page " (p.page + 1) " of " (last_page + 1) }
            @if p.page < last_page { a href=(page_url(p.page + 1)) { "next →" } }
        }
    }
}

pub fn node(n: &Node, pinned: bool, version: i64) -> Markup {
    match n {
        Node::Null => html! { span.null { "null" } },
        Node::Value { value } => html! { span.value { (value.to_string()) } },
        Node::Ref { type_name, ordinal, type_kind, preview, size, entries } => {
            let link = html! {
                a.ref href=(record_url(type_name, *ordinal, pinned, version)) { (type_name) " #" (ordinal) }
                @if let Some(n) = size { " " span.size { "(" (n) ")" } }
            };
            match entries {
                Some(entries) => html! {
                    details.collection data-kind=(type_kind) {
                        summary { (link) " " span.preview { (preview) } }
                        (entry_list(entries, *type_kind == "MAP", pinned, version))
                        @if size.unwrap_or(0) > entries.len() {
                            p { a href=(record_url(type_name, *ordinal, pinned, version)) { "all " (size.unwrap_or(0)) " entries" } }
                        }
                    }
                },
                None => html! { (link) " " span.preview { (preview) } },
            }
        }
    }
}

fn entry_list(entries: &[Entry], map: bool, pinned: bool, version: i64) -> Markup {
    html! {
        @if map {
            table.entries { @for e in entries { tr { td { @if let Some(k) = &e.key { (node(k, pinned, version)) } } td.arrow { "→" } td { (node(&e.value, pinned, version)) } } } }
        } @else {
            ol.entries start="0" { @for e in entries { li { (node(&e.value, pinned, version)) } } }
        }
    }
}

pub fn record(r: &Record) -> Markup {
    let history = r.key.as_ref().map(|k| {
        let q: Vec<(String, String)> = k.iter().enumerate().map(|(i, v)| (format!("k{i}"), key_input(v))).collect();
        let q: Vec<(&str, String)> = q.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
        url(&["history", &r.type_name], &q)
    });
    html! {
        h1 { a href=(url(&["types", &r.type_name], &[pin(r.pinned, r.version)])) { (r.type_name) } " #" (r.ordinal) " " span.kind { (r.kind) } }
        p.summary {
            "at version " (r.version)
            @if let (Some(paths), Some(key)) = (&r.primary_key, &r.key) { " · key " code { (paths.join(", ")) } " = " span.key { (key_text(key)) } }
            @if let Some(h) = &history { " · " a #history-link href=(h) { "history" } }
        }
        @if !r.fields.is_empty() {
            table.grid.fields {
                thead { tr { th { "field" } th { "type" } th { "value" } } }
                tbody { @for f in &r.fields { tr { td.name { (f.name) } td { span.kind { (f.field_type) } } td { (node(&f.node, r.pinned, r.version)) } } } }
            }
        }
        @if let Some(size) = r.size {
            p { (size) " entries" @if size > r.entries.len() { ", " (r.page * r.limit) " to " (r.page * r.limit + r.entries.len()) " shown" } }
            (entry_list(&r.entries, r.kind == "MAP", r.pinned, r.version))
        }
        details.raw { summary { "as in hollow dump" } pre { (serde_json::to_string_pretty(&r.dump).unwrap_or_default()) } }
    }
}

pub fn lookup(l: &Lookup) -> Markup {
    html! {
        h1 { a href=(url(&["types", &l.type_name], &[pin(l.pinned, l.version)])) { (l.type_name) } " where " }
        p.summary {
            @for (f, v) in l.fields.iter().zip(&l.values) { code { (f) } " = " span.key { (v) } " " }
            "· " span #match-count { (l.total) } " found at version " (l.version)
        }
        (rows(&l.records, &l.type_name, l.pinned, l.version, false))
    }
}

fn generic(v: &GenericValue) -> String {
    compact_json(v).to_string()
}

fn key_params(key: &[GenericValue], version: i64) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = key
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let text = match compact_json(v) {
                Json::String(s) => s,
                other => other.to_string(),
            };
            (format!("k{i}"), text)
        })
        .collect();
    q.push(("version".into(), version.to_string()));
    q
}

fn lookup_url(type_name: &str, key: &[GenericValue], version: i64) -> String {
    let q = key_params(key, version);
    let q: Vec<(&str, String)> = q.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    url(&["types", type_name, "lookup"], &q)
}

pub fn diff_form(status: &Status, from: Option<i64>, to: Option<i64>) -> Markup {
    let choice = |name: &str, picked: Option<i64>| {
        html! {
            select name=(name) {
                option value="" { "default" }
                @for v in status.versions.iter().rev() { option value=(v) selected[picked == Some(*v)] { (v) } }
            }
        }
    };
    html! {
        form.diff-pick method="get" action="/diff" {
            label { "from " (choice("from", from)) } label { "to " (choice("to", to)) }
            button type="submit" { "compare" }
        }
    }
}

pub fn diff(status: &Status, d: &Diff) -> Markup {
    html! {
        h1 { "Diff " (d.from) " → " (d.to) }
        (diff_form(status, Some(d.from), Some(d.to)))
        table.grid.diff-summary {
            thead { tr { th { "type" } th.num { "added" } th.num { "removed" } th.num { "modified" } th.num { "unchanged" } } }
            tbody {
                @for t in &d.diff.types {
                    tr.changed[!t.is_unchanged()] data-type=(t.type_name) {
                        td { a href=(url(&["diff"], &[("from", d.from.to_string()), ("to", d.to.to_string()), ("type", t.type_name.clone())])) { (t.type_name) } }
                        td.num.added { (t.added) } td.num.removed { (t.removed) } td.num.modified { (t.modified) } td.num { (t.unchanged) }
                    }
                }
            }
        }
        @if let Some(t) = d.type_name.as_deref().and_then(|t| d.diff.type_diff(t)) { (type_diff(d, t)) }
    }
}

fn type_diff(d: &Diff, t: &TypeDiff) -> Markup {
    let keyed = t.primary_key.is_some();
    html! {
        h2 { (t.type_name) }
        @if !t.is_complete() { p.note { "showing at most " (d.limit) " records of each kind" } }
        @for m in &t.modified_records { (modified(d, t, m)) }
        @if !t.added_records.is_empty() {
            h3 { "Added (" (t.added) ")" }
            ul.changes { @for r in &t.added_records {
                li.added { @if keyed { a href=(lookup_url(&t.type_name, &r.key, d.to)) { (generic_key(&r.key)) } " " } code { (generic(&r.record)) } }
            } }
        }
        @if !t.removed_records.is_empty() {
            h3 { "Removed (" (t.removed) ")" }
            ul.changes { @for r in &t.removed_records {
                li.removed { @if keyed { a href=(lookup_url(&t.type_name, &r.key, d.from)) { (generic_key(&r.key)) } " " } code { (generic(&r.record)) } }
            } }
        }
    }
}

fn generic_key(key: &[GenericValue]) -> String {
    key.iter().map(generic).collect::<Vec<_>>().join(", ")
}

/// Whether the change at `path` is in top-level field `field` (`title`, `tags[2]`, `cast.name`).
fn in_field(path: &str, field: &str) -> bool {
    path.strip_prefix(field).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[', '{']))
}

fn modified(d: &Diff, t: &TypeDiff, m: &ModifiedRecord) -> Markup {
    let fields = |v: &GenericValue| -> Vec<(String, String)> {
        match v {
            GenericValue::Object { fields, .. } => fields.iter().map(|(n, v)| (n.clone(), generic(v))).collect(),
            other => vec![(String::new(), generic(other))],
        }
    };
    let (old, new) = (fields(&m.old), fields(&m.new));
    html! {
        div.modified-record {
            h3 {
                "Modified " (generic_key(&m.key))
                @if t.primary_key.is_some() {
                    " · " a href=(lookup_url(&t.type_name, &m.key, d.from)) { "at " (d.from) }
                    " · " a href=(lookup_url(&t.type_name, &m.key, d.to)) { "at " (d.to) }
                }
            }
            table.grid.side-by-side {
                thead { tr { th { "field" } th { "at " (d.from) } th { "at " (d.to) } } }
                tbody {
                    @for (i, (name, new_value)) in new.iter().enumerate() {
                        @let old_value = old.get(i).map(|(_, v)| v.as_str()).unwrap_or("");
                        @let changed = m.fields.iter().any(|f| name.is_empty() || in_field(&f.path, name));
                        tr.changed[changed] data-field=(name) {
                            td.name { (name) } td.old { code { (old_value) } } td.new { code { (new_value) } }
                        }
                    }
                }
            }
            ul.field-changes { @for f in &m.fields { li { code { (f.path) } ": " code.old { (generic(&f.old)) } " → " code.new { (generic(&f.new)) } } } }
        }
    }
}

pub fn history_types(types: &Types) -> Markup {
    html! {
        h1 { "History" }
        p { "A record's changes across the retained versions. Pick a type with a primary key:" }
        ul.type-list { @for t in types.types.iter().filter(|t| t.primary_key.is_some()) {
            li { a href=(url(&["history", &t.name], &[])) { (t.name) } " " code { (t.primary_key.as_deref().unwrap_or_default().join(", ")) } }
        } }
    }
}

pub fn history_form(type_name: &str, fields: &[String], values: &[String]) -> Markup {
    html! {
        form.lookup #history-form method="get" action=(url(&["history", type_name], &[])) {
            @for (i, path) in fields.iter().enumerate() {
                label { (path) " " input type="text" name=(format!("k{i}")) value=(values.get(i).map(String::as_str).unwrap_or("")) required; }
            }
            button type="submit" { "show history" }
        }
    }
}

pub fn history(h: &History) -> Markup {
    html! {
        h1 { "History of " (h.type_name) " " span.key { (h.values.join(", ")) } }
        (history_form(&h.type_name, &h.fields, &h.values))
        p.summary {
            "versions " (h.versions.first().copied().unwrap_or_default()) " to " (h.versions.last().copied().unwrap_or_default())
            " (" (h.versions.len()) " walked) · " span #change-count { (h.changes.len()) } " changes"
        }
        @match &h.first_text {
            Some(first) => p { "at " (h.versions[0]) ": " code { (first) } },
            None => p { "not present at " (h.versions.first().copied().unwrap_or_default()) },
        }
        ol.history {
            @for c in &h.changes {
                li class=(c.change) {
                    div.head { b { (c.version) } " " span.change { (c.change) } " (from " (c.from) ")" }
                    @if c.fields.is_empty() {
                        code { (c.record_text) }
                    } @else {
                        table.grid { @for f in &c.fields { tr.changed { td.name { (f.path) } td.old { code { (f.text.0) } } td { "→" } td.new { code { (f.text.1) } } } } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_encode_every_component() {
        assert_eq!(
            url(&["types", "a/b<c>"], &[("k0", "x y&z".into()), ("version", String::new())]),
            "/types/a%2Fb%3Cc%3E?k0=x%20y%26z"
        );
        assert_eq!(url(&[], &[]), "/");
    }

    #[test]
    fn values_render_as_text() {
        let n = Node::Value { value: Json::from("<script>alert(1)</script>") };
        let html = node(&n, false, 1).into_string();
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"), "{html}");
    }

    #[test]
    fn changed_fields_match_their_paths() {
        assert!(in_field("tags[2]", "tags") && in_field("title", "title") && in_field("cast.name", "cast"));
        assert!(!in_field("titles", "title"));
    }
}

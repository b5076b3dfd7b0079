//! The files of the two engines, `src/read/` and `src/write/`, import each other in one direction only:
//! a shared base sits in a leaf module below the kinds, the dispatch over kinds above them, and no file
//! reaches a sibling that reaches back. A loop would mean two files that can only be understood, and
//! changed, together.
//!
//! The check reads the sources as text: a file depends on a sibling when it names `super::sibling`,
//! `crate::<engine>::sibling`, or an item the engine's `mod.rs` re-exports from that sibling. Unit tests
//! (`mod tests` and `tests.rs`) are left out: they may look at everything.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifiers named right after each occurrence of `prefix`: one, or all inside `{...}`.
fn names_after(src: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(at) = rest.find(prefix) {
        rest = &rest[at + prefix.len()..];
        let group = if let Some(inner) = rest.strip_prefix('{') {
            &inner[..inner.find('}').unwrap_or(inner.len())]
        } else {
            &rest[..rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len())]
        };
        out.extend(group.split(|c: char| !is_ident(c)).filter(|s| !s.is_empty()).map(str::to_owned));
    }
    out
}

/// Source without line comments and without the unit tests at its end.
fn code(path: &Path) -> String {
    let src = fs::read_to_string(path).unwrap();
    let src = src.split("#[cfg(test)]\nmod tests").next().unwrap();
    src.lines().map(|l| l.split("//").next().unwrap()).collect::<Vec<_>>().join("\n")
}

fn graph(engine: &str) -> Graph {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(engine);
    let mut modules = BTreeSet::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(m) = name.strip_suffix(".rs") {
            if m != "mod" && m != "tests" {
                modules.insert(m.to_owned());
            }
        }
    }
    // `pub use module::{A, B};` in mod.rs: A and B stand for `module`.
    let mut reexports = BTreeMap::new();
    let mod_rs = code(&dir.join("mod.rs"));
    for stmt in mod_rs.split(';') {
        let Some(path) = stmt.trim().strip_prefix("pub use ") else { continue };
        let Some((module, items)) = path.split_once("::") else { continue };
        for item in items.split(|c: char| !is_ident(c)).filter(|s| !s.is_empty()) {
            reexports.insert(item.to_owned(), module.to_owned());
        }
    }
    let mut graph = Graph::new();
    for m in &modules {
        let src = code(&dir.join(format!("{m}.rs")));
        let mut names = names_after(&src, "super::");
        names.extend(names_after(&src, &format!("crate::{engine}::")));
        let targets = names
            .iter()
            .filter_map(|n| if modules.contains(n) { Some(n) } else { reexports.get(n) })
            .filter(|t| *t != m)
            .cloned()
            .collect();
        graph.insert(m.clone(), targets);
    }
    graph
}

/// A cycle through `start`, if any, as the list of modules on it.
fn cycle_through(graph: &Graph, start: &str) -> Option<Vec<String>> {
    fn walk(graph: &Graph, at: &str, start: &str, path: &mut Vec<String>, seen: &mut BTreeSet<String>) -> bool {
        for next in &graph[at] {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, next, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_owned()];
    walk(graph, start, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

fn assert_acyclic(engine: &str) {
    let graph = graph(engine);
    assert!(graph.len() > 5, "{engine}: found only {graph:?}");
    for m in graph.keys() {
        if let Some(cycle) = cycle_through(&graph, m) {
            panic!("{engine}/: the imports loop {} -> {m}\nwhole graph: {graph:#?}", cycle.join(" -> "));
        }
    }
}

#[test]
fn read_engine_imports_go_one_way() {
    assert_acyclic("read");
}

#[test]
fn write_engine_imports_go_one_way() {
    assert_acyclic("write");
}

#[test]
fn the_check_sees_a_loop() {
    let mut graph = graph("read");
    assert!(graph["engine"].contains("type_state") && graph["type_state"].contains("object"));
    graph.get_mut("object").unwrap().insert("type_state".to_owned());
    assert!(cycle_through(&graph, "object").is_some());
}

//! Dependency order of types: every type after the types it references (Java's `HollowSchemaSorter`).
//!
//! Writers that copy a dataset record by record need a referenced record's ordinal before they can write a
//! record that points at it, so they visit types in this order. Java's order is fully determined: whenever
//! several types have all their dependencies placed, the one whose name sorts first (Java `String` order)
//! comes next. Only references to types present in the list count as dependencies. Types on a reference
//! cycle, and types that depend on one, can never be placed that way; they follow at the end, sorted by
//! name.

use std::collections::{BTreeSet, HashMap};

use super::Schema;

/// The schemas in Java's dependency order. When several schemas share a name, the last one stands for the
/// name and the references of all of them count, as in Java.
pub fn dependency_order(schemas: &[Schema]) -> Vec<&Schema> {
    let by_name: HashMap<&str, &Schema> = schemas.iter().map(|s| (s.name(), s)).collect();
    // Number the names in Java String order (by UTF-16 unit): the smallest ready number is then the type
    // Java picks next.
    let mut names: Vec<&str> = by_name.keys().copied().collect();
    names.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    let number: HashMap<&str, usize> = names.iter().enumerate().map(|(i, &name)| (name, i)).collect();

    // waiting_for[t]: the distinct types t still waits for; dependents[t]: the types waiting for t.
    let mut waiting_for = vec![BTreeSet::new(); names.len()];
    for schema in schemas {
        let deps = schema.referenced_types().into_iter().filter_map(|t| number.get(t).copied());
        waiting_for[number[schema.name()]].extend(deps);
    }
    let mut dependents = vec![Vec::new(); names.len()];
    for (t, deps) in waiting_for.iter().enumerate() {
        for &dep in deps {
            dependents[dep].push(t);
        }
    }

    let mut ready: BTreeSet<usize> = (0..names.len()).filter(|&t| waiting_for[t].is_empty()).collect();
    let mut placed = vec![false; names.len()];
    let mut ordered = Vec::with_capacity(names.len());
    while let Some(t) = ready.pop_first() {
        placed[t] = true;
        ordered.push(by_name[names[t]]);
        for &dependent in &dependents[t] {
            waiting_for[dependent].remove(&t);
            if waiting_for[dependent].is_empty() {
                ready.insert(dependent);
            }
        }
    }
    // What is left waits, directly or not, on a reference cycle.
    ordered.extend((0..names.len()).filter(|&t| !placed[t]).map(|t| by_name[names[t]]));
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::dsl::parse_schemas;

    fn order(text: &str) -> Vec<String> {
        let schemas = parse_schemas(text).unwrap();
        dependency_order(&schemas).iter().map(|s| s.name().to_owned()).collect()
    }

    #[test]
    fn dependencies_first_then_by_name() {
        assert_eq!(
            order(
                "Movie { long id; String title; SetOfActor cast; MapOfStringToActor roles; }
                 SetOfActor Set<Actor>; Actor { String name; } String { string value; }
                 MapOfStringToActor Map<String,Actor>; Unrelated { int x; }"
            ),
            ["String", "Actor", "MapOfStringToActor", "SetOfActor", "Movie", "Unrelated"]
        );
    }

    #[test]
    fn missing_types_are_not_dependencies() {
        assert_eq!(order("B { Gone g; } A { B b; }"), ["B", "A"]);
    }

    #[test]
    fn cycles_and_their_dependents_go_last_by_name() {
        assert_eq!(
            order(
                "Z { int x; } Value { Struct s; } Struct { Value v; } Self { Self me; } User { Struct s; } A { Z z; }"
            ),
            ["Z", "A", "Self", "Struct", "User", "Value"]
        );
    }

    #[test]
    fn names_sort_like_java_strings() {
        assert_eq!(order("\u{fffd} { int x; } \u{10000} { int x; }"), ["\u{10000}", "\u{fffd}"]);
    }

    #[test]
    fn the_last_schema_of_a_name_stands_for_it() {
        let schemas = parse_schemas("A { int x; } A { long y; }").unwrap();
        let ordered = dependency_order(&schemas);
        assert_eq!(ordered.len(), 1);
        assert!(std::ptr::eq(ordered[0], &schemas[1]));
        // ... but both schemas' references count: A waits for C.
        assert_eq!(order("A { C c; } B { int x; } A { B b; } C { int x; }"), ["B", "C", "A"]);
    }
}

//! Incremental cycles: starting a cycle from the previous one's records and removing records from it,
//! with the records that only they referenced (Java's `addAllObjectsFromPreviousCycle`,
//! `removeOrdinalFromThisCycle`, and the closure of `TransitiveSetTraverser` that
//! `HollowIncrementalCyclePopulator` computes).
//!
//! # Removal semantics
//!
//! [`remove_with_orphans`] is given **roots** (records to remove) and **anchors** (records to keep), and
//! works on the records populated in this cycle:
//!
//! 1. **Closure.** The roots, and every record they reference, transitively, are *marked*
//!    (`addTransitiveMatches`).
//! 2. **Referenced from outside.** A marked record referenced by a populated record that is not marked
//!    is unmarked, and so, transitively, are the marked records it references: they are still in use
//!    (`removeReferencedOutsideClosure`). Anchors are unmarked the same way, as if referenced from
//!    outside. This repeats until nothing changes, so the order of types does not matter and reference
//!    cycles are handled.
//! 3. The marked records are removed from this cycle (their ordinals stay in the ordinal map as
//!    ghosts of the previous cycle, as for any record not added again).
//!
//! Consequences, all as in Java:
//!
//! * A root that another kept record references is **not** removed (removing it would leave a
//!   dangling reference).
//! * A record reached from a root and referenced by nothing that is kept **is** removed, whatever its
//!   type, including a type with a primary key: a keyed `Actor` referenced only by a deleted `Movie`
//!   goes with it, though no one asked to delete that actor. A record that no other record references
//!   and that was never reached from a root (a top-level record of any type) is never touched.
//! * The outcome is the populated set a full cycle would have if it added again every record of the
//!   previous cycle except the roots, and the anchors, each with everything it references.
//!
//! Cost: the closure costs its size. Step 2 reads the references of the populated records of the types
//! that refer to a type with marked records, and only those (one pass over them); types whose referenced
//! types have nothing marked are not read at all.

use std::collections::HashMap;

use super::canonical::{list_elements, map_entries, object_fields, set_elements, RawField};
use super::dataset::TypeRecords;
use crate::schema::{FieldType, Schema};

/// Dense per-type bitsets of marked ordinals.
struct Marks {
    words: Vec<Vec<u64>>,
    counts: Vec<usize>,
}

impl Marks {
    fn new(types: &[&mut TypeRecords]) -> Self {
        let words = types.iter().map(|t| vec![0u64; (t.ordinals.max_ordinal() + 1).max(0) as usize / 64 + 1]).collect();
        Marks { words, counts: vec![0; types.len()] }
    }

    fn get(&self, t: usize, o: u32) -> bool {
        self.words[t].get(o as usize / 64).is_some_and(|w| w & (1 << (o % 64)) != 0)
    }

    /// Mark; true if it was not marked.
    fn set(&mut self, t: usize, o: u32) -> bool {
        let Some(w) = self.words[t].get_mut(o as usize / 64) else { return false };
        let bit = 1u64 << (o % 64);
        let new = *w & bit == 0;
        *w |= bit;
        self.counts[t] += new as usize;
        new
    }

    /// Unmark; true if it was marked.
    fn clear(&mut self, t: usize, o: u32) -> bool {
        let Some(w) = self.words[t].get_mut(o as usize / 64) else { return false };
        let bit = 1u64 << (o % 64);
        let was = *w & bit != 0;
        *w &= !bit;
        self.counts[t] -= was as usize;
        was
    }
}

/// How a type's records refer to other types: per reference, the referenced type's index.
enum Refs {
    /// `(field index, referenced type)` for the REFERENCE fields; and the field kinds for decoding.
    Object(Vec<FieldType>, Vec<(usize, usize)>),
    List(usize),
    Set(usize),
    Map(Option<usize>, Option<usize>),
    None,
}

impl Refs {
    fn of(schema: &Schema, by_name: &HashMap<String, usize>) -> Refs {
        let idx = |name: &str| by_name.get(name).copied();
        match schema {
            Schema::Object(s) => {
                let refs: Vec<(usize, usize)> = s
                    .fields
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.field_type == FieldType::Reference)
                    .filter_map(|(i, f)| f.referenced_type.as_deref().and_then(idx).map(|t| (i, t)))
                    .collect();
                if refs.is_empty() {
                    Refs::None
                } else {
                    Refs::Object(s.fields.iter().map(|f| f.field_type).collect(), refs)
                }
            }
            Schema::List(s) => idx(&s.element_type).map_or(Refs::None, Refs::List),
            Schema::Set(s) => idx(&s.element_type).map_or(Refs::None, Refs::Set),
            Schema::Map(s) => match (idx(&s.key_type), idx(&s.value_type)) {
                (None, None) => Refs::None,
                (k, v) => Refs::Map(k, v),
            },
        }
    }

    /// The referenced types.
    fn targets(&self) -> Vec<usize> {
        match self {
            Refs::Object(_, refs) => refs.iter().map(|&(_, t)| t).collect(),
            Refs::List(t) | Refs::Set(t) => vec![*t],
            Refs::Map(k, v) => k.iter().chain(v.iter()).copied().collect(),
            Refs::None => Vec::new(),
        }
    }

    /// Call `f(type, ordinal)` for every reference of the record `bytes`.
    fn for_each(&self, bytes: &[u8], mut f: impl FnMut(usize, u32)) {
        match self {
            Refs::Object(kinds, refs) => {
                let mut next = refs.iter().peekable();
                for (i, field) in object_fields(kinds.iter().copied(), bytes).enumerate() {
                    let Some(&&(fi, t)) = next.peek() else { break };
                    if fi == i {
                        next.next();
                        if let RawField::Var(o) = field {
                            f(t, o as u32);
                        }
                    }
                }
            }
            Refs::List(t) => list_elements(bytes).for_each(|o| f(*t, o)),
            Refs::Set(t) => set_elements(bytes).for_each(|(o, _)| f(*t, o)),
            Refs::Map(k, v) => {
                for (key, value, _) in map_entries(bytes) {
                    if let Some(k) = k {
                        f(*k, key);
                    }
                    if let Some(v) = v {
                        f(*v, value);
                    }
                }
            }
            Refs::None => {}
        }
    }
}

/// Every type's previous populated set joins its current one (Java's `addAllObjectsFromPreviousCycle`):
/// the records of the previous cycle are in this one, at their ordinals, without being encoded again.
pub(crate) fn add_all_from_previous(records: &mut TypeRecords) {
    records.current.union_with(&records.previous);
}

/// Remove `roots` (per type: ordinals) from this cycle with the records that only they reference, and
/// keep `anchors` with everything they reference; see the [module docs](self). Returns the number of
/// records removed per type. Roots and anchors not populated in this cycle are ignored.
pub(crate) fn remove_with_orphans(
    types: &mut [&mut TypeRecords],
    by_name: &HashMap<String, usize>,
    roots: &[(usize, u32)],
    anchors: &[(usize, u32)],
) -> Vec<usize> {
    let refs: Vec<Refs> = types.iter().map(|t| Refs::of(&t.schema, by_name)).collect();
    let mut marks = Marks::new(types);

    // 1. The closure of the roots.
    let mut stack: Vec<(usize, u32)> = Vec::new();
    for &(t, o) in roots {
        if types[t].current.get(o) && marks.set(t, o) {
            stack.push((t, o));
        }
    }
    while let Some((t, o)) = stack.pop() {
        let Some(bytes) = types[t].record_bytes(o) else { continue };
        refs[t].for_each(bytes, |ct, co| {
            if types[ct].current.get(co) && marks.set(ct, co) {
                stack.push((ct, co));
            }
        });
    }

    // 2. Unmark what is referenced from outside the closure, and what that references.
    let unmark_from = |marks: &mut Marks, stack: &mut Vec<(usize, u32)>, types: &[&mut TypeRecords]| {
        while let Some((t, o)) = stack.pop() {
            let Some(bytes) = types[t].record_bytes(o) else { continue };
            refs[t].for_each(bytes, |ct, co| {
                if marks.clear(ct, co) {
                    stack.push((ct, co));
                }
            });
        }
    };
    for &(t, o) in anchors {
        marks.clear(t, o);
        stack.push((t, o));
    }
    unmark_from(&mut marks, &mut stack, types);
    // Referencers before the types they reference (registration order is dependencies first), so that
    // the types further down are more likely to have nothing marked left by the time they are read.
    for t in (0..types.len()).rev() {
        let targets = refs[t].targets();
        if targets.iter().all(|&ct| marks.counts[ct] == 0) {
            continue;
        }
        for o in types[t].current.iter() {
            if marks.get(t, o) {
                continue;
            }
            let Some(bytes) = types[t].record_bytes(o) else { continue };
            refs[t].for_each(bytes, |ct, co| {
                if marks.clear(ct, co) {
                    stack.push((ct, co));
                }
            });
            unmark_from(&mut marks, &mut stack, types);
        }
    }

    // 3. Remove what is still marked.
    let mut removed = vec![0; types.len()];
    for (t, records) in types.iter_mut().enumerate() {
        if marks.counts[t] == 0 {
            continue;
        }
        for (w, &word) in marks.words[t].iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let o = (w * 64) as u32 + bits.trailing_zeros();
                bits &= bits - 1;
                records.current.clear(o);
                removed[t] += 1;
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use crate::schema::{FieldType, ListSchema, ObjectField, ObjectSchema};
    use crate::write::{ListRecord, ObjectRecord, WriteStateEngine};

    /// String; ListOfString; Actor @PrimaryKey(name) { String name; }; Movie { int id; String title;
    /// ListOfString tags; Actor star; }; Pick { Movie movie; } (a top-level type referring to movies).
    fn engine() -> WriteStateEngine {
        let mut e = WriteStateEngine::new();
        e.add_schema(ObjectSchema::new("String").with_field(ObjectField::new("value", FieldType::String)).into())
            .unwrap();
        e.add_schema(ListSchema { name: "ListOfString".into(), element_type: "String".into() }.into()).unwrap();
        e.add_schema(
            ObjectSchema::new("Actor")
                .with_field(ObjectField::reference("name", "String"))
                .with_primary_key(["name"])
                .into(),
        )
        .unwrap();
        e.add_schema(
            ObjectSchema::new("Movie")
                .with_field(ObjectField::new("id", FieldType::Int))
                .with_field(ObjectField::reference("title", "String"))
                .with_field(ObjectField::reference("tags", "ListOfString"))
                .with_field(ObjectField::reference("star", "Actor"))
                .into(),
        )
        .unwrap();
        e.add_schema(ObjectSchema::new("Pick").with_field(ObjectField::reference("movie", "Movie")).into()).unwrap();
        e.seed_randomized_tags(7);
        e
    }

    fn string(e: &mut WriteStateEngine, s: &str) -> u32 {
        e.add("String", &*ObjectRecord::new().set_string("value", s)).unwrap()
    }

    fn movie(e: &mut WriteStateEngine, id: i32, title: &str, tags: &[&str], star: &str) -> u32 {
        let title = string(e, title);
        let tags: ListRecord = tags.iter().map(|t| string(e, t)).collect();
        let tags = e.add("ListOfString", &tags).unwrap();
        let name = string(e, star);
        let star = e.add("Actor", &*ObjectRecord::new().set_reference("name", name)).unwrap();
        let mut m = ObjectRecord::new();
        m.set_int("id", id).set_reference("title", title).set_reference("tags", tags).set_reference("star", star);
        e.add("Movie", &m).unwrap()
    }

    fn count(e: &WriteStateEngine, t: &str) -> usize {
        e.populated_ordinals(t).unwrap().len()
    }

    fn snapshot(e: &mut WriteStateEngine) -> Vec<u8> {
        let mut out = Vec::new();
        e.write_snapshot(&mut out).unwrap();
        out
    }

    fn first_cycle(e: &mut WriteStateEngine) -> [u32; 3] {
        let m1 = movie(e, 1, "One", &["shared", "only1"], "Ann");
        let m2 = movie(e, 2, "Two", &["shared", "only2"], "Ann");
        let m3 = movie(e, 3, "Three", &["only3"], "Bob");
        snapshot(e);
        e.prepare_for_next_cycle();
        [m1, m2, m3]
    }

    #[test]
    fn removal_takes_orphans_and_keeps_what_is_still_referenced() {
        let mut e = engine();
        let [m1, _, m3] = first_cycle(&mut e);
        e.add_all_from_previous_cycle().unwrap();
        assert_eq!((count(&e, "Movie"), count(&e, "String"), count(&e, "Actor")), (3, 9, 2));
        let removed = e.remove_with_orphans(&[("Movie", m1), ("Movie", m3)], &[]).unwrap();
        // Movie 1 takes One, only1 and its list; movie 3 takes Three, only3, its list, and Bob (a keyed
        // type, no longer referenced) with his name. Ann and "shared" stay: movie 2 has them.
        assert_eq!(
            removed.into_iter().collect::<Vec<_>>(),
            [("Actor".into(), 1), ("ListOfString".into(), 2), ("Movie".into(), 2), ("String".into(), 5)]
        );
        assert_eq!((count(&e, "Movie"), count(&e, "String"), count(&e, "Actor")), (1, 4, 1));
    }

    #[test]
    fn a_root_referenced_from_outside_stays_and_anchors_keep_what_they_reference() {
        let mut e = engine();
        let [m1, m2, _] = first_cycle(&mut e);
        // A cycle that adds a Pick of movie 1 to the previous state.
        e.add_all_from_previous_cycle().unwrap();
        e.add("Pick", &*ObjectRecord::new().set_reference("movie", m1)).unwrap();
        snapshot(&mut e);
        e.prepare_for_next_cycle();

        e.add_all_from_previous_cycle().unwrap();
        let removed = e.remove_with_orphans(&[("Movie", m1)], &[]).unwrap();
        assert!(removed.is_empty(), "the pick refers to movie 1: {removed:?}");
        // Movie 2 goes, but its actor Ann is anchored (as an upsert of the same actor would): she stays,
        // with her name.
        let ann = e.populated_ordinals("Actor").unwrap()[0];
        let removed = e.remove_with_orphans(&[("Movie", m2)], &[("Actor", ann)]).unwrap();
        assert_eq!(removed.get("Actor"), None);
        assert_eq!(removed.get("Movie"), Some(&1));
        assert_eq!(removed.get("String"), Some(&2), "Two and only2");
        assert!(e.remove_with_orphans(&[("Nope", 0)], &[]).is_err());
    }

    #[test]
    fn an_incremental_cycle_writes_the_blobs_of_the_full_cycle() {
        let (mut inc, mut full) = (engine(), engine());
        let [m1, _, _] = first_cycle(&mut inc);
        first_cycle(&mut full);
        // Incremental: movie 1 replaced by a new version, a new movie added.
        inc.add_all_from_previous_cycle().unwrap();
        inc.remove_with_orphans(&[("Movie", m1)], &[]).unwrap();
        movie(&mut inc, 1, "One again", &["shared", "new"], "Cy");
        movie(&mut inc, 4, "Four", &[], "Ann");
        // Full: the movies that stay, then the same new ones.
        movie(&mut full, 2, "Two", &["shared", "only2"], "Ann");
        movie(&mut full, 3, "Three", &["only3"], "Bob");
        movie(&mut full, 1, "One again", &["shared", "new"], "Cy");
        movie(&mut full, 4, "Four", &[], "Ann");
        for t in ["String", "ListOfString", "Actor", "Movie", "Pick"] {
            assert_eq!(inc.populated_ordinals(t), full.populated_ordinals(t), "{t}");
        }
        assert_eq!(snapshot(&mut inc), snapshot(&mut full));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        inc.write_delta(&mut a).unwrap();
        full.write_delta(&mut b).unwrap();
        assert_eq!(a, b);
        inc.write_reverse_delta(&mut a).unwrap();
        full.write_reverse_delta(&mut b).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn the_previous_cycle_joins_without_growing_past_its_records() {
        let mut e = engine();
        for i in 0..20_000 {
            string(&mut e, &i.to_string());
        }
        snapshot(&mut e);
        e.prepare_for_next_cycle();
        string(&mut e, "0");
        snapshot(&mut e);
        e.prepare_for_next_cycle();
        // The previous set (once the first cycle's) spans two segments; only ordinal 0 is in it.
        e.add_all_from_previous_cycle().unwrap();
        assert_eq!(e.populated_ordinals("String").unwrap(), [0]);
        assert!(!e.has_changed_since_last_cycle());
        let mut full = engine();
        for i in 0..20_000 {
            string(&mut full, &i.to_string());
        }
        snapshot(&mut full);
        full.prepare_for_next_cycle();
        string(&mut full, "0");
        snapshot(&mut full);
        full.prepare_for_next_cycle();
        string(&mut full, "0");
        assert_eq!(snapshot(&mut e), snapshot(&mut full));
        assert!(e.add_all_from_previous_cycle().is_err(), "not while writing");
    }
}

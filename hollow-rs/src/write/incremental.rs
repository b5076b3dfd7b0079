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

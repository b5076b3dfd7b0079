//! Loading the type sections of a snapshot, or applying those of a delta, on several cores.
//!
//! A blob's type sections follow one another with no index of where each starts, but every
//! section can be skipped cheaply by its length fields (`discard`), without decoding or copying its
//! arrays. So a load or delta first walks the sections to find each one's bounds, then decodes or
//! applies them on up to [`max_threads`](crate::parallelism::max_threads) threads (heaviest first,
//! from a shared queue), each with its own cursor over the same blob, so error offsets stay
//! absolute. Each type's delta reads only its own section and its own previous state, so the types
//! are independent of one another.
//!
//! ## Same result, same error, as the sequential path
//!
//! The sequential path reads section after section and stops at the first failure. The parallel
//! one returns exactly that:
//! * if the walk fails anywhere, nothing has been decoded yet and the load falls back to the
//!   sequential path, which reports the error it always did;
//! * the decoded sections are then taken in blob order: the first failure is returned as the
//!   sequential load would have returned it, since every earlier section decoded and ended where
//!   the walk said (so the failing one started where the sequential load would have started it);
//! * a section that decodes but ends elsewhere than its skip did (possible only for a damaged blob)
//!   sends the load to the sequential path, which reads it as it always did;
//! * a delta naming a type twice goes to the sequential path too, where the second section applies
//!   to what the first made.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use super::follow::Schedule;
use super::TypeReadState;
use crate::encoding::ByteReader;
use crate::error::{Error, Result};
use crate::schema::Schema;

/// Bytes of work per thread below which more threads cost more than they save.
const MIN_BYTES_PER_THREAD: usize = 4 << 20;

/// How many threads to run `num_types` sections on, for `work_bytes` bytes of records in all: a
/// snapshot's length for a load; for a delta, the state's record bytes (a delta rebuilds each shard
/// it touches, so its work follows the state's size, not the delta's).
pub(super) fn section_threads(work_bytes: usize, num_types: usize) -> usize {
    #[cfg(test)]
    if let Some(forced) = tests::forced_threads() {
        return forced.min(num_types).max(1);
    }
    crate::parallelism::max_threads().min(num_types).min(work_bytes / MIN_BYTES_PER_THREAD).max(1)
}

/// One type section: its schema and shard count, a cursor at its body, and where its body ends.
pub(super) struct Section<'a> {
    pub(super) schema: Schema,
    pub(super) num_shards: u32,
    /// Where the section starts (for the duplicate-type error).
    pub(super) at: u64,
    body: ByteReader<'a>,
    end: u64,
}

impl Section<'_> {
    fn body_len(&self) -> u64 {
        self.end - self.body.position()
    }
}

/// Walk `num_types` sections from `r` without decoding them; `None` if any of them is damaged.
pub(super) fn walk<'a>(
    mut r: ByteReader<'a>,
    num_types: usize,
    start: impl Fn(&mut ByteReader<'a>) -> Result<(Schema, u32, u64)>,
    skip: impl Fn(&mut ByteReader<'a>, &Schema, u32) -> Result<()>,
) -> Option<Vec<Section<'a>>> {
    let mut sections = Vec::with_capacity(num_types);
    for _ in 0..num_types {
        let (schema, num_shards, at) = start(&mut r).ok()?;
        let body = r.clone();
        skip(&mut r, &schema, num_shards).ok()?;
        sections.push(Section { schema, num_shards, at, body, end: r.position() });
    }
    Some(sections)
}

/// What running a section gave, and where its cursor ended.
type Ran<T> = (Result<T>, u64);

/// Run `f` over every section on up to `threads` threads (heaviest by `weight` first, from a shared
/// queue), each with its own cursor at the section's body; the results in blob order.
fn run<T: Send>(
    sections: &[Section<'_>],
    threads: usize,
    weight: impl Fn(&Section<'_>) -> u64,
    f: impl Fn(&Section<'_>, &mut ByteReader<'_>) -> Result<T> + Sync,
) -> Vec<Ran<T>> {
    let mut order: Vec<usize> = (0..sections.len()).collect();
    // Cached: a delta's weight walks its type's arrays.
    order.sort_by_cached_key(|&i| std::cmp::Reverse(weight(&sections[i])));
    crate::parallelism::run_jobs(&order, threads, |i| {
        let mut r = sections[i].body.clone();
        let out = f(&sections[i], &mut r);
        (out, r.position())
    })
}

/// What decoding the sections gave, in blob order: the types, or the first error; `None` when a
/// section ended elsewhere than the walk found (the caller then loads sequentially). `followers`
/// hears of each type as soon as it is read, on the thread that read it; the sections its followers
/// wait for start first (heaviest first among them, then the others, heaviest first).
pub(super) fn decode<V, T: Send>(
    sections: &[Section<'_>],
    threads: usize,
    followers: &Schedule<'_, V, T>,
    read: impl Fn(&mut ByteReader<'_>, Schema, u32) -> Result<TypeReadState> + Sync,
) -> Option<Result<BTreeMap<String, Arc<TypeReadState>>>> {
    let weight = |section: &Section<'_>| {
        (u64::from(followers.awaits(section.schema.name())) << 63) | section.body_len().min(u64::MAX >> 1)
    };
    let results = run(sections, threads, weight, |section, r| {
        let state = Arc::new(read(r, section.schema.clone(), section.num_shards)?);
        // As in `apply`: a section ending elsewhere than the walk found never reaches a follower.
        if r.position() == section.end {
            followers.type_done(section.schema.name(), &state);
        }
        Ok(state)
    });
    let mut types = BTreeMap::new();
    for (section, (state, end)) in sections.iter().zip(results) {
        let name = section.schema.name();
        let state = match state {
            Ok(state) if end == section.end => state,
            Ok(_) => return None,
            Err(e) => return Some(Err(e.in_type(name))),
        };
        if types.insert(name.to_owned(), state).is_some() {
            return Some(Err(Error::corrupt(format!("type {name} appears twice in the snapshot"), section.at)));
        }
    }
    Some(Ok(types))
}

/// The types of a delta's sections, if each is named once (a delta naming a type twice is applied
/// sequentially: its second section applies to what the first made).
pub(super) fn distinct_types<'s>(sections: &'s [Section<'_>]) -> Option<HashSet<&'s str>> {
    let names: HashSet<&str> = sections.iter().map(|s| s.schema.name()).collect();
    (names.len() == sections.len()).then_some(names)
}

/// What applying a delta's sections (each naming a distinct type: see [`distinct_types`]) to
/// `types` gave: `types` with every section's type replaced by `apply`'s result (`Ok(None)`: a type
/// this state does not have, skipped), or the first error in blob order; `None` when a section
/// ended elsewhere than the walk found (the caller then applies sequentially). `followers` hears of
/// each type as soon as it is applied, on the thread that applied it.
///
/// A delta rebuilds the shards it touches, so a section's work follows its type's size more than
/// the section's: sections start by the size of their type's state, those a follower waits for
/// first, since the follower's work comes after them. A heuristic: a large type no follower waits
/// for then starts after small followed ones, which was not measured (on the 1M-movie dataset the
/// followed type, `Movie`, is one of the two largest).
pub(super) fn apply<V, T: Send>(
    sections: &[Section<'_>],
    threads: usize,
    mut types: BTreeMap<String, Arc<TypeReadState>>,
    followers: &Schedule<'_, V, T>,
    apply: impl Fn(&mut ByteReader<'_>, &Schema, u32, u64) -> Result<Option<TypeReadState>> + Sync,
) -> Option<Result<BTreeMap<String, Arc<TypeReadState>>>> {
    let weight = |section: &Section<'_>| {
        let name = section.schema.name();
        let mut size = section.body_len();
        if let Some(state) = types.get(name) {
            state.for_each_storage(&mut |bytes| size += bytes.len() as u64);
        }
        (u64::from(followers.awaits(name)) << 63) | size.min(u64::MAX >> 1)
    };
    let results = run(sections, threads, weight, |section, r| {
        let state = apply(r, &section.schema, section.num_shards, section.at)?.map(Arc::new);
        // A section ending elsewhere than the walk found sends the delta to the sequential path,
        // which drops this schedule: its state must never reach a follower.
        if let Some(state) = state.as_ref().filter(|_| r.position() == section.end) {
            followers.type_done(section.schema.name(), state);
        }
        Ok(state)
    });
    for (section, (state, end)) in sections.iter().zip(results) {
        let name = section.schema.name();
        match state {
            Ok(_) if end != section.end => return None,
            Ok(Some(state)) => {
                types.insert(name.to_owned(), state);
            }
            Ok(None) => {}
            Err(e) => return Some(Err(e.in_type(name))),
        }
    }
    Some(Ok(types))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    thread_local! {
        /// Overrides [`super::section_threads`] so that small test blobs take the parallel path.
        static FORCED_THREADS: Cell<Option<usize>> = const { Cell::new(None) };
    }

    /// The thread count forced on this thread's loads and deltas, if any.
    pub(super) fn forced_threads() -> Option<usize> {
        FORCED_THREADS.with(|t| t.get())
    }

    /// `f`'s result, with this thread's loads and deltas run on `threads` threads (1: the
    /// sequential path) whatever their size.
    pub(crate) fn with_threads<R>(threads: usize, f: impl FnOnce() -> R) -> R {
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                FORCED_THREADS.with(|t| t.set(None));
            }
        }
        FORCED_THREADS.with(|t| t.set(Some(threads)));
        let _reset = Reset;
        f()
    }
}

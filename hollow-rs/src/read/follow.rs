//! Work that follows a snapshot load or a delta, started as soon as the types it reads have their new
//! states.
//!
//! Keeping an index current across a delta needs the indexed type's state after the delta, not the
//! whole state; building one after a snapshot needs the indexed type's section, not the whole blob.
//! On a load or delta applied type by type on several threads (see `parallel_load.rs`), a
//! [`Follower`](super::Follower) runs on the thread that finished the last of its types, while the
//! other threads are still reading the remaining ones; a consumer's index build or update then
//! overlaps the blob instead of waiting for all of it. On the 1M-movie dataset (a 1% delta on two threads, 6 alternating pairs)
//! the primary-key update starts when `Movie` is done (about 4 ms in) and runs beside the `String`
//! section: delta plus index 8.9-9.9 ms after the delta, 7.1-8.7 ms beside it. Beside a delta that
//! copies arrays the update itself is slower (about 4 ms, against 1.6 ms alone: both are memory
//! bound), which is why the gain is less than the update's whole time.
//!
//! ## Same results as running the followers after the load or delta
//!
//! A follower gets a *view*: an engine with the blob's tags holding just the types it reads, each
//! the very state (`Arc`) the result will hold. So a follower that reads only those types
//! computes what it would compute on the whole result. That holds when:
//! * every type it reads that the blob makes is done: it is started when the count of those
//!   still being read reaches zero, and its other types are the unchanged states of the
//!   engine a delta applies to, which the result shares (a snapshot has no others: a type it lacks
//!   is absent from the view as from the result);
//! * the result keeps those very states: the last step of a delta may still swap a state for a
//!   copy that no longer reads a mostly-unused blob buffer (`retention.rs`), so [`Schedule::finish`]
//!   checks the states a follower saw against the result's and runs it again on the result where
//!   any differs.
//!
//! Followers whose types the blob does not touch, and all of them when the blob is read on one
//! thread, run at the end on the whole result. A load or delta that fails drops every follower's result,
//! and a follower may run twice (early, then again on the result): followers must not have effects
//! beyond their result.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use super::TypeReadState;

/// A follower as the schedule sees it: the types it reads, and its work on a view of type `V`.
pub(super) struct Waiting<'s, V, T> {
    pub(super) types: &'s [String],
    pub(super) run: &'s (dyn Fn(&V) -> T + Send + Sync),
}

impl<V, T> Waiting<'_, V, T> {
    fn reads(&self, type_name: &str) -> bool {
        self.types.iter().any(|t| t == type_name)
    }
}

/// The states a follower's view holds, by type.
type Seen = Vec<(String, Arc<TypeReadState>)>;

/// What a follower run early gave, and the states it saw (to check against the result's).
type Early<T> = (T, Seen);

/// Which followers wait for which of a load's or delta's types, and what those run early gave; views
/// and the result are of type `V` (the engine: this module does not depend on it).
pub(super) struct Schedule<'s, V, T> {
    followers: Vec<Waiting<'s, V, T>>,
    /// The states before the delta (none before a snapshot): a follower's types the blob leaves
    /// alone.
    before: &'s BTreeMap<String, Arc<TypeReadState>>,
    /// Makes a view with the result's tags over some of its types.
    view: &'s (dyn Fn(BTreeMap<String, Arc<TypeReadState>>) -> V + Sync),
    progress: Mutex<Progress>,
    early: Mutex<Vec<Option<Early<T>>>>,
}

/// How far the load or delta is, as the followers wait for it.
struct Progress {
    /// Per follower, how many of its types the delta is still applying.
    pending: Vec<usize>,
    /// The types done so far.
    done: BTreeMap<String, Arc<TypeReadState>>,
}

impl<'s, V, T: Send> Schedule<'s, V, T> {
    /// A schedule for a load or delta that will report each of `reported` done once (see
    /// [`Self::type_done`]), over `before`: a snapshot's types, or those of a delta's types `before`
    /// has (a delta skips the others).
    pub(super) fn new(
        followers: Vec<Waiting<'s, V, T>>,
        before: &'s BTreeMap<String, Arc<TypeReadState>>,
        reported: &HashSet<&str>,
        view: &'s (dyn Fn(BTreeMap<String, Arc<TypeReadState>>) -> V + Sync),
    ) -> Self {
        let pending = followers
            .iter()
            .map(|f| {
                let mut read: Vec<&str> = f.types.iter().map(String::as_str).filter(|t| reported.contains(t)).collect();
                read.sort_unstable();
                read.dedup();
                read.len()
            })
            .collect();
        Schedule {
            early: Mutex::new(followers.iter().map(|_| None).collect()),
            followers,
            before,
            view,
            progress: Mutex::new(Progress { pending, done: BTreeMap::new() }),
        }
    }

    /// Whether a follower waits for `type_name` (its section is then worth starting early).
    pub(super) fn awaits(&self, type_name: &str) -> bool {
        self.followers.iter().any(|f| f.reads(type_name))
    }

    /// `type_name` has its new state: run, on this thread, every follower it was the last type of.
    pub(super) fn type_done(&self, type_name: &str, state: &Arc<TypeReadState>) {
        if self.followers.is_empty() {
            return;
        }
        // The followers made ready, with the states each is to see.
        let ready: Vec<(usize, Seen)> = {
            let mut progress = lock(&self.progress);
            let Progress { pending, done } = &mut *progress;
            let first = done.insert(type_name.to_owned(), Arc::clone(state)).is_none();
            // A schedule is made only for a delta naming each type once (`distinct_types`).
            debug_assert!(first, "type {type_name} applied twice");
            let mut ready = Vec::new();
            for (i, f) in self.followers.iter().enumerate() {
                if pending[i] > 0 && f.reads(type_name) {
                    pending[i] -= 1;
                    if pending[i] == 0 {
                        let seen = f
                            .types
                            .iter()
                            .filter_map(|t| {
                                done.get(t).or_else(|| self.before.get(t)).map(|s| (t.clone(), Arc::clone(s)))
                            })
                            .collect();
                        ready.push((i, seen));
                    }
                }
            }
            ready
        };
        // Outside the lock: a follower may take a while, and the other threads report types too.
        // Followers made ready together (indexes over the same type) run side by side.
        let order: Vec<usize> = (0..ready.len()).collect();
        let threads = crate::parallelism::max_threads().min(ready.len()).max(1);
        let outputs = crate::parallelism::run_jobs(&order, threads, |k| {
            let (i, seen) = &ready[k];
            (self.followers[*i].run)(&(self.view)(seen.iter().cloned().collect()))
        });
        let mut early = lock(&self.early);
        for ((i, seen), out) in ready.into_iter().zip(outputs) {
            early[i] = Some((out, seen));
        }
    }

    /// Every follower's result on `result`, the load's or delta's, whose states are `result_types`:
    /// those run early where the states they saw are the result's, the others run now, side by side
    /// (see [`run_on`]).
    pub(super) fn finish(self, result: &V, result_types: &BTreeMap<String, Arc<TypeReadState>>) -> Vec<T>
    where
        V: Sync,
    {
        let early = self.early.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut outputs: Vec<Option<T>> = early
            .into_iter()
            .map(|early| match early {
                Some((out, seen))
                    if seen.iter().all(|(t, s)| result_types.get(t).is_some_and(|r| Arc::ptr_eq(r, s))) =>
                {
                    Some(out)
                }
                _ => None,
            })
            .collect();
        let rest: Vec<usize> = (0..outputs.len()).filter(|&i| outputs[i].is_none()).collect();
        let runs: Vec<&(dyn Fn(&V) -> T + Send + Sync)> = rest.iter().map(|&i| self.followers[i].run).collect();
        for (i, out) in rest.into_iter().zip(run_on(&runs, result)) {
            outputs[i] = Some(out);
        }
        outputs.into_iter().map(|out| out.expect("every follower ran")).collect()
    }
}

/// Each of `runs` on `result`, in order: side by side on up to
/// [`max_threads`](crate::parallelism::max_threads) threads (followers are independent of one
/// another, as index builds are).
pub(super) fn run_on<V: Sync, T: Send>(runs: &[&(dyn Fn(&V) -> T + Send + Sync)], result: &V) -> Vec<T> {
    let threads = crate::parallelism::max_threads().min(runs.len()).max(1);
    let order: Vec<usize> = (0..runs.len()).collect();
    crate::parallelism::run_jobs(&order, threads, |i| runs[i](result))
}

fn lock<V>(m: &Mutex<V>) -> std::sync::MutexGuard<'_, V> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

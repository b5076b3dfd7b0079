//! How many threads a snapshot load, a delta or an index build may use.
//!
//! By default, as many as the machine has cores (at most [`DEFAULT_MAX_THREADS`]); `HOLLOW_THREADS=N`
//! in the environment (read once per process) sets the number, and `HOLLOW_THREADS=1` keeps all of
//! the work on the calling thread. Split across threads:
//! * reading a snapshot file into memory, in parts (on a VM whose host takes freed memory back,
//!   faulting fresh memory in is most of a load's time);
//! * decoding a snapshot's type sections, and applying a delta's (each rebuilds the shards it
//!   touches);
//! * reading the keys of a primary-key build, over ranges of records, and filling its table, over
//!   runs of slots (the key pass sorts the entries by run, see `index/table.rs`).
//!
//! Only work large enough to pay for a thread is split (a few MiB per thread), and every path gives
//! exactly the sequential result and the same errors (see `read/parallel_load.rs`).
//!
//! Measured on a 2-core VM on the 1M-movie dataset (52 MB), alternating processes, two threads
//! against one: a load back to back (warm memory) 11-16 against 15-32 ms; primary-key build 37-48
//! against 47-62 ms; a 1% delta on recycled memory 5.3-6.3 against 7.6-8.9 ms, and the first delta
//! of a process (fresh memory) median 202 against 280 ms (8 pairs, 5 s apart). A load 5 s after the
//! last process ended is bimodal on this VM, 15-30 ms when the freed pages are still the guest's and
//! 150-390 ms when its host has taken them back, with the same median on one or two threads (165
//! ms, 8 pairs). Filling the index table on two threads, each owning half of the slots and scanning
//! every key for its own, was slower than one (17-22 against 12-13 ms); now the key pass sorts the
//! keys into regions of the table as it reads them, each thread fills only its own, and a build of
//! 1M keys takes 26-31 ms against 34-60 ms before, key pass and fill together (fresh processes,
//! alternating). Before loads read records in place and deltas reused freed arrays, two threads
//! faulting in fresh arrays together were slower than one, and more threads were opt-in.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// The most threads used by default, on machines with more cores: a load or delta splits by type, and
/// datasets rarely have more large types than this.
pub const DEFAULT_MAX_THREADS: usize = 8;

/// The most threads one load, delta or index build uses (at least 1).
pub fn max_threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| match std::env::var("HOLLOW_THREADS") {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                let n = default_threads();
                tracing::warn!(target: "hollow", value = %v, threads = n, "HOLLOW_THREADS is not a positive integer; using the default");
                n
            }
        },
        Err(_) => default_threads(),
    })
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(DEFAULT_MAX_THREADS)
}

/// Run `job(i)` for every job `i` of `order` (a permutation of `0..order.len()`) on up to `threads`
/// threads, the calling one among them, each taking the next job in `order` from a shared queue;
/// the results by job number. A panicking job panics the caller once every thread has stopped.
pub(crate) fn run_jobs<T: Send>(order: &[usize], threads: usize, job: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new(order.iter().map(|_| None).collect());
    let work = || {
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let out = job(i);
            results.lock().unwrap_or_else(|poisoned| poisoned.into_inner())[i] = Some(out);
        }
    };
    if threads <= 1 {
        // No scope for one thread: `thread::scope` gives the calling thread a handle of its own,
        // which a thread std did not start (a C program's main thread) keeps until it exits.
        work();
    } else {
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            work();
            for helper in helpers {
                if let Err(panic) = helper.join() {
                    std::panic::resume_unwind(panic);
                }
            }
        });
    }
    let results = results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    results.into_iter().map(|r| r.expect("every job of the permutation ran")).collect()
}

/// `job(i, part)` for each of `parts`, each on a thread of its own but the first, which the calling
/// thread does (one thread fewer to start, and none idle); the results in order. A panicking job
/// panics the caller once every thread has stopped. One part starts no thread (see [`run_jobs`]).
pub(crate) fn each_on_a_thread<P: Send, T: Send>(parts: Vec<P>, job: impl Fn(usize, P) -> T + Sync) -> Vec<T> {
    let mut parts = parts.into_iter().enumerate();
    let Some((_, first)) = parts.next() else { return Vec::new() };
    if parts.len() == 0 {
        return vec![job(0, first)];
    }
    let job = &job;
    std::thread::scope(|scope| {
        let helpers: Vec<_> = parts.map(|(i, part)| scope.spawn(move || job(i, part))).collect();
        let mut results = vec![job(0, first)];
        results.extend(helpers.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))));
        results
    })
}

#[cfg(test)]
mod tests {
    use super::{each_on_a_thread, run_jobs};

    #[test]
    fn each_part_is_done_once_in_order_the_first_on_the_calling_thread() {
        let caller = std::thread::current().id();
        for n in [0, 1, 3] {
            let out = each_on_a_thread((0..n).map(|i| i * 10).collect(), |i, part| {
                (i, part, std::thread::current().id() == caller)
            });
            let expected: Vec<_> = (0..n).map(|i| (i, i * 10, i == 0)).collect();
            assert_eq!(out, expected, "{n} parts");
        }
    }

    #[test]
    fn every_job_runs_once_and_results_come_by_job_number() {
        for threads in [1, 2, 5] {
            let runs = std::sync::Mutex::new(Vec::new());
            let order = [3, 0, 4, 1, 2];
            let out = run_jobs(&order, threads, |i| {
                runs.lock().unwrap().push(i);
                i * 10
            });
            assert_eq!(out, [0, 10, 20, 30, 40], "{threads} threads");
            let mut ran = runs.into_inner().unwrap();
            if threads == 1 {
                assert_eq!(ran, order, "one thread takes the jobs in order");
            }
            ran.sort_unstable();
            assert_eq!(ran, [0, 1, 2, 3, 4], "{threads} threads");
        }
        assert!(run_jobs(&[], 3, |i| i).is_empty());
    }
}

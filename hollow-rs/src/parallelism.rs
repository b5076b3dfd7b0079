//! How many threads a snapshot load, a delta or an index build may use.
//!
//! By default, as many as the machine has cores (at most [`DEFAULT_MAX_THREADS`]); `HOLLOW_THREADS=N`
//! in the environment (read once per process) sets the number, and `HOLLOW_THREADS=1` keeps all of
//! it on the calling thread. A snapshot file is read into memory in parts side by side (on a VM
//! whose host takes freed memory back, faulting fresh memory in is most of a load's time), a load
//! decodes type sections side by side, a delta applies to type
//! sections side by side (each rebuilds the shards it touches), and a primary-key build reads keys
//! over ranges of records side by side; only work large enough to pay for a thread is split (a few
//! MiB of records per thread). Every path gives exactly the sequential result and the same errors
//! (see `read/parallel_load.rs`).
//!
//! Measured on a 2-core VM on the 1M-movie dataset (52 MB), 6 alternating processes each: load
//! 14-19 ms on two threads against 17-20 ms on one, primary-key build 37-48 against 47-62 ms, and a
//! 1% delta (back to back, recycled memory) 5.3-6.3 against 7.6-8.9 ms; a load in a new process 4 s
//! after the last one ended (its memory handed back to the host) 84-176 ms, median 128, against
//! 122-288 ms, median 210. (Before loads read records
//! in place and deltas reused freed arrays, two threads faulting in fresh arrays together were
//! slower than one, and more threads were opt-in.)

use std::sync::OnceLock;

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

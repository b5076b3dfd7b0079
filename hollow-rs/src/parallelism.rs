//! How many threads a snapshot load or an index build may use.
//!
//! One by default. `HOLLOW_THREADS=N` in the environment (read once per process) lets a load decode
//! type sections on up to N threads and a primary-key build read keys on up to N threads. Measured
//! on a 2-core VM (movies-1m, 47 MB): two threads loaded the snapshot in 15.0 ms against 10.4 ms on
//! one (the threads fault in fresh arrays at the same time and share the memory bandwidth) and built
//! the index in the same time as one, so more threads are opt-in until they pay on the machines we
//! measure. Both paths give exactly the sequential result (see `read/parallel_load.rs`).

use std::sync::OnceLock;

/// The most threads one load or index build uses (at least 1).
pub fn max_threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| match std::env::var("HOLLOW_THREADS") {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                tracing::warn!(target: "hollow", value = %v, "HOLLOW_THREADS is not a positive integer; using 1");
                1
            }
        },
        Err(_) => 1,
    })
}

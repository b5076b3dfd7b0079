//! How many threads a snapshot load or an index build may use.
//!
//! The machine's cores by default; `HOLLOW_THREADS=N` in the environment caps it (read once per
//! process), for containers whose CPU quota is below the cores they see, and for measuring.

use std::sync::OnceLock;

/// The most threads one load or index build uses (at least 1).
pub fn max_threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        match std::env::var("HOLLOW_THREADS") {
            Ok(v) => match v.trim().parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    tracing::warn!(target: "hollow", value = %v, "HOLLOW_THREADS is not a positive integer; using {cores}");
                    cores
                }
            },
            Err(_) => cores,
        }
    })
}

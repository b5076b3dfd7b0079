//! Mappings of freed large arrays, kept for the next large arrays instead of going back to the
//! kernel.
//!
//! A consumer that applies a delta builds new arrays for the shards it touches, and frees the
//! arrays of the state before once readers leave it. Unmapped, those pages go back to the kernel,
//! and the next delta's arrays are fresh pages: the kernel clears each as it faults in. Where the
//! machine is a virtual machine that reports free memory to its host (virtio-balloon free page
//! reporting, as in Firecracker and other hosts that overcommit memory), freed blocks of a few
//! megabytes are handed back to the host within seconds, and touching them again costs the host's
//! page faults too. Measured on such a VM (2 cores, movies-1m, a 1% delta): 14–20 ms per delta
//! back to back, 50–180 ms with five seconds between deltas, the same work in the same process.
//! A consumer refreshing every few seconds or minutes always pays the slow case.
//!
//! So a freed array's mapping is kept here, up to a limit in bytes ([`set_recycle_limit`]; else
//! `HOLLOW_RECYCLE_LIMIT_MIB` in the environment, read once, which reaches the C and Python
//! bindings too; else 256 MiB. 0 turns recycling off and lets go of what is kept), and the next large array of a
//! size it can hold takes it, zeroed by us (its pages are resident and warm; clearing them costs a
//! memset, what the kernel would have spent anyway). Java Hollow's heap behaves the same way: the
//! garbage collector reuses the memory of the arrays a delta replaced.
//!
//! The choice of region is best fit among those at most twice the size asked (and a huge page
//! more), so that a small array never pins a large region. When keeping a region would pass the
//! limit, the oldest regions go first: the newest were freed last, by the state just left, whose
//! arrays have the sizes the next delta asks for.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The limit when nothing has set one: room for the arrays a delta replaces in a dataset of a few
/// hundred megabytes.
pub const DEFAULT_RECYCLE_LIMIT_BYTES: usize = 256 << 20;

/// An anonymous mapping whose first `start` bytes are slack before a 2 MiB boundary: what a large
/// array lives on, and what is kept once the array is freed.
pub(crate) struct Region {
    map: memmap2::MmapMut,
    start: usize,
}

impl Region {
    pub(crate) fn new(map: memmap2::MmapMut, start: usize) -> Self {
        debug_assert!(start <= map.len());
        Region { map, start }
    }

    /// Bytes an array starting at the boundary can use.
    pub(crate) fn capacity(&self) -> usize {
        self.map.len() - self.start
    }

    /// The first byte at the boundary.
    pub(crate) fn base(&mut self) -> *mut u8 {
        // SAFETY: `start <= map.len()`, so the result is inside the mapping or one past its end.
        unsafe { self.map.as_mut_ptr().add(self.start) }
    }
}

/// Regions kept for reuse, oldest first, and the bytes they hold.
#[derive(Default)]
pub(crate) struct Pool {
    regions: Vec<Region>,
    held: usize,
}

impl Pool {
    /// The smallest region that holds `bytes` without being more than twice (and a huge page)
    /// larger, taken out of the pool.
    pub(crate) fn take(&mut self, bytes: usize) -> Option<Region> {
        let most = bytes.saturating_mul(2).saturating_add(super::HUGE_PAGE_BYTES);
        let (at, _) = self
            .regions
            .iter()
            .enumerate()
            .filter(|(_, r)| (bytes..=most).contains(&r.capacity()))
            .min_by_key(|(_, r)| r.capacity())?;
        let region = self.regions.remove(at);
        self.held -= region.capacity();
        Some(region)
    }

    /// Keep `region` for reuse if it fits within `limit`, letting the oldest regions go to make
    /// room; a region larger than the limit goes itself. Dropped regions are unmapped.
    pub(crate) fn give(&mut self, region: Region, limit: usize) {
        if region.capacity() > limit {
            return;
        }
        let mut evicted = 0;
        while self.held + region.capacity() > limit {
            let oldest = self.regions.remove(0);
            self.held -= oldest.capacity();
            evicted += 1;
        }
        if evicted > 0 {
            tracing::trace!(target: "hollow::memory", evicted, "recycled regions let go to stay within the limit");
        }
        self.held += region.capacity();
        self.regions.push(region);
    }

    /// Let go of every region beyond `limit` bytes, oldest first.
    pub(crate) fn shrink_to(&mut self, limit: usize) {
        while self.held > limit {
            let oldest = self.regions.remove(0);
            self.held -= oldest.capacity();
        }
    }

    pub(crate) fn held(&self) -> usize {
        self.held
    }
}

static POOL: Mutex<Pool> = Mutex::new(Pool { regions: Vec::new(), held: 0 });

/// [`LIMIT`] before anything set it: the environment is read on first use.
const UNSET: usize = usize::MAX;
static LIMIT: AtomicUsize = AtomicUsize::new(UNSET);

/// The limit `HOLLOW_RECYCLE_LIMIT_MIB` asks for, or the default (with a warning when the variable
/// is not a number of mebibytes).
fn limit_from_env() -> usize {
    match std::env::var("HOLLOW_RECYCLE_LIMIT_MIB") {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(mib) => mib.saturating_mul(1 << 20).min(UNSET - 1),
            Err(_) => {
                tracing::warn!(target: "hollow::memory", value = %v, "HOLLOW_RECYCLE_LIMIT_MIB is not a whole number of MiB; using 256");
                DEFAULT_RECYCLE_LIMIT_BYTES
            }
        },
        Err(_) => DEFAULT_RECYCLE_LIMIT_BYTES,
    }
}

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    // The pool's state is consistent between statements (no code that can panic runs while it is
    // half-updated), so a poisoned lock is still a usable pool.
    POOL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How many bytes of freed large arrays may be kept for reuse (see the module docs). Setting a
/// lower limit lets go of what is kept beyond it at once; 0 turns recycling off.
pub fn set_recycle_limit(bytes: usize) {
    let bytes = bytes.min(UNSET - 1);
    LIMIT.store(bytes, Ordering::Relaxed);
    pool().shrink_to(bytes);
}

/// The limit on bytes kept: what [`set_recycle_limit`] set, else what the environment asks for,
/// else [`DEFAULT_RECYCLE_LIMIT_BYTES`].
pub fn recycle_limit() -> usize {
    match LIMIT.load(Ordering::Relaxed) {
        UNSET => {
            // Whoever stores first wins: a limit set meanwhile is not overwritten by the environment.
            let _ = LIMIT.compare_exchange(UNSET, limit_from_env(), Ordering::Relaxed, Ordering::Relaxed);
            LIMIT.load(Ordering::Relaxed)
        }
        limit => limit,
    }
}

/// Bytes of freed large arrays kept for reuse now (resident memory that no state reads).
pub fn recycled_bytes() -> usize {
    pool().held()
}

/// A kept region for an array of `bytes` bytes, if one fits.
pub(crate) fn take(bytes: usize) -> Option<Region> {
    pool().take(bytes)
}

/// A freed array's region: kept for reuse, or unmapped.
pub(crate) fn give(region: Region) {
    let limit = recycle_limit();
    // Unmapping happens outside the lock when the region is not kept.
    if region.capacity() > limit {
        return;
    }
    pool().give(region, limit);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(bytes: usize) -> Region {
        Region::new(memmap2::MmapMut::map_anon(bytes).unwrap(), 0)
    }

    #[test]
    fn takes_the_best_fit_and_never_a_region_far_too_large() {
        let mut pool = Pool::default();
        let mib = 1 << 20;
        for size in [10 * mib, 5 * mib, 6 * mib, 40 * mib] {
            pool.give(region(size), usize::MAX);
        }
        assert_eq!(pool.held(), 61 * mib);
        // 5 MiB fits 5 and 6 and 10 (at most 2x + 2 MiB = 12); the smallest goes.
        assert_eq!(pool.take(5 * mib).map(|r| r.capacity()), Some(5 * mib));
        assert_eq!(pool.take(5 * mib).map(|r| r.capacity()), Some(6 * mib));
        assert_eq!(pool.take(5 * mib).map(|r| r.capacity()), Some(10 * mib));
        // The 40 MiB region is more than twice what a 5 MiB array needs, and too small for 41.
        assert!(pool.take(5 * mib).is_none());
        assert!(pool.take(41 * mib).is_none());
        assert_eq!(pool.held(), 40 * mib);
        assert_eq!(pool.take(30 * mib).map(|r| r.capacity()), Some(40 * mib));
        assert_eq!(pool.held(), 0);
    }

    #[test]
    fn the_limit_lets_the_oldest_go_first() {
        let mut pool = Pool::default();
        let mib = 1 << 20;
        pool.give(region(4 * mib), 10 * mib);
        pool.give(region(5 * mib), 10 * mib);
        // 4 + 5 + 3 > 10: the oldest (4) goes.
        pool.give(region(3 * mib), 10 * mib);
        assert_eq!(pool.held(), 8 * mib);
        assert!(pool.take(4 * mib).is_some_and(|r| r.capacity() == 5 * mib));
        // Larger than the limit: not kept at all.
        pool.give(region(11 * mib), 10 * mib);
        assert_eq!(pool.held(), 3 * mib);
        pool.shrink_to(0);
        assert_eq!(pool.held(), 0);
        assert!(pool.take(mib).is_none());
    }
}

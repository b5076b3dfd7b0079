//! Minting versions for new states.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::store::Version;

/// Makes the version of each new state. Versions must increase from cycle to cycle.
pub trait VersionMinter: Send + Sync {
    /// A version greater than every version minted before.
    fn mint(&self) -> Version;

    /// Make sure later versions are greater than `version` (after a restore).
    fn observe(&self, version: Version) {
        let _ = version;
    }
}

/// Java-like versions, `yyyyMMddHHmmss` (UTC) followed by a 3-digit counter, and strictly increasing:
/// if the clock stands still or goes back, the next version is the last one plus one.
#[derive(Debug, Default)]
pub struct TimestampVersionMinter {
    last: AtomicI64,
}

impl TimestampVersionMinter {
    /// A minter that has minted nothing yet.
    pub fn new() -> Self {
        Self::default()
    }
}

impl VersionMinter for TimestampVersionMinter {
    fn mint(&self) -> Version {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        let base = utc_timestamp_number(secs) * 1000;
        let mut last = self.last.load(Ordering::Acquire);
        loop {
            let next = if base > last { base + 1 } else { last + 1 };
            match self.last.compare_exchange(last, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return next,
                Err(actual) => last = actual,
            }
        }
    }

    fn observe(&self, version: Version) {
        self.last.fetch_max(version, Ordering::AcqRel);
    }
}

/// `yyyyMMddHHmmss` of a Unix time, as a number, in UTC (proleptic Gregorian calendar, through
/// `chrono`). Times outside `chrono`'s range (years beyond ±262,000) are clamped to its ends.
pub fn utc_timestamp_number(unix_secs: i64) -> i64 {
    let clamped = unix_secs.clamp(DateTime::<Utc>::MIN_UTC.timestamp(), DateTime::<Utc>::MAX_UTC.timestamp());
    let t = DateTime::<Utc>::from_timestamp(clamped, 0).unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let date = i64::from(t.year()) * 10_000 + i64::from(t.month()) * 100 + i64::from(t.day());
    let time = i64::from(t.hour()) * 10_000 + i64::from(t.minute()) * 100 + i64::from(t.second());
    date * 1_000_000 + time
}

/// Versions from a fixed list, then counting on from the last one (tests, reproducible runs).
#[derive(Debug)]
pub struct SequenceVersionMinter {
    next: AtomicI64,
}

impl SequenceVersionMinter {
    /// The first minted version is `first`, then `first + 1`, ...
    pub fn starting_at(first: Version) -> Self {
        SequenceVersionMinter { next: AtomicI64::new(first) }
    }
}

impl VersionMinter for SequenceVersionMinter {
    fn mint(&self) -> Version {
        self.next.fetch_add(1, Ordering::AcqRel)
    }

    fn observe(&self, version: Version) {
        self.next.fetch_max(version + 1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_timestamps() {
        assert_eq!(utc_timestamp_number(0), 19700101000000);
        // 2025-01-01T00:00:00Z
        assert_eq!(utc_timestamp_number(1_735_689_600), 20250101000000);
        // 2024-02-29T23:59:59Z (leap day)
        assert_eq!(utc_timestamp_number(1_709_251_199), 20240229235959);
        // 2000-02-29T12:34:56Z (a leap century), 2100-03-01T00:00:00Z (a century that is not), and a
        // time before 1970.
        assert_eq!(utc_timestamp_number(951_827_696), 20000229123456);
        assert_eq!(utc_timestamp_number(4_107_542_400), 21000301000000);
        assert_eq!(utc_timestamp_number(-1), 19691231235959);
    }

    #[test]
    fn timestamp_versions_strictly_increase() {
        let m = TimestampVersionMinter::new();
        let a = m.mint();
        let b = m.mint();
        assert!(b > a);
        assert_eq!(a.to_string().len(), 17, "{a}");
        m.observe(a + 1_000_000);
        assert!(m.mint() > a + 1_000_000);
    }

    #[test]
    fn sequence_minter_counts_and_observes() {
        let m = SequenceVersionMinter::starting_at(5);
        assert_eq!((m.mint(), m.mint()), (5, 6));
        m.observe(10);
        assert_eq!(m.mint(), 11);
    }
}

//! Read latency: reader threads time each read into a histogram of their own and hand it over every
//! few milliseconds, so the shared recorder is locked rarely and the reads themselves never wait.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// The 99th-percentile read latency the examples aim for, in microseconds.
pub const TARGET_P99_US: f64 = 5.0;

/// Latencies in nanoseconds, from 1 ns to 10 s at 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 10_000_000_000, 3).expect("static bounds are valid")
}

/// All reads so far, and one histogram per window of time for the percentiles over time.
pub struct LatencyRecorder {
    start: Instant,
    window: Duration,
    inner: Mutex<Windows>,
}

struct Windows {
    total: Histogram<u64>,
    /// (window index, histogram of the reads handed over in it)
    windows: Vec<(u64, Histogram<u64>)>,
}

/// Percentiles of one histogram, in microseconds.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        let us = |ns: u64| ns as f64 / 1000.0;
        Percentiles {
            count: h.len(),
            p50_us: us(h.value_at_quantile(0.5)),
            p90_us: us(h.value_at_quantile(0.9)),
            p99_us: us(h.value_at_quantile(0.99)),
            p999_us: us(h.value_at_quantile(0.999)),
            max_us: us(h.max()),
        }
    }
}

impl LatencyRecorder {
    pub fn new(start: Instant, window: Duration) -> LatencyRecorder {
        LatencyRecorder {
            start,
            window: window.max(Duration::from_millis(1)),
            inner: Mutex::new(Windows { total: histogram(), windows: Vec::new() }),
        }
    }

    /// Merge a reader's histogram into the current window and reset it.
    pub fn hand_over(&self, local: &mut Histogram<u64>) {
        if local.is_empty() {
            return;
        }
        let index = (self.start.elapsed().as_nanos() / self.window.as_nanos()) as u64;
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = inner.total.add(&*local);
        match inner.windows.last_mut() {
            Some((i, h)) if *i == index => {
                let _ = h.add(&*local);
            }
            _ => inner.windows.push((index, local.clone())),
        }
        local.reset();
    }

    pub fn total(&self) -> Histogram<u64> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).total.clone()
    }

    /// The 99th percentile so far, in microseconds (0 before any read).
    pub fn p99_us(&self) -> f64 {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.total.value_at_quantile(0.99) as f64 / 1000.0
    }

    /// The reads handed over before `t` seconds, and those after.
    pub fn split_at(&self, t: f64) -> (Histogram<u64>, Histogram<u64>) {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (mut before, mut after) = (histogram(), histogram());
        for (i, h) in &inner.windows {
            let side = if (*i as f64) * self.window.as_secs_f64() < t { &mut before } else { &mut after };
            let _ = side.add(h);
        }
        (before, after)
    }

    /// (seconds since start, percentiles of the reads in that window), one entry per window with reads.
    pub fn over_time(&self) -> Vec<(f64, Percentiles)> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.windows.iter().map(|(i, h)| ((*i as f64) * self.window.as_secs_f64(), Percentiles::of(h))).collect()
    }
}

/// Time `op` into `local`, in nanoseconds.
#[inline]
pub fn timed<T>(local: &mut Histogram<u64>, op: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = std::hint::black_box(op());
    let _ = local.record((started.elapsed().as_nanos() as u64).max(1));
    out
}

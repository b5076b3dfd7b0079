//! Latency statistics for the harnesses, through `hdrhistogram`: every statistic is read from an HDR
//! histogram with 3 significant digits (a reported value is within 0.1% of the exact one), whether the
//! samples were kept (`Summary::of`) or recorded as they came (`Histogram`, for runs too long to keep
//! every sample; no allocation while recording once the range is reached).

#![allow(dead_code)] // Each including target uses a different part.

use std::time::{Duration, Instant};

/// Kept samples are recorded in thousandths of their unit, so fractional values (ns per operation of a
/// batch, ms of a refresh) keep three decimals before the 3 significant digits apply.
const FRACTION: f64 = 1000.0;

/// Percentiles of a set of samples, in the samples' unit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    /// Number of samples.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Smallest sample.
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest sample.
    pub max: f64,
}

impl Summary {
    /// Summarize `samples` (non-negative; negative ones count as 0).
    pub fn of(samples: &[f64]) -> Self {
        let mut h = Histogram::default();
        for &v in samples {
            h.record((v.max(0.0) * FRACTION).round() as u64);
        }
        h.summary_scaled(1.0 / FRACTION)
    }

    /// Every statistic less `offset` (a timer's own cost), floored at 0.
    pub fn minus(self, offset: f64) -> Self {
        let d = |v: f64| (v - offset).max(0.0);
        Summary {
            count: self.count,
            mean: d(self.mean),
            min: d(self.min),
            p50: d(self.p50),
            p90: d(self.p90),
            p99: d(self.p99),
            p999: d(self.p999),
            max: d(self.max),
        }
    }
}

/// Header of the table printed by [`row`].
pub fn header() {
    println!(
        "{:<44} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10}",
        "ns per operation", "samples", "mean", "p50", "p90", "p99", "p99.9", "max"
    );
}

/// One line of the table.
pub fn row(name: &str, s: &Summary) {
    println!(
        "{:<44} {:>10} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>10.1}",
        name, s.count, s.mean, s.p50, s.p90, s.p99, s.p999, s.max
    );
}

/// What one `Instant::now()` pair costs, in ns (the median over many pairs): subtracted from
/// single-operation timings.
pub fn timer_overhead_ns() -> f64 {
    let samples: Vec<f64> = (0..200_000)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(());
            t.elapsed().as_nanos() as f64
        })
        .collect();
    Summary::of(&samples).p50
}

/// An HDR histogram of integer values (nanoseconds, in the harnesses), growing its range as needed.
#[derive(Debug, Clone)]
pub struct Histogram(hdrhistogram::Histogram<u64>);

impl Default for Histogram {
    fn default() -> Self {
        Histogram(hdrhistogram::Histogram::new(3).expect("3 significant digits is a valid precision"))
    }
}

impl Histogram {
    /// Record one value.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        // `record` grows the range; `saturating_record` would clamp to it instead (and it starts tiny).
        if self.0.record(ns).is_err() {
            self.0.saturating_record(ns); // beyond any range the histogram can grow to: clamp
        }
    }

    /// Record a duration.
    #[inline]
    pub fn record_duration(&mut self, d: Duration) {
        self.record(d.as_nanos().min(u64::MAX as u128) as u64);
    }

    /// Add another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        self.0.add(&other.0).expect("histograms of the same precision, auto-resizing");
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The statistics of [`Summary`], in the recorded unit.
    pub fn summary(&self) -> Summary {
        self.summary_scaled(1.0)
    }

    fn summary_scaled(&self, unit: f64) -> Summary {
        let h = &self.0;
        if h.is_empty() {
            return Summary::default();
        }
        let at = |q: f64| h.value_at_quantile(q) as f64 * unit;
        Summary {
            count: h.len(),
            mean: h.mean() * unit,
            min: h.min() as f64 * unit,
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            p999: at(0.999),
            max: h.max() as f64 * unit,
        }
    }
}

/// Milliseconds of a duration, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

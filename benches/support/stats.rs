//! Latency statistics for the harnesses: percentiles of recorded samples, and a log-linear histogram
//! for runs too long to keep every sample.

#![allow(dead_code)] // Each including target uses a different part.

use std::time::{Duration, Instant};

/// Percentiles of a set of nanosecond samples.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    /// Number of samples.
    pub count: u64,
    /// Mean.
    pub mean: f64,
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
    /// Summarize `samples` (sorted in place).
    pub fn of(samples: &mut [f64]) -> Self {
        if samples.is_empty() {
            return Summary::default();
        }
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
        Summary {
            count: samples.len() as u64,
            mean: samples.iter().sum::<f64>() / samples.len() as f64,
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            p999: at(0.999),
            max: samples[samples.len() - 1],
        }
    }

    /// Every statistic less `offset` (a timer's own cost), floored at 0.
    pub fn minus(self, offset: f64) -> Self {
        let d = |v: f64| (v - offset).max(0.0);
        Summary {
            count: self.count,
            mean: d(self.mean),
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
    let mut samples: Vec<f64> = (0..200_000)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(());
            t.elapsed().as_nanos() as f64
        })
        .collect();
    Summary::of(&mut samples).p50
}

/// A log-linear histogram of nanosecond values: 32 sub-buckets per power of two, so a reported value
/// is within about 3% of the truth. Fixed size, no allocation while recording.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    max: u64,
}

const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: vec![0; (64 * SUB) as usize], total: 0, sum: 0, max: 0 }
    }
}

impl Histogram {
    fn bucket(v: u64) -> usize {
        if v < SUB {
            return v as usize;
        }
        let top = 63 - v.leading_zeros(); // >= SUB_BITS
        let shift = top - SUB_BITS;
        let sub = (v >> shift) - SUB; // 0..SUB
        ((top - SUB_BITS + 1) as u64 * SUB + sub) as usize
    }

    fn lower_bound(b: usize) -> u64 {
        let b = b as u64;
        if b < SUB {
            return b;
        }
        let top = b / SUB - 1 + SUB_BITS as u64;
        let sub = b % SUB;
        (SUB + sub) << (top - SUB_BITS as u64)
    }

    /// Record one value.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        self.counts[Self::bucket(ns)] += 1;
        self.total += 1;
        self.sum += ns as u128;
        self.max = self.max.max(ns);
    }

    /// Record a duration.
    #[inline]
    pub fn record_duration(&mut self, d: Duration) {
        self.record(d.as_nanos().min(u64::MAX as u128) as u64);
    }

    /// Add another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value at quantile `q` (bucket lower bound).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((self.total as f64 - 1.0) * q).round() as u64;
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen > rank {
                return Self::lower_bound(b);
            }
        }
        self.max
    }

    /// The statistics of [`Summary`].
    pub fn summary(&self) -> Summary {
        Summary {
            count: self.total,
            mean: if self.total == 0 { 0.0 } else { self.sum as f64 / self.total as f64 },
            p50: self.quantile(0.50) as f64,
            p90: self.quantile(0.90) as f64,
            p99: self.quantile(0.99) as f64,
            p999: self.quantile(0.999) as f64,
            max: self.max as f64,
        }
    }
}

/// Milliseconds of a duration, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

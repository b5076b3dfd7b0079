//! When events happen: `n` offsets in a window, drawn from a normal distribution centred in it, sorted,
//! and [`drive`]: playing them in real time while a producer runs a cycle every so often.

use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_distr::{Distribution, Normal, Uniform};

/// Event offsets from the start of the window, ascending.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub offsets: Vec<Duration>,
    pub window: Duration,
}

/// How the events of a schedule are spread over the window.
#[derive(Debug, Clone, Copy, PartialEq, clap::ValueEnum, serde::Serialize)]
pub enum Shape {
    /// A normal distribution centred in the window (sigma a fraction of the window).
    Normal,
    /// Evenly likely anywhere in the window.
    Uniform,
    /// Five short bursts, each a narrow normal distribution.
    Bursty,
}

impl Schedule {
    /// `n` events, normally distributed around the middle of `window` with standard deviation
    /// `sigma * window`; draws outside the window are clamped to its edges.
    pub fn normal(n: usize, window: Duration, sigma: f64, seed: u64) -> Schedule {
        Schedule::shaped(Shape::Normal, n, window, sigma, seed)
    }

    pub fn shaped(shape: Shape, n: usize, window: Duration, sigma: f64, seed: u64) -> Schedule {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let w = window.as_secs_f64();
        let sigma = (sigma * w).max(f64::MIN_POSITIVE);
        let normal = Normal::new(w / 2.0, sigma).expect("sigma is positive and finite");
        let uniform = Uniform::new_inclusive(0.0, w).expect("the window is a finite range");
        let bursts = 5;
        let mut offsets: Vec<Duration> = (0..n)
            .map(|i| {
                let t = match shape {
                    Shape::Normal => normal.sample(&mut rng),
                    Shape::Uniform => uniform.sample(&mut rng),
                    Shape::Bursty => {
                        let centre = w * ((i % bursts) as f64 + 0.5) / bursts as f64;
                        Normal::new(centre, w / 100.0).map_or(centre, |d| d.sample(&mut rng))
                    }
                };
                Duration::from_secs_f64(t.clamp(0.0, w))
            })
            .collect();
        offsets.sort();
        Schedule { offsets, window }
    }

    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }
}

/// What [`drive`] asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// Event `i` of the schedule is due.
    Event(usize),
    /// Time for a producer cycle.
    Cycle,
}

/// Play `schedule` in real time from now: `Tick::Event(i)` at each event's offset, and `Tick::Cycle`
/// `cycle_every` after the previous cycle ended (between events, never in the middle of one) and once more after the last event,
/// so every event ends up in a published version. Returns the first error `on` gives.
pub fn drive<E>(
    schedule: &Schedule,
    cycle_every: Duration,
    mut on: impl FnMut(Tick) -> Result<(), E>,
) -> Result<(), E> {
    let start = Instant::now();
    let mut next_cycle = start + cycle_every;
    for (i, offset) in schedule.offsets.iter().enumerate() {
        let due = start + *offset;
        loop {
            let now = Instant::now();
            if now >= next_cycle {
                on(Tick::Cycle)?;
                // Counted from the end of the cycle, so a slow producer still lets the due events through.
                next_cycle = Instant::now() + cycle_every;
                continue;
            }
            if now >= due {
                break;
            }
            std::thread::sleep(due.min(next_cycle) - now);
        }
        on(Tick::Event(i))?;
    }
    on(Tick::Cycle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_schedule_is_centred_and_inside_the_window() {
        let window = Duration::from_secs(100);
        let s = Schedule::normal(10_000, window, 0.1, 7);
        assert_eq!(s.len(), 10_000);
        assert!(s.offsets.windows(2).all(|w| w[0] <= w[1]));
        assert!(s.offsets.iter().all(|o| *o <= window));
        let mean = s.offsets.iter().map(Duration::as_secs_f64).sum::<f64>() / 10_000.0;
        assert!((mean - 50.0).abs() < 1.0, "mean {mean}");
        // About 68% of a normal distribution lies within one sigma (10 s) of the mean.
        let within = s.offsets.iter().filter(|o| (o.as_secs_f64() - 50.0).abs() < 10.0).count();
        assert!((6_400..7_200).contains(&within), "{within} within one sigma");
    }

    #[test]
    fn drive_calls_every_event_and_a_final_cycle() {
        let s = Schedule::shaped(Shape::Uniform, 50, Duration::from_millis(60), 0.1, 1);
        let (mut events, mut cycles) = (0, 0);
        drive::<()>(&s, Duration::from_millis(20), |tick| {
            match tick {
                Tick::Event(_) => events += 1,
                Tick::Cycle => cycles += 1,
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(events, 50);
        assert!((2..=5).contains(&cycles), "{cycles} cycles");
    }
}

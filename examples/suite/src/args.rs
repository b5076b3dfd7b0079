//! The options every example takes, and how a `--duration` is written (`10m`, `20s`, `1500ms`, `1h`).

use std::path::PathBuf;
use std::time::Duration;

/// Options shared by every example (flattened into each example's own options).
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// How many events the schedule holds.
    #[arg(long, default_value_t = 10_000)]
    pub events: usize,
    /// The window the events are spread over (`10m`, `20s`, `1500ms`).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub duration: Duration,
    /// Standard deviation of the event schedule, as a fraction of the window (events follow a normal
    /// distribution centred in the window; those that would fall outside are clamped to its edges).
    #[arg(long, default_value_t = 0.15)]
    pub sigma: f64,
    /// Play the schedule this many times faster (2 turns `--duration 10m` into five minutes).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// The blob store: a directory, or any URL `hollow::store::open` takes. Default: a temp directory.
    #[arg(long)]
    pub store: Option<String>,
    /// Write `report.json` and `report.html` into this directory.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Seed of every random choice, so two runs with the same options see the same events.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl Common {
    /// The wall-clock window the schedule plays in: `--duration` divided by `--speed`.
    pub fn window(&self) -> Duration {
        self.duration.div_f64(self.speed.max(1e-9))
    }
}

/// Parse `10m`, `20s`, `1500ms`, `1h` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("{text:?} is not a duration like 10m, 20s or 500ms"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("unknown unit {unit:?} in {text:?} (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_their_units() {
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("10 parsecs").is_err());
        assert!(parse_duration("m").is_err());
    }
}

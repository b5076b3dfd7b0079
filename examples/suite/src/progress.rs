//! Live progress on the terminal: events done, cycles, current version and p99 so far. Hidden when
//! standard error is not a terminal (CI, pipes), so logs stay clean.

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub fn new(name: &str, events: usize) -> Progress {
        let bar = ProgressBar::new(events as u64);
        bar.set_style(
            ProgressStyle::with_template("{prefix:>12} [{elapsed_precise}] {bar:30} {pos}/{len} events {msg}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_prefix(name.to_owned());
        Progress { bar }
    }

    pub fn update(&self, events_done: usize, cycles: u64, version: Option<hollow::Version>, p99_us: f64) {
        self.bar.set_position(events_done as u64);
        let version = version.map_or("-".to_owned(), |v| v.to_string());
        self.bar.set_message(format!("| {cycles} cycles | version {version} | read p99 {p99_us:.2} µs"));
    }

    /// Print a line above the bar (nothing when the bar is hidden).
    pub fn println(&self, line: impl AsRef<str>) {
        self.bar.println(line);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

//! Progress on long work, for a person at a terminal: spinners and bars on standard error, drawn only
//! when it is a terminal (indicatif's own check) and `--quiet` is not given; piped output stays clean.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hollow::consumer::RefreshListener;
use hollow::store::{BlobType, Version};
use indicatif::{ProgressBar, ProgressStyle};

static QUIET: AtomicBool = AtomicBool::new(false);

/// No progress at all (`--quiet`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// A spinner showing `message` and a running count.
pub fn spinner(message: &str) -> ProgressBar {
    if QUIET.load(Ordering::Relaxed) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(message.to_owned());
    bar.set_style(ProgressStyle::with_template("{spinner} {msg} {human_pos} [{elapsed}]").expect("a valid template"));
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A bar of `len` steps.
pub fn bar(len: u64, message: &str) -> ProgressBar {
    if QUIET.load(Ordering::Relaxed) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len).with_message(message.to_owned());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {human_pos}/{human_len} [{elapsed}]")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar
}

/// Shows what a refresh is doing (which blob it applies) on a spinner.
pub struct RefreshProgress {
    bar: ProgressBar,
}

impl RefreshProgress {
    pub fn new() -> Self {
        let bar = spinner("loading");
        bar.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("a valid template"));
        RefreshProgress { bar }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl RefreshListener for RefreshProgress {
    fn refresh_started(&self, from: Option<Version>, to: Version) {
        match from {
            Some(from) => self.bar.set_message(format!("refreshing from version {from} to {to}")),
            None => self.bar.set_message(format!("loading version {to}")),
        }
    }

    fn blob_applied(&self, blob_type: BlobType, to: Version) {
        self.bar.set_message(format!("applied {} to version {to}", hollow::telemetry::blob_kind(blob_type)));
    }
}

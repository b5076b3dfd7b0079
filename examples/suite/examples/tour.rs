//! The hollow-rs tour: `cargo run --release -p hollow-examples --example tour -- --duration 20s`.
//! See `hollow_examples::tour` for what it does; `--help` for the options.

use clap::Parser;
use hollow_examples::tour::{follow_store, run, Options};

fn main() -> std::process::ExitCode {
    let options = Options::parse();
    if let Some(url) = &options.follow_store {
        // Started by the tour itself as its second consumer.
        return match follow_store(url) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("subprocess consumer: {e}");
                std::process::ExitCode::from(2)
            }
        };
    }
    hollow_examples::main_with(options.common.report.clone(), || run(&options))
}

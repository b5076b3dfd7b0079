//! Several datasets in parallel on one schedule:
//! `cargo run --release -p hollow-examples --example benchmark -- --duration 30s --shape bursty`.
//! See `hollow_examples::benchmark` for what it does; `--help` for the options.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let options = hollow_examples::benchmark::Options::parse();
    hollow_examples::main_with(options.common.report.clone(), || hollow_examples::benchmark::run(&options))
}

//! Stress under injected faults: `cargo run --release -p hollow-examples --example stress -- --duration 30s`.
//! See `hollow_examples::stress` for what it does; `--help` for the options.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let options = hollow_examples::stress::Options::parse();
    hollow_examples::main_with(options.common.report.clone(), || hollow_examples::stress::run(&options))
}

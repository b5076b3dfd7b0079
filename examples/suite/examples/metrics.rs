//! Business metrics, Prometheus and a live dashboard:
//! `cargo run --release -p hollow-examples --example metrics -- --duration 1m`.
//! See `hollow_examples::metrics` for what it does; `--help` for the options.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let options = hollow_examples::metrics::Options::parse();
    hollow_examples::main_with(options.common.report.clone(), || hollow_examples::metrics::run(&options))
}

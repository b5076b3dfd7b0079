//! Read latency, memory and throughput on 1M movies:
//! `cargo run --release -p hollow-examples --example performance -- --duration 20s --report perf`, then
//! `... -- --baseline perf/report.json` to compare a later run with it.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let options = hollow_examples::performance::Options::parse();
    hollow_examples::main_with(options.common.report.clone(), || hollow_examples::performance::run(&options))
}

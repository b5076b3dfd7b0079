//! A shop on hollow: `cargo run --release -p hollow-examples --example ecommerce -- --duration 20s`.
//! See `hollow_examples::ecommerce` for what it does; `--help` for the options.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let options = hollow_examples::ecommerce::Options::parse();
    hollow_examples::main_with(options.common.report.clone(), || hollow_examples::ecommerce::run(&options))
}

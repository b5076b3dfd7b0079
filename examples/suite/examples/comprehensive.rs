//! Every scenario in one run, one report:
//! `cargo run --release -p hollow-examples --example comprehensive -- --duration 2m --report report`.
//! See `hollow_examples::comprehensive` for what it does; `--help` for the options.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let options = hollow_examples::comprehensive::Options::parse();
    if let Some(url) = &options.follow_store {
        // Started by the tour scenario as its second consumer.
        return match hollow_examples::tour::follow_store(url) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("subprocess consumer: {e}");
                std::process::ExitCode::from(2)
            }
        };
    }
    hollow_examples::main_with(options.common.report.clone(), || hollow_examples::comprehensive::run(&options))
}

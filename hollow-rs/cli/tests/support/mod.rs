//! What the CLI's test files share: running the `hollow` binary as a user would, and filling a store
//! with `hollow produce`.
//!
//! Each test crate includes this module and uses a part of it.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `hollow ARGS`: whether it succeeded, its standard output and its standard error.
pub fn hollow(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hollow")).args(args).output().expect("run hollow");
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// Runs `hollow ARGS` that must succeed; its standard output.
pub fn hollow_ok(args: &[&str]) -> String {
    let (ok, stdout, stderr) = hollow(args);
    assert!(ok, "hollow {args:?}: {stderr}");
    stdout
}

/// Runs `hollow ARGS` with `stdin` as its standard input.
pub fn hollow_with_input(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hollow"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hollow");
    // A command that fails before reading its input (a usage error) may exit while it is written: the
    // broken pipe is expected then, and its exit status and message are what the caller checks.
    match child.stdin.take().expect("piped").write_all(stdin.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write standard input: {e}"),
        _ => {}
    }
    let out = child.wait_with_output().expect("wait for hollow");
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// One cycle of `hollow produce` into the store `store`: `schema` (schema language) and the JSON
/// `lines` are written to `work/schema.txt` and `work/input.jsonl`; any share of records may be
/// removed. Panics with the CLI's message when the cycle fails.
pub fn produce_records(work: &Path, store: &str, schema: &str, lines: &[impl AsRef<str>]) {
    let (schema_file, input) = (work.join("schema.txt"), work.join("input.jsonl"));
    std::fs::write(&schema_file, schema).expect("write the schema");
    let lines: Vec<&str> = lines.iter().map(AsRef::as_ref).collect();
    std::fs::write(&input, lines.join("\n")).expect("write the input");
    hollow_ok(&[
        "produce",
        store,
        "--schema",
        schema_file.to_str().expect("UTF-8 path"),
        "--input",
        input.to_str().expect("UTF-8 path"),
        "--max-removed-share",
        "1",
    ]);
}

/// `String` records holding `values`, as `produce` input lines.
pub fn string_records(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| serde_json::json!({"type": "String", "value": v}).to_string()).collect()
}

/// The store directory's announced version.
pub fn announced(store: &str) -> i64 {
    let text = std::fs::read_to_string(Path::new(store).join("announced.version")).expect("an announced version");
    text.trim().parse().expect("a version number")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

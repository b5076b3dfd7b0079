//! Helpers shared by the integration tests: the Java reference vectors in `tests/vectors/`.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

/// The scenarios of the reference vectors.
pub const SCENARIOS: [&str; 5] = ["strings", "primitives", "collections", "sharded", "sharded-reshard"];

/// `tests/vectors/<scenario>`.
pub fn scenario_dir(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(scenario)
}

/// A blob of a scenario, by file name.
pub fn read_blob(scenario: &str, name: &str) -> Vec<u8> {
    let path = scenario_dir(scenario).join("blobs").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// `expected/state-<v>.json`, or its `.json.gz` when the file is large.
pub fn read_expected(scenario: &str, version: i64) -> String {
    let dir = scenario_dir(scenario).join("expected");
    let plain = dir.join(format!("state-{version}.json"));
    if plain.exists() {
        return std::fs::read_to_string(&plain).unwrap_or_else(|e| panic!("reading {}: {e}", plain.display()));
    }
    let gz = dir.join(format!("state-{version}.json.gz"));
    let file = std::fs::File::open(&gz).unwrap_or_else(|e| panic!("reading {}: {e}", gz.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut text).expect("gzip JSON");
    text
}

/// The versions of a scenario, ascending (from its manifest).
pub fn versions(scenario: &str) -> Vec<i64> {
    let path = scenario_dir(scenario).join("manifest.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("manifest")).expect("manifest JSON");
    json["versions"].as_array().expect("versions").iter().map(|v| v.as_i64().expect("version")).collect()
}

/// A fresh empty directory under the system temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hollow-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

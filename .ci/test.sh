#!/usr/bin/env bash
# The whole test suite, from a fresh clone. README: "Run the tests".
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test --workspace"
cargo test --workspace
echo "== Python wheel (bindings/python/ci.sh)"
bash bindings/python/ci.sh

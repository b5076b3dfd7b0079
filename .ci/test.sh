#!/usr/bin/env bash
# The whole test suite, from a fresh clone. README: "Run the tests".
set -euo pipefail
cd "$(dirname "$0")/.."
# A build from scratch gains nothing from incremental compilation, whose caches double the disk used.
export CARGO_INCREMENTAL=0
# Each heading says how long the run has taken so far: CI's budget is 20 minutes on 2 cores.
phase() { printf '== [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# The C API tests (hollow-ffi/tests/c_api.rs) compile C and C++ programs with the system compilers and run
# them, also under valgrind, and check the installed pkg-config file. Install what a fresh machine lacks.
missing=()
for pair in cc:gcc c++:g++ valgrind:valgrind pkg-config:pkg-config readelf:binutils; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    phase "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

phase "cargo fmt --check"
cargo fmt --all -- --check
phase "cargo clippy -D warnings (every feature, then the library without its optional ones)"
cargo clippy --workspace --all-targets --all-features -- -D warnings
cargo clippy -p hollow --lib --no-default-features -- -D warnings
phase "packages: what cargo package ships (.ci/check-packages.sh)"
bash .ci/check-packages.sh
phase "cargo doc -D warnings (hollow, hollow-cli, hollow-ffi)"
# One crate at a time: the three share the name `hollow` (the library, the binary, the C library), so
# their pages would land in the same target/doc/hollow/.
for crate in hollow hollow-cli hollow-ffi; do
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features -p "$crate"
done
phase "cargo test --workspace --all-features, beside a loopback S3 server (moto, .ci/with-s3.sh; lanes: .ci/cargo-test.sh)"
bash .ci/with-s3.sh bash .ci/cargo-test.sh
phase "hollow serve in headless Chromium (.ci/browser-test.sh)"
bash .ci/browser-test.sh
# The Python phase builds the core again in its own target directory. Where the disk is small (CI
# machines), free the Rust build first: nothing below uses it.
avail_kib=$(df -Pk . | awk 'NR == 2 { print $4 }')
if [ "${avail_kib:-0}" -lt $((12 * 1024 * 1024)) ]; then
    phase "less than 12 GiB free: removing target/ before the Python phase"
    cargo clean
fi
phase "Python wheel (bindings/python/ci.sh), beside a loopback S3 server"
bash .ci/with-s3.sh bash bindings/python/ci.sh
phase "all passed"

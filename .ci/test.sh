#!/usr/bin/env bash
# The whole test suite, from a fresh clone. README: "Run the tests".
set -euo pipefail
cd "$(dirname "$0")/.."
# A build from scratch gains nothing from incremental compilation, whose caches double the disk used.
export CARGO_INCREMENTAL=0
# Each heading says how long the run has taken so far: CI's budget is 20 minutes on 2 cores.
phase() { printf '== [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# Rust itself, where the machine has none yet (rustup, into ~/.cargo).
# shellcheck source=ensure-rust.sh
source .ci/ensure-rust.sh

# The C API tests (hollow-ffi/tests/c_api.rs) compile C and C++ programs with the system compilers and run
# them, also under valgrind, and check the installed pkg-config file. Install what a fresh machine lacks.
missing=()
for pair in cc:gcc c++:g++ valgrind:valgrind pkg-config:pkg-config readelf:binutils; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
# The S3 server (moto), the browser test and the Python wheel's checks run in virtualenvs of python3's.
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3 python3-venv python3-pip)
if [ ${#missing[@]} -gt 0 ]; then
    phase "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

phase "cargo fmt --check"
cargo fmt --all -- --check
# The Python wheel compiles in its own target directory. Where the disk has room for both, it compiles in
# the background from the start, at the lowest priority: it takes only the CPU the Rust phases leave idle
# (their serial stretches, and the tests, which wait on processes, servers and a browser as much as they
# compute). Elsewhere (small CI disks) the Rust build is freed first and the wheel compiles after it.
python_pid=""
python_log=""
stop_python_build() {
    if [ -n "$python_pid" ]; then
        kill "$python_pid" 2>/dev/null || true
        wait "$python_pid" 2>/dev/null || true
    fi
    [ -z "$python_log" ] || rm -f "$python_log"
}
trap stop_python_build EXIT
avail_kib=$(df -Pk . | awk 'NR == 2 { print $4 }')
if [ "${avail_kib:-0}" -ge $((12 * 1024 * 1024)) ]; then
    phase "Python wheel: lint, sdist and wheel build started in the background (bindings/python/ci.sh build)"
    python_log=$(mktemp -t hollow-python-build.XXXXXX.log)
    nice -n 19 bash bindings/python/ci.sh build >"$python_log" 2>&1 &
    python_pid=$!
fi

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
phase "build every Rust test target and example (.ci/cargo-test.sh build)"
bash .ci/cargo-test.sh build

phase "cargo test --workspace --all-features, beside a loopback S3 server (moto, .ci/with-s3.sh; lanes: .ci/cargo-test.sh)"
bash .ci/with-s3.sh bash .ci/cargo-test.sh run
phase "hollow serve in headless Chromium (.ci/browser-test.sh)"
bash .ci/browser-test.sh

if [ -n "$python_pid" ]; then
    phase "Python wheel: waiting for the background build"
    python_status=0
    wait "$python_pid" || python_status=$?
    python_pid=""
    cat "$python_log"
    [ "$python_status" -eq 0 ] || { echo "== the Python build failed (exit $python_status)" >&2; exit "$python_status"; }
else
    phase "less than 12 GiB free: removing target/ before the Python build"
    cargo clean
    phase "Python wheel: lint, sdist and wheel build (bindings/python/ci.sh build)"
    bash bindings/python/ci.sh build
fi
phase "Python wheel: auditwheel, install, stubtest, mypy, pytest beside a loopback S3 server (bindings/python/ci.sh check)"
bash .ci/with-s3.sh bash bindings/python/ci.sh check
phase "all passed"

#!/usr/bin/env bash
# The whole test suite, from a fresh clone. README: "Run the tests".
set -euo pipefail
cd "$(dirname "$0")/.."

# The C API tests (hollow-ffi/tests/c_api.rs) compile C and C++ programs with the system compilers and run
# them, also under valgrind, and check the installed pkg-config file. Install what a fresh machine lacks.
missing=()
for pair in cc:gcc c++:g++ valgrind:valgrind pkg-config:pkg-config readelf:binutils; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo clippy -D warnings (hollow with object-store)"
cargo clippy -p hollow --all-targets --features object-store -- -D warnings
echo "== cargo test --workspace"
cargo test --workspace
echo "== object-store blob store: unit tests, and memory:// + S3 (moto on loopback, .ci/with-s3.sh)"
cargo test -p hollow --features object-store --lib -- store::object store::url
bash .ci/with-s3.sh cargo test -p hollow --features object-store --test s3_store
echo "== Python wheel (bindings/python/ci.sh)"
bash bindings/python/ci.sh

#!/usr/bin/env bash
# The README's demo command: installs Rust where it is missing (.ci/ensure-rust.sh), then runs the demo
# (a producer and a consumer on a filesystem blob store in a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=ensure-rust.sh
source .ci/ensure-rust.sh
exec cargo run --example demo

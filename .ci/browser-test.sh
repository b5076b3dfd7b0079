#!/usr/bin/env bash
# The browser tests of `hollow serve` (hollow-rs/cli/tests/browser), in Debian's headless Chromium driven
# by Selenium through Debian's chromedriver, against the `hollow` binary `cargo test` already built.
# Installs chromium and chromium-driver when missing (apt), and selenium + pytest into .ci/.venv-browser.
# HOLLOW_SCREENSHOT_DIR=docs bash .ci/browser-test.sh rewrites the README's screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "== installing chromium chromium-driver"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
venv=.ci/.venv-browser
if [ ! -x "$venv/bin/pytest" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "selenium>=4.20,<5" "pytest>=8,<9"
fi
hollow_bin="${HOLLOW_BIN:-${CARGO_TARGET_DIR:-target}/debug/hollow}"
if [ ! -x "$hollow_bin" ]; then
    cargo build -q -p hollow-cli
fi
HOLLOW_BIN="$(realpath "$hollow_bin")" "$venv/bin/pytest" -q hollow-rs/cli/tests/browser

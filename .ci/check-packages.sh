#!/usr/bin/env bash
# What `cargo package` would ship, per crate: the files users need, nothing else, under a size bound.
# Called by .ci/test.sh; about two seconds, no build, no network (`--offline`: the lockfile resolves
# from the local registry cache that the earlier build phases filled).
#
#   bash .ci/check-packages.sh
#
# The library package must not hold the Java Hollow test vectors (hollow-rs/tests/vectors, 11 MB) nor
# any test, example or benchmark; every package holds its license. The bounds leave room to grow
# (about twice today's sizes): crossing one means something large slipped in, so look before raising it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
failures=0

fail() {
    echo "check-packages: $*" >&2
    failures=$((failures + 1))
}

# check_package CRATE DIR MAX_KIB REQUIRED_FILE...
check_package() {
    local crate=$1 dir=$2 max_kib=$3
    shift 3
    local list
    if ! list=$(cargo package --list --offline --allow-dirty -p "$crate" 2>/tmp/check-packages.$$.err); then
        cat /tmp/check-packages.$$.err >&2
        rm -f /tmp/check-packages.$$.err
        fail "$crate: cargo package --list failed"
        return
    fi
    rm -f /tmp/check-packages.$$.err
    local required
    for required in "$@"; do
        grep -qx "$required" <<<"$list" || fail "$crate: the package lacks $required"
    done
    local unwanted
    unwanted=$(grep -E '(^|/)(tests|vectors|benches|examples|fuzz|target)/|\.(bin|blob|gz|zip|so|a)$' <<<"$list" || true)
    [ -z "$unwanted" ] || fail "$crate: the package holds files users do not need:"$'\n'"$unwanted"
    # Sizes of the listed files as they are on disk (cargo's generated files are small and not on disk;
    # README.md comes from the manifest's `readme`, outside the package directory).
    local bytes=0 file size
    while IFS= read -r file; do
        if [ -e "$dir/$file" ]; then
            size=$(stat -L -c %s "$dir/$file")
        elif [ "$file" = README.md ]; then
            size=$(stat -L -c %s "$root/README.md")
        else
            continue
        fi
        bytes=$((bytes + size))
    done <<<"$list"
    local files
    files=$(wc -l <<<"$list")
    echo "$crate: $files files, $((bytes / 1024)) KiB uncompressed (bound $max_kib KiB)"
    [ "$bytes" -le $((max_kib * 1024)) ] || fail "$crate: $((bytes / 1024)) KiB is over the $max_kib KiB bound"
}

check_package hollow hollow-rs 2560 LICENSE NOTICE README.md src/lib.rs
check_package hollow-cli hollow-rs/cli 256 LICENSE NOTICE README.md src/main.rs
check_package hollow-ffi hollow-ffi 512 LICENSE NOTICE README.md src/lib.rs build.rs install.sh hollow.pc.in

if grep -q 'example.invalid' Cargo.toml; then
    echo "check-packages: note: Cargo.toml's repository/homepage are placeholders (docs/RELEASING.md, before publishing)"
fi
if [ "$failures" -gt 0 ]; then
    echo "check-packages: $failures problem(s)" >&2
    exit 1
fi

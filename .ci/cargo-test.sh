#!/usr/bin/env bash
# `cargo test --workspace --all-features`, built first and then run in two lanes (.ci/test.sh).
#
#   bash .ci/cargo-test.sh build   compile every test target and the examples, run nothing
#   bash .ci/cargo-test.sh run     run them (inside .ci/with-s3.sh); also compiles whatever is stale
#
# Two integration tests spend most of their time waiting: publishing_protocol (about 75 s of producer
# processes started, SIGKILLed and waited for, and of requests to the loopback S3 server) and s3_faults
# (retries through a faulty proxy). Run one after the other with the rest, they added their whole
# duration to CI's. Here they run in the background (lane A) while everything else runs (lane B); their
# output is printed at the end, and a failure in either lane fails the run.
#
# Every other test target is named explicitly (lane B), so the waiting ones run exactly once; a new file
# in a tests/ folder joins lane B by itself. Doc tests run on their own (cargo cannot mix `--doc` with
# other target kinds).
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
# --no-fail-fast: a failing test binary does not hide the results of the ones after it.
cargo_test=(cargo test --workspace --all-features --no-fail-fast)
waiting=(publishing_protocol s3_faults)

waiting_targets=()
for name in "${waiting[@]}"; do
    waiting_targets+=(--test "$name")
done
other_targets=(--lib --bins)
for file in hollow-rs/tests/*.rs hollow-rs/cli/tests/*.rs hollow-ffi/tests/*.rs examples/suite/tests/*.rs; do
    name=$(basename "$file" .rs)
    [[ " ${waiting[*]} " == *" $name "* ]] || other_targets+=(--test "$name")
done

case "$mode" in
    build)
        "${cargo_test[@]}" "${waiting_targets[@]}" "${other_targets[@]}" --no-run
        # Besides the tests, `cargo test` builds the examples: prometheus_example and c_api run some,
        # built by this same command, which then finds them fresh.
        cargo build --workspace --all-features --lib --examples --profile test
        exit 0
        ;;
    run) ;;
    *)
        echo "usage: cargo-test.sh build|run" >&2
        exit 2
        ;;
esac

waiting_log=$(mktemp -t hollow-waiting-tests.XXXXXX.log)
"${cargo_test[@]}" "${waiting_targets[@]}" >"$waiting_log" 2>&1 &
waiting_pid=$!
finish() {
    # However lane B ends, lane A is stopped if it still runs, and its log removed.
    kill "$waiting_pid" 2>/dev/null && wait "$waiting_pid" 2>/dev/null
    rm -f "$waiting_log"
}
trap finish EXIT

status=0
"${cargo_test[@]}" "${other_targets[@]}" || status=$?
"${cargo_test[@]}" --doc || status=$?

echo "== the tests that ran in the background (${waiting[*]}):"
waiting_status=0
wait "$waiting_pid" || waiting_status=$?
cat "$waiting_log"
if [ "$waiting_status" -ne 0 ]; then
    echo "== background tests failed (exit $waiting_status)" >&2
    status=$waiting_status
fi
exit "$status"

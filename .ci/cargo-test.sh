#!/usr/bin/env bash
# `cargo test --workspace --all-features`, in two lanes (run by .ci/test.sh inside .ci/with-s3.sh).
#
# Two integration tests spend most of their time waiting: publishing_protocol (about 75 s of producer
# processes started, SIGKILLed and waited for, and of requests to the loopback S3 server) and s3_faults
# (retries through a faulty proxy). Run after the rest, they added their whole duration to CI's. Here
# they are compiled first, then run in the background while everything else compiles and runs; their
# output is printed at the end, and any failure of either lane fails the run.
#
# Every other test target is named explicitly (lane B), so the waiting ones run exactly once; a new file
# under a tests/ folder joins lane B by itself. Doc tests run on their own (cargo cannot mix `--doc` with
# other target kinds).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo_test=(cargo test --workspace --all-features)
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

"${cargo_test[@]}" "${waiting_targets[@]}" --no-run
waiting_log=$(mktemp -t hollow-waiting-tests.XXXXXX.log)
"${cargo_test[@]}" "${waiting_targets[@]}" >"$waiting_log" 2>&1 &
waiting_pid=$!
finish() {
    # However lane B ends, lane A is waited for (or stopped) and its output shown.
    kill "$waiting_pid" 2>/dev/null && wait "$waiting_pid" 2>/dev/null
    rm -f "$waiting_log"
}
trap finish EXIT

status=0
# Besides the tests, `cargo test` builds the examples: prometheus_example and c_api run some, through this
# same command, which then finds them built.
cargo build --workspace --all-features --lib --examples --profile test || status=$?
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

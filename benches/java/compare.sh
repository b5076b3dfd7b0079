#!/usr/bin/env bash
# Alternates Java Hollow and hollow-rs on the same Java-written dataset, ROUNDS rounds (default 3), and
# prints one table: each side's figures per round and the ratio hollow-rs / Java (median, range).
# See README.md beside this file for the build steps.
#
#   benches/java/compare.sh JAVA_HOLLOW_CLASSES HARNESS_CLASSES RUST_EXAMPLE DATA_DIR [LOOKUPS] [ROUNDS]
set -euo pipefail
classes=$1 harness=$2 rust=$3 data=$4 lookups=${5:-1000000} rounds=${6:-3}
java_opts=${JAVA_OPTS:--Xmx4g}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
    # shellcheck disable=SC2086
    java $java_opts -Djava.util.logging.config.file=/dev/null -cp "$classes:$harness" HollowCompare bench "$data" "$lookups" \
        2>/dev/null | grep -E '^[a-z_0-9]+ ' >"$out/java.$r"
    "$rust" "$data" "$lookups" | grep -E '^[a-z_0-9]+ ' >"$out/rust.$r"
    java_sum=$(sed -n 's/.*checksum \([0-9]*\).*/\1/p' "$out/java.$r")
    rust_sum=$(sed -n 's/.*checksum \([0-9]*\).*/\1/p' "$out/rust.$r")
    if [[ "$java_sum" != "$rust_sum" ]]; then
        echo "round $r: checksums differ (Java $java_sum, hollow-rs $rust_sum): not the same reads" >&2
        exit 1
    fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

awk -v rounds="$rounds" -v dir="$out" '
function median(a, n,    i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
BEGIN {
    split("load_index_ms load_ms index_ms heap_mib single_p50_ns single_p99_ns loop_ns probe_ns get_many_ns delta_ms delta_again_ms", keys, " ")
    for (r = 1; r <= rounds; r++) {
        while ((getline line < (dir "/java." r)) > 0) { split(line, f, " "); java[f[1], r] = f[2] }
        while ((getline line < (dir "/rust." r)) > 0) { split(line, f, " "); rust[f[1], r] = f[2] }
    }
    printf "%-14s | %-26s | %-26s | %s\n", "metric", "Java (rounds)", "hollow-rs (rounds)", "hollow-rs/Java median (range)"
    for (k = 1; k in keys; k++) {
        key = keys[k]; js = ""; rs = ""; n = 0; lo = 1e18; hi = 0
        # get_many (batched) is compared with Java'"'"'s single probe, Java having no batch lookup.
        jkey = key == "get_many_ns" ? "probe_ns" : key
        for (r = 1; r <= rounds; r++) {
            js = js (r > 1 ? " " : "") java[jkey, r]; rs = rs (r > 1 ? " " : "") rust[key, r]
            if (java[jkey, r] > 0) { q[++n] = rust[key, r] / java[jkey, r]; if (q[n] < lo) lo = q[n]; if (q[n] > hi) hi = q[n] }
        }
        printf "%-14s | %-26s | %-26s | %.2fx (%.2f-%.2f)\n", key, js, rs, median(q, n), lo, hi
    }
}'

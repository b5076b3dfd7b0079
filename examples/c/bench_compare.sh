#!/usr/bin/env bash
# Runs examples/c/bench_get.c and hollow-ffi/examples/bench_get.rs in alternation (PAIRS pairs, default 3)
# and prints each pair's figures and the C/Rust ratios: "prep" is the read through a prepared read
# (hollow_prepared_read_string), "C" the same read through hollow_primary_key_index_read_string, "Rust" the
# read through PrimaryKeyIndex::get and "i64" through PrimaryKeyIndex::get_i64 (the core entry point the
# prepared read calls). Build
# first, from the repository root (the dist profile is what install.sh ships):
#   cargo build --profile dist -p hollow-ffi --lib --example bench_get
#   cc -O2 -Iinclude -Iexamples/c examples/c/bench_get.c "$TARGET/dist/libhollow.a" -lpthread -ldl -lm -lrt -lutil -o bench_get
#   examples/c/bench_compare.sh ./bench_get "$TARGET/dist/examples/bench_get" [PAIRS] [MOVIES LOOKUPS ROUNDS]
set -euo pipefail
c_bin=$1 rust_bin=$2 pairs=${3:-3}
shift $(($# < 3 ? $# : 3))
args=("$@")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %10s %10s %10s %9s %9s %7s %8s %9s %9s %9s %9s %7s %13s %10s %7s %10s\n' pair "prep ns/op" "C ns/op" \
    "Rust ns/op" "i64 ns/op" prep/Rust C/Rust prep/i64 "prep CPU" "C CPU" "Rust CPU" prep/Rust C/Rust \
    "C many ns/key" "Rust many" C/Rust "C 3 calls"
median() { sed -n "s/.*$1[^:]*: median \([0-9.]*\).*/\1/p"; }
cpu() { sed -n "s/.*$1[^:]*: median [0-9.]* ns\/op (thread CPU \([0-9.]*\)).*/\1/p"; }
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
for pair in $(seq 1 "$pairs"); do
    c_out=$("$c_bin" "${args[@]}")
    rust_out=$("$rust_bin" "${args[@]}")
    prep_get=$(median "C prepared get (" <<<"$c_out") prep_cpu=$(cpu "C prepared get (" <<<"$c_out")
    c_get=$(median "C get (" <<<"$c_out") rust_get=$(median "Rust get (" <<<"$rust_out")
    rust_i64=$(median "Rust get_i64 (" <<<"$rust_out")
    c_many=$(median "C get_many" <<<"$c_out") rust_many=$(median "Rust get_many" <<<"$rust_out")
    c_three=$(median "C get in three" <<<"$c_out")
    c_cpu=$(cpu "C get (" <<<"$c_out") rust_cpu=$(cpu "Rust get (" <<<"$rust_out")
    # bench_get.c checks itself that the prepared read's checksum is the one-call read's.
    c_sum=$(grep -v '^C prepared' <<<"$c_out" | grep -o 'checksum [0-9]*' | tr '\n' ' ') rust_sum=$(grep -o 'checksum [0-9]*' <<<"$rust_out" | tr '\n' ' ')
    if [[ "$c_sum" != "$rust_sum" ]]; then
        echo "checksums differ: C $c_sum, Rust $rust_sum" >&2
        exit 1
    fi
    printf '%-5s %10s %10s %10s %9s %9s %7s %8s %9s %9s %9s %9s %7s %13s %10s %7s %10s\n' "$pair" "$prep_get" "$c_get" \
        "$rust_get" "$rust_i64" "$(ratio "$prep_get" "$rust_get")" "$(ratio "$c_get" "$rust_get")" \
        "$(ratio "$prep_get" "$rust_i64")" "$prep_cpu" "$c_cpu" "$rust_cpu" "$(ratio "$prep_cpu" "$rust_cpu")" \
        "$(ratio "$c_cpu" "$rust_cpu")" "$c_many" "$rust_many" "$(ratio "$c_many" "$rust_many")" "$c_three"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

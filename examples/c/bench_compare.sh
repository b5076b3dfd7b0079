#!/usr/bin/env bash
# Runs examples/c/bench_get.c and hollow-ffi/examples/bench_get.rs in alternation (PAIRS pairs, default 3)
# and prints each pair's figures and the C/Rust ratios. Build first, from the repository root:
#   cargo build --release -p hollow-ffi --lib --example bench_get
#   cc -O2 -Iinclude -Iexamples/c examples/c/bench_get.c "$TARGET/release/libhollow.a" -lpthread -ldl -lm -lrt -lutil -o bench_get
#   examples/c/bench_compare.sh ./bench_get "$TARGET/release/examples/bench_get" [PAIRS] [MOVIES LOOKUPS ROUNDS]
set -euo pipefail
c_bin=$1 rust_bin=$2 pairs=${3:-3}
shift $(($# < 3 ? $# : 3))
args=("$@")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %10s %10s %7s %10s %10s %7s %13s %10s %7s %10s\n' pair "C ns/op" "Rust ns/op" C/Rust \
    "C CPU" "Rust CPU" C/Rust "C many ns/key" "Rust many" C/Rust "C 3 calls"
median() { sed -n "s/.*$1[^:]*: median \([0-9.]*\).*/\1/p"; }
cpu() { sed -n "s/.*$1[^:]*: median [0-9.]* ns\/op (thread CPU \([0-9.]*\)).*/\1/p"; }
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
for pair in $(seq 1 "$pairs"); do
    c_out=$("$c_bin" "${args[@]}")
    rust_out=$("$rust_bin" "${args[@]}")
    c_get=$(median "C get (" <<<"$c_out") rust_get=$(median "Rust get (" <<<"$rust_out")
    c_many=$(median "C get_many" <<<"$c_out") rust_many=$(median "Rust get_many" <<<"$rust_out")
    c_three=$(median "C get in three" <<<"$c_out")
    c_cpu=$(cpu "C get (" <<<"$c_out") rust_cpu=$(cpu "Rust get (" <<<"$rust_out")
    c_sum=$(grep -o 'checksum [0-9]*' <<<"$c_out" | tr '\n' ' ') rust_sum=$(grep -o 'checksum [0-9]*' <<<"$rust_out" | tr '\n' ' ')
    if [[ "$c_sum" != "$rust_sum" ]]; then
        echo "checksums differ: C $c_sum, Rust $rust_sum" >&2
        exit 1
    fi
    printf '%-5s %10s %10s %7s %10s %10s %7s %13s %10s %7s %10s\n' "$pair" "$c_get" "$rust_get" "$(ratio "$c_get" "$rust_get")" \
        "$c_cpu" "$rust_cpu" "$(ratio "$c_cpu" "$rust_cpu")" "$c_many" "$rust_many" "$(ratio "$c_many" "$rust_many")" "$c_three"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

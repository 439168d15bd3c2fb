#!/usr/bin/env bash
# Whole-process measurements of the product, the static x86_64 binary, side by side with
# the floor of a plugin process: check_dummy from monitoring-plugins-basic (the smallest
# C plugin) and a static Rust program that only prints one line. Then large documents
# against the dynamic glibc builds, peak memory, the static binaries' sizes and the
# release panic strategy. Prints the figures and the ratios, and exits non-zero when a
# target is missed (each miss is a line starting with MISSED).
#
#   scripts/bench.sh                 # everything; figures go to stdout
#   RUNS=2000 scripts/bench.sh       # more hyperfine runs on the small document
#   BASELINE=<commit> scripts/bench.sh
#
# Large documents are compared with two glibc builds: the baseline, the dynamic build of
# the code before the static binary became the product (BASELINE, by default the commit
# before that work; built once into target/bench-baseline from `git archive`), which is
# the target; and `cargo build --release` of this code, for the allocator's share alone.
#
# Wall times move with the machine's load (printed first): take final figures on a
# quiet machine. Instruction counts (callgrind) do not. Library throughput is
# `cargo bench`: see BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install.sh

runs="${RUNS:-1000}"
warmup=50
dummy=/usr/lib/nagios/plugins/check_dummy
static_target=x86_64-unknown-linux-musl
max_size=$((3 * 512 * 1024)) # 1.5 MiB
need=()
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu)
[ -x /usr/bin/time ] || need+=(time)
[ -x "$dummy" ] || need+=(monitoring-plugins-basic)
install_missing "${need[@]}"
add_target "$static_target"
add_target aarch64-unknown-linux-musl

baseline_rev="${BASELINE:-faac8f65d0ca22b2a48ec01299e5b72c831e7f29}"
baseline=
if git cat-file -e "$baseline_rev^{commit}" 2>/dev/null; then
    short=$(git rev-parse --short "$baseline_rev")
    baseline=target/bench-baseline/check_csbackup-$short
    if [ ! -x "$baseline" ]; then
        echo "== building the baseline $short (glibc, once)"
        source_dir=target/bench-baseline/source-$short
        rm -rf "$source_dir"
        mkdir -p "$source_dir"
        git archive "$baseline_rev" | tar -x -C "$source_dir"
        (cd "$source_dir" && cargo build --release --quiet --target-dir ../build)
        cp target/bench-baseline/build/release/check_csbackup "$baseline"
    fi
else
    echo "note: the baseline $baseline_rev is not in this clone; large documents are compared with this code's glibc build only"
fi
cargo build --release --quiet
# The static binaries as shipped: without the collector (it runs only on Windows).
cargo build --release --quiet --no-default-features --target "$static_target"
cargo build --release --quiet --no-default-features --target aarch64-unknown-linux-musl
cargo build --release --quiet --target "$static_target" --example panic_guard
plugin=target/$static_target/release/check_csbackup
glibc=target/release/check_csbackup
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The floor of any plugin process: a static Rust program that prints one line.
printf 'fn main() {\n    println!("OK - floor");\n}\n' >"$work/floor.rs"
rustc --edition 2021 -O -C panic=abort -C strip=symbols -C relocation-model=static \
    --target "$static_target" -o "$work/floor" "$work/floor.rs"
floor=$work/floor
failed=0
missed() {
    echo "MISSED: $*"
    failed=1
}
# check A OP B: awk's comparison of two numbers
check() { awk -v a="$1" -v b="$3" "BEGIN {exit !(a $2 b)}"; }

echo "== machine"
echo "cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== static binaries (target: each under $max_size bytes stripped)"
for bin in "$plugin" target/aarch64-unknown-linux-musl/release/check_csbackup; do
    size=$(stat -c %s "$bin")
    echo "$bin: $size bytes; $(file -b "$bin" | cut -d, -f1-2,4)"
    [ "$size" -lt "$max_size" ] || missed "$bin is $size bytes"
done
set +e
panic_output=$("target/$static_target/release/examples/panic_guard")
panic_code=$?
set -e
echo "panic in release: exit $panic_code: $panic_output"
if [ "$panic_code" -ne 3 ] || [[ "$panic_output" != "CSBACKUP UNKNOWN - internal error:"* ]]; then
    missed "a panic must end as CSBACKUP UNKNOWN, exit 3"
fi

# median seconds of each command, in order on one line, from hyperfine's CSV export
medians() { awk -F, 'NR > 1 {printf "%s ", $4} END {print ""}' "$1"; }
# Instructions of one run under callgrind (user space: the program and its libraries).
instructions() {
    # The exit code is the plugin's verdict, not a failure here.
    valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$work/callgrind.log" \
        "$@" >/dev/null 2>&1 || true
    awk '/Collected :/ {print $NF}' "$work/callgrind.log"
}

echo "== whole process on examples/pool-healthy.json: static binary, $dummy 0, floor"
echo "(hyperfine -N, warm-up $warmup, $runs runs each, one run for all three)"
[ "$runs" -ge 1000 ] || echo "note: the targets are for 1,000 runs or more; RUNS=$runs"
cp examples/pool-healthy.json "$work/doc.json"
hyperfine -N -i --style none --warmup "$warmup" --runs "$runs" --export-csv "$work/run.csv" \
    "$plugin -f $work/doc.json" "$dummy 0" "$floor" >/dev/null 2>"$work/hyperfine.log"
read -r ours theirs least < <(medians "$work/run.csv")
awk -v a="$ours" -v b="$theirs" -v c="$least" 'BEGIN {
    printf "median: check_csbackup %.0f us, check_dummy %.0f us, floor %.0f us; ratio %.2f (target: at most 0.75)\n",
        a * 1e6, b * 1e6, c * 1e6, a / b }'
check "$ours" '<=' "$(awk -v b="$theirs" 'BEGIN {print 0.75 * b}')" || missed "median over 0.75x check_dummy"

touch "$work/doc.json"
ours=$(instructions "$plugin" -f "$work/doc.json")
theirs=$(instructions "$dummy" 0)
least=$(instructions "$floor")
awk -v a="$ours" -v b="$theirs" -v c="$least" 'BEGIN {
    printf "instructions: check_csbackup %d, check_dummy %d, floor %d; ratio %.2f (target: at most 0.60)\n",
        a, b, c, a / b }'
check "$ours" '<=' "$(awk -v b="$theirs" 'BEGIN {print 0.6 * b}')" || missed "instructions over 0.6x check_dummy"
strace -f -c -o "$work/strace.txt" "$plugin" -f "$work/doc.json" >/dev/null || true
echo "system calls: $(awk '/total/ {print $4}' "$work/strace.txt") (strace -f -c)"

echo "== the other examples (hyperfine -N, 200 runs, against $dummy 0)"
for doc in examples/*.json; do
    cp "$doc" "$work/doc.json"
    hyperfine -N -i --style none --warmup 20 --runs 200 --export-csv "$work/run.csv" \
        "$plugin -f $work/doc.json" "$dummy 0" >/dev/null 2>"$work/hyperfine.log"
    read -r ours theirs < <(medians "$work/run.csv")
    awk -v d="$(basename "$doc")" -v a="$ours" -v b="$theirs" 'BEGIN {
        printf "%-24s check_csbackup %5.0f us   check_dummy %5.0f us   ratio %.2f\n", d, a * 1e6, b * 1e6, a / b }'
done

# One pool of $1 modules as `ConvertTo-Json -Compress` writes it (about 103 bytes a
# module), collected now; every tenth module has a backlog.
compact_modules() {
    awk -v count="$1" -v now="$(date -u +%Y-%m-%dT%H:%M:%SZ)" 'BEGIN {
        split("UserServices.PresenceFocus ConfServices.DataConf CentralMgmt.CMSMaster", m, " ")
        printf "{\"PoolFqdn\":\"pool000001.contoso.com\",\"CollectedAt\":\"%s\",\"ActiveMasterFqdn\":\"pool000000.contoso.com\",\"BackupModules\":[", now
        for (n = 0; n < count; n++)
            printf "%s{\"Identity\":\"%s.%d\",\"ExportStatus\":\"%s\",\"ImportStatus\":\"NormalState\"}", (n ? "," : ""), m[n % 3 + 1], n, (n % 10 == 9 ? "NonSteadyState" : "SteadyState")
        printf "]}\n"
    }' >"$2"
}

echo "== large documents: one pool of 15,000 and 150,000 modules, static against glibc"
compact_modules 15000 "$work/15k.json"
compact_modules 150000 "$work/150k.json"
small_size=$(stat -c %s "$work/15k.json")
large_size=$(stat -c %s "$work/150k.json")
builds=("$plugin" "$glibc")
[ -z "$baseline" ] || builds+=("$baseline")
commands=()
for bin in "${builds[@]}"; do
    commands+=("$bin -f $work/150k.json" "$bin -f $work/15k.json")
done
# Five rounds of seven runs, every command in each round, and the median of the rounds'
# medians: a load that comes and goes on a shared machine then weighs on all commands
# alike instead of on whichever ran while it lasted.
for round in 1 2 3 4 5; do
    hyperfine -N -i --style none --warmup 2 --runs 7 --export-csv "$work/large.csv" \
        "${commands[@]}" >/dev/null 2>"$work/hyperfine.log"
    medians "$work/large.csv" >>"$work/rounds.txt"
done
# per column, the median of the rounds (an insertion sort: mawk has no asort)
read -r -a times < <(awk '{for (i = 1; i <= NF; i++) t[i, NR] = $i; n = NF}
    END {
        for (i = 1; i <= n; i++) {
            for (r = 1; r <= NR; r++) {
                x = t[i, r]
                for (j = r - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]
                v[j + 1] = x
            }
            printf "%s ", v[int((NR + 1) / 2)]
        }
        print ""
    }' "$work/rounds.txt")
# rate NAME SECONDS BYTES: "NAME 123.4 ms = 125.5 MB/s"
rate() { awk -v n="$1" -v t="$2" -v s="$3" 'BEGIN {printf "%s %.1f ms = %.1f MB/s", n, t * 1e3, s / t / 1e6}'; }
names=(static "glibc (this code)" "glibc (baseline)")
for i in "${!builds[@]}"; do
    printf '%-18s 150,000 modules (%d bytes): %s;  15,000 modules: %s;  10x the modules: %sx the time\n' \
        "${names[$i]}" "$large_size" "$(rate '' "${times[$((2 * i))]}" "$large_size")" \
        "$(rate '' "${times[$((2 * i + 1))]}" "$small_size")" \
        "$(awk -v a="${times[$((2 * i))]}" -v b="${times[$((2 * i + 1))]}" 'BEGIN {printf "%.1f", a / b}')"
done
echo "(medians of 5 rounds of 7 runs; targets: the static binary reads 150,000 modules at least as fast as the baseline glibc build, 10x the modules at most 11x the time)"
reference=${times[2]}
[ -z "$baseline" ] || reference=${times[4]}
check "${times[0]}" '<=' "$reference" || missed "the static binary reads 150,000 modules slower than the ${baseline:+baseline }glibc build"
check "${times[0]}" '<=' "$(awk -v b="${times[1]}" 'BEGIN {print 11 * b}')" || missed "10x the modules cost more than 11x the time"

echo "== peak memory (/usr/bin/time -v, maximum resident set size)"
peak_kb() {
    # The plugin's exit code is its verdict on the document, not a failure here.
    /usr/bin/time -v "$@" >/dev/null 2>"$work/time.log" || true
    awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.log"
}
for bin in "${builds[@]}"; do
    peak=$(peak_kb "$bin" -f "$work/150k.json")
    awk -v p="$peak" -v s="$large_size" -v b="$bin" 'BEGIN {
        printf "150,000 modules: %-45s peak %6d KiB = %.2fx the document (target for the static binary: under 3.5x)\n", b, p, p * 1024 / s }'
    if [ "$bin" = "$plugin" ] && check "$((peak * 1024))" '>=' "$((large_size * 7 / 2))"; then
        missed "peak memory of 150,000 modules not under 3.5x the document"
    fi
done
base=$(peak_kb "$plugin" -f examples/pool-healthy.json)
echo "the process alone (pool-healthy.json): $base KiB"

# Pretty-printed documents of about $1 bytes: many pools of 3 modules, or one pool of
# many modules (the earlier measurements in BENCHMARKS.md; for reference, no target).
generate() {
    local bytes=$1 shape=$2 out=$3 now
    now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    awk -v bytes="$bytes" -v shape="$shape" -v now="$now" 'BEGIN {
        split("UserServices.PresenceFocus ConfServices.DataConf CentralMgmt.CMSMaster", m, " ")
        if (shape == "pools") {
            printf "[\n"; n = 0; size = 2
            while (size < bytes - 1000) {
                s = sprintf("%s  {\n    \"PoolFqdn\": \"pool%06d.contoso.com\",\n    \"CollectedAt\": \"%s\",\n    \"ActiveMasterFqdn\": \"pool000000.contoso.com\",\n    \"BackupModules\": [\n", (n ? ",\n" : ""), n, now)
                for (i = 1; i <= 3; i++)
                    s = s sprintf("      {\n        \"Identity\": \"%s\",\n        \"ExportStatus\": \"%s\",\n        \"ImportStatus\": \"NormalState\"\n      }%s\n", m[i], (n % 10 == 9 ? "NonSteadyState" : "SteadyState"), (i < 3 ? "," : ""))
                s = s "    ]\n  }"
                printf "%s", s; size += length(s); n++
            }
            printf "\n]\n"
        } else {
            printf "{\n  \"PoolFqdn\": \"pool000001.contoso.com\",\n  \"CollectedAt\": \"%s\",\n  \"ActiveMasterFqdn\": \"pool000000.contoso.com\",\n  \"BackupModules\": [\n", now
            n = 0; size = 150
            while (size < bytes - 1000) {
                s = sprintf("%s    {\n      \"Identity\": \"%s.%d\",\n      \"ExportStatus\": \"%s\",\n      \"ImportStatus\": \"NormalState\"\n    }", (n ? ",\n" : ""), m[n % 3 + 1], n, (n % 10 == 9 ? "NonSteadyState" : "SteadyState"))
                printf "%s", s; size += length(s); n++
            }
            printf "\n  ]\n}\n"
        }
    }' >"$out"
}
for shape in pools modules; do
    for bytes in 1000000 16000000; do
        generate "$bytes" "$shape" "$work/big.json"
        size=$(stat -c %s "$work/big.json")
        for extra in "" "--max-output 1023"; do
            # shellcheck disable=SC2086
            peak=$(peak_kb "$plugin" -f "$work/big.json" $extra)
            awk -v p="$peak" -v b="$base" -v s="$size" -v shape="$shape" -v x="${extra:-(no limit)}" 'BEGIN {
                printf "%-8s %9d bytes %-18s peak %7d KiB = %.2fx the document; above the process alone %.2fx\n",
                    shape, s, x, p, p * 1024 / s, (p - b) * 1024 / s }'
        done
    done
done

if [ "$failed" -ne 0 ]; then
    echo "some targets were missed (see MISSED above)"
else
    echo "all targets met"
fi
exit "$failed"

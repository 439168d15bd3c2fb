#!/usr/bin/env bash
# Whole-process measurements of the release binary, side by side with the floor of a
# plugin process (check_dummy from monitoring-plugins-basic), plus peak memory for large
# documents, the stripped binary's size and the release panic strategy.
#
#   scripts/bench.sh            # everything; figures go to stdout
#   RUNS=100 scripts/bench.sh   # fewer hyperfine runs
#
# Library throughput (MB/s, time per module) is `cargo bench`: see BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${RUNS:-500}"
dummy=/usr/lib/nagios/plugins/check_dummy
need=()
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
[ -x "$dummy" ] || need+=(monitoring-plugins-basic)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
fi

cargo build --release --quiet
cargo build --release --quiet --example panic_guard
plugin=target/release/check_csbackup
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0

echo "== machine"
echo "cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== release binary"
size=$(stat -c %s "$plugin")
echo "stripped size: $size bytes (target: under 1,500,000)"
[ "$size" -lt 1500000 ] || { echo "MISSED: binary size"; failed=1; }
set +e
panic_output=$(target/release/examples/panic_guard)
panic_code=$?
set -e
echo "panic in release: exit $panic_code: $panic_output"
if [ "$panic_code" -ne 3 ] || [[ "$panic_output" != "CSBACKUP UNKNOWN - internal error:"* ]]; then
    echo "MISSED: a panic must end as CSBACKUP UNKNOWN, exit 3"
    failed=1
fi

echo "== whole process against $dummy 0 ($runs runs each)"
# mean seconds of command 1 and 2 from hyperfine's CSV export
ratio_of() {
    awk -F, 'NR == 2 {a = $2} NR == 3 {b = $2} END {printf "%.1f %.1f %.2f\n", a * 1e6, b * 1e6, a / b}' "$1"
}
for doc in examples/*.json; do
    # A fresh copy: the age check sees a document written just now.
    cp "$doc" "$work/doc.json"
    hyperfine -N -i --style none --warmup 20 --runs "$runs" \
        --export-csv "$work/run.csv" \
        "$plugin -f $work/doc.json" "$dummy 0" >/dev/null 2>"$work/hyperfine.log"
    read -r ours floor ratio < <(ratio_of "$work/run.csv")
    printf '%-28s check_csbackup %8s us   check_dummy %8s us   ratio %s\n' \
        "$(basename "$doc")" "$ours" "$floor" "$ratio"
    if [ "$(basename "$doc")" = pool-healthy.json ] &&
        awk -v r="$ratio" 'BEGIN {exit !(r > 1.5)}'; then
        echo "MISSED: more than 1.5x check_dummy on the typical document"
        failed=1
    fi
done

# A document of pools of three modules, ConvertTo-Json style, about $1 bytes.
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

echo "== peak memory (/usr/bin/time -v; target: under 3x the document)"
peak_kb() {
    # The plugin's exit code is its verdict on the document, not a failure here.
    /usr/bin/time -v "$@" >/dev/null 2>"$work/time.log" || true
    awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.log"
}
cp examples/pool-healthy.json "$work/small.json"
base=$(peak_kb "$plugin" -f "$work/small.json")
echo "baseline (pool-healthy.json): ${base} KiB"
for shape in pools modules; do
    for bytes in 1000000 16000000; do
        generate "$bytes" "$shape" "$work/big.json"
        size=$(stat -c %s "$work/big.json")
        for extra in "" "--max-output 1023"; do
            # shellcheck disable=SC2086
            peak=$(peak_kb "$plugin" -f "$work/big.json" $extra)
            awk -v p="$peak" -v b="$base" -v s="$size" -v shape="$shape" -v x="${extra:-(no limit)}" 'BEGIN {
                printf "%-8s %9d bytes %-18s peak %7d KiB = %.2fx the document; above baseline %.2fx\n",
                    shape, s, x, p, p * 1024 / s, (p - b) * 1024 / s }'
            if awk -v p="$peak" -v s="$size" 'BEGIN {exit !(p * 1024 > 3 * s)}'; then
                echo "MISSED: peak memory over 3x the document"
                failed=1
            fi
        done
    done
done

if [ "$failed" -ne 0 ]; then
    echo "some targets were missed (see MISSED above)"
fi
exit "$failed"

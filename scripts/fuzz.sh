#!/usr/bin/env bash
# Runs every fuzz target for a while (default 60 s each, one after the other) and fails
# if any input makes a target crash, hang or run out of memory.
#
#   scripts/fuzz.sh                 # 60 s per target
#   FUZZ_SECONDS=600 scripts/fuzz.sh json_reader
#
# Seeds: the example documents, tests/bad-inputs/ and tests/fixtures/; the corpus grows in
# fuzz/corpus/<target>/ and crashes land in fuzz/artifacts/<target>/ (both ignored by git).
# cargo fuzz needs nightly compiler flags: RUSTC_BOOTSTRAP=1 lets a stable rustc take them.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz
fi
# libFuzzer is built from C++ sources by libfuzzer-sys.
if ! command -v c++ >/dev/null 2>&1; then
    apt-get update && apt-get install -y g++
fi
export RUSTC_BOOTSTRAP=1

# No `unsafe` in the plugin: the targets look for panics, hangs and memory blow-ups,
# which need no sanitizer (and run several times faster without one).
cargo fuzz build --sanitizer none --release
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
for target in "${targets[@]}"; do
    echo "== fuzzing $target for ${seconds} s"
    mkdir -p "fuzz/corpus/$target"
    # Each reader's own dictionary; the whole path and the JSON reader take JSON's.
    dict="fuzz/${target%_reader}.dict"
    [ -f "$dict" ] || dict=fuzz/json.dict
    cargo fuzz run --sanitizer none --release "$target" \
        "fuzz/corpus/$target" examples tests/bad-inputs tests/fixtures -- \
        -dict="$dict" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
done
echo "fuzzing finished: no crash in ${#targets[@]} target(s)"

#!/usr/bin/env bash
# The static Linux binaries (x86_64 and aarch64, musl) are what the packages ship and what
# an operator copies onto any Linux host. This checks that they are what they claim:
#
#   - statically linked: `file` says so, no program interpreter, no shared library
#     needed, `ldd` finds nothing to load; each under 1.5 MiB;
#   - self-sufficient: the x86_64 binary, run in an otherwise empty root (chroot into a
#     folder holding only the binary and the documents), prints what the build in the
#     tree (`cargo build --release`) prints on the same documents;
#   - the same on ARM: the aarch64 binary under qemu-aarch64 gives the x86_64 binary's
#     verdict (exit code and output) on the examples and on every case of the bad-input
#     corpus (tests/bad-inputs/expected.tsv), whose exit codes it must also match;
#   - the whole test suite passes on the x86_64 musl build (its allocator and its
#     alarm-based watchdog are the musl build's own).
#
# Ages differ between two runs by a second now and then, so they are compared as words.
# Usage: scripts/static-check.sh   (as root: it installs what it lacks, and chroot needs
# root; without root it tries an unprivileged user namespace)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$SECONDS
max_size=$((3 * 512 * 1024)) # 1.5 MiB

source scripts/side-by-side.sh

# --- what it needs -------------------------------------------------------------------
packages=()
command -v aarch64-linux-gnu-gcc >/dev/null || packages+=(gcc-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null || packages+=(qemu-user)
command -v file >/dev/null || packages+=(file)
command -v readelf >/dev/null || packages+=(binutils)
install_missing "${packages[@]}"
targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
for target in "${targets[@]}"; do
    add_target "$target"
done

# --- builds --------------------------------------------------------------------------
# The linker and flags for both targets are in .cargo/config.toml.
say "building the release binary and the static ones"
cargo build --quiet --release
# The static binaries as shipped: without the collector, which runs only on Windows.
for target in "${targets[@]}"; do
    cargo build --quiet --release --no-default-features --target "$target"
done
tree_build=$root/target/release/check_csbackup
x86=$root/target/x86_64-unknown-linux-musl/release/check_csbackup
arm=$root/target/aarch64-unknown-linux-musl/release/check_csbackup

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- statically linked, and small --------------------------------------------------------
say "statically linked, under $max_size bytes"
for bin in "$x86" "$arm"; do
    name=${bin#"$root"/target/}
    description=$(file -b "$bin")
    [[ $description == *"statically linked"* ]] && pass || fail "$name: file(1) says: $description"
    if readelf -lW "$bin" | grep -q 'INTERP'; then
        fail "$name: has a program interpreter" "$(readelf -lW "$bin" | grep -A1 INTERP)"
    else
        pass
    fi
    if readelf -dW "$bin" 2>/dev/null | grep -q '(NEEDED)'; then
        fail "$name: needs shared libraries" "$(readelf -dW "$bin" | grep NEEDED)"
    else
        pass
    fi
    # ldd's own words for a file with nothing to load; its exit code is 1 for them.
    loads=$(ldd "$bin" 2>&1 || true)
    [[ $loads == *"not a dynamic executable"* || $loads == *"statically linked"* ]] && pass ||
        fail "$name: ldd finds something to load" "$loads"
    size=$(stat -c %s "$bin")
    echo "$name: $size bytes; $description"
    ((size < max_size)) && pass || fail "$name: $size bytes, not under $max_size"
done

# --- an empty root -----------------------------------------------------------------------
say "the x86_64 binary in an empty root, against the build in the tree"
empty=$work/root
mkdir "$empty"
cp "$x86" "$empty/check_csbackup"
cp -p examples/*.json "$empty/"
mkfifo "$empty/blocks.json"
in_root() {
    if [[ $(id -u) == 0 ]]; then
        chroot "$empty" "$@"
    else
        unshare --user --map-root-user chroot "$empty" "$@"
    fi
}
listing=$(cd "$empty" && find . -mindepth 1 | sort | tr '\n' ' ')
echo "the root holds: $listing"
if [[ -n $(find "$empty" -mindepth 1 ! -name '*.json' ! -name check_csbackup) ]]; then
    fail "the empty root holds more than the binary and the documents" "$listing"
fi

# root_case NAME [ARGS...] with DOC for the document's name: both builds, compared.
root_case() {
    local name=$1
    shift
    local inside=() outside=() arg out_in out_out rc_in rc_out
    for arg in "$@"; do
        inside+=("${arg//DOC\//\/}")
        outside+=("${arg//DOC\//$empty/}")
    done
    set +e
    out_in=$(in_root /check_csbackup "${inside[@]}" </dev/null 2>&1)
    rc_in=$?
    out_out=$("$tree_build" "${outside[@]}" </dev/null 2>&1)
    rc_out=$?
    set -e
    same "empty root: $name" "$rc_in" "$(normalize <<<"$out_in")" \
        "$rc_out" "$(normalize "$empty/" / <<<"$out_out")"
}

for file in examples/*.json; do
    doc=DOC/$(basename "$file")
    root_case "$(basename "$file")" -f "$doc"
    root_case "$(basename "$file") -vvv" -f "$doc" -vvv --cms-master-pool pool02.contoso.com
    root_case "$(basename "$file") --max-output 300" -f "$doc" --max-output 300 -vv
done
root_case "a missing file" -f DOC/none.json
root_case "a folder" -f DOC/
root_case "a usage error" -f DOC/pool-healthy.json --map nonsense
root_case "--help" --help
root_case "a FIFO without a writer, -t 1" -f DOC/blocks.json -t 1
set +e
out_in=$(in_root /check_csbackup -f - -v <examples/pool02-utf16le.json 2>&1)
rc_in=$?
out_out=$("$tree_build" -f - -v <examples/pool02-utf16le.json 2>&1)
rc_out=$?
set -e
same "empty root: standard input" "$rc_in" "$(normalize <<<"$out_in")" "$rc_out" "$(normalize <<<"$out_out")"

# --- without the collector ---------------------------------------------------------------
# The static binaries leave the collector out (it runs only on Windows): its command line
# still parses as in every build, and what would run it says where it runs.
say "the collector is left out, and says where it runs"
set +e
out=$("$x86" collect --pool pool01.contoso.com --out-dir "$work" 2>&1)
rc=$?
set -e
[[ $rc == 2 && $out == *"not in this build"*"runs on a Windows front-end server"* ]] && pass ||
    fail "collect in the static binary: exit $rc" "$out"
set +e
out=$("$x86" --live --pool pool01.contoso.com 2>&1)
rc=$?
set -e
[[ $rc == 3 && $out == "CSBACKUP UNKNOWN - --live is not in this build: check the file"*"with --file"*"Windows front-end server"* ]] && pass ||
    fail "--live in the static binary: exit $rc" "$out"
[[ $("$x86" collect --help) == "$("$tree_build" collect --help)" ]] && pass ||
    fail "collect --help differs from the build in the tree"
[[ $("$x86" collect --print-script) == "$("$tree_build" collect --print-script)" ]] && pass ||
    fail "collect --print-script differs from the build in the tree"
[[ -z $(ls -A "$work" | grep -v '^root$') ]] && pass || fail "collect wrote something" "$(ls -A "$work")"

# --- the test suite on the musl build ---------------------------------------------------
say "cargo test --no-default-features --target x86_64-unknown-linux-musl (the build the packages ship)"
if cargo test --quiet --no-default-features --target x86_64-unknown-linux-musl >"$work/musl-tests.log" 2>&1; then
    pass
else
    fail "cargo test on the musl build" "$(grep -E 'panicked|FAILED|failures:|^error' "$work/musl-tests.log" | head -40)"
fi

# --- aarch64 under qemu ------------------------------------------------------------------
say "the aarch64 binary under qemu-aarch64, against the x86_64 one"
# arm_case NAME WANTED_RC STDIN [ARGS...]: both static binaries; WANTED_RC '' for any.
arm_case() {
    local name=$1 wanted=$2 stdin=$3
    shift 3
    local out_x86 out_arm rc_x86 rc_arm
    set +e
    out_x86=$("$x86" "$@" <"$stdin" 2>&1)
    rc_x86=$?
    out_arm=$(qemu-aarch64 "$arm" "$@" <"$stdin" 2>&1)
    rc_arm=$?
    set -e
    if [[ -n $wanted && $rc_x86 != "$wanted" ]]; then
        fail "$name: x86_64 exit $rc_x86, expected $wanted" "$out_x86"
        return
    fi
    same "aarch64: $name" "$rc_x86" "$(normalize <<<"$out_x86")" "$rc_arm" "$(normalize <<<"$out_arm")"
}

docs=$work/docs
mkdir "$docs"
cp examples/*.json "$docs/"
for file in "$docs"/*.json; do
    name=$(basename "$file")
    arm_case "$name" '' /dev/null -f "$file"
    arm_case "$name -vvv" '' /dev/null -f "$file" -vvv --cms-master-pool pool02.contoso.com
    arm_case "$name --max-output 300" '' /dev/null -f "$file" --max-output 300 -vv
done
arm_case "standard input" '' examples/pool02-utf16le.json -f - -v

# The corpus's generated inputs, as tests/bad_inputs.rs makes them.
generate() {
    local name=$1 path=$2
    case $name in
    deep-arrays) head -c 100000 /dev/zero | tr '\0' '[' >"$path" ;;
    deep-objects) awk 'BEGIN { for (i = 0; i < 100000; i++) printf "{\"a\":" }' >"$path" ;;
    million-element-array) awk 'BEGIN { printf "["; for (i = 0; i < 999999; i++) printf "1,"; printf "1]" }' >"$path" ;;
    huge-string)
        {
            printf '{"PoolFqdn":"'
            head -c 8000000 /dev/zero | tr '\0' p
            printf '","Notes":"'
            head -c 3000000 /dev/zero | tr '\0' n
            printf '","BackupModules":[{"Identity":"'
            head -c 4000000 /dev/zero | tr '\0' m
            printf '","ExportStatus":"SteadyState","ImportStatus":"NormalState"}]}'
        } >"$path"
        ;;
    dev-zero-symlink) ln -s /dev/zero "$path" ;;
    fifo-without-writer) mkfifo "$path" ;;
    folder) mkdir "$path" ;;
    missing) ;;
    *)
        echo "expected.tsv names an unknown generated input @$name" >&2
        return 1
        ;;
    esac
}

corpus=tests/bad-inputs
cases=0
while IFS=$'\t' read -r input code _fragment args; do
    [[ -z $input || $input == '#'* ]] && continue
    cases=$((cases + 1))
    scratch=$work/case$cases
    mkdir "$scratch"
    stdin=/dev/null
    case $input in
    @*)
        path=$scratch/${input#@}
        generate "${input#@}" "$path"
        ;;
    stdin:*)
        stdin=$corpus/${input#stdin:}
        path=-
        ;;
    *)
        # A fresh copy: the age check sees a document written just now.
        path=$scratch/$input
        cp "$corpus/$input" "$path"
        ;;
    esac
    # shellcheck disable=SC2086 # the manifest's extra arguments are words without spaces
    arm_case "expected.tsv case $cases: $input${args:+ $args}" "$code" "$stdin" -f "$path" $args
    rm -rf "$scratch"
done <"$corpus/expected.tsv"
((cases >= 60)) && pass || fail "read only $cases cases from $corpus/expected.tsv"

echo "static-check: $passes passed, $failures failed"
echo "($((SECONDS - started)) s in all)"
((failures == 0))

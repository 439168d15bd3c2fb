# Sourced by the scripts that run two builds side by side and compare what they print
# (scripts/windows-check.sh, scripts/static-check.sh): installing what is missing,
# counting passes and failures, and output whose ages moved between the two runs.

say() { printf '== %s\n' "$*"; }

# install_missing PACKAGE...: apt-get install, as root or through sudo.
install_missing() {
    (($#)) || return 0
    say "installing $*"
    local as_root=()
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null || { echo "install as root: apt-get install $*" >&2; exit 1; }
        as_root=(sudo)
    fi
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# add_target TRIPLE: the Rust target, when rustup is there and lacks it.
add_target() {
    if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$1"; then
        rustup target add "$1"
    fi
}

failures=0
passes=0
pass() { passes=$((passes + 1)); }
# fail NAME [DETAIL]: one failed case, named, with what was seen indented below.
fail() {
    failures=$((failures + 1))
    printf 'FAIL: %s\n' "$1"
    [[ -z ${2-} ]] || printf '%s\n' "$2" | sed 's/^/    /'
}

# Ages move on between two runs: compare them as words, not numbers.
# normalize [PATH [NAME]]: also writes PATH as NAME (default <file>).
normalize() {
    local rules=(-e 's/age=[0-9]+s/age=Ns/g' -e 's/[0-9]+ (s|min|h|d)\b/N \1/g')
    [[ -z ${1-} ]] || rules+=(-e "s#$1#${2-<file>}#g")
    sed -E "${rules[@]}"
}

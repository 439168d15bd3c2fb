# Sourced by the scripts that run two builds side by side and compare what they print
# (scripts/windows-check.sh, scripts/static-check.sh): installing what is missing
# (scripts/install.sh), counting passes and failures, and output whose ages moved
# between the two runs.

source scripts/install.sh

failures=0
passes=0
pass() { passes=$((passes + 1)); }
# fail NAME [DETAIL]: one failed case, named, with what was seen indented below.
fail() {
    failures=$((failures + 1))
    printf 'FAIL: %s\n' "$1"
    [[ -z ${2-} ]] || printf '%s\n' "$2" | sed 's/^/    /'
}

# same NAME RC_A OUT_A RC_B OUT_B: one case passes when both runs agree.
same() {
    if [[ $2 == "$4" && $3 == "$5" ]]; then
        pass
    else
        fail "$1: exit $2 and exit $4" "$(diff <(echo "$3") <(echo "$5") || true)"
    fi
}

# Ages move on between two runs: compare them as words, not numbers.
# normalize [PATH [NAME]]: also writes PATH as NAME (default <file>).
normalize() {
    local rules=(-e 's/age=[0-9]+s/age=Ns/g' -e 's/[0-9]+ (s|min|h|d)\b/N \1/g')
    [[ -z ${1-} ]] || rules+=(-e "s#$1#${2-<file>}#g")
    sed -E "${rules[@]}"
}

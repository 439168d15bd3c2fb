#!/usr/bin/env bash
# The PowerShell grammar gate: every PowerShell script in the repository (.ps1, .psm1;
# the fixtures of the gate's own tests aside) and the script that
# `check_csbackup collect --print-script` prints must parse with the tree-sitter
# PowerShell grammar and use nothing that Windows PowerShell 5.1 lacks (check.mjs says
# what and why).
#
# Usage: scripts/ps-grammar/run.sh [CHECK_CSBACKUP]
#   CHECK_CSBACKUP: a built binary to take --print-script from; default: cargo build.
# Installs the pinned grammar with `npm ci` into scripts/ps-grammar/node_modules, runs
# the gate's tests (node --test, TAP), then the gate. A few seconds once npm's cache is warm.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
source scripts/install.sh

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    install_missing nodejs npm
fi

say "installing the grammar (npm ci in scripts/ps-grammar)"
# --ignore-scripts: only the WebAssembly grammar is used, so the package's native addon
# is neither built nor loaded.
(cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

say "the gate's own tests (fixtures, a broken copy of the collector)"
(cd "$here" && node --test --test-reporter=tap check.test.mjs)

if [[ $# -ge 1 ]]; then
    binary=$1
else
    cargo build --quiet
    binary=${CARGO_TARGET_DIR:-target}/debug/check_csbackup
fi

scripts=()
while IFS= read -r -d '' file; do
    [[ -f $file ]] && scripts+=("$file")
done < <(git ls-files -z --cached --others --exclude-standard \
    | grep -zaiE '\.psm?1$' | grep -zav '^scripts/ps-grammar/fixtures/' || true)

say "the gate: ${#scripts[@]} script(s) and collect --print-script"
"$binary" collect --print-script \
    | node "$here/check.mjs" --stdin-name "check_csbackup collect --print-script" "${scripts[@]}" -

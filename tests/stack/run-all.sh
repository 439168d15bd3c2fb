#!/usr/bin/env bash
# Runs every stack test: the plugin under NRPE, Icinga 2 and Nagios 4, the Icinga
# Director basket, and the packages. Each test installs what it needs (root, Debian), starts its daemon on
# 127.0.0.1 with a private configuration, and stops it. All run even when one fails;
# the exit code is non-zero when any failed.
set -uo pipefail
cd "$(dirname "$0")"

if [ "$(id -u)" != 0 ]; then
    echo "FAIL: the stack tests install packages and start daemons: run them as root" >&2
    exit 1
fi

# One `apt-get update` for all tests (lib.sh's need_packages).
STACK_APT_MARKER="$(mktemp)"
export STACK_APT_MARKER
trap 'rm -f "$STACK_APT_MARKER"' EXIT

failed=()
for test in nrpe icinga2 director nagios4 packages; do
    start=$SECONDS
    if bash "./$test.sh"; then
        echo "== $test: passed in $((SECONDS - start)) s"
    else
        echo "== $test: FAILED after $((SECONDS - start)) s" >&2
        failed+=("$test")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAIL: stack tests failed: ${failed[*]}" >&2
    exit 1
fi
echo "== all stack tests passed"

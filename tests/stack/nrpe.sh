#!/usr/bin/env bash
# NRPE: Debian's nagios-nrpe-server runs the shipped command[...] lines (and one per
# state the plugin reports) on a private port of 127.0.0.1; check_nrpe queries each,
# with NRPE v4 packets and with v2 packets (-2, which cut output at 1024 bytes). The
# exit code and the output must arrive exactly as the plugin printed them when run
# directly, and a long -vvv output with --max-output 1023 must keep its perfdata
# through v2.
source "$(dirname "$0")/lib.sh"

need_packages nagios-nrpe-server nagios-nrpe-plugin
CHECK_NRPE=/usr/lib/nagios/plugins/check_nrpe
[ -x "$CHECK_NRPE" ] || fail "check_nrpe missing after installing nagios-nrpe-plugin"

T="$(private_dir)"
NRPE_PID=""
cleanup() {
    if [ -n "$NRPE_PID" ]; then
        kill "$NRPE_PID" 2>/dev/null || true
        wait "$NRPE_PID" 2>/dev/null || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT

plugin_into "$T"
BIN="$T/check_csbackup"
D="$T/docs"
write_fixtures "$D" "now"
PORT="$(free_port)"

# The shipped lines, pointed at this build and these documents.
sed -e "s#/usr/lib/nagios/plugins/check_csbackup#$BIN#" \
    -e "s#/var/lib/check_csbackup/#$D/#" \
    "$STACK_ROOT/packaging/nrpe/check_csbackup.cfg" >"$T/shipped.cfg"
grep -q "^command\[check_csbackup\]=$BIN " "$T/shipped.cfg" || fail "shipped NRPE lines not rewritten"

cat >"$T/nrpe.cfg" <<EOF
pid_file=$T/nrpe.pid
server_address=127.0.0.1
server_port=$PORT
nrpe_user=nagios
nrpe_group=nagios
allowed_hosts=127.0.0.1
dont_blame_nrpe=0
allow_bash_command_substitution=0
debug=0
command_timeout=30
connection_timeout=60
include=$T/shipped.cfg
command[csb_healthy]=$BIN --file $D/healthy.json --max-output 1023
command[csb_warning]=$BIN --file $D/cms.json --max-output 1023
command[csb_ok_cms]=$BIN --file $D/cms.json --cms-master-pool pool02.contoso.com --max-output 1023
command[csb_critical]=$BIN --file $D/errors.json -v --max-output 1023
command[csb_collect_error]=$BIN --file $D/collect-error.json --max-output 1023
command[csb_broken]=$BIN --file $D/broken.json --max-output 1023
command[csb_missing]=$BIN --file $D/no-such-file.json --max-output 1023
command[csb_long]=$BIN --file $D/two-pools.json -vvv --max-output 1023
command[csb_long_uncut]=$BIN --file $D/two-pools.json -vvv
EOF

step "starting nrpe on 127.0.0.1:$PORT"
nrpe -c "$T/nrpe.cfg" -f >"$T/nrpe.out" 2>&1 &
NRPE_PID=$!
wait_for_port "$PORT" 20 || { cat "$T/nrpe.out" >&2; fail "nrpe did not listen on 127.0.0.1:$PORT"; }
version="$("$CHECK_NRPE" -H 127.0.0.1 -p "$PORT")" || fail "check_nrpe cannot reach nrpe: $version"
step "$version"

# The command line NRPE runs for a command name, as the private config says.
command_line() {
    sed -n "s/^command\[$1\]=//p" "$T/nrpe.cfg" "$T/shipped.cfg"
}

# Output with its trailing newlines (the shell's $(...) would drop them).
capture() {
    local out
    out="$(rc=0; "$@" || rc=$?; echo "@@rc=$rc")"
    printf '%s' "$out"
}

# Runs the command directly, through check_nrpe (extra check_nrpe options in "$@"),
# and directly again; the age is in whole seconds, so when the two direct runs agree
# the NRPE run saw the same age (retried when a second ticked over in between).
# Sets DIRECT, DIRECT_RC, REMOTE, REMOTE_RC.
query() {
    local name="$1" cmd before after try
    shift
    cmd="$(command_line "$name")"
    [ -n "$cmd" ] || fail "no command[$name] in the config"
    for try in 1 2 3 4 5; do
        before="$(capture sh -c "$cmd")"
        REMOTE="$(capture "$CHECK_NRPE" -H 127.0.0.1 -p "$PORT" -t 30 "$@" -c "$name")"
        after="$(capture sh -c "$cmd")"
        [ "$before" = "$after" ] && break
    done
    [ "$before" = "$after" ] || fail "$name: direct runs kept changing: $before / $after"
    DIRECT_RC="${before##*@@rc=}"
    DIRECT="${before%@@rc=*}"
    REMOTE_RC="${REMOTE##*@@rc=}"
    REMOTE="${REMOTE%@@rc=*}"
}

# Strips trailing newlines: check_nrpe ends its output with exactly one.
trim() {
    local s="$1"
    while [ "${s%$'\n'}" != "$s" ]; do s="${s%$'\n'}"; done
    printf '%s' "$s"
}

checked=0
expect_same() {
    local name="$1" expected_rc="$2"
    shift 2
    local proto
    for proto in v4 v2; do
        if [ "$proto" = v2 ]; then query "$name" -2; else query "$name"; fi
        [ "$DIRECT_RC" = "$expected_rc" ] ||
            fail "$name: the plugin itself exited $DIRECT_RC, the fixture is meant for $expected_rc: $DIRECT"
        [ "$REMOTE_RC" = "$DIRECT_RC" ] ||
            fail "$name ($proto): exit $REMOTE_RC through NRPE, $DIRECT_RC directly: $REMOTE"
        [ "${REMOTE%%$'\n'*}" = "${DIRECT%%$'\n'*}" ] ||
            fail "$name ($proto): first line differs
  direct: ${DIRECT%%$'\n'*}
  nrpe:   ${REMOTE%%$'\n'*}"
        [ "$(trim "$REMOTE")" = "$(trim "$DIRECT")" ] ||
            fail "$name ($proto): output differs
--- direct
$DIRECT
--- nrpe
$REMOTE"
        case "${DIRECT%%$'\n'*}" in
        *" | "*=*) ;;
        "CSBACKUP UNKNOWN - "*) ;;
        *) fail "$name: first line without perfdata: ${DIRECT%%$'\n'*}" ;;
        esac
        checked=$((checked + 1))
    done
    step "$name: exit $DIRECT_RC, ${DIRECT%%$'\n'*}"
}

expect_same csb_healthy 0
expect_same csb_ok_cms 0
expect_same csb_warning 1
expect_same csb_critical 2
expect_same csb_collect_error 2
expect_same csb_broken 3
expect_same csb_missing 3
expect_same check_csbackup 1
expect_same check_csbackup_pool01 0
expect_same check_csbackup_pool02 1
expect_same check_csbackup_verbose 1

# Long output: -vvv on two pools is longer than a v2 packet holds.
query csb_long_uncut -2
[ "${#DIRECT}" -gt 1100 ] || fail "csb_long_uncut: the -vvv output is only ${#DIRECT} bytes, too short to test a cut"
[ "$(trim "$REMOTE")" != "$(trim "$DIRECT")" ] || fail "csb_long_uncut: NRPE v2 passed ${#DIRECT} bytes uncut; the cut test proves nothing"
[ "${#REMOTE}" -le 1024 ] || fail "csb_long_uncut: ${#REMOTE} bytes through NRPE v2"
step "without --max-output, NRPE v2 cut ${#DIRECT} bytes to ${#REMOTE}"

expect_same csb_long 1
[ "${#DIRECT}" -le 1023 ] || fail "csb_long: --max-output 1023 printed ${#DIRECT} bytes"
case "$REMOTE" in
*"'pool02.contoso.com_age'="*"--max-output 1023"*) ;;
*) fail "csb_long: the perfdata's last label or the cut notice did not arrive through NRPE v2: $REMOTE" ;;
esac
step "with --max-output 1023, ${#REMOTE} bytes arrive whole through NRPE v2, perfdata included"

kill -0 "$NRPE_PID" 2>/dev/null || fail "nrpe died during the test: $(cat "$T/nrpe.out")"
step "OK: $checked NRPE queries arrived unchanged"

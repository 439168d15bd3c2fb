#!/usr/bin/env bash
# Nagios 4: `nagios4 -v` accepts a private configuration that uses the shipped command
# definitions; then Nagios runs those services once (no NRPE here: check_csbackup_nrpe
# is only verified) and status.dat must hold what the plugin prints when run directly
# with the arguments the definitions should have produced.
source "$(dirname "$0")/lib.sh"

need_packages nagios4-core

T="$(private_dir)"
NAGIOS_PID=""
cleanup() {
    if [ -n "$NAGIOS_PID" ]; then
        kill "$NAGIOS_PID" 2>/dev/null || true
        wait "$NAGIOS_PID" 2>/dev/null || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT

plugin_into "$T"
BIN="$T/check_csbackup"
D="$T/docs"
# A few minutes ahead: within the plugin's clock-skew allowance the age reads 0, so
# Nagios's run and the direct run print the same.
write_fixtures "$D" "+240 seconds"
mkdir -p "$T/var" "$T/spool" "$T/results"
cp "$STACK_ROOT/packaging/nagios/check_csbackup.cfg" "$T/commands.cfg"
echo "\$USER1\$=$T" >"$T/resource.cfg"

cat >"$T/nagios.cfg" <<EOF
log_file=$T/var/nagios.log
cfg_file=$T/commands.cfg
cfg_file=$T/objects.cfg
resource_file=$T/resource.cfg
object_cache_file=$T/var/objects.cache
precached_object_file=$T/var/objects.precache
status_file=$T/var/status.dat
status_update_interval=1
temp_file=$T/var/nagios.tmp
temp_path=$T/var
lock_file=$T/var/nagios.lock
query_socket=$T/var/nagios.qh
command_file=$T/var/nagios.cmd
check_result_path=$T/results
state_retention_file=$T/var/retention.dat
retain_state_information=0
nagios_user=nagios
nagios_group=nagios
check_external_commands=0
enable_notifications=0
execute_service_checks=1
execute_host_checks=0
service_inter_check_delay_method=n
max_concurrent_checks=0
check_result_reaper_frequency=1
service_check_timeout=30
illegal_macro_output_chars=\`~\$&|'"<>
enable_event_handlers=0
process_performance_data=0
enable_flap_detection=0
use_syslog=0
EOF

cat >"$T/objects.cfg" <<EOF
define timeperiod {
    timeperiod_name  always
    alias            always
    sunday           00:00-24:00
    monday           00:00-24:00
    tuesday          00:00-24:00
    wednesday        00:00-24:00
    thursday         00:00-24:00
    friday           00:00-24:00
    saturday         00:00-24:00
}
define contact {
    contact_name                  nobody
    host_notifications_enabled    0
    service_notifications_enabled 0
    host_notification_period      always
    service_notification_period   always
    host_notification_options     n
    service_notification_options  n
    host_notification_commands    csbackup-none
    service_notification_commands csbackup-none
}
define command {
    command_name  csbackup-none
    command_line  /bin/true
}
define host {
    host_name           fe01.contoso.com
    address             127.0.0.1
    max_check_attempts  1
    check_period        always
    contacts            nobody
    notification_period always
    active_checks_enabled 0
}
define service {
    name                  csbackup-test
    register              0
    host_name             fe01.contoso.com
    max_check_attempts    1
    check_interval        60
    retry_interval        60
    notification_interval 0
    check_period          always
    contacts              nobody
    notification_period   always
}
define service {
    use                   csbackup-test
    service_description   csbackup healthy
    check_command         check_csbackup!$D/healthy.json
}
define service {
    use                   csbackup-test
    service_description   csbackup critical
    check_command         check_csbackup!$D/errors.json!-v --max-output 1023
}
define service {
    use                   csbackup-test
    service_description   csbackup broken
    check_command         check_csbackup!$D/broken.json
}
define service {
    use                   csbackup-test
    service_description   csbackup pool01
    check_command         check_csbackup_pool!$D/status.json!pool01.contoso.com!pool02.contoso.com
}
define service {
    use                   csbackup-test
    service_description   csbackup pool02
    check_command         check_csbackup_pool!$D/status.json!pool02.contoso.com!pool02.contoso.com!-w 600 -c 1800
}
define service {
    use                   csbackup-test
    service_description   csbackup over nrpe
    check_command         check_csbackup_nrpe!check_csbackup
    active_checks_enabled 0
}
EOF

# The arguments each service must run the plugin with, and the exit code.
declare -A ARGS=(
    ["csbackup healthy"]="--file $D/healthy.json"
    ["csbackup critical"]="--file $D/errors.json -v --max-output 1023"
    ["csbackup broken"]="--file $D/broken.json"
    ["csbackup pool01"]="--file $D/status.json --pool pool01.contoso.com --cms-master-pool pool02.contoso.com"
    ["csbackup pool02"]="--file $D/status.json --pool pool02.contoso.com --cms-master-pool pool02.contoso.com -w 600 -c 1800"
)
declare -A STATE=(
    ["csbackup healthy"]=0 ["csbackup critical"]=2 ["csbackup broken"]=3
    ["csbackup pool01"]=0 ["csbackup pool02"]=1
)

chown -R nagios:nagios "$T/var" "$T/spool" "$T/results"

step "nagios4 -v with the shipped command definitions"
if ! nagios4 -v "$T/nagios.cfg" >"$T/verify.log" 2>&1; then
    cat "$T/verify.log" >&2
    fail "nagios4 -v refused the configuration"
fi
grep -q "Checked 6 services" "$T/verify.log" || { cat "$T/verify.log" >&2; fail "nagios4 -v did not check the 6 services"; }
grep -q "Checked 4 commands" "$T/verify.log" || { cat "$T/verify.log" >&2; fail "nagios4 -v did not read the 3 shipped commands"; }
grep -q "Total Errors:   0" "$T/verify.log" || { cat "$T/verify.log" >&2; fail "nagios4 -v reported errors"; }

step "starting nagios4"
nagios4 "$T/nagios.cfg" >"$T/daemon.log" 2>&1 &
NAGIOS_PID=$!

# A service block of status.dat → its value of $2 (status.dat escapes newlines as \n).
status_field() {
    awk -v svc="$1" -v key="$2" '
        /^servicestatus \{/ { inblock = 1; name = ""; value = ""; found = 0; next }
        inblock && /^\t}/ { if (name == svc && found) { print value; exit } inblock = 0; next }
        inblock {
            line = $0; sub(/^\t/, "", line)
            k = line; sub(/=.*/, "", k)
            v = line; sub(/^[^=]*=/, "", v)
            if (k == "service_description") name = v
            if (k == key) { value = v; found = 1 }
        }' "$T/var/status.dat"
}

checked_all=0
for _ in $(seq 1 120); do
    kill -0 "$NAGIOS_PID" 2>/dev/null || { cat "$T/daemon.log" "$T/var/nagios.log" >&2; fail "nagios4 exited"; }
    if [ -f "$T/var/status.dat" ]; then
        checked_all=1
        for svc in "${!ARGS[@]}"; do
            [ "$(status_field "$svc" has_been_checked)" = 1 ] || checked_all=0
        done
        [ "$checked_all" = 1 ] && break
    fi
    sleep 0.5
done
[ "$checked_all" = 1 ] || { tail -30 "$T/var/nagios.log" >&2; fail "Nagios did not run every service within 60 s"; }

for svc in "${!ARGS[@]}"; do
    rc=0
    # shellcheck disable=SC2086 # the arguments are words without spaces
    direct="$("$BIN" ${ARGS[$svc]})" || rc=$?
    [ "$rc" = "${STATE[$svc]}" ] || fail "$svc: the plugin exited $rc directly, the test expects ${STATE[$svc]}: $direct"
    state="$(status_field "$svc" current_state)"
    [ "$state" = "$rc" ] || fail "$svc: Nagios state $state, the plugin exited $rc"
    first="${direct%%$'\n'*}"
    text="${first%%|*}"
    text="${text% }"
    # Nagios itself writes the first line's ';' as ':' (it keeps ';' for its logs).
    text="${text//;/:}"
    perf=""
    [ "$first" != "${first%%|*}" ] && perf="${first#*| }"
    long=""
    [ "$direct" != "$first" ] && long="${direct#*$'\n'}"
    long="${long//$'\n'/\\n}"
    got_text="$(status_field "$svc" plugin_output)"
    got_perf="$(status_field "$svc" performance_data)"
    got_long="$(status_field "$svc" long_plugin_output)"
    [ "$got_text" = "$text" ] || fail "$svc: output differs
  plugin: $text
  nagios: $got_text"
    [ "$got_perf" = "$perf" ] || fail "$svc: perfdata differs
  plugin: $perf
  nagios: $got_perf"
    [ "$got_long" = "$long" ] || fail "$svc: long output differs
  plugin: $long
  nagios: $got_long"
    step "$svc: state $rc, ${text:0:90}..."
done
step "OK: nagios4 accepts the shipped commands and runs them as the plugin runs directly"

#!/usr/bin/env bash
# Icinga 2: `icinga2 daemon -C` accepts the shipped CheckCommand and sample services;
# then a real Icinga 2 runs them, private paths and a private CA, its API on a private
# port of 127.0.0.1. For every service the test reads back from the REST API the
# command line Icinga ran, the state, the output and the performance data (parsed by
# Icinga's own parse_performance_data), and compares them with the plugin run
# directly with the arguments the CheckCommand should have produced.
source "$(dirname "$0")/lib.sh"

need_packages icinga2-bin icinga2-common curl jq openssl

T="$(private_dir)"
cleanup() {
    icinga2_stop
    rm -rf "$T"
}
trap cleanup EXIT

plugin_and_documents

# Icinga drops its privileges to nagios (Debian's build); everything it writes is here.
icinga2_node "$T" "csbackup-test.localdomain"
NODE="$ICINGA2_NODE"

icinga2_conf "$PLUGINS" "$NODE" "global-templates"
cat >>"$T/etc/icinga2.conf" <<EOF

/* The layout the shipped files ask for: the CheckCommand in the global zone, the
 * services (and the hosts) in the node's own zone, as zones.d/master would be. */
include_zones "csbackup-test", "zones.d"
EOF
mkdir -p "$T/etc/zones.d/global-templates" "$T/etc/zones.d/$NODE"
cp "$STACK_ROOT/packaging/icinga2/check_csbackup.conf" "$T/etc/zones.d/global-templates/"
cp "$STACK_ROOT/packaging/icinga2/check_csbackup-services.conf" "$T/etc/zones.d/$NODE/"

cat >"$T/etc/zones.d/$NODE/tests.conf" <<EOF
/* A front end that opts in to the shipped sample services (its agent is this node). */
object Host "fe01.contoso.com" {
  check_command = "dummy"
  enable_active_checks = false
  vars.agent_endpoint = NodeName
  vars.csbackup_pools = [ "pool01.contoso.com", "pool02.contoso.com" ]
  vars.csbackup_file = "$D/status.json"
  vars.csbackup_cms_master_pool = "pool02.contoso.com"
}

/* One service per state, and one that sets every option. */
object Host "monitoring" {
  check_command = "dummy"
  enable_active_checks = false
}
template Service "csbackup-test" {
  host_name = "monitoring"
  check_command = "csbackup"
  check_interval = 300s
  max_check_attempts = 1
}
object Service "healthy" {
  import "csbackup-test"
  vars.csbackup_file = "$D/healthy.json"
}
object Service "warning" {
  import "csbackup-test"
  vars.csbackup_file = "$D/cms.json"
}
object Service "critical" {
  import "csbackup-test"
  vars.csbackup_file = "$D/errors.json"
  vars.csbackup_verbose = true
}
object Service "collect-error" {
  import "csbackup-test"
  vars.csbackup_file = "$D/collect-error.json"
}
object Service "broken" {
  import "csbackup-test"
  vars.csbackup_file = "$D/broken.json"
}
object Service "long" {
  import "csbackup-test"
  vars.csbackup_file = "$D/two-pools.json"
  vars.csbackup_verbose = 3
  vars.csbackup_max_output = 1023
}
/* A collector's document: a backlog of 45 minutes, CRITICAL. */
object Service "backlog" {
  import "csbackup-test"
  vars.csbackup_file = "$D/backlog.json"
  vars.csbackup_cms_master_pool = "pool02.contoso.com"
}
object Service "all-options" {
  import "csbackup-test"
  vars.csbackup_file = "$D/two-pools.json"
  vars.csbackup_format = "json"
  vars.csbackup_pool = [ "pool01.contoso.com", "pool02.contoso.com" ]
  vars.csbackup_cms_master_pool = "pool02.contoso.com"
  vars.csbackup_module = "ConfServices.DataConf"
  vars.csbackup_ignore_module = [ "UserServices.PresenceFocus" ]
  vars.csbackup_map = [ "export:NonSteadyState=critical", "import:NormalState=ok" ]
  vars.csbackup_on_error = "warning"
  vars.csbackup_warning = "600"
  vars.csbackup_critical = "1800"
  vars.csbackup_timeout = 20
  vars.csbackup_max_input = 1048576
  vars.csbackup_max_output = 4096
  vars.csbackup_verbose = 2
  vars.csbackup_backlog_warning = "300"
  vars.csbackup_backlog_critical = "900"
  vars.csbackup_not_initialized_warning = "7200"
  vars.csbackup_on_event_error = "critical"
}
EOF

# What each service must have run: the arguments after the plugin's path, one a line,
# compared whatever their order (canonical_args in lib.sh says why).
declare -A EXPECTED
EXPECTED["monitoring!healthy"]="--file
$D/healthy.json"
EXPECTED["monitoring!warning"]="--file
$D/cms.json"
EXPECTED["monitoring!critical"]="--file
$D/errors.json
-v"
EXPECTED["monitoring!collect-error"]="--file
$D/collect-error.json"
EXPECTED["monitoring!broken"]="--file
$D/broken.json"
EXPECTED["monitoring!long"]="--file
$D/two-pools.json
--max-output
1023
-vvv"
EXPECTED["monitoring!backlog"]="--cms-master-pool
pool02.contoso.com
--file
$D/backlog.json"
EXPECTED["monitoring!all-options"]="--backlog-critical
900
--backlog-warning
300
--cms-master-pool
pool02.contoso.com
--critical
1800
--file
$D/two-pools.json
--format
json
--ignore-module
UserServices.PresenceFocus
--map
export:NonSteadyState=critical
--map
import:NormalState=ok
--max-input
1048576
--max-output
4096
--module
ConfServices.DataConf
--not-initialized-warning
7200
--on-error
warning
--on-event-error
critical
--pool
pool01.contoso.com
--pool
pool02.contoso.com
--timeout
20
-vv
--warning
600"
EXPECTED["fe01.contoso.com!csbackup-pool01.contoso.com"]="--cms-master-pool
pool02.contoso.com
--file
$D/status.json
--pool
pool01.contoso.com"
EXPECTED["fe01.contoso.com!csbackup-pool02.contoso.com"]="--cms-master-pool
pool02.contoso.com
--file
$D/status.json
--pool
pool02.contoso.com"
declare -A EXPECTED_STATE=(
    ["monitoring!healthy"]=0 ["monitoring!warning"]=1 ["monitoring!critical"]=2
    ["monitoring!collect-error"]=2 ["monitoring!broken"]=3 ["monitoring!long"]=1
    ["monitoring!all-options"]=2 ["monitoring!backlog"]=2
    ["fe01.contoso.com!csbackup-pool01.contoso.com"]=0
    ["fe01.contoso.com!csbackup-pool02.contoso.com"]=1
)

icinga2_pki

step "icinga2 daemon -C with the shipped check_csbackup.conf and check_csbackup-services.conf"
icinga2_validate "the shipped CheckCommand and services"
grep -q "10 Services" "$T/validate.log" || { cat "$T/validate.log" >&2; fail "expected 10 services (8 tests, 2 from the shipped apply rule)"; }

icinga2_start
results="$(icinga2_check_now "true")"
count="$(jq '.results | length' <<<"$results")"
[ "$count" = 10 ] || fail "the API lists $count services, expected 10"

# Icinga's parser on perfdata strings, through the API's console.
parse_perfdata() {
    local script
    script="$(jq -nr --argjson list "$1" '$list | map("parse_performance_data(" + (. | tojson) + ")") | "[" + join(",") + "]"')"
    icinga2_api "/console/execute-script" -X POST -H 'Content-Type: application/json' \
        -d "$(jq -nc --arg command "$script" '{command: $command, sandboxed: false}')" |
        jq -c '.results[0] | if .code == 200 then .result else error(.status) end'
}

# One perfdata item of the plugin's first line → the fields Icinga parses out of it.
expected_fields() {
    # 'label'=value[uom];warn;crit;min;max with empty fields left empty.
    jq -Rc '
      capture("^(?<q>\u0027?)(?<label>[^\u0027=]+)\\k<q>?=(?<value>-?[0-9.]+)(?<uom>[a-zA-Z%]*)(;(?<warn>[^;]*))?(;(?<crit>[^;]*))?(;(?<min>[^;]*))?(;(?<max>[^;]*))?$")
      | {label: .label, value: (.value | tonumber),
         unit: ({"": "", "s": "seconds", "%": "percent", "B": "bytes"}[.uom] // .uom),
         warn: (if (.warn // "") == "" then null else (.warn | tonumber) end),
         crit: (if (.crit // "") == "" then null else (.crit | tonumber) end),
         min: (if (.min // "") == "" then null else (.min | tonumber) end),
         max: (if (.max // "") == "" then null else (.max | tonumber) end)}'
}

compared=0
while IFS= read -r service; do
    key="$(jq -r '.name' <<<"$service")"
    [ -n "${EXPECTED[$key]+x}" ] || fail "unexpected service $key"

    # The command line Icinga ran.
    ran="$(command_ran <<<"$service")"
    expected="$(canonical_args <<<"$BIN
${EXPECTED[$key]}")"
    [ "$ran" = "$expected" ] || fail "$key: Icinga ran
$ran
expected
$expected"

    # The plugin directly, same arguments.
    mapfile -t args <<<"${EXPECTED[$key]}"
    rc=0
    direct="$("$BIN" "${args[@]}")" || rc=$?
    [ "$rc" = "${EXPECTED_STATE[$key]}" ] || fail "$key: the plugin exited $rc directly, the test expects ${EXPECTED_STATE[$key]}: $direct"

    state="$(jq -r '.attrs.last_check_result.state' <<<"$service")"
    exit_status="$(jq -r '.attrs.last_check_result.exit_status' <<<"$service")"
    [ "${state%.*}" = "$rc" ] && [ "${exit_status%.*}" = "$rc" ] ||
        fail "$key: Icinga state $state (exit $exit_status), the plugin exited $rc"

    # Icinga's output: the first line up to '|' (its space included), then the long
    # output.
    first="${direct%%$'\n'*}"
    text="${first%%|*}"
    rest=""
    [ "$direct" != "$first" ] && rest="${direct#*$'\n'}"
    want_output="$text"
    [ -n "$rest" ] && want_output="$text"$'\n'"$rest"
    output="$(jq -r '.attrs.last_check_result.output' <<<"$service")"
    [ "$output" = "$want_output" ] || fail "$key: output differs
--- plugin
$want_output
--- icinga
$output"

    # Performance data: the plugin's items, as strings (Icinga drops the quotes of
    # labels without spaces) and parsed by Icinga.
    perf_strings="$(jq -c '.attrs.last_check_result.performance_data // []' <<<"$service")"
    want_strings="[]"
    if [ "$first" != "$text" ]; then
        want_strings="$(printf '%s' "${first#*|}" | tr ' ' '\n' |
            jq -Rsc 'split("\n") | map(select(. != "") | sub("^\u0027(?<l>[^\u0027 ]*)\u0027="; "\(.l)="))')"
    fi
    [ "$perf_strings" = "$want_strings" ] || fail "$key: perfdata differs
  plugin: $want_strings
  icinga: $perf_strings"
    if [ "$want_strings" != "[]" ]; then
        parsed="$(parse_perfdata "$perf_strings")" || fail "$key: Icinga could not parse the perfdata $perf_strings: $parsed"
        got="$(jq -c 'map({label: .label, value: .value, unit: .unit, warn: .warn, crit: .crit, min: .min, max: .max})' <<<"$parsed")" ||
            fail "$key: unexpected answer of parse_performance_data: $parsed"
        want="$(jq -r '.[]' <<<"$want_strings" | expected_fields | jq -sc .)" ||
            fail "$key: perfdata the test cannot read: $want_strings"
        [ "$got" = "$want" ] || fail "$key: Icinga parsed the perfdata as
  $got
expected
  $want"
    fi
    compared=$((compared + 1))
    step "$key: state $rc, ${text:0:90}..."
done < <(jq -c '.results[] | {name: (.attrs.host_name + "!" + .attrs.name), attrs}' <<<"$results")

[ "$compared" = 10 ] || fail "compared $compared services, expected 10"

# The backlog, read back through the REST API: CRITICAL, how long it has lasted in the
# output, and backlog_age as Icinga parses it.
backlog="$(jq -c '.results[] | select(.attrs.name == "backlog") | .attrs.last_check_result' <<<"$results")"
[ "$(jq -r '.state | floor' <<<"$backlog")" = 2 ] || fail "the backlog service is not CRITICAL: $backlog"
jq -r '.output' <<<"$backlog" | grep -q "^CSBACKUP CRITICAL - pool01.contoso.com: ConfServices.DataConf export NonSteadyState for 45 min (" ||
    fail "the backlog service's output does not say how long: $(jq -r '.output' <<<"$backlog")"
age="$(parse_perfdata "$(jq -c '.performance_data' <<<"$backlog")" | jq -c '.[] | select(.label == "backlog_age") | [(.value | floor), .unit, (.crit | floor)]')"
[ "$age" = '[2700,"seconds",1950]' ] || fail "Icinga parsed backlog_age as $age, expected [2700,\"seconds\",1950]"
step "backlog: CRITICAL for 45 min, backlog_age 2700 s as Icinga parses it"
if grep -i "critical/" "$T/log/icinga2.log" >&2; then
    fail "Icinga logged critical errors"
fi
step "OK: $compared services ran by Icinga 2 match the plugin run directly"

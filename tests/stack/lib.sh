# Shared by the stack tests (sourced, not run): installing what a test needs, the
# freshly built plugin, a private folder, free ports, fixtures, and loud failure.
#
# Every daemon a test starts listens on 127.0.0.1 only, reads a private configuration
# from the test's own folder and is stopped by the test's trap.

set -euo pipefail

STACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_NAME="$(basename "${0%.sh}")"

fail() {
    echo "FAIL [$STACK_NAME]: $*" >&2
    exit 1
}

step() {
    echo "== [$STACK_NAME] $*"
}

# Installs the Debian packages not installed yet; `apt-get update` runs once per run
# (run-all.sh shares a marker file). The packages' own services are not started: a
# temporary policy-rc.d forbids it, so the only daemons are the tests' own, on 127.0.0.1.
need_packages() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    step "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    local policy=/usr/sbin/policy-rc.d placed=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# placed by check_csbackup tests/stack while installing\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        placed=1
    fi
    local rc=0
    if [ ! -s "${STACK_APT_MARKER:-/nonexistent}" ]; then
        apt-get -o DPkg::Lock::Timeout=300 update -qq || rc=$?
        [ -n "${STACK_APT_MARKER:-}" ] && echo updated >"$STACK_APT_MARKER"
    fi
    if [ "$rc" = 0 ]; then
        apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
    fi
    [ "$placed" = 1 ] && rm -f "$policy"
    [ "$rc" = 0 ] || fail "apt-get could not install ${missing[*]}"
}

# Builds the release binary (a no-op when it is fresh) and copies it into the test's
# folder, where the daemons' unprivileged users can run it.
plugin_into() {
    local dir="$1"
    (cd "$STACK_ROOT" && cargo build --release --quiet)
    install -m 755 "$STACK_ROOT/target/release/check_csbackup" "$dir/check_csbackup"
}

# The plugin in $T/plugins ($PLUGINS, $BIN) and the example documents in $T/docs ($D),
# dated a few minutes ahead: the plugin takes up to 5 minutes of clock skew as age 0,
# so the daemon's run and the direct run, seconds apart, print the same age.
plugin_and_documents() {
    PLUGINS="$T/plugins"
    mkdir -p "$PLUGINS"
    plugin_into "$PLUGINS"
    BIN="$PLUGINS/check_csbackup"
    D="$T/docs"
    write_fixtures "$D" "+240 seconds"
}

# A password for a daemon that lives as long as the test: 24 letters and digits.
random_secret() {
    head -c 18 /dev/urandom | base64 | tr -d '/+='
}

# A private folder, readable by the daemons' users, removed at exit.
private_dir() {
    local dir
    dir="$(mktemp -d "/tmp/csbackup-$STACK_NAME.XXXXXX")"
    chmod 755 "$dir"
    echo "$dir"
}

# A TCP port on 127.0.0.1 that nothing listens on.
free_port() {
    local port tries=0
    while [ $tries -lt 50 ]; do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
        tries=$((tries + 1))
    done
    fail "no free port found on 127.0.0.1"
}

# Waits up to $2 seconds until something listens on 127.0.0.1:$1.
wait_for_port() {
    local port="$1" seconds="$2" i
    for ((i = 0; i < seconds * 10; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# A command line, one argument a line on standard input (the program first), as one
# option a line with its values, the options sorted: Icinga 2 puts the arguments of a
# CheckCommand without `order` in an arbitrary order once there are more than 16 (it
# sorts them by `order` alone, and its sort is not stable), and the plugin takes its
# options in any order. The values of one repeated option stay in theirs.
canonical_args() {
    awk 'NR == 1 { print; next }
         /^-/ && $0 == key { group = group " " $0; next }
         /^-/ { if (group != "") print group; group = $0; key = $0; next }
         { group = group " " $0 }
         END { if (group != "") print group }' | {
        IFS= read -r program
        printf '%s\n' "$program"
        sort
    }
}

# The command line Icinga 2 ran for the service object (REST API JSON) on standard
# input, as canonical_args writes it.
command_ran() {
    jq -r '.attrs.last_check_result.command | if type == "array" then .[] else . end' | canonical_args
}

# The documents the stacks are tested on, in "$1": one per state the plugin reports.
#   healthy.json     every module OK (the UTF-16LE example, as Windows writes it)
#   cms.json         OK only with --cms-master-pool naming the other pool, else WARNING
#   errors.json      NonSteadyState, ErrorState on both sides: CRITICAL
#   two-pools.json   two pools: WARNING; long output at -vvv
#   status.json      the two pools again, where the shipped snippets look
#   pool01.contoso.com.json, pool02.contoso.com.json
#                    one pool each, with ActiveMasterFqdn, as the collector writes them:
#                    OK and WARNING
#   broken.json      cut off mid-document: UNKNOWN
#   collect-error.json  the collector's Error: CRITICAL
# Their age comes from the files' time; "$2" (a `touch -d` date) sets it.
write_fixtures() {
    local dir="$1" when="$2"
    mkdir -p "$dir"
    cp "$STACK_ROOT/examples/pool02-utf16le.json" "$dir/healthy.json"
    cp "$STACK_ROOT/examples/pool-healthy.json" "$dir/cms.json"
    cp "$STACK_ROOT/examples/pool-errors.json" "$dir/errors.json"
    cp "$STACK_ROOT/examples/two-pools.json" "$dir/two-pools.json"
    cp "$STACK_ROOT/examples/two-pools.json" "$dir/status.json"
    head -c 120 "$STACK_ROOT/examples/pool-errors.json" >"$dir/broken.json"
    local pool
    for pool in pool01.contoso.com pool02.contoso.com; do
        python3 -c '
import json, sys
pool = next(p for p in json.load(open(sys.argv[1])) if p["PoolFqdn"] == sys.argv[2])
pool.update(ComputerName="FE01", CollectorVersion="0.1.0", ActiveMasterFqdn="pool02.contoso.com")
print(json.dumps(pool))
' "$STACK_ROOT/examples/two-pools.json" "$pool" >"$dir/$pool.json"
    done
    # A collector's document with its history: pool01's ConfServices.DataConf has been in
    # NonSteadyState for 45 minutes when collected (collected at "$when", so the age is
    # the same for every run), and the Backup Service logged an error since the run before.
    local at
    at="$(date -u -d "$when" +%s)"
    iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
    cat >"$dir/backlog.json" <<EOF_BACKLOG
{
  "PoolFqdn": "pool01.contoso.com",
  "BackupModules": [
    {"Identity": "UserServices.PresenceFocus", "ExportStatus": "SteadyState", "ImportStatus": "NormalState",
     "ExportStatusSince": "$(iso $((at - 3600)))", "ImportStatusSince": "$(iso $((at - 3600)))"},
    {"Identity": "ConfServices.DataConf", "ExportStatus": "NonSteadyState", "ImportStatus": "NormalState",
     "ExportStatusSince": "$(iso $((at - 2700)))", "ImportStatusSince": "$(iso $((at - 3600)))"},
    {"Identity": "CentralMgmt.CMSMaster", "ExportStatus": "NotInitialized", "ImportStatus": "NormalState",
     "ExportStatusSince": "$(iso $((at - 3600)))", "ImportStatusSince": "$(iso $((at - 3600)))"}
  ],
  "ActiveMasterFqdn": "pool02.contoso.com",
  "CollectedAt": "$(iso "$at")",
  "ComputerName": "FE01",
  "CollectorVersion": "0.1.0",
  "HistorySince": "$(iso $((at - 3600)))",
  "BackupServiceEvents": {
    "LogName": "Lync Server", "Source": "LS Backup Service", "Computer": "fe01.contoso.com",
    "Since": "$(iso $((at - 300)))", "Until": "$(iso "$at")", "Errors": 1, "Warnings": 0,
    "Latest": [{"Id": 4069, "Level": "Error", "TimeCreated": "$(iso $((at - 120)))",
                "Message": "The Backup Service could not update the batch table."}]
  }
}
EOF_BACKLOG
    cat >"$dir/collect-error.json" <<'EOF'
{
  "PoolFqdn": "pool01.contoso.com",
  "ComputerName": "FE01",
  "CollectorVersion": "0.1.0",
  "Error": "Get-CsBackupServiceStatus: Access is denied. The account is not a member of RTCUniversalServerAdmins."
}
EOF
    touch -d "$when" "$dir"/*.json
    chmod 644 "$dir"/*.json
}

# Icinga 2 from Debian with every folder it writes under "$1" (data, log, cache, spool,
# run; its configuration goes to "$1/etc"), named "$2", its API on a free port of
# 127.0.0.1 with a private CA and a private API user. Sets what the other icinga2_
# functions use: ICINGA2_DEFINES (the -D options every icinga2 command takes), ICINGA2_NODE,
# ICINGA2_PORT, ICINGA2_API_USER, ICINGA2_API_PASSWORD; ICINGA2_PID once started.
icinga2_node() {
    ICINGA2_ROOT="$1"
    ICINGA2_NODE="$2"
    ICINGA2_PORT="$(free_port)"
    ICINGA2_API_USER="csbackup-test"
    ICINGA2_API_PASSWORD="$(random_secret)"
    ICINGA2_PID=""
    local dir
    for dir in data data/certs log cache spool run etc; do mkdir -p "$ICINGA2_ROOT/$dir"; done
    # Debian's icinga2 drops its privileges to nagios.
    chown -R nagios:nagios "$ICINGA2_ROOT/data" "$ICINGA2_ROOT/log" "$ICINGA2_ROOT/cache" \
        "$ICINGA2_ROOT/spool" "$ICINGA2_ROOT/run"
    ICINGA2_DEFINES=(
        -DConfigDir="$ICINGA2_ROOT/etc" -DDataDir="$ICINGA2_ROOT/data" -DLogDir="$ICINGA2_ROOT/log"
        -DCacheDir="$ICINGA2_ROOT/cache" -DSpoolDir="$ICINGA2_ROOT/spool" -DInitRunDir="$ICINGA2_ROOT/run"
        -DPidPath="$ICINGA2_ROOT/run/icinga2.pid" -DRunAsUser=nagios -DRunAsGroup=nagios
    )
}

# Writes "$ICINGA2_ROOT/etc/icinga2.conf" up to the test's own objects: plugins from
# "$1", the node alone in zone "$2", the global zone "$3", the checker, a log, the API
# on 127.0.0.1 and the test's API user. The test appends what it checks.
icinga2_conf() {
    local plugins="$1" zone="$2" global_zone="$3"
    cat >"$ICINGA2_ROOT/etc/icinga2.conf" <<EOF_CONF
const PluginDir = "$plugins"
const NodeName = "$ICINGA2_NODE"
const ZoneName = "$zone"
const TicketSalt = ""

include <itl>
include <plugins>

object IcingaApplication "app" { }
object CheckerComponent "checker" { }
object FileLogger "main-log" {
  severity = "information"
  path = LogDir + "/icinga2.log"
}
object ApiListener "api" {
  bind_host = "127.0.0.1"
  bind_port = $ICINGA2_PORT
  accept_config = false
  accept_commands = false
}
object ApiUser "$ICINGA2_API_USER" {
  password = "$ICINGA2_API_PASSWORD"
  permissions = [ "*" ]
}
object Endpoint NodeName { }
object Zone ZoneName { endpoints = [ NodeName ] }
object Zone "$global_zone" { global = true }
EOF_CONF
}

# A private CA and the node's certificate, where the ApiListener looks for them.
icinga2_pki() {
    local root="$ICINGA2_ROOT" node="$ICINGA2_NODE"
    step "private CA and certificate for $node"
    icinga2 pki new-ca "${ICINGA2_DEFINES[@]}" >"$root/pki.log" 2>&1 || { cat "$root/pki.log" >&2; fail "pki new-ca"; }
    icinga2 pki new-cert --cn "$node" --key "$root/data/certs/$node.key" --csr "$root/data/certs/$node.csr" \
        "${ICINGA2_DEFINES[@]}" >>"$root/pki.log" 2>&1 || { cat "$root/pki.log" >&2; fail "pki new-cert"; }
    icinga2 pki sign-csr --csr "$root/data/certs/$node.csr" --cert "$root/data/certs/$node.crt" \
        "${ICINGA2_DEFINES[@]}" >>"$root/pki.log" 2>&1 || { cat "$root/pki.log" >&2; fail "pki sign-csr"; }
    cp "$root/data/ca/ca.crt" "$root/data/certs/ca.crt"
    chown -R nagios:nagios "$root/data"
}

# `icinga2 daemon -C` on "$ICINGA2_ROOT/etc/icinga2.conf"; its output is in
# "$ICINGA2_ROOT/validate.log". "$1" says what is validated, for the failure message.
icinga2_validate() {
    if ! icinga2 daemon -C -c "$ICINGA2_ROOT/etc/icinga2.conf" "${ICINGA2_DEFINES[@]}" >"$ICINGA2_ROOT/validate.log" 2>&1; then
        cat "$ICINGA2_ROOT/validate.log" >&2
        fail "icinga2 daemon -C refused $1"
    fi
}

# Starts the daemon and waits (at most 60 s) until its API answers.
icinga2_start() {
    step "starting icinga2 (API on 127.0.0.1:$ICINGA2_PORT)"
    icinga2 daemon -c "$ICINGA2_ROOT/etc/icinga2.conf" "${ICINGA2_DEFINES[@]}" >"$ICINGA2_ROOT/daemon.log" 2>&1 &
    ICINGA2_PID=$!
    local i
    for i in $(seq 1 300); do
        if ! kill -0 "$ICINGA2_PID" 2>/dev/null; then
            cat "$ICINGA2_ROOT/daemon.log" >&2
            fail "icinga2 exited during start-up"
        fi
        if icinga2_api "/status/IcingaApplication" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    tail -50 "$ICINGA2_ROOT/daemon.log" >&2
    fail "the Icinga 2 API did not answer within 60 s"
}

# For the test's trap: stops the daemon if it runs.
icinga2_stop() {
    if [ -n "${ICINGA2_PID:-}" ]; then
        kill "$ICINGA2_PID" 2>/dev/null || true
        wait "$ICINGA2_PID" 2>/dev/null || true
        ICINGA2_PID=""
    fi
}

# A request to the API: "$1" is the path after /v1, the rest are curl's options.
icinga2_api() {
    local path="$1"
    shift
    curl -sS --fail-with-body --max-time 20 --cacert "$ICINGA2_ROOT/data/certs/ca.crt" \
        --resolve "$ICINGA2_NODE:$ICINGA2_PORT:127.0.0.1" -u "$ICINGA2_API_USER:$ICINGA2_API_PASSWORD" \
        -H 'Accept: application/json' "$@" "https://$ICINGA2_NODE:$ICINGA2_PORT/v1$path"
}

# Has the services that match the filter expression "$1" checked now, whatever the
# scheduler planned, and prints them (name, host_name, state, last_check_result) as the
# API lists them once each has a check result (at most 60 s).
icinga2_check_now() {
    local filter="$1" results pending=""
    icinga2_api "/actions/reschedule-check" -X POST -H 'Content-Type: application/json' \
        -d "$(jq -nc --arg filter "$filter" '{type: "Service", filter: $filter, force: true}')" >/dev/null ||
        fail "reschedule-check refused"
    for _ in $(seq 1 120); do
        results="$(icinga2_api "/objects/services" -X POST -H 'Content-Type: application/json' -H 'X-HTTP-Method-Override: GET' \
            -d "$(jq -nc --arg filter "$filter" '{filter: $filter, attrs: ["last_check_result", "state", "host_name", "name"]}')")" ||
            fail "reading services from the API: $results"
        pending="$(jq '[.results[] | select(.attrs.last_check_result == null)] | length' <<<"$results")"
        if [ "$pending" = 0 ]; then
            printf '%s\n' "$results"
            return 0
        fi
        sleep 0.5
    done
    fail "$pending services still without a check result after 60 s"
}

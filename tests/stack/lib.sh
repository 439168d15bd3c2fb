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

#!/usr/bin/env bash
# Cross-builds check_csbackup.exe (x86_64-pc-windows-gnu, Debian's MinGW) and runs it
# under Wine: on the example documents (by C:\ and Z:\ paths and on standard input) its
# exit code and output must equal the Linux build's; and `collect` and `--live` must
# work with a Windows stand-in PowerShell (tests/stand_in/powershell.rs built for
# Windows): answering, one file per pool, warnings before the answer, a server as the
# CMS master, history and events carried from one collection to the next, failing,
# hanging, an injection attempt refused, a data folder another account owns refused (as
# root, or with sudo).
#
# Usage: scripts/windows-check.sh        (installs what it lacks when run as root)
# Wine runs in a private prefix under a temporary folder, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=x86_64-pc-windows-gnu
started=$SECONDS

source scripts/side-by-side.sh

# --- what it needs -------------------------------------------------------------------
packages=()
command -v x86_64-w64-mingw32-gcc >/dev/null || packages+=(gcc-mingw-w64-x86-64)
if ! command -v wine >/dev/null && ! command -v wine64 >/dev/null; then
    packages+=(wine wine64)
fi
install_missing "${packages[@]}"
add_target "$target"
wine=$(command -v wine || command -v wine64)

# --- builds --------------------------------------------------------------------------
say "building the Linux and the Windows binary"
cargo build --quiet
cargo build --quiet --release --target "$target"
linux=$root/target/debug/check_csbackup
exe=$root/target/$target/release/check_csbackup.exe

work=$(mktemp -d)
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
cleanup() {
    wineserver -k >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

rustc --edition 2021 --target "$target" -C linker=x86_64-w64-mingw32-gcc \
    -o "$work/powershell.exe" tests/stand_in/powershell.rs

say "starting Wine in a private prefix"
boot=$SECONDS
"$wine" wineboot -i >/dev/null 2>&1 || true
wineserver -w || true
echo "wineboot took $((SECONDS - boot)) s"
system32=$WINEPREFIX/drive_c/windows/system32
if [[ ! -e $system32/bcryptprimitives.dll ]]; then
    # Wine 8 (Debian 12) lacks the DLL Rust's std takes random numbers from.
    x86_64-w64-mingw32-gcc -shared -O2 -o "$system32/bcryptprimitives.dll" \
        scripts/wine/bcryptprimitives.c -lbcrypt
fi

# C:\csbackup in Wine is $share here.
share=$WINEPREFIX/drive_c/csbackup
mkdir -p "$share"
cp -p examples/*.json "$share/"
cp "$work/powershell.exe" "$share/powershell.exe"

# run_both NAME LINUX_PATH WINDOWS_PATH [ARGS...]: -f PATH on both builds, compared.
run_both() {
    local name=$1 unix_path=$2 windows_path=$3
    shift 3
    local lin win lin_rc win_rc
    set +e
    lin=$("$linux" -f "$unix_path" "$@" 2>&1)
    lin_rc=$?
    win=$("$wine" "$exe" -f "$windows_path" "$@" 2>/dev/null)
    win_rc=$?
    set -e
    same "$name (Linux, Windows)" "$lin_rc" "$(normalize "$unix_path" <<<"$lin")" \
        "$win_rc" "$(normalize "${windows_path//\\/\\\\}" <<<"$win")"
}

say "the example documents, Linux and Windows side by side"
for file in examples/*.json; do
    name=$(basename "$file")
    run_both "$name (C:\\)" "$share/$name" "C:\\csbackup\\$name"
    run_both "$name -v (C:\\)" "$share/$name" "C:\\csbackup\\$name" -v --cms-master-pool pool02.contoso.com
    run_both "$name --max-output 600" "$share/$name" "C:\\csbackup\\$name" --max-output 600 -vv
done
zpath="Z:${root//\//\\}\\examples\\pool02-utf16le.json"
run_both "UTF-16LE by a Z:\\ path" "$root/examples/pool02-utf16le.json" "$zpath" -v
run_both "a missing file" "$share/none.json" "C:\\csbackup\\none.json"
run_both "a folder" "$share" "C:\\csbackup"
run_both "a usage error" "$share/pool-healthy.json" "C:\\csbackup\\pool-healthy.json" --map nonsense

set +e
lin=$("$linux" -f - -v <examples/pool02-utf16le.json)
lin_rc=$?
win=$("$wine" "$exe" -f - -v <examples/pool02-utf16le.json 2>/dev/null)
win_rc=$?
set -e
same "standard input (Linux, Windows)" "$lin_rc" "$(normalize <<<"$lin")" \
    "$win_rc" "$(normalize <<<"$win")"

# --- the collector on Windows ----------------------------------------------------------
say "collect and --live with a Windows stand-in PowerShell"
export CSBACKUP_STAND_IN_SCRIPT="Z:${root//\//\\}\\packaging\\windows\\Collect-CsBackupStatus.ps1"
ps='C:\csbackup\powershell.exe'
out='C:\csbackup\pools.json'

# expect NAME WANTED_RC RC [TEXT_THAT_MUST_APPEAR TEXT]
expect() {
    if [[ $3 == "$2" && ( -z ${4-} || ${5-} == *"$4"* ) ]]; then
        pass
    else
        fail "$1: exit $3, expected $2${4:+ and '$4'}" "${5-}"
    fi
}

set +e
said=$(CSBACKUP_STAND_IN=answer "$wine" "$exe" collect --pool pool01.contoso.com \
    --pool pool02.contoso.com --out "$out" --powershell "$ps" 2>&1)
expect "collect answers" 0 $? "wrote 2 pool(s)" "$said"
said=$("$wine" "$exe" -f "$out" 2>/dev/null)
expect "the check reads what collect wrote" 0 $? "CSBACKUP OK" "$said"
lin=$("$linux" -f "$share/pools.json")
[[ "$(normalize <<<"$lin")" == "$(normalize <<<"$said")" ]] && pass ||
    fail "Linux reads the Windows status file differently" "$lin"$'\n'"$said"
grep -q '"ComputerName"' "$share/pools.json" && grep -q '"CollectedAt"' "$share/pools.json" && pass ||
    fail "the status file lacks ComputerName or CollectedAt" "$(cat "$share/pools.json")"

mkdir -p "$share/data"
said=$(CSBACKUP_STAND_IN=warnings "$wine" "$exe" collect --pool pool01.contoso.com \
    --pool pool02.contoso.com --out-dir 'C:\csbackup\data' --powershell "$ps" 2>&1)
expect "collect --out-dir with warnings before the answer" 0 $? "PowerShell warned" "$said"
said=$("$wine" "$exe" -f 'C:\csbackup\data\pool02.contoso.com.json' -v 2>/dev/null)
expect "the check shows the warnings at -v" 0 $? "PowerShell warned while collecting: WARNING:" "$said"
[[ -f $share/data/pool01.contoso.com.json && ! -e $share/data/pool01.contoso.com.json.tmp ]] && pass ||
    fail "collect --out-dir did not write pool01.contoso.com.json" "$(ls -la "$share/data")"

# Not checked here: refusing a junction as the data folder. Wine shows a Unix symlink as
# a plain folder, and its mklink makes neither junctions nor symbolic links.

# The data folder's owner (src/collect/owner.rs). Wine keeps no Windows security
# descriptor of its own for a file: it makes one up from the Unix owner and mode, the
# running user (S-1-5-21-0-0-0-1000) as owner when the Unix owner is the one Wine runs
# as, and ANONYMOUS LOGON (S-1-5-7) for any other; the DACL is never protected, and a
# folder created with a protected DACL or given Administrators as owner reads back the
# same. So Wine shows the collector's own folders accepted (every test above) and a
# folder of another account refused, through the real Win32 calls; not the
# Administrators / SYSTEM cases, nor an unprotected DACL, which only the unit tests of
# owner::judge cover.
chown_to_other=()
if [[ $(id -u) == 0 ]]; then
    chown_to_other=(chown)
elif sudo -n true 2>/dev/null; then
    chown_to_other=(sudo -n chown)
fi
if ((${#chown_to_other[@]})); then
    mkdir -p "$share/theirs"
    "${chown_to_other[@]}" 65534:65534 "$share/theirs"
    rm -f "$share/stand-in.log"
    said=$(CSBACKUP_STAND_IN_LOG='C:\csbackup\stand-in.log' "$wine" "$exe" collect \
        --pool pool01.contoso.com --out-dir 'C:\csbackup\theirs' --powershell "$ps" 2>&1)
    expect "collect refuses a folder another account owns" 1 $? \
        "belongs to NT AUTHORITY\ANONYMOUS LOGON (S-1-5-7), not to Administrators" "$said"
    [[ $said == *"run Register-CsBackupCollector.ps1 again"* && ! -e $share/stand-in.log ]] && pass ||
        fail "the refusal says what to do, before PowerShell runs" "$said"
    "${chown_to_other[@]}" "$(id -u):$(id -g)" "$share/theirs"
else
    echo "skipped: a folder another account owns (chown takes root or sudo)"
fi

said=$(CSBACKUP_STAND_IN=server-master "$wine" "$exe" collect --pool pool01.contoso.com \
    --pool pool02.contoso.com --out "$out" --powershell "$ps" 2>&1)
expect "collect resolves a server named as the CMS master" 0 $? "wrote 2 pool(s)" "$said"
said=$("$wine" "$exe" -f "$out" 2>/dev/null)
expect "the check takes the server's pool as the CMS master" 1 $? "though the pool hosts the active CMS" "$said"

# Two collections in a row: the second carries the first's history (a backlog first
# seen after the history began) and reads the event log from where the first stopped.
printf 'steady\nConfServices.DataConf=NonSteadyState error:4069\n' >"$share/sequence.txt"
rm -f "$share/sequence.txt.step"
# A second apart at least: times are whole seconds, and a status first seen in the
# second the history began is taken as a lower bound.
for step in 1 2; do
    [[ $step == 1 ]] || sleep 1
    said=$(CSBACKUP_STAND_IN_SEQUENCE='C:\csbackup\sequence.txt' "$wine" "$exe" collect \
        --pool pool01.contoso.com --out 'C:\csbackup\history.json' --powershell "$ps" 2>&1)
    expect "collect carries history forward, collection $step" 0 $? "wrote 1 pool(s)" "$said"
done
said=$("$wine" "$exe" -f 'C:\csbackup\history.json' -v 2>/dev/null)
expect "the check reads the history and the events" 1 $? "Backup Service logged 1 error, the latest 4069" "$said"
[[ $said == *"ConfServices.DataConf export NonSteadyState for 0 s (OK)"* ]] && pass ||
    fail "the backlog's duration is not exact and short" "$said"
lin=$("$linux" -f "$share/history.json" -v)
[[ "$(normalize <<<"$lin")" == "$(normalize <<<"$said")" ]] && pass ||
    fail "Linux reads the Windows history differently" "$lin"$'\n'"$said"

said=$(CSBACKUP_STAND_IN=fail "$wine" "$exe" collect --pool pool01.contoso.com \
    --out "$out" --powershell "$ps" 2>&1)
expect "collect with a failing PowerShell" 1 $? "exited with code 1" "$said"
said=$("$wine" "$exe" -f "$out" 2>/dev/null)
expect "the check reports the collector's Error" 2 $? "SkypeForBusiness" "$said"

said=$(CSBACKUP_STAND_IN=hang "$wine" "$exe" collect --pool pool01.contoso.com \
    --out "$out" --powershell "$ps" -t 2 2>&1)
expect "collect stops a hanging PowerShell" 1 $? "did not finish in time" "$said"

rm -f "$share/stand-in.log"
said=$(CSBACKUP_STAND_IN_LOG='C:\csbackup\stand-in.log' "$wine" "$exe" collect \
    --pool 'x;Remove-Item C:\' --out "$out" --powershell "$ps" 2>&1)
expect "collect refuses an injection attempt" 2 $? "not a host name" "$said"
[[ ! -e $share/stand-in.log ]] && pass || fail "PowerShell was started for a refused pool"

said=$(CSBACKUP_STAND_IN=answer "$wine" "$exe" --live --pool pool01.contoso.com \
    --powershell "$ps" 2>/dev/null)
expect "--live" 0 $? "CSBACKUP OK" "$said"
said=$(CSBACKUP_STAND_IN=hang "$wine" "$exe" --live --pool pool01.contoso.com \
    --powershell "$ps" -t 2 2>/dev/null)
expect "--live stops a hanging PowerShell" 3 $? "while waiting for PowerShell" "$said"
set -e

echo "windows-check: $passes passed, $failures failed, $((SECONDS - started)) s in all"
((failures == 0))

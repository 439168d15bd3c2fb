#!/usr/bin/env bash
# Icinga Director: Debian's Director restores the shipped basket
# (packaging/icinga2/director-basket.json) with `icingacli director basket restore`, into
# a Director that already has data fields of its own, and a second time without failing
# or duplicating anything; the command, template, data fields and data lists Director
# then holds are the ones the basket ships. Director renders the configuration it would
# deploy, with a host on an agent and services made from the template; `icinga2 daemon
# -C` accepts it, and a running Icinga 2 runs the rendered CheckCommand with the same
# command lines as the shipped check_csbackup.conf (tests/stack/icinga2.sh). The
# commands the Director section of docs/icinga2.md shows are run as shown, and print
# what it shows.
#
# No web server and no kickstart: Director's database is a private PostgreSQL listening
# on a unix socket in the test's folder only, Icinga Web 2's configuration is private
# (ICINGAWEB_CONFIGDIR), the configuration is rendered, not deployed.
source "$(dirname "$0")/lib.sh"

# php-cli first: its version names the PHP packages Director needs. php*-cgi satisfies
# the PHP server API Director's dependencies ask for, so that apt does not install
# Apache for it.
need_packages php-cli
PHP="$(php -r 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;')"
need_packages "php$PHP-cgi" "php$PHP-pgsql" postgresql icingaweb2 icingacli \
    icingaweb2-module-director icinga2-bin icinga2-common curl jq openssl

BASKET="$STACK_ROOT/packaging/icinga2/director-basket.json"
DOC="$STACK_ROOT/docs/icinga2.md"
T="$(private_dir)"
PG_BIN="$(find /usr/lib/postgresql -path '*/bin/initdb' -printf '%h\n' | sort -V | tail -n 1)"
[ -n "$PG_BIN" ] || fail "no initdb under /usr/lib/postgresql after installing postgresql"
PGDATA="$T/pgdata"
PGRUN="$T/pgrun"
PG_STARTED=0
cleanup() {
    icinga2_stop
    if [ "$PG_STARTED" = 1 ]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT

plugin_and_documents

step "private PostgreSQL ($("$PG_BIN/postgres" --version)) on a unix socket in $PGRUN"
PG_PASSWORD="$(random_secret)"
DB_PASSWORD="$(random_secret)"
mkdir -p "$PGDATA" "$PGRUN"
printf '%s\n' "$PG_PASSWORD" >"$PGRUN/superuser-password"
chown postgres:postgres "$PGDATA" "$PGRUN" "$PGRUN/superuser-password"
chmod 700 "$PGDATA" "$PGRUN"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=scram-sha-256 \
    --pwfile="$PGRUN/superuser-password" -E UTF8 --locale=C.UTF-8 >"$T/initdb.log" 2>&1 ||
    { cat "$T/initdb.log" >&2; fail "initdb"; }
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGRUN/postgresql.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$PGRUN' -c fsync=off" start >"$T/pg_ctl.log" 2>&1 ||
    { cat "$T/pg_ctl.log" "$PGRUN/postgresql.log" >&2; fail "pg_ctl start"; }
PG_STARTED=1

# SQL as the superuser, in database "$1".
sql() {
    local db="$1"
    shift
    PGPASSWORD="$PG_PASSWORD" psql -h "$PGRUN" -U postgres -d "$db" -v ON_ERROR_STOP=1 -qtA "$@"
}

step "database director, as Director's installation guide creates it"
sql postgres -c "CREATE USER director WITH PASSWORD '$DB_PASSWORD'" \
    -c "CREATE DATABASE director WITH ENCODING 'UTF8' OWNER director" >/dev/null || fail "creating the director database"
sql director -c "CREATE EXTENSION pgcrypto" >/dev/null || fail "CREATE EXTENSION pgcrypto"

step "Icinga Web 2 configuration in $T/icingaweb2 (resource, modules, Director's database)"
export ICINGAWEB_CONFIGDIR="$T/icingaweb2"
mkdir -p "$ICINGAWEB_CONFIGDIR/enabledModules" "$ICINGAWEB_CONFIGDIR/modules/director"
for module in director incubator reactbundle; do
    [ -d "/usr/share/icingaweb2/modules/$module" ] || fail "module $module missing after installing icingaweb2-module-director"
    ln -s "/usr/share/icingaweb2/modules/$module" "$ICINGAWEB_CONFIGDIR/enabledModules/$module"
done
cat >"$ICINGAWEB_CONFIGDIR/config.ini" <<EOF
[global]
module_path = "/usr/share/icingaweb2/modules"

[logging]
log = "php"
level = "ERROR"
EOF
cat >"$ICINGAWEB_CONFIGDIR/resources.ini" <<EOF
[director_db]
type = "db"
db = "pgsql"
host = "$PGRUN"
port = "5432"
dbname = "director"
username = "director"
password = "$DB_PASSWORD"
charset = "utf8"
EOF
cat >"$ICINGAWEB_CONFIGDIR/modules/director/config.ini" <<'EOF'
[db]
resource = "director_db"
EOF

# icingacli director "$@"; stdout is printed, a failure shows stderr and fails the test
# naming the step.
director() {
    local out rc=0
    out="$(icingacli director "$@" 2>"$T/icingacli.err")" || rc=$?
    if [ "$rc" != 0 ]; then
        printf '%s\n' "$out" >&2
        cat "$T/icingacli.err" >&2
        fail "icingacli director $* exited $rc"
    fi
    printf '%s\n' "$out"
}

VERSION="$(icingacli version | awk '$1 == "director" { print $2 }')"
[ -n "$VERSION" ] || { icingacli version >&2; fail "icingacli version does not list the director module"; }
step "icingacli director migration run (Icinga Director $VERSION)"
director migration run >/dev/null
pending_rc=0
pending="$(icingacli director migration pending 2>&1)" || pending_rc=$?
[ "$pending_rc" = 1 ] || fail "migrations still pending after migration run: $pending"

step "data fields of the Director's own, whose ids the basket's fields also use"
director basket restore >/dev/null <<'EOF'
{
    "Datafield": {
        "1": {"varname": "site", "caption": "Site", "description": null, "datatype": "Icinga\\Module\\Director\\DataType\\DataTypeString", "format": null, "category": null, "originalId": "1", "settings": {"visibility": "visible"}},
        "2": {"varname": "rack", "caption": "Rack", "description": null, "datatype": "Icinga\\Module\\Director\\DataType\\DataTypeString", "format": null, "category": null, "originalId": "2", "settings": {"visibility": "visible"}}
    }
}
EOF
[ "$(sql director -c "SELECT count(*) FROM director_datafield")" = 2 ] || fail "the two data fields of the Director's own were not stored"

# How many rows each table holds once the basket is restored: what the basket ships,
# the two fields of the Director's own beside them, nothing more.
expected_counts() {
    jq -r '
      "director_datafield \(2 + (.Datafield | length))",
      "director_datalist \(.DataList | length)",
      "director_datalist_entry \([.DataList[].entries | length] | add)",
      "icinga_command \(.Command | length)",
      "icinga_command_argument \([.Command[].arguments | length] | add)",
      "icinga_command_field \([.Command[].fields | length] | add)",
      "icinga_service \(.ServiceTemplate | length)",
      "icinga_service_field \([.ServiceTemplate[].fields | length] | add)"' "$BASKET"
}
counts() {
    local table count
    while read -r table _; do
        count="$(sql director -c "SELECT count(*) FROM $table")" || fail "counting $table"
        echo "$table $count"
    done < <(expected_counts)
}
activities() {
    sql director -c "SELECT count(*) FROM director_activity_log"
}

# The fenced block of docs/icinga2.md whose first line starts with "$1" (a command to
# copy, without a prompt).
doc_block() {
    local block
    block="$(awk -v start="$1" '
        /^```/ { if (inside) { if (found) exit; inside = 0; next } inside = 1; first = 1; next }
        inside && first { first = 0; if (index($0, start) == 1) found = 1 }
        inside && found { print }' "$DOC")"
    [ -n "$block" ] || fail "docs/icinga2.md has no block that starts with: $1"
    printf '%s\n' "$block"
}
# A command of a ```console block of docs/icinga2.md, "$ $1...", and the lines it is
# shown to print (up to the next "$ " line or the block's end): the command first.
doc_session() {
    local session
    session="$(awk -v start="$1" '
        /^```/ { if (inside) { if (found) exit; inside = 0; next } inside = ($0 == "```console"); next }
        inside && found && /^\$ / { exit }
        inside && found { print; next }
        inside && index($0, "$ " start) == 1 { found = 1; print substr($0, 3) }' "$DOC")"
    [ -n "$session" ] || fail "docs/icinga2.md has no console line that starts with: \$ $1"
    printf '%s\n' "$session"
}
# What the document shows "$ $1..." to print.
doc_output() {
    doc_session "$1" | tail -n +2
}
# Runs a command the document shows, and prints what it printed.
run_shown() {
    local out rc=0
    out="$(bash -c "$1" 2>&1)" || rc=$?
    [ "$rc" = 0 ] || fail "the document's command failed (exit $rc):
$1
$out"
    printf '%s\n' "$out"
}
# Runs the command of a session the document shows, as shown (the installed basket's
# path is this tree's).
run_doc_command() {
    run_shown "$(doc_session "$1" | head -n 1 | sed "s#/usr/share/doc/check-csbackup/icinga2/director-basket.json#$BASKET#")"
}
# Runs the command of a block to copy, as shown.
run_doc_block() {
    run_shown "$(doc_block "$1")"
}

step "icingacli director basket restore < .../director-basket.json, as the document shows"
restored="$(run_doc_command "icingacli director basket restore <")"
[ "$restored" = "$(doc_output "icingacli director basket restore <")" ] || fail "basket restore said: $restored"
[ "$(counts)" = "$(expected_counts)" ] || fail "after the restore the tables hold
$(counts)
expected
$(expected_counts)"
changes="$(activities)"

step "the same basket restored again: no failure, no duplicate, no change"
director basket restore <"$BASKET" >/dev/null
[ "$(counts)" = "$(expected_counts)" ] || fail "after the second restore the tables hold
$(counts)
expected
$(expected_counts)"
[ "$(activities)" = "$changes" ] || fail "the second restore changed objects: the activity log grew from $changes to $(activities) entries"

step "icingacli director command show csbackup / service show csbackup: what the basket ships"
# The document shows the beginning, then "..." for the rest.
shown="$(doc_output "icingacli director command show csbackup" | sed '$ { /^\.\.\.$/d }')"
[[ "$(run_doc_command "icingacli director command show csbackup")" == "$shown"* ]] ||
    fail "icingacli director command show csbackup does not begin as the document shows:
$shown"
director command show csbackup --json >"$T/command.json"
jq -e --slurpfile basket "$BASKET" '
    ($basket[0].Command.csbackup) as $shipped
    | .arguments == $shipped.arguments and .command == $shipped.command
      and .timeout == $shipped.timeout and .object_type == "object"
      and (.fields | length) == ($shipped.fields | length)' "$T/command.json" >/dev/null ||
    fail "command show csbackup differs from the basket's Command: $(cat "$T/command.json")"
director service show csbackup --json >"$T/template.json"
jq -e --slurpfile basket "$BASKET" '
    ($basket[0].ServiceTemplate.csbackup) as $shipped
    | .object_type == "template" and .check_command == "csbackup"
      and .check_interval == $shipped.check_interval and .retry_interval == $shipped.retry_interval
      and ([.fields[] | select(.is_required == "y")] | length) == ([$shipped.fields[] | select(.is_required == "y")] | length)' \
    "$T/template.json" >/dev/null || fail "service show csbackup differs from the basket's ServiceTemplate: $(cat "$T/template.json")"

# Everything, fields and lists included: a basket of the restored objects, dumped the way
# a user would export it, equals the shipped one. Data field ids are the database's, so
# both sides name each field by its variable.
step "a basket of the restored objects, dumped, equals the shipped basket"
jq '{Basket: {check_csbackup: {basket_name: "check_csbackup", owner_type: "user", owner_value: "test",
      objects: {Command: (.Command | keys), ServiceTemplate: (.ServiceTemplate | keys), DataList: (.DataList | keys)}}}}' \
    "$BASKET" | director basket restore >/dev/null
director basket dump --name check_csbackup >"$T/dump.json"
normalized() {
    jq -S '
      def by_varname($names): map(.datafield_id = $names[.datafield_id | tostring]) | sort_by(.datafield_id);
      (.Datafield | map_values(.varname)) as $names
      | .Datafield |= ([.[] | del(.originalId)] | sort_by(.varname))
      | .Command |= map_values(.fields |= by_varname($names))
      | .ServiceTemplate |= map_values(.fields |= by_varname($names))' "$1"
}
if ! diff -u <(normalized "$BASKET") <(normalized "$T/dump.json") >"$T/dump.diff"; then
    cat "$T/dump.diff" >&2
    fail "Director's dump of the restored objects differs from the shipped basket (- shipped, + dump)"
fi

step "a host on an agent and services from the template, as the document adds them"
director command create hostalive --object_type external_object --methods_execute PluginCheck --command check_ping >/dev/null
director host create fe01.contoso.com --json '{"object_type": "object", "address": "192.0.2.11",
    "check_command": "hostalive", "has_agent": true, "master_should_connect": false, "accept_config": true}' >/dev/null
created="$(run_doc_block "icingacli director service create csbackup-pool01.contoso.com")"
[ "$created" = "Service 'csbackup-pool01.contoso.com' has been created" ] || fail "service create said: $created"
shown="$(doc_output "icingacli director service show csbackup-pool01.contoso.com")"
preview="$(run_doc_command "icingacli director service show csbackup-pool01.contoso.com")"
[ "$preview" = "$shown" ] || fail "the service's preview is
$preview
the document shows
$shown"
# Checked here, on the test's own node: their command lines are compared below.
director host create monitoring --json '{"object_type": "object", "check_command": "hostalive",
    "enable_active_checks": false}' >/dev/null
service_on_monitoring() {
    director service create "$1" --json "$(jq -nc --arg name "$1" --argjson vars "$2" \
        '{object_type: "object", host: "monitoring", imports: ["csbackup"], vars: $vars}')" >/dev/null
}
service_on_monitoring defaults "$(jq -nc --arg file "$D/healthy.json" '{csbackup_file: $file}')"
# Every field of the template set, as its form stores them: lists as arrays, numbers
# as numbers, the list choices as their strings.
service_on_monitoring all-fields "$(jq -nc --arg file "$D/pool02.contoso.com.json" '{
    csbackup_file: $file, csbackup_format: "auto",
    csbackup_pool: ["pool02.contoso.com"], csbackup_cms_master_pool: "pool01.contoso.com",
    csbackup_module: ["CentralMgmt.CMSMaster", "ConfServices.DataConf"], csbackup_ignore_module: ["ApplicationServer.RGSDataStore"],
    csbackup_map: ["export:NonSteadyState=ok"], csbackup_on_error: "unknown",
    csbackup_warning: "@0:10", csbackup_critical: "7200", csbackup_timeout: 9, csbackup_max_input: 65536,
    csbackup_max_output: 1023, csbackup_verbose: "1",
    csbackup_backlog_warning: "300", csbackup_backlog_critical: "900",
    csbackup_not_initialized_warning: "7200", csbackup_on_event_error: "critical"}')"
service_on_monitoring live "$(jq -nc --arg ps "$T/no-such-powershell" '{
    csbackup_live: true, csbackup_pool: ["pool01.contoso.com"], csbackup_powershell: $ps, csbackup_verbose: "3"}')"

step "icingacli director config render"
rendered="$(director config render)"
checksum="$(sed -nE 's/^(New config|Config) with checksum ([0-9a-f]{40}) .*/\2/p' <<<"$rendered")"
[ -n "$checksum" ] || fail "config render said: $rendered"
# The files Director would deploy, from its database, into the zones.d layout it deploys
# them in.
icinga2_node "$T/icinga2" "master.localdomain"
sql director -c "SELECT json_agg(json_build_object('path', f.file_path, 'content', g.content) ORDER BY f.file_path)
    FROM director_generated_config_file f JOIN director_generated_file g ON g.checksum = f.file_checksum
    WHERE f.config_checksum = decode('$checksum', 'hex')" >"$T/rendered.json" || fail "reading the rendered files"
while IFS= read -r path; do
    case "$path" in zones.d/*.conf) ;; *) fail "rendered file with an unexpected path: $path" ;; esac
    mkdir -p "$T/icinga2/etc/director/$(dirname "$path")"
    jq -r --arg path "$path" '.[] | select(.path == $path) | .content' "$T/rendered.json" >"$T/icinga2/etc/director/$path"
done < <(jq -r '.[].path' "$T/rendered.json")
for path in director-global/commands.conf director-global/service_templates.conf master/hosts.conf \
    master/services.conf master/agent_zones.conf master/agent_endpoints.conf; do
    [ -f "$T/icinga2/etc/director/zones.d/$path" ] || fail "Director rendered no zones.d/$path; it rendered: $(jq -r '[.[].path] | join(", ")' "$T/rendered.json")"
done
grep -q '^object CheckCommand "csbackup" {' "$T/icinga2/etc/director/zones.d/director-global/commands.conf" ||
    fail "no CheckCommand csbackup in the rendered commands.conf"

# The zones Director deploys into: its master zone and the global zone director-global
# (kickstart would have imported them from the master).
icinga2_conf "$PLUGINS" "master" "director-global"
cat >>"$T/icinga2/etc/icinga2.conf" <<EOF

include_zones "director", "director/zones.d"
EOF

icinga2_pki
step "icinga2 daemon -C with the configuration Director rendered"
icinga2_validate "the configuration Director rendered"
for count in "Instantiated 4 Services" "Instantiated 2 Hosts" "Instantiated 3 Zones"; do
    grep -q "$count" "$T/icinga2/validate.log" || { cat "$T/icinga2/validate.log" >&2; fail "icinga2 daemon -C: expected '$count'"; }
done

icinga2_start
results="$(icinga2_check_now 'host.name == "monitoring"')"

# What each service must have run, whatever the order Icinga puts the arguments in
# (canonical_args in lib.sh), as the shipped check_csbackup.conf builds them for the same
# variables (tests/stack/icinga2.sh). No argument has a space.
declare -A EXPECTED=(
    [defaults]="--file $D/healthy.json"
    [all-fields]="--backlog-critical 900 --backlog-warning 300 --cms-master-pool pool01.contoso.com
        --critical 7200 --file $D/pool02.contoso.com.json
        --format auto --ignore-module ApplicationServer.RGSDataStore --map export:NonSteadyState=ok
        --max-input 65536 --max-output 1023 --module CentralMgmt.CMSMaster --module ConfServices.DataConf
        --not-initialized-warning 7200 --on-error unknown --on-event-error critical
        --pool pool02.contoso.com --timeout 9 -v --warning @0:10"
    [live]="--live --pool pool01.contoso.com --powershell $T/no-such-powershell -vvv"
)

compared=0
while IFS= read -r service; do
    name="$(jq -r '.name' <<<"$service")"
    [ -n "${EXPECTED[$name]+x}" ] || fail "unexpected service $name"
    read -ra args <<<"$(tr -s ' \n' ' ' <<<"${EXPECTED[$name]}")"
    ran="$(command_ran <<<"$service")"
    wanted="$(printf '%s\n' "$BIN" "${args[@]}" | canonical_args)"
    [ "$ran" = "$wanted" ] || fail "$name: Icinga ran Director's CheckCommand as
$ran
expected
$wanted"
    rc=0
    "$BIN" "${args[@]}" >/dev/null || rc=$?
    state="$(jq -r '.attrs.last_check_result.exit_status' <<<"$service")"
    [ "${state%.*}" = "$rc" ] || fail "$name: Icinga's check exited $state, the plugin run directly $rc"
    compared=$((compared + 1))
    step "$name: Icinga ran the same command line as the shipped CheckCommand, exit $rc"
done < <(jq -c '.results[] | {name: .attrs.name, attrs}' <<<"$results")
[ "$compared" = 3 ] || fail "compared $compared services, expected 3"
step "OK: Icinga Director $VERSION restores the basket (twice), renders it, and Icinga 2 runs it as check_csbackup.conf"

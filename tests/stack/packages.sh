#!/usr/bin/env bash
# Packages: the amd64 .deb, built from the static x86_64 binary, installs with dpkg -i;
# the plugin runs from /usr/lib/nagios/plugins/, is that static binary and prints what
# the build in the tree prints; `man check_csbackup` shows the page generated from the
# clap definition, the snippets and the guides are under /usr/share/doc/check-csbackup/,
# and dpkg -r /
# -P leave nothing behind. The arm64 .deb carries the static aarch64 binary. No package
# depends on anything (no libc). The .rpms' file lists are checked with rpm -qlp. The
# shipped NSClient++ lines are run against this build (with Linux paths), and the
# Windows zip is built and its content checked.
source "$(dirname "$0")/lib.sh"

need_packages man-db rpm dpkg unzip file gcc-aarch64-linux-gnu

T="$(private_dir)"
INSTALLED=0
cleanup() {
    # A failed test leaves no package behind either.
    if [ "$INSTALLED" = 1 ] && dpkg-query -W check-csbackup >/dev/null 2>&1; then
        dpkg -P check-csbackup >/dev/null 2>&1 || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT
D="$T/docs"
# A few minutes ahead: within the plugin's clock-skew allowance the age reads 0, so the
# installed plugin and the build print the same whenever each runs.
write_fixtures "$D" "+240 seconds"

step "building the packages"
bash "$STACK_ROOT/scripts/build-packages.sh" >"$T/build.log" 2>&1 || { cat "$T/build.log" >&2; fail "scripts/build-packages.sh failed"; }
# The build in the tree, which the installed plugin is compared with.
(cd "$STACK_ROOT" && cargo build --release --quiet)
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$STACK_ROOT/Cargo.toml" | head -n 1)"
DEB="$STACK_ROOT/target/debian/check-csbackup_${version}-1_amd64.deb"
DEB_ARM="$STACK_ROOT/target/debian/check-csbackup_${version}-1_arm64.deb"
RPM="$STACK_ROOT/target/generate-rpm/check-csbackup-${version}-1.x86_64.rpm"
RPM_ARM="$STACK_ROOT/target/generate-rpm/check-csbackup-${version}-1.aarch64.rpm"
STATIC="$STACK_ROOT/target/x86_64-unknown-linux-musl/release/check_csbackup"
for package in "$DEB" "$DEB_ARM" "$RPM" "$RPM_ARM"; do
    [ -f "$package" ] || fail "no $package"
done

step "the .debs: architecture, the static binary, no dependencies"
for deb in "$DEB:amd64:x86-64" "$DEB_ARM:arm64:ARM aarch64"; do
    IFS=: read -r file arch machine <<<"$deb"
    [ "$(dpkg-deb -f "$file" Architecture)" = "$arch" ] || fail "$(basename "$file"): Architecture $(dpkg-deb -f "$file" Architecture)"
    for field in Depends Pre-Depends; do
        [ -z "$(dpkg-deb -f "$file" "$field")" ] || fail "$(basename "$file") has $field: $(dpkg-deb -f "$file" "$field")"
    done
    rm -rf "$T/unpacked"
    dpkg-deb -x "$file" "$T/unpacked"
    described="$(file -b "$T/unpacked/usr/lib/nagios/plugins/check_csbackup")"
    [[ $described == *"$machine"*"statically linked"* ]] || fail "$(basename "$file")'s plugin: $described"
done

PLUGIN=/usr/lib/nagios/plugins/check_csbackup
DOC=/usr/share/doc/check-csbackup
SHIPPED=(
    "$PLUGIN"
    /usr/share/man/man1/check_csbackup.1.gz
    "$DOC/README.md"
    "$DOC/BENCHMARKS.md"
    "$DOC/copyright"
    "$DOC/icinga2/check_csbackup.conf"
    "$DOC/icinga2/check_csbackup-services.conf"
    "$DOC/icinga2/director-basket.json"
    "$DOC/nagios/check_csbackup.cfg"
    "$DOC/nrpe/check_csbackup.cfg"
    "$DOC/nscp/check_csbackup.ini"
)
# The guides, as the source tree has them.
GUIDES=()
for guide in "$STACK_ROOT"/docs/*.md; do
    GUIDES+=("docs/$(basename "$guide")")
done
[ "${#GUIDES[@]}" -ge 5 ] || fail "found only ${#GUIDES[@]} guides in docs/"
for guide in "${GUIDES[@]}"; do
    SHIPPED+=("$DOC/$guide")
done

if dpkg-query -W -f='${Status}' check-csbackup 2>/dev/null | grep -q installed; then
    step "removing an earlier check-csbackup"
    dpkg -P check-csbackup >/dev/null
fi

step "dpkg -i $(basename "$DEB")"
INSTALLED=1
# Minimal images often tell dpkg to skip man pages and docs (path-exclude); the
# includes, given after the configuration, win, so the page and snippets install.
dpkg --path-include='/usr/share/man/man1/check_csbackup*' --path-include="$DOC/*" \
    -i "$DEB" >"$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log" >&2; fail "dpkg -i failed"; }
dpkg-query -W -f='${Status}' check-csbackup | grep -q 'install ok installed' || fail "check-csbackup not installed after dpkg -i"
for file in "${SHIPPED[@]}"; do
    [ -f "$file" ] || fail "$file missing after dpkg -i"
done
listed="$(dpkg -L check-csbackup | sort)"
for file in "${SHIPPED[@]}"; do
    grep -qx "$file" <<<"$listed" || fail "dpkg -L does not list $file"
done
# Every link between the installed guides leads to a file the package installed: inline
# links outside code blocks, without their anchor or title; links to the web are left
# out (tests/docs.rs checks anchors and links in the tree).
links=0
while IFS= read -r page; do
    while IFS= read -r link; do
        [ -e "$(dirname "$page")/$link" ] || fail "$page links '$link', which the package does not install"
        links=$((links + 1))
    done < <(awk '/^ *```/ { fenced = !fenced; next } !fenced' "$page" |
        grep -oE '\]\([^)]+\)' | sed -E 's/^\]\(//; s/\)$//; s/ +"[^"]*"$//; s/#.*//' |
        grep -vE '^$|^[A-Za-z][A-Za-z0-9+.-]*:|^//')
done < <(find "$DOC" -name '*.md')
[ "$links" -ge 20 ] || fail "found only $links links between the installed guides"
[ "$(stat -c %a "$PLUGIN")" = 755 ] || fail "$PLUGIN is mode $(stat -c %a "$PLUGIN"), not 755"
cmp -s "$PLUGIN" "$STATIC" || fail "$PLUGIN is not the static binary $STATIC"

step "the installed plugin runs"
"$PLUGIN" --version >"$T/version.out" && rc=0 || rc=$?
# --version, like --help, exits 3: a plugin's output that is no check is UNKNOWN.
[ "$rc" = 3 ] && grep -q "check_csbackup $version" "$T/version.out" || fail "--version: exit $rc, $(cat "$T/version.out")"
for doc in healthy:0 cms:1 errors:2 broken:3; do
    name="${doc%%:*}"
    want="${doc##*:}"
    rc=0
    out="$("$PLUGIN" --file "$D/$name.json")" || rc=$?
    [ "$rc" = "$want" ] || fail "$PLUGIN on $name.json: exit $rc, expected $want: $out"
    built="$("$STACK_ROOT/target/release/check_csbackup" --file "$D/$name.json")" || true
    [ "${out%%$'\n'*}" = "${built%%$'\n'*}" ] || fail "the installed plugin and the build differ on $name.json"
done

step "man check_csbackup"
command -v man >/dev/null || fail "man is missing after installing man-db"
[ "$(man -w check_csbackup)" = /usr/share/man/man1/check_csbackup.1.gz ] || fail "man -w check_csbackup: $(man -w check_csbackup 2>&1)"
page="$(MANPAGER=cat MANWIDTH=100 man check_csbackup 2>"$T/man.err")" || { cat "$T/man.err" >&2; fail "man check_csbackup failed"; }
for text in "check_csbackup - Monitoring plugin" "--cms-master-pool <FQDN>" "--max-output <BYTES>" \
    "export NonSteadyState  WARNING" "Exit codes: 0 OK"; do
    grep -qF -- "$text" <<<"$page" || fail "man check_csbackup lacks '$text'"
done
# Every option --help shows is in the page.
options=0
for option in $("$PLUGIN" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
    grep -qF -- "$option" <<<"$page" || fail "man check_csbackup lacks $option, which --help shows"
    options=$((options + 1))
done
[ "$options" -ge 10 ] || fail "found only $options options in --help"

step "dpkg -r / dpkg -P"
dpkg -r check-csbackup >"$T/remove.log" 2>&1 || { cat "$T/remove.log" >&2; fail "dpkg -r failed"; }
for file in "${SHIPPED[@]}"; do
    [ ! -e "$file" ] || fail "$file left behind by dpkg -r"
done
[ ! -d "$DOC" ] || fail "$DOC left behind by dpkg -r"
dpkg -P check-csbackup >>"$T/remove.log" 2>&1 || { cat "$T/remove.log" >&2; fail "dpkg -P failed"; }
if dpkg-query -W -f='${Status}' check-csbackup 2>/dev/null | grep -qv 'not-installed'; then
    fail "dpkg still knows check-csbackup after -P: $(dpkg-query -W -f='${Status}' check-csbackup)"
fi

# The man pages are the ones the clap definition produced (one per subcommand too).
want_rpm="$( (
    printf '%s\n' /usr/lib64/nagios/plugins/check_csbackup \
        /usr/share/doc/check-csbackup/README.md \
        /usr/share/doc/check-csbackup/BENCHMARKS.md \
        /usr/share/doc/check-csbackup/icinga2/check_csbackup-services.conf \
        /usr/share/doc/check-csbackup/icinga2/check_csbackup.conf \
        /usr/share/doc/check-csbackup/icinga2/director-basket.json \
        /usr/share/doc/check-csbackup/nagios/check_csbackup.cfg \
        /usr/share/doc/check-csbackup/nrpe/check_csbackup.cfg \
        /usr/share/doc/check-csbackup/nscp/check_csbackup.ini
    for guide in "${GUIDES[@]}"; do echo "/usr/share/doc/check-csbackup/$guide"; done
    for page in "$STACK_ROOT"/target/man/*.1; do echo "/usr/share/man/man1/$(basename "$page")"; done
) | sort)"
grep -qx /usr/share/man/man1/check_csbackup.1 <<<"$want_rpm" || fail "target/man/check_csbackup.1 missing"
for rpm in "$RPM:x86_64" "$RPM_ARM:aarch64"; do
    file="${rpm%:*}"
    arch="${rpm##*:}"
    name="$(basename "$file")"
    step "rpm -qlp $name"
    [ "$(rpm -qp --qf '%{NAME} %{VERSION} %{ARCH}' "$file" 2>/dev/null)" = "check-csbackup $version $arch" ] ||
        fail "$name name/version/arch: $(rpm -qp --qf '%{NAME} %{VERSION} %{ARCH}' "$file" 2>&1)"
    got_rpm="$(rpm -qlp "$file" 2>/dev/null | sort)"
    [ "$got_rpm" = "$want_rpm" ] || fail "rpm -qlp $name lists
$got_rpm
expected
$want_rpm"
    rpm -qlvp "$file" 2>/dev/null | grep -E '^-rwxr-xr-x .* /usr/lib64/nagios/plugins/check_csbackup$' >/dev/null ||
        fail "$name: the plugin is not mode 755: $(rpm -qlvp "$file" 2>&1 | grep check_csbackup)"
    # Only rpm's own features: no libc, no /bin/sh.
    requires="$(rpm -qp --requires "$file" 2>/dev/null | grep -v '^rpmlib(' || true)"
    [ -z "$requires" ] || fail "$name requires $requires"
done

step "the NSClient++ lines run (Linux paths)"
nscp=0
while IFS= read -r line; do
    name="${line%% = *}"
    args="${line#*check_csbackup.exe }"
    args="${args//C:\\ProgramData\\check_csbackup\\/$D/}"
    rc=0
    # shellcheck disable=SC2086 # the ini's arguments are words without spaces
    out="$("$STACK_ROOT/target/release/check_csbackup" $args)" || rc=$?
    case "$name:$rc" in
    check_csbackup_pool01:0 | check_csbackup_pool02:1 | check_csbackup_pool02_verbose:1) ;;
    *) fail "nscp $name: exit $rc: $out" ;;
    esac
    [ "$(printf '%s' "$out" | wc -c)" -le 1023 ] || fail "nscp $name: more than 1023 bytes"
    nscp=$((nscp + 1))
done < <(grep -E '^check_csbackup[a-z0-9_]* = scripts\\check_csbackup\.exe ' "$STACK_ROOT/packaging/nscp/check_csbackup.ini")
[ "$nscp" = 3 ] || fail "found $nscp NSClient++ script lines, expected 3"

step "Windows zip"
bash "$STACK_ROOT/scripts/windows-zip.sh" >"$T/zip.log" 2>&1 || { cat "$T/zip.log" >&2; fail "scripts/windows-zip.sh failed"; }
ZIP="$STACK_ROOT/target/dist/check_csbackup-$version-windows-x86_64.zip"
[ -f "$ZIP" ] || fail "no $ZIP"
top="check_csbackup-$version-windows-x86_64"
listing="$(unzip -Z1 "$ZIP")"
for file in "$top/check_csbackup.exe" "$top/README.md" "$top/BENCHMARKS.md" "$top/nscp/check_csbackup.ini" \
    "$top/icinga2/check_csbackup.conf" "$top/icinga2/check_csbackup-services.conf" \
    "$top/icinga2/director-basket.json"; do
    grep -qx "$file" <<<"$listing" || fail "$file missing from the zip"
done
for script in "$STACK_ROOT"/packaging/windows/*.ps1; do
    grep -qx "$top/$(basename "$script")" <<<"$listing" || fail "packaging/windows/$(basename "$script") missing from the zip"
done
for guide in "${GUIDES[@]}"; do
    grep -qx "$top/$guide" <<<"$listing" || fail "$guide missing from the zip"
done
# The README at the top is the front door, which links the guides beside it.
unzip -p "$ZIP" "$top/README.md" | cmp -s - "$STACK_ROOT/README.md" || fail "the zip's README.md is not the front door"
[ "$(unzip -p "$ZIP" "$top/check_csbackup.exe" | head -c 2)" = MZ ] || fail "check_csbackup.exe in the zip is no Windows executable"

step "OK: .deb installs the static binary, runs, shows its man page and removes cleanly; .debs and .rpms for both architectures depend on nothing; zip built"

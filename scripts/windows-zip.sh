#!/usr/bin/env bash
# Builds the Windows zip: target/dist/check_csbackup-<version>-windows-x86_64.zip with
# check_csbackup.exe, the PowerShell scripts of packaging/windows/ (the collector and its
# scheduled-task setup), the NSClient++ and Icinga 2 snippets with the Director basket,
# the README and the guides (docs\, where the scripts' messages send the reader).
#
# Cross-built on Debian with mingw-w64; .cargo/config.toml names the linker.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-pc-windows-gnu
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || ! command -v zip >/dev/null 2>&1; then
    echo "== installing gcc-mingw-w64-x86-64 and zip"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends gcc-mingw-w64-x86-64 zip >/dev/null
fi
if ! rustup target list --installed | grep -qx "$TARGET"; then
    rustup target add "$TARGET"
fi

echo "== cargo build --release --target $TARGET"
cargo build --release --quiet --target "$TARGET"

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
name="check_csbackup-$version-windows-x86_64"
stage="target/dist/$name"
rm -rf "$stage" "target/dist/$name.zip"
mkdir -p "$stage"
cp "target/$TARGET/release/check_csbackup.exe" "$stage/"
cp packaging/windows/*.ps1 "$stage/"
mkdir -p "$stage/nscp" "$stage/icinga2" "$stage/docs"
cp packaging/nscp/*.ini "$stage/nscp/"
cp packaging/icinga2/*.conf packaging/icinga2/director-basket.json "$stage/icinga2/"
cp README.md BENCHMARKS.md "$stage/"
cp docs/*.md "$stage/docs/"

(cd target/dist && zip -q -r -X "$name.zip" "$name")
echo "target/dist/$name.zip"

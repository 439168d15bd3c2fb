#!/usr/bin/env bash
# Builds the Linux packages: target/debian/check-csbackup_<version>-1_amd64.deb and
# target/generate-rpm/check-csbackup-<version>-1.x86_64.rpm.
#
# The man page comes from the clap definition: tests/man_page.rs writes target/man/*.1
# (see that file for why a test does it), so the packages always carry the page of
# the very --help they ship.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cargo-deb cargo-generate-rpm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "== cargo install $tool"
        cargo install --locked --quiet "$tool"
    fi
done

echo "== release build"
cargo build --release --quiet
echo "== man page from the clap definition"
cargo test --quiet --test man_page >/dev/null
[ -s target/man/check_csbackup.1 ] || { echo "target/man/check_csbackup.1 was not written" >&2; exit 1; }

echo "== cargo deb"
cargo deb --no-build --quiet
echo "== cargo generate-rpm"
cargo generate-rpm
ls -1 target/debian/*.deb target/generate-rpm/*.rpm

#!/usr/bin/env bash
# Builds the Linux packages from the static binaries, which run on any distribution:
#   target/debian/check-csbackup_<version>-1_amd64.deb    (x86_64-unknown-linux-musl)
#   target/debian/check-csbackup_<version>-1_arm64.deb    (aarch64-unknown-linux-musl)
#   target/generate-rpm/check-csbackup-<version>-1.x86_64.rpm
#   target/generate-rpm/check-csbackup-<version>-1.aarch64.rpm
#
# The man page comes from the clap definition: tests/man_page.rs writes target/man/*.1
# (see that file for why a test does it), so the packages always carry the page of
# the very --help they ship. Neither package depends on anything: the binary needs no
# libc (scripts/static-check.sh proves it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install.sh

for tool in cargo-deb cargo-generate-rpm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "== cargo install $tool"
        cargo install --locked --quiet "$tool"
    fi
done
command -v aarch64-linux-gnu-gcc >/dev/null || {
    echo "the aarch64 binary is linked by aarch64-linux-gnu-gcc: apt-get install gcc-aarch64-linux-gnu" >&2
    exit 1
}

mkdir -p target/generate-rpm
echo "== man page from the clap definition"
cargo test --quiet --test man_page >/dev/null
[ -s target/man/check_csbackup.1 ] || { echo "target/man/check_csbackup.1 was not written" >&2; exit 1; }

# target triple and the RPM's name for its architecture
for build in x86_64-unknown-linux-musl:x86_64 aarch64-unknown-linux-musl:aarch64; do
    target=${build%%:*}
    rpm_arch=${build##*:}
    add_target "$target"
    echo "== static release build for $target"
    # Without the collector, which runs only on Windows (Cargo.toml's collector feature).
    cargo build --release --quiet --no-default-features --target "$target"
    echo "== cargo deb --target $target"
    # The binary is stripped by the release profile already.
    cargo deb --no-build --no-strip --quiet --target "$target"
    echo "== cargo generate-rpm --target $target"
    # gzip: the payload compression every rpm reads (RHEL 7's knows no zstd).
    cargo generate-rpm --target "$target" --arch "$rpm_arch" --payload-compress gzip \
        --output target/generate-rpm/
done
ls -1 target/debian/*.deb target/generate-rpm/*.rpm

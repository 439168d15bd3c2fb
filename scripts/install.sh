# Sourced by the scripts that build, check or measure (run from the repository's root):
# what they need from Debian and rustup, installed when missing.

say() { printf '== %s\n' "$*"; }

# install_missing PACKAGE...: apt-get install, as root or through sudo.
install_missing() {
    (($#)) || return 0
    say "installing $*"
    local as_root=()
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null || { echo "install as root: apt-get install $*" >&2; exit 1; }
        as_root=(sudo)
    fi
    # Another apt run (a stack test's) may hold dpkg's lock: wait for it.
    "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 \
        install -y -qq --no-install-recommends "$@" >/dev/null
}

# add_target TRIPLE: the Rust target, when rustup is there and lacks it.
add_target() {
    if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$1"; then
        rustup target add "$1"
    fi
}

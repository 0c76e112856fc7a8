#!/usr/bin/env bash
# The arm64 part of tests/vm/setup.sh (which calls it): everything tests/vm_arm64.rs needs to
# cross-build lktrace static for aarch64 and boot it on Debian 12's arm64 kernel in QEMU (TCG).
#
#   qemu-system-arm          qemu-system-aarch64 (-M virt)
#   gcc-aarch64-linux-gnu,   the linker and the static glibc for
#   libc6-dev-arm64-cross    `cargo build --target aarch64-unknown-linux-gnu` with +crt-static
#   rustup target            aarch64-unknown-linux-gnu's standard library
#   target/vm/arm64/debian12/  Debian 12's arm64 cloud kernel package, extracted
#   target/vm/arm64/busybox    Debian 12's arm64 busybox-static (bin/busybox of the package)
#
# The two arm64 packages come from a private apt state (target/vm/arm64/apt/: its own sources
# list with arch=arm64, lists and cache), so the host's apt configuration and its architectures
# are never changed. Idempotent: a second run downloads nothing. Needs root only to install.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir="$repo/target/vm/arm64"
export DEBIAN_FRONTEND=noninteractive

say() { echo "setup-arm64.sh: $*"; }
die() { say "$*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "needs root to $1; rerun with sudo"; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
have_kernel() { compgen -G "$dir/debian12/boot/vmlinuz-*" >/dev/null; }

missing=()
command -v qemu-system-aarch64 >/dev/null 2>&1 || missing+=(qemu-system-arm)
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing+=(gcc-aarch64-linux-gnu)
installed libc6-dev-arm64-cross || missing+=(libc6-dev-arm64-cross)
if ((${#missing[@]})); then
    need_root "install ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    }
    say "installed ${missing[*]}"
else
    say "qemu-system-arm, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross already installed"
fi

if command -v rustup >/dev/null 2>&1; then
    if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
        say "rustup target add aarch64-unknown-linux-gnu"
        rustup target add aarch64-unknown-linux-gnu
    fi
else
    say "no rustup: make sure the aarch64-unknown-linux-gnu standard library is installed"
fi

if have_kernel && [ -x "$dir/busybox" ]; then
    say "arm64 kernel cached in $dir/debian12 ($(cat "$dir/debian12/PACKAGE")), busybox in $dir/busybox"
    exit 0
fi

# A private apt state for arm64 (as setup.sh does for Debian 13): the host's own mirror, bookworm.
need_root "fetch the arm64 packages"
a="$dir/apt"
mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
    /etc/apt/sources.list 2>/dev/null || true)
[ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d/*.sources}"
uri=${uri%/}
case "$uri" in */debian-security) uri=${uri%-security} ;; esac
# Its security suite too, when the host has one: Debian's kernel updates land there first.
sec=$(awk '/^URIs:/{for(i=2;i<=NF;i++) if ($i ~ /-security\/?$/) {print $i; exit}}' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$sec" ] || sec=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\/.*-security\/?$/) {print $i; exit}}' \
    /etc/apt/sources.list 2>/dev/null || true)
{
    echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri bookworm main"
    [ -z "$sec" ] || echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${sec%/} bookworm-security main"
} >"$a/sources.list"
apt=(-o "Dir::Etc::sourcelist=$a/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache" -o "Dir::State::status=/dev/null"
    -o "APT::Architecture=arm64" -o "APT::Architectures::=arm64")
apt-get "${apt[@]}" update -qq

# Resolved each time: Debian moves the version on.
pkg=$(apt-cache "${apt[@]}" depends linux-image-cloud-arm64 | awk '/Depends: linux-image-/{print $2; exit}')
[ -n "$pkg" ] || die "cannot resolve linux-image-cloud-arm64 to a kernel package"
say "fetching $pkg and busybox-static (arm64)"
tmp=$(mktemp -d "$repo/target/vm/.fetch-arm64.XXXXXX")
chmod 755 "$tmp" # apt-get download runs as _apt and must write here
(cd "$tmp" && apt-get "${apt[@]}" download -qq "$pkg" busybox-static 2>&1 | grep -v unsandboxed || true)
kdeb=$(compgen -G "$tmp/${pkg}_*_arm64.deb" | head -n1 || true)
bdeb=$(compgen -G "$tmp/busybox-static_*_arm64.deb" | head -n1 || true)
[ -n "$kdeb" ] && [ -n "$bdeb" ] || { rm -rf "$tmp"; die "apt-get download produced no arm64 .deb"; }
dpkg -x "$kdeb" "$tmp/kernel"
dpkg -x "$bdeb" "$tmp/busybox"
echo "$pkg" >"$tmp/kernel/PACKAGE"
# The arm64 kernel package's vmlinuz is a plain (uncompressed) arm64 Image, which qemu -kernel
# boots as it is; were it gzip'd, decompress it in place.
v=$(compgen -G "$tmp/kernel/boot/vmlinuz-*" | head -n1 || true)
[ -n "$v" ] || { rm -rf "$tmp"; die "$pkg has no boot/vmlinuz-*"; }
if [ "$(head -c2 "$v" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
    gzip -dc "$v" >"$v.img" && mv "$v.img" "$v"
fi
rm -rf "$dir/debian12"
mkdir -p "$dir"
mv "$tmp/kernel" "$dir/debian12"
install -m 755 "$tmp/busybox/bin/busybox" "$dir/busybox"
rm -rf "$tmp"
say "$pkg extracted to $dir/debian12, busybox to $dir/busybox"

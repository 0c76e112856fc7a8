#!/usr/bin/env bash
# Prepares this machine for the real-kernel tests (tests/vm_tools.rs): installs QEMU, a static
# busybox and cpio from Debian's apt, and fetches Debian's cloud kernel into
# target/vm/debian-kernel/. Idempotent: a second run changes nothing. Run as root (only needed
# when something is missing).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache="$repo/target/vm/debian-kernel"
profiler="$repo/../shared/kernels/bzImage-6.1-profiler"
export DEBIAN_FRONTEND=noninteractive

say() { echo "setup.sh: $*"; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
installed busybox-static || missing+=(busybox-static)
command -v cpio >/dev/null 2>&1 || missing+=(cpio)
command -v xz >/dev/null 2>&1 || missing+=(xz-utils)

have_kernel() { compgen -G "$cache/boot/vmlinuz-*" >/dev/null; }

if ((${#missing[@]})) || ! have_kernel; then
    if [ "$(id -u)" != 0 ]; then
        say "needs root to install ${missing[*]:-} / fetch the Debian kernel; rerun with sudo" >&2
        exit 1
    fi
    apt-get update -qq
fi

if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    say "qemu-system-x86, busybox-static, cpio, xz already installed"
fi

if have_kernel; then
    say "Debian kernel already in $cache ($(cat "$cache/PACKAGE" 2>/dev/null || echo '?'))"
else
    # Resolve the package each time: Debian moves the version on.
    pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
    if [ -z "$pkg" ]; then
        say "cannot resolve linux-image-cloud-amd64 to a kernel package" >&2
        exit 1
    fi
    say "fetching $pkg"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    chmod 755 "$tmp"
    (cd "$tmp" && apt-get download -qq "$pkg" 2>&1 | grep -v 'unsandboxed' || true)
    deb=$(compgen -G "$tmp/${pkg}_*.deb" | head -n1 || true)
    if [ -z "$deb" ]; then
        say "apt-get download $pkg produced no .deb" >&2
        exit 1
    fi
    dpkg -x "$deb" "$tmp/kernel"
    echo "$pkg" > "$tmp/kernel/PACKAGE"
    mkdir -p "$(dirname "$cache")"
    rm -rf "$cache"
    mv "$tmp/kernel" "$cache"
    say "Debian kernel extracted to $cache"
fi
ls "$cache"/boot/vmlinuz-* >/dev/null

if [ -f "$profiler" ]; then
    say "profiler kernel: $(cd "$(dirname "$profiler")" && pwd)/$(basename "$profiler")"
else
    say "no profiler kernel at $profiler: its tests will be skipped" \
        "(../shared/kernels/build-kernel.sh builds it)"
fi

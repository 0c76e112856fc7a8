#!/usr/bin/env bash
# Prepares this machine for the real-kernel suite (tests/vm_tools.rs, tests/vm_remote.rs) and
# caches every kernel it boots under target/vm/:
#
#   target/vm/debian12/   Debian 12's cloud kernel package (6.1), extracted
#   target/vm/debian13/   Debian 13's cloud kernel package (6.12), fetched with a private apt state
#                         (target/vm/apt13/) so the host's apt configuration is never changed
#   target/vm/profiler/   the 6.1 kernel with the function profiler: ../shared/kernels' image
#                         when it exists, else built by tests/vm/build-profiler-kernel.sh
#   target/vm/arm64/      Debian 12's arm64 cloud kernel and an arm64 busybox, with QEMU's
#                         aarch64 system emulator and the aarch64 cross linker: see
#                         tests/vm/setup-arm64.sh, which this calls (for tests/vm_arm64.rs)
#
# Installs qemu-system-x86, busybox-static, cpio and xz-utils from apt when missing (and zsh,
# fish, bash-completion and groff-base for the completion and man page tests). Idempotent:
# a second run downloads and builds nothing. Needs root only when something is missing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
vm="$repo/target/vm"
shared_profiler="$repo/../shared/kernels/bzImage-6.1-profiler"
export DEBIAN_FRONTEND=noninteractive

say() { echo "setup.sh: $*"; }
die() { say "$*" >&2; exit 1; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
have_vmlinuz() { compgen -G "$1/boot/vmlinuz-*" >/dev/null; }
need_root() { [ "$(id -u)" = 0 ] || die "needs root to $1; rerun with sudo"; }

missing=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
installed busybox-static || missing+=(busybox-static)
command -v cpio >/dev/null 2>&1 || missing+=(cpio)
command -v xz >/dev/null 2>&1 || missing+=(xz-utils)
# Not for the kernels: tests/completions.rs loads the completions into real shells, and
# tests/generated.rs renders the man pages with groff.
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
command -v fish >/dev/null 2>&1 || missing+=(fish)
[ -e /etc/bash_completion ] || missing+=(bash-completion)
command -v groff >/dev/null 2>&1 || missing+=(groff-base)

updated=
apt_update() {
    [ -n "$updated" ] && return
    need_root "run apt-get update"
    apt-get update -qq
    updated=1
}

if ((${#missing[@]})); then
    need_root "install ${missing[*]}"
    apt_update
    say "installing ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "qemu-system-x86, busybox-static, cpio, xz-utils already installed"
fi

# fetch_kernel DEST [APT OPTIONS...]: downloads the package linux-image-cloud-amd64 depends on
# (resolved each time: Debian moves the version on) and extracts it into DEST.
fetch_kernel() {
    local dest=$1
    shift
    local pkg
    pkg=$(apt-cache "$@" depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
    [ -n "$pkg" ] || die "cannot resolve linux-image-cloud-amd64 to a kernel package"
    say "fetching $pkg"
    local tmp
    tmp=$(mktemp -d "$vm/.fetch.XXXXXX")
    chmod 755 "$tmp" # apt-get download runs as _apt and must write here
    (cd "$tmp" && apt-get "$@" download -qq "$pkg" 2>&1 | grep -v unsandboxed || true)
    local deb
    deb=$(compgen -G "$tmp/${pkg}_*.deb" | head -n1 || true)
    [ -n "$deb" ] || { rm -rf "$tmp"; die "apt-get download $pkg produced no .deb"; }
    dpkg -x "$deb" "$tmp/kernel"
    echo "$pkg" >"$tmp/kernel/PACKAGE"
    rm -rf "$dest"
    mv "$tmp/kernel" "$dest"
    rm -rf "$tmp"
    have_vmlinuz "$dest" || die "$pkg has no boot/vmlinuz-*"
    say "$pkg extracted to $dest"
}

mkdir -p "$vm"

# 1. Debian 12's cloud kernel, from the host's own apt sources (this is a Debian 12 machine).
if have_vmlinuz "$vm/debian12"; then
    say "Debian 12 kernel cached in $vm/debian12 ($(cat "$vm/debian12/PACKAGE"))"
else
    apt_update
    fetch_kernel "$vm/debian12"
fi

# 2. Debian 13's cloud kernel, with a private apt state: its own sources list, lists and cache
# under target/vm/apt13, passed with -o Dir::... so /etc/apt and /var/lib/apt stay as they are.
if have_vmlinuz "$vm/debian13"; then
    say "Debian 13 kernel cached in $vm/debian13 ($(cat "$vm/debian13/PACKAGE"))"
else
    need_root "fetch Debian 13's kernel"
    a="$vm/apt13"
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
    # The same Debian mirror the host's apt already uses (deb822 or one-line format).
    uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
        /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d/*.sources}"
    uri=${uri%/}
    case "$uri" in */debian-security) uri=${uri%-security} ;; esac
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main" >"$a/sources.list"
    apt13=(-o "Dir::Etc::sourcelist=$a/sources.list" -o "Dir::Etc::sourceparts=-"
        -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache" -o "Dir::State::status=/dev/null")
    apt-get "${apt13[@]}" update -qq
    fetch_kernel "$vm/debian13" "${apt13[@]}"
fi

# 3. The profiler kernel: CI has ../shared beside the clone; a user's clone builds it once.
prof="$vm/profiler/bzImage-6.1-profiler"
if [ -f "$shared_profiler" ]; then
    mkdir -p "$vm/profiler"
    if ! cmp -s "$shared_profiler" "$prof"; then
        cp "$shared_profiler" "$prof.tmp" && mv "$prof.tmp" "$prof"
    fi
    echo "copied from $(cd "$(dirname "$shared_profiler")" && pwd)" >"$vm/profiler/SOURCE"
    say "profiler kernel: $prof (from ../shared/kernels)"
elif [ -f "$prof" ]; then
    say "profiler kernel cached in $prof ($(cat "$vm/profiler/SOURCE" 2>/dev/null || echo built))"
else
    apt_update
    say "no ../shared/kernels: building the profiler kernel from Debian's linux-source-6.1"
    "$repo/tests/vm/build-profiler-kernel.sh" "$vm/profiler"
fi
say "kernels ready: debian12 ($(cat "$vm/debian12/PACKAGE")), debian13 ($(cat "$vm/debian13/PACKAGE")), profiler"

# 4. arm64: qemu-system-aarch64, the cross linker and static glibc, Debian 12's arm64 kernel.
"$repo/tests/vm/setup-arm64.sh"

# promtool for tests/openmetrics.rs (extracted from Debian's package, not installed).
if [ ! -x "$repo/target/tools/prometheus/usr/bin/promtool" ]; then
    apt-cache show prometheus >/dev/null 2>&1 || apt_update
    "$repo/tests/tools/fetch-promtool.sh"
fi

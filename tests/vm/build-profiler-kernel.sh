#!/usr/bin/env bash
# Builds the "profiler kernel" of the real-kernel suite: Linux 6.1 from Debian's linux-source-6.1
# with tests/vm/config-6.1-profiler (tinyconfig plus the function profiler, kprobes, kretprobes,
# uprobes, hist triggers, synthetic events, the function and function_graph tracers, syscall
# tracepoints, ACPI and virtio-net built in: no modules needed). The config pins every option;
# `make olddefconfig` only fills in what a newer 6.1 point release added.
#
# usage: build-profiler-kernel.sh OUTDIR   ->  OUTDIR/bzImage-6.1-profiler, OUTDIR/config,
#                                              OUTDIR/SOURCE (the source package it came from)
#
# About 5-10 minutes on 2 cores, once: tests/vm/setup.sh calls it only when neither
# ../shared/kernels/bzImage-6.1-profiler nor a cached OUTDIR/bzImage-6.1-profiler exists.
# Needs root only to install the build packages when they are missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: build-profiler-kernel.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
say() { echo "build-profiler-kernel.sh: $*"; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
need=()
for p in make gcc flex bison bc libelf-dev libssl-dev xz-utils; do
    installed "$p" || need+=("$p")
done
if ((${#need[@]})); then
    if [ "$(id -u)" != 0 ]; then
        say "needs root to install ${need[*]}; rerun with sudo" >&2
        exit 1
    fi
    say "installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lktrace-kernel.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # apt-get download runs as _apt and must write here
cd "$work"
apt-get download -qq linux-source-6.1 2>&1 | grep -v unsandboxed || true
deb=$(compgen -G "linux-source-6.1_*.deb" | head -n1 || true)
if [ -z "$deb" ]; then
    say "apt-get download linux-source-6.1 produced no .deb (is 'apt-get update' done?)" >&2
    exit 1
fi
say "building Linux from $deb: about 5-10 minutes on 2 cores, once (cached in $out)"
start=$SECONDS
dpkg -x "$deb" x
tar xf x/usr/src/linux-source-6.1.tar.xz
cd linux-source-6.1
cp "$here/config-6.1-profiler" .config
make -s olddefconfig
# The options the suite depends on must have survived olddefconfig.
for opt in FUNCTION_PROFILER KPROBE_EVENTS UPROBE_EVENTS HIST_TRIGGERS SYNTH_EVENTS \
    FUNCTION_GRAPH_TRACER FTRACE_SYSCALLS VIRTIO_NET ACPI; do
    grep -q "^CONFIG_$opt=y" .config || { say "CONFIG_$opt is not set after olddefconfig" >&2; exit 1; }
done
jobs=$(nproc)
# Progress on the console every minute: a silent 10-minute step reads as a hang.
(while sleep 60; do say "still building ($(((SECONDS - start) / 60)) min)"; done) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true; rm -rf "$work"' EXIT
make -s -j"$jobs" bzImage
kill $ticker 2>/dev/null || true
cp arch/x86/boot/bzImage "$out/bzImage-6.1-profiler.tmp"
cp .config "$out/config"
echo "${deb%.deb}" >"$out/SOURCE"
mv "$out/bzImage-6.1-profiler.tmp" "$out/bzImage-6.1-profiler"
say "built $out/bzImage-6.1-profiler in $((SECONDS - start)) s"

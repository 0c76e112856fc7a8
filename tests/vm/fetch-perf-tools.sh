#!/usr/bin/env bash
# Fetches perf-tools (Debian's perf-tools-unstable: funccount-perf, kprobe-perf, ...) and a static
# bash for the guest into target/vm/perf-tools/, for benches/vm_overhead.rs to run beside
# lktrace in the same guest. Nothing is installed on the host and nothing is committed.
# Idempotent; needs apt's lists (`apt-get update`) once.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dest="$repo/target/vm/perf-tools"
if [ -x "$dest/usr/sbin/funccount-perf" ] && [ -x "$dest/bin/bash-static" ]; then
    echo "fetch-perf-tools.sh: cached in $dest"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt-get download runs as _apt and must write here
(cd "$tmp" && apt-get download -qq perf-tools-unstable bash-static 2>&1 | grep -v unsandboxed || true)
for deb in "$tmp"/perf-tools-unstable_*.deb "$tmp"/bash-static_*.deb; do
    [ -f "$deb" ] || { echo "fetch-perf-tools.sh: apt-get download produced no $deb" >&2; exit 1; }
    dpkg -x "$deb" "$tmp/x"
done
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$tmp/x" "$dest"
echo "fetch-perf-tools.sh: perf-tools and bash-static in $dest"

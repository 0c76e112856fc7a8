#!/usr/bin/env bash
# Fetches promtool (from Debian's prometheus package) into target/tools/prometheus/, for
# tests/openmetrics.rs to check `--format openmetrics` with `promtool check metrics`. Nothing is
# installed on the host (the package's service is never set up) and nothing is committed.
# Idempotent; needs apt's lists (`apt-get update`) once.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dest="$repo/target/tools/prometheus"
if [ -x "$dest/usr/bin/promtool" ]; then
    echo "fetch-promtool.sh: cached in $dest"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt-get download runs as _apt and must write here
(cd "$tmp" && apt-get download -qq prometheus 2>&1 | grep -v unsandboxed || true)
deb=$(compgen -G "$tmp/prometheus_*.deb" | head -n1 || true)
[ -n "$deb" ] || { echo "fetch-promtool.sh: apt-get download produced no prometheus_*.deb" >&2; exit 1; }
dpkg -x "$deb" "$tmp/x"
[ -x "$tmp/x/usr/bin/promtool" ] || { echo "fetch-promtool.sh: no usr/bin/promtool in $deb" >&2; exit 1; }
mkdir -p "$dest/usr/bin"
mv "$tmp/x/usr/bin/promtool" "$dest/usr/bin/promtool"
echo "fetch-promtool.sh: promtool in $dest/usr/bin"

#!/bin/sh
# Installs lktrace where sudo and man find it: the binaries in PREFIX/bin, the man pages in
# PREFIX/share/man (section 8 for the perf-tools tools, 1 for the rest), and the bash, zsh and
# fish completions where those shells look under PREFIX/share.
#
#   sudo ./install.sh                  # PREFIX=/usr/local: builds and installs everything
#   ./install.sh --prefix ~/.local     # no root needed (but sudo will not find ~/.local/bin)
#   ./install.sh --no-build --prefix P # man pages and completions only
set -eu
cd "$(dirname "$0")"

prefix=/usr/local
build=1
while [ $# -gt 0 ]; do
    case $1 in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }
              prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --no-build) build=; shift ;;
    -h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done

if [ -n "$build" ]; then
    cargo install --locked --path . --root "$prefix"
fi

put() { # put MODE FILE DEST
    mkdir -p "$(dirname "$3")"
    cp "$2" "$3"
    chmod "$1" "$3"
}

for page in man/*.[18]; do
    section=${page##*.}
    put 644 "$page" "$prefix/share/man/man$section/$(basename "$page")"
done
for f in completions/*.bash; do
    name=$(basename "$f" .bash)
    put 644 "$f" "$prefix/share/bash-completion/completions/$name"
done
for f in completions/*.zsh; do
    name=$(basename "$f" .zsh)
    put 644 "$f" "$prefix/share/zsh/site-functions/_$name"
done
for f in completions/*.fish; do
    put 644 "$f" "$prefix/share/fish/vendor_completions.d/$(basename "$f")"
done
echo "install.sh: installed into $prefix (man pages: man 8 funccount; completions for bash, zsh, fish)"

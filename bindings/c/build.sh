#!/usr/bin/env bash
# Builds the libgossip C libraries and installs them with the header:
#
#   ./build.sh [PREFIX]      # default PREFIX: ./build
#
# PREFIX/include/libgossip.h   the hand-written, documented header
# PREFIX/lib/libgossip.so      shared library  (-buildmode=c-shared)
# PREFIX/lib/libgossip.a       static library  (-buildmode=c-archive)
#
# Link with: cc app.c -IPREFIX/include -LPREFIX/lib -lgossip
#   (static: cc app.c -IPREFIX/include PREFIX/lib/libgossip.a -lpthread)
set -euo pipefail
cd "$(dirname "$0")"
prefix=${1:-build}
mkdir -p "$prefix/include" "$prefix/lib"
prefix=$(cd "$prefix" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -buildmode=c-shared -o "$tmp/libgossip.so" .
go build -buildmode=c-archive -o "$tmp/libgossip.a" .
# cgo also writes a generated header next to each library; the installed
# header is the hand-written include/libgossip.h (the build checks that the
# two agree: the package's preamble includes it).
install -m 0755 "$tmp/libgossip.so" "$prefix/lib/libgossip.so"
install -m 0644 "$tmp/libgossip.a" "$prefix/lib/libgossip.a"
install -m 0644 include/libgossip.h "$prefix/include/libgossip.h"
echo "installed libgossip into $prefix"

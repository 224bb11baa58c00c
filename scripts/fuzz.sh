#!/usr/bin/env bash
# Runs every fuzz target of every workspace module for FUZZTIME (default 5s).
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-5s}
mods=$(go work edit -json | sed -n 's/.*"DiskPath": "\.\/\(.*\)".*/\1/p')
for m in $mods; do
  (cd "$m"
   for pkg in $(go list ./...); do
     dir=$(go list -f '{{.Dir}}' "$pkg")
     for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //' | sort -u); do
       echo "=== fuzz $pkg $f ($t)"
       go test -run='^$' -fuzz="^$f\$" -fuzztime="$t" "$pkg"
     done
   done)
done

#!/usr/bin/env bash
# go vet, gofmt and staticcheck over every workspace module.
set -euo pipefail
cd "$(dirname "$0")/.."
sc=$(go env GOPATH)/bin/staticcheck
[ -x "$sc" ] || go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
bad=$(gofmt -l $(git ls-files '*.go'))
[ -z "$bad" ] || { echo "gofmt needed: $bad"; exit 1; }
mods=$(go work edit -json | sed -n 's/.*"DiskPath": "\.\/\(.*\)".*/\1/p')
for m in $mods; do
  echo "=== $m"
  (cd "$m" && go vet ./... && "$sc" ./...)
done
echo "=== scripts"
for f in $(git ls-files 'scripts/*.go'); do
  GOWORK=off go vet "$f"
  GOWORK=off "$sc" "$f"
done

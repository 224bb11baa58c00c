#!/usr/bin/env bash
# Checks that the modules are usable as dependencies by a program outside
# this repository, the way the README says:
#
#  1. every go.mod requires its sibling modules at one real version (not
#     v0.0.0; the replace lines beside them only serve builds inside this
#     checkout and are ignored when the module is a dependency);
#  2. it publishes this checkout's modules at that version into a file://
#     module proxy (scripts/modproxy: .info, .mod and .zip per module, the
#     layout of a real proxy), with the Go module cache's own download
#     directory behind it for third-party modules, so nothing goes online;
#  3. in a temporary module outside the workspace (GOWORK=off, an empty
#     module cache) it runs the README's commands (`go get` of gossip and
#     net) and builds the README's Go quick start.
#
# Run by scripts/test.sh; alone: ./scripts/check-quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
prefix=github.com/libgossip/libgossip

# 1. sibling requires: one version, not v0.0.0
versions=$(grep -h "^[[:space:]]*\(require[[:space:]]\+\)\?$prefix/[a-z/]* v" $(git ls-files '*go.mod') |
  sed "s#.*$prefix/[a-z/]* \(v[^ ]*\).*#\1#" | sort -u)
if [ "$(echo "$versions" | wc -l)" -ne 1 ] || [ -z "$versions" ] || [ "$versions" = v0.0.0 ]; then
  echo "check-quickstart: sibling modules must all be required at one released version, found:" >&2
  grep -n "$prefix/[a-z/]* v" $(git ls-files '*go.mod') | grep -v "=>" >&2
  exit 1
fi
version=$versions

tmp=$(mktemp -d)
cleanup() { chmod -R u+w "$tmp" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

# 2. the proxy: every module of the workspace
mods=$(go work edit -json | sed -n 's/.*"DiskPath": "\.\/\(.*\)".*/\1/p')
(cd "$root" && GOWORK=off go run scripts/modproxy/main.go -version "$version" -out "$tmp/proxy" $mods) >/dev/null
cache=$(go env GOMODCACHE)

# 3. the README's quick start, in a module of its own
mkdir -p "$tmp/app"
awk '/^## Quick start in Go/{q=1} q&&/^```go$/{p=1; next} p&&/^```$/{exit} p{print}' README.md >"$tmp/snippet.go"
if ! grep -q "gossip.New" "$tmp/snippet.go"; then
  echo "check-quickstart: no Go code block found under '## Quick start in Go' in README.md" >&2
  exit 1
fi
{
  echo "package main"
  echo
  cat "$tmp/snippet.go"
  echo
  echo "func main() { _ = run }"
} >"$tmp/app/main.go"
cd "$tmp/app"
export GOWORK=off GOFLAGS=-mod=mod GOSUMDB=off GONOSUMDB='*' GOPRIVATE='' \
  GOPROXY="file://$tmp/proxy,file://$cache/cache/download" GOMODCACHE="$tmp/modcache" \
  GOTOOLCHAIN=local
go mod init example.com/quickstart >/dev/null 2>&1
# the README's commands
go get "$prefix/gossip@$version" "$prefix/net@$version" >/dev/null 2>&1 || {
  go get "$prefix/gossip@$version" "$prefix/net@$version"
  exit 1
}
go build -o /dev/null .
echo "check-quickstart: the README's quick start builds outside the workspace against $prefix/{gossip,net}@$version"

#!/usr/bin/env bash
# Cross-builds, run by scripts/test.sh:
#   - every pure-Go module of the workspace (`go build ./...`, CGO_ENABLED=0)
#     for linux/arm64, linux/riscv64, darwin/arm64 and windows/amd64;
#     bindings/c is skipped: it is cgo by nature (a C shared library);
#   - the gossip module for js/wasm and wasip1/wasm: the whole module
#     (core, wire, the runtime Node, memnet, the simulator), so the pure
#     core and the codec stay WebAssembly-clean.
# Only builds: no binary is kept and nothing runs.
#
# Known gaps of third-party modules, per target: a package that imports
# one of them (directly or not) is skipped on that target and named in the
# output, every other package is built.
#   linux/riscv64: github.com/boltdb/bolt v1.3.1 (imported by
#     hashicorp/raft-boltdb/v2, so cluster/raft) has no riscv64 support.
set -uo pipefail
cd "$(dirname "$0")/.."
mods=$(go work edit -json | sed -n 's/.*"DiskPath": "\.\/\(.*\)".*/\1/p')
fail=0
known_gaps() { # target -> module paths that do not build for it
  case $1 in
  linux/riscv64) echo github.com/boltdb/bolt ;;
  esac
}
build() { # target dir packages...
  local target=$1 dir=$2
  shift 2
  local gaps
  gaps=$(known_gaps "$target")
  if [ -n "$gaps" ]; then
    local keep=() p deps
    while IFS=' ' read -r p deps; do
      if grep -qxF "$gaps" <<<"${deps// /$'\n'}"; then
        echo "cross-build $target: skipped $p (imports $gaps, which does not build for $target)"
      else
        keep+=("$p")
      fi
    done < <(cd "$dir" && GOOS=${target%/*} GOARCH=${target#*/} go list -f '{{.ImportPath}} {{join .Deps " "}}' "$@")
    set -- "${keep[@]}"
    [ $# -gt 0 ] || return 0
  fi
  if ! out=$(cd "$dir" && CGO_ENABLED=0 GOOS=${target%/*} GOARCH=${target#*/} go build "$@" 2>&1); then
    echo "cross-build $target $dir: FAILED"
    echo "$out"
    fail=1
  fi
}
for target in linux/arm64 linux/riscv64 darwin/arm64 windows/amd64; do
  for m in $mods; do
    case $m in bindings/c) continue ;; esac
    build "$target" "$m" ./...
  done
  echo "cross-build $target: done"
done
for target in js/wasm wasip1/wasm; do
  build "$target" gossip ./...
  echo "cross-build $target (gossip): done"
done
exit $fail

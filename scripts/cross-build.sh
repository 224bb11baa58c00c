#!/usr/bin/env bash
# Cross-builds, run by scripts/test.sh:
#   - every pure-Go module of the workspace (all its packages, CGO_ENABLED=0)
#     for linux/arm64, linux/riscv64, darwin/arm64 and windows/amd64;
#     bindings/c is skipped: it is cgo by nature (a C shared library);
#   - the gossip module for js/wasm and wasip1/wasm: the whole module
#     (core, wire, the runtime Node, memnet, the simulator), so the pure
#     core and the codec stay WebAssembly-clean.
# Only builds: no binary is kept and nothing runs. One go build per target,
# over the packages of every module at once (workspace mode).
#
# Known gaps of third-party modules, per target: a package that imports
# one of them (directly or not) is skipped on that target and named in the
# output; every other package is built.
#   linux/riscv64: github.com/boltdb/bolt v1.3.1 (imported by
#     hashicorp/raft-boltdb/v2, so cluster/raft) has no riscv64 support.
set -uo pipefail
cd "$(dirname "$0")/.."
mods=$(go work edit -json | sed -n 's/.*"DiskPath": "\.\/\(.*\)".*/\1/p')
pure=()
for m in $mods; do
  case $m in bindings/c) continue ;; esac
  pure+=("./$m/...")
done
fail=0
known_gaps() { # target -> a module path that does not build for it
  case $1 in
  linux/riscv64) echo github.com/boltdb/bolt ;;
  esac
}
build() { # target packages...
  local target=$1
  shift
  local env=(CGO_ENABLED=0 GOOS=${target%/*} GOARCH=${target#*/})
  local gap
  gap=$(known_gaps "$target")
  if [ -n "$gap" ]; then
    local keep=() p deps
    while IFS=' ' read -r p deps; do
      if grep -qxF "$gap" <<<"${deps// /$'\n'}"; then
        echo "cross-build $target: skipped $p (imports $gap, which does not build for $target)"
      else
        keep+=("$p")
      fi
    done < <(env "${env[@]}" go list -f '{{.ImportPath}} {{join .Deps " "}}' "$@")
    set -- "${keep[@]}"
  fi
  if ! out=$(env "${env[@]}" go build "$@" 2>&1); then
    echo "cross-build $target: FAILED"
    echo "$out"
    fail=1
    return
  fi
  echo "cross-build $target: ok"
}
for target in linux/arm64 linux/riscv64 darwin/arm64 windows/amd64; do
  build "$target" "${pure[@]}"
done
for target in js/wasm wasip1/wasm; do
  build "$target" ./gossip/...
done
exit $fail

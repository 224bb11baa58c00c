#!/usr/bin/env bash
# Runs every workspace module's tests with the race detector, prints a
# coverage summary per module (with the seconds each pass took), and fails
# if a module falls below the minimum in its .covermin file. A module may
# add checks of its own in an executable test-extra.sh (run from the module
# directory), such as the runs too slow under -race to be worth it there. Then the
# repository-wide checks: cross-builds (scripts/cross-build.sh) and the
# README's quick start built outside the workspace against the modules
# published at their version (scripts/check-quickstart.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
mods=$(go work edit -json | sed -n 's/.*"DiskPath": "\.\/\(.*\)".*/\1/p')
fail=0
summary=""
for m in $mods; do
  echo "=== $m"
  start=$(date +%s)
  prof=$(mktemp)
  if ! (cd "$m" && go test -race -count=1 -timeout 12m -coverpkg=./... -coverprofile="$prof" ./...); then
    fail=1
  fi
  total=$(cd "$m" && go tool cover -func="$prof" 2>/dev/null | tail -1 | awk '{print $3}' | tr -d '%')
  rm -f "$prof"
  min=$(cat "$m/.covermin" 2>/dev/null || echo 0)
  line="coverage $m: ${total:-?}% (minimum ${min}%), race pass $(( $(date +%s) - start ))s"
  if [ -n "$total" ] && awk -v t="$total" -v m="$min" 'BEGIN{exit !(t < m)}'; then
    line="$line  BELOW MINIMUM"
    fail=1
  fi
  summary="$summary$line"$'\n'
  if [ -x "$m/test-extra.sh" ]; then
    echo "=== $m/test-extra.sh"
    start=$(date +%s)
    (cd "$m" && ./test-extra.sh) || fail=1
    summary="$summary  $m/test-extra.sh $(( $(date +%s) - start ))s"$'\n'
  fi
done
echo "=== scripts/cross-build.sh"
./scripts/cross-build.sh || fail=1
echo "=== scripts/check-quickstart.sh"
./scripts/check-quickstart.sh || fail=1
echo
printf '%s' "$summary"
exit $fail

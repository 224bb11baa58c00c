#!/usr/bin/env bash
# compare-builds.sh: two builds of libgossip-cache side by side, for
# changes too small to see across make bench-cache runs on a noisy
# machine. For each build it starts one node and a 3-node cluster
# (R=2, W=2, every node -procs 1, as make bench-cache does), all at once
# on different ports (the clusters' members named alike, c0, c1 and c2,
# so that a key has the same owner in both), then runs redis-benchmark through each build in
# turn, round after round, in alternating order (the build measured
# second often fares differently), and prints each round's figures and
# the ratio of build B to build A, with the median ratio at the end.
#
#   apps/cache/scripts/compare-builds.sh A_REV B_REV
#   ROUNDS=6 TEST=set PIPELINE=16 N=1000000 KEYSPACE= apps/cache/scripts/compare-builds.sh main HEAD
#   A_ARGS=-sysmon-awake=false apps/cache/scripts/compare-builds.sh . .
#
# A revision is anything git rev-parse takes; "." is the working tree.
# A_ARGS and B_ARGS add flags to every node of build A or B, so one
# build can be compared with itself under different flags.
set -euo pipefail
cd "$(dirname "$0")/../../.."
[ $# -eq 2 ] || { echo "usage: $0 A_REV B_REV"; exit 2; }
ROUNDS=${ROUNDS:-6}
TEST=${TEST:-set}
PIPELINE=${PIPELINE:-16}
N=${N:-1000000}
KEYSPACE=${KEYSPACE:-}
A_ARGS=${A_ARGS:-}
B_ARGS=${B_ARGS:-}
for tool in redis-cli redis-benchmark; do
  command -v $tool >/dev/null || { echo "compare-builds: $tool not found (apt-get install redis-tools)"; exit 1; }
done
tmp=$(mktemp -d)
pids=()
trees=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for t in "${trees[@]}"; do git worktree remove --force "$t" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

build() { # rev out
  local src=.
  if [ "$1" != . ]; then
    src="$tmp/tree-$(basename "$2")"
    git worktree add --detach -q "$src" "$1"
    trees+=("$src")
  fi
  (cd "$src/apps/cache" && CGO_ENABLED=0 go build -o "$2" ./cmd/libgossip-cache)
}
build "$1" "$tmp/a"
build "$2" "$tmp/b"

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
waitport() { for _ in $(seq 200); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "port $1 never answered"; exit 1; }
start() { # bin name resp gossip [join]: member id ${name#*-}, so that both
  # clusters have the same ids, hence the same key owners
  local args=(-id "${2#*-}" -procs 1 -resp "127.0.0.1:$3" -gossip "127.0.0.1:$4" -preset local -log-level error -secret compare)
  [ -n "${5:-}" ] && args+=(-join "127.0.0.1:$5")
  local extra=$A_ARGS; [ "${2%%-*}" = b ] && extra=$B_ARGS
  # shellcheck disable=SC2086 # extra: flags split at spaces
  "$1" "${args[@]}" $extra > "$tmp/$2.out" 2> "$tmp/$2.log" &
  pids+=($!)
  waitport "$3"
}
declare -A one clu
for b in a b; do
  one[$b]=$(freeport); start "$tmp/$b" "$b-one" "${one[$b]}" "$(freeport)"
  clu[$b]=$(freeport); g=$(freeport); start "$tmp/$b" "$b-c0" "${clu[$b]}" "$g"
  start "$tmp/$b" "$b-c1" "$(freeport)" "$(freeport)" "$g"
  start "$tmp/$b" "$b-c2" "$(freeport)" "$(freeport)" "$g"
done
for b in a b; do
  for _ in $(seq 600); do
    info=$(redis-cli -p "${clu[$b]}" info cluster)
    echo "$info" | grep -q "libgossip_members:c0,c1,c2" && echo "$info" | grep -q 'libgossip_settling:0' && break
    sleep 0.1
  done
  redis-cli -p "${clu[$b]}" info cluster | grep -q 'libgossip_settling:0' || { echo "cluster $b did not settle"; exit 1; }
done

rps() {
  local r=()
  [ -n "$KEYSPACE" ] && r=(-r "$KEYSPACE")
  redis-benchmark -p "$1" -t "$TEST" -n "$N" -c 50 -P "$PIPELINE" "${r[@]}" -q 2>/dev/null | tr '\r' '\n' |
    sed -n 's/^[A-Z]*: \([0-9.]*\) requests per second.*/\1/p' | tail -1
}
# Reads should find the keys: every target gets the keys written first.
for b in a b; do
  for p in "${one[$b]}" "${clu[$b]}"; do
    redis-benchmark -p "$p" -t set -n 100000 -c 50 -P 16 ${KEYSPACE:+-r "$KEYSPACE"} -q >/dev/null 2>&1
  done
done
echo "A = $1${A_ARGS:+ ($A_ARGS)}, B = $2${B_ARGS:+ ($B_ARGS)}; redis-benchmark -t $TEST -n $N -c 50 -P $PIPELINE${KEYSPACE:+ -r $KEYSPACE}; $ROUNDS rounds"
onesr=(); clusr=()
for r in $(seq "$ROUNDS"); do
  order="a b"; [ $((r % 2)) -eq 0 ] && order="b a"
  declare -A o=() c=()
  for b in $order; do o[$b]=$(rps "${one[$b]}"); c[$b]=$(rps "${clu[$b]}"); done
  awk -v r="$r" -v oa="${o[a]}" -v ca="${c[a]}" -v ob="${o[b]}" -v cb="${c[b]}" -v first="${order%% *}" 'BEGIN {
    printf "round %d (%s first): A one %.0f cluster %.0f | B one %.0f cluster %.0f | B/A one %.3f cluster %.3f\n", r, toupper(first), oa, ca, ob, cb, ob/oa, cb/ca }'
  onesr+=("$(awk -v x="${o[b]}" -v y="${o[a]}" 'BEGIN{printf "%.3f", x/y}')")
  clusr+=("$(awk -v x="${c[b]}" -v y="${c[a]}" 'BEGIN{printf "%.3f", x/y}')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "median B/A: one node $(median "${onesr[@]}"), cluster $(median "${clusr[@]}")"

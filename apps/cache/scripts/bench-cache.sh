#!/usr/bin/env bash
# make bench-cache: redis-benchmark against (a) redis-server, (b) one
# libgossip-cache node, (c) a 3-node libgossip-cache cluster (R=2, W=2)
# through one node, in the same run, with and without pipelining; writes
# the table and ratios between the markers of BENCHMARKS.md's cache
# section (appending the section if absent).
#
# The one node runs with -procs 1 (GOMAXPROCS=1), single-threaded like
# redis-server: on a small machine a node spread over every CPU takes
# them from redis-benchmark, which runs on the same machine. For the same
# reason each cluster node gets its share of the CPUs redis-benchmark
# leaves, (nproc - 1) / 3 and at least 1, unless CLUSTER_PROCS is set
# (0: the runtime's default, every CPU). Three nodes each scheduling
# over every CPU of a small machine spend their CPU waking idle threads
# to run goroutines handed work (on 2 CPUs: 1.85 us of node CPU per SET
# through the cluster at -P 16 with every CPU, 1.45 us with one each).
#
# Each figure is the median of RUNS rounds (default 3); a round measures
# redis-server, the one node and the cluster one after another, so the
# three share the machine's state of the moment. Besides the ratio of the
# medians, the table gives the one node / redis-server and cluster / one
# node ratios of each round (the paired figures, less sensitive to the
# machine's drift between rounds).
# Besides redis-benchmark's default single key, the pipelined run is also
# made with random keys (-r KEYSPACE, default 100000), which spread the
# requests over every owner.
#
#   N=1000000 CLIENTS=50 PIPELINE=16 RUNS=3 SINGLE_PROCS=1 CLUSTER_PROCS= apps/cache/scripts/bench-cache.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
N=${N:-1000000}
CLIENTS=${CLIENTS:-50}
PIPELINE=${PIPELINE:-16}
OUT=${OUT:-BENCHMARKS.md}
SINGLE_PROCS=${SINGLE_PROCS:-1}
CLUSTER_PROCS=${CLUSTER_PROCS:-$(( $(nproc) > 4 ? ($(nproc) - 1) / 3 : 1 ))}
RUNS=${RUNS:-3}
KEYSPACE=${KEYSPACE:-100000}
for tool in redis-server redis-benchmark; do
  command -v $tool >/dev/null || { echo "bench-cache: $tool not found (apt-get install redis-server redis-tools)"; exit 1; }
done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p out
(cd apps/cache && CGO_ENABLED=0 go build -o ../../out/libgossip-cache ./cmd/libgossip-cache)
bin=out/libgossip-cache
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
waitport() { for _ in $(seq 200); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "port $1 never answered"; exit 1; }

rport=$(freeport)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --logfile "$tmp/redis.log" &
pids+=($!)
waitport "$rport"

start() { # name procs resp gossip [join]
  local args=(-id "$1" -procs "$2" -resp "127.0.0.1:$3" -gossip "127.0.0.1:$4" -preset local -log-level error -secret bench)
  [ -n "${5:-}" ] && args+=(-join "127.0.0.1:$5")
  "$bin" "${args[@]}" > "$tmp/$1.out" 2> "$tmp/$1.log" &
  pids+=($!)
  waitport "$3"
}
one=$(freeport); start single "$SINGLE_PROCS" "$one" "$(freeport)"
c0=$(freeport); g0=$(freeport); start c0 "$CLUSTER_PROCS" "$c0" "$g0"
c1=$(freeport); start c1 "$CLUSTER_PROCS" "$c1" "$(freeport)" "$g0"
c2=$(freeport); start c2 "$CLUSTER_PROCS" "$c2" "$(freeport)" "$g0"
for _ in $(seq 200); do
  redis-cli -p "$c0" info cluster | grep -q 'libgossip_members:c0,c1,c2' && break; sleep 0.05
done
redis-cli -p "$c0" info cluster | grep -q 'libgossip_members:c0,c1,c2' || { echo "cluster did not form"; exit 1; }
# Measure the steady state: wait until no member is settling (for a while
# after a membership change, reads consult every replica).
for _ in $(seq 600); do
  settled=1
  for p in "$c0" "$c1" "$c2"; do
    redis-cli -p "$p" info cluster | grep -q 'libgossip_settling:0' || settled=0
  done
  [ $settled = 1 ] && break; sleep 0.05
done

# bench PORT PIPELINE [KEYSPACE] -> "set get" requests per second
bench() {
  local out r=()
  [ -n "${3:-}" ] && r=(-r "$3")
  out=$(redis-benchmark -p "$1" -t set,get -n "$N" -c "$CLIENTS" -P "$2" "${r[@]}" -q 2>/dev/null | tr '\r' '\n')
  local set get
  set=$(echo "$out" | sed -n 's/^SET: \([0-9.]*\) requests per second.*/\1/p' | tail -1)
  get=$(echo "$out" | sed -n 's/^GET: \([0-9.]*\) requests per second.*/\1/p' | tail -1)
  echo "${set:-0} ${get:-0}"
}
declare -A R # R[target,pipeline,command]: the round's figures, space-separated
# Row keys: the pipeline depth, and "${PIPELINE}r" for the random keys.
rows=("$PIPELINE" "${PIPELINE}r" 1)
declare -A Q # Q[pipeline,command]: each round's cluster / one node, space-separated
declare -A S # S[pipeline,command]: each round's one node / redis-server, space-separated
for r in $(seq "$RUNS"); do
  for p in "${rows[@]}"; do
    ks=""; [ "${p%r}" != "$p" ] && ks=$KEYSPACE
    for t in redis single cluster; do
      case $t in redis) port=$rport;; single) port=$one;; cluster) port=$c0;; esac
      read -r s g < <(bench "$port" "${p%r}" "$ks")
      R[$t,$p,set]+="$s "; R[$t,$p,get]+="$g "
      eval "last_$t=\"$s $g\""
      echo "round $r P=$p $t: SET $s/s GET $g/s"
    done
    read -r ss sg <<< "$last_single"; read -r cs cg <<< "$last_cluster"; read -r rs rg <<< "$last_redis"
    S[$p,set]+="$(awk -v a="$ss" -v b="$rs" 'BEGIN{ if (b>0) printf "%.4f", a/b; else print 0 }') "
    S[$p,get]+="$(awk -v a="$sg" -v b="$rg" 'BEGIN{ if (b>0) printf "%.4f", a/b; else print 0 }') "
    Q[$p,set]+="$(awk -v a="$cs" -v b="$ss" 'BEGIN{ if (b>0) printf "%.4f", a/b; else print 0 }') "
    Q[$p,get]+="$(awk -v a="$cg" -v b="$sg" 'BEGIN{ if (b>0) printf "%.4f", a/b; else print 0 }') "
  done
done
# median "a b c ..." -> the middle figure (the lower middle for an even count)
median() { echo "$1" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { echo "$1" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { printf "%.0f–%.0f", v[1], v[NR] }'; }
declare -A M
for k in "${!R[@]}"; do M[$k]=$(median "${R[$k]}"); done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.0f%%", 100*a/b; else print "-" }'; }
pct() { awk -v a="$1" 'BEGIN{ printf "%.0f%%", 100*a }'; }
pctspread() { echo "$1" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { printf "%.0f–%.0f%%", 100*v[1], 100*v[NR] }'; }
fmt() { awk -v a="$1" 'BEGIN{ printf "%.0f", a }'; }
procs() { [ "$1" = 0 ] && echo "the Go runtime's default GOMAXPROCS ($(nproc))" || echo "\`-procs $1\` (GOMAXPROCS=$1)"; }
redis_version=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
section=$(mktemp)
{
  echo "<!-- cache:begin -->"
  echo "## libgossip-cache against redis-server"
  echo
  echo "Written by \`make bench-cache\` (apps/cache/scripts/bench-cache.sh); rerun it, do not edit by hand."
  echo
  echo "- Date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) logical CPUs, $(uname -sm); load average before the run: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Command: \`redis-benchmark -t set,get -n $N -c $CLIENTS -P $PIPELINE -q\` and the same with \`-P 1\`; each figure is the median of $RUNS rounds (min–max in brackets), a round measuring the three one after another, against"
  echo "  (a) redis-server $redis_version (no persistence), (b) one libgossip-cache node, (c) a 3-node"
  echo "  libgossip-cache cluster (R=2, W=2, every SET acknowledged by two nodes) through one node; all on 127.0.0.1, one after another."
  echo "- The one node ran with $(procs "$SINGLE_PROCS")$([ "$SINGLE_PROCS" = 1 ] && echo ", Go code on one CPU at a time like single-threaded redis-server"); each cluster node with $(procs "$CLUSTER_PROCS")."
  echo "- The key is redis-benchmark's default (one key for all requests), so in the cluster every request goes to that key's owner; rows marked *random keys* add \`-r $KEYSPACE\` (keys spread over every owner; the one node and redis-server hold them all)."
  echo "- The cluster is measured once it has settled (no member within its settle time after a membership change)."
  echo
  echo "| pipeline | command | redis-server (req/s) | one node (req/s) | 3-node cluster (req/s) | one node / redis | cluster / one node | one node / redis, per round: median (min–max) | cluster / one node, per round: median (min–max) |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for p in "${rows[@]}"; do
    label=$p; [ "${p%r}" != "$p" ] && label="${p%r}, random keys"
    for c in set get; do
      echo "| $label | ${c^^} | $(fmt ${M[redis,$p,$c]}) ($(spread "${R[redis,$p,$c]}")) | $(fmt ${M[single,$p,$c]}) ($(spread "${R[single,$p,$c]}")) | $(fmt ${M[cluster,$p,$c]}) ($(spread "${R[cluster,$p,$c]}")) | $(ratio ${M[single,$p,$c]} ${M[redis,$p,$c]}) | $(ratio ${M[cluster,$p,$c]} ${M[single,$p,$c]}) | $(pct "$(median "${S[$p,$c]}")") ($(pctspread "${S[$p,$c]}")) | $(pct "$(median "${Q[$p,$c]}")") ($(pctspread "${Q[$p,$c]}")) |"
    done
  done
  echo
  echo "Targets (issue 13): one node >= 80% of redis-server; the cluster >= 50% of one node."
  echo "<!-- cache:end -->"
} > "$section"
if grep -q '<!-- cache:begin -->' "$OUT"; then
  awk -v f="$section" '
    /<!-- cache:begin -->/ { while ((getline l < f) > 0) print l; skip=1; next }
    /<!-- cache:end -->/ { skip=0; next }
    !skip { print }' "$OUT" > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
else
  { echo; cat "$section"; } >> "$OUT"
fi
rm -f "$section"
echo "bench-cache: wrote the cache section of $OUT"

# libgossip — the two commands that matter first: `make demo` and `make test`.
.PHONY: demo test bench bench-loss bench-go fuzz lint sim soak python c cache bench-cache agent chaos job job-chaos

demo:
	cd examples && go run ./demo $(ARGS)

test:
	./scripts/test.sh

# Side-by-side runs against memberlist and simulator scale figures (about
# 15 minutes); rewrites BENCHMARKS.md and bench/pareto.svg.
bench:
	go run ./bench/cmd/bench -out BENCHMARKS.md -svg bench/pareto.svg

# Heavy-loss runs against memberlist (N = 64 and 256, fast and LAN settings,
# five conditions, 30s each, 3 runs: about 2 hours). Run it on an idle
# machine: load makes timers fire late and the figures mean nothing. Every
# run merges the cases it measured into bench/loss-results.json (one entry
# per N/setting/condition; the others stay) and rewrites the loss section of
# BENCHMARKS.md and bench/frontier.svg from all of it, each table naming
# the run that measured it, so the matrix can be run a part at a time:
#   make bench-loss ARGS="-loss-n 256 -loss-settings fast -loss-cases 30+30s"
# and -loss-missing runs only what the store does not hold yet; repeat
#   make bench-loss ARGS="-loss-missing -loss-n 64 -loss-settings fast"
# (then lan, then 256 fast and 256 lan) until it says nothing is left.
# Wall time of a part: on an idle machine one condition with 3 runs of both
# libraries took 4m10s at N = 64 (fast: 12m30s for three), so five
# conditions at one N and setting take about 21 minutes at 64; at 256 the
# whole matrix's 2 hours leave about 8 minutes a condition, 40 a part. A
# run is bounded by formation (30 s), the window (30 s), healing (60 s)
# and detection (60 s): under load, where views do not heal, one run of
# each library at N = 256, lan, 30% took 9m55s (load average 23-31).
# The store and the plot go to DIR/bench/loss-results.json and
# DIR/bench/frontier.svg, DIR being the directory of -out (LOSS_OUT), so a
# run with LOSS_OUT=/tmp/x.md leaves the repository's files alone
# (-loss-store and -frontier name others; "none" writes none).
# The frontier's third axis is each setting's cost, bytes per member-second
# in a quiet cluster, measured apart (about a minute a setting and library
# at N = 64) and kept in the same store:
#   make bench-loss ARGS="-loss-cost -loss-missing -loss-n 64 -loss-settings fast,500ms,lan -runs 1"
LOSS_OUT ?= BENCHMARKS.md
bench-loss:
	go run ./bench/cmd/bench -loss -out $(LOSS_OUT) $(ARGS)

# The Go micro-benchmarks of every module.
bench-go:
	for m in gossip net utils; do (cd $$m && go test -run='^$$' -bench=. -benchmem ./...) || exit 1; done

fuzz:
	./scripts/fuzz.sh

lint:
	./scripts/lint.sh

# One simulator run; override with e.g. make sim ARGS="-nodes 1000 -scenario detect".
sim:
	cd gossip && go run ./cmd/gossipsim $(ARGS)

# Simulator soak, not part of make test (about 10 minutes and 6 CPU minutes
# on a busy 2-core machine, 3 GB; see gossip/sim/SCALE.md): SOAK_N (5,000)
# members form from one seed, then in separate runs a crash is detected
# and 60 s of 10% loss pass; every run must converge, the crash must be
# declared by every live member, no member may be falsely failed, and each
# run must stay within SOAK_WALL and SOAK_RSS_MB.
SOAK_N ?= 5000
SOAK_WALL ?= 15m
SOAK_RSS_MB ?= 8192
soak:
	mkdir -p out && cd gossip && go build -o ../out/gossipsim ./cmd/gossipsim
	for sc in converge detect falsepos; do \
		loss=0; if [ $$sc = falsepos ]; then loss=0.1; fi; \
		echo "soak: $(SOAK_N) members, $$sc, loss $$loss"; \
		GOMEMLIMIT=$(SOAK_RSS_MB)MiB ./out/gossipsim -nodes $(SOAK_N) -scenario $$sc -loss $$loss \
			-update-queue 256 -check -max-wall $(SOAK_WALL) -max-rss-mb $(SOAK_RSS_MB) || exit 1; \
	done

# Builds the C library into the Python package; then: pip install ./bindings/python
python:
	cd bindings/c && go build -buildmode=c-shared -o ../python/libgossip/libgossip.so .
	rm -f bindings/python/libgossip/libgossip.h

# Builds and installs the C library and header: make c PREFIX=/usr/local
c:
	bindings/c/build.sh $(PREFIX)

# The cache's static binary: out/libgossip-cache.
cache:
	mkdir -p out && cd apps/cache && CGO_ENABLED=0 go build -o ../../out/libgossip-cache ./cmd/libgossip-cache

# The job scheduler's static binary: out/libgossip-job.
job:
	mkdir -p out && cd apps/job && CGO_ENABLED=0 go build -o ../../out/libgossip-job ./cmd/libgossip-job

# The job scheduler's chaos run (issue 14): 5 libgossip-job processes, 10 jobs
# @every 1s for 100 s, the leader SIGKILLed and restarted every 10 s, one
# executor SIGSTOPped mid-run; prints the counts (about 2 minutes).
job-chaos:
	cd apps/job && LIBGOSSIP_CHAOS=1 go test -race -count=1 -run TestProcessChaos -v -timeout 10m ./chaos

# redis-benchmark against redis-server, one cache node and a 3-node cache
# cluster; rewrites the cache section of BENCHMARKS.md (N=... for fewer requests).
bench-cache:
	apps/cache/scripts/bench-cache.sh

# The agent's static binary: bin/libgossip (see docs/agent.md).
agent:
	cd apps/agent && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o ../../bin/libgossip ./cmd/libgossip

# Fault injection on 5 agent containers (Docker); writes docs/chaos.md.
chaos: agent
	apps/agent/chaos/run.sh

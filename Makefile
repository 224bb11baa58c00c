# libgossip — the two commands that matter first: `make demo` and `make test`.
.PHONY: demo test bench fuzz lint sim

demo:
	cd examples && go run ./demo

test:
	./scripts/test.sh

bench:
	cd gossip && go test -run='^$$' -bench=. -benchmem ./...

fuzz:
	./scripts/fuzz.sh

lint:
	./scripts/lint.sh

# One simulator run; override with e.g. make sim ARGS="-nodes 1000 -scenario detect".
sim:
	cd gossip && go run ./cmd/gossipsim $(ARGS)

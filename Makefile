# libgossip — the two commands that matter first: `make demo` and `make test`.
.PHONY: demo test bench fuzz lint sim python c

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

# Builds the C library into the Python package; then: pip install ./bindings/python
python:
	cd bindings/c && go build -buildmode=c-shared -o ../python/libgossip/libgossip.so .
	rm -f bindings/python/libgossip/libgossip.h

# Builds and installs the C library and header: make c PREFIX=/usr/local
c:
	bindings/c/build.sh $(PREFIX)

#!/usr/bin/env bash
# Run by scripts/test.sh after this module's race pass: the hash ring's
# largest property runs (rendezvous over 100,000-200,000 keys), which are
# single-goroutine and fixed by the hash, so they skip themselves under
# -race and run here without it.
set -euo pipefail
go test -count=1 -run 'TestDistribution|TestMovement' -v ./hashring | grep -E '^(=== RUN|\s*--- |PASS|FAIL|ok)'

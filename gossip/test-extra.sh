#!/usr/bin/env bash
# The simulator's acceptance runs (1,000 members; 200 members under 10% loss
# for 30 virtual minutes; formation of 1,000 with joins 6 ms apart). The simulator is single-threaded, so these run
# without the race detector, which would only slow them down.
set -euo pipefail
go test -count=1 -run 'TestLargeCluster|TestNoFalseFailuresUnderLoss|TestFormationAfterLastJoin' -v ./sim | grep -E '^(=== RUN|--- |PASS|FAIL|ok)|sim_test|formation_test' 

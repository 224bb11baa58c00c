#!/usr/bin/env bash
# The simulator's acceptance runs (1,000 members; 200 members under 10% loss
# for 30 virtual minutes; formation of 1,000 with joins 6 ms apart), issue
# 15's loss rules and stall scenarios, the heavy-loss, sick, partition
# and flip-flop runs with all their seeds (under -race they run one or two
# seeds, or none), and early gossip rounds against the rule before them.
# The simulator is single-threaded, so these run without the race
# detector, which would only slow them down.
set -euo pipefail
go test -count=1 -run 'TestLargeCluster|TestNoFalseFailuresUnderLoss|TestFormationAfterLastJoin|TestLossRules|TestStalls|TestHeavyLossNoCollapse|TestSickMember|TestPartitionHeals|TestFlipFlop|TestEarlyGossipSpread' -v ./sim | grep -E '^(=== RUN|--- |PASS|FAIL|ok)|_test\.go'

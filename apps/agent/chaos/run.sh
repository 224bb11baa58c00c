#!/usr/bin/env bash
# make chaos: builds the FROM scratch image from bin/libgossip, then runs
# the fault injection driver (chaos/main.go, build tag chaos) on five agent
# containers and writes docs/chaos.md. Needs Docker and root (nsenter,
# iptables). About 6-8 minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
[ -x "$root/bin/libgossip" ] || (cd "$root" && make agent)
echo "image size (bytes): $("$root/apps/agent/deploy/docker/build.sh")"
cd "$root/apps/agent"
go run -tags chaos ./chaos -out "$root/docs/chaos.md" "$@"

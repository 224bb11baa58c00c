#!/usr/bin/env bash
# Runs compose with whichever of `docker compose` (the plugin) and
# `docker-compose` (standalone) is installed, on compose.yaml:
#   compose.sh up -d --scale agent=5 ; compose.sh ps ; compose.sh down
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
if docker compose version >/dev/null 2>&1; then
  exec docker compose -f "$dir/compose.yaml" -p "${PROJECT:-libgossip}" "$@"
elif command -v docker-compose >/dev/null 2>&1; then
  exec docker-compose -f "$dir/compose.yaml" -p "${PROJECT:-libgossip}" "$@"
fi
echo "compose.sh: neither 'docker compose' nor 'docker-compose' is installed" >&2
exit 1

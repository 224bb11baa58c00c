#!/usr/bin/env bash
# Builds the image libgossip-agent:latest FROM scratch from bin/libgossip
# (run `make agent` first): the build context holds just the binary and
# the Dockerfile, so nothing is pulled from a registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$root/bin/libgossip" "$ctx/"
cp "$(dirname "$0")/Dockerfile" "$ctx/"
docker build -q -t "${IMAGE:-libgossip-agent:latest}" "$ctx" >/dev/null
docker image inspect -f '{{.Size}}' "${IMAGE:-libgossip-agent:latest}"

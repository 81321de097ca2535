#!/usr/bin/env bash
# Runs an experiment spec to the end from a copy of the built CLI (so that rebuilding meanwhile cannot disturb it),
# resuming whatever is finished or checkpointed; then prints its status and table. Stop it at any time.
# Usage: bash bench/experiment.sh experiments/SPEC.yaml [more `recloss experiment run` options]
set -euo pipefail
cd "$(dirname "$0")/.."
spec=$1; shift
dotnet build src/RecLoss.Cli -c Release >/dev/null
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
cp -r src/RecLoss.Cli/bin/Release/net10.0/. "$bin/"
echo "binary of commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' with uncommitted changes'), $(date -u '+%Y-%m-%d %H:%M') UTC"
dotnet "$bin/recloss.dll" experiment run "$spec" "$@"
dotnet "$bin/recloss.dll" experiment status "$spec" "$@"

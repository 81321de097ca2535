#!/usr/bin/env bash
# Issue 13's load figures: `recloss serve` over a Yelp2018 MF model (38,048 items, dim 64), measured by
# `recloss loadtest` from 16 clients at K = 20: once plain, once with POST /admin/reload every second, and once while
# the model file is replaced on disk (cp + mv) every second, which the server's file watch reloads.
# Usage: bash bench/serve-load.sh [DATA_DIR (default ../shared/data)] [SECONDS per run (default 15)]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data}
seconds=${2:-15}
dotnet build src/RecLoss.Cli -c Release >/dev/null
work=$(mktemp -d)
recloss=(dotnet src/RecLoss.Cli/bin/Release/net10.0/recloss.dll)
port=$((20000 + RANDOM % 20000))
cleanup() { [[ -n "${server:-}" ]] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (uncommitted changes)'), $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"${recloss[@]}" train --data "$data/yelp2018" --epochs 1 --save "$work/model.rlm" > /dev/null
cp "$work/model.rlm" "$work/copy.rlm"
"${recloss[@]}" serve --model "$work/model.rlm" --port "$port" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 0.5; done
load=("${recloss[@]}" loadtest --model "$work/model.rlm" --url "http://127.0.0.1:$port" --duration "$seconds" --requests 1000000 --concurrency 16 --k 20)
echo "## plain"
"${load[@]}"
echo "## POST /admin/reload every second"
"${load[@]}" --reload-every 1
echo "## the model file replaced on disk every second (temporary copy, then mv)"
( for _ in $(seq 1 "$seconds"); do sleep 1; cp "$work/copy.rlm" "$work/next.rlm"; mv "$work/next.rlm" "$work/model.rlm"; done ) &
copier=$!
"${load[@]}"
wait "$copier"
echo "reloads logged by the server: $(grep -c 'reloaded' "$work/serve.log"), refused: $(grep -c 'refused' "$work/serve.log" || true)"

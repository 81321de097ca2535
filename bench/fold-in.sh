#!/usr/bin/env bash
# New users (issue 13): MF + MML trained 10 epochs on Yelp2018 with the MML paper's settings and saved; then
# `recloss evaluate --fold-in N` scores N sampled test users from their train items alone (one row fitted with the
# model's loss) and compares them with their trained rows: mean cosine, and the full-ranking metrics of both.
# Usage: bash bench/fold-in.sh [DATA_DIR (default ../shared/data)] [N (default 2000)]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data}
n=${2:-2000}
dotnet build src/RecLoss.Cli -c Release >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
recloss=(dotnet src/RecLoss.Cli/bin/Release/net10.0/recloss.dll)
echo "commit $(git rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"${recloss[@]}" train --data "$data/yelp2018" --epochs 10 --save "$work/model.rlm" | grep -E "^model|epoch  10"
/usr/bin/time -f "evaluate with fold-in: %e s wall, %U s user" "${recloss[@]}" evaluate --model "$work/model.rlm" --data "$data/yelp2018" --fold-in "$n"

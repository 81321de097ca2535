#!/usr/bin/env bash
# Times the README's example commands (wall seconds, the built binary, so without dotnet run's build check) and prints
# a Markdown table for the README's "Run times" section.
# Usage: bash bench/readme-timings.sh [DATA_DIR (default ../shared/data)]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data}
dotnet build src/RecLoss.Cli -c Release >/dev/null
recloss=(dotnet src/RecLoss.Cli/bin/Release/net10.0/recloss.dll)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "commit $(git rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "| command | wall seconds |"
echo "|---|---|"
time_it() {
  local start end
  start=$(date +%s.%N)
  "${recloss[@]}" "$@" > "$out/log" 2>&1 || { echo "failed: $*" >&2; cat "$out/log" >&2; exit 1; }
  end=$(date +%s.%N)
  printf '| `recloss %s` | %.1f |\n' "$*" "$(echo "$end - $start" | bc)"
}
time_it demo
time_it stats --data "$data/yelp2018"
time_it train --data "$data/ml-100k/ml-100k.inter" --rating-column rating --rating-threshold 4 --timestamp-column timestamp \
  --split temporal --train-ratio 0.8 --validation-ratio 0.1 --negatives 100 --batch-size 256 --lr 1e-3 --epochs 20
time_it train --data "$data/yelp2018" --epochs 10
time_it train --data "$data/gowalla" --margins 0.7,0.8,0.9 --margin-weights 0.10,0.15,0.75 --negative-weight 700 --batch-size 256 --l2 1e-8 --epochs 10

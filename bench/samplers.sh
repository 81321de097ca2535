#!/usr/bin/env bash
# Issue 5 evidence: MF + MML on Yelp2018, 20 epochs, uniform / popularity / hard negatives at 10 and 100 negatives.
# Usage: bash bench/samplers.sh [DATA_DIR] [OUT_DIR]; each run writes OUT_DIR/SAMPLER-N/run.json and a log.
set -euo pipefail
data=${1:-../shared/data/yelp2018}
out=${2:-runs/samplers}
dotnet build src/RecLoss.Cli -c Release > /dev/null
for negatives in 10 100; do
  for sampler in uniform popularity hard; do
    mkdir -p "$out/$sampler-$negatives"
    dotnet run --project src/RecLoss.Cli -c Release --no-build -- train --data "$data" --sampler "$sampler" \
      --negatives "$negatives" --epochs 20 --eval-every 20 --out "$out/$sampler-$negatives" --force \
      | tee "$out/$sampler-$negatives/log.txt"
  done
done

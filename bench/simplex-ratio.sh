#!/usr/bin/env bash
# SimpleX's epoch against MF's (issue 12's target: at most 1.5 times), alternated in one sitting (this VM drifts):
# `recloss bench` on Gowalla at 100 negatives with the MML paper's Gowalla settings, MF and SimpleX (mean aggregator,
# g 0.8, own history table) from the working tree and SimpleX from BASE, ROUNDS times each, in turns.
# Usage: bash bench/simplex-ratio.sh [BASE_COMMIT (default e6869e7)] [ROUNDS (default 2)] [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-e6869e7}
rounds=${2:-2}
data=${3:-../shared/data}
source bench/ab-binaries.sh
common=(--data "$data/gowalla" --negatives 100 --epochs 1 --skip-machine --batch-size 256 --l2 1e-7 --negative-weight 250)
echo "commit $(git rev-parse --short HEAD) vs $base, $(date -u '+%Y-%m-%d %H:%M') UTC, $machine"
for round in $(seq 1 "$rounds"); do
  for run in "new mf" "new simplex" "base simplex"; do
    read -r side encoder <<< "$run"
    dll=$new_dll
    [[ $side == base ]] && dll=$base_dll
    dotnet "$dll" bench "${common[@]}" --encoder "$encoder" > "$work/out.txt"
    printf 'round %s %-4s %-8s ' "$round" "$side" "$encoder"
    # The first table's row (ends with the allocation column) and the phase row.
    awk '/s\/epoch \(median\)/ { on = 1; next } on && NF == 8 { printf "%s s/epoch  ", $2; on = 0 }
         /negatives +draw/ { getline; $1 = ""; printf "phases%s", $0 } END { print "" }' "$work/out.txt"
  done
done

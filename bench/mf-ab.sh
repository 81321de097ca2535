#!/usr/bin/env bash
# MF speed before and after a change, alternated in one sitting (this VM drifts): `recloss bench` on Yelp2018 at
# 100 and 800 negatives with the base commit's binary and the current one, ROUNDS times each, in turns.
# Usage: bash bench/mf-ab.sh [BASE_COMMIT (default a4d1335, before the encoder interface)] [ROUNDS (default 2)] [NEGATIVES (default 100,800)] [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-a4d1335}
rounds=${2:-2}
negatives=${3:-100,800}
data=${4:-../shared/data}
source bench/ab-binaries.sh
echo "commit $(git rev-parse --short HEAD) vs $base, $(date -u '+%Y-%m-%d %H:%M') UTC, $machine"
for round in $(seq 1 "$rounds"); do
  for side in base new; do
    dll=$new_dll
    [[ $side == base ]] && dll=$base_dll
    dotnet "$dll" bench --data "$data/yelp2018" --negatives "$negatives" --epochs 2 --skip-machine > "$work/out.txt"
    printf '%s round %s: ' "$side" "$round"
    # The first table only: its rows end with the allocation column, the phase table's do not.
    awk '/s\/epoch \(median\)/ { on = 1; next } on && NF == 8 { printf "%s negatives %s s/epoch  ", $1, $2 } /seconds per epoch by phase/ { on = 0 } END { print "" }' "$work/out.txt"
  done
done

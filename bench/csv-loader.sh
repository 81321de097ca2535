#!/usr/bin/env bash
# The delimited-file loader before and after a change, alternated in one sitting: `recloss stats` on a CSV made from
# Yelp2018's train split (1.24M rows, string ids, a rating and a timestamp column), wall seconds, median of 5 each.
# Usage: bash bench/csv-loader.sh [BASE_COMMIT (default 30f24bd, the hand-written reader)] [DATA_DIR (default ../shared/data)]
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-30f24bd}
data=${2:-../shared/data}
source bench/ab-binaries.sh
awk 'BEGIN { srand(1); print "user_id,item_id,rating,timestamp" }
     { for (i = 2; i <= NF; i++) printf "u%s,i%s,%d,%d\n", $1, $i, 1 + int(rand() * 5), 1000000000 + int(rand() * 1000000000) }' \
  "$data/yelp2018/train.txt" > "$work/yelp.csv"
args=(stats --data "$work/yelp.csv" --rating-column rating --rating-threshold 1 --timestamp-column timestamp --split temporal)
declare -A times
for round in 1 2 3 4 5; do
  for side in base new; do
    dll=$new_dll
    [[ $side == base ]] && dll=$base_dll
    start=$(date +%s.%N)
    dotnet "$dll" "${args[@]}" > "$work/$side.txt"
    end=$(date +%s.%N)
    times[$side]+="$(echo "$end - $start" | bc) "
  done
done
cmp -s "$work/base.txt" "$work/new.txt" && same="identical" || same="DIFFERENT"
median() { tr ' ' '\n' <<< "$1" | grep . | sort -g | sed -n 3p; }
echo "commit $(git rev-parse --short HEAD) vs $base, $(date -u '+%Y-%m-%d %H:%M') UTC, $machine"
echo "rows: $(($(wc -l < "$work/yelp.csv") - 1)); stats output: $same"
echo "base ($base): ${times[base]}-> median $(median "${times[base]}") s"
echo "new: ${times[new]}-> median $(median "${times[new]}") s"

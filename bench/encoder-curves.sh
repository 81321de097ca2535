#!/usr/bin/env bash
# Learning curves, epochs 1-10, of the encoders beside MF (issue 12's evidence), each run's run.json kept under
# experiments/curves/NAME/ and a Markdown table of Recall@20 / NDCG@20 and seconds per epoch printed at the end.
# Usage: bash bench/encoder-curves.sh [DATA_DIR (default ../shared/data)] [EPOCHS (default 10)]
# A finished run (its run.json present) is skipped, so the script can be stopped and started again.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data}
epochs=${2:-10}
dotnet build src/RecLoss.Cli -c Release >/dev/null
built="commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' with uncommitted changes')"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
cp -r src/RecLoss.Cli/bin/Release/net10.0/. "$bin/"   # runs use a copy, so a rebuild meanwhile cannot disturb them
recloss=(dotnet "$bin/recloss.dll")
out=experiments/curves

run() {
  local name=$1; shift
  if [[ -f "$out/$name/run.json" ]]; then echo "skip $name (done)" >&2; return; fi
  echo "run $name" >&2
  "${recloss[@]}" train "$@" --epochs "$epochs" --out "$out/$name.partial" --force > /dev/null
  rm -rf "$out/$name"; mv "$out/$name.partial" "$out/$name"
}

gowalla_simplex=(--data "$data/gowalla" --encoder simplex --aggregator user-attention --attention-padding reference --simplex-gamma 0.8
  --batch-size 256 --l2 1e-7 --negatives 100)
run mf-mml-yelp2018 --data "$data/yelp2018"
run lightgcn-bpr-gowalla --data "$data/gowalla" --encoder lightgcn --loss bpr --negatives 1 --exclude-positives --lr 1e-3 --batch-size 2048 \
  --l2 1e-4 --l2-on batch --epoch-rows user-uniform --clip-norm 0 --dropout 0 --seed 2020
run simplex-mml-gowalla "${gowalla_simplex[@]}" --loss mml --negative-weight 250
run simplex-ccl-gowalla "${gowalla_simplex[@]}" --loss ccl --margin 0.9 --negative-weight 250

echo "| run | $(seq -s ' | ' 1 "$epochs") | s/epoch (mean) | binary |"
echo "|---|$(printf -- '---|%.0s' $(seq 1 "$epochs"))---|---|"
for dir in "$out"/*/; do
  python3 - "${dir%/}/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
cells = [f"{e['test']['recall@20']:.4f} / {e['test']['ndcg@20']:.4f}" for e in r["epochs"]]
seconds = sum(e["trainSeconds"] for e in r["epochs"]) / len(r["epochs"])
name = sys.argv[1].rstrip("/").split("/")[-2]
commit = (r["commit"] or "unknown")[:7] + (" (work tree modified)" if r["commitDirty"] else "")
print(f"| {name} | " + " | ".join(cells) + f" | {seconds:.1f} | {commit} |")
PY
done
echo
echo "this listing: $built; $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

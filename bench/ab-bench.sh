#!/usr/bin/env bash
# Any `recloss bench` before and after a change, alternated in one sitting (this VM drifts), with the experiment
# queue's runners paused (SIGSTOP) for the duration and resumed on exit.
# Usage: bash bench/ab-bench.sh BASE_COMMIT ROUNDS -- BENCH_ARGS...
#   e.g. bash bench/ab-bench.sh d98f42d 2 -- --data ../shared/data/yelp2018 --loss bsl --negatives 800 --threads 1 --epochs 1
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?base commit}
rounds=${2:?rounds}
shift 2
[[ ${1:-} == -- ]] && shift
source bench/ab-binaries.sh
runners=$(pgrep -f "recloss.dll experiment run" | tr '\n' ' ' || true)
resume() { [[ -n $runners ]] && kill -CONT $runners 2>/dev/null || true; git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap resume EXIT
[[ -n $runners ]] && kill -STOP $runners
echo "commit $(git rev-parse --short HEAD) vs $base, $(date -u '+%Y-%m-%d %H:%M') UTC, $machine; runners paused: ${runners:-none}"
for round in $(seq 1 "$rounds"); do
  for side in base new; do
    dll=$new_dll
    [[ $side == base ]] && dll=$base_dll
    echo "== $side, round $round, $(date -u +%H:%M:%S)"
    dotnet "$dll" bench "$@" --skip-machine | grep -v '^$'
  done
done

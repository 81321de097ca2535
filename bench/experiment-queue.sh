#!/usr/bin/env bash
# Runs experiments/queue.txt (or the file given) line by line from one copy of the built CLI, so that rebuilding
# meanwhile cannot disturb it: each line is `SPEC [experiment run options]`, and each resumes or skips what is done.
# A line that fails is reported and the next one runs. Stop it at any time; the same command continues.
# Options after the queue file go to every line's `experiment run`: two queues started with `--threads 1` share the
# cells (each leaves the cell the other is training), which on 2 cores trains more per hour than one queue on both.
# Usage: bash bench/experiment-queue.sh [QUEUE_FILE] [experiment run options...]
set -uo pipefail
cd "$(dirname "$0")/.."
queue=experiments/queue.txt
if (( $# > 0 )) && [[ $1 != -* ]]; then
  queue=$1
  shift
fi
extra=("$@")
[[ -f $queue ]] || { echo "experiment-queue: no queue file '$queue' (expected lines 'experiments/SPEC.yaml [options]')" >&2; exit 2; }
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
# Two queues started together build one at a time.
exec 9> "${TMPDIR:-/tmp}/recloss-queue-build.lock"
flock 9
dotnet build src/RecLoss.Cli -c Release >/dev/null || { echo "experiment-queue: the build failed" >&2; exit 1; }
cp -r src/RecLoss.Cli/bin/Release/net10.0/. "$bin/"
flock -u 9
echo "binary of commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' with uncommitted changes'), $(date -u '+%Y-%m-%d %H:%M') UTC"
failed=()
n=0
while IFS= read -r line || [[ -n $line ]]; do
  n=$((n + 1))
  line=${line%%#*}
  read -r -a words <<< "$line"
  (( ${#words[@]} == 0 )) && continue
  echo "=== $queue:$n $(date -u '+%F %T') experiment run ${words[*]} ${extra[*]}"
  # read splits on blanks and expands nothing: the --cells patterns reach recloss as written.
  dotnet "$bin/recloss.dll" experiment run "${words[@]}" "${extra[@]}" < /dev/null
  code=$?
  echo "=== $queue:$n exit $code $(date -u '+%F %T')"
  (( code != 0 )) && failed+=("$queue:$n (exit $code)")
done < "$queue"
if (( ${#failed[@]} > 0 )); then
  echo "experiment-queue: ${#failed[@]} line(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "experiment-queue: every line done"

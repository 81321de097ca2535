#!/usr/bin/env bash
# Moves the running experiment queues onto a fresh build of the work tree without losing an epoch: each runner is
# stopped right after its cell writes its next checkpoint, and a new queue (same options, same log file) starts in its
# place, resuming that cell from the checkpoint just written. A runner is found through the lock of the cell it trains
# (experiments/runs/SPEC/CELL/.running holds the training process's id); its queue script is that process's parent.
# Usage: bash bench/queue-restart.sh [experiment-queue options for the new queues, default: the old ones']
#   e.g. after a commit, with two runners at --threads 1:  bash bench/queue-restart.sh
set -uo pipefail
cd "$(dirname "$0")/.."
found=0
for lock in experiments/runs/*/*/.running; do
  [[ -s $lock ]] || continue
  pid=$(head -n 1 "$lock")
  [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] || continue
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "experiment run" || continue
  queue=$(ps -o ppid= -p "$pid" | tr -d ' ')
  if ! tr '\0' ' ' < "/proc/$queue/cmdline" 2>/dev/null | grep -q "experiment-queue.sh"; then
    echo "queue-restart: $(dirname "$lock") is trained by process $pid, which no experiment-queue.sh started: left alone" >&2
    continue
  fi
  # The old queue's options (after the script's name) and its log (its standard output).
  mapfile -d '' -t argv < "/proc/$queue/cmdline"
  options=("${argv[@]:2}")
  (( $# > 0 )) && options=("$@")
  log=$(readlink "/proc/$queue/fd/1")
  [[ -f $log ]] || log="/tmp/queue-$queue.log"
  checkpoint="$(dirname "$lock")/checkpoint/checkpoint.rlm"
  found=$((found + 1))
  echo "queue-restart: runner $queue (training $(dirname "$lock"), process $pid, log $log) restarts after the next checkpoint"
  (
    before=$(stat -c %Y "$checkpoint" 2>/dev/null || echo none)
    while [[ $(stat -c %Y "$checkpoint" 2>/dev/null || echo none) == "$before" ]]; do
      kill -0 "$pid" 2>/dev/null || exit 0   # the cell ended on its own: its queue goes on as it is
      sleep 2
    done
    sleep 3   # the checkpoint is renamed into place last; let the process go back to training
    kill "$queue" "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null; do sleep 1; done
    nohup bash bench/experiment-queue.sh "${options[@]}" > "$log" 2>&1 &
    echo "queue-restart: runner $queue stopped after $(basename "$(dirname "$lock")")'s checkpoint; new queue $! (log $log)"
  ) &
done
if (( found == 0 )); then
  echo "queue-restart: no queue is training a cell (nothing holds a cell's lock)" >&2
  exit 1
fi
wait

#!/usr/bin/env bash
# Starts the experiment queue as background runners of one thread each (two on this 2-core machine), every one given
# --until MINUTES from now, so that none starts a cell it would not finish before the machine goes away.
# Logs: /tmp/queue1.log, /tmp/queue2.log, ... Each runner leads its own process group: `kill -- -PID` (the PID printed)
# stops it and the cell it trains, which resumes from its last checkpoint next time.
# Usage: bash bench/start-runners.sh MINUTES [RUNNERS, default 2]
#   e.g. at the start of a 180-minute session, leaving 15 minutes to publish:  bash bench/start-runners.sh 165
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?"usage: bash bench/start-runners.sh MINUTES [RUNNERS]: MINUTES until the machine goes away, less the time to publish"}
runners=${2:-2}
[[ $minutes =~ ^[0-9]+$ ]] || { echo "start-runners: MINUTES must be a whole number (got '$minutes')" >&2; exit 2; }
[[ $runners =~ ^[1-9][0-9]*$ ]] || { echo "start-runners: RUNNERS must be a positive whole number (got '$runners')" >&2; exit 2; }
until=$(date -u -d "+$minutes min" +%FT%RZ)
for i in $(seq 1 "$runners"); do
  setsid nohup bash bench/experiment-queue.sh --threads 1 --until "$until" > "/tmp/queue$i.log" 2>&1 < /dev/null &
  echo "runner $i: queue $! until $until, log /tmp/queue$i.log; stop it with: kill -- -$!"
  # Apart in time only so that their logs start in order: the build is locked and a cell's lock is atomic.
  if (( i < runners )); then sleep 10; fi
done

#!/usr/bin/env bash
# Where the time of a `recloss bench` run goes, by sampling profile: the share of each JIT-compiled method.
#   bash bench/profile.sh [SECONDS] -- BENCH OPTIONS
#   bash bench/profile.sh 25 -- --data ../shared/data/yelp2018 --loss bsl --negatives 800 --epochs 2 --skip-machine
# Samples the bench process with Linux perf (apt-get install linux-perf) for SECONDS (default 25) after 15 s of data
# loading and warm-up. Give the bench enough --epochs to outlast those 15 + SECONDS: perf ends the script when the
# sampled process exits first (it prints "Terminated" and no table). The runtime writes a perf map for its JIT code (DOTNET_PerfMapEnabled=1); write-xor-execute is
# off (DOTNET_EnableWriteXorExecute=0) so the code runs from the addresses the map names. Shares are relative within
# one run, so they survive this VM's drift better than seconds do; compare two binaries by both.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=25
if [[ $# -gt 0 && $1 != "--" ]]; then
    seconds=$1
    shift
fi
[[ $# -gt 0 && $1 == "--" ]] && shift
if ! command -v perf > /dev/null; then
    echo "bench/profile.sh: perf is not installed (apt-get update && apt-get install -y linux-perf)" >&2
    exit 2
fi
dll=${RECLOSS_DLL:-src/RecLoss.Cli/bin/Release/net10.0/recloss.dll}
if [[ ! -f $dll ]]; then
    echo "bench/profile.sh: $dll not found; build first (dotnet build RecLoss.slnx -c Release) or set RECLOSS_DLL" >&2
    exit 2
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 dotnet "$dll" bench "$@" > "$out/bench.log" 2>&1 &
pid=$!
sleep 15
if ! kill -0 "$pid" 2> /dev/null; then
    echo "bench/profile.sh: the bench ended within 15 s; its output:" >&2
    cat "$out/bench.log" >&2
    exit 1
fi
perf record -F 999 -p "$pid" -o "$out/perf.data" -- sleep "$seconds" > /dev/null 2>&1
kill "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
echo "share of samples by method ($(git rev-parse --short HEAD 2> /dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), ${seconds} s):"
perf report -i "$out/perf.data" --no-children --sort symbol 2> /dev/null | grep -v '^#' | grep -v '^$' | head -20 |
    sed -E 's/\[\.\] //; s/\((valuetype|int32|!!|float32|class).*//; s/ +(- +-)? *$//'

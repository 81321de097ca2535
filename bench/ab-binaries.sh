# Sourced by the A/B scripts: builds BASE in a temporary worktree and the working tree, and sets
#   work      a temporary folder, removed on exit
#   base_dll  the base commit's recloss.dll
#   new_dll   the working tree's recloss.dll
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/base" "$base" >/dev/null 2>&1
dotnet build "$work/base/src/RecLoss.Cli" -c Release >/dev/null
dotnet build src/RecLoss.Cli -c Release >/dev/null
base_dll=$work/base/src/RecLoss.Cli/bin/Release/net10.0/recloss.dll
new_dll=src/RecLoss.Cli/bin/Release/net10.0/recloss.dll
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

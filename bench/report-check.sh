#!/usr/bin/env bash
# Opens a report made by `recloss report` in Debian's headless Chromium: prints the page's figure count from the
# rendered DOM and writes a screenshot beside it (REPORT_DIR/screenshot.png). Fails when the page shows no figure.
# Skips, saying so, when chromium is not installed (apt-get install chromium).
# Usage: bash bench/report-check.sh [REPORT_DIR (default experiments/report)]
set -euo pipefail
dir=$(cd "${1:-experiments/report}" && pwd)
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
  echo "report check skipped: no chromium on this machine (apt-get install chromium)"
  exit 0
fi
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars)
dom=$(timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$dir/index.html" 2>/dev/null)
figures=$(grep -o '<figure>' <<< "$dom" | wc -l)
svgs=$(grep -o '<svg' <<< "$dom" | wc -l)
timeout 120 "$browser" "${flags[@]}" --window-size=1280,2400 --screenshot="$dir/screenshot.png" "file://$dir/index.html" > /dev/null 2>&1
echo "report rendered by $("$browser" --version 2>/dev/null): $figures figures, $svgs inline SVGs; screenshot $dir/screenshot.png ($(stat -c %s "$dir/screenshot.png") bytes)"
[[ $figures -gt 0 && $figures -eq $svgs && -s "$dir/screenshot.png" ]]

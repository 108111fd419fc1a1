#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the main job — one
# trading day of examples/demo (real processes, no accounts needed) on a simulated clock at
# 3600x, from 06:30 to the end of the day. Pass a date to choose the day:
#   scripts/main-job.sh 2026-11-27
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/install-deps.sh
swift build -c release --product orchestrator
bin=$(swift build -c release --show-bin-path)/orchestrator
demo=(--config examples/demo/config.yaml --jobs examples/demo/jobs)
"$bin" validate "${demo[@]}"
day=${1:-$("$bin" calendar "${demo[@]}" --json | grep -o '"date": "[0-9-]*"' | head -n 1 | cut -d'"' -f4)}
"$bin" plan "${demo[@]}" --date "$day"
echo
"$bin" run-day "${demo[@]}" --date "$day" --speed 3600 --from 06:30

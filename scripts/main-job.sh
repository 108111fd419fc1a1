#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the main job —
# until the engine exists, today's AlphaTrader plan (pass a date: scripts/main-job.sh 2026-11-27).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/install-deps.sh
swift build -c release --product orchestrator
bin=$(swift build -c release --show-bin-path)/orchestrator
"$bin" validate
if [ $# -gt 0 ]; then "$bin" plan --date "$1"; else "$bin" plan; fi

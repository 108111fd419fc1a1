#!/usr/bin/env bash
# Issue 17's pure-core figures (the end of Benchmarks/run.sh, or alone after a release build):
#  - the four strategies over the 12 symbols, per symbol per market second (goal < 50 us);
#  - one pre-trade risk check that runs every check, VaR included, with 8 positions open
#    (goal < 10 us).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build-release/release}
echo "== issue 17: strategies and pre-trade risk" >&2
s=$("$bin/orchestrator-bench" strategies)
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("strategies: 4 over %d symbols, %d signals a round: %.1f us per symbol per market second (goal < 50 us)" % (r["symbols"], r["signals_per_round"], r["us_per_symbol"]))' "$s"
r=$("$bin/orchestrator-bench" risk)
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("pre-trade risk: every check passed, %d positions open: %.2f us per order (goal < 10 us)" % (r["open_positions"], r["us_per_check"]))' "$r"

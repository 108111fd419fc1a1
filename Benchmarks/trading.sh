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

# Signal → order on the wire, through the execution service's own path against tws-sim (the
# market at 20x from 09:31, a marketable SPY call entry with its stop and target every 100 ms:
# three orders, inside TWS's 50 messages a second, which the order path paces to).
source Benchmarks/lib.sh
bench_scratch trading-bench
sim=""
trap 'for p in $sim $redis_pid; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
next_session
"$bin/alphatrader" replay-gen --date "$day" --from 09:30 --to 10:00 --out "$work/tape" > /dev/null 2>&1
start_redis "$work"
port=$(free_port)
export ORCHESTRATOR_CLOCK="sim=${first_minute};real=$(date +%s);speed=20"
start_sim "$port" --cash 10000000
w=$("$bin/orchestrator-bench" signal-wire --port "$port" --redis "redis://127.0.0.1:$redis_port/0" --count 300 --interval-ms 100 --expiry "${day//-/}" --journal "$work/journal.sqlite" 2> "${BENCH_LOG:-$work/bench.log}")
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("signal -> order on the wire (journal, risk, sizing, each order journaled and sent): %d entries, p50 %.0f us, p99 %.0f us, max %.0f us (goal p99 < 1 ms)" % (r["entries"], r["p50_us"], r["p99_us"], r["max_us"]))' "$w"
# The floor under it: the journal's one commit before the first byte (each entry's position and
# orders together), after the same 100 ms asleep.
f=$("$bin/orchestrator-bench" journal --interval-ms 100 --count 300 --journal "$work/floor.sqlite")
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("the floor under it: one journal commit after 100 ms asleep, p50 %.0f us, p99 %.0f us" % (r["commit_p50_us"], r["commit_p99_us"]))' "$f"

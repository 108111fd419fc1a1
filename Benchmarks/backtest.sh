#!/usr/bin/env bash
# The backtester's figures (after a release build, alone or from Benchmarks/run.sh):
#  - `alphatrader backtest` of a full generated day (every trade, quote, depth update and bar of
#    the 12 symbols through ingestion state, analytics, discovery, strategies, risk and the order
#    path against the paper broker), best of 3, against backtrader (pure Python, a throwaway
#    virtualenv) running an event-driven SMA/RSI strategy with brackets over the same day's
#    5-second bars (Benchmarks/backtrader_bench.py): ours per event against theirs per bar;
#  - a 20-session backtest over generated tapes, wall clock (BACKTEST_FROM / BACKTEST_TO,
#    default 2026-11-02 … 2026-11-30: 20 sessions, Thanksgiving out).
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
bin=${BIN:-.build-release/release}
bench_scratch backtest-bench
next_session

echo "== backtest of a full day ($day) vs backtrader over its 5-second bars" >&2
"$bin/alphatrader" replay-gen --date "$day" --out "$work/day.tape" --json > "$work/gen.json" 2> "$work/gen.log" \
  || { cat "$work/gen.log" >&2; exit 1; }
for run in 1 2 3; do
  "$bin/alphatrader" backtest --tapes "$work/day.tape" --out "$work/bt$run" --json > "$work/bt$run.json" 2> "$work/bt$run.log" \
    || { cat "$work/bt$run.log" >&2; exit 1; }
done
best=$(python3 -c 'import json,sys; print(min(sys.argv[1:], key=lambda p: json.load(open(p))["seconds"]))' "$work"/bt[123].json)
"$bin/orchestrator-bench" tape-bars --tape "$work/day.tape" > "$work/bars.csv"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet backtrader
"$work/venv/bin/python" Benchmarks/backtrader_bench.py "$work/bars.csv" --repeat 3 --runonce > "$work/peer.json"
python3 - "$best" "$work/peer.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2])); d = o["days"][0]
ours = o["events"] / o["seconds"]
print("backtest of a full day: %s events (%d symbols, every trade, quote, depth update and bar) through the whole stack in %.2f s = %s events/s (goal: the day < 10 s on one core); "
      "backtrader %s: %s bars/s over the same day's 5-second bars (%s bars, an SMA/RSI strategy with brackets) — ours per event vs theirs per bar: %.1f×"
      % (format(o["events"], ","), t["symbols"], o["seconds"], format(round(ours), ","), t["backtrader"], format(t["bars_per_s"], ","), format(t["bars"], ","), ours / t["bars_per_s"]))
print("  ours processes %.0f× as many events as there are bars: the day in %.2f s vs backtrader's %.2f s (%.1f× the time for %.0f× the input); "
      "ours: %d signals, %d entries, %d closed, realized %.2f; backtrader: %d trades, %d orders, runonce=True %s bars/s"
      % (o["events"] / t["bars"], o["seconds"], t["run_s"], o["seconds"] / t["run_s"], o["events"] / t["bars"], d["signals"], d["entries"], d["closed"], d["realized"],
         t["trades"], t["orders"], format(t.get("runonce_bars_per_s", 0), ",")))
PY

from=${BACKTEST_FROM:-2026-11-02}
to=${BACKTEST_TO:-2026-11-30}
echo "== backtest of $from … $to (generated tapes)" >&2
start=$(date +%s.%N)
"$bin/alphatrader" backtest --from "$from" --to "$to" --out "$work/bt20" --json > "$work/bt20.json" 2> "$work/bt20.log" \
  || { cat "$work/bt20.log" >&2; exit 1; }
end=$(date +%s.%N)
python3 - "$work/bt20.json" "$start" "$end" "$from" "$to" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); wall = float(sys.argv[3]) - float(sys.argv[2]); n = len(r["days"])
print("a %d-session backtest (%s … %s, generated tapes): %.1f s wall (goal < 3 min), per day %.2f s wall, %.2f s of it the day's own run (the next tape generated on the other core meanwhile); "
      "%s events, %s events/s; P&L %.2f, Sharpe %s"
      % (n, sys.argv[4], sys.argv[5], wall, wall / n, r["seconds"] / n, format(r["events"], ","), format(round(r["events"] / r["seconds"]), ","), r["pnl"],
         "—" if r.get("sharpe") is None else "%.2f" % r["sharpe"]))
PY

#!/usr/bin/env bash
# Issue 7's figures (called at the end of Benchmarks/run.sh, or alone after a release build):
# an 8,300-contract chain's parse + validation and GEX/DEX against Python's json + NumPy in a
# throwaway virtualenv, and the shared rate limiter under 8 processes against the local Alpha
# Vantage stand-in (SECONDS_RL, default 150 s of calls).
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
bin=${BIN:-.build-release/release}
bench_scratch alphavantage-bench

echo "== options chain: parse + validate, GEX/DEX (8,300 contracts)" >&2
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet numpy
ours=$("$bin/orchestrator-bench" av-chain --write "$work/chain.json")
theirs=$("$work/venv/bin/python" Benchmarks/av_chain_bench.py "$work/chain.json" 10)
python3 - "$ours" "$theirs" <<'PY'
import json, sys
o = json.loads(sys.argv[1]); t = json.loads(sys.argv[2])
print("chain of %d contracts (%.1f MB, %d valid): ours parse+validate %.2f ms + GEX/DEX %.2f ms = %.2f ms (goal < 20 ms); Python %s json + NumPy %s: %.1f ms + %.2f ms = %.1f ms; ratio %.0fx"
      % (o["contracts"], o["bytes"] / 1e6, o["valid"], o["parse_ms"], o["gex_dex_ms"], o["parse_ms"] + o["gex_dex_ms"], t["python"], t["numpy"],
         t["parse_ms"], t["gex_dex_ms"], t["parse_ms"] + t["gex_dex_ms"], (t["parse_ms"] + t["gex_dex_ms"]) / (o["parse_ms"] + o["gex_dex_ms"])))
PY

echo "== rate limiter: 8 processes sharing 590 calls a minute" >&2
start_redis "$work"
port=$redis_port
"$bin/orchestrator-bench" av-ratelimit --processes 8 --seconds "${SECONDS_RL:-150}" --redis "redis://127.0.0.1:$port/0" 2>/dev/null \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); print("rate limiter, %d processes for %ds: %d calls; busiest 60 s window at the server: %d (goal <= 590); sustained %.1f calls/min over whole windows (goal >= 580), %.1f over the run" % (r["processes"], r["seconds"], r["calls"], r["busiest_60s"], r["steady_per_min"], r["overall_per_min"]))'

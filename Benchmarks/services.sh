#!/usr/bin/env bash
# Service restart latency against supervisord (in a throwaway virtualenv, same run) and the
# daemon's footprint with the AlphaTrader day's services up. Expects the release build of
# Benchmarks/run.sh (or builds it):  Benchmarks/services.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
bin=.build-release/release
[ -x "$bin/orchestrator" ] || swift build -c release --scratch-path .build-release >&2
venv=$(mktemp -d /tmp/orchestrator-bench-supervisor-venv.XXXXXX)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet supervisor
cc -O2 -o "$venv/crasher" Benchmarks/crasher.c
echo "== service restart latency over 200 crashes (restart_delay 0), and the daemon's footprint" >&2
r=$(python3 Benchmarks/services_bench.py "$PWD/$bin/orchestrator" "$venv/crasher" "$venv/bin/supervisord" "$PWD" 200)
python3 - "$r" "$("$venv/bin/python" -c 'import supervisor, importlib.metadata as m; print(m.version("supervisor"))')" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); o, s, f = r["ours"], r["supervisord"], r["footprint"]
print(f"restart latency over {o['crashes']} crashes: orchestrator p50 {o['p50_ms']:.2f} ms, p99 {o['p99_ms']:.2f} ms (max {o['max_ms']:.2f}); "
      f"supervisord {sys.argv[2]} over {s['crashes']} crashes p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms; ratio p50 {s['p50_ms'] / o['p50_ms']:.0f}x, p99 {s['p99_ms'] / o['p99_ms']:.0f}x")
print(f"daemon footprint, AlphaTrader day with {f['services']} services up: RSS {f['rss_mb']:.1f} MB (anonymous {f['rss_anon_mb']:.1f}, "
      f"file-backed {f['rss_file_mb']:.1f}; PSS {f['pss_mb']:.1f}), idle CPU {f['idle_cpu_percent']:.2f}% of one core over {f['seconds']:.0f} s")
PY
echo "== the resident-memory floor of a Swift program on this platform (same run)" >&2
floor=$(Benchmarks/floor.sh)
python3 -c 'import json, sys; f = json.loads(sys.argv[1]); print("RSS of a Swift program that only waits: runtime alone %.1f MB, with Foundation %.1f MB, with Foundation time zones %.1f MB" % (f["bare_mb"], f["foundation_mb"], f["timezone_mb"]))' "$floor"

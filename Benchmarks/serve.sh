#!/usr/bin/env bash
# Issue 20's figures (the end of Benchmarks/run.sh, or alone after a release build of
# orchestrator-bench, orchestrator and orchestrator-web):
#  - /api/runs?limit=50 on a store of 1,000,000 runs: p99 under 5 ms, requests a second (wrk,
#    from Debian, one thread and 4 connections for the latency — on two cores wrk itself takes
#    one — and 16 connections for the saturated throughput, 10 s each);
#  - the Today page on that store: p99 under 5 ms, requests a second — for a day of the AlphaTrader
#    day's size (45 runs, added to the store) and for a day of the generated store (1,440 runs,
#    one a minute: thirty-two times a real day), each rendered anew for every request (a random
#    query parameter defeats serve's page cache) and as viewers of an unchanged page get it (the
#    page kept until the store's change mark or the minute moves);
#  - /metrics on that store: under 10 ms (its first scrape folds the whole history, reported
#    apart; later scrapes fold what changed);
#  - serve's resident memory under load, and its CPU when idle (under 0.5 %).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build-release/release}
echo "== issue 20: orchestrator serve" >&2
source Benchmarks/lib.sh
need_debian wrk wrk
need_debian sqlite3 sqlite3
bench_scratch serve-bench
g=$("$bin/orchestrator-bench" serve-store --runs 1000000 --out "$work/s.sqlite")
# A day the size of the AlphaTrader day (45 runs), copied from a generated day years later.
sqlite3 "$work/s.sqlite" "INSERT INTO run (job, trading_day, scheduled_for, trigger, state, attempts, created_at, started_at, finished_at, exit_code, params) SELECT job, '2030-01-07', scheduled_for + 144000000, trigger, state, attempts, created_at + 144000000, started_at + 144000000, finished_at + 144000000, exit_code, params FROM run WHERE trading_day = '2025-06-02' AND id % 32 = 0"
mkdir -p "$work/jobs"
printf 'database: %s\n' "$work/s.sqlite" > "$work/c.yaml"
printf 'jobs:\n  job0: { shell: "true" }\n' > "$work/jobs/j.yaml"
port=$(free_port)
"$bin/orchestrator" serve --listen "127.0.0.1:$port" --config "$work/c.yaml" --jobs "$work/jobs" 2> "$work/serve.log" &
serve=$!
trap 'kill $serve 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "127.0.0.1:$port/api/status" >/dev/null 2>&1 && break; sleep 0.05; done
first=$(curl -s -o /dev/null -w '%{time_total}' "127.0.0.1:$port/metrics")
scrape=$(for _ in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' "127.0.0.1:$port/metrics"; done | sort -n | awk '{a[NR]=$1} END {print a[int(NR/2)+1], a[NR]}')
runs=$(wrk -t1 -c4 -d10s --latency "http://127.0.0.1:$port/api/runs?limit=50" 2>&1)
saturated=$(wrk -t1 -c16 -d10s --latency "http://127.0.0.1:$port/api/runs?limit=50" 2>&1)
metrics=$(wrk -t1 -c4 -d10s --latency "http://127.0.0.1:$port/metrics" 2>&1)
printf 'request = function() return wrk.format("GET", wrk.path .. "&fresh=" .. math.random(1000000000)) end\n' > "$work/fresh.lua"
small=$(wrk -t1 -c4 -d10s --latency -s "$work/fresh.lua" "http://127.0.0.1:$port/?day=2030-01-07" 2>&1)
smallruns=$(curl -s "127.0.0.1:$port/api/today?day=2030-01-07" | grep -c '"job"')
today=$(wrk -t1 -c4 -d10s --latency -s "$work/fresh.lua" "http://127.0.0.1:$port/?day=2025-06-02" 2>&1)
kept=$(wrk -t1 -c4 -d10s --latency "http://127.0.0.1:$port/?day=2025-06-02" 2>&1)
todaybytes=$(curl -s "127.0.0.1:$port/?day=2025-06-02" | wc -c)
todayruns=$(curl -s "127.0.0.1:$port/api/today?day=2025-06-02" | grep -c '"job"')
rss=$(awk '/VmHWM/ {print $2}' /proc/$serve/status)
sleep 3
t0=$(awk '{print $14 + $15}' /proc/$serve/stat); sleep 10; t1=$(awk '{print $14 + $15}' /proc/$serve/stat)
python3 - "$g" "$first" "$scrape" "$rss" "$t0" "$t1" "$(getconf CLK_TCK)" <<'PY' "$runs" "$metrics" "$saturated" "$today" "$todaybytes" "$todayruns" "$small" "$smallruns" "$kept"
import json, re, sys
g = json.loads(sys.argv[1]); first = float(sys.argv[2]); med, worst = map(float, sys.argv[3].split())
rss, t0, t1, hz = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
def wrk(text):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    def ms(v, u): return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
    p50 = ms(*re.search(r"50%\s+([\d.]+)(us|ms|s)", text).groups()); p99 = ms(*re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups())
    return rps, p50, p99
r = wrk(sys.argv[8]); m = wrk(sys.argv[9]); s = wrk(sys.argv[10]); t = wrk(sys.argv[11]); d = wrk(sys.argv[14]); k = wrk(sys.argv[16])
print("store: %d runs with their attempts and transitions (%.0f MB)" % (g["runs"], g["bytes"] / 1e6))
print("/api/runs?limit=50 under wrk (4 connections): %.0f requests/s, p50 %.2f ms, p99 %.2f ms (goal p99 < 5 ms); saturated (16 connections): %.0f requests/s, p99 %.2f ms" % (r + (s[0], s[2])))
print("/metrics: the first scrape (folds the whole history) %.0f ms; then %.1f ms median, %.1f ms worst of 20 (goal < 10 ms); under wrk %.0f requests/s, p50 %.2f ms, p99 %.2f ms" % (first * 1000, med * 1000, worst * 1000, m[0], m[1], m[2]))
print("the Today page, rendered for every request (wrk, 4 connections; goal p99 < 5 ms):")
print("  a day of %s runs (the AlphaTrader day's size): %.0f requests/s, p50 %.2f ms, p99 %.2f ms" % ((sys.argv[15],) + d))
print("  a day of %s runs (%d KB of HTML): %.0f requests/s, p50 %.2f ms, p99 %.2f ms" % ((sys.argv[13], int(sys.argv[12]) // 1024) + t))
print("  the same page as viewers of it get it while nothing changed (kept): %.0f requests/s, p50 %.2f ms, p99 %.2f ms" % k)
print("serve: resident memory at most %.1f MB under load; idle CPU %.2f %% over 10 s (goal < 0.5 %%)" % (rss / 1024, (t1 - t0) / hz / 10 * 100))
PY

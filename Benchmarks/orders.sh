#!/usr/bin/env bash
# Issue 16's figures (the end of Benchmarks/run.sh, or alone after a release build):
#  - the order round trip on loopback, placeOrder of a marketable option order → Filled, over
#    1,000 orders, through our order path (journal included) and through ib_async, in the same
#    run against the same tws-sim;
#  - the trade journal's fills committed per second, one transaction each;
#  - tws-sim as a paper broker under load: the 12 symbols' market data to a feed client
#    (alphatrader ingest --source ibkr into a local Redis) and 50 orders a second, every stock
#    fill checked against the tape, and tws-sim's CPU share.
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
bin=${BIN:-.build-release/release}
bench_scratch orders-bench
sim=""; feed=""
trap 'for p in $sim $feed $redis_pid; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet ib_async
next_session
"$bin/alphatrader" replay-gen --date "$day" --from 09:30 --to 10:30 --out "$work/tape" > /dev/null 2>&1
expiry=${day//-/}

echo "== order round trip: placeOrder of a marketable SPY option order → Filled, 1,000 orders" >&2
# The market at 20x from 09:31, so that quotes (and the displayed size at them) turn over as
# they would for a thousand orders a second; the round trip is real time.
port=$(free_port)
ORCHESTRATOR_CLOCK="sim=${first_minute};real=$(date +%s);speed=20" start_sim "$port"
ours=$("$bin/orchestrator-bench" orders --port "$port" --count 1000 --expiry "$expiry" --journal "$work/journal.sqlite")
theirs=$("$work/venv/bin/python" Benchmarks/orders_ib_async.py "$port" "$expiry" 1000)
# The floor under every client of this tws-sim: the same orders from a bare socket (frames
# written and read, nothing journaled or parsed beyond them).
strike=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["strike"])' "$ours")
bare=$("$bin/orchestrator-bench" orders-floor --port "$port" --count 1000 --expiry "$expiry" --strike "$strike")
kill "$sim"; wait "$sim" 2>/dev/null || true; sim=""
python3 -c 'import json,sys; o=json.loads(sys.argv[1]); t=json.loads(sys.argv[2]); print("order round trip (ours, journal included): p50 %.0f us (of which the journaled submission %.0f us), p99 %.0f us, max %.0f us; ib_async 2.1: p50 %.0f us, p99 %.0f us; ratio p50 %.1fx, p99 %.1fx (goals: p99 < 1 ms, >= 10x)" % (o["p50_us"], o["place_p50_us"], o["p99_us"], o["max_us"], t["p50_us"], t["p99_us"], t["p50_us"] / o["p50_us"], t["p99_us"] / o["p99_us"]))' "$ours" "$theirs"
python3 -c 'import json,sys; b=json.loads(sys.argv[1]); t=json.loads(sys.argv[2]); print("the floor, a bare socket placing the same orders on the same tws-sim: p50 %.0f us, p99 %.0f us — no client can be more than %.1fx (p50) / %.1fx (p99) faster than ib_async here" % (b["p50_us"], b["p99_us"], t["p50_us"] / b["p50_us"], t["p99_us"] / b["p99_us"]))' "$bare" "$theirs"

# What the journal adds: one commit (a fill, one transaction) after 25 ms asleep, as each of the
# two on an order's path (the submission before the send, the reply after it).
cold=$("$bin/orchestrator-bench" journal --journal "$work/cold.sqlite" --count 1000 --interval-ms 25)
python3 -c 'import json,sys; c=json.loads(sys.argv[1]); print("one journal commit after 25 ms asleep (each order makes two): p50 %.0f us, p99 %.0f us" % (c["commit_p50_us"], c["commit_p99_us"]))' "$cold"
floor=$(python3 Benchmarks/loopback_floor.py)
python3 -c 'import json,sys; f=json.loads(sys.argv[1]); print("the floor, a 200-byte TCP echo on loopback: p50 %.0f us back to back, p50 %.0f us / p99 %.0f us with 25 ms asleep between requests" % (f["hot_p50_us"], f["gap25ms_p50_us"], f["gap25ms_p99_us"]))' "$floor"

echo "== the trade journal: fills committed per second, one transaction each" >&2
"$bin/orchestrator-bench" journal --journal "$work/fills.sqlite" --count 20000 | python3 -c 'import json,sys; r=json.load(sys.stdin); print("journal: %d fills in %.2f s: %s fills/s (goal >= 10,000)" % (r["fills"], r["seconds"], format(int(r["fills_per_s"]), ",")))'

echo "== tws-sim under load: 12 symbols of market data to a feed client + 50 orders a second for 20 s" >&2
start_redis "$work"
port=$(free_port)
export ORCHESTRATOR_CLOCK="sim=${day}T14:35:00Z;real=$(date +%s);speed=1"
start_sim "$port"
ticks0=$(awk '{print $14 + $15}' "/proc/$sim/stat"); t0=$(date +%s.%N)
REDIS_URL="redis://127.0.0.1:$redis_port/0" IBKR_PORT=$port "$bin/alphatrader" ingest --source ibkr 2> "$work/feed.log" &
feed=$!
load=$("$bin/orchestrator-bench" broker-load --port "$port" --rate 50 --seconds 20 --journal "$work/load.sqlite")
ticks1=$(awk '{print $14 + $15}' "/proc/$sim/stat"); t1=$(date +%s.%N)
kill "$feed"; wait "$feed" 2>/dev/null || true; feed=""
kill "$sim"; wait "$sim" 2>/dev/null || true; sim=""
check=$("$bin/orchestrator-bench" check-fills --tape "$work/tape" --account "$work/account-$port.json")
events=$(grep -o 'events=[0-9]*' "$work/feed.log" | tail -n 1 | cut -d= -f2 || echo 0)
python3 -c 'import json,sys,os; l=json.loads(sys.argv[1]); c=json.loads(sys.argv[2]); cpu=(float(sys.argv[4])-float(sys.argv[3]))/os.sysconf("SC_CLK_TCK")/(float(sys.argv[6])-float(sys.argv[5])); print("tws-sim under load: %d orders placed, %d filled (%d refused); %d stock fills checked against the tape, %d wrong; feed client received %s events; tws-sim CPU %.1f%% of one core" % (l["placed"], l["fills"], l["refused"], c["stock_fills"], c["wrong"], sys.argv[7], 100*cpu))' "$load" "$check" "$ticks0" "$ticks1" "$t0" "$t1" "${events:-0}"

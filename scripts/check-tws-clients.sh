#!/usr/bin/env bash
# Interoperability: the existing TWS API clients — ib_async and the official ibapi — connect to
# `alphatrader tws-sim`, stream from it and trade on its paper broker (ib_async: an option
# bracket and a stock market order; ibapi: a resting limit placed, listed and cancelled).
# Installs both into a throwaway virtualenv (needs network for pip), serves a ten-minute tape
# on a free port with a fresh account, runs Tests/Interop/*.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
swift build --product alphatrader >&2
bin=$(swift build --show-bin-path)
work=$(mktemp -d /tmp/tws-interop.XXXXXX)
sim=""
trap '[ -n "$sim" ] && kill "$sim" 2>/dev/null; rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet ib_async ibapi-stable
"$bin/alphatrader" replay-gen --from 09:30 --to 09:40 --out "$work/tape" >&2
"$bin/alphatrader" tws-sim --tape "$work/tape" --port 0 --unpaced --account "$work/account.json" > "$work/port" 2> "$work/sim.log" &
sim=$!
for _ in $(seq 50); do grep -q listening "$work/port" && break; sleep 0.1; done
port=$(grep -o '[0-9]*$' "$work/port")
"$work/venv/bin/python" Tests/Interop/ib_async_check.py "$port"
"$work/venv/bin/python" Tests/Interop/ibapi_check.py "$port"
"$work/venv/bin/python" Tests/Interop/ib_async_orders.py "$port"
"$work/venv/bin/python" Tests/Interop/ibapi_orders.py "$port"
echo "both clients connected, streamed from tws-sim and traded on its paper broker"

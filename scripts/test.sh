#!/usr/bin/env bash
# The README's second command: installs what is missing and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/install-deps.sh --tests
swift build --build-tests
swift test --skip-build
# Issue 21, several nodes on one PostgreSQL. The fault campaign: three nodes under 200 faults
# (kill -9, SIGSTOP past node_dead_after, sessions terminated, PostgreSQL restarted), then the
# checker matches every slot against what the jobs appended themselves (about 9 minutes).
.build/debug/fault-campaign --faults 200 --interval 1-3 --report .build/fault-campaign.json
# The AlphaTrader day on two and on three nodes, the leader killed mid-session (about 4 minutes
# each; the second holds 90 s more, past midnight, where leadership must stay put). Its jobs at
# 300x need the release build, as the main job does.
for p in orchestrator alphatrader alphatrader-dashboard; do
  swift build -c release --scratch-path .build-release --product "$p"
done
BIN=.build-release/release scripts/nodes-day.sh --nodes 2 --kill-at 10:00
BIN=.build-release/release scripts/nodes-day.sh --nodes 3 --kill-at 11:00 --hold 90

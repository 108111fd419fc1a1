#!/usr/bin/env bash
# The README's second command: installs what is missing and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/install-deps.sh --tests
swift build --build-tests
swift test --skip-build
# Issue 21's fault campaign: three nodes on one PostgreSQL under 200 faults (kill -9, SIGSTOP,
# terminated sessions, PostgreSQL restarted), then the checker; about ten minutes.
.build/debug/fault-campaign --faults 200 --report .build/fault-campaign.json

#!/usr/bin/env bash
# The README's second command: installs what is missing and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/install-deps.sh --tests
swift build --build-tests
swift test --skip-build

#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the services need, only if missing.
# Safe to run again; needs root (or sudo) the first time. --tests adds what only the tests use:
# headless Chromium, which renders the reports as a person sees them, and Prometheus's promtool,
# which checks orchestrator serve's /metrics; chromium-driver and python3-selenium drive the pages'
# live behaviour as a browser user would; postgresql is the second run store's server (issue 21), started
# by the tests in a temporary directory on a free port.
set -euo pipefail
# librsvg2-bin: rsvg-convert turns the evening report's equity chart into the PNG the posts carry.
# libpq-dev: orchestrator-attempt-pq, the attempt supervisor of a PostgreSQL run store, links libpq.
packages=(redis-server libhiredis-dev libsqlite3-dev libpq-dev libc6-dev libcurl4-openssl-dev libssl-dev libyaml-dev pkg-config librsvg2-bin fonts-dejavu-core)
if [ "${1:-}" = "--tests" ]; then
  packages+=(chromium chromium-driver python3-selenium prometheus postgresql)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "note: add /opt/swift/usr/bin to PATH" >&2
  else
    echo "error: Swift 6.2 or later is needed (swift.org/install); it is not on PATH" >&2
    exit 1
  fi
fi

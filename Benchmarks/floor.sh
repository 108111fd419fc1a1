#!/usr/bin/env bash
# The resident memory floor of a Swift program on this platform, measured in the same run as
# the daemon's footprint (Benchmarks/services.sh calls it): the runtime alone, with Foundation,
# and with Foundation's time zones. Release builds (-O), dynamically linked as SwiftPM links
# the orchestrator.  usage: Benchmarks/floor.sh   (prints one JSON object)
set -euo pipefail
cd "$(dirname "$0")/floor"
out=$(mktemp -d /tmp/orchestrator-bench-floor.XXXXXX)
trap 'rm -rf "$out"' EXIT
printf '{'
sep=""
for name in bare foundation timezone; do
    swiftc -O "$name.swift" -o "$out/$name" 2>/dev/null
    "$out/$name" > "$out/$name.out" &
    pid=$!
    for _ in $(seq 100); do grep -q ready "$out/$name.out" 2>/dev/null && break; sleep 0.05; done
    sleep 0.3
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    printf '%s"%s_mb":%s' "$sep" "$name" "$(awk -v kb="$rss" 'BEGIN { printf "%.1f", kb / 1024 }')"
    sep=","
done
printf '}\n'

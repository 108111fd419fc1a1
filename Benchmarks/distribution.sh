#!/usr/bin/env bash
# Issue 18's figures (the end of Benchmarks/run.sh, or alone after a release build):
#  - rendering one morning report for every channel (Discord embeds, Telegram MarkdownV2 split,
#    the X thread), goal < 1 ms;
#  - one OAuth 1.0a HMAC-SHA1 Authorization header, goal < 20 us;
#  - 1,000 deliveries due at once drained by the distribution service against the local
#    stand-ins within each channel's published limit, none twice: when each channel's last one
#    went (clock time) against the limit-bound minimum.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build-release/release}
echo "== issue 18: posts and distribution" >&2
r=$("$bin/orchestrator-bench" posts-render)
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("a morning report (%d levels) for every channel: %d Discord messages, %d Telegram messages, %d X posts: median %.0f us (goal < 1 ms)" % (r["levels"], r["discord_messages"], r["telegram_messages"], r["x_posts"], r["median_us"]))' "$r"
s=$("$bin/orchestrator-bench" oauth-sign)
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("OAuth 1.0a HMAC-SHA1 header: %.2f us a request (goal < 20 us)" % r["us_per_request"])' "$s"
source Benchmarks/lib.sh
bench_scratch distribution-bench
start_redis "$work"
d=$("$bin/orchestrator-bench" outbox-drain --redis "redis://127.0.0.1:$redis_port/0" --outbox "$work/outbox.sqlite")
python3 -c '
import json,sys
r=json.loads(sys.argv[1])
for c in r["channels"]:
    print("outbox: %d %s deliveries due at once, the last sent after %.0f s of clock time; the limit allows it at %.0f s at the earliest" % (c["deliveries"], c["channel"], c["clock_seconds"], c["minimum_seconds"]))
print("none sent twice: %s; %.1f s of real time" % (r["none_twice"], r["real_seconds"]))' "$d"

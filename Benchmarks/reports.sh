#!/usr/bin/env bash
# Issue 19's figures (the end of Benchmarks/run.sh, or alone after a release build):
#  - the evening report over a year of daily history (252 sessions, 20 positions a day) and a
#    day of 1,000 trades, read from a real journal, computed and rendered: goal < 200 ms;
#  - a backup of a run store of 1,000,000 runs (with their attempts) and a Redis holding a day's
#    worth of market data — our RedisBackup (BGSAVE, copy, redis-check-rdb) + StoreBackup
#    (online backup, integrity_check, row counts) + the SHA-256 manifest — against sqlite3's
#    .backup + redis-cli --rdb of the same data in the same run: goal no slower than 1.5x.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build-release/release}
echo "== issue 19: the evening report and backups" >&2
r=$("$bin/orchestrator-bench" evening-report)
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("evening report: %d days of history, %d trades today (%d positions in the journal): read %.1f ms + compute %.1f ms + render %.1f ms = %.1f ms median, best %.1f ms (goal < 200 ms)" % (r["history_days"], r["trades_today"], r["positions_in_journal"], r["read_ms"], r["compute_ms"], r["render_ms"], r["total_ms"], r["best_ms"]))' "$r"
source Benchmarks/lib.sh
need_debian sqlite3 sqlite3
bench_scratch backup-bench
start_redis "$work"
b=$("$bin/orchestrator-bench" backup --redis "redis://127.0.0.1:$redis_port/0" --dir "$work")
python3 -c '
import json,sys
r=json.loads(sys.argv[1])
print("backup of %d runs and a Redis of %.0f MB: ours %.2f s (%.0f MB; Redis %.2f s, the store %.2f s, SHA-256 %.2f s) vs sqlite3 .backup + redis-cli --rdb %.2f s (%.0f MB): %.2fx (goal <= 1.5x)" % (
  r["runs"], r["redis_used_memory"] / 1e6, r["ours_s"], r["ours_bytes"] / 1e6, r["redis_s"], r["store_s"], r["sha256_s"], r["peers_s"], r["peers_bytes"] / 1e6, r["ratio"]))' "$b"

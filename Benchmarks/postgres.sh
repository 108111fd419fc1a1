#!/usr/bin/env bash
# Issue 21's figures (the end of Benchmarks/run.sh, or alone after a release build of
# orchestrator-bench, orchestrator, orchestrator-attempt, orchestrator-attempt-pq and
# fault-campaign into .build-release):
#  - the 1,000-job DAG (10 layers of 100 /bin/true jobs, -j2) with its store on PostgreSQL,
#    against the same on SQLite;
#  - slot claims a second, 4 writers (nodes) racing for the same 5,000 slots (each claimed once),
#    on both stores;
#  - pgbench's simple-update TPS on the same server with the same 4 clients: the ceiling a
#    single-row-update workload reaches there;
#  - failover: from kill -9 of the leader to its service running on another node, over 50 kills
#    (fault-campaign --only kill-leader, 3 nodes, node_dead_after 2 s): goal under 2 × 2 + 1 s.
# The server is Debian's PostgreSQL with its defaults (fsync and synchronous_commit on: a commit
# is on disk when acknowledged); SQLite's WAL with synchronous=NORMAL does not fsync per commit.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build-release/release}
echo "== issue 21: the run store on PostgreSQL" >&2
source Benchmarks/lib.sh
bench_scratch pg-bench
start_postgres "$work" bench
trap 'eval "$pg_stop"; rm -rf "$work"' EXIT
port=$pg_port
for db in dag claims bench; do "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U bench "$db"; done
url=postgres://bench@127.0.0.1:$port
echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (fsync on, synchronous_commit on)"

dag_sqlite=$("$bin/orchestrator-bench" dag --binary "$bin/orchestrator")
dag_pg=$("$bin/orchestrator-bench" dag --binary "$bin/orchestrator" --database "$url/dag")
python3 -c 'import json, sys; s, p = json.loads(sys.argv[1]), json.loads(sys.argv[2]); print("DAG of %d /bin/true jobs at -j%d: SQLite %.2f s, PostgreSQL %.2f s (%.2fx); make %.2f s" % (s["jobs"], s["parallel"], s["orchestrator_s"], p["orchestrator_s"], p["orchestrator_s"] / s["orchestrator_s"], s["make_s"]))' "$dag_sqlite" "$dag_pg"

claims_sqlite=$("$bin/orchestrator-bench" claims --writers 4 --slots 5000)
claims_pg=$("$bin/orchestrator-bench" claims --writers 4 --slots 5000 --database "$url/claims")
"$pgbin/pgbench" -h 127.0.0.1 -p "$port" -U bench -i -s 10 -q bench > "$work/pgbench-init.log" 2>&1
tps=$("$pgbin/pgbench" -h 127.0.0.1 -p "$port" -U bench -b simple-update -c 4 -j 2 -T 15 bench 2> "$work/pgbench.log" | awk '/^tps = / {print $3; exit}')
python3 -c 'import json, sys; s, p, t = json.loads(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3]); print("slot claims, 4 writers racing for 5,000 slots: SQLite %.0f/s, PostgreSQL %.0f/s (%.0f claim transactions/s); pgbench simple-update, 4 clients: %.0f TPS — claims at %.0f%% of it" % (s["claims_per_s"], p["claims_per_s"], p["attempts_per_s"], t, 100 * p["attempts_per_s"] / t))' "$claims_sqlite" "$claims_pg" "$tps"

"$bin/fault-campaign" --only kill-leader --faults 50 --interval 3-5 --dead-after 2 --seed 21 --report "$work/failover.json" > "$work/failover.log" 2>&1 || { tail -20 "$work/failover.log" >&2; exit 1; }
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("failover over %d kills of the leader (3 nodes, node_dead_after 2 s): p50 %.2f s, p99 %.2f s, max %.2f s (goal < 5 s); checker: %s" % (len(r["failovers"]), r["failover_p50"], r["failover_p99"], max(r["failovers"]), "nothing wrong" if not r["violations"] else r["violations"]))' "$work/failover.json"

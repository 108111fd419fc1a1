#!/usr/bin/env bash
# The AlphaTrader day — jobs/ and its services — on several orchestrator nodes sharing one
# PostgreSQL and one simulated clock, the leader killed with kill -9 mid-session and started
# again later (issue 21). Then, from the store: every slot of the day's plan from --from on
# claimed exactly once and succeeded, every other run of the day succeeded, no attempt lost,
# leadership taken over by another node; it prints what each node ran and how long the services
# were without a leader.
#   scripts/nodes-day.sh [--nodes 3] [--date YYYY-MM-DD] [--speed 300] [--from 07:00] [--kill-at 11:00] [--hold S]
# (--hold: real seconds more after the day's last run, the nodes idle: leadership must stay put.)
# Builds the release binaries (PostgreSQL is a default trait) unless BIN names a directory that
# has them. Works in var/nodes-day/ (config/ and jobs/ copied, a first session: no discovered
# parameters); PostgreSQL is Debian's, started on a free loopback port and stopped at the end,
# as are Redis, the paper broker and the dashboard (free ports, local channel stand-ins).
# Exits 0 when every check holds, 1 when one does not, 2 on bad arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
nodes=3 day="" speed=300 from=07:00 kill_at=11:00 hold=0
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=${2:-}; shift 2 ;;
    --date) day=${2:-}; shift 2 ;;
    --speed) speed=${2:-}; shift 2 ;;
    --from) from=${2:-}; shift 2 ;;
    --kill-at) kill_at=${2:-}; shift 2 ;;
    --hold) hold=${2:-}; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "nodes-day: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$nodes" =~ ^[2-9]$ ]] || { echo "nodes-day: --nodes takes 2 to 9, found '$nodes'" >&2; exit 2; }
[[ "$hold" =~ ^[0-9]+$ ]] || { echo "nodes-day: --hold takes whole seconds, found '$hold'" >&2; exit 2; }
[[ "$speed" =~ ^[0-9]+$ ]] && [ "$speed" -ge 1 ] && [ "$speed" -le 3600 ] || { echo "nodes-day: --speed takes 1 to 3600, found '$speed'" >&2; exit 2; }
for t in "$from" "$kill_at"; do
  [[ "$t" =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] || { echo "nodes-day: '$t' is not a time such as 09:30" >&2; exit 2; }
done
if [ -z "${BIN:-}" ]; then
  for p in orchestrator alphatrader alphatrader-dashboard; do swift build -c release --product "$p"; done
  BIN=$(swift build -c release --show-bin-path)
fi
bin=$(cd "$BIN" && pwd)
source Benchmarks/lib.sh

zone=$(sed -n 's/^timezone: *\([^ #]*\).*/\1/p' config/config.yaml)
day=${day:-$("$bin/orchestrator" calendar --json | grep -o '"date": "[0-9-]*"' | head -n 1 | cut -d'"' -f4)}
[[ "$day" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || { echo "nodes-day: --date takes YYYY-MM-DD, found '$day'" >&2; exit 2; }

# The workspace: the repository's configuration and jobs, a day of its own.
run_dir=$PWD/var/nodes-day
rm -rf "$run_dir"
mkdir -p "$run_dir"
cp -r config jobs "$run_dir/"
rm -f "$run_dir/config/discovered.yaml"
pg_dir=$(mktemp -d /tmp/nodes-day-pg.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  eval "${pg_stop:-true}"
  rm -rf "$pg_dir"
}
trap cleanup EXIT
start_postgres "$pg_dir" orchestrator
url=postgres://orchestrator@127.0.0.1:$pg_port/postgres
q() { "$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U orchestrator -d postgres -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# Ports of their own, so that the day runs beside anything else on this machine.
redis_port=$(free_port)
export REDIS_PORT=$redis_port REDIS_URL="redis://127.0.0.1:$redis_port/0" IBKR_PORT=$(free_port)
export DASHBOARD_LISTEN=127.0.0.1:$(free_port) ALPHATRADER_LOCAL_CHANNELS=1
unset DISCORD_WEBHOOK_URL TELEGRAM_BOT_TOKEN X_API_KEY
# One simulated clock for every node: the day's --from, a few real seconds from now (the nodes
# start before it, so every slot from --from on is theirs), --speed times real time.
sim_start=$(TZ=$zone date -d "$day $from" +%s)
real_start=$(( $(date +%s) + 3 ))
export ORCHESTRATOR_CLOCK="sim=$(date -u -d "@$sim_start" +%Y-%m-%dT%H:%M:%SZ);real=$real_start;speed=$speed"
sim_now() { echo $(( sim_start + ($(date +%s%N) / 1000000 - real_start * 1000) * speed / 1000 )); }
at_sim() { local t; t=$(TZ=$zone date -d "$day $1" +%s); echo $(( real_start + (t - sim_start) / speed )); }
# Heartbeats and the lease are in real time: 2 s here (10 s by default) is 10 simulated minutes at 300x.
printf 'node_dead_after: 2s\n' >> "$run_dir/config/config.yaml"

cd "$run_dir"
"$bin/orchestrator" validate --db "$url" > /dev/null
last=$("$bin/orchestrator" plan --date "$day" --json | python3 -c '
import json, sys, datetime
times = [datetime.datetime.fromisoformat(s["time"].replace("Z", "+00:00")).timestamp() for s in json.load(sys.stdin) if s.get("time")]
print(int(max(times)))')
declare -A pid_of
start_node() {
  "$bin/orchestrator" run --db "$url" --node "$1" >> "node-$1.log" 2>&1 &
  pid_of[$1]=$!
  pids+=($!)
}
echo "nodes-day $day: $nodes nodes on PostgreSQL 127.0.0.1:$pg_port, $from on at ${speed}x; the leader killed at $kill_at (log: $run_dir/node-*.log)"
for i in $(seq 1 "$nodes"); do start_node "n$i"; done

# The leader killed mid-session; the services' leadership timed to its new holder.
kill_real=$(at_sim "$kill_at")
while [ "$(date +%s)" -lt "$kill_real" ]; do sleep 0.5; done
read -r leader term < <(q "SELECT node, term FROM lease WHERE expires_at > now();" | tr '|' ' ')
[ -n "${leader:-}" ] || { echo "✘ no leader at $kill_at" >&2; exit 1; }
killed_at=$(date +%s.%N)
kill -KILL "${pid_of[$leader]}"
wait "${pid_of[$leader]}" 2> /dev/null || true
echo "$(TZ=$zone date -d "@$(sim_now)" +%H:%M)  kill -9 $leader (the leader, term $term)"
failover=""
for _ in $(seq 600); do
  read -r holder new_term < <(q "SELECT node, term FROM lease WHERE expires_at > now();" | tr '|' ' ') || true
  if [ -n "${new_term:-}" ] && [ "$new_term" -gt "$term" ]; then
    failover=$(python3 -c "import time; print('%.2f' % (time.time() - $killed_at))")
    echo "$(TZ=$zone date -d "@$(sim_now)" +%H:%M)  $holder leads (term $new_term), ${failover} s after the kill"
    break
  fi
  sleep 0.1
done
sleep 10
start_node "$leader"
echo "$(TZ=$zone date -d "@$(sim_now)" +%H:%M)  $leader started again"

# The day's end: past its last slot, and nothing of the day active any more.
deadline=$(( $(date +%s) + (last - $(sim_now)) / speed + 600 ))
while :; do
  active=$(q "SELECT count(*) FROM run WHERE trading_day = '$day' AND state IN ('pending', 'queued', 'running', 'retrying') AND job NOT IN (SELECT name FROM service);")
  [ "$(sim_now)" -gt "$last" ] && [ "$active" = 0 ] && break
  if [ "$(date +%s)" -gt "$deadline" ]; then echo "✘ the day did not end: $active run(s) still active" >&2; break; fi
  sleep 1
done
sleep "$hold"
# Leadership changes once, at the kill: another term before the nodes stop is a leader that lost
# its lease while running (a stall past node_dead_after) and stopped its services for nothing.
final_term=$(q "SELECT term FROM lease;")
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()

# The checks, from the store.
"$bin/orchestrator" plan --date "$day" --json > plan.json
# Services have runs too (one per supervised stretch): they are checked by the jobs that need them.
q "SELECT job, scheduled_for, state FROM run WHERE trading_day = '$day' AND job NOT IN (SELECT name FROM service);" > runs.txt
q "SELECT r.job, a.node, a.outcome FROM attempt a JOIN run r ON r.id = a.run_id WHERE r.trading_day = '$day' AND r.job NOT IN (SELECT name FROM service);" > attempts.txt
q "SELECT name, node, state FROM service ORDER BY name;" > services.txt
q "SELECT service, to_timestamp(at), kind, state, pid, detail FROM service_event ORDER BY id;" > service-events.txt
python3 - "$sim_start" "$failover" "$leader" "${holder:-}" "$term" "$final_term" <<'EOF'
import datetime, json, sys
from collections import Counter, defaultdict
sim_start, failover, killed, holder = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
first_term, final_term = int(sys.argv[5]), int(sys.argv[6] or 0)
epoch = lambda t: datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
plan = [dict(job=s["job"], scheduled_for=epoch(s["time"])) for s in json.load(open("plan.json")) if s.get("time")]
plan = [s for s in plan if s["scheduled_for"] >= sim_start]
runs = [l.split("|") for l in open("runs.txt").read().split("\n") if l]
attempts = [l.split("|") for l in open("attempts.txt").read().split("\n") if l]
by_slot = Counter((job, float(t)) for job, t, _ in runs if t)
problems = []
for s in plan:
    n = by_slot[(s["job"], float(s["scheduled_for"]))]
    if n != 1:
        problems.append("%s at %s: %d runs" % (s["job"], s["scheduled_for"], n))
states = Counter(state for _, _, state in runs)
not_ok = [(job, state) for job, _, state in runs if state != "succeeded"]
problems += ["%s %s" % p for p in not_ok]
lost = [a for a in attempts if a[2] == "lost"]
problems += ["%s: an attempt lost on %s" % (a[0], a[1]) for a in lost]
if not failover:
    problems.append("no other node took the lease after %s was killed" % killed)
elif final_term != 2:
    problems.append("leadership changed %d time(s) besides the kill (term %d at the kill, %d at the end; 1 and 2 expected)" % (final_term - 2, first_term, final_term))
per_node = defaultdict(Counter)
for job, node, outcome in attempts:
    per_node[node][job] += 1
print("slots in the plan from the start: %d; runs of the day: %d (%s)" % (len(plan), len(runs), ", ".join("%d %s" % (n, s) for s, n in states.items())))
for node in sorted(per_node):
    jobs = per_node[node]
    print("  %s ran %d attempt(s): %s" % (node, sum(jobs.values()), ", ".join("%s×%d" % (j, n) if n > 1 else j for j, n in sorted(jobs.items()))))
if failover:
    print("failover: %s killed, %s led %s s later (goal < 2 × node_dead_after + 1 s = 5 s)" % (killed, holder, failover))
for p in problems[:20]:
    print("✘ " + p)
print("every slot claimed once and succeeded, no attempt lost" if not problems else "✘ %d problem(s)" % len(problems))
sys.exit(1 if problems else 0)
EOF

# Shared by the benchmark scripts: a free loopback port, and a throwaway redis-server on one.
#   source Benchmarks/lib.sh

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_redis DIR: a redis-server without persistence on a free port, data under DIR; sets
# redis_port and redis_pid (killed on exit when bench_scratch set the trap) and waits until it answers.
start_redis() {
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$1" --loglevel warning >/dev/null &
  redis_pid=$!
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis-server did not start on port $redis_port" >&2
  return 1
}

# start_postgres DIR USER: Debian's PostgreSQL (the newest installed) in DIR/data on a free
# loopback port, trust authentication for USER, as the postgres user when run as root (PostgreSQL
# refuses root); sets pg_port, pgbin and pg_stop (a command: immediate shutdown, by the server's
# own pid — runuser does not pass signals on) and waits until it answers.
start_postgres() {
  local dir=$1 user=$2
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || { echo "PostgreSQL's server is not installed (scripts/install-deps.sh --tests)" >&2; return 1; }
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  pg_port=$(free_port)
  as_pg "$pgbin/initdb" -D "$dir/data" -U "$user" --auth=trust -E UTF8 --no-instructions > "$dir/initdb.log"
  as_pg "$pgbin/postgres" -D "$dir/data" -p "$pg_port" -k "$dir" -c listen_addresses=127.0.0.1 > "$dir/pg.log" 2>&1 &
  pg_stop="kill -QUIT \$(head -1 '$dir/data/postmaster.pid' 2>/dev/null) 2>/dev/null; wait $! 2>/dev/null"
  for _ in $(seq 100); do "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && return 0; sleep 0.1; done
  echo "PostgreSQL did not start on port $pg_port ($dir/pg.log)" >&2
  return 1
}

# A scratch directory in $work, and the Redis start_redis may start, both gone when the script
# exits.  usage: bench_scratch NAME
bench_scratch() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  redis_pid=""
  trap 'if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null; fi; rm -rf "$work"' EXIT
}

# start_sim PORT ARGS...: tws-sim ($bin) on $work/tape with the account $work/account-PORT.json;
# sets sim (its pid) and waits until it listens.
start_sim() {
  local port=$1; shift
  "$bin/alphatrader" tws-sim --tape "$work/tape" --port "$port" --account "$work/account-$port.json" "$@" > /dev/null 2> "$work/sim-$port.log" &
  sim=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.05; done
  echo "tws-sim did not listen on $port" >&2; return 1
}

# The next session: its date in $day, and one minute after its open (UTC, ISO-8601) in
# $first_minute — where the benchmarks' tapes start their clock (09:31 New York, winter or summer).
next_session() {
  local json open
  json=$("$bin/orchestrator" calendar --json)
  day=$(printf '%s' "$json" | grep -o '"date": "[0-9-]*"' | head -n 1 | cut -d'"' -f4)
  open=$(printf '%s' "$json" | grep -o '"open": "[^"]*"' | head -n 1 | cut -d'"' -f4)
  first_minute=$(date -u -d "$open + 1 minute" +%Y-%m-%dT%H:%M:%SZ)
}

# need_debian COMMAND PACKAGE: installs PACKAGE from Debian when COMMAND is missing (a peer or a
# load generator of a benchmark).
need_debian() {
  command -v "$1" >/dev/null 2>&1 && return 0
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}

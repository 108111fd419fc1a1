#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the main job — one
# AlphaTrader trading day of jobs/ on a simulated clock at 300x with the replay feed: Redis,
# the day's tape (generated), ingestion and analytics supervised through the session, parameter
# discovery every 15 minutes. No accounts needed. Pass a date to choose the day:
#   scripts/main-job.sh 2026-11-27
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/install-deps.sh
# Without the PostgreSQL trait (the day runs on SQLite): postgres-nio, swift-nio-ssl and
# swift-crypto are ~6 minutes of a two-core release build. Every build here takes the same
# traits, or each would rebuild what the others built.
traits=--disable-default-traits
swift build -c release $traits --product orchestrator
swift build -c release $traits --product alphatrader
# The web servers (Hummingbird): the dashboard service of the day, and orchestrator serve after it.
swift build -c release $traits --product alphatrader-dashboard
swift build -c release $traits --product orchestrator-web
bin=$(swift build -c release $traits --show-bin-path)
# The day's Redis on 6379 unless something already listens there (a system redis-server).
port=6379
if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  port=6390
  echo "note: port 6379 is in use; the day's Redis listens on $port" >&2
fi
export REDIS_PORT=$port REDIS_URL="redis://127.0.0.1:$port/0"
# The paper broker (the broker service, tws-sim) on 7497 unless something listens there (TWS).
ibkr=7497
if (exec 3<>/dev/tcp/127.0.0.1/7497) 2>/dev/null; then
  ibkr=7597
  echo "note: port 7497 is in use; the day's paper broker listens on $ibkr" >&2
fi
export IBKR_PORT=$ibkr
# The dashboard service (alphatrader dashboard) on 8090 unless something listens there.
dashboard=8090
if (exec 3<>/dev/tcp/127.0.0.1/8090) 2>/dev/null; then
  dashboard=8190
  echo "note: port 8090 is in use; the day's dashboard listens on $dashboard" >&2
fi
export DASHBOARD_LISTEN=127.0.0.1:$dashboard
# No channel configured (no webhook, bot token or X keys): the posts and the tiered signals go
# to local stand-ins of Discord, Telegram and X, so the whole posting path runs.
if [ -z "${DISCORD_WEBHOOK_URL:-}${TELEGRAM_BOT_TOKEN:-}${X_API_KEY:-}" ]; then
  export ALPHATRADER_LOCAL_CHANNELS=${ALPHATRADER_LOCAL_CHANNELS:-1}
fi
"$bin/orchestrator" validate
day=${1:-$("$bin/orchestrator" calendar --json | grep -o '"date": "[0-9-]*"' | head -n 1 | cut -d'"' -f4)}
# A replayed day more than 8 days after the last run's discovered parameters (market-open's
# limit, twice --max-parameter-age) would fail its pre-open check: such a file is another
# replay's, not this day's history — set aside, the day starts as a first session.
if [ -f config/discovered.yaml ]; then
  last=$(grep -o '^session: "[0-9-]*"' config/discovered.yaml | cut -d'"' -f2 || true)
  if [ -n "$last" ] && [ $(( ($(date -ud "$day" +%s) - $(date -ud "$last" +%s)) / 86400 )) -gt 8 ]; then
    mv config/discovered.yaml "config/discovered.$last.yaml"
    echo "note: config/discovered.yaml is of $last, more than 8 days before $day; kept as config/discovered.$last.yaml" >&2
  fi
fi
"$bin/orchestrator" plan --date "$day"
echo
status=0
# The summary ends with each job's slowest attempt in real time against its timeout (discovery's
# margin) and each service's last log line (the feed's: events and its lag p99 in real ms).
"$bin/orchestrator" run-day --date "$day" --speed 300 --from 07:00 || status=$?
echo
# The trading day as the journal has it: signals, orders, fills, P&L, the risk state at the close.
"$bin/alphatrader" day --date "$day" || status=$?
echo
# The evening report (open evening.html in a browser) and the day's verified backup.
if [ -f "var/reports/$day/evening.html" ]; then
  echo "evening report: var/reports/$day/evening.html (with evening.json and evening.png)"
fi
latest=$(ls -d var/backups/2* 2>/dev/null | tail -n 1 || true)
[ -n "$latest" ] && echo "backup: $latest (manifest.json; alphatrader restore --from $latest puts it back)"
echo
echo "discovered parameters (config/discovered.yaml):"
head -n 14 config/discovered.yaml
echo
echo "the day in a browser: $bin/orchestrator serve, then http://127.0.0.1:8080/ (the orchestrator's pages; the trading dashboard ran on http://127.0.0.1:$dashboard/ through the session)"
exit $status

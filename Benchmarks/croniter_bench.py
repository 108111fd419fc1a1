"""The croniter side of the cron benchmark: the same expressions, zone, start and fire count as
`orchestrator-bench cron`, timed in the same invocation of Benchmarks/run.sh."""
import json
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import croniter

fires = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
tz = ZoneInfo("America/New_York")
start = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")).astimezone(tz)
rows = []
for expr in ["*/15 9-16 * * 1-5", "0 17 * * 1-5", "30 2 * * *"]:
    best = None
    last = None
    for _ in range(rounds):
        it = croniter(expr, start)
        t0 = time.perf_counter()
        for _ in range(fires):
            last = it.get_next(datetime)
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    rows.append({"expr": expr, "fires": fires, "seconds": best, "fires_per_sec": fires / best, "last": last.isoformat()})
from importlib.metadata import version
print(json.dumps({"croniter": version("croniter"), "python": sys.version.split()[0], "rows": rows}))

"""Scheduler lag of the daemon (`orchestrator run`): from a slot's due instant to its job's own
process running, over SLOTS one-second slots on a clock at SPEED (ORCHESTRATOR_CLOCK, so a
thousand slots take seconds, not a quarter of an hour). The job (stamp.c) notes its start on
the real clock; the slot's due instant maps to the real clock through the same anchors.

usage: run_lag.py ORCHESTRATOR STAMP [SLOTS] [SPEED]
"""
import calendar, json, os, signal, subprocess, sys, tempfile, shutil, time

orchestrator, stamp = sys.argv[1:3]
slots = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
speed = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0

d = tempfile.mkdtemp(prefix="orchestrator-bench-runlag-")
os.makedirs(f"{d}/jobs")
open(f"{d}/c.yaml", "w").write(f"database: {d}/s.sqlite\nlogs: {d}/logs\nmax_parallel: 8\n")
open(f"{d}/jobs/tick.yaml", "w").write(
    f"jobs:\n  tick: {{ command: [{stamp}, {d}/starts], schedule: {{ every: 1s, during: day }}, overlap: queue }}\n")
sim0 = calendar.timegm((2026, 11, 25, 15, 0, 0))        # 10:00 New York, a trading day
real0 = time.time() + 0.5
env = dict(os.environ, ORCHESTRATOR_CLOCK=f"sim=2026-11-25T15:00:00Z;real={real0:.6f};speed={speed:g}")
p = subprocess.Popen([orchestrator, "run", "--config", f"{d}/c.yaml", "--jobs", f"{d}/jobs"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
deadline = time.time() + slots / speed + 60
while time.time() < deadline:
    if os.path.exists(f"{d}/starts") and sum(1 for _ in open(f"{d}/starts")) >= slots + 5:
        break
    time.sleep(0.2)
p.send_signal(signal.SIGTERM); p.wait()
lags = []
for line in open(f"{d}/starts"):
    slot, ns = line.split()
    t = calendar.timegm(time.strptime(slot, "%Y-%m-%dT%H:%M:%SZ"))
    if t <= sim0:                      # the slot at the start instant itself may be caught up
        continue
    due = real0 + (t - sim0) / speed
    lags.append((int(ns) / 1e9 - due) * 1000)
lags = sorted(lags[:slots])
shutil.rmtree(d, ignore_errors=True)
pick = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]
print(json.dumps({"slots": len(lags), "speed": speed, "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": lags[-1]}))

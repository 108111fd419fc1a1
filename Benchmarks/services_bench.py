"""Service restart latency (crash -> new process running, restart_delay 0) for orchestrator run
and supervisord, and the daemon's footprint with the AlphaTrader day's services running.

usage: services_bench.py ORCHESTRATOR CRASHER SUPERVISORD REPO [CRASHES]
"""
import json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time

orchestrator, crasher, supervisord, repo = sys.argv[1:5]
crashes = int(sys.argv[5]) if len(sys.argv) > 5 else 200


def latencies(path, n):
    rows = [list(map(int, l.split())) for l in open(path) if len(l.split()) == 3]
    lat = [(rows[i + 1][1] - rows[i][2]) / 1e6 for i in range(len(rows) - 1)][:n]
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    return {"crashes": len(lat), "p50_ms": pick(0.50), "p99_ms": pick(0.99), "max_ms": lat[-1]}


def wait_lines(path, n, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and sum(1 for _ in open(path)) > n:
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {n} restarts in {path}")


def ours():
    d = tempfile.mkdtemp(prefix="orchestrator-bench-svc-")
    os.makedirs(f"{d}/jobs")
    open(f"{d}/c.yaml", "w").write(f"database: {d}/s.sqlite\nlogs: {d}/logs\n")
    open(f"{d}/jobs/s.yaml", "w").write(
        "services:\n  crasher:\n"
        f"    command: [{crasher}, {d}/starts]\n"
        "    restart_delay: 0s\n    max_restart_delay: 0s\n"
        "    start_limit: { burst: 1000000, interval: 1s }\n")
    p = subprocess.Popen([orchestrator, "run", "--config", f"{d}/c.yaml", "--jobs", f"{d}/jobs"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_lines(f"{d}/starts", crashes + 1)
    p.send_signal(signal.SIGTERM); p.wait()
    r = latencies(f"{d}/starts", crashes)
    shutil.rmtree(d, ignore_errors=True)
    return r


def theirs(n):
    """supervisord notices an exit on its once-a-second loop tick and restarts on a later
    one (about 1-2 s each), so it gets fewer crashes: the spread is a few ms either way."""
    d = tempfile.mkdtemp(prefix="orchestrator-bench-supervisord-")
    open(f"{d}/supervisord.conf", "w").write(f"""[supervisord]
nodaemon=true
logfile={d}/supervisord.log
pidfile={d}/supervisord.pid
[program:crasher]
command={crasher} {d}/starts
autorestart=true
startsecs=0
startretries=1000000
stdout_logfile={d}/crasher.log
redirect_stderr=true
""")
    p = subprocess.Popen([supervisord, "-c", f"{d}/supervisord.conf"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_lines(f"{d}/starts", n + 1, timeout=3 * n + 30)
    p.send_signal(signal.SIGTERM); p.wait()
    r = latencies(f"{d}/starts", n)
    shutil.rmtree(d, ignore_errors=True)
    return r


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def footprint(seconds=10.0):
    """The AlphaTrader day (jobs/*.yaml as committed) with its services running for real:
    Redis on a free port (REDIS_PORT/REDIS_URL), `alphatrader ingest` replaying a generated tape
    at 1x, `alphatrader analytics`, each health-checked as declared; the clock set inside the
    session so every window is open. Only the daemon's own process is measured."""
    d = tempfile.mkdtemp(prefix="orchestrator-bench-footprint-")
    port = free_port()
    bindir = os.path.dirname(orchestrator)
    shutil.copytree(f"{repo}/jobs", f"{d}/jobs")
    shutil.copytree(f"{repo}/config", f"{d}/config")
    os.makedirs(f"{d}/var/tapes")
    subprocess.run([f"{bindir}/alphatrader", "replay-gen", "--date", "2026-11-25", "--seed", "1",
                    "--out", f"{d}/var/tapes/2026-11-25.tape"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
    env = dict(os.environ, ORCHESTRATOR_CLOCK=f"sim=2026-11-25T16:00:00Z;real={time.time()};speed=1",
               REDIS_PORT=str(port), REDIS_URL=f"redis://127.0.0.1:{port}/0", PATH=f"{bindir}:{os.environ['PATH']}")
    p = subprocess.Popen([orchestrator, "run"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=d)
    # Every available service running and healthy before measuring.
    deadline = time.time() + 60
    while time.time() < deadline:
        out = subprocess.run([orchestrator, "status", "--json"], capture_output=True, text=True, cwd=d, env=env).stdout
        try:
            services = json.loads(out)["services"]
            if services and all(s["state"] == "running" and (s["health"] or {}).get("ok") for s in services):
                break
        except (ValueError, KeyError, TypeError):
            pass
        time.sleep(0.2)
    else:
        p.send_signal(signal.SIGTERM); p.wait()
        raise SystemExit("services did not all come up: " + out)
    time.sleep(1)
    def ticks():
        f = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    t0, c0 = time.time(), ticks()
    time.sleep(seconds)
    t1, c1 = time.time(), ticks()
    status = open(f"/proc/{p.pid}/status").read()
    kb = lambda field: int(re.search(field + r":\s+(\d+)", status).group(1))
    pss = sum(int(l.split()[1]) for l in open(f"/proc/{p.pid}/smaps_rollup") if l.startswith("Pss:"))
    hz = os.sysconf("SC_CLK_TCK")
    p.send_signal(signal.SIGTERM); p.wait()
    shutil.rmtree(d, ignore_errors=True)
    return {"services": len(services), "rss_mb": kb("VmRSS") / 1024, "rss_anon_mb": kb("RssAnon") / 1024,
            "rss_file_mb": kb("RssFile") / 1024, "pss_mb": pss / 1024,
            "idle_cpu_percent": 100 * (c1 - c0) / hz / (t1 - t0), "seconds": seconds}


print(json.dumps({"ours": ours(), "supervisord": theirs(int(os.environ.get("SUPERVISORD_CRASHES", "30"))), "footprint": footprint()}))

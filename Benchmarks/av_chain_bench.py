"""The peer of `orchestrator-bench av-chain`: Python's json plus a straightforward NumPy GEX/DEX
over the same 8,300-contract Alpha Vantage chain (the same validation rules)."""
import json, sys, time
import numpy as np

path, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
raw = open(path, "rb").read()
parse_times, compute_times = [], []
for _ in range(rounds):
    t0 = time.perf_counter()
    rows = json.loads(raw)["data"]
    valid = []
    for r in rows:
        try:
            strike = float(r["strike"]); iv = float(r["implied_volatility"]); delta = float(r["delta"]); gamma = float(r["gamma"])
            theta = float(r["theta"]); oi = float(r["open_interest"]); bid = float(r["bid"]); ask = float(r["ask"])
            last = float(r["last"]); mark = float(r["mark"]); call = r["type"] == "call"
        except (KeyError, ValueError, TypeError):
            continue
        if strike <= 0 or not (0 < iv < 5) or min(last, mark, bid, ask) < 0 or (ask > 0 and bid > ask) or gamma < 0 or oi < 0:
            continue
        if (call and not 0 <= delta <= 1) or (not call and not -1 <= delta <= 0):
            continue
        if theta > 0 and not (not call and delta < -0.5 and theta <= 0.1 * strike / 365):
            continue
        valid.append((strike, 1.0 if call else -1.0, gamma, delta, oi))
    t1 = time.perf_counter()
    a = np.array(valid)
    spot = 600.0
    gex = a[:, 1] * a[:, 2] * a[:, 4] * 100 * spot * spot * 0.01
    dex = a[:, 1] * a[:, 3] * a[:, 4] * 100 * spot
    strikes, index = np.unique(a[:, 0], return_inverse=True)
    by_gex = np.zeros(len(strikes)); np.add.at(by_gex, index, gex)
    by_dex = np.zeros(len(strikes)); np.add.at(by_dex, index, dex)
    cumulative = np.cumsum(by_gex)
    crossings = np.nonzero(np.diff(np.sign(cumulative)))[0]
    t2 = time.perf_counter()
    parse_times.append((t1 - t0) * 1000); compute_times.append((t2 - t1) * 1000)
parse_times.sort(); compute_times.sort()
print(json.dumps({"python": sys.version.split()[0], "numpy": np.__version__, "valid": len(valid),
                  "parse_ms": parse_times[len(parse_times) // 2], "gex_dex_ms": compute_times[len(compute_times) // 2]}))

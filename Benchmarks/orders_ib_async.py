"""ib_async placing the same orders on the same tws-sim as `orchestrator-bench orders`: a market
order for one contract of the nearest-the-money SPY call, alternately bought and sold, timed from
placeOrder to orderStatus Filled. Prints JSON."""
import json, logging, sys, time
from ib_async import IB, Option, MarketOrder

logging.getLogger("ib_async").setLevel(logging.CRITICAL)
port, expiry, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ib = IB()
ib.connect("127.0.0.1", port, clientId=33, timeout=10)
from ib_async import Stock
spy, = ib.qualifyContracts(Stock("SPY", "SMART", "USD"))
t = ib.reqMktData(spy, "", False, False)
while not (t.bid > 0 and t.ask > 0):
    ib.waitOnUpdate(timeout=1)
call, = ib.qualifyContracts(Option("SPY", expiry, round((t.bid + t.ask) / 2), "C", "SMART"))
ib.cancelMktData(spy)
latencies = []
for i in range(count + 50):
    t0 = time.perf_counter()
    trade = ib.placeOrder(call, MarketOrder("BUY" if i % 2 == 0 else "SELL", 1))
    while trade.orderStatus.status != "Filled":
        assert not trade.isDone(), trade.log
        ib.waitOnUpdate(timeout=0.001)   # an update that came before the wait is seen within 1 ms
    if i >= 50:
        latencies.append((time.perf_counter() - t0) * 1e6)
    ib.sleep(max(0, 0.025 - (time.perf_counter() - t0)))   # the same pace as ours: 40 orders a second
latencies.sort()
print(json.dumps({"orders": count, "p50_us": latencies[count // 2], "p99_us": latencies[count * 99 // 100], "max_us": latencies[-1]}))
ib.disconnect()

"""ib_async against alphatrader tws-sim: connect, qualify, stream quotes, RTVolume trades,
level-2 depth with market makers and 5-second bars. Run by scripts/check-tws-clients.sh."""
import sys
from ib_async import IB, Stock

port = int(sys.argv[1])
ib = IB()
ib.connect("127.0.0.1", port, clientId=7, timeout=4)
print("ib_async: connected, server version", ib.client.serverVersion(), "accounts", ib.managedAccounts())
values = {v.tag: v.value for v in ib.accountValues()}
assert values.get("NetLiquidation") == "100000.00", values
print("ib_async: account values", {k: values[k] for k in ("NetLiquidation", "BuyingPower")})
spy, = ib.qualifyContracts(Stock("SPY", "SMART", "USD"))
assert spy.conId > 0, spy
island = Stock("SPY", "ISLAND", "USD", conId=spy.conId)
ticker = ib.reqMktData(spy, "233", False, False)
dom = ib.reqMktDepth(island, numRows=10, isSmartDepth=False)
bars = ib.reqRealTimeBars(spy, 5, "TRADES", False)
ib.sleep(3)
assert ticker.bid > 0 and ticker.ask >= ticker.bid, ticker
assert ticker.last > 0, "no RTVolume trade"
assert dom.domBids and dom.domAsks and dom.domBids[0].marketMaker, dom
assert len(bars) > 0
print("ib_async: SPY conId %d bid %.2f ask %.2f last %.2f; ISLAND book %d/%d rows, top maker %s; %d bars"
      % (spy.conId, ticker.bid, ticker.ask, ticker.last, len(dom.domBids), len(dom.domAsks), dom.domBids[0].marketMaker, len(bars)))
# An exchange-specific stock is answered with its own exchange, and its depth streams.
arca, = ib.qualifyContracts(Stock("SPY", "ARCA", "USD"))
assert arca.exchange == "ARCA" and arca.conId == spy.conId, arca
arca_dom = ib.reqMktDepth(arca, numRows=5, isSmartDepth=False)
ib.sleep(2)
assert arca_dom.domBids and arca_dom.domAsks, arca_dom
print("ib_async: SPY on ARCA qualified as ARCA (conId %d), %d/%d depth rows" % (arca.conId, len(arca_dom.domBids), len(arca_dom.domAsks)))
ib.disconnect()

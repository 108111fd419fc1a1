"""The official ibapi (EClient/EWrapper) against alphatrader tws-sim. Run by
scripts/check-tws-clients.sh."""
import sys, threading, time
from ibapi.client import EClient
from ibapi.wrapper import EWrapper
from ibapi.contract import Contract

class App(EWrapper, EClient):
    def __init__(self):
        EClient.__init__(self, self)
        self.n = {"price": 0, "rtvolume": 0, "depth": 0, "bars": 0, "details": 0}
        self.notices = []
        self.ready = threading.Event()
    def nextValidId(self, orderId): self.ready.set()
    def contractDetails(self, reqId, details): self.n["details"] += 1; self.conId = details.contract.conId
    def tickPrice(self, reqId, tickType, price, attrib): self.n["price"] += 1
    def tickString(self, reqId, tickType, value):
        if tickType == 48: self.n["rtvolume"] += 1
    def updateMktDepthL2(self, reqId, position, marketMaker, operation, side, price, size, isSmartDepth): self.n["depth"] += 1
    def realtimeBar(self, reqId, time, open_, high, low, close, volume, wap, count): self.n["bars"] += 1
    def error(self, reqId, *args): self.notices.append(args)

app = App()
app.connect("127.0.0.1", int(sys.argv[1]), clientId=3)
threading.Thread(target=app.run, daemon=True).start()
assert app.ready.wait(5), "no nextValidId"
print("ibapi: connected, server version", app.serverVersion())
c = Contract(); c.symbol = "QQQ"; c.secType = "STK"; c.exchange = "SMART"; c.currency = "USD"
app.reqContractDetails(9, c)
app.reqMktData(1, c, "233", False, False, [])
d = Contract(); d.symbol = "QQQ"; d.secType = "STK"; d.exchange = "BATS"; d.currency = "USD"
app.reqMktDepth(2, d, 10, False, [])
app.reqRealTimeBars(3, c, 5, "TRADES", False, [])
time.sleep(3)
n = app.n
assert n["details"] == 1 and n["price"] > 0 and n["rtvolume"] > 0 and n["depth"] > 0 and n["bars"] > 0, n
print("ibapi: QQQ conId %d, %d price ticks, %d RTVolume trades, %d level-2 updates, %d bars"
      % (app.conId, n["price"], n["rtvolume"], n["depth"], n["bars"]))
app.disconnect()

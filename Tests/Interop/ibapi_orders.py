"""The official ibapi places and cancels a resting limit order on alphatrader tws-sim's paper
broker, and reads back its open orders and executions. Run by scripts/check-tws-clients.sh."""
import sys, threading, time
from decimal import Decimal
from ibapi.client import EClient
from ibapi.wrapper import EWrapper
from ibapi.contract import Contract
from ibapi.order import Order
from ibapi.order_cancel import OrderCancel

class App(EWrapper, EClient):
    def __init__(self):
        EClient.__init__(self, self)
        self.ready = threading.Event()
        self.statuses, self.open_orders, self.errors, self.executions, self.bid = [], [], [], [], 0.0
        self.open_end = threading.Event()
        self.exec_end = threading.Event()
        self.completed, self.completed_end = [], threading.Event()
    def nextValidId(self, orderId): self.next_id = orderId; self.ready.set()
    def tickPrice(self, reqId, tickType, price, attrib):
        if tickType == 1: self.bid = price
    def orderStatus(self, orderId, status, filled, remaining, avgFillPrice, permId, parentId, lastFillPrice, clientId, whyHeld, mktCapPrice):
        self.statuses.append((orderId, status, float(remaining), permId, clientId))
    def openOrder(self, orderId, contract, order, state): self.open_orders.append((orderId, order.orderType, order.lmtPrice, state.status))
    def openOrderEnd(self): self.open_end.set()
    def execDetails(self, reqId, contract, execution): self.executions.append(execution.execId)
    def execDetailsEnd(self, reqId): self.exec_end.set()
    def completedOrder(self, contract, order, state): self.completed.append((order.orderRef, order.permId, state.status, state.completedStatus))
    def completedOrdersEnd(self): self.completed_end.set()
    # ibapi 10.50: error(reqId, errorTime, errorCode, errorString, advancedOrderRejectJson)
    def error(self, reqId, *args): self.errors.append((reqId,) + args)

app = App()
app.connect("127.0.0.1", int(sys.argv[1]), clientId=4)
threading.Thread(target=app.run, daemon=True).start()
try:
    assert app.ready.wait(5), "no nextValidId"
    c = Contract(); c.symbol = "AAPL"; c.secType = "STK"; c.exchange = "SMART"; c.currency = "USD"
    app.reqMktData(1, c, "", False, False, [])
    for _ in range(30):
        time.sleep(0.1)
        if app.bid > 0: break
    assert app.bid > 0, "no AAPL bid"
    o = Order(); o.action = "BUY"; o.orderType = "LMT"; o.totalQuantity = Decimal(100); o.lmtPrice = round(app.bid * 0.95, 2)
    o.tif = "DAY"; o.orderRef = "ibapi-check"
    oid = app.next_id
    app.placeOrder(oid, c, o)
    time.sleep(0.5)
    assert (oid, "Submitted", 100.0) in [s[:3] for s in app.statuses], app.statuses
    assert all(s[4] == 4 and s[3] > 0 for s in app.statuses), app.statuses
    app.open_orders.clear()
    app.reqOpenOrders()
    assert app.open_end.wait(3), "no openOrderEnd"
    assert (oid, "LMT", o.lmtPrice, "Submitted") in app.open_orders, app.open_orders
    app.cancelOrder(oid, OrderCancel())
    time.sleep(0.5)
    assert app.statuses[-1][:2] == (oid, "Cancelled"), app.statuses
    assert any(e[0] == oid and e[2] == 202 for e in app.errors), app.errors
    # A second cancel is refused with 161 (not cancellable).
    app.cancelOrder(oid, OrderCancel())
    time.sleep(0.3)
    assert any(e[0] == oid and e[2] == 161 for e in app.errors), app.errors
    app.reqCompletedOrders(False)
    assert app.completed_end.wait(3), "no completedOrdersEnd"
    assert any(ref == "ibapi-check" and status == "Cancelled" for ref, _, status, _ in app.completed), app.completed
    print("ibapi: AAPL limit %.2f placed (Submitted), listed by reqOpenOrders, cancelled (202); cancelling again: 161; in reqCompletedOrders as Cancelled" % o.lmtPrice)
finally:
    app.disconnect()

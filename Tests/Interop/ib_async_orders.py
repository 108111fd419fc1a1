"""ib_async places orders on alphatrader tws-sim's paper broker: qualifies an option from the
broker's option parameters, places a bracket on it and sees the parent Filled with its
commission report and the position; places a stock market order and sees it filled.
Run by scripts/check-tws-clients.sh."""
import sys
import logging
from ib_async import IB, Stock, Option, MarketOrder

logging.getLogger("ib_async").setLevel(logging.CRITICAL)   # the cancellations below are expected

port = int(sys.argv[1])
ib = IB()
ib.connect("127.0.0.1", port, clientId=8, timeout=4)
spy, = ib.qualifyContracts(Stock("SPY", "SMART", "USD"))
ticker = ib.reqMktData(spy, "", False, False)
ib.sleep(1.5)
spot = ticker.marketPrice()
assert spot == spot and spot > 0, ticker

chains = ib.reqSecDefOptParams("SPY", "", "STK", spy.conId)
assert chains and chains[0].expirations and chains[0].strikes, chains
expiry = sorted(chains[0].expirations)[0]
strike = min(chains[0].strikes, key=lambda k: abs(k - spot))
call, = ib.qualifyContracts(Option("SPY", expiry, strike, "C", "SMART"))
assert call.conId > 0 and call.multiplier == "100", call
quote = ib.reqMktData(call, "", False, False)
ib.sleep(1.0)
assert quote.ask > quote.bid > 0, quote
assert quote.modelGreeks is not None and 0 < quote.modelGreeks.delta < 1, quote.modelGreeks
print("ib_async: %s %s C %s bid %.2f ask %.2f delta %.2f" % (call.symbol, expiry, strike, quote.bid, quote.ask, quote.modelGreeks.delta))

# A bracket whose entry is marketable: buy at the ask, take profit 50 % higher, stop 50 % lower.
tick = 0.01
entry = round(quote.ask, 2)
bracket = ib.bracketOrder("BUY", 2, entry, round(entry * 1.5 / tick) * tick, max(tick, round(entry * 0.5 / tick) * tick))
trades = [ib.placeOrder(call, o) for o in bracket]
for _ in range(50):
    ib.sleep(0.1)
    if trades[0].orderStatus.status == "Filled" and trades[0].fills and trades[0].fills[-1].commissionReport.commission > 0:
        break
parent = trades[0]
assert parent.orderStatus.status == "Filled", (parent.orderStatus, parent.log)
assert parent.orderStatus.filled == 2 and parent.fills, parent
commission = sum(f.commissionReport.commission for f in parent.fills)
assert abs(commission - 1.30) < 1e-9, commission
assert [t.orderStatus.status for t in trades[1:]] == ["Submitted", "Submitted"], [t.orderStatus for t in trades[1:]]
positions = {p.contract.conId: p.position for p in ib.positions()}
assert positions.get(call.conId) == 2, positions
print("ib_async: bracket entry filled 2 @ %.2f, commission %.2f, take-profit and stop working, position %d"
      % (parent.orderStatus.avgFillPrice, commission, positions[call.conId]))

# Cancelling the stop leaves the take-profit; a global cancel takes it.
ib.cancelOrder(trades[2].order)
ib.sleep(0.5)
assert trades[2].orderStatus.status == "Cancelled", trades[2].orderStatus
ib.reqGlobalCancel()
ib.sleep(0.5)
assert trades[1].orderStatus.status == "Cancelled", trades[1].orderStatus

stock = ib.placeOrder(spy, MarketOrder("BUY", 10))
for _ in range(30):
    ib.sleep(0.1)
    if stock.isDone():
        break
assert stock.orderStatus.status == "Filled" and stock.orderStatus.filled == 10, stock.orderStatus
print("ib_async: SPY market order filled 10 @ %.2f" % stock.orderStatus.avgFillPrice)

# The finished orders, as TWS lists them: the bracket's entry and the stock order filled, the
# take-profit and the stop cancelled.
completed = ib.reqCompletedOrders(False)
states = sorted(t.orderStatus.status for t in completed)
assert states.count("Filled") >= 2 and states.count("Cancelled") >= 2, [(t.order.orderType, t.orderStatus.status) for t in completed]
print("ib_async: reqCompletedOrders lists %d finished orders (%s)" % (len(completed), ", ".join(states)))
ib.disconnect()

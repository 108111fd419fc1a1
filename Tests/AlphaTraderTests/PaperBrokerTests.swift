import AlphaTrader
import Foundation
import Testing

@testable import AlphaTraderSimulators

private let spy = Instrument.stock(symbol: "SPY")
private let aapl = Instrument.stock(symbol: "AAPL")
private let spyCall = Instrument.option(symbol: "SPY", expiry: "20261207", strike: 600, right: .call)
private let aaplPut = Instrument.option(symbol: "AAPL", expiry: "20261218", strike: 230, right: .put)

/// A market that tests move by hand.
private final class TestMarket: @unchecked Sendable {
    var quotes: [Instrument: MarketQuote] = [
        spy: MarketQuote(bid: 600.00, ask: 600.02, bidSize: 300, askSize: 200, last: 600.01),
        aapl: MarketQuote(bid: 229.98, ask: 230.00, bidSize: 500, askSize: 500, last: 229.99),
        spyCall: MarketQuote(bid: 2.48, ask: 2.52, bidSize: 40, askSize: 25),
        aaplPut: MarketQuote(bid: 3.30, ask: 3.40, bidSize: 20, askSize: 20),
    ]
    var view: PaperBroker.Market { { [self] in quotes[$0] } }
}

private func order(
    _ id: Int, _ instrument: Instrument, _ action: OrderRequest.Action, _ quantity: Int, _ kind: OrderRequest.Kind,
    tif: OrderRequest.TimeInForce = .day, parent: Int? = nil, transmit: Bool = true, whatIf: Bool = false
) -> OrderRequest {
    OrderRequest(
        id: id, instrument: instrument, action: action, quantity: quantity, kind: kind, timeInForce: tif, parentId: parent,
        transmit: transmit, orderRef: "at-\(id)", whatIf: whatIf)
}

private extension [BrokerEvent] {
    var executions: [Execution] { compactMap { if case .execution(let e) = $0 { return e } else { return nil } } }
    var errors: [Int] { compactMap { if case .error(_, let code, _) = $0 { return code } else { return nil } } }
    var errorMessages: [String] { compactMap { if case .error(_, _, let m) = $0 { return m } else { return nil } } }
    /// The kinds in order, as TWS messages: open, status, exec, error, position, whatif.
    var kinds: [String] {
        map {
            switch $0 {
            case .opened: return "open"
            case .status(let o): return "status:\(o.status.rawValue)"
            case .execution: return "exec"
            case .error(_, let code, _): return "error:\(code)"
            case .position: return "position"
            case .whatIf: return "whatif"
            }
        }
    }
}

@Suite("The paper broker")
struct PaperBrokerTests {
    @Test(
        "IBKR's commission schedule: options by premium tier, stocks by the share, $1 minimum an order",
        arguments: [
            (spyCall, 1, 2.50, 0.0, 1.00), (spyCall, 10, 2.50, 0.0, 6.50), (spyCall, 10, 0.07, 0.0, 5.00), (spyCall, 10, 0.03, 0.0, 2.50),
            (spyCall, 2, 0.03, 0.0, 1.00), (spy, 100, 600.0, 0.0, 1.00), (spy, 1_000, 600.0, 0.0, 5.00),
            // A later fill of the same order: the minimum was already charged by the first.
            (spy, 100, 600.0, 1.00, 0.50), (spyCall, 1, 2.50, 1.00, 0.65),
        ])
    func commissions(instrument: Instrument, quantity: Int, price: Double, before: Double, expected: Double) {
        #expect(Commissions.forExecution(instrument, quantity: quantity, price: price, chargedBefore: before) == expected)
    }

    @Test(
        "ticks: SPY options in pennies at any price, others in nickels from $3; stocks in cents",
        arguments: [
            (spyCall, 5.37, true), (aaplPut, 2.99, true), (aaplPut, 3.37, false), (aaplPut, 3.35, true), (spy, 600.015, false), (spy, 600.01, true),
        ])
    func ticks(instrument: Instrument, price: Double, conforms: Bool) {
        #expect(TickSize.conforms(price, for: instrument) == conforms)
    }

    @Test("a market order fills at the touch and replies in TWS's order: open, status, execution, status, position")
    func marketOrder() throws {
        let market = TestMarket()
        var broker = PaperBroker()
        let events = broker.place(order(1, spy, .buy, 100, .market), market: market.view, time: 1)
        #expect(events.kinds == ["open", "exec", "status:Filled", "position"])
        let fill = try #require(events.executions.first)
        #expect(fill.price == 600.02 && fill.quantity == 100 && fill.commission == 1.00 && fill.orderRef == "at-1")
        #expect(broker.positions[spy] == BrokerPosition(quantity: 100, averageCost: 600.03))
        #expect(abs(broker.cash - (100_000 - 60_002 - 1)) < 1e-9)
    }

    @Test("slippage moves the fill against the order by whole ticks but never through its limit")
    func slippage() throws {
        let market = TestMarket()
        var broker = PaperBroker(configuration: .init(slippageTicks: 2))
        #expect(broker.place(order(1, spy, .buy, 10, .market), market: market.view, time: 1).executions.first?.price == 600.04)
        #expect(broker.place(order(2, spy, .sell, 10, .market), market: market.view, time: 1).executions.first?.price == 599.98)
        #expect(broker.place(order(3, spy, .buy, 10, .limit(600.03)), market: market.view, time: 1).executions.first?.price == 600.03)
    }

    @Test("a market order larger than the displayed size fills partly, and the rest as size appears")
    func partialFills() throws {
        let market = TestMarket()
        var broker = PaperBroker()
        let first = broker.place(order(1, spyCall, .buy, 40, .market), market: market.view, time: 1)
        #expect(first.executions.map(\.quantity) == [25])
        #expect(broker.orders[1]?.status == .submitted && broker.orders[1]?.remaining == 15)
        // The same quote again: its size is taken; nothing more.
        #expect(broker.quoteChanged(spyCall, market: market.view, time: 2).executions.isEmpty)
        market.quotes[spyCall] = MarketQuote(bid: 2.49, ask: 2.53, bidSize: 40, askSize: 10)
        #expect(broker.quoteChanged(spyCall, market: market.view, time: 3).executions.map(\.quantity) == [10])
        market.quotes[spyCall] = MarketQuote(bid: 2.50, ask: 2.54, bidSize: 40, askSize: 30)
        let last = broker.quoteChanged(spyCall, market: market.view, time: 4)
        #expect(last.executions.map(\.quantity) == [5] && last.executions[0].cumulativeQuantity == 40)
        #expect(broker.orders[1]?.status == .filled)
        // 25 × 2.52 + 10 × 2.53 + 5 × 2.54 = 101.00 → 2.525 a contract; 40 × 0.65 = 26.00 in commissions.
        #expect(abs(broker.orders[1]!.averagePrice - 2.525) < 1e-9 && abs(broker.orders[1]!.commission - 26) < 1e-9)
    }

    @Test("IOC fills what it can at once and cancels the rest")
    func immediateOrCancel() {
        let market = TestMarket()
        var broker = PaperBroker()
        let events = broker.place(order(1, spyCall, .buy, 40, .market, tif: .immediateOrCancel), market: market.view, time: 1)
        #expect(events.executions.map(\.quantity) == [25])
        #expect(events.errors == [202] && broker.orders[1]?.status == .cancelled)
    }

    @Test("a resting limit fills when the market trades through it, at its price, up to the print's size")
    func restingLimit() {
        let market = TestMarket()
        var broker = PaperBroker()
        #expect(broker.place(order(1, aapl, .buy, 300, .limit(229.90)), market: market.view, time: 1).kinds == ["open"])
        #expect(broker.traded(aapl, price: 229.90, size: 500, market: market.view, time: 2).executions.isEmpty, "at the limit is not through it")
        let through = broker.traded(aapl, price: 229.89, size: 200, market: market.view, time: 3)
        #expect(through.executions.map(\.quantity) == [200] && through.executions[0].price == 229.90)
        #expect(broker.traded(aapl, price: 229.85, size: 500, market: market.view, time: 4).executions.map(\.quantity) == [100])
        #expect(broker.orders[1]?.status == .filled)
    }

    @Test("a limit that becomes marketable on a new quote fills at the touch")
    func limitBecomesMarketable() {
        let market = TestMarket()
        var broker = PaperBroker()
        _ = broker.place(order(1, spy, .sell, 50, .limit(600.05)), market: market.view, time: 1)
        market.quotes[spy] = MarketQuote(bid: 600.06, ask: 600.08, bidSize: 100, askSize: 100, last: 600.07)
        let events = broker.quoteChanged(spy, market: market.view, time: 2)
        #expect(events.executions.map(\.price) == [600.06])
    }

    @Test("stops trigger on the last trade: STP then fills as a market order, STP LMT rests at its limit")
    func stops() {
        let market = TestMarket()
        var broker = PaperBroker()
        _ = broker.place(order(1, spy, .buy, 100, .market), market: market.view, time: 1)
        #expect(broker.place(order(2, spy, .sell, 100, .stop(trigger: 599.50)), market: market.view, time: 1).kinds == ["open"])
        #expect(broker.place(order(3, aapl, .buy, 10, .stopLimit(trigger: 230.50, limit: 230.60)), market: market.view, time: 1).kinds == ["open"])
        #expect(broker.traded(spy, price: 599.60, size: 100, market: market.view, time: 2).executions.isEmpty)
        market.quotes[spy] = MarketQuote(bid: 599.40, ask: 599.43, bidSize: 300, askSize: 300, last: 599.50)
        let stopped = broker.traded(spy, price: 599.50, size: 100, market: market.view, time: 3)
        #expect(stopped.executions.map(\.price) == [599.40])
        #expect(broker.positions[spy]?.quantity == 0)
        // The stop-limit triggers but the offer and the print are above its limit: it rests.
        market.quotes[aapl] = MarketQuote(bid: 230.62, ask: 230.70, bidSize: 100, askSize: 100, last: 230.65)
        #expect(broker.traded(aapl, price: 230.65, size: 100, market: market.view, time: 4).executions.isEmpty)
        #expect(broker.orders[3]?.triggered == true && broker.orders[3]?.status == .submitted)
    }

    @Test("a bracket: children wait for the parent, then one fill cancels the other")
    func bracket() throws {
        let market = TestMarket()
        var broker = PaperBroker()
        #expect(broker.place(order(10, spyCall, .buy, 5, .limit(2.40), transmit: false), market: market.view, time: 1).isEmpty)
        #expect(broker.place(order(11, spyCall, .sell, 5, .limit(3.00), parent: 10, transmit: false), market: market.view, time: 1).isEmpty)
        let sent = broker.place(order(12, spyCall, .sell, 5, .stop(trigger: 2.00), parent: 10), market: market.view, time: 1)
        #expect(sent.kinds == ["open", "open", "open"])
        #expect(broker.orders[10]?.status == .submitted && broker.orders[11]?.status == .preSubmitted && broker.orders[12]?.status == .preSubmitted)
        // The parent fills as the offer comes down to it; the children start working.
        market.quotes[spyCall] = MarketQuote(bid: 2.38, ask: 2.40, bidSize: 40, askSize: 40)
        let entry = broker.quoteChanged(spyCall, market: market.view, time: 2)
        #expect(entry.executions.map(\.orderId) == [10])
        #expect(broker.orders[11]?.status == .submitted && broker.orders[12]?.status == .submitted)
        // The target fills: the stop is cancelled.
        market.quotes[spyCall] = MarketQuote(bid: 3.00, ask: 3.04, bidSize: 40, askSize: 40)
        let exit = broker.quoteChanged(spyCall, market: market.view, time: 3)
        #expect(exit.executions.map(\.orderId) == [11] && exit.errors == [202])
        #expect(broker.orders[12]?.status == .cancelled && broker.positions[spyCall]?.quantity == 0)
        // Bought 5 at 2.40 (+3.25), sold 5 at 3.00 (−3.25): 300 − 6.50.
        #expect(abs(try #require(broker.positions[spyCall]).realizedPnL - 293.5) < 1e-9)
    }

    @Test(
        "refusals carry TWS's codes",
        arguments: [
            (order(1, .stock(symbol: "ZZZZ"), .buy, 1, .market), 200),
            (order(1, aaplPut, .buy, 1, .limit(3.37)), 110),
            (order(1, spy, .buy, 1, .limit(700)), 201),
            (order(1, spy, .buy, 1_000, .market), 201),
            (order(1, aaplPut, .sell, 1, .limit(3.30)), 201),
            (order(1, spy, .buy, 0, .market), 201),
        ])
    func refusals(request: OrderRequest, code: Int) {
        let market = TestMarket()
        var broker = PaperBroker()
        let events = broker.place(request, market: market.view, time: 1)
        #expect(events.errors == [code])
        #expect(broker.orders.isEmpty && broker.positions.isEmpty, "a refused order leaves nothing behind")
    }

    @Test("the same id again modifies a working order; on a finished one it is error 103")
    func modifyAndDuplicate() {
        let market = TestMarket()
        var broker = PaperBroker()
        _ = broker.place(order(1, aapl, .buy, 100, .limit(229.00)), market: market.view, time: 1)
        let modified = broker.place(order(1, aapl, .buy, 100, .limit(230.00)), market: market.view, time: 2)
        #expect(modified.kinds.first == "open" && modified.executions.map(\.price) == [230.00])
        #expect(broker.place(order(1, aapl, .buy, 100, .limit(230.00)), market: market.view, time: 3).errors == [103])
    }

    @Test("cancel: 202 for a working order, 161 for a finished one, 135 for an unknown id; a global cancel takes every working order")
    func cancels() {
        let market = TestMarket()
        var broker = PaperBroker()
        _ = broker.place(order(1, aapl, .buy, 100, .limit(229.00)), market: market.view, time: 1)
        _ = broker.place(order(2, aapl, .buy, 100, .limit(228.00)), market: market.view, time: 1)
        _ = broker.place(order(3, aapl, .buy, 100, .limit(227.00)), market: market.view, time: 1)
        #expect(broker.cancel(1).kinds == ["error:202", "status:Cancelled"])
        #expect(broker.cancel(1).errors == [161])
        #expect(broker.cancel(99).errors == [135])
        #expect(broker.cancelAll().errors == [202, 202])
        #expect(broker.orders.values.allSatisfy { $0.status == .cancelled })
    }

    @Test("a what-if order gives commission and margin and never executes")
    func whatIf() throws {
        let market = TestMarket()
        var broker = PaperBroker()
        let events = broker.place(order(1, spy, .buy, 100, .market, whatIf: true), market: market.view, time: 1)
        guard case .whatIf(1, let commission, let margin, _) = try #require(events.first) else {
            Issue.record("expected a what-if answer, got \(events)")
            return
        }
        #expect(commission == 1.0 && abs(margin - 60_002 * 0.25) < 1e-6)
        #expect(broker.orders.isEmpty && broker.executions.isEmpty)
    }

    @Test("positions: adding averages the cost, reducing realizes P&L, going through zero opens the other way")
    func positions() throws {
        let market = TestMarket()
        var broker = PaperBroker()
        _ = broker.place(order(1, aapl, .buy, 100, .market), market: market.view, time: 1)  // 230.00 + $1
        market.quotes[aapl] = MarketQuote(bid: 231.98, ask: 232.00, bidSize: 500, askSize: 500)
        _ = broker.place(order(2, aapl, .buy, 100, .market), market: market.view, time: 2)  // 232.00 + $1
        #expect(abs(broker.positions[aapl]!.averageCost - 231.01) < 1e-9)
        market.quotes[aapl] = MarketQuote(bid: 233.00, ask: 233.02, bidSize: 500, askSize: 500)
        let sold = broker.place(order(3, aapl, .sell, 300, .market), market: market.view, time: 3)  // 300 × 0.005 = $1.50
        // 200 closed: (233 − 231.01) × 200 − 1.00 (2/3 of the commission); 100 short opened at 233 + 0.50.
        #expect(abs(try #require(sold.executions.first?.realizedPnL) - 397.0) < 1e-9)
        #expect(broker.positions[aapl]?.quantity == -100 && abs(broker.positions[aapl]!.averageCost - 233.005) < 1e-9)
        let account = broker.account(market: market.view)
        // Cash: −23,001 − 23,201 + 69,898.50; the short marked at 233.01.
        #expect(abs(account.cash - (100_000 - 23_001 - 23_201 + 69_898.5)) < 1e-6)
        #expect(abs(account.netLiquidation - (account.cash - 23_301)) < 1e-6)
        #expect(abs(account.initialMargin - 23_301 * 0.5) < 1e-6)
    }

    @Test("at the close, options expiring that day settle at intrinsic value, DAY orders are cancelled and GTC orders work on")
    func closeOfDay() throws {
        let market = TestMarket()
        var broker = PaperBroker()
        _ = broker.place(order(1, spyCall, .buy, 2, .market), market: market.view, time: 1)  // 2.52 × 200 + $1.30
        _ = broker.place(order(2, spy, .buy, 10, .limit(590)), market: market.view, time: 1)
        _ = broker.place(order(3, spy, .buy, 10, .limit(589), tif: .goodTillCancelled), market: market.view, time: 1)
        let events = broker.close(day: "20261207", underlying: { $0 == "SPY" ? 603.10 : nil }, time: 2)
        #expect(events.errors == [202] && broker.orders[2]?.status == .cancelled)
        #expect(broker.openOrders.map(\.id) == [3] && broker.closedThrough == "20261207")
        #expect(broker.positions[spyCall]?.quantity == 0)
        // Settled at 3.10: 620 − 505.30.
        #expect(abs(try #require(broker.positions[spyCall]).realizedPnL - 114.70) < 1e-9)
        #expect(abs(broker.cash - (100_000 + 114.70)) < 1e-9)
    }

    @Test("an account opening on a later session closes the one it missed the close of: its DAY orders end, GTC orders and options are kept")
    func missedClose() throws {
        let market = TestMarket()
        var broker = PaperBroker()
        #expect(broker.open(day: "20261207").isEmpty, "a new account has no session to close")
        _ = broker.place(order(1, spyCall, .buy, 2, .market), market: market.view, time: 1)
        _ = broker.place(order(2, spy, .buy, 10, .limit(590)), market: market.view, time: 1)
        _ = broker.place(order(3, spy, .buy, 10, .limit(589), tif: .goodTillCancelled), market: market.view, time: 1)
        var stored = try JSONDecoder().decode(PaperBroker.self, from: JSONEncoder().encode(broker))
        #expect(stored.open(day: "20261207").isEmpty && stored.openOrders.count == 2, "the same session again: nothing closes")
        let events = stored.open(day: "20261208")
        #expect(events.errors == [202] && stored.openOrders.map(\.id) == [3])
        #expect(stored.closedThrough == "20261207" && stored.session == "20261208")
        #expect(stored.positions[spyCall]?.quantity == 2, "no closing price to settle at: the option is kept")
        var closed = broker
        _ = closed.close(day: "20261207", underlying: { _ in 603 }, time: 2)
        #expect(closed.open(day: "20261208").isEmpty, "a session that was closed is not closed again")
    }

    @Test("the account survives its stored form: orders, positions, cash and what was taken at the quote")
    func storedForm() throws {
        let market = TestMarket()
        var broker = PaperBroker()
        _ = broker.place(order(1, spyCall, .buy, 40, .market), market: market.view, time: 1)
        var restored = try JSONDecoder().decode(PaperBroker.self, from: JSONEncoder().encode(broker))
        #expect(restored.orders == broker.orders && restored.positions == broker.positions && restored.cash == broker.cash)
        #expect(restored.openOrders.map(\.id) == [1], "the partly filled order is still working after the restart")
        #expect(restored.quoteChanged(spyCall, market: market.view, time: 2).executions.isEmpty, "the displayed size stays taken")
        #expect(restored.place(order(2, spy, .buy, 1, .market), market: market.view, time: 3).executions.first?.id == "0000e0d5.00000002.01.01")
    }
}

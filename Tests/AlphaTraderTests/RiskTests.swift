import AlphaTrader
import Foundation
import Testing

@Suite("Pre-trade risk and value at risk, decided without a broker")
struct RiskTests {
    static let spy = Instrument.stock(symbol: "SPY")
    static let qqq = Instrument.stock(symbol: "QQQ")
    static let call = Instrument.option(symbol: "SPY", expiry: "20261207", strike: 600, right: .call)
    static let put = Instrument.option(symbol: "SPY", expiry: "20261207", strike: 595, right: .put)
    static let now = 1_796_653_800.0

    static func context(_ change: (inout RiskContext) -> Void = { _ in }) -> RiskContext {
        var c = RiskContext(
            state: .active, now: now, minuteOfDay: 600, strategies: ["0dte": StrategyGate(enabled: true, window: 585...900)],
            quotes: [
                spy: RiskQuote(bid: 600.00, ask: 600.02, underlying: 600.01), qqq: RiskQuote(bid: 520.00, ask: 520.02, underlying: 520.01),
                call: RiskQuote(bid: 2.00, ask: 2.05, underlying: 600.01, delta: 0.5, gamma: 0.05),
                put: RiskQuote(bid: 1.50, ask: 1.55, underlying: 600.01, delta: -0.35, gamma: 0.04),
            ],
            buyingPower: 100_000, volatility: ["SPY": 0.012, "QQQ": 0.015], correlations: ["SPY": ["QQQ": 0.9]])
        change(&c)
        return c
    }

    static func order(_ instrument: Instrument = spy, _ action: OrderRequest.Action = .buy, _ quantity: Int = 10, limit: Double? = 600.02) -> ProposedOrder {
        ProposedOrder(strategy: "0dte", instrument: instrument, action: action, quantity: quantity, limitPrice: limit)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let order: ProposedOrder
        let context: RiskContext
        let refusedBy: RiskCheck?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "a small stock order inside every limit", order: order(), context: context(), refusedBy: nil),
        Case(name: "HALTED: nothing goes out", order: order(), context: context { $0.state = .halted }, refusedBy: .tradingState),
        Case(name: "REDUCING: an opening order is refused", order: order(), context: context { $0.state = .reducing }, refusedBy: .tradingState),
        Case(
            name: "REDUCING: an order that shrinks a position goes out", order: order(spy, .sell, 5, limit: 600.00),
            context: context {
                $0.state = .reducing; $0.positions = [spy: 10]
            }, refusedBy: nil),
        Case(
            name: "a strategy not enabled", order: order(), context: context { $0.strategies["0dte"]?.enabled = false }, refusedBy: .strategy),
        Case(name: "outside the strategy's window", order: order(), context: context { $0.minuteOfDay = 560 }, refusedBy: .strategy),
        Case(
            name: "a strategy paused after losses", order: order(), context: context { $0.strategies["0dte"]?.pausedUntil = now + 60 },
            refusedBy: .strategy),
        Case(
            name: "five orders in the last second", order: order(), context: context { $0.recentSubmissions = (0..<5).map { now - 0.1 * Double($0) } },
            refusedBy: .submitRate),
        Case(
            name: "sixty orders in the last minute", order: order(),
            context: context { $0.recentSubmissions = (0..<60).map { now - 50 + Double($0) * 0.8 - 2 } },
            refusedBy: .submitRate),
        Case(name: "more shares than one order may have", order: order(spy, .buy, 1_001), context: context(), refusedBy: .orderSize),
        Case(
            name: "an extreme market halves the size allowed", order: order(call, .buy, 11, limit: 2.05), context: context { $0.sizeFactor = 0.5 },
            refusedBy: .orderSize),
        Case(name: "more dollars than one order may have", order: order(spy, .buy, 50), context: context(), refusedBy: .notional),
        Case(
            name: "a position past its limit", order: order(spy, .buy, 10), context: context { $0.positions = [spy: 1_995] }, refusedBy: .positionSize),
        Case(
            name: "ten positions open already", order: order(),
            context: context { c in
                c.positions = Dictionary(uniqueKeysWithValues: (0..<10).map { (Instrument.stock(symbol: "S\($0)"), 1) })
            }, refusedBy: .openPositions),
        Case(
            name: "two positions open on the symbol already", order: order(put, .buy, 1, limit: 1.55),
            context: context { $0.positions = [spy: 10, call: 1] }, refusedBy: .openPositions),
        Case(name: "not enough buying power", order: order(), context: context { $0.buyingPower = 1_000 }, refusedBy: .buyingPower),
        Case(name: "a limit far through the offer", order: order(spy, .buy, 10, limit: 620), context: context(), refusedBy: .priceCollar),
        Case(name: "a limit a little through the offer", order: order(spy, .buy, 10, limit: 600.50), context: context(), refusedBy: nil),
        Case(name: "no quote to check against", order: order(.stock(symbol: "IWM")), context: context(), refusedBy: .priceCollar),
        Case(
            name: "long SPY on top of long QQQ, which moves with it", order: order(),
            context: context { $0.positions = [qqq: 10] }, refusedBy: .correlation),
        Case(
            name: "short SPY against long QQQ: the other way", order: order(spy, .sell, 10, limit: 600.00),
            context: context { $0.positions = [qqq: 10] }, refusedBy: nil),
        Case(name: "twenty calls: the book's VaR past its cap", order: order(call, .buy, 20, limit: 2.05), context: context(), refusedBy: .valueAtRisk),
        Case(name: "one call: well within", order: order(call, .buy, 1, limit: 2.05), context: context(), refusedBy: nil),
    ]

    @Test("each check allows and denies", arguments: cases)
    func checks(_ c: Case) {
        let decision = PreTradeRisk.check(c.order, limits: RiskLimits(), context: c.context)
        #expect(decision.allowed == (c.refusedBy == nil), "\(decision.reason)")
        #expect(decision.check == c.refusedBy, "\(decision.reason)")
        #expect(!decision.reason.isEmpty)
    }

    @Test("with several correlated positions open, the refusal names the most correlated, whatever order the book is in")
    func mostCorrelatedNamed() {
        let iwm = Instrument.stock(symbol: "IWM"), dia = Instrument.stock(symbol: "DIA")
        for _ in 0..<20 {
            let context = Self.context {
                $0.positions = [iwm: 10, Self.qqq: 10, dia: 10]
                $0.quotes[iwm] = RiskQuote(bid: 230.00, ask: 230.02, underlying: 230.01)
                $0.quotes[dia] = RiskQuote(bid: 440.00, ask: 440.02, underlying: 440.01)
                $0.correlations = ["SPY": ["QQQ": 0.96, "IWM": 0.91, "DIA": 0.96]]
            }
            let decision = PreTradeRisk.check(Self.order(), limits: RiskLimits(), context: context)
            #expect(decision.check == .correlation)
            // QQQ and DIA tie at 0.96: the first by instrument names it.
            #expect(decision.reason == "SPY moves with the open DIA position (correlation 0.96, limit 0.85), same direction", "\(decision.reason)")
        }
    }

    @Test("a refusal says why with the figures")
    func reasons() {
        let rate = PreTradeRisk.check(Self.order(Self.spy, .buy, 1_001), limits: RiskLimits(), context: Self.context())
        #expect(rate.reason == "1001 shares in one order (limit 1000)")
        let window = PreTradeRisk.check(Self.order(), limits: RiskLimits(), context: Self.context { $0.minuteOfDay = 560 })
        #expect(window.reason == "strategy 0dte trades 09:45–15:00, not at 09:20")
    }

    @Test("VaR by hand: one stock, two uncorrelated, a perfect hedge, and long gamma lowering it")
    func valueAtRisk() {
        let q: [Instrument: RiskQuote] = [
            Self.spy: RiskQuote(bid: 600, ask: 600, underlying: 600), Self.qqq: RiskQuote(bid: 600, ask: 600, underlying: 600),
            Self.call: RiskQuote(bid: 2, ask: 2, underlying: 600, delta: 0.5, gamma: 0.05),
        ]
        let vol = ["SPY": 0.01, "QQQ": 0.01]
        func rho(_ r: Double) -> (String, String) -> Double { { $0 == $1 ? 1 : r } }
        // 100 shares at 600, σ 1 %: 1.645 × $600.
        let one = ValueAtRisk.deltaGamma([Self.spy: 100], quotes: q, volatility: vol, correlation: rho(0))
        #expect(abs(one - ValueAtRisk.z95 * 600) < 1e-6)
        let two = ValueAtRisk.deltaGamma([Self.spy: 100, Self.qqq: 100], quotes: q, volatility: vol, correlation: rho(0))
        #expect(abs(two - ValueAtRisk.z95 * 600 * 2.0.squareRoot()) < 1e-6)
        let hedged = ValueAtRisk.deltaGamma([Self.spy: 100, Self.qqq: -100], quotes: q, volatility: vol, correlation: rho(1))
        #expect(abs(hedged) < 1e-6)
        // 2 calls: dollar delta 2·100·0.5·600 = 60,000 → 1.645 × 600; dollar gamma 2·100·0.05·600² = 3.6e6,
        // mean ½ · 3.6e6 · 0.01² = 180 off the loss.
        let calls = ValueAtRisk.deltaGamma([Self.call: 2], quotes: q, volatility: vol, correlation: rho(0))
        #expect(abs(calls - (ValueAtRisk.z95 * 600 - 180)) < 1e-6)
        #expect(ValueAtRisk.deltaGamma([:], quotes: q, volatility: vol, correlation: rho(0)) == 0)
    }

    @Test("the model's view of an option for the risk manager: a call's delta in (0, 1), a put's in (−1, 0), gamma positive; a stock's delta 1")
    func modelQuotes() throws {
        let now = 1_796_657_400.0, close = now + 19_800
        let call = try #require(OptionChooser.riskQuote(Self.call, spot: 600, expiresAt: close, now: now))
        let put = try #require(OptionChooser.riskQuote(Self.put, spot: 600, expiresAt: close, now: now, bid: 1.0, ask: 1.1))
        #expect(call.delta > 0.4 && call.delta < 0.6 && call.gamma > 0 && call.bid < call.ask && call.underlying == 600)
        #expect(put.delta < 0 && put.delta > -0.5 && put.gamma > 0 && put.bid == 1.0 && put.ask == 1.1)
        let stock = try #require(OptionChooser.riskQuote(Self.spy, spot: 600, expiresAt: close, now: now))
        #expect(stock.delta == 1 && stock.gamma == 0 && stock.mid == 600)
        // Long two of these calls: the book's VaR by the same formula the pre-trade check uses.
        let vaR = ValueAtRisk.deltaGamma([Self.call: 2], quotes: [Self.call: call], volatility: ["SPY": 0.01]) { $0 == $1 ? 1 : 0 }
        let dollarDelta = 2 * 100 * call.delta * 600, dollarGamma = 2 * 100 * call.gamma * 600 * 600
        #expect(abs(vaR - max(0, ValueAtRisk.z95 * dollarDelta * 0.01 - 0.5 * dollarGamma * 0.0001)) < 1e-6)
    }
}

import AlphaTrader
import Foundation
import Testing

@Suite("From a signal to an order: size, exits, and the risk manager's say")
struct EntryPlannerTests {
    static let now = 1_796_657_400.0  // 10:30 New York
    static let call = Instrument.option(symbol: "SPY", expiry: "20261207", strike: 600, right: .call)

    static func signal(
        entry: Double = 1.25, stop: Double = 0.88, targets: [Double] = [1.88], instrument: Instrument = call, direction: Signal.Direction = .long,
        strategy: String = "0dte"
    ) -> Signal {
        Signal(
            time: now, strategy: strategy, symbol: "SPY", direction: direction, instrument: instrument, entry: entry, stop: stop, targets: targets,
            confidence: 0.72, features: [:], reason: "test")
    }

    static func context(_ change: (inout RiskContext) -> Void = { _ in }) -> RiskContext {
        var c = RiskContext(
            state: .active, now: now, minuteOfDay: 630,
            strategies: ["0dte": StrategyGate(enabled: true, window: 585...900), "moc": StrategyGate(enabled: true, window: 585...950)],
            quotes: [
                call: RiskQuote(bid: 1.20, ask: 1.30, underlying: 600, delta: 0.4, gamma: 0.05),
                .stock(symbol: "SPY"): RiskQuote(bid: 600.49, ask: 600.51, underlying: 600.5),
            ],
            buyingPower: 100_000, volatility: ["SPY": 0.012])
        change(&c)
        return c
    }

    let zero = StrategyConfig(kind: .zeroDTE)

    @Test("a 0dte call: two contracts at the signal's price, its stop, half at the target, the runner trailing 20 %, flat by 15:50")
    func sends() throws {
        guard case .send(let order, let exits, let decision) = EntryPlanner.plan(Self.signal(), config: zero, limits: RiskLimits(), context: Self.context())
        else {
            Issue.record("not sent")
            return
        }
        #expect(order == ProposedOrder(strategy: "0dte", instrument: Self.call, action: .buy, quantity: 2, limitPrice: 1.25))
        #expect(exits.stop == 0.88 && exits.targets == [.init(price: 1.88, fraction: 0.5)] && exits.trail == .percent(20))
        #expect(exits.timeStop == Self.now + Double(950 - 630) * 60)
        #expect(decision.allowed && exits.legs(quantity: 2).map(\.quantity) == [1, 1])
    }

    @Test(
        "the size: within the premium budget, cut in an extreme market, or nothing when one contract is over it",
        arguments: [(1.25, 1.0, 2), (9.00, 1.0, 1), (1.25, 0.5, 1), (20.00, 1.0, 0)])
    func sizes(entry: Double, factor: Double, contracts: Int) {
        let plan = EntryPlanner.plan(
            Self.signal(entry: entry, stop: entry * 0.7, targets: [entry * 1.5]), config: zero, limits: RiskLimits(),
            context: Self.context {
                $0.sizeFactor = factor
                $0.quotes[Self.call] = RiskQuote(bid: entry - 0.05, ask: entry + 0.05, underlying: 600, delta: 0.4, gamma: 0.05)
            })
        switch plan {
        case .send(let order, _, _): #expect(order.quantity == contracts)
        case .refuse(let order, let decision):
            #expect(
                contracts == 0 && order.quantity == 0 && decision.reason == "one contract at 20.00 is over the strategy's premium budget of $1500",
                "\(decision)")
        }
    }

    @Test("a short moc signal sells stock; the risk manager's refusal and exits that cannot work stop an entry, each with its reason")
    func refusals() {
        let moc = StrategyConfig(kind: .moc)
        let short = Self.signal(entry: 600.5, stop: 603.5, targets: [600], instrument: .stock(symbol: "SPY"), direction: .short, strategy: "moc")
        guard case .send(let order, let exits, _) = EntryPlanner.plan(short, config: moc, limits: RiskLimits(), context: Self.context()) else {
            Issue.record("not sent")
            return
        }
        #expect(order.action == .sell && order.quantity == 30 && exits.stop == 603.5 && exits.targets == [.init(price: 600, fraction: 1)])
        guard case .refuse(_, let halted) = EntryPlanner.plan(Self.signal(), config: zero, limits: RiskLimits(), context: Self.context { $0.state = .halted })
        else {
            Issue.record("sent while halted")
            return
        }
        #expect(halted.check == .tradingState)
        guard case .refuse(_, let broken) = EntryPlanner.plan(Self.signal(stop: 1.40), config: zero, limits: RiskLimits(), context: Self.context()) else {
            Issue.record("sent with a stop above a long entry")
            return
        }
        #expect(broken.reason.hasPrefix("the signal's exits cannot work: the stop 1.4 is not below the entry price 1.25"))
    }
}

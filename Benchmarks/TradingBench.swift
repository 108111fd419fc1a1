import AlphaTrader
import Foundation

/// Issue 17's pure-core figures: the strategies over 12 symbols per market second, and one
/// pre-trade risk check.
enum TradingBench {
    static let symbols = ["SPY", "QQQ", "IWM", "AAPL", "TSLA", "NVDA", "META", "AMZN", "MSFT", "GOOGL", "AMD", "VXX"]

    /// A snapshot where every strategy has something to weigh on every symbol (most fire).
    static func snapshot(minute: Int) -> StrategySnapshot {
        var symbols: [String: SymbolSnapshot] = [:]
        for (i, s) in Self.symbols.enumerated() {
            let price = 100 + Double(i) * 37
            var x = SymbolSnapshot(symbol: s, price: price * 0.992, open: price * 0.985, vwap: price * 0.99)
            x.flip = price; x.vpin = 0.7; x.imbalance = 0.5; x.gex = i % 2 == 0 ? -1e9 : 1e9
            x.gammaStrikes = [.init(strike: (price * 0.995).rounded(), share: 0.4)]
            x.flow = 0.4; x.sentiment = 0.3; x.volatility = 0.012
            x.unusual = .init(volumeToOpenInterest: 2.5, premium: 800_000, side: 1, sweeps: 3)
            symbols[s] = x
        }
        let now = 1_796_657_400.0
        return StrategySnapshot(
            now: now, minuteOfDay: minute, today: .init(date: "20261207", closesAt: now + 19_800),
            nextSession: .init(date: "20261208", closesAt: now + 106_200), twoWeeks: .init(date: "20261218", closesAt: now + 984_600), symbols: symbols)
    }

    static func strategies() {
        var config = StrategiesConfig()
        for kind in StrategyConfig.Kind.allCases {
            var s = StrategyConfig(kind: kind)
            s.symbols = symbols
            s.window = 9 * 60 + 30...16 * 60
            config.strategies.append(s)
        }
        let snap = snapshot(minute: 600)
        let rounds = Int(option("--rounds", default: "2000"))!
        var signals = 0
        let t0 = now()
        for _ in 0..<rounds { signals += Strategies.evaluate(config, snap).values.reduce(0) { $0 + $1.signals.count } }
        let perSymbol = Double(now() - t0) / 1e3 / Double(rounds * symbols.count)
        print("{\"rounds\":\(rounds),\"symbols\":\(symbols.count),\"strategies\":4,\"signals_per_round\":\(signals / rounds),\"us_per_symbol\":\(perSymbol)}")
    }

    static func risk() {
        let spy = Instrument.stock(symbol: "SPY"), call = Instrument.option(symbol: "SPY", expiry: "20261207", strike: 600, right: .call)
        var positions: [Instrument: Int] = [:], quotes: [Instrument: RiskQuote] = [spy: RiskQuote(bid: 600, ask: 600.02, underlying: 600.01)]
        var volatility: [String: Double] = [:], correlations: [String: [String: Double]] = [:]
        for (i, s) in symbols.enumerated() where s != "SPY" {
            let instrument = Instrument.stock(symbol: s)
            positions[instrument] = i % 2 == 0 ? 10 : -10
            quotes[instrument] = RiskQuote(bid: 100 + Double(i), ask: 100.02 + Double(i), underlying: 100 + Double(i))
            volatility[s] = 0.015
            correlations["SPY", default: [:]][s] = 0.3
        }
        // Eight positions open (of ten allowed): the order goes through every check, VaR included.
        for s in ["VXX", "AMD", "GOOGL"] { positions.removeValue(forKey: .stock(symbol: s)) }
        volatility["SPY"] = 0.012
        quotes[call] = RiskQuote(bid: 2, ask: 2.05, underlying: 600.01, delta: 0.5, gamma: 0.05)
        let context = RiskContext(
            state: .active, now: 1_796_657_400, minuteOfDay: 600, strategies: ["0dte": StrategyGate(enabled: true, window: 585...900)],
            recentSubmissions: (0..<20).map { 1_796_657_400 - Double($0) * 2.5 }, positions: positions, quotes: quotes, buyingPower: 100_000,
            volatility: volatility, correlations: correlations)
        let order = ProposedOrder(strategy: "0dte", instrument: call, action: .buy, quantity: 2, limitPrice: 2.05)
        let count = Int(option("--count", default: "200000"))!
        var allowed = 0
        let t0 = now()
        for _ in 0..<count where PreTradeRisk.check(order, limits: RiskLimits(), context: context).allowed { allowed += 1 }
        let perOrder = Double(now() - t0) / 1e3 / Double(count)
        print("{\"checks\":\(count),\"allowed\":\(allowed),\"open_positions\":\(positions.count),\"us_per_check\":\(perOrder)}")
    }
}

import AlphaTrader
import Foundation
import OrchestratorCore
import Redis

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

    /// Signal → the entry's orders on the wire, through the execution service's own path
    /// (`ExecutionService.act`: the signal journaled, the risk context, sizing and the pre-trade
    /// checks, the position journaled, each order journaled and sent) against tws-sim, one
    /// signal every `--interval-ms`, each on a new second so that every one is acted on.
    static func signalToWire() {
        let port = Int(option("--port", default: "7497"))!, count = Int(option("--count", default: "500"))!
        let interval = Double(option("--interval-ms", default: "25"))! / 1000
        let redisURL = try! RedisURL(parsing: option("--redis", default: "redis://127.0.0.1:6379/0"))
        let expiry = option("--expiry", default: "")
        let clock = try! SimulatedClock.fromEnvironment(ProcessInfo.processInfo.environment)
        var config = Config.defaults
        config.endpoints.ibkrPort = port
        let context = AlphaContext(config: config, clock: clock, redisURL: redisURL, log: EventLog(module: "bench", clock: clock), environment: [:])
        var limits = RiskLimits()
        limits.maxOrdersPerSecond = 1_000; limits.maxOrdersPerMinute = 100_000; limits.maxOpenPositions = 100_000
        limits.maxOpenPositionsPerSymbol = 100_000; limits.maxContractsPerPosition = 100_000; limits.maxValueAtRisk = 1e12
        var zero = StrategyConfig(kind: .zeroDTE)
        zero.window = 0...1_439
        zero.sizing.contracts = 1
        let journalPath = option("--journal", default: "/tmp/bench-signal-journal.sqlite")
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: journalPath + suffix) }
        let broker = BrokerConnection(
            options: .init(host: "127.0.0.1", port: port, clientId: 41, timeout: 10), journal: try! Journal(path: journalPath),
            log: EventLog(module: "bench", clock: clock), clock: clock)
        try! broker.connect()
        broker.journal.checkpointInBackground()
        let service = ExecutionService(context: context, config: StrategiesConfig(risk: limits, strategies: [zero]), broker: broker)
        try! service.start()
        service.enabledStrategies = ["0dte"]
        try! broker.watch(.stock(symbol: "SPY"))
        try! broker.wait(5, "a SPY quote") { broker.mark(.stock(symbol: "SPY")) != nil }
        let strike = broker.mark(.stock(symbol: "SPY"))!.rounded()
        let call = Instrument.option(symbol: "SPY", expiry: expiry, strike: strike, right: .call)
        for i in 0..<(count + 50) {
            // The signal as a strategy gives it: priced by the model at the spot now.
            let spot = broker.mark(.stock(symbol: "SPY"))!
            var snapshot = SymbolSnapshot(symbol: "SPY", price: spot, open: spot, vwap: spot)
            snapshot.updated = clock.now()
            let model = OptionChooser.riskQuote(call, spot: spot, expiresAt: clock.now() + 6 * 3_600, now: clock.now())!.mid
            let entry = TickSize.round(model, for: call)
            let t0 = now()
            let signal = Signal(
                time: clock.now().rounded(.down) + Double(i) * 1_000, strategy: "0dte", symbol: "SPY", direction: .long, instrument: call, entry: entry,
                stop: TickSize.round(entry * 0.7, for: call), targets: [TickSize.round(entry * 1.5, for: call)], confidence: 0.8, features: [:],
                reason: "benchmark")
            var risk: RiskContext?
            try! service.act(on: signal, now: clock.now(), snapshots: ["SPY": snapshot], context: &risk)
            while Double(now() - t0) / 1e9 < interval { try! broker.poll(max(0, interval - Double(now() - t0) / 1e9)) }
        }
        var times = Array(service.signalToWire.dropFirst(50)).map { $0 * 1e6 }
        times.sort()
        guard times.count > 10 else { fatalError("only \(times.count) entries went out (\(service.report.refusals) refused)") }
        print(
            "{\"signals\":\(count),\"entries\":\(times.count),\"refused\":\(service.report.refusals),\"p50_us\":\(times[times.count / 2]),\"p99_us\":\(times[times.count * 99 / 100]),\"max_us\":\(times.last!)}"
        )
    }
}

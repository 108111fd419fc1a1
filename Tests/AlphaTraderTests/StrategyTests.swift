import AlphaTrader
import Foundation
import Testing

@Suite("Strategies on hand-built snapshots")
struct StrategyTests {
    // 2026-12-07 10:30 New York; the close at 16:00.
    static let now = 1_796_657_400.0
    static let close = 1_796_677_200.0

    static func snapshot(_ x: SymbolSnapshot, minute: Int = 630, live: [String: Set<String>] = [:]) -> StrategySnapshot {
        StrategySnapshot(
            now: now, minuteOfDay: minute, today: .init(date: "20261207", closesAt: close), nextSession: .init(date: "20261208", closesAt: close + 86_400),
            twoWeeks: .init(date: "20261218", closesAt: close + 11 * 86_400), symbols: [x.symbol: x], live: live)
    }

    static func spy(price: Double, flip: Double? = 601, vpin: Double? = 0.70, imbalance: Double? = 0.48, pin: (Double, Double)? = nil) -> SymbolSnapshot {
        var x = SymbolSnapshot(symbol: "SPY", price: price, open: 600, vwap: 600)
        x.flip = flip; x.vpin = vpin; x.imbalance = imbalance; x.gex = -1e9
        if let pin { x.gammaStrikes = [.init(strike: pin.0, share: pin.1)] }
        return x
    }

    var config: StrategyConfig {
        var c = StrategyConfig(kind: .zeroDTE)
        c.symbols = ["SPY"]
        return c
    }

    @Test("0dte below the flip: momentum with the book, confidence by hand, a same-day call near delta 0.4 with its exits")
    func momentum() throws {
        let result = ZeroDTE.evaluate(config, Self.snapshot(Self.spy(price: 596)))
        let signal = try #require(result.signals.first, "\(result.skipped)")
        // d = (596 − 601)/601 = −0.8319 %: g = 0.8319; v = ½ + ½·(0.70 − 0.55)/0.45 = 0.6667;
        // i = ½ + ½·(0.48 − 0.30)/0.70 = 0.6286; 0.4·0.8319 + 0.3·0.6667 + 0.3·0.6286 = 0.7214.
        #expect(signal.confidence == 0.721)
        #expect(signal.direction == .long && signal.strategy == "0dte" && signal.symbol == "SPY")
        guard case .option(_, let expiry, _, let right) = signal.tradable else { Issue.record("not an option"); return }
        #expect(expiry == "20261207" && right == .call)
        #expect(abs(abs(signal.features["option_delta"]!) - 0.4) < 0.05)
        #expect(
            signal.entry > 0 && abs(signal.stop - signal.entry * 0.7) < 0.011 && signal.targets.count == 1
                && abs(signal.targets[0] - signal.entry * 1.5) < 0.011)
        #expect(signal.reason.contains("dealers short gamma") && signal.reason.contains("momentum long"))
        #expect(Signal.read(signal.json) == signal, "the signal document round-trips")
    }

    @Test("0dte above the flip: mean reversion toward the largest-gamma strike, by hand")
    func reversion() throws {
        let result = ZeroDTE.evaluate(config, Self.snapshot(Self.spy(price: 606, vpin: 0.30, pin: (603, 0.30))))
        let signal = try #require(result.signals.first, "\(result.skipped)")
        // d = +0.8319 %, e = (603 − 606)/606 = −0.4950 %: 0.35·0.9901 + 0.25·0.8319 + 0.2·(1 − 0.30/0.55) + 0.2·1 = 0.8454.
        #expect(signal.confidence == 0.845)
        #expect(signal.direction == .short)
        guard case .option(_, _, _, let right) = signal.tradable else { Issue.record("not an option"); return }
        #expect(right == .put)
        #expect(signal.reason.contains("mean reversion short"))
    }

    @Test(
        "0dte does not fire, and says why",
        arguments: [
            (spy(price: 596, vpin: 0.50), 630, "below the flip but VPIN 0.50 < 0.55"),
            (spy(price: 596, imbalance: 0.10), 630, "below the flip but the book is balanced (imbalance +0.10)"),
            (spy(price: 601.3), 630, "within 0.10 % of the gamma flip 601.00: no edge"),
            (spy(price: 596, flip: nil), 630, "no gamma flip from the premarket data"),
            (spy(price: 596, vpin: nil), 630, "no VPIN or order-book imbalance yet"),
            // 0.4·0.3328 + 0.3·(½ + ½·0.01/0.45) + 0.3·(½ + ½·0.01/0.70) = 0.4386
            (spy(price: 599, vpin: 0.56, imbalance: 0.31), 630, "confidence 0.44 below 0.60"),
            (spy(price: 596), 560, "outside the window"),
            (spy(price: 606, pin: (606.2, 0.4)), 630, "above the flip and already at the pin 606.20"),
        ])
    func noTrade(x: SymbolSnapshot, minute: Int, why: String) {
        let result = ZeroDTE.evaluate(config, Self.snapshot(x, minute: minute))
        #expect(result.signals.isEmpty)
        #expect(result.skipped == [.init(symbol: "SPY", reason: why)], "\(result.skipped)")
    }

    @Test("one live signal per strategy and symbol")
    func oneAtATime() {
        let result = ZeroDTE.evaluate(config, Self.snapshot(Self.spy(price: 596), live: ["0dte": ["SPY"]]))
        #expect(result.signals.isEmpty && result.skipped.first?.reason == "a live signal or position already")
    }

    static func stock(_ symbol: String, price: Double, open: Double = 600, vwap: Double = 603) -> SymbolSnapshot {
        SymbolSnapshot(symbol: symbol, price: price, open: open, vwap: vwap)
    }

    @Test("1dte: the day's trend, the closing flow and the sentiment agreeing — an overnight call on the next expiry, by hand")
    func oneDTE() throws {
        var c = StrategyConfig(kind: .oneDTE)
        c.symbols = ["SPY"]
        var x = Self.stock("SPY", price: 605)
        x.flow = 0.4; x.sentiment = 0.3
        let signal = try #require(OneDTE.evaluate(c, Self.snapshot(x, minute: 930)).signals.first)
        // trend +0.8333 %: 0.4·0.8333 + 0.3·(0.4/0.5) + 0.2·(0.3/0.5) + 0.1 (above its VWAP) = 0.7933.
        #expect(signal.confidence == 0.793 && signal.direction == .long)
        guard case .option(_, let expiry, _, let right) = signal.tradable else { Issue.record("not an option"); return }
        #expect(expiry == "20261208" && right == .call)
        x.flow = -0.3
        #expect(OneDTE.evaluate(c, Self.snapshot(x, minute: 930)).skipped.first?.reason == "the flow -0.30 does not back the day's move +0.83 %")
        var flat = Self.stock("SPY", price: 601)
        flat.flow = 0.4; flat.sentiment = 0.3
        #expect(OneDTE.evaluate(c, Self.snapshot(flat, minute: 930)).skipped.first?.reason == "the day moved +0.17 %, less than 0.30 %")
        // An ETF has no news: its confidence is out of the weights it has, 0.8.
        var etf = Self.stock("SPY", price: 604)
        etf.flow = 0.3
        let noNews = try #require(OneDTE.evaluate(c, Self.snapshot(etf, minute: 930)).signals.first)
        // trend +0.6667 %: (0.4·0.6667 + 0.3·(0.3/0.5) + 0.1 (above its VWAP)) / 0.8 = 0.6833.
        #expect(noNews.confidence == 0.683)
    }

    @Test("14dte: unusual calls with the flow and the sentiment behind them — a call two weeks out, by hand")
    func fourteenDTE() throws {
        var c = StrategyConfig(kind: .fourteenDTE)
        c.symbols = ["NVDA"]
        var x = Self.stock("NVDA", price: 180, open: 178, vwap: 179)
        x.unusual = .init(volumeToOpenInterest: 2.4, premium: 600_000, side: 1, sweeps: 2)
        x.flow = 0.3; x.sentiment = 0.25
        let signal = try #require(FourteenDTE.evaluate(c, Self.snapshot(x)).signals.first)
        // 0.35·(2.4/3) + 0.25·(600k/1M) + 0.2·(2/3) + 0.2·(0.25/0.5) = 0.6633.
        #expect(signal.confidence == 0.663 && signal.direction == .long)
        guard case .option(_, let expiry, _, .call) = signal.tradable else { Issue.record("not a call"); return }
        #expect(expiry == "20261218")
        x.sentiment = -0.2
        #expect(FourteenDTE.evaluate(c, Self.snapshot(x)).skipped.first?.reason == "the sentiment does not back the unusual calls")
    }

    @Test("moc: the gamma pin late in the day — stock toward the pin, the pin its target, by hand")
    func pin() throws {
        var c = StrategyConfig(kind: .moc)
        c.symbols = ["SPY"]
        var x = Self.stock("SPY", price: 600.5)
        x.gex = 2e9
        x.gammaStrikes = [.init(strike: 601, share: 0.4)]
        let signal = try #require(MarketOnClose.evaluate(c, Self.snapshot(x, minute: 940)).signals.first)
        // e = +0.0833 %: 0.4·min(1, 0.4/0.24) + 0.3·(1 − 0.0833/0.5) + 0.3·(10/20) = 0.8.
        #expect(signal.confidence == 0.8 && signal.direction == .long && signal.tradable == .stock(symbol: "SPY"))
        #expect(signal.entry == 600.5 && signal.stop == 597.5 && signal.targets == [601])
        // A strike where dealers are short gamma repels: the pin is the strongest long-gamma one.
        var repelled = x
        repelled.gammaStrikes = [.init(strike: 600, share: 0.3, long: false), .init(strike: 599, share: 0.24)]
        let below = try #require(MarketOnClose.evaluate(c, Self.snapshot(repelled, minute: 940)).signals.first)
        #expect(below.direction == .short && below.targets == [599])
        repelled.gammaStrikes = [.init(strike: 600, share: 0.3, long: false), .init(strike: 599, share: 0.1)]
        #expect(
            MarketOnClose.evaluate(c, Self.snapshot(repelled, minute: 940)).skipped.first?.reason
                == "no strike where dealers are long gamma holds 12 % of it")
        x.gex = -1e9
        #expect(MarketOnClose.evaluate(c, Self.snapshot(x, minute: 940)).skipped.first?.reason == "dealers are not long gamma: no pin")
        var far = Self.stock("SPY", price: 595)
        far.gex = 2e9; far.gammaStrikes = [.init(strike: 601, share: 0.4)]
        #expect(MarketOnClose.evaluate(c, Self.snapshot(far, minute: 940)).skipped.first?.reason == "+1.01 % from the pin 601.00: too far to be drawn")
    }

    @Test("all enabled strategies over one snapshot, each with its own result; a disabled one is not run")
    func all() throws {
        var config = try StrategiesConfig.load(
            String(contentsOfFile: repositoryRoot + "/config/strategies.yaml", encoding: .utf8), file: "s",
            symbols: ["SPY", "QQQ", "IWM", "AAPL", "TSLA", "NVDA", "META", "AMZN", "MSFT", "GOOGL", "AMD"]
        ).get()
        config.strategies[3].enabled = false
        let results = Strategies.evaluate(config, Self.snapshot(Self.spy(price: 596)))
        #expect(Set(results.keys) == ["0dte", "1dte", "14dte"])
        #expect(results["0dte"]?.signals.count == 1)
        #expect(results["1dte"]?.skipped.allSatisfy { $0.reason == "outside the window" } == true)
    }
}

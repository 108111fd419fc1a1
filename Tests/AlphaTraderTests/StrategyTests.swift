import AlphaTrader
import Foundation
import Testing

@Suite("Strategies on hand-built snapshots")
struct StrategyTests {
    // 2026-12-07 10:30 New York; the close at 16:00.
    static let now = 1_796_657_400.0
    static let close = 1_796_677_200.0

    static func snapshot(_ x: SymbolSnapshot, minute: Int = 630, live: [String: Set<String>] = [:]) -> StrategySnapshot {
        StrategySnapshot(now: now, minuteOfDay: minute, session: "20261207", nextSession: "20261208", close: close, symbols: [x.symbol: x], live: live)
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
            (spy(price: 606, pin: (606.2, 0.4)), 630, "above the flip and already at the largest-gamma strike 606.20"),
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
}

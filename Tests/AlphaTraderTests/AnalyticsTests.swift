import AlphaTrader
import Foundation
import OrchestratorCore
import Redis
import TestSupport
import Testing

@Suite("Analytics formulas on hand-computed examples")
struct AnalyticsFormulaTests {
    let phi1 = 0.841_344_746_068_542_9  // Φ(1)

    @Test(
        "bulk-volume classification: the buy fraction is Φ(Δp/σ)",
        arguments: [
            (0.0, 1.0, 0.5), (1.0, 1.0, 0.841_344_746_068_542_9), (-1.0, 1.0, 0.158_655_253_931_457_05),
            (0.02, 0.01, 0.977_249_868_051_820_8), (0.5, 0.0, 1.0), (-0.5, 0.0, 0.0),
        ])
    func bvc(_ change: Double, _ sigma: Double, _ expected: Double) {
        #expect(abs(VPIN.buyFraction(change: change, sigma: sigma) - expected) < 1e-12)
    }

    @Test("VPIN is Σ|buy − sell| over the window's buckets divided by their volume")
    func vpinByHand() {
        var v = VPIN(bucketVolume: 100, window: 2, sigma: 1)
        v.add(price: 10, size: 50)  // first trade: half and half → 25 / 25
        #expect(v.value == nil, "no complete bucket yet")
        v.add(price: 11, size: 50)  // Δ = +1: 50·Φ(1) buy
        let bucket1 = abs((25 + 50 * phi1) - (25 + 50 * (1 - phi1)))
        #expect(abs(v.value! - bucket1 / 100) < 1e-12)
        v.add(price: 10, size: 100)  // Δ = −1: 100·Φ(−1) buy
        let bucket2 = abs(100 * (1 - phi1) - 100 * phi1)
        #expect(abs(v.value! - (bucket1 + bucket2) / 200) < 1e-12)
        v.add(price: 10, size: 100)  // Δ = 0: balanced; the first bucket leaves the window
        #expect(abs(v.value! - (bucket2 + 0) / 200) < 1e-12)
        #expect(v.completedBuckets == 3)
    }

    @Test("a trade larger than a bucket fills several, split pro rata")
    func vpinOverflow() {
        var v = VPIN(bucketVolume: 100, window: 10, sigma: 1)
        v.add(price: 10, size: 100)  // one balanced bucket
        v.add(price: 11, size: 250)  // 2.5 buckets at Φ(1)
        #expect(v.completedBuckets == 3)
        let leaning = 100 * (2 * phi1 - 1)
        #expect(abs(v.value! - (0 + 2 * leaning) / 300) < 1e-12)
        v.add(price: 11, size: 50)  // Δ = 0 completes the half bucket
        let mixed = abs((50 * phi1 + 25) - (50 * (1 - phi1) + 25))
        #expect(abs(v.value! - (2 * leaning + mixed) / 400) < 1e-12)
    }

    @Test(
        "order-book imbalance is (bid − ask) / (bid + ask)",
        arguments: [
            (300.0, 100.0, 0.5), (100.0, 300.0, -0.5), (0.0, 0.0, 0.0), (500.0, 0.0, 1.0),
        ])
    func imbalance(_ bid: Double, _ ask: Double, _ expected: Double) {
        #expect(SymbolAnalytics.imbalance(bid: bid, ask: ask) == expected)
    }

    @Test(
        "hidden liquidity: a print inside the spread, or beyond the size shown at the touch",
        arguments: [
            (10.005, 100, true), (10.01, 300, false), (10.01, 700, true), (10.00, 900, false), (10.00, 1_100, true), (10.02, 100, false),
        ])
    func hidden(_ price: Double, _ size: Int, _ expected: Bool) {
        #expect(SymbolAnalytics.isHidden(price: price, size: size, bid: 10.00, ask: 10.01, bidSize: 1_000, askSize: 500) == expected)
    }
}

@Suite("The analytics service over a real redis-server", .serialized)
struct AnalyticsServiceTests {
    @Test("every trade of the tape is counted once, in order, and a restarted service rebuilds the same state")
    func exactlyOnce() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let context = try TestTape.context(server.url, module: "analytics-test")
        let (path, summary) = try TestTape.write(minutes: 2)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let h = try TapeReader(path: path).header
        _ = try TestTape.replay(path, into: server.url)
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        var perSymbol: [String: Int] = [:]
        for e in try TestTape.events(path) { if case .trade(let t) = e { perSymbol[h.symbols[t.symbol], default: 0] += 1 } }

        // The premarket job's exposure, folded into the symbol's state.
        let gex = ExposureDocument(spot: 600, total: -2_500_000, flip: 1000.5, unit: ExposureDocument.gammaUnit, byStrike: [], timestamp: 1)
        let dex = ExposureDocument(spot: 600, total: 7_000_000, flip: nil, unit: ExposureDocument.deltaUnit, byStrike: [], timestamp: 1)
        _ = try redis.command(["SET", ExposureDocument.gexKey("SPY"), gex.json])
        _ = try redis.command(["SET", ExposureDocument.dexKey("SPY"), dex.json])
        for round in 1...2 {
            let service = AnalyticsService(context: context, symbols: h.symbols, level2: Array(h.symbols.prefix(3)))
            let deadline = Date().addingTimeInterval(20)
            let report = service.run { service.report.trades >= summary.trades || Date() > deadline }
            #expect(report.trades == summary.trades, "round \(round)")
            for symbol in h.symbols {
                let json =
                    try JSONSerialization.jsonObject(with: Data((try redis.command(["GET", "analytics:\(symbol):vpin"]).text ?? "{}").utf8)) as! [String: Any]
                #expect(json["trades"] as? Int == perSymbol[symbol], "\(symbol) round \(round)")
                if let value = json["value"] as? Double { #expect(value >= 0 && value <= 1) }
                let obi =
                    try JSONSerialization.jsonObject(with: Data((try redis.command(["GET", "analytics:\(symbol):obi"]).text ?? "{}").utf8)) as! [String: Any]
                let imbalance = obi["value"] as! Double
                #expect(imbalance >= -1 && imbalance <= 1)
            }
        }
        #expect(try redis.command(["EXISTS", "module:heartbeat:analytics"]).integer == 1)
        let folded = try JSONSerialization.jsonObject(with: Data((try redis.command(["GET", "analytics:SPY:options"]).text ?? "{}").utf8)) as! [String: Any]
        #expect(folded["gex"] as? Double == -2_500_000 && folded["dex"] as? Double == 7_000_000 && folded["flip"] as? Double == 1000.5)
        #expect(folded["regime"] as? String == "negative gamma", "SPY trades below a flip at 1000.5")
    }
}

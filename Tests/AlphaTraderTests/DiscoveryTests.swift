import Foundation
import OrchestratorCore
import Redis
import TestSupport
import Testing

@testable import AlphaTrader

@Suite("Parameter discovery")
struct DiscoveryTests {
    @Test("k-means on log sizes finds odd lots, round lots and blocks, and the VPIN bucket is 50 blocks")
    func clusters() throws {
        var sizes: [Int] = []
        for i in 0..<300 { sizes.append(20 + i % 11) }  // 20…30
        for i in 0..<500 { sizes.append(200 + 100 * (i % 3)) }  // 200, 300, 400
        for i in 0..<200 { sizes.append(5_000 + 1_000 * (i % 3)) }  // 5000, 6000, 7000
        let clusters = try #require(Discovery.sizeClusters(sizes))
        #expect(clusters.count == 3)
        #expect(clusters.map(\.share) == [0.3, 0.5, 0.2])
        // Geometric means of each group (k-means on logs).
        let blocks = sizes.filter { $0 >= 5_000 }.map { log(Double($0)) }
        let expectedBlock = exp(blocks.reduce(0, +) / Double(blocks.count))
        #expect(abs(clusters[2].center - expectedBlock) < 1e-6)
        #expect(Discovery.vpinBucket(clusters) == (50 * expectedBlock / 100).rounded() * 100)
        #expect(Discovery.sizeClusters(Array(sizes.prefix(150))) == nil, "too few trades")
    }

    @Test(
        "a bar-history row is its time and a positive close; anything else is skipped",
        arguments: [
            ("1795617000,601.25,1200", true, 1_795_617_000 as Int64, 601.25),
            ("1795617005,601.3", true, 1_795_617_005, 601.3),
            ("1795617005,0,10", false, 0, 0), ("1795617005,-1,10", false, 0, 0),
            ("1795617005,nan,10", false, 0, 0), ("1795617005,,10", false, 0, 0),
            ("1795617005", false, 0, 0), (",601.3,10", false, 0, 0), ("17956x7005,601.3,1", false, 0, 0),
            ("1795617005,601.3abc,1", false, 0, 0), ("", false, 0, 0),
        ])
    func historyRows(text: String, valid: Bool, time: Int64, close: Double) {
        let row = DiscoveryJob.historyRow(text)
        #expect((row != nil) == valid, "\(text)")
        if let row { #expect(row.0 == time && row.1 == close) }
    }

    @Test("autocorrelation by hand: 1, 2, 3, 4 has r1 = 0.25 and r2 = −0.3")
    func acfByHand() {
        // mean 2.5, deviations −1.5 −0.5 0.5 1.5, Σd² = 5; lag 1: (0.75 − 0.25 + 0.75)/5; lag 2: (−0.75 − 0.75)/5
        let acf = Discovery.autocorrelation([1, 2, 3, 4], maxLag: 2)
        #expect(abs(acf[0] - 0.25) < 1e-12)
        #expect(abs(acf[1] - -0.3) < 1e-12)
    }

    @Test("the lookback is the largest significant lag of the returns' autocorrelation")
    func lookback() throws {
        // An AR process at lag 5 plus noise: lag 5 (and its multiples) stand out.
        var rng = SeededRandom(seed: 3)
        var x = [Double](repeating: 0, count: 2_000)
        for t in 5..<x.count { x[t] = 0.6 * x[t - 5] + rng.normal() }
        let found = try #require(Discovery.lookback(x, maxLag: 12))
        #expect(found.significant.contains(5) && found.significant.contains(10))
        #expect(found.bars >= 10)
        // White noise has (almost) nothing significant: the lookback falls back or stays short.
        let noise = (0..<2_000).map { _ in rng.normal() }
        #expect(Discovery.lookback(noise, maxLag: 12) != nil)
        #expect(Discovery.lookback(Array(noise.prefix(50))) == nil, "too few returns")
    }

    @Test("the regime compares the latest realized volatility with the day's terciles")
    func regime() throws {
        var rng = SeededRandom(seed: 4)
        let calm = (0..<600).map { _ in 0.0001 * rng.normal() }
        let wild = (0..<120).map { _ in 0.001 * rng.normal() }
        #expect(try #require(Discovery.regime(calm + wild)).name == "high")
        #expect(try #require(Discovery.regime(wild + calm)).name == "low")
        let r = try #require(Discovery.regime(calm))
        #expect(r.low <= r.high && r.current.isFinite)
    }

    @Test("Pearson correlation by hand and on aligned bar times")
    func correlation() throws {
        #expect(abs(try #require(Discovery.pearson([1, 2, 3], [2, 4, 6])) - 1) < 1e-12)
        #expect(abs(try #require(Discovery.pearson([1, 2, 3], [3, 2, 1])) - -1) < 1e-12)
        #expect(Discovery.pearson([1, 1, 1], [1, 2, 3]) == nil, "no variance, no correlation (never NaN)")
        var closes: [(Int64, Double)] = [], mirrored: [(Int64, Double)] = []
        var price = 100.0
        var rng = SeededRandom(seed: 5)
        for t in 0..<100 { price *= exp(0.001 * rng.normal()); closes.append((Int64(t * 5), price)); mirrored.append((Int64(t * 5), 10_000 / price)) }
        let m = Discovery.correlation([closes, mirrored, []])
        #expect(m[0][0] == 1 && abs(m[0][1]! - -1) < 1e-9)
        #expect(m[0][2] == nil && m[2][2] == nil)
    }

    @Test("market-maker profiles sum a maker's activity across exchanges")
    func makers() {
        let profiles = Discovery.makerProfiles([
            .init(exchange: "ARCA", maker: "VIRT", updates: 60, topUpdates: 30, sizeSum: 6_000),
            .init(exchange: "ISLAND", maker: "VIRT", updates: 20, topUpdates: 2, sizeSum: 4_000),
            .init(exchange: "IEX", maker: "JANE", updates: 18, topUpdates: 9, sizeSum: 1_800),
            .init(exchange: "BATS", maker: "SUSQ", updates: 2, topUpdates: 0, sizeSum: 200),
        ])
        #expect(profiles.map(\.maker) == ["VIRT", "JANE", "SUSQ"])
        #expect(profiles[0].exchanges == ["ARCA", "ISLAND"] && profiles[0].share == 0.8 && profiles[0].topShare == 0.4 && profiles[0].averageSize == 125)
        #expect(profiles.map(\.role) == ["primary", "active", "occasional"])
    }
}

@Suite("The discovery job against a real redis-server", .serialized)
struct DiscoveryJobTests {
    @Test("a symbol with too little data keeps its previous parameters, the file is plain YAML and never holds NaN")
    func keepsPrevious() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let context = try TestTape.context(server.url, module: "discover-test")
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        let out = temporaryPath("yaml")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let job = DiscoveryJob(context: context, outputPath: out)
        var rng = SeededRandom(seed: 9)
        var price = 100.0
        let bars: [(Int64, Double)] = (0..<400).map { t in
            price *= exp(0.001 * rng.normal()); return (Int64(t * 5), price)
        }
        let sizes = (0..<1_000).map { i in [30, 300, 3_000][i % 3] + i % 7 }
        let full = DiscoveryJob.compute(symbols: ["SPY", "VXX"], data: [.init(sizes: sizes, bars: bars), .init(sizes: sizes, bars: bars)])
        _ = try job.write(full, session: "2026-11-25", redis: redis)
        let first = try String(contentsOfFile: out, encoding: .utf8)
        let bucket = try #require(full.parameters[1].vpinBucket)

        // VXX goes quiet: no trades, no bars.
        let thin = DiscoveryJob.compute(symbols: ["SPY", "VXX"], data: [.init(sizes: sizes, bars: bars), .init()])
        #expect(thin.warnings.count == 2 && thin.warnings.allSatisfy { $0.hasPrefix("VXX:") })
        let (yaml, kept) = try job.write(thin, session: "2026-11-25", redis: redis)
        #expect(kept == ["VXX"])
        #expect(!yaml.lowercased().contains("nan") && !first.lowercased().contains("nan"))
        #expect(yaml.contains("vpin_bucket: \(Int(bucket))"))
        let params = try #require(try redis.command(["GET", "discovery:VXX:params"]).text)
        #expect(params.contains("\"vpin_bucket\":\(Int(bucket))"))
        let ttl = try redis.command(["TTL", CorrelationDocument.key]).integer ?? 0
        #expect(ttl > 86_000 && ttl <= 86_400)
        let correlation = try #require(CorrelationDocument.read(try redis.command(["GET", CorrelationDocument.key]).text))
        #expect(correlation.symbols == ["SPY", "VXX"] && correlation.pairs["SPY"]?["VXX"] == correlation.matrix[0][1])
        // Any YAML parser reads it: the orchestrator's own loader (Yams) does.
        #expect(try YAMLCheck.parses(yaml))
        #expect(!FileManager.default.fileExists(atPath: out + ".tmp-\(getpid())"), "no temporary file left")
    }
}

import Foundation
import OrchestratorCore
import Redis
import TestSupport
import Testing

@testable import AlphaTrader

/// The reference the running sums must agree with: the textbook two-pass formulas.
private enum Reference {
    static func autocorrelation(_ x: [Double], maxLag: Int) -> [Double] {
        let n = x.count, mean = x.reduce(0, +) / Double(n)
        let denominator = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (1...min(maxLag, n - 1)).map { lag in
            (lag..<n).reduce(0.0) { $0 + (x[$1] - mean) * (x[$1 - lag] - mean) } / denominator
        }
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count), mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my) }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Realized volatility of every 60-bar window, annualized like discovery does.
    static func volatilities(_ r: [Double]) -> [Double] {
        let scale = (252 * 23_400 / (5.0 * 60)).squareRoot()
        return (59..<r.count).map { i in r[(i - 59)...i].reduce(0) { $0 + $1 * $1 }.squareRoot() * scale }
    }
}

/// A day of correlated bars for three symbols, the third with gaps (a quiet stock).
private func day(bars: Int, seed: UInt64) -> [[(Int64, Double)]] {
    var rng = SeededRandom(seed: seed)
    var prices = [100.0, 50.0, 20.0]
    var series: [[(Int64, Double)]] = [[], [], []]
    for t in 0..<bars {
        let market = 0.0008 * rng.normal()
        for s in 0..<3 {
            prices[s] *= exp([1.0, 1.4, -0.8][s] * market + 0.0005 * rng.normal() + (s == 0 && t % 7 == 0 ? 0.0004 : 0))
            if s == 2 && rng.uniform() < 0.2 { continue }
            series[s].append((Int64(1_795_617_000 + 5 * t), prices[s]))
        }
    }
    return series
}

@Suite("Discovery's running state")
struct DiscoveryStateTests {
    @Test("running autocorrelations equal the two-pass formula, whatever the chunks they arrive in")
    func autocorrelationInChunks() throws {
        var rng = SeededRandom(seed: 21)
        var x: [Double] = []
        for i in 0..<2_000 { x.append(0.001 * rng.normal() + (i > 0 ? 0.3 * x[i - 1] : 0) + 0.00002) }
        let reference = Reference.autocorrelation(x, maxLag: 60)
        var stats = ReturnStatistics()
        var i = 0
        while i < x.count {
            let n = min(x.count - i, 1 + Int(rng.uniform() * 300))
            for v in x[i..<(i + n)] { stats.add(v) }
            // Through the stored form between chunks, as between two runs of the job.
            stats = try JSONDecoder().decode(ReturnStatistics.self, from: JSONEncoder().encode(stats))
            i += n
        }
        let running = stats.autocorrelation()
        #expect(running.count == 60)
        for (a, b) in zip(running, reference) { #expect(abs(a - b) < 1e-9) }
        #expect(try #require(stats.lookback()).significant.contains(1), "an AR(1) series has a significant first lag")
    }

    @Test("short series: as many lags as there are returns less one, and none from one return")
    func shortSeries() {
        #expect(ReturnStatistics([0.1]).autocorrelation().isEmpty)
        #expect(ReturnStatistics([0.1, 0.2, 0.4]).autocorrelation().count == 2)
        #expect(ReturnStatistics([0.1, 0.1, 0.1]).autocorrelation() == [0, 0], "no variance: zeros, never NaN")
    }

    @Test("the volatility terciles are within 1 % of the day's exact order statistics")
    func terciles() throws {
        var rng = SeededRandom(seed: 22)
        let r = (0..<3_000).map { i in (i < 1_500 ? 0.0002 : 0.0006) * rng.normal() * (1 + Double(i % 400) / 400) }
        let regime = try #require(ReturnStatistics(r).regime())
        let exact = Reference.volatilities(r)
        let sorted = exact.sorted()
        #expect(abs(regime.low / sorted[sorted.count / 3] - 1) < 0.01)
        #expect(abs(regime.high / sorted[2 * sorted.count / 3] - 1) < 0.01)
        #expect(abs(regime.current / exact.last! - 1) < 1e-9, "the latest window is exact")
    }

    @Test("correlations folded run by run equal those of the whole day at once, pending returns included")
    func correlationsInRuns() throws {
        let series = day(bars: 3_000, seed: 23)
        let symbols = ["SPY", "QQQ", "VXX"]
        var state = DiscoveryState(session: "2026-12-07", symbols: symbols)
        var read = [0, 0, 0]
        // Runs every 180 bars; each symbol is read a little ahead of or behind the others.
        for run in 1...17 {
            var data: [DiscoveryJob.SymbolData] = []
            for s in 0..<3 {
                let until = min(series[s].count, run == 17 ? series[s].count : run * 180 * (s == 2 ? 4 : 5) / 5 + 3 * s)
                let rows = Array(series[s][read[s]..<max(read[s], until)])
                data.append(DiscoveryJob.SymbolData(sizeCounts: [:], bars: rows, rows: rows.count))
                read[s] = max(read[s], until)
            }
            _ = DiscoveryJob.compute(data: data, state: &state)
            state = try JSONDecoder().decode(DiscoveryState.self, from: JSONEncoder().encode(state))
        }
        let whole = DiscoveryJob.compute(symbols: symbols, data: series.map { DiscoveryJob.SymbolData(sizeCounts: [:], bars: $0) })
        let running = state.correlation()
        // The reference: returns keyed by bar time, paired where both symbols have one.
        let returns: [[Int64: Double]] = series.map { bars in
            Dictionary(uniqueKeysWithValues: (1..<bars.count).map { (bars[$0].0, log(bars[$0].1 / bars[$0 - 1].1)) })
        }
        for i in 0..<3 {
            for j in 0..<3 where i != j {
                let common = returns[i].keys.filter { returns[j][$0] != nil }.sorted()
                let r = Reference.pearson(common.map { returns[i][$0]! }, common.map { returns[j][$0]! })
                #expect(abs(try #require(running[i][j]) - r) < 1e-9)
                #expect(abs(try #require(whole.correlation[i][j]) - r) < 1e-9)
            }
        }
        #expect(try #require(running[0][2]) < -0.5 && running[0][1]! > 0.5)
        #expect(state.perSymbol.map(\.bars) == series.map(\.count))
    }

    @Test("a stored state of another session, other symbols or inconsistent sums is not continued")
    func continuation() throws {
        var state = DiscoveryState(session: "2026-12-07", symbols: ["SPY", "QQQ"])
        state.advance(symbol: 0, rows: 3, lastRow: "3,100.2,5", bars: [(0, 100), (5, 100.1), (10, 100.2)])
        #expect(state.continues(session: "2026-12-07", symbols: ["SPY", "QQQ"]))
        #expect(!state.continues(session: "2026-12-08", symbols: ["SPY", "QQQ"]))
        #expect(!state.continues(session: "2026-12-07", symbols: ["SPY"]))
        // Hand-edited: a tail longer than the returns it summarizes.
        var json = try #require(String(data: JSONEncoder().encode(state), encoding: .utf8))
        json = json.replacingOccurrences(of: "\"count\":2", with: "\"count\":1")
        let edited = try JSONDecoder().decode(DiscoveryState.self, from: Data(json.utf8))
        #expect(!edited.continues(session: "2026-12-07", symbols: ["SPY", "QQQ"]))
    }
}

@Suite("The discovery job's running state against a real redis-server", .serialized)
struct DiscoveryJobStateTests {
    /// Appends `bars` to each symbol's history as ingestion does ("epoch seconds,close,volume").
    func append(_ redis: RedisClient, _ symbols: [String], _ series: [[(Int64, Double)]], _ range: [Range<Int>]) throws {
        for (s, symbol) in symbols.enumerated() where !range[s].isEmpty {
            _ = try redis.command(["RPUSH", "market:\(symbol):history"] + series[s][range[s]].map { "\($0.0),\($0.1),100" })
        }
    }

    func run(_ job: DiscoveryJob, _ redis: RedisClient, _ symbols: [String]) throws -> (DiscoveryJob.Result, rows: Int, notes: [String?]) {
        _ = try redis.command(["SET", "market:session", "2026-12-07"])
        var (state, note) = try job.loadState(redis, symbols: symbols) { nil }
        let (data, reread) = try job.load(redis, state: &state)
        let result = DiscoveryJob.compute(data: data, state: &state)
        _ = try job.write(result, session: state.session, redis: redis, state: state)
        return (result, data.reduce(0) { $0 + $1.rows }, [note, reread])
    }

    /// A discovery job on a real redis-server of its own, writing to a temporary file.
    func withJob(_ body: (DiscoveryJob, RedisClient) throws -> Void) throws {
        let server = try RedisServer()
        defer { server.stop() }
        let context = try TestTape.context(server.url, module: "discover-test")
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        let out = temporaryPath("yaml")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let job = DiscoveryJob(context: context, outputPath: out)
        try body(job, redis)
    }

    @Test("each run reads only the rows after the last run's, and the result is the whole day's")
    func readsOnlyWhatIsNew() throws {
        try withJob { job, redis in try readsOnlyWhatIsNew(job, redis) }
    }

    func readsOnlyWhatIsNew(_ job: DiscoveryJob, _ redis: RedisClient) throws {
        let symbols = ["SPY", "QQQ", "VXX"]
        let series = day(bars: 1_200, seed: 24)
        // Ingestion appends every symbol's bars as the day goes: split at one time for all.
        let noon = series[0][series[0].count / 2].0
        let half = series.map { 0..<$0.partitioningIndex { $0.0 >= noon } }, rest = zip(series, half).map { $1.upperBound..<$0.count }

        try append(redis, symbols, series, half)
        let first = try run(job, redis, symbols)
        #expect(first.rows == half.reduce(0) { $0 + $1.count } && first.notes == [nil, nil])
        try append(redis, symbols, series, rest)
        let second = try run(job, redis, symbols)
        #expect(second.rows == rest.reduce(0) { $0 + $1.count }, "only the new rows are read")
        let whole = DiscoveryJob.compute(symbols: symbols, data: series.map { DiscoveryJob.SymbolData(sizeCounts: [:], bars: $0) })
        for i in 0..<3 {
            #expect(second.0.parameters[i].lookbackBars == whole.parameters[i].lookbackBars)
            #expect(second.0.parameters[i].regime == whole.parameters[i].regime)
            #expect(second.0.parameters[i].bars == series[i].count)
            for j in 0..<3 { #expect(abs((second.0.correlation[i][j] ?? 9) - (whole.correlation[i][j] ?? 9)) < 1e-9) }
        }
        // Nothing new: nothing read, the same parameters.
        let third = try run(job, redis, symbols)
        #expect(third.rows == 0 && third.0.parameters[0].lookbackBars == whole.parameters[0].lookbackBars)
    }

    @Test("a history replaced under the state, or a state that is not one, makes the run read the day again and say so")
    func startsOver() throws {
        try withJob { job, redis in try startsOver(job, redis) }
    }

    func startsOver(_ job: DiscoveryJob, _ redis: RedisClient) throws {
        let symbols = ["SPY", "QQQ", "VXX"]
        let series = day(bars: 600, seed: 25)
        try append(redis, symbols, series, series.map { $0.indices })
        _ = try run(job, redis, symbols)

        // Ingestion started the session again: QQQ's history is shorter and different.
        _ = try redis.command(["DEL", "market:QQQ:history"])
        let other = day(bars: 300, seed: 26)
        try append(redis, symbols, other, [0..<0, other[1].indices, 0..<0])
        let again = try run(job, redis, symbols)
        #expect(again.notes[1]?.contains("market:QQQ:history no longer holds the last row read") == true)
        #expect(again.rows == series[0].count + other[1].count + series[2].count)
        #expect(again.0.parameters[1].bars == other[1].count)

        _ = try redis.command(["SET", DiscoveryJob.stateKey, "{\"layout\":1,\"session\":"])
        let garbage = try run(job, redis, symbols)
        #expect(garbage.notes[0]?.hasPrefix("discovery:state is not a discovery state") == true)
        #expect(garbage.0.parameters[1].bars == other[1].count)
        let stored = try #require(try redis.command(["GET", DiscoveryJob.stateKey]).text)
        #expect(try JSONDecoder().decode(DiscoveryState.self, from: Data(stored.utf8)).continues(session: "2026-12-07", symbols: symbols))
    }
}

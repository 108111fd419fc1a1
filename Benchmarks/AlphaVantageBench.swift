import AlphaTrader
import AlphaTraderSimulators
import Foundation
import OrchestratorCore
import Redis

/// Issue 7's figures: a chain's parse + validation and its GEX/DEX, and the shared rate limiter
/// under concurrent processes against the local Alpha Vantage stand-in.
enum AlphaVantageBench {
    /// Parse + validate an 8,300-contract chain, then GEX/DEX (+ flow), best of `--rounds`.
    static func chain() {
        let rounds = Int(option("--rounds", default: "30"))!
        let data = AlphaVantagePayloads(seed: 1, date: "2026-11-25").chain("SPY")
        let out = option("--write", default: "")
        if !out.isEmpty { try! data.write(to: URL(fileURLWithPath: out)) }
        var parse: [Double] = [], compute: [Double] = []
        var contracts = 0, invalid = 0, total = 0.0, flip = 0.0
        for _ in 0..<rounds {
            let t0 = now()
            let chain = try! OptionsChainParser.parse(data, symbol: "SPY")
            let t1 = now()
            let spot = Exposure.impliedSpot(chain.contracts) ?? 600
            let e = Exposure.compute(chain.contracts, spot: spot)
            let f = OptionsFlow.compute(chain.contracts)
            let t2 = now()
            parse.append(Double(t1 - t0) / 1e6); compute.append(Double(t2 - t1) / 1e6)
            contracts = chain.contracts.count; invalid = chain.invalidCount; total = e.totalGEX; flip = e.flip ?? .nan
            _ = f
        }
        print(
            "{\"bytes\":\(data.count),\"contracts\":\(contracts + invalid),\"valid\":\(contracts),\"invalid\":\(invalid),\"parse_ms\":\(median(parse)),\"parse_best_ms\":\(parse.min()!),\"gex_dex_ms\":\(median(compute)),\"gex_dex_best_ms\":\(compute.min()!),\"total_gex\":\(total),\"flip\":\(flip.isFinite ? String(flip) : "null")}"
        )
    }

    /// The parent: a stand-in server, `--processes` workers sharing one limiter for `--seconds`.
    static func rateLimit() {
        let processes = Int(option("--processes", default: "8"))!
        let seconds = Double(option("--seconds", default: "150"))!
        let redis = option("--redis", default: "redis://127.0.0.1:6379/0")
        let simulator = try! AlphaVantageSimulator(payloads: AlphaVantagePayloads(seed: 1, date: "2026-11-25"), symbols: ["SPY", "AAPL"])
        _ = try? RedisClient(url: try! RedisURL(parsing: redis)).command(["DEL", "ratelimit:bench", "ratelimit:bench:seq"])
        var children: [Process] = []
        for i in 0..<processes {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            p.arguments = ["av-worker", "--url", simulator.baseURL, "--redis", redis, "--seconds", String(seconds), "--worker", String(i)]
            try! p.run()
            children.append(p)
        }
        for p in children { p.waitUntilExit() }
        simulator.stop()
        let times = simulator.calls.map(\.0.timeIntervalSince1970).sorted()
        guard let first = times.first, let last = times.last else { print("{\"calls\":0}"); return }
        // Sustained: the calls in the whole limiter windows (60.5 s) the run covered, per minute.
        let windows = Double(Int((last - first) / 60.5))
        let inWindows = times.filter { $0 < first + windows * 60.5 }.count
        let steadyRate = windows > 0 ? Double(inWindows) / (windows * 60.5) * 60 : 0
        print(
            "{\"processes\":\(processes),\"seconds\":\(seconds),\"calls\":\(times.count),\"busiest_60s\":\(simulator.busiestWindow(60)),\"overall_per_min\":\(Double(times.count) / (last - first) * 60),\"steady_per_min\":\(steadyRate)}"
        )
    }

    /// One worker: calls as fast as the shared limiter admits.
    static func worker() {
        let url = option("--url", default: "")
        let seconds = Double(option("--seconds", default: "150"))!
        let redis = try! RedisClient(url: try! RedisURL(parsing: option("--redis", default: "redis://127.0.0.1:6379/0")))
        let clock = SystemClock()
        let client = AlphaVantageClient(
            baseURL: url, apiKey: "bench", limiter: RateLimiter(redis: redis, key: "ratelimit:bench"),
            log: EventLog(module: "av-worker-\(option("--worker", default: "0"))", clock: clock))
        client.budgetWait = 5
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            _ = try? client.call("RSI", symbol: "SPY", parameters: [("symbol", "SPY"), ("interval", "daily")], priority: .options) {
                _ throws(AlphaVantageReply) in 0
            }
        }
    }
}

import AlphaTrader
import Foundation
import Redis
import TestSupport
import Testing

@Suite("market-open's checks, and moc's request")
struct PreOpenChecksTests {
    let now = 1_795_616_700.0  // 2026-11-25 09:25 New York

    @Test(
        "the feed's heartbeat: fresh passes, old, absent or damaged fails with the reason",
        arguments: [
            ("{\"ts\":1795616690000,\"pid\":1}", true, "heartbeat 10 s old"),
            ("{\"ts\":1795616500000,\"pid\":1}", false, "200 s old (at most 60 s)"),
            (nil, false, "no heartbeat from ibkr-ingestion"),
            ("garbage", false, "is not a heartbeat"),
        ] as [(String?, Bool, String)])
    func ingestion(_ text: String?, _ passed: Bool, _ detail: String) {
        let check = PreOpenChecks.ingestion(text, now: now, maxAge: 60)
        #expect(check.passed == passed && check.detail.contains(detail), "\(check.detail)")
    }

    @Test("the broker's account: values above zero pass; none, or no buying power, fail")
    func broker() {
        #expect(PreOpenChecks.broker(account: "DU1", values: ["NetLiquidation": 100_000, "BuyingPower": 400_000]).passed)
        #expect(!PreOpenChecks.broker(account: "DU1", values: [:]).passed)
        let broke = PreOpenChecks.broker(account: "DU1", values: ["NetLiquidation": 100_000, "BuyingPower": 0])
        #expect(!broke.passed && broke.detail.contains("buying power $0"))
    }

    @Test("discovered parameters: fresh in Redis, else the last run's file when it has every symbol and is recent, or none at all on a first session")
    func discovery() {
        let fresh = DiscoveredParametersDocument(trades: 1, bars: 1, timestamp: Int64((now - 3_600) * 1000))
        let old = DiscoveredParametersDocument(trades: 1, bars: 1, timestamp: Int64((now - 10 * 86_400) * 1000))
        let maxAge = 4 * 86_400.0
        #expect(PreOpenChecks.discovery(redis: ["SPY": fresh, "QQQ": fresh], file: nil, now: now, maxAge: maxAge).passed)
        let stale = PreOpenChecks.discovery(redis: ["SPY": fresh, "QQQ": old], file: nil, now: now, maxAge: maxAge)
        #expect(!stale.passed && stale.detail.contains("QQQ") && !stale.detail.contains("SPY"))
        #expect(PreOpenChecks.discovery(redis: ["SPY": nil, "QQQ": nil], file: (now - 86_400, ["SPY", "QQQ"]), now: now, maxAge: maxAge).passed)
        let missing = PreOpenChecks.discovery(redis: ["SPY": nil, "QQQ": nil], file: (now - 86_400, ["SPY"]), now: now, maxAge: maxAge)
        #expect(!missing.passed && missing.detail == "no discovered parameters for QQQ")
        let first = PreOpenChecks.discovery(redis: ["SPY": nil, "QQQ": nil], file: nil, now: now, maxAge: maxAge)
        #expect(first.passed && first.detail.hasPrefix("none yet: a first session"), "a new installation's first day is not stale")
        let staleNoFile = PreOpenChecks.discovery(redis: ["SPY": old, "QQQ": nil], file: nil, now: now, maxAge: maxAge)
        #expect(!staleNoFile.passed && staleNoFile.detail.contains("QQQ, SPY"))
        let ancient = PreOpenChecks.discovery(redis: ["SPY": nil], file: (now - 30 * 86_400, ["SPY"]), now: now, maxAge: maxAge)
        #expect(!ancient.passed && ancient.detail.contains("30.0 days old"))
    }

    @Test("premarket data: every symbol's exposure from today passes; missing or yesterday's fails naming them")
    func premarket() {
        let today = ExposureDocument(spot: 600, total: 1, flip: 590, unit: ExposureDocument.gammaUnit, byStrike: [], timestamp: Int64(now - 8_000))
        let yesterday = ExposureDocument(spot: 600, total: 1, flip: 590, unit: ExposureDocument.gammaUnit, byStrike: [], timestamp: Int64(now - 90_000))
        let midnight = now - 9 * 3_600 - 25 * 60
        #expect(PreOpenChecks.premarket(["SPY": today, "QQQ": today], since: midnight).passed)
        let check = PreOpenChecks.premarket(["SPY": nil, "QQQ": yesterday, "IWM": today], since: midnight)
        #expect(!check.passed && check.detail.contains("none for SPY") && check.detail.contains("not from today for QQQ"), "\(check.detail)")
    }

    @Test("market-open with Redis and the broker down: exit 1, each failed check named")
    func marketOpenFails() throws {
        // In a directory of its own: the command opens its journal (var/) before the broker fails.
        let dir = temporaryPath("dir")
        try FileManager.default.createDirectory(atPath: dir + "/config", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for file in ["config.yaml", "strategies.yaml"] {
            try FileManager.default.copyItem(atPath: repositoryRoot + "/config/" + file, toPath: dir + "/config/" + file)
        }
        let r = try AlphaTraderCLITests().run(
            ["market-open"], environment: ["REDIS_URL": "redis://127.0.0.1:1/0", "IBKR_PORT": "1"], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("redis") && r.stdout.contains("FAILED") && r.stdout.contains("no strategy enabled"), "\(r.stdout)")
        #expect(r.stderr.contains("pre-open checks failed: redis") && r.stderr.contains("broker (the broker at 127.0.0.1:1:"), "\(r.stderr)")
        #expect(
            !r.stdout.contains("ExitCode") && r.stdout.contains("start it: alphatrader tws-sim"), "the broker's own error is the check's detail: \(r.stdout)")
    }

    @Test("moc with no execution service running: exit 1, saying the service did not answer, its request withdrawn")
    func mocWithoutService() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let r = try AlphaTraderCLITests().run(["moc", "--wait", "0.3"], environment: ["REDIS_URL": redis.url])
        #expect(r.status == 1 && r.stderr.contains("the execution service did not answer in 0.3 s"), "\(r.stderr)")
        let client = try RedisClient(url: try RedisURL(parsing: redis.url))
        #expect(try client.command(["LLEN", ExecutionRequest.queue]).integer == 0)
    }
}

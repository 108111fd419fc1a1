import AlphaTrader
import Foundation
import Redis
import TestSupport
import Testing

@Suite("The strategies' snapshot from the services' documents, in a real redis-server")
struct SnapshotReaderTests {
    @Test("each field from its document; missing or damaged documents leave theirs empty; a symbol without a ticker is absent; a 0dte signal from it")
    func readsDocuments() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let client = try RedisClient(url: try RedisURL(parsing: redis.url))
        try Self.writeDocuments(client)
        try readBack(client)
        // The analytics service's gamma at the live price, once there is one, is read instead.
        let live = ExposureDocument(
            spot: 596, total: 1e9, flip: 590.5, unit: ExposureDocument.gammaUnit, byStrike: [[595, 4e8], [600, 1e8]], timestamp: 2)
        _ = try client.command(["SET", ExposureDocument.liveGEXKey("SPY"), live.json])
        let spy = try #require(try SnapshotReader.read(client, symbols: ["SPY"])["SPY"])
        #expect(spy.gex == 1e9 && spy.flip == 590.5 && spy.gammaStrikes.first == .init(strike: 595, share: 0.8, long: true))
    }

    /// SPY's documents (a 0dte momentum set-up below the flip), QQQ's ticker and a damaged VPIN.
    static func writeDocuments(_ client: RedisClient) throws {
        let ticker = TickerDocument(
            symbol: "SPY", bid: 595.98, ask: 596.02, bidSize: 300, askSize: 200, last: 596, open: 600, high: 601, low: 595, volume: 1_000_000,
            vwap: 598, trades: 9_000, timestamp: 1)
        var discovered = DiscoveredParametersDocument(trades: 9_000, bars: 720, timestamp: 1)
        discovered.volatility = .init(current: 0.1587, low: 0.12, high: 0.2, regime: "normal")
        let writes: [(String, String)] = [
            (TickerDocument.key("SPY"), ticker.json),
            (
                SweepsDocument.key("SPY"),
                SweepsDocument(count: 4, last: .init(side: "buy", levels: 3, exchanges: 2, size: 5_000, timestamp: 1), timestamp: 1).json
            ),
            (DiscoveredParametersDocument.key("SPY"), discovered.json),
            (VPINDocument.key("SPY"), VPINDocument(value: 0.70, buckets: 50, bucketVolume: 100_000, window: 50, trades: 9_000, timestamp: 1).json),
            (ImbalanceDocument.key("SPY"), ImbalanceDocument(value: 0.48, bid: 7_400, ask: 2_600, timestamp: 1).json),
            (
                ExposureDocument.gexKey("SPY"),
                ExposureDocument(
                    spot: 600, total: -2e9, flip: 601, unit: ExposureDocument.gammaUnit, byStrike: [[595, -1e8], [600, -3e8], [605, 1e8]], timestamp: 1
                ).json
            ),
            (
                OptionsFlowDocument.key("SPY"),
                OptionsFlowDocument(putCallVolume: 0.8, putCallOpenInterest: 1.1, callVolume: 10, putVolume: 8, callPremium: 3e6, putPremium: 1e6, timestamp: 1)
                    .json
            ),
            (
                UnusualActivityDocument.key("SPY"),
                UnusualActivityDocument(
                    contracts: [
                        .init(
                            contract: "A", type: "call", strike: 610, expiration: "2026-12-18", volume: 5_000, openInterest: 1_000, ratio: 5, premium: 400_000),
                        .init(contract: "B", type: "put", strike: 590, expiration: "2026-12-18", volume: 600, openInterest: 200, ratio: 3, premium: 90_000),
                    ], rule: "r", timestamp: 1
                ).json
            ),
            (
                SentimentDocument.key("SPY"),
                SentimentDocument(ticker: "SPY", score: 0.31, label: "Somewhat-Bullish", articles: 12, bullish: 7, bearish: 2, timestamp: 1).json
            ),
            (
                TickerDocument.key("QQQ"),
                TickerDocument(
                    symbol: "QQQ", bid: 0, ask: 0, bidSize: 0, askSize: 0, last: 520, open: 519, high: 521, low: 518, volume: 5, vwap: 520, trades: 5,
                    timestamp: 1
                ).json
            ),
            (VPINDocument.key("QQQ"), "{\"value\": \"high\"}"),
        ]
        for (key, value) in writes { _ = try client.command(["SET", key, value]) }
    }

    func readBack(_ client: RedisClient) throws {

        let snapshots = try SnapshotReader.read(client, symbols: ["SPY", "QQQ", "IWM"])
        #expect(Set(snapshots.keys) == ["SPY", "QQQ"], "IWM has no ticker")
        let spy = try #require(snapshots["SPY"])
        #expect(spy.price == 596 && spy.open == 600 && spy.vwap == 598 && spy.vpin == 0.70 && spy.imbalance == 0.48)
        #expect(spy.gex == -2e9 && spy.flip == 601)
        // |gamma| 1e8, 3e8, 1e8 of 5e8: the 600 strike holds 60 %.
        #expect(spy.gammaStrikes.first == .init(strike: 600, share: 0.6, long: false) && spy.gammaStrikes.count == 3)
        #expect(spy.flow == 0.5, "(3M − 1M) / 4M")
        #expect(spy.unusual == .init(volumeToOpenInterest: 5, premium: 490_000, side: 1, sweeps: 4))
        // Discovery's annualized 15.87 % is a day's 1.00 %.
        #expect(abs(spy.volatility! - 0.01) < 1e-4 && spy.regime == "normal")
        #expect(spy.sentiment == 0.31)
        let qqq = try #require(snapshots["QQQ"])
        #expect(qqq.price == 520, "no two-sided quote: the last trade")
        #expect(qqq.vpin == nil && qqq.flip == nil && qqq.flow == nil, "a damaged VPIN and absent documents leave their fields empty")

        var config = StrategyConfig(kind: .zeroDTE)
        config.symbols = ["SPY", "QQQ"]
        let now = 1_796_657_400.0
        let snapshot = StrategySnapshot(
            now: now, minuteOfDay: 630, today: .init(date: "20261207", closesAt: now + 19_800), nextSession: .init(date: "20261208", closesAt: now + 106_200),
            twoWeeks: .init(date: "20261218", closesAt: now + 984_600), symbols: snapshots)
        let result = ZeroDTE.evaluate(config, snapshot)
        #expect(result.signals.map(\.symbol) == ["SPY"] && result.signals.first?.direction == .long)
        #expect(result.skipped == [.init(symbol: "QQQ", reason: "no gamma flip from the premarket data")])
    }

    @Test("alphatrader signals: the 0dte signal from the documents at the clock, published with --publish; a closed day is a failure")
    func command() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let client = try RedisClient(url: try RedisURL(parsing: redis.url))
        try Self.writeDocuments(client)
        let cli = AlphaTraderCLITests()
        let env = ["REDIS_URL": redis.url, "ORCHESTRATOR_CLOCK": "sim=2026-12-07T15:30:00Z;real=\(Date().timeIntervalSince1970);speed=1"]
        let shown = try cli.run(["signals", "--json"], environment: env)
        #expect(shown.status == 0, "\(shown.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        let signals = try #require(json["signals"] as? [[String: Any]])
        #expect(signals.map { "\($0["strategy"]!) \($0["symbol"]!) \($0["direction"]!)" } == ["0dte SPY long"])
        #expect(try client.command(["XLEN", Signal.stream]).integer == 0, "nothing written without --publish")
        let published = try cli.run(["signals", "--publish"], environment: env)
        #expect(published.status == 0 && published.stdout.contains("0dte  SPY  long"), "\(published.stdout)\(published.stderr)")
        #expect(try client.command(["XLEN", Signal.stream]).integer == 1)
        let latest = try #require(Signal.read(try client.command(["GET", Signal.latestKey("0dte")]).text))
        #expect(latest.symbol == "SPY" && latest.instrument.type == "option" && latest.instrument.expiry == "20261207")
        let christmas = try cli.run(
            ["signals"], environment: ["REDIS_URL": redis.url, "ORCHESTRATOR_CLOCK": "sim=2026-12-25T15:30:00Z;real=\(Date().timeIntervalSince1970);speed=1"])
        #expect(christmas.status == 1 && christmas.stderr.contains("not a trading day"), "\(christmas.stderr)")
    }

    @Test("a pre-trade decision goes on risk:decisions with the order, the check and the reason")
    func decisionStream() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let client = try RedisClient(url: try RedisURL(parsing: redis.url))
        let order = ProposedOrder(strategy: "0dte", instrument: .stock(symbol: "SPY"), action: .buy, quantity: 1_001, limitPrice: 600.02)
        let decision = RiskDecision(allowed: false, check: .orderSize, reason: "1001 shares in one order (limit 1000)")
        try TradingMirror.decision(order, decision, redis: client, now: 1_796_657_400)
        let entries = try client.command(["XRANGE", "risk:decisions", "-", "+"])
        guard case .array(let rows) = entries, case .array(let entry)? = rows.first, case .array(let fields)? = entry.last else {
            Issue.record("no entry: \(entries)")
            return
        }
        let texts = fields.compactMap(\.text)
        #expect(texts.contains("BUY 1001 SPY LMT 600.02") && texts.contains("order_size") && texts.contains("false"), "\(texts)")
        #expect(texts.contains("1001 shares in one order (limit 1000)"))
    }
}

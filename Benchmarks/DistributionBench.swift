import AlphaTrader
import AlphaTraderSimulators
import Foundation
import OrchestratorCore
import Redis
import Synchronization

/// Issue 18's figures: rendering a morning report for every channel, OAuth 1.0a signing, and
/// the outbox draining 1,000 deliveries due at once within each channel's published limits.
enum DistributionBench {
    /// A morning report of the size the rules write for the 12 symbols.
    static func report() -> MorningReport {
        var symbols: [MorningPicture.Symbol] = []
        for (i, name) in ["SPY", "QQQ", "IWM", "AAPL", "TSLA", "NVDA", "META", "AMZN", "MSFT", "GOOGL", "AMD", "VXX"].enumerated() {
            var x = MorningPicture.Symbol(symbol: name)
            let p = 100 + Double(i) * 50
            x.priorDate = "2026-12-04"; x.priorOpen = p; x.priorHigh = p * 1.01; x.priorLow = p * 0.99; x.priorClose = p * 1.002
            x.pivots = .init(high: p * 1.01, low: p * 0.99, close: p * 1.002)
            x.spot = p * 1.004; x.overnightPct = 0.2; x.gex = 1e9; x.flip = p * 0.995
            x.gammaStrikes = [
                .init(strike: (p / 5).rounded() * 5, share: 0.12, long: true), .init(strike: (p / 5).rounded() * 5 - 10, share: 0.08, long: false),
            ]
            x.putCallVolume = 0.9; x.unusualCallPremium = 2e6; x.unusualPutPremium = 1e6; x.sentiment = 0.1; x.articles = 30
            x.rsi = 55; x.macdHistogram = 0.3; x.bollingerUpper = p * 1.04; x.bollingerLower = p * 0.96; x.atr = p * 0.015
            x.vwap = p; x.vwapSD = p * 0.003
            symbols.append(x)
        }
        let picture = MorningPicture(
            date: "2026-12-09", symbols: symbols,
            events: [.init(series: "fomc", title: "FOMC rate decision, with economic projections", time: "14:00", source: "s")])
        return MorningReport(
            date: "2026-12-09", generatedBy: "rules", fallbackReason: "no OPENAI_API_KEY", analysis: MorningRules.analyze(picture), events: picture.events,
            unknownSchedules: [], usage: nil, generatedAt: 0)
    }

    /// Discord embeds, Telegram MarkdownV2 and the X thread of one morning report, per report.
    static func render() {
        let r = report()
        let rounds = Int(option("--rounds", default: "2000"))!
        var sizes = (0, 0, 0)
        var times: [Double] = []
        for _ in 0..<rounds {
            let t0 = now()
            let d = ReportMessages.discord(r), t = TelegramClient.split(ReportMessages.telegram(r)), x = XClient.thread(ReportMessages.x(r))
            times.append(Double(now() - t0) / 1e3)
            sizes = (d.count, t.count, x.count)
        }
        print(
            "{\"levels\":\(r.analysis.levels.count),\"discord_messages\":\(sizes.0),\"telegram_messages\":\(sizes.1),\"x_posts\":\(sizes.2),\"median_us\":\(median(times)),\"best_us\":\(times.min()!)}"
        )
    }

    /// One `Authorization: OAuth …` header for POST /2/tweets, per request.
    static func sign() {
        let signer = OAuth1(
            consumerKey: "xvz1evFS4wEEPTGEFPHBog", consumerSecret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
            token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", tokenSecret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE")
        let n = Int(option("--count", default: "100000"))!
        var bytes = 0
        let t0 = now()
        for i in 0..<n {
            bytes &+=
                signer.authorization(
                    method: "POST", url: "https://api.x.com/2/tweets", nonce: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgm\(i)", timestamp: 1_796_655_600 + i
                ).utf8.count
        }
        let us = Double(now() - t0) / 1e3 / Double(n)
        print("{\"requests\":\(n),\"us_per_request\":\(us),\"bytes\":\(bytes)}")
    }

    /// A clock the benchmark moves: the outbox's limits are in clock time.
    final class StepClock: WallClock, @unchecked Sendable {
        private let value: Mutex<Double>
        init(_ t: Double) { value = Mutex(t) }
        func now() -> Double { value.withLock { $0 } }
        func advance(_ s: Double) { value.withLock { $0 += s } }
    }

    /// 1,000 deliveries due at once (450 Discord, 450 Telegram, 100 X — a day's posts under X's
    /// limit: more would expire unsent after two hours, as the service means) drained by the service
    /// against the local stand-ins, the clock stepped 0.1 s at a time: when each channel's last
    /// one went, in clock time, against its limit-bound minimum; none twice.
    static func drain() {
        let redisURL = option("--redis", default: "redis://127.0.0.1:6379/0")
        let path = option("--outbox", default: "/tmp/outbox-bench.sqlite")
        for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) }
        let discord = try! DiscordSimulator(), telegram = try! TelegramSimulator(chatID: "424242"), x = try! XSimulator()
        defer { discord.stop(); telegram.stop(); x.stop() }
        let t0 = 1_796_655_600.0
        let clock = StepClock(t0)
        let url = try! RedisURL(parsing: redisURL)
        let context = AlphaContext(config: Config.defaults, clock: clock, redisURL: url, log: EventLog(module: "bench", clock: clock), environment: [:])
        let config = DistributionConfig(
            tiers: [
                .init(name: "premium", channels: [.discord], delay: 0, detail: .full), .init(name: "basic", channels: [.telegram], delay: 0, detail: .basic),
                .init(name: "free", channels: [.x], delay: 0, detail: .teaser),
            ], limits: DistributionConfig.publishedLimits)
        let box = try! Outbox(path: path)
        var deliveries: [Outbox.Delivery] = []
        for i in 0..<450 {
            // A signal's id is its strategy, symbol and second: one a second, all due by t0.
            let s = Signal(
                time: t0 - Double(i), strategy: "0dte", symbol: "SPY", direction: .long,
                instrument: .option(symbol: "SPY", expiry: "20261209", strike: Double(600 + i), right: .call),
                entry: 1.25, stop: 0.88, targets: [1.88], confidence: 0.7, features: [:], reason: "bench \(i)")
            let on: [DistributionConfig.Channel] = i < 100 ? [.discord, .telegram, .x] : [.discord, .telegram]
            deliveries += DistributionService.deliveries(s, config: config, on: on)
        }
        try! box.enqueue(deliveries, stream: "bench", lastID: "1-0", now: t0)
        let senders = DistributionService.Senders(
            discord: DiscordClient(webhook: discord.webhookURL),
            telegram: TelegramClient(baseURL: telegram.baseURL, token: telegram.token, chatID: telegram.chatID),
            x: XClient(baseURL: x.baseURL, signer: x.signer))
        senders.telegram?.spacing = 0
        let service = DistributionService(context: context, config: config, outbox: box, senders: senders, journal: nil)
        var done: [DistributionConfig.Channel: Double] = [:]
        let counts: [DistributionConfig.Channel: Int] = [.discord: 450, .telegram: 450, .x: 100]
        let real0 = now()
        while done.count < 3 && clock.now() - t0 < 2 * 86_400 {
            try! service.sendDue()
            let sent: [DistributionConfig.Channel: Int] = [.discord: discord.messages.count, .telegram: telegram.texts.count, .x: x.posts.count]
            for (c, n) in sent where n >= counts[c]! && done[c] == nil { done[c] = clock.now() - t0 }
            clock.advance(0.1)

        }
        let real = Double(now() - real0) / 1e9
        func minimum(_ c: DistributionConfig.Channel) -> Double {
            let l = DistributionConfig.publishedLimits[c]!
            return (Double(counts[c]!) / Double(l.messages) - 1) * l.per
        }
        let twice = discord.messages.count != 450 || telegram.texts.count != 450 || x.posts.count != 100 || Set(x.posts.map(\.text)).count != 100
        let rows = [DistributionConfig.Channel.discord, .telegram, .x].map {
            "{\"channel\":\"\($0.rawValue)\",\"deliveries\":\(counts[$0]!),\"clock_seconds\":\(done[$0] ?? -1),\"minimum_seconds\":\(minimum($0))}"
        }
        print("{\"channels\":[\(rows.joined(separator: ","))],\"none_twice\":\(!twice),\"real_seconds\":\(real)}")
    }
}

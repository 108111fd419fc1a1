import AlphaTrader
import AlphaTraderSimulators
import Foundation
import OrchestratorCore
import Redis
import TestSupport
import Testing

@Suite("Tiered distribution: the tiers, the durable outbox, delays on a simulated clock, and kill -9 mid-send", .serialized)
struct DistributionTests {
    static let t0 = 1_796_655_600.0  // 2026-12-07 10:00 New York
    static func signal(_ symbol: String = "SPY", at t: Double = t0) -> Signal {
        Signal(
            time: t, strategy: "0dte", symbol: symbol, direction: .long,
            instrument: .option(symbol: symbol, expiry: "20261207", strike: 662, right: .call), entry: 1.25, stop: 0.88, targets: [1.88],
            confidence: 0.72, features: [:], reason: "below the flip with VPIN 0.71: momentum")
    }
    static func config() throws -> DistributionConfig {
        try DistributionConfig.load(String(contentsOfFile: "\(repositoryRoot)/config/distribution.yaml", encoding: .utf8), file: "d.yaml").get()
    }

    @Test("the shipped tiers: premium at once with the trade, basic after 5 minutes without prices, free a teaser after 30")
    func tiers() throws {
        let deliveries = DistributionService.deliveries(Self.signal(), config: try Self.config(), on: [.discord, .telegram, .x])
        #expect(deliveries.map(\.key) == ["0dte-SPY-1796655600/premium/discord", "0dte-SPY-1796655600/basic/telegram", "0dte-SPY-1796655600/free/x"])
        #expect(deliveries.map { $0.dueAt - Self.t0 } == [0, 300, 1_800])
        #expect(deliveries[0].text.contains("SPY 20261207 C 662") && deliveries[0].text.contains("Entry 1.25, stop 0.88"))
        #expect(!deliveries[1].text.contains("1\\.25") && !deliveries[1].text.contains("662") && deliveries[1].text.contains("Confidence 72 %"))
        #expect(deliveries[2].text == "SPY long at 10:00:00 ET. Our subscribers had this 30 minutes ago, with the trade.")
        #expect(
            DistributionService.deliveries(Self.signal(), config: try Self.config(), on: [.telegram]).map(\.tier) == ["basic"],
            "channels that are off get nothing")
    }

    @Test(
        "a distribution file with errors is refused at its place",
        arguments: [
            ("tiers: { a: { channels: [discrod], delay: 0s, detail: full } }", "did you mean \"discord\""),
            ("tiers: { a: { channels: [x], delay: 0s, detail: full }, b: { channels: [x], delay: 1m, detail: teaser } }", "x is in tiers a and b"),
            ("tiers: { a: { channels: [x], detail: full } }", "tiers.a needs delay:"),
            ("tiers: { a: { channels: [x], delay: soon, detail: full } }", "tiers.a.delay"),
            ("tiers: { a: { channels: [x], delay: 1m, detail: everything } }", "tiers.a.detail"),
            ("limits: { x: { messages: 1, per: 1h } }", "needs tiers:"),
            ("tiers: { a: { channels: [x], delay: 1m, detail: full } }\nlimits: { x: { messages: 0, per: 1h } }", "limits.x.messages"),
        ])
    func badFiles(_ text: String, _ message: String) {
        guard case .failure(let problems) = DistributionConfig.load(text, file: "d.yaml") else {
            Issue.record("accepted: \(text)")
            return
        }
        #expect(problems.description.contains("d.yaml:") && problems.description.contains(message), "\(problems)")
    }

    @Test("the outbox: a signal read twice is queued once, the cursor moves with it, and an interrupted send is unknown (X's pending again)")
    func outbox() throws {
        let path = temporaryPath("sqlite")
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let box = try Outbox(path: path)
        let deliveries = DistributionService.deliveries(Self.signal(), config: try Self.config(), on: [.discord, .telegram, .x])
        #expect(try box.enqueue(deliveries, stream: "s", lastID: "1-0", now: Self.t0) == 3)
        #expect(try box.enqueue(deliveries, stream: "s", lastID: "2-0", now: Self.t0) == 0)
        #expect(try box.cursor("s") == "2-0")
        #expect(try box.due(.telegram, now: Self.t0 + 299, limit: 10).isEmpty && box.due(.telegram, now: Self.t0 + 300, limit: 10).count == 1)
        for d in deliveries where d.channel != .telegram { try box.markSending(d.key) }
        let unknown = try box.recoverInterrupted()
        #expect(unknown.map(\.channel) == [.discord])
        let states = Dictionary(uniqueKeysWithValues: try box.all().map { ($0.channel, $0.state) })
        #expect(states == [.discord: .unknown, .telegram: .pending, .x: .pending])
        for _ in 0..<Outbox.maximumAttempts {
            try box.markSending(deliveries[2].key)
            try box.markFailed(deliveries[2].key, error: "503", retryAt: Self.t0 + 60)
        }
        #expect(try box.all().first { $0.channel == .x }?.state == .failed, "given up after the attempts")
    }

    @Test("the service on a simulated clock: each tier goes when due and not a second before, within the channels' limits")
    func delays() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        let discord = try DiscordSimulator(), telegram = try TelegramSimulator(chatID: "4242"), x = try XSimulator()
        defer { discord.stop(); telegram.stop(); x.stop() }
        let clock = SetClock(Self.t0)
        let context = try TestTape.context(server.url, clock: clock, module: "distribution")
        let path = temporaryPath("sqlite")
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        var config = try Self.config()
        config.limits[.discord] = .init(messages: 2, per: 2)
        let service = DistributionService(
            context: context, config: config, outbox: try Outbox(path: path),
            senders: .init(
                discord: DiscordClient(webhook: discord.webhookURL),
                telegram: TelegramClient(baseURL: telegram.baseURL, token: telegram.token, chatID: telegram.chatID),
                x: XClient(baseURL: x.baseURL, signer: x.signer)),
            journal: nil)
        for (i, symbol) in ["SPY", "QQQ", "IWM"].enumerated() {
            _ = try redis.command(["XADD", "signals:stream", "*", "signal", Self.signal(symbol, at: Self.t0 + Double(i)).json])
        }
        clock.set(Self.t0 + 2)
        #expect(try service.ingest(redis) == 3)
        try service.sendDue()
        #expect(discord.messages.count == 2, "two within the limit of 2 per 2 s")
        #expect(telegram.texts.isEmpty && x.posts.isEmpty)
        clock.set(Self.t0 + 4.5)
        try service.sendDue()
        #expect(discord.messages.count == 3)
        clock.set(Self.t0 + 299)
        try service.sendDue()
        #expect(telegram.texts.isEmpty, "not a second early")
        clock.set(Self.t0 + 302)
        try service.sendDue()
        #expect(telegram.texts.count == 3 && x.posts.isEmpty)
        #expect(telegram.texts[0] == "SPY long — 0dte\nConfidence 72 %\nStrikes, entries and stops go to premium subscribers.")
        clock.set(Self.t0 + 1_802)
        try service.sendDue()
        #expect(x.posts.count == 3 && x.posts[0].text.hasPrefix("SPY long at 10:00:00 ET."))
        try service.stats(redis)
        let stats = try #require(try redis.command(["GET", "distribution:stats"]).text)
        #expect(stats.contains("\"tier\":\"premium\",\"delivered\":3") && stats.contains("\"sent\":9"))
    }

    @Test("kill -9 between a send and its acknowledgement: after the restart that message is reported, not posted twice, and the rest goes out")
    func killMidSend() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        let discord = try DiscordSimulator(), telegram = try TelegramSimulator(chatID: "4242")
        defer { discord.stop(); telegram.stop() }
        discord.then(.slow(seconds: 4))
        let dir = NSTemporaryDirectory() + "dist-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "tiers:\n  premium: { channels: [discord], delay: 0s, detail: full }\n  basic: { channels: [telegram], delay: 1s, detail: basic }\n"
            .write(toFile: dir + "/d.yaml", atomically: true, encoding: .utf8)
        _ = try redis.command(["XADD", "signals:stream", "*", "signal", Self.signal(at: Date().timeIntervalSince1970).json])
        func start() throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: AlphaTraderCLITests.binary)
            p.arguments = ["distribute", "--distribution", dir + "/d.yaml", "--outbox", dir + "/outbox.sqlite", "--journal", dir + "/none.sqlite"]
            p.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
            p.environment = ProcessInfo.processInfo.environment.merging([
                "REDIS_URL": server.url, "DISCORD_WEBHOOK_URL": discord.webhookURL, "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_CHAT_ID": telegram.chatID,
                "TELEGRAM_API_URL": telegram.baseURL, "X_API_KEY": "", "ALPHATRADER_LOCAL_CHANNELS": "",
            ]) { $1 }
            FileManager.default.createFile(atPath: dir + "/err.log", contents: nil)
            let err = FileHandle(forWritingAtPath: dir + "/err.log")!
            err.seekToEndOfFile()
            p.standardOutput = FileHandle.nullDevice
            p.standardError = err
            try p.run()
            return p
        }
        func wait(_ what: String, _ seconds: Double = 10, _ condition: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(seconds)
            while try !condition() {
                guard Date() < deadline else { throw TestFailure("\(what) did not happen within \(seconds) s") }
                usleep(20_000)
            }
        }
        let first = try start()
        try wait("the premium message reaching Discord") { discord.messages.count == 1 }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let second = try start()
        defer { if second.isRunning { second.terminate(); second.waitUntilExit() } }
        do { try wait("the basic tier on Telegram") { telegram.texts.count == 1 } } catch {
            Issue.record("\(error); the service said: \((try? String(contentsOfFile: dir + "/err.log", encoding: .utf8)) ?? "")")
            throw error
        }
        try wait("the warning on alerts:stream") { try redis.command(["XLEN", "alerts:stream"]).integer == 1 }
        second.terminate()
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)
        #expect(discord.messages.count == 1, "the message the killed process sent is not sent again")
        #expect(telegram.texts.count == 1)
        let box = try Outbox(path: dir + "/outbox.sqlite")
        #expect(try box.all().map(\.state) == [.unknown, .sent])
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

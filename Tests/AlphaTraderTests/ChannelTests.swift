import AlphaTrader
import AlphaTraderSimulators
import Foundation
import Redis
import Synchronization
import TestSupport
import Testing

/// A morning report long enough to need splitting on every channel.
func longReport() -> MorningReport {
    var a = MorningRules.analyze(MorningAnalysisTests.picture())
    for i in 0..<60 {
        a.levels.append(
            .init(
                symbol: ["SPY", "QQQ", "AAPL"][i % 3], price: 600 + Double(i), kind: .support,
                note: "level \(i): a shelf of resting bids (v1.2) — [test] #\(i)!"))
        a.risks.append("risk \(i): *stars*, _underscores_ and (parentheses) = reserved. 100% + 2-3 {braces} | pipes ~ tildes > arrows")
    }
    return MorningReport(
        date: "2026-12-07", generatedBy: "rules", fallbackReason: "no OPENAI_API_KEY", analysis: a,
        events: [.init(series: "cpi", title: "CPI (consumer prices)", time: "08:30", source: "s")], unknownSchedules: [], usage: nil, generatedAt: 0)
}

@Suite("Discord, Telegram and X clients against local servers that refuse what the services refuse", .serialized)
struct ChannelTests {
    func fast(_ caller: HTTPCaller) {
        caller.policy.baseDelay = 0.01
        caller.policy.maximumDelay = 0.05
    }

    @Test("Discord: a long report goes as messages within every limit, all accepted; a 429's retry_after is waited out")
    func discordReport() throws {
        let server = try DiscordSimulator()
        defer { server.stop() }
        let client = DiscordClient(webhook: server.webhookURL)
        fast(client.caller)
        let messages = ReportMessages.discord(longReport())
        #expect(messages.count >= 2, "the report is split over messages")
        #expect(messages.allSatisfy { $0.problems().isEmpty && $0.embeds.count <= 10 })
        server.then(.rateLimited(seconds: 0.3))
        let started = Date()
        let ids = try messages.map { try client.send($0) }
        #expect(Date().timeIntervalSince(started) >= 0.3)
        #expect(ids.count == messages.count && Set(ids).count == ids.count && server.messages.count == messages.count)
        let first = try #require(server.messages.first?["embeds"] as? [[String: Any]])
        #expect(first[0]["title"] as? String == "Morning analysis — 2026-12-07")
        #expect((server.messages.first?["allowed_mentions"] as? [String: Any])?["parse"] as? [String] == [], "no @everyone from a report")
    }

    @Test("Discord: over the limits is refused before sending, and the server refuses it too with code 50035 and the field's path; a dead webhook says so")
    func discordLimits() throws {
        let server = try DiscordSimulator()
        defer { server.stop() }
        let client = DiscordClient(webhook: server.webhookURL)
        let big = DiscordMessage(embeds: [.init(title: "t", description: String(repeating: "x", count: 4_097))])
        #expect(big.problems() == ["embeds.0.description: 4097 characters (at most 4096)"])
        #expect { _ = try client.send(big) } throws: { ($0 as! HTTPCaller.Failure).kind == .budget }
        #expect(server.calls == 0)
        // The server on its own, as Discord would answer the same body.
        let raw = HTTPCaller()
        let reply = try raw.call(
            HTTPCaller.Request(
                method: "POST", url: server.webhookURL + "?wait=true", headers: [("Content-Type", "application/json")], body: Data(big.json.utf8), label: "raw")
        ) { r in HTTPCaller.Decision.done(r) }
        #expect(reply.status == 400)
        guard case .fail(_, let reason) = DiscordClient.decide(reply) else {
            Issue.record("accepted")
            return
        }
        #expect(reason == "400 Invalid Form Body (code 50035): embeds.0.description: Must be 4096 or fewer in length.")
        let gone = DiscordClient(webhook: server.webhookURL.replacingOccurrences(of: server.token, with: "deleted-token"))
        #expect {
            _ = try gone.send(DiscordMessage(content: "hello", embeds: []))
        } throws: { e in
            let f = e as! HTTPCaller.Failure
            return f.kind == .refused && f.reason.contains("404 Unknown Webhook") && f.reason.contains("disabled") && !f.description.contains("deleted-token")
        }
    }

    @Test("MarkdownV2: escaped text reads back as written; what Telegram refuses is refused with Telegram's words")
    func markdown() {
        for s in ["SPY 662.00 (+0.61 %) — R1 = 662.5!", "a_b*c[d]e(f)g~h`i>j#k+l-m=n|o{p}q.r!s\\t", "日本語 👍🏽 plain"] {
            #expect(MarkdownV2.parse(TelegramClient.escape(s)) == .success(s), "\(s)")
        }
        #expect(MarkdownV2.parse("*bold* and _italic_ and ||spoiler|| and `code.`") == .success("bold and italic and spoiler and code."))
        #expect(MarkdownV2.parse("Price 662.00") == .failure(.init(message: "Character '.' is reserved and must be escaped with the preceding '\\'")))
        #expect(MarkdownV2.parse("*never closed") == .failure(.init(message: "Can't find end of Bold entity at byte offset 0")))
        #expect(MarkdownV2.parse("a [link](https://x.test/a) b") == .success("a link b"))
    }

    @Test(
        "Telegram: a long report is split at paragraphs under 4,096, each part accepted as MarkdownV2; 429 waits its retry_after; a bad token is named, never shown"
    )
    func telegram() throws {
        let server = try TelegramSimulator(chatID: "424242")
        defer { server.stop() }
        let client = TelegramClient(baseURL: server.baseURL, token: server.token, chatID: server.chatID)
        fast(client.caller)
        let text = ReportMessages.telegram(longReport())
        #expect(text.count > 4_096)
        server.then(.rateLimited(seconds: 1))
        let started = Date()
        let ids = try client.send(markdown: text)
        #expect(Date().timeIntervalSince(started) >= 1)
        #expect(ids.count >= 2 && server.texts.count == ids.count)
        #expect(TelegramClient.split(text).allSatisfy { $0.count <= 4_096 })
        #expect(server.texts[0].hasPrefix("Morning analysis — 2026-12-07\nGenerated without AI"))
        #expect(server.texts.joined(separator: "\n\n").contains("risk 59: *stars*, _underscores_ and (parentheses) = reserved."))
        let wrong = TelegramClient(baseURL: server.baseURL, token: "7000000001:AAwrong", chatID: server.chatID)
        #expect {
            _ = try wrong.send(markdown: "hi")
        } throws: { e in
            let f = e as! HTTPCaller.Failure
            return f.kind == .refused && f.reason.contains("TELEGRAM_BOT_TOKEN") && !f.description.contains("AAwrong")
        }
        #expect {
            _ = try client.send(markdown: "Price 662.00")
        } throws: { ($0 as! HTTPCaller.Failure).reason.contains("can't parse entities: Character '.' is reserved") }
    }

    @Test("Telegram sendPhoto: a PNG chart as multipart with a MarkdownV2 caption, accepted; not a PNG or a caption over 1,024 refused before sending")
    func telegramPhoto() throws {
        let server = try TelegramSimulator(chatID: "424242")
        defer { server.stop() }
        let client = TelegramClient(baseURL: server.baseURL, token: server.token, chatID: server.chatID)
        let png = try #require(Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="))
        let id = try client.send(
            photo: png, caption: "*" + TelegramClient.escape("Equity — 2026-12-07") + "*\n" + TelegramClient.escape("P&L +409.70 (1.2 %)."))
        #expect(!id.isEmpty)
        #expect(server.photos.count == 1 && server.photos[0].bytes == png.count && server.photos[0].caption == "Equity — 2026-12-07\nP&L +409.70 (1.2 %).")
        #expect { _ = try client.send(photo: Data("GIF89a".utf8), caption: "x") } throws: { ($0 as! HTTPCaller.Failure).reason == "the chart is not a PNG" }
        #expect { _ = try client.send(photo: png, caption: String(repeating: "a", count: 1_025)) } throws: { ($0 as! HTTPCaller.Failure).kind == .budget }
        #expect(server.calls == 1)
    }

    @Test("Telegram paces a group under 20 messages a minute: the 21st within the minute waits")
    func telegramGroupPacing() throws {
        let server = try TelegramSimulator(chatID: "-100777")
        defer { server.stop() }
        let client = TelegramClient(baseURL: server.baseURL, token: server.token, chatID: server.chatID)
        #expect(client.spacing >= 3, "a group gets at most one message every 3 s from one process")
    }

    @Test(
        "X: a long text becomes a thread of replies within 280 weighted characters, signed and verified; a duplicate counts as posted; a bad secret is refused")
    func x() throws {
        let server = try XSimulator()
        defer { server.stop() }
        let client = XClient(baseURL: server.baseURL, signer: server.signer)
        fast(client.caller)
        let text = ReportMessages.x(longReport()) + " " + String(repeating: "Dealers long gamma damp the moves; ", count: 12)
        server.then(.rateLimited(seconds: 1))
        let ids = try client.post(text)
        #expect(ids.count >= 2 && ids.allSatisfy { $0 != nil })
        let posts = server.posts
        #expect(posts.count == ids.count && posts.allSatisfy { TweetLength.weighted($0.text) <= 280 })
        #expect(posts[0].replyTo == nil && zip(posts.dropFirst(), posts).allSatisfy { $0.replyTo == $1.id }, "each post answers the one before")
        #expect(posts.last!.text.hasSuffix(" \(posts.count)/\(posts.count)"))
        let single = try client.post("gm — SPY at 662.00")
        #expect(single.count == 1 && single[0] != nil && single[0] == server.posts.last?.id)
        #expect(try client.post("gm — SPY at 662.00") == [nil], "the same text again: X says duplicate, it was posted")
        var bad = server.signer
        bad.consumerSecret = "wrong"
        #expect {
            _ = try XClient(baseURL: server.baseURL, signer: bad).post("hello")
        } throws: { e in
            let f = e as! HTTPCaller.Failure
            return f.kind == .refused && f.reason.contains("401 Could not authenticate you") && !f.description.contains("wrong")
        }
    }
}

@Suite("The alert job: a failed run to the operator's channels, a storm as one summary", .serialized)
struct AlertTests {
    static func alert(_ i: Int, log: [String] = []) -> Alert {
        Alert(
            id: "job\(i)#\(i)", job: "job\(i)", runID: String(i), state: "failed", exitCode: "1", reason: "exit 1: `weird` *chars* (v1.2)!",
            logTail: log, at: 1_796_000_000)
    }

    @Test("one alert's details and a storm's summary stay within Discord's limits and parse as Telegram's MarkdownV2")
    func messages() {
        let one = [
            Self.alert(1, log: (1...15).map { "line \($0) with `backticks` and \\ backslashes and a very long tail " + String(repeating: "x", count: 200) })
        ]
        #expect(Alert.discord(one).problems().isEmpty)
        #expect(Alert.discord(one).embeds[0].title == "Failed: job1 run #1 failed (exit 1)")
        #expect(throws: Never.self) { try MarkdownV2.parse(Alert.telegram(one)).get() }
        let storm = (1...40).map { Self.alert($0) }
        #expect(Alert.discord(storm).problems().isEmpty && Alert.discord(storm).embeds[0].title == "40 runs failed")
        #expect(Alert.discord(storm).embeds[0].fields.count == 25)
        #expect(throws: Never.self) { try MarkdownV2.parse(Alert.telegram(storm)).get() }
    }

    @Test("post --alert: the failed run from ORCHESTRATOR_FAILED_* on alerts:stream and the channels; six at once go as at most two messages, none lost")
    func storm() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let log = NSTemporaryDirectory() + "alert-\(UUID().uuidString).log"
        try (1...30).map { "2026-12-07T12:00:\($0)Z premarket: line \($0)" }.joined(separator: "\n").write(toFile: log, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: log) }
        func env(_ i: Int) -> [String: String] {
            [
                "REDIS_URL": server.url, "ALPHATRADER_LOCAL_CHANNELS": "1", "ORCHESTRATOR_FAILED_JOB": "premarket-data",
                "ORCHESTRATOR_FAILED_RUN_ID": String(i),
                "ORCHESTRATOR_FAILED_STATE": "failed", "ORCHESTRATOR_FAILED_EXIT_CODE": "1", "ORCHESTRATOR_FAILED_REASON": "exit 1",
                "ORCHESTRATOR_FAILED_LOG": log,
            ]
        }
        let cli = AlphaTraderCLITests()
        // All six started before any is waited for: a storm.
        var running: [(Process, Pipe)] = []
        for i in 1...6 {
            let p = Process(), out = Pipe()
            p.executableURL = URL(fileURLWithPath: AlphaTraderCLITests.binary)
            p.arguments = ["post", "--alert", "--window", "5"]
            p.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
            p.environment = ProcessInfo.processInfo.environment.merging(env(i)) { $1 }
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            running.append((p, out))
        }
        let outputs = Mutex<[String]>([])
        for (p, out) in running {
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            outputs.withLock { $0.append("status \(p.terminationStatus)\n" + text) }
        }
        let all = outputs.withLock { $0 }
        #expect(all.allSatisfy { $0.hasPrefix("status 0") }, "\(all)")
        let posted = all.flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("discord: posted") }
        #expect((1...2).contains(posted.count), "\(posted)")
        let covered = posted.reduce(0) { n, line in
            if line.contains("the alert for") { return n + 1 }
            return n + (Int(line.split(separator: " ").first { Int($0) != nil } ?? "0") ?? 0)
        }
        #expect(covered == 6, "every failure went out once: \(posted)")
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        #expect(try redis.command(["XLEN", "alerts:stream"]).integer == 6)
        #expect(try redis.command(["LLEN", "alerts:outbox"]).integer == 0)
        let bare = try cli.run(["post", "--alert"], environment: ["REDIS_URL": server.url, "ORCHESTRATOR_FAILED_JOB": ""])
        #expect(bare.status == 2 && bare.stderr.contains("ORCHESTRATOR_FAILED_JOB is not set"))
    }
}

import AlphaTrader
import AlphaTraderSimulators
import ArgumentParser
import Foundation
import OrchestratorCore
import Redis

struct PostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "post",
        abstract: "Publishes a report to Discord, Telegram and X, one message per channel in its own format.",
        discussion: """
            --report morning reads analysis:morning (written by morning-analysis for the session) and
            posts it: to Discord as embeds within Discord's limits (split over messages when long),
            to Telegram as MarkdownV2 (escaped as the Bot API requires, split at 4,096 characters),
            to X as a post or a thread of posts of at most 280 weighted characters. --report evening
            reads var/reports/DATE/evening.json (written by evening-report) and posts its summary: a
            Discord embed, the equity chart (evening.png) with a MarkdownV2 caption on Telegram (the
            caption alone when there is no PNG), one post on X.

            Channels: Discord when endpoints.discord (DISCORD_WEBHOOK_URL) is set; Telegram when
            TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are; X when X_API_KEY, X_API_SECRET,
            X_ACCESS_TOKEN and X_ACCESS_SECRET are (OAuth 1.0a user context: an app-only bearer
            token cannot post). An unset channel is off and the output says so. What each channel
            accepted is recorded in Redis (posts:REPORT:DATE), so a retry posts only to the
            channels that failed. Exit 1 names each channel that failed.

            ALPHATRADER_LOCAL_CHANNELS=1 starts local stand-ins of the three services on
            127.0.0.1 and posts to them: the whole posting path with no account.

            Examples:
              alphatrader post --report morning
              alphatrader post --report evening --date 2026-12-07
              ALPHATRADER_LOCAL_CHANNELS=1 alphatrader post --report morning --json
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "The report: morning or evening.") var report: String?
    @Option(help: "With --report evening: where the reports are (DATE/evening.json).") var reports = "var/reports"
    @Flag(help: "Post the failed run of ORCHESTRATOR_FAILED_* (the alert job) to the operator's channels, Discord and Telegram.") var alert = false
    @Option(help: "With --alert: market seconds in which at most one alert message goes out; the rest wait and go as one summary.") var window: Double = 60
    @Option(help: "The session (YYYY-MM-DD); default: the clock's trading day.") var date: String?
    @Option(help: "Only these channels (comma-separated: discord, telegram, x).") var channels: String?
    @Flag(help: "Print the outcome per channel as JSON.") var json = false

    enum Outcome {
        case posted([String])
        case already(String)
        case skipped(String)
        case failed(String)
    }

    func run() throws {
        let context = try loadContext(common, module: "post")
        guard (report == nil) != !alert else { throw invalidInput("give --report morning|evening or --alert") }
        if alert { return try postAlert(context) }
        let report = self.report!
        guard report == "morning" || report == "evening" else { throw invalidInput("--report \(report): expected morning or evening") }
        let wanted = try chosenChannels()
        let session = try tapeSession(context, date: date)
        let redis: RedisClient
        do { redis = try RedisClient(url: context.redisURL, timeout: 5) } catch { throw failure("redis: \(error.description)") }
        let send: (String, ChannelSetup) -> Outcome
        if report == "morning" {
            let text = try? redis.command(["GET", MorningReport.key]).text
            guard let morning = MorningReport.read(text) else {
                throw failure("\(MorningReport.key) is \(text == nil ? "not in Redis" : "not a morning report"): run morning-analysis first")
            }
            guard morning.date == session.date.description else {
                throw failure("\(MorningReport.key) is of \(morning.date), not \(session.date): morning-analysis has not run for this session")
            }
            send = { post(morning, to: $0, setup: $1) }
        } else {
            let path = "\(reports)/\(session.date)/evening.json"
            guard let data = FileManager.default.contents(atPath: path) else { throw failure("\(path): no evening report (run evening-report first)") }
            guard let summary = EveningSummary.read(data) else { throw failure("\(path): not an evening report") }
            let png = FileManager.default.contents(atPath: "\(reports)/\(session.date)/evening.png")
            send = { post(summary, png: png, to: $0, setup: $1) }
        }
        let local = try LocalChannels.startIfAsked(context.environment)
        defer { local?.stop() }
        // What the local stand-ins got is kept apart: it must not stop the real post.
        let setup = ChannelSetup(context, local: local)
        let ledger = (local == nil ? "posts:" : "posts:local:") + "\(report):\(session.date)"
        var outcomes: [(String, Outcome)] = []
        for name in ["discord", "telegram", "x"] where wanted.contains(name) {
            if let done = try? redis.command(["HGET", ledger, name]).text {
                outcomes.append((name, .already(done)))
                continue
            }
            let outcome = send(name, setup)
            if case .posted(let ids) = outcome {
                let record = "{\"ids\":[\(ids.map { "\"\($0)\"" }.joined(separator: ","))],\"at\":\(Int(context.clock.now()))}"
                _ = try? redis.pipeline([["HSET", ledger, name, record], ["EXPIRE", ledger, String(8 * 86_400)]])
            }
            outcomes.append((name, outcome))
        }
        show(outcomes, context: context)
        let failed = outcomes.compactMap { if case .failed = $0.1 { $0.0 } else { nil } }
        if !failed.isEmpty { throw failure("could not post to \(failed.joined(separator: ", "))") }
    }

    /// The alert job: the failed run on `alerts:stream`, then to Discord and Telegram — at most
    /// one message a window: an alert that finds the window taken waits for it to end and goes
    /// with every other waiting one as a summary (or finds it was sent with another's).
    func postAlert(_ context: AlphaContext) throws {
        guard let alert = Alert.fromEnvironment(context.environment, at: context.clock.now()) else {
            throw invalidInput(
                "post --alert reads the failed run from ORCHESTRATOR_FAILED_* (set by the orchestrator for on_failure jobs): ORCHESTRATOR_FAILED_JOB is not set"
            )
        }
        guard window > 0 && window <= 86_400 else { throw invalidInput("--window \(window): expected 0 < seconds ≤ 86400") }
        let redis: RedisClient
        do { redis = try RedisClient(url: context.redisURL, timeout: 5) } catch { throw failure("redis: \(error.description)") }
        let windowMs = String(max(1, Int((window * 1000 / context.speed).rounded())))
        do {
            try TradingMirror.alert(
                severity: "error", source: "orchestrator", text: "\(alert.headline): \(alert.reason)", redis: redis, now: context.clock.now())
            _ = try redis.command(["RPUSH", "alerts:outbox", alert.json])
        } catch { throw failure("redis: \(error)") }
        let local = try LocalChannels.startIfAsked(context.environment)
        defer { local?.stop() }
        let started = Date()
        while Date().timeIntervalSince(started) < 60 {
            let taken: Bool
            do { taken = try redis.command(["SET", "alerts:window", alert.id, "NX", "PX", windowMs]).text == "OK" } catch {
                throw failure("redis: \(error.description)")
            }
            if taken {
                let replies = try? redis.pipeline([["MULTI"], ["LRANGE", "alerts:outbox", "0", "-1"], ["DEL", "alerts:outbox"], ["EXEC"]])
                guard case .array(let results)? = replies?.last, case .array(let items)? = results.first else {
                    throw failure("redis: the outbox could not be read")
                }
                var seen = Set<String>()
                let batch = items.compactMap { $0.text.flatMap(Alert.read) }.filter { seen.insert($0.id).inserted }
                guard !batch.isEmpty else { return }
                return try sendAlerts(batch, context: context, local: local, redis: redis)
            }
            var queued: [String] = []
            if case .array(let items)? = try? redis.command(["LRANGE", "alerts:outbox", "0", "-1"]) {
                queued = items.compactMap { $0.text.flatMap(Alert.read)?.id }
            }
            if !queued.contains(alert.id) {
                print("\(alert.job) #\(alert.runID): sent with another alert's summary")
                return
            }
            let wait = (try? redis.command(["PTTL", "alerts:window"]).integer) ?? 5
            usleep(UInt32(max(2, min(wait, 5_000)) * 1_000))
        }
        throw failure("the alert window stayed taken for a minute; the alert is queued in alerts:outbox for the next one")
    }

    func sendAlerts(_ batch: [Alert], context: AlphaContext, local: LocalChannels?, redis: RedisClient) throws {
        let setup = ChannelSetup(context, local: local)
        var failed: [String] = []
        let what = batch.count == 1 ? "the alert for \(batch[0].job) #\(batch[0].runID)" : "a summary of \(batch.count) failed runs"
        if let client = setup.discord {
            do {
                _ = try client.send(Alert.discord(batch))
                print("discord: posted \(what)")
            } catch {
                failed.append("discord")
                print("discord: FAILED — \(error.description)")
            }
        } else {
            print("discord: skipped — \(setup.off["discord"] ?? "off")")
        }
        if let client = setup.telegram {
            do {
                _ = try client.send(markdown: Alert.telegram(batch))
                print("telegram: posted \(what)")
            } catch {
                failed.append("telegram")
                print("telegram: FAILED — \(error.description)")
            }
        } else {
            print("telegram: skipped — \(setup.off["telegram"] ?? "off")")
        }
        guard failed.isEmpty else {
            // Back in the outbox for the retry (one entry per run: a retry's own is not doubled).
            _ = try? redis.pipeline([["RPUSH", "alerts:outbox"] + batch.map(\.json)])
            throw failure("could not post \(what) to \(failed.joined(separator: ", "))")
        }
    }

    func chosenChannels() throws -> Set<String> {
        let all: Set<String> = ["discord", "telegram", "x"]
        guard let channels else { return all }
        let chosen = Set(channels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        if let unknown = chosen.subtracting(all).first { throw invalidInput("--channels: \(unknown) is not a channel (discord, telegram, x)") }
        return chosen
    }

    func post(_ r: MorningReport, to channel: String, setup: ChannelSetup) -> Outcome {
        do {
            switch channel {
            case "discord":
                guard let client = setup.discord else { return .skipped(setup.off["discord"] ?? "off") }
                return .posted(try ReportMessages.discord(r).map { try client.send($0) })
            case "telegram":
                guard let client = setup.telegram else { return .skipped(setup.off["telegram"] ?? "off") }
                return .posted(try client.send(markdown: ReportMessages.telegram(r)))
            default:
                guard let client = setup.x else { return .skipped(setup.off["x"] ?? "off") }
                return .posted(try client.post(ReportMessages.x(r)).map { $0 ?? "duplicate: already on X" })
            }
        } catch {
            return .failed((error as? HTTPCaller.Failure)?.description ?? "\(error)")
        }
    }

    func post(_ s: EveningSummary, png: Data?, to channel: String, setup: ChannelSetup) -> Outcome {
        do {
            switch channel {
            case "discord":
                guard let client = setup.discord else { return .skipped(setup.off["discord"] ?? "off") }
                return .posted([try client.send(EveningMessages.discord(s))])
            case "telegram":
                guard let client = setup.telegram else { return .skipped(setup.off["telegram"] ?? "off") }
                if let png { return .posted([try client.send(photo: png, caption: EveningMessages.telegram(s))]) }
                return .posted(try client.send(markdown: EveningMessages.telegram(s)))
            default:
                guard let client = setup.x else { return .skipped(setup.off["x"] ?? "off") }
                return .posted(try client.post(EveningMessages.x(s)).map { $0 ?? "duplicate: already on X" })
            }
        } catch {
            return .failed(error.description)
        }
    }

    func show(_ outcomes: [(String, Outcome)], context: AlphaContext) {
        for (name, o) in outcomes {
            switch o {
            case .posted(let ids): context.log("posted", ["channel": name, "messages": String(ids.count)])
            case .already: context.log("already posted", ["channel": name])
            case .skipped(let why): context.log("skipped", ["channel": name, "why": why])
            case .failed(let why): context.log("failed", ["channel": name, "error": why])
            }
        }
        if json {
            let items = outcomes.map { name, o -> String in
                switch o {
                case .posted(let ids): return "{\"channel\":\"\(name)\",\"outcome\":\"posted\",\"messages\":\(ids.count)}"
                case .already(let at): return "{\"channel\":\"\(name)\",\"outcome\":\"already posted\",\"record\":\(at)}"
                case .skipped(let why): return "{\"channel\":\"\(name)\",\"outcome\":\"skipped\",\"why\":\(quoted(why))}"
                case .failed(let why): return "{\"channel\":\"\(name)\",\"outcome\":\"failed\",\"error\":\(quoted(why))}"
                }
            }
            print("[" + items.joined(separator: ",") + "]")
            return
        }
        for (name, o) in outcomes {
            switch o {
            case .posted(let ids): print("\(name): posted (\(ids.count) message\(ids.count == 1 ? "" : "s"))")
            case .already: print("\(name): already posted for this session; not posted again")
            case .skipped(let why): print("\(name): skipped — \(why)")
            case .failed(let why): print("\(name): FAILED — \(why)")
            }
        }
    }
}

/// The three channels' local stand-ins (`ALPHATRADER_LOCAL_CHANNELS=1`), with the credentials
/// they accept.
final class LocalChannels {
    let discord: DiscordSimulator, telegram: TelegramSimulator, x: XSimulator

    static func startIfAsked(_ environment: [String: String]) throws -> LocalChannels? {
        guard environment["ALPHATRADER_LOCAL_CHANNELS"] == "1" else { return nil }
        do { return try LocalChannels() } catch { throw failure("cannot start the local channel stand-ins: \(error)") }
    }

    init() throws {
        discord = try DiscordSimulator()
        // A private chat: a group's 20 messages a minute would be real minutes under run-day's
        // accelerated clock.
        telegram = try TelegramSimulator(chatID: "424242")
        x = try XSimulator()
    }

    var discordWebhook: String { discord.webhookURL }
    var telegramURL: String { telegram.baseURL }
    var xURL: String { x.baseURL }
    var environment: [String: String] {
        [
            "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_CHAT_ID": telegram.chatID, "X_API_KEY": x.consumerKey, "X_API_SECRET": x.consumerSecret,
            "X_ACCESS_TOKEN": x.token, "X_ACCESS_SECRET": x.tokenSecret,
        ]
    }

    func stop() {
        discord.stop()
        telegram.stop()
        x.stop()
    }
}

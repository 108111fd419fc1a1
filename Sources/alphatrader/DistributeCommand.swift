import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore
import Redis

/// The channels' clients from the configuration and the environment (or the local stand-ins),
/// and why each one that is off is off.
struct ChannelSetup {
    var discord: DiscordClient?
    var telegram: TelegramClient?
    var x: XClient?
    var off: [String: String] = [:]

    init(_ context: AlphaContext, local: LocalChannels?) {
        let env = local?.environment.merging(context.environment) { local, _ in local } ?? context.environment
        func value(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
        if let webhook = local?.discordWebhook ?? (context.config.endpoints.discord.isEmpty ? nil : context.config.endpoints.discord) {
            discord = DiscordClient(webhook: webhook, log: context.log)
        } else {
            off["discord"] = "endpoints.discord (DISCORD_WEBHOOK_URL) is not set"
        }
        if let token = value("TELEGRAM_BOT_TOKEN"), let chat = value("TELEGRAM_CHAT_ID") {
            telegram = TelegramClient(baseURL: local?.telegramURL ?? context.config.endpoints.telegram, token: token, chatID: chat, log: context.log)
        } else {
            off["telegram"] = "TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are not both set"
        }
        if let key = value("X_API_KEY"), let secret = value("X_API_SECRET"), let token = value("X_ACCESS_TOKEN"), let tokenSecret = value("X_ACCESS_SECRET") {
            x = XClient(
                baseURL: local?.xURL ?? context.config.endpoints.x,
                signer: OAuth1(consumerKey: key, consumerSecret: secret, token: token, tokenSecret: tokenSecret),
                log: context.log)
        } else {
            off["x"] = "X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_SECRET are not all set (an app-only bearer token cannot post)"
        }
    }
}

struct Distribute: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distribute",
        abstract: "The distribution service: live signals to subscribers by tier, each with its delay and detail, through a durable outbox.",
        discussion: """
            Reads signals:stream; for each signal, each tier of config/distribution.yaml and each of
            the tier's channels that is on, writes a delivery to the outbox (var/distribution.sqlite)
            due at the signal's time plus the tier's delay, then sends what is due — each channel
            under its rate limit. The stream's cursor is kept with the deliveries, so a restart
            resumes where it stopped; a delivery left mid-send by a killed process is reported and
            not sent again (X's, which X refuses to duplicate, is). Writes module:heartbeat:distribution
            and distribution:stats (per tier: signals delivered, traded, closed, won, realized P&L
            from the journal). Channels as for post; ALPHATRADER_LOCAL_CHANNELS=1 sends to local
            stand-ins. Runs until SIGTERM.

            Examples:
              alphatrader distribute
              alphatrader distribute --check
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "The tiers and limits.") var distribution = "config/distribution.yaml"
    @Option(help: "The outbox (SQLite).") var outbox = "var/distribution.sqlite"
    @Option(help: "The trade journal, read for the signals' outcomes.") var journal = "var/trading.sqlite"
    @Flag(help: "Check the distribution file and exit.") var check = false

    func run() throws {
        let context = try loadContext(common, module: "distribution")
        guard let text = try? String(contentsOfFile: distribution, encoding: .utf8) else { throw invalidInput("\(distribution): cannot be read") }
        let config: DistributionConfig
        switch DistributionConfig.load(text, file: distribution) {
        case .success(let c): config = c
        case .failure(let problems):
            FileHandle.standardError.write(Data((problems.description + "\n").utf8))
            throw ExitCode(2)
        }
        if check {
            for t in config.tiers {
                print(
                    "\(t.name): \(t.channels.map(\.rawValue).joined(separator: ", ")) after \(TimeSpan(milliseconds: Int64(t.delay * 1000))), \(t.detail.rawValue)"
                )
            }
            return
        }
        StopSignal.install()
        let box: Outbox
        do { box = try Outbox(path: outbox) } catch { throw failure(error.description) }
        let local = try LocalChannels.startIfAsked(context.environment)
        defer { local?.stop() }
        let setup = ChannelSetup(context, local: local)
        for (name, why) in setup.off.sorted(by: { $0.key < $1.key }) { context.log("channel off", ["channel": name, "why": why]) }
        let trades: Journal? = FileManager.default.fileExists(atPath: journal) ? try? Journal(readingOnly: journal) : nil
        let service = DistributionService(
            context: context, config: config, outbox: box, senders: .init(discord: setup.discord, telegram: setup.telegram, x: setup.x), journal: trades)
        var redis: RedisClient?
        var heartbeat = Heartbeat(context: context, key: "module:heartbeat:distribution", enabled: true)
        var lastStats = -Double.infinity
        var recovered = false
        context.log(
            "started", ["tiers": config.tiers.map(\.name).joined(separator: ","), "channels": service.senders.on.map(\.rawValue).joined(separator: ",")])
        while !StopSignal.requested {
            do {
                if redis == nil { redis = try RedisClient(url: context.redisURL, timeout: 5) }
                if !recovered {
                    try service.recover(redis!)
                    recovered = true
                }
                let read = try service.ingest(redis!)
                try service.sendDue()
                let now = context.clock.now()
                if now - lastStats >= 60 {
                    try service.stats(redis!)
                    lastStats = now
                }
                let r = service.report
                heartbeat.beatIfDue(["signals": String(r.signals), "sent": String(r.sent), "failed": String(r.failed)])
                // A fifth of a market second, but at least 20 ms of real time: at 600x a read of
                // the stream every 12 market seconds, not thousands a real second.
                if read == 0 { usleep(UInt32(max(20_000, 200_000 / context.speed))) }
            } catch {
                context.log("warning: a round failed; trying again", ["error": "\(error)"])
                redis = nil
                usleep(200_000)
            }
        }
        if let redis { try? service.stats(redis) }
        let r = service.report
        context.log(
            "stopping",
            ["signals": String(r.signals), "queued": String(r.queued), "sent": String(r.sent), "failed": String(r.failed), "unknown": String(r.unknown)])
    }
}

import Foundation
import OrchestratorCore
public import Redis

/// The `distribution` service (`alphatrader distribute`): reads `signals:stream`, queues each
/// (signal, tier, channel) in the durable outbox with its due time — the signal's time plus the
/// tier's delay — before anything is sent, and sends what is due, each channel under its rate
/// limit. A restart resumes at the stream cursor the outbox keeps; see `Outbox` for why nothing
/// is sent twice. Each delivered signal's outcome (from the journal) goes to
/// `distribution:stats`.
public final class DistributionService {
    /// The channels' clients; nil is a channel that is off.
    public struct Senders {
        public var discord: DiscordClient?
        public var telegram: TelegramClient?
        public var x: XClient?
        public init(discord: DiscordClient? = nil, telegram: TelegramClient? = nil, x: XClient? = nil) {
            self.discord = discord; self.telegram = telegram; self.x = x
        }
        public var on: [DistributionConfig.Channel] {
            [discord == nil ? nil : .discord, telegram == nil ? nil : .telegram, x == nil ? nil : DistributionConfig.Channel.x].compactMap { $0 }
        }
    }

    public struct Report: Sendable, Equatable {
        public var signals = 0, queued = 0, sent = 0, failed = 0, unknown = 0
    }

    public static let stream = "signals:stream"
    let context: AlphaContext
    let config: DistributionConfig
    let outbox: Outbox
    public let senders: Senders
    let journal: Journal?
    /// Send times per channel within its limit's window (market seconds).
    private var sentAt: [DistributionConfig.Channel: [Double]] = [:]
    /// When stale deliveries were last expired (a write transaction: once a market minute, not
    /// on every loop of the service).
    private var expiredAt = -Double.infinity
    public private(set) var report = Report()

    public init(context: AlphaContext, config: DistributionConfig, outbox: Outbox, senders: Senders, journal: Journal?) {
        self.context = context; self.config = config; self.outbox = outbox; self.senders = senders; self.journal = journal
    }

    /// The deliveries of one signal: one per channel of each tier that is on.
    public static func deliveries(_ s: Signal, config: DistributionConfig, on: [DistributionConfig.Channel]) -> [Outbox.Delivery] {
        config.tiers.flatMap { tier in
            tier.channels.filter(on.contains).map { channel in
                Outbox.Delivery(
                    signalID: s.id, tier: tier.name, channel: channel, dueAt: s.time + tier.delay,
                    text: SignalMessages.text(s, channel: channel, detail: tier.detail, delay: tier.delay))
            }
        }
    }

    /// After a restart: what a killed process left mid-send, reported on `alerts:stream`.
    public func recover(_ redis: RedisClient) throws {
        for d in try outbox.recoverInterrupted() {
            report.unknown += 1
            context.log("warning: a delivery may or may not have gone out", ["key": d.key])
            try? TradingMirror.alert(
                severity: "warning", source: "distribution", text: "\(d.key): the service stopped while sending it; not sent again (it may be missing)",
                redis: redis, now: context.clock.now())
        }
    }

    /// Reads new signals into the outbox (at most `count`); returns how many signals were read.
    @discardableResult
    public func ingest(_ redis: RedisClient, count: Int = 500) throws -> Int {
        let cursor = try outbox.cursor(Self.stream)
        let reply = try redis.command(["XREAD", "COUNT", String(count), "STREAMS", Self.stream, cursor])
        guard case .array(let streams) = reply, case .array(let pair)? = streams.first, pair.count == 2, case .array(let entries) = pair[1] else { return 0 }
        var deliveries: [Outbox.Delivery] = []
        var last = cursor
        for entry in entries {
            guard case .array(let parts) = entry, parts.count == 2, let id = parts[0].text, case .array(let fields) = parts[1] else { continue }
            last = id
            var values: [String: String] = [:]
            var i = 0
            while i + 1 < fields.count {
                if let k = fields[i].text, let v = fields[i + 1].text { values[k] = v }
                i += 2
            }
            guard let text = values["signal"], let signal = Signal.read(text) else {
                context.log("warning: a stream entry that is not a signal was skipped", ["id": id])
                continue
            }
            deliveries += Self.deliveries(signal, config: config, on: senders.on)
            report.signals += 1
        }
        guard last != cursor else { return 0 }
        report.queued += try outbox.enqueue(deliveries, stream: Self.stream, lastID: last, now: context.clock.now())
        return entries.count
    }

    /// Sends what is due on each channel that is on, within its rate limit.
    public func sendDue() throws {
        let now = context.clock.now()
        // A signal's message two hours late (the service was down) is no longer worth sending.
        if now - expiredAt >= 60 {
            expiredAt = now
            let expired = try outbox.expire(dueBefore: now - 7_200)
            if expired > 0 { context.log("warning: deliveries expired unsent", ["count": String(expired)]) }
        }
        for channel in senders.on {
            let limit = config.limits[channel] ?? DistributionConfig.publishedLimits[channel]!
            var times = (sentAt[channel] ?? []).filter { now - $0 < limit.per }
            let room = limit.messages - times.count
            guard room > 0 else {
                sentAt[channel] = times
                continue
            }
            for d in try outbox.due(channel, now: now, limit: room) {
                try outbox.markSending(d.key)
                do {
                    let id = try send(d)
                    try outbox.markSent(d.key, messageID: id, now: context.clock.now())
                    report.sent += 1
                } catch let failure as HTTPCaller.Failure {
                    report.failed += 1
                    context.log("send failed", ["key": d.key, "error": failure.description])
                    try outbox.markFailed(d.key, error: failure.description, retryAt: context.clock.now() + 60)
                }
                times.append(context.clock.now())
            }
            sentAt[channel] = times
        }
    }

    func send(_ d: Outbox.Delivery) throws -> String {
        switch d.channel {
        case .discord: return try senders.discord!.send(json: d.text)
        case .telegram: return try senders.telegram!.send(markdown: d.text).joined(separator: ",")
        case .x: return try senders.x!.post(d.text).map { $0 ?? "duplicate" }.joined(separator: ",")
        }
    }

    /// `distribution:stats`: per tier, the signals delivered and, from the journal, how the
    /// positions they opened ended.
    public func stats(_ redis: RedisClient) throws {
        let sent = try outbox.all().filter { $0.state == .sent }
        let outcomes = Dictionary((try journal?.managedPositions() ?? []).compactMap { p in p.signalId.map { ($0, p) } }, uniquingKeysWith: { a, _ in a })
        var tiers: [String] = []
        for tier in config.tiers {
            let signals = Set(sent.filter { $0.tier == tier.name }.map(\.signalID))
            let closed = signals.compactMap { outcomes[$0] }.filter { $0.closedAt != nil }
            let pnl = closed.compactMap(\.realizedPnL)
            tiers.append(
                "{\"tier\":\(JSONText.string(tier.name)),\"delivered\":\(signals.count),\"traded\":\(signals.filter { outcomes[$0] != nil }.count),\"closed\":\(closed.count),\"won\":\(pnl.filter { $0 > 0 }.count),\"realized\":\(JSONText.number((pnl.reduce(0, +) * 100).rounded() / 100))}"
            )
        }
        let counts = try outbox.counts()
        let json =
            "{\"tiers\":[\(tiers.joined(separator: ","))],\"outbox\":{"
            + [Outbox.State.pending, .sending, .sent, .unknown, .failed].map { "\"\($0.rawValue)\":\(counts[$0] ?? 0)" }
            .joined(separator: ",") + "},\"timestamp\":\(Int64(context.clock.now() * 1000))}"
        _ = try redis.command(["SET", "distribution:stats", json])
    }
}

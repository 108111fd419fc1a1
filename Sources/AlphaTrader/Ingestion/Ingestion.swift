import Foundation
import OrchestratorCore
import Redis

/// The ingestion loop (`alphatrader ingest`): events from the source, due by the clock, into
/// `MarketState`, published to Redis in pipelines; a heartbeat every market second; counters
/// under `monitoring:ibkr:*`. Redis going away loses only what was being sent (counted), never
/// the process.
public final class Ingestion {
    public struct Options: Sendable {
        /// Play as fast as possible instead of at the clock (benchmarks, backfills).
        public var unpaced = false
        /// Stop when the source is finished instead of idling until SIGTERM.
        public var exitAtEnd = false
        /// Events applied between two publishes at most.
        public var batchEvents = 8_192
        /// When paced, a batch also ends after this much real time of applying events, so that
        /// its first event is not held back (lag) — yet a feed that fell behind catches up in
        /// larger batches, one Redis round trip each.
        public var batchSeconds = 0.0005
        /// When paced, publishes are at least this far apart (real seconds): events due in
        /// between wait and go in one pipeline, fewer and larger writes for Redis (and its AOF)
        /// at the price of that much added lag. 0 (the default) publishes as events fall due.
        public var publishInterval = 0.0
        /// The trading day being ingested: when Redis last saw another one, the day's streams
        /// and bar history start empty (`market:session` names the day).
        public var session: String?
        /// Stops the loop when it returns true (tests; SIGTERM stops it too).
        public var until: (@Sendable () -> Bool)?
        public init() {}
    }

    /// What a run did.
    public struct Report: Sendable {
        public var events = 0
        public var published = 0
        public var dropped = 0
        public var commands = 0
        public var redisFailures = 0
        /// Lag (publish time minus event time, market milliseconds) percentiles.
        public var lagP50 = 0.0, lagP99 = 0.0, lagMax = 0.0
        public var seconds = 0.0
    }

    let context: AlphaContext
    let source: any MarketSource
    var state: MarketState
    let options: Options
    let heartbeatKey = "module:heartbeat:ibkr_ingestion"
    var lagHistogram = [Int](repeating: 0, count: 60_001)
    /// `ALPHATRADER_LAG_TRACE=FILE`: one line per publish (market time, the batch's oldest event's
    /// lag in market ms, events), to find where a lag tail comes from.
    lazy var lagTrace: FileHandle? = {
        guard let path = context.environment["ALPHATRADER_LAG_TRACE"], !path.isEmpty,
            FileManager.default.createFile(atPath: path, contents: nil)
        else { return nil }
        return FileHandle(forWritingAtPath: path)
    }()
    var report = Report()

    public init(context: AlphaContext, source: any MarketSource, state: MarketState, options: Options = Options()) {
        self.context = context; self.source = source; self.state = state; self.options = options
    }

    public func run() -> Report {
        let started = Date()
        let clock = context.clock, speed = options.unpaced ? 1 : context.speed
        var redis: RedisClient?
        var batch = RedisBatch(capacity: 1 << 20)
        var batchTimes: [Int64] = []
        batchTimes.reserveCapacity(options.batchEvents)
        var lastBeat = -Double.infinity, lastBeatReal = Date.distantPast, lastStats = Date.distantPast
        var redisDownSince: Date?, retryAt = Date.distantPast, backoff = 0.1
        var announcedEnd = false
        let since = Int(clock.now() * 1000)
        context.log("started", ["source": source.name, "redis": context.redisURL.description, "speed": String(speed)])

        if let session = options.session {
            do {
                let client = try RedisClient(url: context.redisURL, timeout: 2)
                if try client.command(["GET", "market:session"]).text != session {
                    let keys = state.symbolNames.flatMap { ["market:\($0):stream", "market:\($0):history"] }
                    _ = try client.command(["DEL"] + keys)
                    _ = try client.command(["SET", "market:session", session])
                    context.log("new session: streams and bar history start empty", ["session": session])
                }
                redis = client
            } catch {
                context.log("redis unavailable at start", ["error": error.description])
            }
        }

        var publishNotBefore = Date.distantPast
        var inFlight: (commands: Int, times: [Int64])?
        /// Redis failed: what was in flight and `losing` more events are dropped (counted), the
        /// connection goes, and the next attempt waits a doubling backoff.
        func redisFailed(_ error: RedisClient.Failure, losing: Int) {
            report.redisFailures += 1
            report.dropped += losing + (inFlight?.times.count ?? 0)
            inFlight = nil
            redis = nil
            if redisDownSince == nil {
                context.log("redis unavailable, retrying with backoff", ["error": error.description])
                redisDownSince = Date()
            }
            retryAt = Date().addingTimeInterval(backoff)
            backoff = min(backoff * 2, 5)
        }
        while true {
            if !options.unpaced {
                let early = publishNotBefore.timeIntervalSinceNow
                if early > 0 { usleep(UInt32(early * 1_000_000)) }
            }
            let stopping = StopSignal.requested || (options.until?() ?? false)
            let now = clock.now()
            let nowMicros = options.unpaced ? Int64.max : Int64(now * 1_000_000)
            batchTimes.removeAll(keepingCapacity: true)
            do {
                let batchStart = DispatchTime.now().uptimeNanoseconds
                let budget = options.unpaced ? UInt64.max : UInt64(options.batchSeconds * 1e9)
                while batchTimes.count < options.batchEvents, let event = try source.next(notAfter: nowMicros) {
                    if case .depth(let d) = event, d.marketMaker >= state.makers.count { state.adoptMakers(source.marketMakers) }
                    state.apply(event)
                    batchTimes.append(event.time)
                    if batchTimes.count & 63 == 0 && DispatchTime.now().uptimeNanoseconds - batchStart > budget { break }
                }
            } catch {
                context.log("source failed", ["error": "\(error)"])
            }
            report.events += batchTimes.count
            if !batchTimes.isEmpty { publishNotBefore = Date().addingTimeInterval(options.publishInterval) }
            let finishing = stopping || (options.exitAtEnd && source.finished)
            if !batchTimes.isEmpty || finishing { state.publish(into: &batch, speed: speed, finalPublish: finishing) }
            let beatDue = now - lastBeat >= 1 || Date().timeIntervalSince(lastBeatReal) >= 1
            if beatDue || finishing {
                let nowMillis = Int(now * 1000)
                let connected = source.connected && !stopping
                batch.append(
                    "SET", .text(heartbeatKey),
                    .text("{\"ts\":\(nowMillis),\"pid\":\(getpid()),\"source\":\"\(source.name)\",\"events\":\(report.events)}"))
                batch.append(
                    "SET", "ibkr:connected",
                    .text("{\"connected\":\(connected),\"source\":\"\(source.name)\",\"since\":\(since),\"timestamp\":\(nowMillis)}"))
                if finishing || Date().timeIntervalSince(lastStats) >= 0.1 {
                    batch.append("SET", "monitoring:ibkr:stats", .text(statsJSON(nowMillis, publishing: batchTimes.count)))
                    lastStats = Date()
                }
                lastBeat = now; lastBeatReal = Date()
            }
            if !batch.isEmpty && Date() >= retryAt {
                do {
                    if redis == nil { redis = try RedisClient(url: context.redisURL, timeout: 2) }
                    // The previous pipeline's replies first (in order), then this one goes out
                    // and Redis works on it while the next batch is prepared.
                    try collect(redis!, &inFlight)
                    try redis!.write(batch)
                    inFlight = (batch.count, batchTimes)
                    if let down = redisDownSince {
                        context.log("redis back", ["after": String(format: "%.1fs", Date().timeIntervalSince(down)), "dropped": String(report.dropped)])
                        redisDownSince = nil; backoff = 0.1
                    }
                } catch {
                    redisFailed(error, losing: batchTimes.count)
                }
                batch.removeAll()
            } else if !batch.isEmpty {
                // Redis is down and not due for a retry: what this batch carried is dropped
                // (counted); the market state itself stays current for the next publish.
                report.dropped += batchTimes.count
                batch.removeAll()
            }
            // Nothing more to prepare right now (or leaving): collect what is in flight, so that
            // its lag is measured when Redis has it, not after a sleep.
            if inFlight != nil && (stopping || finishing || batchTimes.count < 64), let client = redis {
                do { try collect(client, &inFlight) } catch { redisFailed(error, losing: 0) }
            }
            if stopping {
                context.log("stopping on signal", summaryFields())
                break
            }
            if source.finished {
                if !announcedEnd { context.log("source finished", summaryFields()); announcedEnd = true }
                if finishing { break }
            }
            if source.nextTime.map({ options.unpaced || Double($0) / 1_000_000 > clock.now() }) ?? true {
                // Sleep until the next event is due (or a heartbeat), in short steps so that a
                // signal or a faster clock is noticed promptly.
                var wait = source.finished ? 0.05 : 0.001
                if !options.unpaced, let next = source.nextTime {
                    wait = min(0.002, max(0, (Double(next) / 1_000_000 - clock.now()) / speed))
                } else if options.unpaced && !source.finished {
                    wait = source.nextTime == nil ? 0.001 : 0
                }
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            }
        }
        report.seconds = Date().timeIntervalSince(started)
        (report.lagP50, report.lagP99, report.lagMax) = percentiles()
        return report
    }

    /// Reads the replies of the pipeline in flight and accounts for its events.
    func collect(_ client: RedisClient, _ inFlight: inout (commands: Int, times: [Int64])?) throws(RedisClient.Failure) {
        guard let pending = inFlight else { return }
        let errors = try client.readReplies(pending.commands)
        inFlight = nil
        if !errors.isEmpty { context.log("redis refused commands", ["count": String(errors.count), "first": errors[0]]) }
        report.commands += pending.commands
        report.published += pending.times.count
        guard !options.unpaced else { return }
        let published = Int64(context.clock.now() * 1_000_000)
        for t in pending.times { recordLag(published - t) }
        if let trace = lagTrace, let first = pending.times.first {
            trace.write(Data("\(String(format: "%.3f", context.clock.now())) \((published - first) / 1000) \(pending.times.count)\n".utf8))
        }
    }

    func recordLag(_ micros: Int64) {
        let ms = max(0, min(60_000, Int(micros / 1000)))
        lagHistogram[ms] += 1
    }

    func percentiles() -> (Double, Double, Double) {
        let total = lagHistogram.reduce(0, +)
        guard total > 0 else { return (0, 0, 0) }
        var p50 = 0.0, p99 = 0.0, maximum = 0.0, seen = 0
        for (ms, n) in lagHistogram.enumerated() where n > 0 {
            if seen < total / 2 && seen + n >= total / 2 { p50 = Double(ms) }
            if Double(seen) < Double(total) * 0.99 && Double(seen + n) >= Double(total) * 0.99 { p99 = Double(ms) }
            seen += n
            maximum = Double(ms)
        }
        return (p50, p99, maximum)
    }

    func statsJSON(_ nowMillis: Int, publishing: Int) -> String {
        let (p50, p99, _) = percentiles()
        return
            "{\"source\":\"\(source.name)\",\"events\":\(report.events),\"published\":\(report.published + publishing),\"dropped\":\(report.dropped),\"depth_errors\":\(state.depthErrors),\"redis_failures\":\(report.redisFailures),\"reconnects\":\(source.reconnects),\"lag_p50_ms\":\(JSONText.number(p50)),\"lag_p99_ms\":\(JSONText.number(p99)),\"last_event\":\(state.lastEventTime / 1000),\"timestamp\":\(nowMillis)}"
    }

    func summaryFields() -> KeyValuePairs<String, String> {
        let (p50, p99, _) = percentiles()
        return ["events": String(report.events), "dropped": String(report.dropped), "lag_p50_ms": String(Int(p50)), "lag_p99_ms": String(Int(p99))]
    }
}

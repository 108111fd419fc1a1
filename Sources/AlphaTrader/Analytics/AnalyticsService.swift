import Foundation
import OrchestratorCore
import Redis

/// The analytics service (`alphatrader analytics`): reads every symbol's stream
/// `market:{sym}:stream` with XREAD from the first entry of the session, so that each trade is
/// seen exactly once and in order (after a restart it rebuilds its state from the same entries),
/// and writes `analytics:{sym}:vpin|obi|hidden|sweeps|options`, the dealers' gamma at the live
/// price (`analytics:{sym}:gex`) and `module:heartbeat:analytics`.
public final class AnalyticsService {
    public struct Report: Sendable { public var entries = 0; public var trades = 0; public var redisFailures = 0 }

    let context: AlphaContext
    let symbols: [String]
    let level2: Set<String>
    var states: [SymbolAnalytics]
    var cursors: [String]
    var session: String?
    public private(set) var report = Report()
    /// Each symbol's near-term open interest (`options:{sym}:gamma_model`), for its gamma at the
    /// live price; read at start and every 15 market minutes after.
    private var gammaModels: [GammaModel?]
    private var gammaModelsRead = -Double.infinity
    /// Market seconds the live gamma document outlives its last writing.
    static let liveGammaLifetime = 300.0
    /// Until discovery has tuned it (`discovery:{sym}:params`), a VPIN bucket of this many shares.
    public static let defaultBucket = 50_000.0

    public init(context: AlphaContext, symbols: [String], level2: [String]) {
        self.context = context
        self.symbols = symbols
        self.level2 = Set(level2)
        states = symbols.map { SymbolAnalytics(symbol: $0, bucketVolume: AnalyticsService.defaultBucket) }
        cursors = Array(repeating: "0-0", count: symbols.count)
        gammaModels = Array(repeating: nil, count: symbols.count)
    }

    /// Runs until SIGTERM (or `until` returns true, for tests).
    public func run(until: () -> Bool = { false }) -> Report {
        var redis: RedisClient?
        var lastBeat = -Double.infinity, lastBeatReal = Date.distantPast
        var lastParams = -Double.infinity, lastParamsReal = Date.distantPast
        var dirty = false, lastWrite = Date.distantPast
        var backoff = 0.1
        context.log("started", ["symbols": String(symbols.count), "redis": context.redisURL.description])
        while !StopSignal.requested && !until() {
            do {
                if redis == nil { redis = try RedisClient(url: context.redisURL, timeout: 2); backoff = 0.1 }
                let client = redis!
                let now = context.clock.now()
                // As each market minute begins (the minutes a backtest recomputes on), and at most
                // once a real second (under an accelerated clock a market minute can be a tenth of
                // a second).
                if lastParams.isInfinite || ((now / 60).rounded(.down) > (lastParams / 60).rounded(.down) && Date().timeIntervalSince(lastParamsReal) >= 1) {
                    try checkSession(client)
                    try loadParameters(client)
                    lastParams = now; lastParamsReal = Date()
                }
                // Small reads: Redis serves one client at a time, and a reply of thousands of
                // entries would hold the feed handler's writes up for milliseconds.
                let arguments = ["XREAD", "COUNT", "100", "BLOCK", "20", "STREAMS"] + symbols.map { "market:\($0):stream" } + cursors
                let before = report.entries
                let read = try client.withRawReply(arguments) { reply -> Bool in
                    for s in 0..<reply.count { if let stream = reply[s] { consume(stream) } }
                    return reply.count > 0
                }
                if read { dirty = true }
                // Caught up: let entries gather for a moment rather than asking Redis for a
                // handful at a time (each XREAD over twelve streams costs Redis more than the
                // entries it returns; the feed handler needs that CPU more).
                if report.entries - before < 200 { usleep(3_000) }
                let beat = now - lastBeat >= 1 || Date().timeIntervalSince(lastBeatReal) >= 1
                if (dirty && Date().timeIntervalSince(lastWrite) >= 0.05) || beat {
                    var batch = RedisBatch()
                    if dirty {
                        for state in states where state.trades > 0 || state.bid > 0 {
                            for (key, json) in state.values() { batch.append("SET", .text(key), .text(json)) }
                        }
                        dirty = false; lastWrite = Date()
                    }
                    if beat {
                        batch.append(
                            "SET", "module:heartbeat:analytics",
                            .text("{\"ts\":\(Int(now * 1000)),\"pid\":\(getpid()),\"entries\":\(report.entries),\"trades\":\(report.trades)}"))
                        lastBeat = now; lastBeatReal = Date()
                    }
                    try client.send(batch)
                }
            } catch let failure as RedisClient.Failure {
                report.redisFailures += 1
                if redis != nil || report.redisFailures == 1 { context.log("redis unavailable, retrying", ["error": failure.description]) }
                redis = nil
                usleep(UInt32(backoff * 1_000_000))
                backoff = min(backoff * 2, 2)
            } catch {
                context.log("unexpected error", ["error": "\(error)"])
            }
        }
        // What was read last is written before leaving.
        if let client = redis, dirty {
            var batch = RedisBatch()
            for state in states where state.trades > 0 || state.bid > 0 {
                for (key, json) in state.values() { batch.append("SET", .text(key), .text(json)) }
            }
            _ = try? client.send(batch)
        }
        context.log("stopping", ["entries": String(report.entries), "trades": String(report.trades)])
        return report
    }

    /// A new trading session in Redis (ingestion of another day) starts every symbol afresh.
    func checkSession(_ client: RedisClient) throws {
        let current = try client.command(["GET", "market:session"]).text
        if current != session {
            if session != nil { context.log("new session: starting afresh", ["session": current ?? "none"]) }
            session = current
            states = symbols.map { SymbolAnalytics(symbol: $0, bucketVolume: AnalyticsService.defaultBucket) }
            cursors = Array(repeating: "0-0", count: symbols.count)
            gammaModels = Array(repeating: nil, count: symbols.count)
            gammaModelsRead = -.infinity
        }
    }

    /// The VPIN bucket size discovery found for each symbol, and the premarket job's dealer
    /// exposure (GEX, DEX, the gamma flip), folded into each symbol's state.
    func loadParameters(_ client: RedisClient) throws {
        let replies = try client.pipeline(symbols.map { ["GET", DiscoveredParametersDocument.key($0)] })
        let exposures = try client.pipeline(symbols.flatMap { [["GET", ExposureDocument.gexKey($0)], ["GET", ExposureDocument.dexKey($0)]] })
        for i in symbols.indices {
            guard let gex = ExposureDocument.read(exposures[2 * i].text), let dex = ExposureDocument.read(exposures[2 * i + 1].text) else { continue }
            states[i].options = (gex.total, dex.total, gex.flip, gex.spot)
        }
        try liveGamma(client)
        for (i, reply) in replies.enumerated() {
            guard let bucket = DiscoveredParametersDocument.read(reply.text)?.vpinBucket.map(Double.init), bucket > 0,
                bucket != states[i].vpin.bucketVolume
            else { continue }
            states[i].vpin.resize(bucket)
            context.log("vpin bucket from discovery", ["symbol": symbols[i], "bucket": String(Int(bucket))])
        }
    }

    /// The dealers' gamma at each symbol's last price and the market's time
    /// (`analytics:{sym}:gex`), from the premarket job's near-term open interest.
    func liveGamma(_ client: RedisClient) throws {
        let now = context.clock.now()
        if now - gammaModelsRead >= 900 || gammaModels.allSatisfy({ $0 == nil }) {
            let replies = try client.pipeline(symbols.map { ["GET", GammaModelDocument.key($0)] })
            let calendar = context.config.calendar
            for (i, reply) in replies.enumerated() {
                gammaModels[i] = GammaModelDocument.read(reply.text).flatMap { GammaModel($0, calendar: calendar) }
            }
            gammaModelsRead = now
        }
        var batch = RedisBatch()
        for i in symbols.indices {
            guard let model = gammaModels[i], states[i].lastPrice > 0 else { continue }
            let price = states[i].lastPrice
            let e = model.exposure(spot: price, at: Int64(now))
            states[i].options = (e.totalGEX, states[i].options?.dex ?? 0, e.flip, price)
            let document = ExposureDocument(e, gamma: true, timestamp: Int64(now * 1000))
            // It lives five market minutes past its last writing: a stopped analytics service (or
            // yesterday's) never leaves its gamma to stand in for the premarket job's.
            let ttl = String(max(1, Int((AnalyticsService.liveGammaLifetime * 1000 / context.speed).rounded())))
            batch.append("SET", .text(ExposureDocument.liveGEXKey(symbols[i])), .text(document.json(gamma: true)), "PX", .text(ttl))
        }
        if !batch.isEmpty { try client.send(batch) }
    }

    /// One stream's entries from XREAD: `[key, [[id, [field, value, …]], …]]`, read in place
    /// (no String per field: this is the service's hot path).
    func consume(_ stream: RawReply) {
        guard stream.count == 2, let keyReply = stream[0], let entries = stream[1] else { return }
        let key = keyReply.text
        let name = key.dropFirst("market:".count).dropLast(":stream".count)
        guard let i = symbols.firstIndex(where: { $0[...] == name }) else { return }
        var lastID: RawReply?
        for e in 0..<entries.count {
            guard let item = entries[e], item.count == 2, let id = item[0], let fields = item[1] else { continue }
            lastID = id
            report.entries += 1
            var kind: UInt8 = 0, time: Int64 = 0, price = 0.0, size = 0, exchange = 0
            var bid = 0.0, ask = 0.0, bs = 0, asz = 0, bd: Int?, ad: Int?
            var j = 0
            while j + 1 < fields.count {
                guard let field = fields[j], let value = fields[j + 1] else { break }
                let f = field.bytes
                if f.count == 1 {
                    switch f[0] {
                    case UInt8(ascii: "k"): kind = value.bytes.first ?? 0
                    case UInt8(ascii: "t"): time = Int64(value.int ?? 0)
                    case UInt8(ascii: "p"): price = value.double ?? 0
                    case UInt8(ascii: "s"): size = value.int ?? 0
                    case UInt8(ascii: "x"): exchange = value.int ?? 0
                    case UInt8(ascii: "b"): bid = value.double ?? 0
                    case UInt8(ascii: "a"): ask = value.double ?? 0
                    default: break
                    }
                } else if field.equals("bs") {
                    bs = value.int ?? 0
                } else if field.equals("as") {
                    asz = value.int ?? 0
                } else if field.equals("bd") {
                    bd = value.int
                } else if field.equals("ad") {
                    ad = value.int
                }
                j += 2
            }
            let kindT = kind == UInt8(ascii: "t"), kindQ = kind == UInt8(ascii: "q")
            if kindT {
                // A trade entry carries the quote in force when it changed since the trade before.
                var quote: MarketState.StreamQuote?
                if bid > 0, ask > 0 {
                    quote = .init(bid: bid, ask: ask, bidSize: bs, askSize: asz)
                    if let bd, let ad { quote!.depth = (bd, ad) }
                }
                states[i].entry(Trade(time: time, symbol: i, exchange: exchange, price: price, size: size), quote: quote)
                if price > 0, size > 0 { report.trades += 1 }
            } else if kindQ {
                states[i].quote(time: time, bid: bid, ask: ask, bidSize: bs, askSize: asz, bidDepth: bd, askDepth: ad)
            }
        }
        if let lastID { cursors[i] = lastID.text }
    }
}

import Foundation
import OrchestratorCore
public import Redis
import Yams

/// The `parameter-discovery` job: reads the day so far from Redis, runs `Discovery`, writes
/// `config/discovered.yaml` atomically (temporary file, then rename) and the `discovery:*` keys
/// with a 24 h TTL. A symbol with too little data keeps its previous parameters, with a warning.
public struct DiscoveryJob {
    /// The parameters of one symbol, as written.
    public struct SymbolParameters: Sendable {
        public var vpinBucket: Double?
        public var clusters: [Discovery.Cluster] = []
        public var lookbackBars: Int?
        public var significantLags: [Int] = []
        public var regime: Discovery.Regime?
        public var trades = 0
        public var bars = 0
        public var makers: [Discovery.MakerProfile] = []
        public var warnings: [String] = []
    }

    /// What one symbol's data is, read from Redis (or built in memory by the benchmark): the
    /// session's trade sizes and book activity (small day-long aggregates ingestion keeps), and
    /// the bar-history rows not yet folded into the `DiscoveryState`.
    public struct SymbolData: Sendable {
        /// Trades by size, the whole session so far.
        public var sizes: [Int: Int] = [:]
        /// The new rows' valid bars: (epoch seconds, close).
        public var bars: [(Int64, Double)] = []
        /// How many history rows were read (valid or not), and the last of them as stored.
        public var rows: Int
        public var lastRow: String?
        public var makers: [Discovery.MakerActivity] = []
        public init(sizes: [Int] = [], bars: [(Int64, Double)] = [], makers: [Discovery.MakerActivity] = []) {
            for s in sizes { self.sizes[s, default: 0] += 1 }
            self.bars = bars; self.makers = makers; rows = bars.count
        }
        public init(
            sizeCounts: [Int: Int], bars: [(Int64, Double)], rows: Int? = nil, lastRow: String? = nil,
            makers: [Discovery.MakerActivity] = []
        ) {
            sizes = sizeCounts; self.bars = bars; self.rows = rows ?? bars.count; self.lastRow = lastRow; self.makers = makers
        }
        public var trades: Int { sizes.values.reduce(0, +) }
    }

    public struct Result: Sendable {
        public var symbols: [String]
        public var parameters: [SymbolParameters]
        public var correlation: [[Double?]]
        public var warnings: [String] { parameters.flatMap(\.warnings) }
    }

    let context: AlphaContext
    public let outputPath: String

    public init(context: AlphaContext, outputPath: String) { self.context = context; self.outputPath = outputPath }

    /// The pure part from nothing: every symbol's parameters and the correlation matrix over
    /// `data` as the whole day.
    public static func compute(symbols: [String], data: [SymbolData]) -> Result {
        var state = DiscoveryState(session: "", symbols: symbols)
        return compute(data: data, state: &state)
    }

    /// The pure part: folds each symbol's new bars into `state`, then every symbol's parameters
    /// and the correlation matrix. `data[i]` is `state.symbols[i]`'s.
    public static func compute(data: [SymbolData], state: inout DiscoveryState) -> Result {
        for (i, d) in data.enumerated() { state.advance(symbol: i, rows: d.rows, lastRow: d.lastRow, bars: d.bars) }
        let correlation = state.correlation()
        state.settle()
        var parameters: [SymbolParameters] = []
        for (i, (symbol, d)) in zip(state.symbols, data).enumerated() {
            let returns = state.perSymbol[i].returns
            var p = SymbolParameters()
            p.trades = d.trades
            p.bars = state.perSymbol[i].bars
            if let clusters = Discovery.sizeClusters(counts: d.sizes) {
                p.clusters = clusters
                p.vpinBucket = Discovery.vpinBucket(clusters)
            } else {
                p.warnings.append("\(symbol): \(d.trades) trades, at least \(Discovery.minimumTrades) are needed for the VPIN bucket; keeping the previous one")
            }
            if let lookback = returns.lookback() {
                p.lookbackBars = lookback.bars; p.significantLags = lookback.significant
            } else {
                p.warnings.append(
                    "\(symbol): \(returns.count) bar returns, at least \(Discovery.minimumReturns) are needed for the lookback and the regime; keeping the previous ones"
                )
            }
            p.regime = returns.regime()
            p.makers = Discovery.makerProfiles(d.makers)
            parameters.append(p)
        }
        return Result(symbols: state.symbols, parameters: parameters, correlation: correlation)
    }

    /// The Redis key of the running state (24 h TTL, like the history it summarizes).
    public static let stateKey = "discovery:state"

    /// The session (`market:session`, else `fallbackSession`) and the state to continue from:
    /// the stored one when it summarizes this session's symbols, else a fresh one (and why, for
    /// the log). One round trip.
    public func loadState(
        _ redis: RedisClient, symbols: [String], fallbackSession: () -> String?
    ) throws(RedisClient.Failure)
        -> (DiscoveryState, note: String?)
    {
        let replies = try redis.pipeline([["GET", "market:session"], ["GET", DiscoveryJob.stateKey]])
        let session = replies[0].text ?? fallbackSession() ?? "unknown"
        let fresh = DiscoveryState(session: session, symbols: symbols)
        guard let text = replies[1].text else { return (fresh, nil) }
        let stored: DiscoveryState
        do {
            stored = try JSONDecoder().decode(DiscoveryState.self, from: Data(text.utf8))
        } catch {
            return (fresh, "\(DiscoveryJob.stateKey) is not a discovery state (\(DiscoveryJob.decodingProblem(error))); reading the day again")
        }
        guard stored.continues(session: session, symbols: symbols) else {
            return (fresh, "\(DiscoveryJob.stateKey) is of another session or symbol list; reading the day again")
        }
        return (stored, nil)
    }

    /// Reads each symbol's trade sizes (the session's counts), book activity and the history
    /// rows after those `state` has folded in. If a symbol's history no longer holds the last row
    /// read (ingestion started the session again, or the key was replaced), `state` starts over
    /// and the whole day is read.
    public func load(_ redis: RedisClient, state: inout DiscoveryState) throws(RedisClient.Failure) -> (data: [SymbolData], note: String?) {
        let data = try loadRows(redis, state: state)
        guard let replaced = data.firstIndex(where: { $0 == nil }) else { return (data.map { $0! }, nil) }
        state = DiscoveryState(session: state.session, symbols: state.symbols)
        let again = try loadRows(redis, state: state).map { $0! }
        return (again, "market:\(state.symbols[replaced]):history no longer holds the last row read; reading the day again")
    }

    /// Continuing a state, every symbol in one round trip: a quarter hour of bars is about two
    /// thousand short rows. Starting over, one symbol per round trip: a whole day of bars for
    /// twelve symbols in one go would keep Redis, and so the live feed, busy for milliseconds.
    /// nil for a symbol whose history was replaced under the state.
    private func loadRows(_ redis: RedisClient, state: DiscoveryState) throws(RedisClient.Failure) -> [SymbolData?] {
        let commands = zip(state.symbols, state.perSymbol).map { s, known -> [[String]] in
            let history = "market:\(s):history"
            return [
                ["GET", "market:\(s):sizes"], ["GET", "market:\(s):makers"],
                ["LINDEX", history, String(known.rows - 1)], ["LRANGE", history, String(known.rows), "-1"],
            ]
        }
        var replies: [RedisReply] = []
        if state.perSymbol.contains(where: { $0.rows > 0 }) {
            replies = try redis.pipeline(commands.flatMap { $0 })
        } else {
            for c in commands { replies += try redis.pipeline(c) }
        }
        return state.perSymbol.enumerated().map { i, known -> SymbolData? in
            let r = replies[(4 * i)..<(4 * i + 4)].map { $0 }
            if known.rows > 0 && r[2].text != known.lastRow { return nil }
            var rows: [String] = []
            if case .array(let items) = r[3] { rows = items.compactMap(\.text) }
            return SymbolData(
                sizeCounts: DiscoveryJob.sizes(r[0].text), bars: rows.compactMap(DiscoveryJob.historyRow),
                rows: rows.count, lastRow: rows.last, makers: DiscoveryJob.makers(r[1].text))
        }
    }

    /// `market:{sym}:sizes` as ingestion wrote it (nothing when absent or damaged).
    public static func sizes(_ text: String?) -> [Int: Int] { TradeSizesDocument.read(text)?.counts ?? [:] }

    /// `market:{sym}:makers` as ingestion wrote it.
    static func makers(_ text: String?) -> [Discovery.MakerActivity] { makers(MakerActivityDocument.read(text)?.makers ?? []) }

    /// Ingestion's book activity as discovery reads it.
    public static func makers(_ list: [MakerActivityDocument.Maker]) -> [Discovery.MakerActivity] {
        list.map {
            Discovery.MakerActivity(exchange: $0.exchange, maker: $0.maker, updates: $0.updates, topUpdates: $0.topUpdates, sizeSum: $0.sizeSum)
        }
    }

    static func decodingProblem(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c), DecodingError.keyNotFound(_, let c), DecodingError.typeMismatch(_, let c),
            DecodingError.valueNotFound(_, let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? c.debugDescription : "at \(path): \(c.debugDescription)"
        default:
            return "\(error)"
        }
    }

    /// One `market:{sym}:history` row, "epoch seconds,close[,volume]": the time and a positive
    /// close, or nil. Read on the string's own bytes (a digit loop, then the options chain's
    /// bounded strtod): a day is 4,680 rows a symbol, and splitting each into substrings cost
    /// more than the discovery itself.
    public static func historyRow(_ text: String) -> (Int64, Double)? {
        var text = text
        return text.withUTF8 { bytes -> (Int64, Double)? in
            guard let comma = bytes.firstIndex(of: UInt8(ascii: ",")), comma > 0 else { return nil }
            var t: Int64 = 0
            for b in bytes[..<comma] {
                guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"), t < Int64.max / 10 - 9 else { return nil }
                t = t * 10 + Int64(b - UInt8(ascii: "0"))
            }
            let end = bytes[(comma + 1)...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
            guard let close = JSONScanner(UnsafeRawBufferPointer(bytes)).parseDouble((comma + 1)..<end), close > 0 else { return nil }
            return (t, close)
        }
    }

    /// The previous file's per-symbol entries, to keep where today's data is too thin.
    func previousSymbols() -> [String: Any] { DiscoveryJob.readFile(outputPath)?.symbols ?? [:] }

    /// Where the parameters are written unless told otherwise.
    public static let defaultPath = "config/discovered.yaml"

    /// A file this job wrote: when (`generated_at`), and each symbol's entries; nil when it is
    /// missing or not one.
    public static func readFile(_ path: String) -> (generatedAt: Double?, symbols: [String: Any])? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap(read)
    }

    /// A file's text as `readFile` reads it.
    public static func read(_ text: String) -> (generatedAt: Double?, symbols: [String: Any])? {
        guard let root = (try? Yams.load(yaml: text)) as? [String: Any],
            let symbols = root["symbols"] as? [String: Any]
        else { return nil }
        let generated = (root["generated_at"] as? String).flatMap { TimeFormat.parseInstant($0, zone: ZoneRules.named("UTC")!) }
        return (generated.map(Double.init), symbols)
    }

    /// What a run writes, rendered: the YAML file's text, each Redis key's JSON (24 h), and the
    /// symbols that kept earlier entries of `previous` (the last file's) where today's data was thin.
    public struct Rendered: Sendable {
        public var yaml: String
        public var values: [(key: String, json: String)]
        public var kept: [String]
    }

    /// The YAML file and the Redis values of `result` at `now` (epoch seconds).
    public static func render(_ result: Result, session: String, previous: [String: Any], now: Int64) -> Rendered {
        var kept: [String] = []
        var yaml = "# Written by alphatrader discover (the parameter-discovery job); read by analytics and\n"
        yaml += "# execution. Regenerated every 15 minutes of the session; edits are overwritten.\n"
        yaml += "generated_at: \"\(TimeFormat.utc(now))\"\nsession: \"\(session)\"\nsymbols:\n"
        var values: [(key: String, json: String)] = []
        for (symbol, p) in zip(result.symbols, result.parameters) {
            var entry: [(String, Any)] = []
            let old = previous[symbol] as? [String: Any] ?? [:]
            func keep(_ key: String) { if let v = old[key] { entry.append((key, v)); if !kept.contains(symbol) { kept.append(symbol) } } }
            if let b = p.vpinBucket { entry.append(("vpin_bucket", Int(b))) } else { keep("vpin_bucket") }
            if !p.clusters.isEmpty {
                entry.append(
                    (
                        "trade_size_clusters",
                        p.clusters.map { ["center": ($0.center * 10).rounded() / 10, "share": ($0.share * 1000).rounded() / 1000] as [String: Any] }
                    ))
            } else {
                keep("trade_size_clusters")
            }
            if let l = p.lookbackBars {
                entry.append(("lookback_bars", l)); entry.append(("lookback_seconds", l * Int(Bar.seconds)))
                entry.append(("significant_lags", p.significantLags))
            } else {
                keep("lookback_bars"); keep("lookback_seconds")
            }
            if let r = p.regime {
                entry.append(("volatility", ["current": round4(r.current), "low": round4(r.low), "high": round4(r.high), "regime": r.name] as [String: Any]))
            } else {
                keep("volatility")
            }
            entry.append(("trades", p.trades)); entry.append(("bars", p.bars))
            yaml += "  \(symbol):\n"
            for (k, v) in entry { yaml += "    \(k): \(DiscoveryJob.flow(v))\n" }
            values.append((DiscoveredParametersDocument.key(symbol), DiscoveryJob.document(entry, now: now).json))
            if !p.makers.isEmpty {
                let makers = p.makers.map { DiscoveryJob.flow(DiscoveryJob.makerValue($0)) }.joined(separator: ",")
                values.append(("discovery:\(symbol):makers", "[" + makers + "]"))
            }
        }
        yaml += "correlation:\n  symbols: \(DiscoveryJob.flow(result.symbols))\n  matrix:\n"
        for row in result.correlation { yaml += "    - \(DiscoveryJob.flow(row.map { $0.map(round4) as Any }))\n" }
        yaml += "market_makers:\n"
        for (symbol, p) in zip(result.symbols, result.parameters) where !p.makers.isEmpty {
            yaml += "  \(symbol):\n"
            for m in p.makers { yaml += "    - \(DiscoveryJob.flow(DiscoveryJob.makerValue(m)))\n" }
        }
        let correlation = CorrelationDocument(
            symbols: result.symbols, matrix: result.correlation.map { $0.map { $0.map(round4) } }, timestamp: now * 1000)
        values.append((CorrelationDocument.key, correlation.json))
        values.append(
            (
                "discovery:updated",
                "{\"timestamp\":\(now * 1000),\"session\":\"\(session)\",\"warnings\":\(result.warnings.count),\"kept\":\(DiscoveryJob.flow(kept))}"
            ))
        return Rendered(yaml: yaml, values: values, kept: kept)
    }

    /// Writes the YAML file (atomically), the Redis keys and, last, the state the result came from.
    public func write(_ result: Result, session: String, redis: RedisClient, state: DiscoveryState? = nil) throws -> (yaml: String, kept: [String]) {
        let rendered = DiscoveryJob.render(result, session: session, previous: previousSymbols(), now: Int64(context.clock.now()))
        var batch = RedisBatch()
        for (key, json) in rendered.values { batch.append("SET", .text(key), .text(json), "EX", "86400") }

        // The state in one key, so that it is read back whole or not at all; after the results, so
        // that a run that dies between the two only makes the next one read a little more.
        if let state {
            batch.append("SET", .text(DiscoveryJob.stateKey), .text(String(decoding: try JSONEncoder().encode(state), as: UTF8.self)), "EX", "86400")
        }

        // The file first (atomically), then Redis: a reader of either never sees half a write.
        let directory = (outputPath as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = outputPath + ".tmp-\(getpid())"
        try Data(rendered.yaml.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, outputPath) == 0 else {
            unlink(temporary)
            throw AlphaContext.Invalid("\(outputPath): cannot rename into place: \(String(cString: strerror(errno)))")
        }
        try redis.send(batch)
        return (rendered.yaml, rendered.kept)
    }

    static func makerValue(_ m: Discovery.MakerProfile) -> [String: Any] {
        [
            "maker": m.maker, "exchanges": m.exchanges, "updates": m.updates, "share": round4(m.share), "top_share": round4(m.topShare),
            "average_size": (m.averageSize).rounded(), "role": m.role,
        ]
    }

    /// A value in YAML flow style, which is also JSON: strings quoted, keys in a stable order,
    /// non-finite numbers (never expected) written as null rather than NaN.
    /// The Redis document of a symbol's entry (the same fields as its YAML, kept ones included),
    /// typed: the analytics and the strategies read it with the same definition.
    static func document(_ entry: [(String, Any)], now: Int64) -> DiscoveredParametersDocument {
        var object: [String: Any] = [:]
        for (k, v) in entry { object[k] = v }
        object["timestamp"] = now * 1000
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return (try? Document.decoder.decode(DiscoveredParametersDocument.self, from: data))
            ?? DiscoveredParametersDocument(trades: object["trades"] as? Int ?? 0, bars: object["bars"] as? Int ?? 0, timestamp: now * 1000)
    }

    static func flow(_ value: Any) -> String {
        switch value {
        case let d as Double where !d.isFinite: return "null"
        case let s as String: return JSONText.string(s)
        case let b as Bool: return b ? "true" : "false"
        case let n as Int: return String(n)
        case let d as Double: return JSONText.number(d)
        case let list as [Any]: return "[" + list.map(flow).joined(separator: ", ") + "]"
        case let map as [String: Any]:
            return "{" + map.keys.sorted().map { "\(JSONText.string($0)): \(flow(map[$0]!))" }.joined(separator: ", ") + "}"
        default:
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .optional, let inner = mirror.children.first { return flow(inner.value) }
            return "null"
        }
    }
}

func round4(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }

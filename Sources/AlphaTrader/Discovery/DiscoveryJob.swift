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

    /// What one symbol's data is, read from Redis (or built in memory by the benchmark).
    public struct SymbolData: Sendable {
        /// Trades by size, the whole session so far.
        public var sizes: [Int: Int] = [:]
        public var bars: [(Int64, Double)] = []
        public var makers: [Discovery.MakerActivity] = []
        public init(sizes: [Int] = [], bars: [(Int64, Double)] = [], makers: [Discovery.MakerActivity] = []) {
            for s in sizes { self.sizes[s, default: 0] += 1 }
            self.bars = bars; self.makers = makers
        }
        public init(sizeCounts: [Int: Int], bars: [(Int64, Double)], makers: [Discovery.MakerActivity] = []) {
            sizes = sizeCounts; self.bars = bars; self.makers = makers
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

    /// The pure part: every symbol's parameters and the correlation matrix.
    public static func compute(symbols: [String], data: [SymbolData]) -> Result {
        var parameters: [SymbolParameters] = []
        for (symbol, d) in zip(symbols, data) {
            var p = SymbolParameters()
            p.trades = d.trades
            p.bars = d.bars.count
            if let clusters = Discovery.sizeClusters(counts: d.sizes) {
                p.clusters = clusters
                p.vpinBucket = Discovery.vpinBucket(clusters)
            } else {
                p.warnings.append("\(symbol): \(d.trades) trades, at least \(Discovery.minimumTrades) are needed for the VPIN bucket; keeping the previous one")
            }
            let returns = Discovery.returns(d.bars.map(\.1))
            if let lookback = Discovery.lookback(returns) {
                p.lookbackBars = lookback.bars; p.significantLags = lookback.significant
            } else {
                p.warnings.append("\(symbol): \(returns.count) bar returns, at least \(Discovery.minimumReturns) are needed for the lookback and the regime; keeping the previous ones")
            }
            p.regime = Discovery.regime(returns)
            p.makers = Discovery.makerProfiles(d.makers)
            parameters.append(p)
        }
        return Result(symbols: symbols, parameters: parameters, correlation: Discovery.correlation(data.map(\.bars)))
    }

    /// Reads each symbol's trade sizes (the session's counts), bars (the day's history) and book activity.
    public func load(_ redis: RedisClient, symbols: [String]) throws(RedisClient.Failure) -> [SymbolData] {
        // One symbol per round trip, not one pipeline for all: a day of bars for twelve symbols
        // in one go would keep Redis (and so the live feed) busy for milliseconds.
        var replies: [RedisReply] = []
        for s in symbols {
            replies += try redis.pipeline([["GET", "market:\(s):sizes"], ["LRANGE", "market:\(s):history", "0", "-1"], ["GET", "market:\(s):makers"]])
        }
        var data: [SymbolData] = []
        for i in symbols.indices {
            var d = SymbolData()
            if let text = replies[3 * i].text, let map = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Int] {
                for (size, count) in map { if let n = Int(size), n > 0, count > 0 { d.sizes[n] = count } }
            }
            if case .array(let rows) = replies[3 * i + 1] {
                d.bars.reserveCapacity(rows.count)
                for row in rows {
                    if let text = row.text, let bar = DiscoveryJob.historyRow(text) { d.bars.append(bar) }
                }
            }
            if let text = replies[3 * i + 2].text, let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] {
                for m in list {
                    if let ex = m["exchange"] as? String, let id = m["maker"] as? String, let u = m["updates"] as? Int,
                       let top = m["top_updates"] as? Int, let size = m["size_sum"] as? Int {
                        d.makers.append(Discovery.MakerActivity(exchange: ex, maker: id, updates: u, topUpdates: top, sizeSum: size))
                    }
                }
            }
            data.append(d)
        }
        return data
    }

    /// One `market:{sym}:history` row, "epoch seconds,close[,volume]": the time and a positive
    /// close, or nil. Read on the string's own bytes (a digit loop, then the options chain's
    /// bounded strtod): a day is 4,680 rows a symbol, and splitting each into substrings cost
    /// more than the discovery itself.
    static func historyRow(_ text: String) -> (Int64, Double)? {
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
    func previousSymbols() -> [String: Any] {
        guard let text = try? String(contentsOfFile: outputPath, encoding: .utf8),
              let root = (try? Yams.load(yaml: text)) as? [String: Any], let symbols = root["symbols"] as? [String: Any] else { return [:] }
        return symbols
    }

    /// Writes the YAML file (atomically) and the Redis keys.
    public func write(_ result: Result, session: String, redis: RedisClient) throws -> (yaml: String, kept: [String]) {
        let previous = previousSymbols()
        let now = Int64(context.clock.now())
        var kept: [String] = []
        var yaml = "# Written by alphatrader discover (the parameter-discovery job); read by analytics and\n"
        yaml += "# execution. Regenerated every 15 minutes of the session; edits are overwritten.\n"
        yaml += "generated_at: \"\(TimeFormat.utc(now))\"\nsession: \"\(session)\"\nsymbols:\n"
        var batch = RedisBatch()
        for (symbol, p) in zip(result.symbols, result.parameters) {
            var entry: [(String, Any)] = []
            let old = previous[symbol] as? [String: Any] ?? [:]
            func keep(_ key: String) { if let v = old[key] { entry.append((key, v)); if !kept.contains(symbol) { kept.append(symbol) } } }
            if let b = p.vpinBucket { entry.append(("vpin_bucket", Int(b))) } else { keep("vpin_bucket") }
            if !p.clusters.isEmpty {
                entry.append(("trade_size_clusters", p.clusters.map { ["center": ($0.center * 10).rounded() / 10, "share": ($0.share * 1000).rounded() / 1000] as [String: Any] }))
            } else { keep("trade_size_clusters") }
            if let l = p.lookbackBars {
                entry.append(("lookback_bars", l)); entry.append(("lookback_seconds", l * Int(Bar.seconds)))
                entry.append(("significant_lags", p.significantLags))
            } else { keep("lookback_bars"); keep("lookback_seconds") }
            if let r = p.regime {
                entry.append(("volatility", ["current": round4(r.current), "low": round4(r.low), "high": round4(r.high), "regime": r.name] as [String: Any]))
            } else { keep("volatility") }
            entry.append(("trades", p.trades)); entry.append(("bars", p.bars))
            yaml += "  \(symbol):\n"
            for (k, v) in entry { yaml += "    \(k): \(DiscoveryJob.flow(v))\n" }
            let json = "{" + entry.map { "\"\($0.0)\":\(DiscoveryJob.flow($0.1))" }.joined(separator: ",") + ",\"timestamp\":\(now * 1000)}"
            batch.append("SET", .text("discovery:\(symbol):params"), .text(json), "EX", "86400")
            if !p.makers.isEmpty {
                let makers = p.makers.map { DiscoveryJob.flow(DiscoveryJob.makerValue($0)) }.joined(separator: ",")
                batch.append("SET", .text("discovery:\(symbol):makers"), .text("[" + makers + "]"), "EX", "86400")
            }
        }
        yaml += "correlation:\n  symbols: \(DiscoveryJob.flow(result.symbols))\n  matrix:\n"
        for row in result.correlation { yaml += "    - \(DiscoveryJob.flow(row.map { $0.map(round4) as Any }))\n" }
        yaml += "market_makers:\n"
        for (symbol, p) in zip(result.symbols, result.parameters) where !p.makers.isEmpty {
            yaml += "  \(symbol):\n"
            for m in p.makers { yaml += "    - \(DiscoveryJob.flow(DiscoveryJob.makerValue(m)))\n" }
        }
        let matrixJSON = "[" + result.correlation.map { row in DiscoveryJob.flow(row.map { $0.map(round4) as Any }) }.joined(separator: ",") + "]"
        batch.append("SET", "discovery:correlation", .text("{\"symbols\":\(DiscoveryJob.flow(result.symbols)),\"matrix\":\(matrixJSON),\"timestamp\":\(now * 1000)}"), "EX", "86400")
        batch.append("SET", "discovery:updated",
                     .text("{\"timestamp\":\(now * 1000),\"session\":\"\(session)\",\"warnings\":\(result.warnings.count),\"kept\":\(DiscoveryJob.flow(kept))}"), "EX", "86400")

        // The file first (atomically), then Redis: a reader of either never sees half a write.
        let directory = (outputPath as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = outputPath + ".tmp-\(getpid())"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, outputPath) == 0 else {
            unlink(temporary)
            throw AlphaContext.Invalid("\(outputPath): cannot rename into place: \(String(cString: strerror(errno)))")
        }
        try redis.send(batch)
        return (yaml, kept)
    }

    static func makerValue(_ m: Discovery.MakerProfile) -> [String: Any] {
        ["maker": m.maker, "exchanges": m.exchanges, "updates": m.updates, "share": round4(m.share), "top_share": round4(m.topShare),
         "average_size": (m.averageSize).rounded(), "role": m.role]
    }

    /// A value in YAML flow style, which is also JSON: strings quoted, keys in a stable order,
    /// non-finite numbers (never expected) written as null rather than NaN.
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

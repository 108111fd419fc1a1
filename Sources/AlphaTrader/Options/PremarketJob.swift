public import Foundation
import OrchestratorCore
public import Redis

/// The `premarket-data` job (`alphatrader premarket`): options chains with greeks, then news
/// sentiment, then technicals, in that order of importance, for the configured symbols; each
/// symbol's keys are written together (MULTI/EXEC) only once its reply was read whole, so a
/// failure never overwrites good data with partial data.
///
/// Keys (SPEC §7; TTLs in market time, divided by the clock's speed): `options:{sym}:chain` and
/// `:greeks` (10 s), `:gex`, `:dex`, `:unusual`, `:flow` (24 h: the analytics service folds them
/// into its state during the session), `sentiment:{sym}:score` and `:articles` (300 s; ETFs have
/// no news), `technicals:{sym}:rsi|macd|bbands|atr` (60 s), and `monitoring:api:av:*`.
public final class PremarketJob {
    public enum Part: String, CaseIterable, Sendable { case options, sentiment, technicals }

    public struct Report: Sendable {
        public var written: [String] = []
        public var failures: [String] = []
        public var invalidRows: [String: Int] = [:]
        public var skippedNews: [String] = []
    }

    /// No news for funds and volatility products.
    public static let etfs: Set<String> = ["SPY", "QQQ", "IWM", "VXX"]
    public static let indicators = ["RSI", "MACD", "BBANDS", "ATR"]

    let context: AlphaContext
    let client: AlphaVantageClient
    let redis: RedisClient

    public init(context: AlphaContext, client: AlphaVantageClient, redis: RedisClient) {
        self.context = context; self.client = client; self.redis = redis
    }

    func ttl(_ marketSeconds: Double) -> String { String(max(1, Int((marketSeconds * 1000 / context.speed).rounded()))) }

    public func run(symbols: [String], parts: Set<Part>) -> Report {
        var report = Report()
        let log = context.log
        let now = Int(context.clock.now() * 1000)
        func record(_ failure: AlphaVantageClient.Failure) {
            report.failures.append(failure.description)
            log("failed", ["function": failure.function, "symbol": failure.symbol, "reason": failure.reason])
        }
        func commit(_ symbol: String, _ commands: [[String]], keys: [String]) {
            do {
                let replies = try redis.pipeline([["MULTI"]] + commands + [["HSET", "monitoring:api:av:freshness"] + keys.flatMap { [$0, String(now)] }, ["EXEC"]])
                if case .error(let message) = replies.last ?? .null { throw RedisClient.Failure(code: .server, description: message) }
                report.written += keys
            } catch {
                report.failures.append("redis \(symbol): \(error)")
                log("redis write failed", ["symbol": symbol, "error": "\(error)"])
            }
        }

        if parts.contains(.options) {
            for symbol in symbols {
                do {
                    let chain = try client.call("REALTIME_OPTIONS", symbol: symbol, parameters: [("symbol", symbol), ("require_greeks", "true")],
                                                priority: .options) { data throws(AlphaVantageReply) in try OptionsChainParser.parse(data, symbol: symbol) }
                    for (why, n) in chain.invalid { report.invalidRows["\(symbol): \(why)", default: 0] += n }
                    guard !chain.contracts.isEmpty else {
                        report.failures.append("REALTIME_OPTIONS \(symbol): no valid contract (\(chain.invalidCount) invalid)")
                        log("no valid contract", ["symbol": symbol, "invalid": String(chain.invalidCount)])
                        continue
                    }
                    let spot = marketSpot(symbol) ?? Exposure.impliedSpot(chain.contracts) ?? 0
                    let exposure = Exposure.compute(chain.contracts, spot: spot)
                    let flow = OptionsFlow.compute(chain.contracts)
                    let base = "options:\(symbol):"
                    var commands: [[String]] = [
                        ["SET", base + "chain", PremarketJob.chainJSON(chain, spot: spot, now: now), "PX", ttl(10)],
                        ["SET", base + "greeks", PremarketJob.greeksJSON(chain, now: now), "PX", ttl(10)],
                        ["SET", base + "gex", PremarketJob.exposureJSON(exposure, gex: true, now: now), "PX", ttl(86_400)],
                        ["SET", base + "dex", PremarketJob.exposureJSON(exposure, gex: false, now: now), "PX", ttl(86_400)],
                        ["SET", base + "unusual", PremarketJob.unusualJSON(flow, now: now), "PX", ttl(86_400)],
                        ["SET", base + "flow", PremarketJob.flowJSON(flow, now: now), "PX", ttl(86_400)],
                    ]
                    let invalidJSON = "{" + chain.invalid.sorted { $0.key < $1.key }.map { "\(JSONText.string($0.key)):\($0.value)" }.joined(separator: ",") + "}"
                    commands.append(["SET", "monitoring:api:av:invalid:\(symbol)", "{\"valid\":\(chain.contracts.count),\"invalid\":\(chain.invalidCount),\"reasons\":\(invalidJSON),\"timestamp\":\(now)}", "EX", "86400"])
                    commit(symbol, commands, keys: ["chain", "greeks", "gex", "dex", "unusual", "flow"].map { base + $0 })
                    log("options", ["symbol": symbol, "contracts": String(chain.contracts.count), "invalid": String(chain.invalidCount),
                                    "spot": String(format: "%.2f", spot), "gex": String(format: "%.3g", exposure.totalGEX),
                                    "flip": exposure.flip.map { String(format: "%.2f", $0) } ?? "none"])
                } catch { record(error) }
            }
        }
        if parts.contains(.sentiment) {
            for symbol in symbols {
                guard !PremarketJob.etfs.contains(symbol) else { report.skippedNews.append(symbol); continue }
                do {
                    let news = try client.call("NEWS_SENTIMENT", symbol: symbol, parameters: [("tickers", symbol), ("limit", "50")],
                                               priority: .sentiment) { data throws(AlphaVantageReply) in try Sentiment.parse(data, ticker: symbol) }
                    let base = "sentiment:\(symbol):"
                    commit(symbol, [["SET", base + "score", news.scoreJSON(now: now), "PX", ttl(300)],
                                    ["SET", base + "articles", news.articlesJSON(), "PX", ttl(300)]],
                           keys: [base + "score", base + "articles"])
                    log("sentiment", ["symbol": symbol, "articles": String(news.articles.count), "score": String(format: "%.3f", news.score)])
                } catch { record(error) }
            }
        }
        if parts.contains(.technicals) {
            for symbol in symbols {
                for function in PremarketJob.indicators {
                    var parameters = [("symbol", symbol), ("interval", "daily")]
                    if function != "MACD" { parameters.append(("time_period", function == "BBANDS" ? "20" : "14")) }
                    if function != "ATR" { parameters.append(("series_type", "close")) }
                    do {
                        let series = try client.call(function, symbol: symbol, parameters: parameters, priority: .technicals) { data throws(AlphaVantageReply) in
                            try Indicator.parse(data, function: function)
                        }
                        let key = "technicals:\(symbol):\(function.lowercased())"
                        commit(symbol, [["SET", key, series.json(symbol: symbol, now: now), "PX", ttl(60)]], keys: [key])
                    } catch { record(error) }
                }
            }
        }
        let stats = client.stats
        let invalidTotal = report.invalidRows.values.reduce(0, +)
        _ = try? redis.command(["SET", "monitoring:api:av:stats",
                                "{\"calls\":\(stats.calls),\"retries\":\(stats.retries),\"rate_limited\":\(stats.rateLimited),\"failures\":\(report.failures.count),\"invalid_rows\":\(invalidTotal),\"keys_written\":\(report.written.count),\"timestamp\":\(now)}",
                                "EX", "86400"])
        return report
    }

    /// The underlying's last trade when ingestion has one (during the session).
    func marketSpot(_ symbol: String) -> Double? {
        guard let text = try? redis.command(["GET", "market:\(symbol):last"]).text,
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let price = object["price"] as? Double, price > 0 else { return nil }
        return price
    }

    // MARK: JSON values

    static func chainJSON(_ chain: OptionsChain, spot: Double, now: Int) -> String {
        var out = "{\"symbol\":\"\(chain.symbol)\",\"spot\":\(JSONText.number(spot)),\"contracts\":["
        out.reserveCapacity(chain.contracts.count * 180)
        for (i, c) in chain.contracts.enumerated() {
            if i > 0 { out += "," }
            out += "[\"\(c.contractID)\",\"\(c.expiration)\",\(JSONText.number(c.strike)),\"\(c.kind.rawValue)\",\(JSONText.number(c.bid)),\(JSONText.number(c.ask)),\(JSONText.number(c.mark)),\(JSONText.number(c.volume)),\(JSONText.number(c.openInterest))]"
        }
        return out + "],\"fields\":[\"contract\",\"expiration\",\"strike\",\"type\",\"bid\",\"ask\",\"mark\",\"volume\",\"open_interest\"],\"timestamp\":\(now)}"
    }

    /// Greeks by expiry, then strike, then type: `{"2026-11-27": {"600": {"call": {...}}}}`.
    static func greeksJSON(_ chain: OptionsChain, now: Int) -> String {
        var byExpiry: [String: [Double: [String: String]]] = [:]
        for c in chain.contracts {
            let g = "{\"iv\":\(JSONText.number(c.iv)),\"delta\":\(JSONText.number(c.delta)),\"gamma\":\(JSONText.number(c.gamma)),\"theta\":\(JSONText.number(c.theta)),\"vega\":\(JSONText.number(c.vega)),\"rho\":\(JSONText.number(c.rho))}"
            byExpiry[c.expiration, default: [:]][c.strike, default: [:]][c.kind.rawValue] = g
        }
        var parts: [String] = []
        for (expiry, strikes) in byExpiry.sorted(by: { $0.key < $1.key }) {
            let inner = strikes.sorted { $0.key < $1.key }.map { strike, kinds in
                "\"\(JSONText.number(strike))\":{" + kinds.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
            }
            parts.append("\"\(expiry)\":{" + inner.joined(separator: ",") + "}")
        }
        return "{\"symbol\":\"\(chain.symbol)\",\"expirations\":{" + parts.joined(separator: ",") + "},\"timestamp\":\(now)}"
    }

    static func exposureJSON(_ e: Exposure, gex: Bool, now: Int) -> String {
        let rows = e.byStrike.map { "[\(JSONText.number($0.strike)),\(JSONText.number((gex ? $0.gex : $0.dex).rounded()))]" }.joined(separator: ",")
        let total = gex ? e.totalGEX : e.totalDEX
        let flip = gex ? ",\"flip\":\(e.flip.map { JSONText.number(($0 * 100).rounded() / 100) } ?? "null")" : ""
        let unit = gex ? "dollars of delta per 1% move (dealers long calls, short puts)" : "dealer dollar delta (long calls, short puts)"
        return "{\"spot\":\(JSONText.number(e.spot)),\"total\":\(JSONText.number(total.rounded()))\(flip),\"unit\":\"\(unit)\",\"by_strike\":[\(rows)],\"timestamp\":\(now)}"
    }

    static func flowJSON(_ f: OptionsFlow, now: Int) -> String {
        func opt(_ x: Double?) -> String { x.map { JSONText.number(($0 * 10_000).rounded() / 10_000) } ?? "null" }
        return "{\"put_call_volume\":\(opt(f.putCallVolume)),\"put_call_open_interest\":\(opt(f.putCallOpenInterest)),\"call_volume\":\(JSONText.number(f.callVolume)),\"put_volume\":\(JSONText.number(f.putVolume)),\"call_premium\":\(JSONText.number(f.callPremium.rounded())),\"put_premium\":\(JSONText.number(f.putPremium.rounded())),\"net_premium\":\(JSONText.number((f.callPremium - f.putPremium).rounded())),\"timestamp\":\(now)}"
    }

    static func unusualJSON(_ f: OptionsFlow, now: Int) -> String {
        let rows = f.unusual.map { u in
            "{\"contract\":\"\(u.contract.contractID)\",\"type\":\"\(u.contract.kind.rawValue)\",\"strike\":\(JSONText.number(u.contract.strike)),\"expiration\":\"\(u.contract.expiration)\",\"volume\":\(JSONText.number(u.contract.volume)),\"open_interest\":\(JSONText.number(u.contract.openInterest)),\"ratio\":\(JSONText.number((u.ratio * 100).rounded() / 100))}"
        }
        return "{\"contracts\":[\(rows.joined(separator: ","))],\"rule\":\"volume >= 2 x open interest and volume >= 100\",\"timestamp\":\(now)}"
    }
}

/// A `NEWS_SENTIMENT` reply for one ticker.
public struct Sentiment: Sendable {
    public struct Article: Sendable {
        public var title: String, url: String, published: String, source: String
        public var topics: [(String, Double)]
        public var overall: Double, overallLabel: String
        public var score: Double, label: String, relevance: Double
    }
    public var ticker: String
    public var articles: [Article]
    /// Relevance-weighted mean of the ticker's scores (0 with no article).
    public var score: Double {
        let w = articles.reduce(0) { $0 + $1.relevance }
        return w > 0 ? articles.reduce(0) { $0 + $1.score * $1.relevance } / w : 0
    }

    public static func parse(_ data: Data, ticker: String) throws(AlphaVantageReply) -> Sentiment {
        let object = try topLevel(data)
        guard let feed = object["feed"] as? [[String: Any]] else { throw .malformed("no \"feed\" array") }
        var articles: [Article] = []
        for (i, item) in feed.enumerated() {
            guard let title = item["title"] as? String, let published = item["time_published"] as? String,
                  let tickers = item["ticker_sentiment"] as? [[String: Any]] else {
                throw .malformed("article #\(i) lacks title, time_published or ticker_sentiment")
            }
            guard let mine = tickers.first(where: { ($0["ticker"] as? String) == ticker }) else { continue }
            guard let score = number(mine["ticker_sentiment_score"]), let relevance = number(mine["relevance_score"]), (-1...1).contains(score) else {
                throw .malformed("article #\(i): the ticker score of \(ticker) is not a number in −1…1")
            }
            let topics = (item["topics"] as? [[String: Any]] ?? []).compactMap { t -> (String, Double)? in
                guard let name = t["topic"] as? String else { return nil }
                return (name, number(t["relevance_score"]) ?? 0)
            }
            articles.append(Article(title: title, url: item["url"] as? String ?? "", published: published, source: item["source"] as? String ?? "",
                                    topics: topics, overall: number(item["overall_sentiment_score"]) ?? 0,
                                    overallLabel: item["overall_sentiment_label"] as? String ?? "",
                                    score: score, label: mine["ticker_sentiment_label"] as? String ?? AlphaVantagePayloads.label(score), relevance: relevance))
        }
        return Sentiment(ticker: ticker, articles: articles)
    }

    func scoreJSON(now: Int) -> String {
        let bullish = articles.filter { $0.score >= 0.15 }.count, bearish = articles.filter { $0.score <= -0.15 }.count
        return "{\"ticker\":\"\(ticker)\",\"score\":\(JSONText.number((score * 10_000).rounded() / 10_000)),\"label\":\"\(AlphaVantagePayloads.label(score))\",\"articles\":\(articles.count),\"bullish\":\(bullish),\"bearish\":\(bearish),\"timestamp\":\(now)}"
    }

    func articlesJSON() -> String {
        "[" + articles.map { a in
            let topics = a.topics.map { "{\"topic\":\(JSONText.string($0.0)),\"relevance\":\(JSONText.number($0.1))}" }.joined(separator: ",")
            return "{\"title\":\(JSONText.string(a.title)),\"url\":\(JSONText.string(a.url)),\"published\":\"\(a.published)\",\"source\":\(JSONText.string(a.source)),\"topics\":[\(topics)],\"overall_score\":\(JSONText.number(a.overall)),\"overall_label\":\(JSONText.string(a.overallLabel)),\"ticker_score\":\(JSONText.number(a.score)),\"ticker_label\":\(JSONText.string(a.label)),\"relevance\":\(JSONText.number(a.relevance))}"
        }.joined(separator: ",") + "]"
    }
}

/// A technical indicator reply: the latest values and the recent series.
public struct Indicator: Sendable {
    public var function: String
    /// Newest first: (date, values by name).
    public var series: [(String, [String: Double])]

    public static func parse(_ data: Data, function: String) throws(AlphaVantageReply) -> Indicator {
        let object = try topLevel(data)
        guard let table = object["Technical Analysis: \(function)"] as? [String: Any] else {
            throw .malformed("no \"Technical Analysis: \(function)\" series")
        }
        var series: [(String, [String: Double])] = []
        for (date, value) in table {
            guard let fields = value as? [String: Any] else { throw .malformed("\(date): not an object of values") }
            var parsed: [String: Double] = [:]
            for (name, v) in fields {
                guard let x = number(v) else { throw .malformed("\(date) \(name): \"\(v)\" is not a number") }
                parsed[name] = x
            }
            series.append((date, parsed))
        }
        guard !series.isEmpty else { throw .malformed("an empty \(function) series") }
        series.sort { $0.0 > $1.0 }
        return Indicator(function: function, series: series)
    }

    func json(symbol: String, now: Int) -> String {
        func values(_ v: [String: Double]) -> String {
            "{" + v.sorted { $0.key < $1.key }.map { "\(JSONText.string($0.key)):\(JSONText.number($0.value))" }.joined(separator: ",") + "}"
        }
        let recent = series.prefix(30).map { "[\"\($0.0)\",\(values($0.1))]" }.joined(separator: ",")
        return "{\"symbol\":\"\(symbol)\",\"indicator\":\"\(function)\",\"date\":\"\(series[0].0)\",\"value\":\(values(series[0].1)),\"recent\":[\(recent)],\"timestamp\":\(now)}"
    }
}

/// The top-level object of a small reply, with Alpha Vantage's in-body replies turned into errors.
func topLevel(_ data: Data) throws(AlphaVantageReply) -> [String: Any] {
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
        throw .malformed(data.isEmpty ? "an empty reply" : "not a JSON object (truncated or not JSON, \(data.count) bytes)")
    }
    if let note = (object["Note"] ?? object["Information"]) as? String { throw .rateLimited(note) }
    if let message = object["Error Message"] as? String { throw .refused(message) }
    return object
}

/// A number, whether Alpha Vantage sent it as a JSON number or as a string.
func number(_ value: Any?) -> Double? {
    if let d = value as? Double { return d.isFinite ? d : nil }
    if let n = value as? Int { return Double(n) }
    if let s = value as? String, let d = Double(s), d.isFinite { return d }
    return nil
}

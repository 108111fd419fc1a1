public import Foundation
public import OrchestratorCore
public import Redis

/// The `premarket-data` job (`alphatrader premarket`): options chains with greeks, then news
/// sentiment, then technicals, in that order of importance, for the configured symbols; each
/// symbol's keys are written together (MULTI/EXEC) only once its reply was read whole, so a
/// failure never overwrites good data with partial data.
///
/// Keys (SPEC §7; TTLs in market time, divided by the clock's speed): `options:{sym}:chain` and
/// `:greeks` (10 s), `:gex`, `:dex`, `:unusual`, `:flow` (24 h: the analytics service folds them
/// into its state during the session), `sentiment:{sym}:score` and `:articles` (24 h: the morning's
/// news is the strategies' sentiment for the day; ETFs have no news), `technicals:{sym}:rsi|macd|bbands|atr` (60 s), and `monitoring:api:av:*`.
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
        let today = ZoneRules.of(context.config.calendar.timeZone).localDate(of: Int64(now / 1000))
        func record(_ failure: AlphaVantageClient.Failure) {
            report.failures.append(failure.description)
            log("failed", ["function": failure.function, "symbol": failure.symbol, "reason": failure.reason])
        }
        func commit(_ symbol: String, _ commands: [[String]], keys: [String]) {
            do {
                let replies = try redis.pipeline(
                    [["MULTI"]] + commands + [["HSET", "monitoring:api:av:freshness"] + keys.flatMap { [$0, String(now)] }, ["EXEC"]])
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
                    let chain = try client.call(
                        "REALTIME_OPTIONS", symbol: symbol, parameters: [("symbol", symbol), ("require_greeks", "true")],
                        priority: .options
                    ) { data throws(AlphaVantageReply) in try OptionsChainParser.parse(data, symbol: symbol) }
                    for (why, n) in chain.invalid { report.invalidRows["\(symbol): \(why)", default: 0] += n }
                    guard !chain.contracts.isEmpty else {
                        report.failures.append("REALTIME_OPTIONS \(symbol): no valid contract (\(chain.invalidCount) invalid)")
                        log("no valid contract", ["symbol": symbol, "invalid": String(chain.invalidCount)])
                        continue
                    }
                    let spot = marketSpot(symbol) ?? Exposure.impliedSpot(chain.contracts) ?? 0
                    let (values, exposure) = PremarketJob.optionsValues(chain, symbol: symbol, spot: spot, today: today, now: now)
                    let base = "options:\(symbol):"
                    var commands = values.map { ["SET", $0.key, $0.json, "PX", ttl($0.lifetime)] }
                    let invalidJSON =
                        "{" + chain.invalid.sorted { $0.key < $1.key }.map { "\(JSONText.string($0.key)):\($0.value)" }.joined(separator: ",") + "}"
                    commands.append([
                        "SET", "monitoring:api:av:invalid:\(symbol)",
                        "{\"valid\":\(chain.contracts.count),\"invalid\":\(chain.invalidCount),\"reasons\":\(invalidJSON),\"timestamp\":\(now)}", "EX", "86400",
                    ])
                    commit(symbol, commands, keys: ["chain", "greeks", "gex", "dex", "unusual", "flow", "gamma_model"].map { base + $0 })
                    log(
                        "options",
                        [
                            "symbol": symbol, "contracts": String(chain.contracts.count), "invalid": String(chain.invalidCount),
                            "spot": String(format: "%.2f", spot), "gex": String(format: "%.3g", exposure.totalGEX),
                            "flip": exposure.flip.map { String(format: "%.2f", $0) } ?? "none",
                        ])
                } catch { record(error) }
            }
        }
        if parts.contains(.sentiment) {
            for symbol in symbols {
                guard !PremarketJob.etfs.contains(symbol) else { report.skippedNews.append(symbol); continue }
                do {
                    let news = try client.call(
                        "NEWS_SENTIMENT", symbol: symbol, parameters: [("tickers", symbol), ("limit", "50")],
                        priority: .sentiment
                    ) { data throws(AlphaVantageReply) in try Sentiment.parse(data, ticker: symbol) }
                    let base = "sentiment:\(symbol):"
                    commit(
                        symbol,
                        [
                            ["SET", base + "score", news.scoreJSON(now: now), "PX", ttl(86_400)],
                            ["SET", base + "articles", news.articlesJSON(), "PX", ttl(86_400)],
                        ],
                        keys: [base + "score", base + "articles"])
                    log("sentiment", ["symbol": symbol, "articles": String(news.articles.count), "score": String(format: "%.3f", news.score)])
                } catch { record(error) }
            }
        }
        if parts.contains(.technicals) {
            for symbol in symbols {
                do {
                    var day = try client.call("GLOBAL_QUOTE", symbol: symbol, parameters: [("symbol", symbol)], priority: .technicals) {
                        data throws(AlphaVantageReply) in try PriorDay.parse(data, symbol: symbol)
                    }.document
                    day.timestamp = Int64(now)
                    commit(symbol, [["SET", PriorDay.key(symbol), day.json, "PX", ttl(86_400)]], keys: [PriorDay.key(symbol)])
                } catch { record(error) }
                for function in PremarketJob.indicators {
                    var parameters = [("symbol", symbol), ("interval", "daily")]
                    if function != "MACD" { parameters.append(("time_period", function == "BBANDS" ? "20" : "14")) }
                    if function != "ATR" { parameters.append(("series_type", "close")) }
                    do {
                        let series = try client.call(function, symbol: symbol, parameters: parameters, priority: .technicals) {
                            data throws(AlphaVantageReply) in
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
        _ = try? redis.command([
            "SET", "monitoring:api:av:stats",
            "{\"calls\":\(stats.calls),\"retries\":\(stats.retries),\"rate_limited\":\(stats.rateLimited),\"failures\":\(report.failures.count),\"invalid_rows\":\(invalidTotal),\"keys_written\":\(report.written.count),\"timestamp\":\(now)}",
            "EX", "86400",
        ])
        return report
    }

    /// The options part's values for one symbol's chain, read with the underlying at `spot`:
    /// each key with its JSON and the market seconds it lives — and the dealers' exposure.
    public static func optionsValues(
        _ chain: OptionsChain, symbol: String, spot: Double, today: LocalDate, now: Int
    ) -> (values: [(key: String, json: String, lifetime: Double)], exposure: Exposure) {
        let exposure = Exposure.compute(chain.contracts, spot: spot)
        let flow = OptionsFlow.compute(chain.contracts)
        let base = "options:\(symbol):"
        let values: [(key: String, json: String, lifetime: Double)] = [
            (base + "chain", PremarketJob.chainJSON(chain, spot: spot, now: now), 10),
            (base + "greeks", PremarketJob.greeksJSON(chain, now: now), 10),
            (base + "gex", PremarketJob.exposureJSON(exposure, gex: true, now: now), 86_400),
            (base + "dex", PremarketJob.exposureJSON(exposure, gex: false, now: now), 86_400),
            (base + "unusual", PremarketJob.unusualJSON(flow, now: now), 86_400),
            (base + "flow", PremarketJob.flowJSON(flow, now: now), 86_400),
            (GammaModelDocument.key(symbol), GammaModel.document(chain.contracts, spot: spot, today: today, timestamp: Int64(now)).json, 86_400),
        ]
        return (values, exposure)
    }

    /// The underlying's last trade when ingestion has one (during the session).
    func marketSpot(_ symbol: String) -> Double? {
        guard let last = LastTradeDocument.read(try? redis.command(["GET", LastTradeDocument.key(symbol)]).text), last.price > 0 else { return nil }
        return last.price
    }

    // MARK: JSON values

    static func chainJSON(_ chain: OptionsChain, spot: Double, now: Int) -> String {
        var out = "{\"symbol\":\"\(chain.symbol)\",\"spot\":\(JSONText.number(spot)),\"contracts\":["
        out.reserveCapacity(chain.contracts.count * 180)
        for (i, c) in chain.contracts.enumerated() {
            if i > 0 { out += "," }
            out +=
                "[\"\(c.contractID)\",\"\(c.expiration)\",\(JSONText.number(c.strike)),\"\(c.kind.rawValue)\",\(JSONText.number(c.bid)),\(JSONText.number(c.ask)),\(JSONText.number(c.mark)),\(JSONText.number(c.volume)),\(JSONText.number(c.openInterest))]"
        }
        return out
            + "],\"fields\":[\"contract\",\"expiration\",\"strike\",\"type\",\"bid\",\"ask\",\"mark\",\"volume\",\"open_interest\"],\"timestamp\":\(now)}"
    }

    /// Greeks by expiry, then strike, then type: `{"2026-11-27": {"600": {"call": {...}}}}`.
    static func greeksJSON(_ chain: OptionsChain, now: Int) -> String {
        var byExpiry: [String: [Double: [String: String]]] = [:]
        for c in chain.contracts {
            let g =
                "{\"iv\":\(JSONText.number(c.iv)),\"delta\":\(JSONText.number(c.delta)),\"gamma\":\(JSONText.number(c.gamma)),\"theta\":\(JSONText.number(c.theta)),\"vega\":\(JSONText.number(c.vega)),\"rho\":\(JSONText.number(c.rho))}"
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
        ExposureDocument(e, gamma: gex, timestamp: Int64(now)).json(gamma: gex)
    }

    static func flowJSON(_ f: OptionsFlow, now: Int) -> String {
        func r4(_ x: Double?) -> Double? { x.map { ($0 * 10_000).rounded() / 10_000 } }
        return OptionsFlowDocument(
            putCallVolume: r4(f.putCallVolume), putCallOpenInterest: r4(f.putCallOpenInterest), callVolume: f.callVolume, putVolume: f.putVolume,
            callPremium: f.callPremium.rounded(), putPremium: f.putPremium.rounded(), timestamp: Int64(now)
        ).json
    }

    static func unusualJSON(_ f: OptionsFlow, now: Int) -> String {
        UnusualActivityDocument(
            contracts: f.unusual.map { u in
                let price = u.contract.mark > 0 ? u.contract.mark : u.contract.last
                return .init(
                    contract: u.contract.contractID, type: u.contract.kind.rawValue, strike: u.contract.strike, expiration: u.contract.expiration,
                    volume: u.contract.volume, openInterest: u.contract.openInterest, ratio: (u.ratio * 100).rounded() / 100,
                    premium: (u.contract.volume * price * 100).rounded())
            }, rule: "volume >= 2 x open interest and volume >= 100", timestamp: Int64(now)
        ).json
    }
}

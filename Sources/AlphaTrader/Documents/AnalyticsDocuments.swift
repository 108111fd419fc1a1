import Foundation

/// `analytics:{sym}:vpin`: the volume-synchronized probability of informed trading (analytics;
/// read by the strategies and the risk breakers). `value` is nil until enough buckets have filled.
public struct VPINDocument: RedisDocument, Equatable {
    public var value: Double?
    public var buckets: Int
    public var bucketVolume: Double
    public var window: Int
    public var trades: Int
    /// Milliseconds since the epoch, market time.
    public var timestamp: Int64

    public init(value: Double?, buckets: Int, bucketVolume: Double, window: Int, trades: Int, timestamp: Int64) {
        self.value = value; self.buckets = buckets; self.bucketVolume = bucketVolume; self.window = window; self.trades = trades
        self.timestamp = timestamp
    }

    public static func key(_ symbol: String) -> String { "analytics:\(symbol):vpin" }

    public var json: String {
        "{\"value\":\(value.map(JSONText.number) ?? "null"),\"buckets\":\(buckets),\"bucket_volume\":\(JSONText.number(bucketVolume)),\"window\":\(window),\"trades\":\(trades),\"timestamp\":\(timestamp)}"
    }
}

/// `analytics:{sym}:obi`: the order-book imbalance, −1 (offers) … +1 (bids), with the sizes.
public struct ImbalanceDocument: RedisDocument, Equatable {
    public var value: Double
    public var bid: Double
    public var ask: Double
    public var timestamp: Int64

    public init(value: Double, bid: Double, ask: Double, timestamp: Int64) {
        self.value = value; self.bid = bid; self.ask = ask; self.timestamp = timestamp
    }

    public static func key(_ symbol: String) -> String { "analytics:\(symbol):obi" }

    public var json: String {
        "{\"value\":\(JSONText.number(value)),\"bid\":\(JSONText.number(bid)),\"ask\":\(JSONText.number(ask)),\"timestamp\":\(timestamp)}"
    }
}

/// `options:{sym}:flow`: the chain's volume and premium by side (the premarket job).
public struct OptionsFlowDocument: RedisDocument, Equatable {
    public var putCallVolume: Double?
    public var putCallOpenInterest: Double?
    public var callVolume: Double
    public var putVolume: Double
    public var callPremium: Double
    public var putPremium: Double
    public var netPremium: Double
    /// Seconds since the epoch.
    public var timestamp: Int64

    public init(
        putCallVolume: Double?, putCallOpenInterest: Double?, callVolume: Double, putVolume: Double, callPremium: Double, putPremium: Double,
        timestamp: Int64
    ) {
        self.putCallVolume = putCallVolume; self.putCallOpenInterest = putCallOpenInterest; self.callVolume = callVolume
        self.putVolume = putVolume; self.callPremium = callPremium; self.putPremium = putPremium
        netPremium = callPremium - putPremium; self.timestamp = timestamp
    }

    public static func key(_ symbol: String) -> String { "options:\(symbol):flow" }

    /// Net premium over all premium, −1 (puts) … +1 (calls); nil with no premium.
    public var tilt: Double? {
        let total = callPremium + putPremium
        return total > 0 ? netPremium / total : nil
    }

    public var json: String {
        func opt(_ x: Double?) -> String { x.map(JSONText.number) ?? "null" }
        return
            "{\"put_call_volume\":\(opt(putCallVolume)),\"put_call_open_interest\":\(opt(putCallOpenInterest)),\"call_volume\":\(JSONText.number(callVolume)),\"put_volume\":\(JSONText.number(putVolume)),\"call_premium\":\(JSONText.number(callPremium)),\"put_premium\":\(JSONText.number(putPremium)),\"net_premium\":\(JSONText.number(netPremium)),\"timestamp\":\(timestamp)}"
    }
}

/// `options:{sym}:unusual`: contracts trading far above their open interest (the premarket job).
public struct UnusualActivityDocument: RedisDocument, Equatable {
    public struct Contract: Codable, Sendable, Equatable {
        public var contract: String
        /// "call" or "put".
        public var type: String
        public var strike: Double
        public var expiration: String
        public var volume: Double
        public var openInterest: Double
        public var ratio: Double
        /// Volume × price × 100, dollars.
        public var premium: Double

        public init(contract: String, type: String, strike: Double, expiration: String, volume: Double, openInterest: Double, ratio: Double, premium: Double) {
            self.contract = contract; self.type = type; self.strike = strike; self.expiration = expiration; self.volume = volume
            self.openInterest = openInterest; self.ratio = ratio; self.premium = premium
        }
    }

    public var contracts: [Contract]
    public var rule: String
    public var timestamp: Int64

    public init(contracts: [Contract], rule: String, timestamp: Int64) { self.contracts = contracts; self.rule = rule; self.timestamp = timestamp }

    public static func key(_ symbol: String) -> String { "options:\(symbol):unusual" }

    public var json: String {
        let rows = contracts.map { u in
            "{\"contract\":\(JSONText.string(u.contract)),\"type\":\(JSONText.string(u.type)),\"strike\":\(JSONText.number(u.strike)),\"expiration\":\(JSONText.string(u.expiration)),\"volume\":\(JSONText.number(u.volume)),\"open_interest\":\(JSONText.number(u.openInterest)),\"ratio\":\(JSONText.number(u.ratio)),\"premium\":\(JSONText.number(u.premium))}"
        }
        return "{\"contracts\":[\(rows.joined(separator: ","))],\"rule\":\(JSONText.string(rule)),\"timestamp\":\(timestamp)}"
    }
}

/// `sentiment:{sym}:score`: the news sentiment (the premarket job).
public struct SentimentDocument: RedisDocument, Equatable {
    public var ticker: String
    /// −1 … +1.
    public var score: Double
    public var label: String
    public var articles: Int
    public var bullish: Int
    public var bearish: Int
    public var timestamp: Int64

    public init(ticker: String, score: Double, label: String, articles: Int, bullish: Int, bearish: Int, timestamp: Int64) {
        self.ticker = ticker; self.score = score; self.label = label; self.articles = articles; self.bullish = bullish; self.bearish = bearish
        self.timestamp = timestamp
    }

    public static func key(_ symbol: String) -> String { "sentiment:\(symbol):score" }

    public var json: String {
        "{\"ticker\":\(JSONText.string(ticker)),\"score\":\(JSONText.number(score)),\"label\":\(JSONText.string(label)),\"articles\":\(articles),\"bullish\":\(bullish),\"bearish\":\(bearish),\"timestamp\":\(timestamp)}"
    }
}

/// `analytics:{sym}:sweeps`: the day's sweeps (orders taking several levels or exchanges at
/// once) counted by analytics, with the last one.
public struct SweepsDocument: RedisDocument, Equatable {
    public struct Sweep: Codable, Sendable, Equatable {
        /// "buy" or "sell".
        public var side: String
        public var levels: Int
        public var exchanges: Int
        public var size: Int
        public var timestamp: Int64
        public init(side: String, levels: Int, exchanges: Int, size: Int, timestamp: Int64) {
            self.side = side; self.levels = levels; self.exchanges = exchanges; self.size = size; self.timestamp = timestamp
        }
    }

    public var count: Int
    public var last: Sweep?
    public var timestamp: Int64

    public init(count: Int, last: Sweep?, timestamp: Int64) { self.count = count; self.last = last; self.timestamp = timestamp }

    public static func key(_ symbol: String) -> String { "analytics:\(symbol):sweeps" }

    public var json: String {
        let last =
            self.last.map {
                "{\"side\":\(JSONText.string($0.side)),\"levels\":\($0.levels),\"exchanges\":\($0.exchanges),\"size\":\($0.size),\"timestamp\":\($0.timestamp)}"
            } ?? "null"
        return "{\"count\":\(count),\"last\":\(last),\"timestamp\":\(timestamp)}"
    }
}

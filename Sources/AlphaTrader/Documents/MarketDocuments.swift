import Foundation

/// `market:{sym}:ticker`: the symbol's quote and day so far (ingestion; read by the analytics,
/// the strategies and the dashboard).
public struct TickerDocument: RedisDocument, Equatable {
    public var symbol: String
    public var bid: Double
    public var ask: Double
    public var bidSize: Int
    public var askSize: Int
    public var last: Double
    public var open: Double
    public var high: Double
    public var low: Double
    public var volume: Int
    public var vwap: Double
    /// The volume-weighted standard deviation of the day's prices about the VWAP (its bands);
    /// nil in tickers written before it was kept.
    public var vwapSd: Double?
    public var trades: Int
    /// Milliseconds since the epoch, market time.
    public var timestamp: Int64

    public init(
        symbol: String, bid: Double, ask: Double, bidSize: Int, askSize: Int, last: Double, open: Double, high: Double, low: Double,
        volume: Int, vwap: Double, vwapSd: Double? = nil, trades: Int, timestamp: Int64
    ) {
        self.vwapSd = vwapSd
        self.symbol = symbol; self.bid = bid; self.ask = ask; self.bidSize = bidSize; self.askSize = askSize; self.last = last
        self.open = open; self.high = high; self.low = low; self.volume = volume; self.vwap = vwap; self.trades = trades
        self.timestamp = timestamp
    }

    public static func key(_ symbol: String) -> String { "market:\(symbol):ticker" }

    public var json: String {
        "{\"symbol\":\(JSONText.string(symbol)),\"bid\":\(JSONText.number(bid)),\"ask\":\(JSONText.number(ask)),\"bid_size\":\(bidSize),\"ask_size\":\(askSize),\"last\":\(JSONText.number(last)),\"open\":\(JSONText.number(open)),\"high\":\(JSONText.number(high)),\"low\":\(JSONText.number(low)),\"volume\":\(volume),\"vwap\":\(JSONText.number(vwap)),\(vwapSd.map { "\"vwap_sd\":\(JSONText.number($0))," } ?? "")\"trades\":\(trades),\"timestamp\":\(timestamp)}"
    }
}

/// `market:{sym}:last`: the last trade (ingestion; read by the premarket job for the spot).
public struct LastTradeDocument: RedisDocument, Equatable {
    public var price: Double
    public var size: Int
    public var exchange: String
    /// Milliseconds since the epoch, market time.
    public var timestamp: Int64

    public init(price: Double, size: Int, exchange: String, timestamp: Int64) {
        self.price = price; self.size = size; self.exchange = exchange; self.timestamp = timestamp
    }

    public static func key(_ symbol: String) -> String { "market:\(symbol):last" }

    public var json: String {
        "{\"price\":\(JSONText.number(price)),\"size\":\(size),\"exchange\":\(JSONText.string(exchange)),\"timestamp\":\(timestamp)}"
    }
}

/// `market:{sym}:sizes`: the day's trades counted by size (ingestion; read by discovery for the
/// trade-size clusters). JSON: {"100": 5210, "200": 1984, …}.
public struct TradeSizesDocument: RedisDocument, Equatable {
    public var counts: [Int: Int]

    public init(counts: [Int: Int]) { self.counts = counts }

    public static func key(_ symbol: String) -> String { "market:\(symbol):sizes" }

    public var json: String {
        "{" + counts.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
    }

    public init(from decoder: any Decoder) throws {
        let raw = try [String: Int](from: decoder)
        var counts: [Int: Int] = [:]
        for (size, count) in raw {
            guard let n = Int(size), n > 0, count >= 0 else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "size \(size): \(count) is not a size and a count"))
            }
            counts[n] = count
        }
        self.counts = counts
    }

    public func encode(to encoder: any Encoder) throws {
        try Dictionary(uniqueKeysWithValues: counts.map { (String($0.key), $0.value) }).encode(to: encoder)
    }
}

/// `market:{sym}:makers`: each market maker's activity on the symbol's books (ingestion; read
/// by discovery). JSON: a list of {"exchange", "maker", "updates", "top_updates", "size_sum"}.
public struct MakerActivityDocument: RedisDocument, Equatable {
    public struct Maker: Codable, Sendable, Equatable {
        public var exchange: String
        public var maker: String
        public var updates: Int
        public var topUpdates: Int
        public var sizeSum: Int

        public init(exchange: String, maker: String, updates: Int, topUpdates: Int, sizeSum: Int) {
            self.exchange = exchange; self.maker = maker; self.updates = updates; self.topUpdates = topUpdates; self.sizeSum = sizeSum
        }
    }

    public var makers: [Maker]

    public init(makers: [Maker]) { self.makers = makers }

    public static func key(_ symbol: String) -> String { "market:\(symbol):makers" }

    public var json: String {
        "["
            + makers.map {
                "{\"exchange\":\(JSONText.string($0.exchange)),\"maker\":\(JSONText.string($0.maker)),\"updates\":\($0.updates),\"top_updates\":\($0.topUpdates),\"size_sum\":\($0.sizeSum)}"
            }.joined(separator: ",") + "]"
    }

    public init(from decoder: any Decoder) throws { makers = try [Maker](from: decoder) }
    public func encode(to encoder: any Encoder) throws { try makers.encode(to: encoder) }
}

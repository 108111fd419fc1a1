import Foundation

/// `discovery:{sym}:params`: what parameter discovery found for a symbol (the
/// parameter-discovery job; read by the analytics for the VPIN bucket, and by the strategies).
/// A field is absent when the day has been too thin to find it and no earlier run had.
public struct DiscoveredParametersDocument: RedisDocument, Equatable {
    public struct Cluster: Codable, Sendable, Equatable {
        public var center: Double
        public var share: Double
        public init(center: Double, share: Double) { self.center = center; self.share = share }
    }

    public struct Volatility: Codable, Sendable, Equatable {
        public var current: Double
        public var low: Double
        public var high: Double
        public var regime: String
        public init(current: Double, low: Double, high: Double, regime: String) {
            self.current = current; self.low = low; self.high = high; self.regime = regime
        }
    }

    /// Shares per VPIN bucket.
    public var vpinBucket: Int?
    public var tradeSizeClusters: [Cluster]?
    public var lookbackBars: Int?
    public var lookbackSeconds: Int?
    public var significantLags: [Int]?
    public var volatility: Volatility?
    public var trades: Int
    public var bars: Int
    /// Milliseconds since the epoch; absent in the YAML file's entries.
    public var timestamp: Int64?

    public init(trades: Int, bars: Int, timestamp: Int64?) { self.trades = trades; self.bars = bars; self.timestamp = timestamp }

    public static func key(_ symbol: String) -> String { "discovery:\(symbol):params" }

    public var json: String { Document.encode(self) }
}

/// `discovery:correlation`: the correlations of the symbols' returns the discovery job found
/// (null where a pair had too little data); read by the risk manager.
public struct CorrelationDocument: RedisDocument, Equatable {
    public var symbols: [String]
    public var matrix: [[Double?]]
    /// Milliseconds since the epoch.
    public var timestamp: Int64

    public init(symbols: [String], matrix: [[Double?]], timestamp: Int64) { self.symbols = symbols; self.matrix = matrix; self.timestamp = timestamp }

    public static let key = "discovery:correlation"

    /// Symbol → symbol → correlation, for every pair with one (a symbol with itself left out).
    public var pairs: [String: [String: Double]] {
        var pairs: [String: [String: Double]] = [:]
        for (i, row) in matrix.enumerated() where i < symbols.count {
            for (j, value) in row.enumerated() where j < symbols.count && i != j {
                if let rho = value { pairs[symbols[i], default: [:]][symbols[j]] = rho }
            }
        }
        return pairs
    }

    public var json: String { Document.encode(self) }
}

import Foundation

/// What a tape holds, written as JSON after the magic.
public struct TapeHeader: Codable, Equatable, Sendable {
    public var format: String = "alphatrader-tape"
    public var version: Int = 1
    public var date: String
    public var seed: UInt64
    public var symbols: [String]
    /// How many of `symbols` (from the start) carry level-2 depth.
    public var level2Count: Int
    public var exchanges: [String]
    public var marketMakers: [String]
    /// Session open and close, epoch seconds (the early close when there is one).
    public var open: Int64
    public var close: Int64
    /// The span the tape covers, epoch seconds (a partial tape covers less than the session).
    public var from: Int64
    public var to: Int64

    public init(
        date: String, seed: UInt64, symbols: [String], level2Count: Int, exchanges: [String], marketMakers: [String],
        open: Int64, close: Int64, from: Int64, to: Int64
    ) {
        self.date = date; self.seed = seed; self.symbols = symbols; self.level2Count = level2Count
        self.exchanges = exchanges; self.marketMakers = marketMakers
        self.open = open; self.close = close; self.from = from; self.to = to
    }

    enum CodingKeys: String, CodingKey {
        case format, version, date, seed, symbols, exchanges, open, close, from, to
        case level2Count = "level2_count", marketMakers = "market_makers"
    }
}

public import Foundation

/// The replay tape's file format, version 1 (documented in the README, "The replay tape").
///
/// ```
/// magic      8 bytes  "ATTAPE01"
/// length     u32 LE   size of the header that follows
/// header     JSON     TapeHeader: date, seed, symbols, exchanges, market makers, session
/// records    …        one byte of kind, then a fixed little-endian payload per kind
/// end        0xFF     record count u64, FNV-1a 64 checksum of every record byte u64
/// ```
///
/// Record payloads (after the kind byte; time is market-time epoch microseconds, i64):
/// - `0x01` trade (22 bytes): time, symbol u8, exchange u8, price f64, size u32
/// - `0x02` quote (33 bytes): time, symbol u8, bid f64, ask f64, bid size u32, ask size u32
/// - `0x03` depth (27 bytes): time, symbol u8, exchange u8, market maker u16, position u8,
///   operation u8 (0 insert, 1 update, 2 delete), side u8 (0 ask, 1 bid), price f64, size u32
/// - `0x04` bar (61 bytes): time (bar close), symbol u8, open, high, low, close f64, volume u64,
///   wap f64, count u32
///
/// Records are in time order. The end record makes truncation at a record boundary detectable,
/// and the checksum catches flipped bytes.
public enum TapeFormat {
    public static let magic: [UInt8] = Array("ATTAPE01".utf8)
    public enum Kind: UInt8, Sendable {
        case trade = 0x01, quote = 0x02, depth = 0x03, bar = 0x04, end = 0xFF
        /// Payload bytes after the kind byte.
        public var payloadSize: Int {
            switch self {
            case .trade: return 22
            case .quote: return 33
            case .depth: return 27
            case .bar: return 61
            case .end: return 16
            }
        }
        var name: String {
            switch self {
            case .trade: return "trade"
            case .quote: return "quote"
            case .depth: return "depth"
            case .bar: return "bar"
            case .end: return "end"
            }
        }
    }
    /// The four exchanges whose books the level-2 symbols carry.
    public static let exchanges = ["ARCA", "BATS", "ISLAND", "IEX"]

    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x100_0000_01b3
}

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

    public init(date: String, seed: UInt64, symbols: [String], level2Count: Int, exchanges: [String], marketMakers: [String],
                open: Int64, close: Int64, from: Int64, to: Int64) {
        self.date = date; self.seed = seed; self.symbols = symbols; self.level2Count = level2Count
        self.exchanges = exchanges; self.marketMakers = marketMakers
        self.open = open; self.close = close; self.from = from; self.to = to
    }

    enum CodingKeys: String, CodingKey {
        case format, version, date, seed, symbols, exchanges, open, close, from, to
        case level2Count = "level2_count", marketMakers = "market_makers"
    }
}

/// A tape that cannot be read: where, and why.
public struct TapeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    /// Byte offset of the problem, when there is one.
    public let offset: Int?
    public let reason: String
    public init(path: String, offset: Int?, reason: String) { self.path = path; self.offset = offset; self.reason = reason }
    public var description: String {
        if let offset { return "tape \(path): at byte \(offset): \(reason)" }
        return "tape \(path): \(reason)"
    }
}

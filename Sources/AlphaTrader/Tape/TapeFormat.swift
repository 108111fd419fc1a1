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

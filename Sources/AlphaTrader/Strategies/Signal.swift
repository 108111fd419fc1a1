import Foundation

/// A strategy's decision to trade (SPEC §10): what, which way, at what price, with what exits,
/// how sure, and why — in figures (`features`) and in words (`reason`).
public struct Signal: RedisDocument, Equatable {
    public enum Direction: String, Codable, Sendable { case long, short }

    /// The instrument as SPEC §10 writes it: an option (expiry YYYYMMDD, strike, right C|P) or a stock.
    public struct InstrumentRef: Codable, Sendable, Equatable {
        public var type: String
        public var expiry: String?
        public var strike: Double?
        public var right: String?

        public init(_ instrument: Instrument) {
            switch instrument {
            case .stock: type = "stock"
            case .option(_, let expiry, let strike, let right):
                type = "option"; self.expiry = expiry; self.strike = strike; self.right = right.rawValue
            }
        }
    }

    public var id: String
    /// Seconds since the epoch.
    public var time: Double
    public var strategy: String
    public var symbol: String
    public var direction: Direction
    public var instrument: InstrumentRef
    public var entry: Double
    public var stop: Double
    public var targets: [Double]
    public var confidence: Double
    public var features: [String: Double]
    public var reason: String

    public init(
        time: Double, strategy: String, symbol: String, direction: Direction, instrument: Instrument, entry: Double, stop: Double,
        targets: [Double], confidence: Double, features: [String: Double], reason: String
    ) {
        id = "\(strategy)-\(symbol)-\(Int64(time))"
        self.time = time; self.strategy = strategy; self.symbol = symbol; self.direction = direction
        self.instrument = InstrumentRef(instrument); self.entry = entry; self.stop = stop; self.targets = targets
        self.confidence = confidence; self.features = features; self.reason = reason
    }

    /// The instrument back as the order path's.
    public var tradable: Instrument {
        if instrument.type == "option", let expiry = instrument.expiry, let strike = instrument.strike,
            let right = instrument.right.flatMap(Instrument.OptionRight.init)
        {
            return .option(symbol: symbol, expiry: expiry, strike: strike, right: right)
        }
        return .stock(symbol: symbol)
    }

    /// How the signal is entered: an option is bought whichever way the signal points (a put
    /// for short); a short in stock is sold.
    public var entryAction: OrderRequest.Action { Signal.entryAction(tradable, direction) }

    public static func entryAction(_ instrument: Instrument, _ direction: Direction) -> OrderRequest.Action {
        instrument.isOption || direction == .long ? .buy : .sell
    }

    public static func latestKey(_ strategy: String) -> String { "signals:\(strategy):latest" }
    public static let stream = "signals:stream"

    public var json: String { Document.encode(self) }
}

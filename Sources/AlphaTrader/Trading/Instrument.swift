/// What an order trades: a stock or ETF, or a listed equity option on one (SPEC §10's
/// `instrument`). The same value names a contract to the broker, keys a position in the journal
/// and is written into signals.
public enum Instrument: Hashable, Sendable, Codable, CustomStringConvertible {
    case stock(symbol: String)
    /// `expiry` is the last trading day, YYYYMMDD as TWS writes `lastTradeDateOrContractMonth`.
    case option(symbol: String, expiry: String, strike: Double, right: OptionRight)

    public enum OptionRight: String, Sendable, Codable {
        case call = "C", put = "P"
    }

    public var symbol: String {
        switch self {
        case .stock(let s), .option(let s, _, _, _): return s
        }
    }

    /// Units of the underlying per unit of quantity: 100 shares an option contract.
    public var multiplier: Double {
        if case .option = self { return 100 }
        return 1
    }

    public var isOption: Bool {
        if case .option = self { return true }
        return false
    }

    /// TWS's `secType`.
    public var securityType: String { isOption ? "OPT" : "STK" }

    /// `SPY`, or the OCC-style `SPY 20261207 C 600`.
    public var description: String {
        switch self {
        case .stock(let s): return s
        case .option(let s, let expiry, let strike, let right):
            return "\(s) \(expiry) \(right.rawValue) \(TickSize.text(strike))"
        }
    }

    /// The instrument `description` wrote ("SPY", "SPY 20261125 C 600"); nil for anything else.
    public init?(description text: String) {
        let parts = text.split(separator: " ").map(String.init)
        if parts.count == 1, !parts[0].isEmpty {
            self = .stock(symbol: parts[0])
            return
        }
        guard parts.count == 4, parts[1].count == 8, let right = OptionRight(rawValue: parts[2]), let strike = Double(parts[3]), strike > 0 else {
            return nil
        }
        self = .option(symbol: parts[0], expiry: parts[1], strike: strike, right: right)
    }

    /// The value at expiry per unit of the underlying: what an option settles at.
    public func intrinsicValue(underlying price: Double) -> Double {
        switch self {
        case .stock: return price
        case .option(_, _, let strike, .call): return max(0, price - strike)
        case .option(_, _, let strike, .put): return max(0, strike - price)
        }
    }
}

public import AlphaTrader
import Foundation
public import OrchestratorCore

/// The option contracts the paper broker lists, and their model quotes: expirations every
/// session for SPY, QQQ and IWM (the 0DTE names) for the next ten sessions, weekly (Fridays, or
/// the session before a Friday holiday) for eight weeks and monthly (third Fridays) for six
/// months for every symbol; strikes around the day's reference price in the steps the
/// exchanges list (a dollar from $200, fifty cents from $50, a quarter below), ±30 %.
/// Quotes: Black–Scholes on the underlying's mid under `VolatilitySmile`, a spread of 2 % of
/// the price (at least a tick), both sides rounded outward to the tick.
public struct OptionListing: Sendable {
    public let day: LocalDate
    private let calendar: any ExchangeCalendar
    /// The price strikes are listed around, per symbol (the tape's first quote of the day).
    private let reference: [String: Double]
    private var expiries: [String: [String]] = [:]

    public init(day: LocalDate, calendar: any ExchangeCalendar, reference: [String: Double]) {
        self.day = day
        self.calendar = calendar
        self.reference = reference
        for symbol in reference.keys { expiries[symbol] = OptionListing.expirations(of: symbol, from: day, calendar: calendar) }
    }

    /// Expirations (YYYYMMDD) in order.
    public func expirations(of symbol: String) -> [String] { expiries[symbol] ?? [] }

    /// Strikes in order.
    public func strikes(of symbol: String) -> [Double] {
        guard let s = reference[symbol], s > 0 else { return [] }
        let step = OptionListing.strikeStep(s)
        let low = ((s * 0.7) / step).rounded(.up), high = ((s * 1.3) / step).rounded(.down)
        return stride(from: low, through: high, by: 1).map { $0 * step }
    }

    /// The exchanges' strike steps (one definition, the strategies choose on it too).
    public static func strikeStep(_ price: Double) -> Double { OptionChooser.strikeStep(price) }

    /// Whether the broker lists `instrument` (stocks: whether it has a reference price).
    public func lists(_ instrument: Instrument) -> Bool {
        switch instrument {
        case .stock(let symbol): return reference[symbol] != nil
        case .option(let symbol, let expiry, let strike, _):
            guard let s = reference[symbol], expirations(of: symbol).contains(expiry) else { return false }
            let step = OptionListing.strikeStep(s)
            return abs(strike / step - (strike / step).rounded()) < 1e-9 && strike >= s * 0.7 - step && strike <= s * 1.3 + step
        }
    }

    /// A stable contract id: stocks from 7,000,001 by the symbol's index (tws-sim's), options
    /// from a hash of the contract, above 100,000,000.
    public static func conId(_ instrument: Instrument, symbolIndex: Int) -> Int {
        guard case .option(_, let expiry, let strike, let right) = instrument else { return 7_000_001 + symbolIndex }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(symbolIndex)|\(expiry)|\(Int((strike * 1000).rounded()))|\(right.rawValue)".utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return 100_000_000 + Int(h % 900_000_000)
    }

    /// The model's quote for an option at `now` (epoch seconds), the underlying's mid given.
    public static func quote(_ instrument: Instrument, underlying: Double, now: Double, zone: ZoneRules) -> MarketQuote? {
        guard case .option(let symbol, let expiry, let strike, let right) = instrument, underlying > 0, let expiryDay = day(expiry) else { return nil }
        let expiresAt = Double(zone.instant(of: expiryDay, secondsOfDay: 16 * 3600))
        let seconds = max(60, expiresAt - now)
        let days = seconds / 86_400
        let sigma = VolatilitySmile.volatility(moneyness: log(strike / underlying), days: days)
        let g = BlackScholes.greeks(call: right == .call, s: underlying, k: strike, t: days / 365, sigma: sigma)
        let price = max(0.01, g.price)
        let half = max(0.005, price * 0.01)
        let bid = max(0, TickSize.round(price - half, for: instrument, up: false))
        let ask = max(TickSize.round(price + half, for: instrument, up: true), bid + TickSize.increment(for: instrument, at: price))
        // Displayed sizes: deeper near the money, stable for a contract.
        let near = exp(-pow(log(strike / underlying), 2) * 200)
        let size = 5 + Int(95 * near) + Int(UInt(bitPattern: conId(instrument, symbolIndex: symbol.utf8.count)) % 7)
        return MarketQuote(bid: bid, ask: ask, bidSize: size, askSize: size)
    }

    /// The day of an expiry code, YYYYMMDD (read digit by digit: the paper desk prices every
    /// working option order's contract each market second).
    static func day(_ expiry: String) -> LocalDate? {
        var digits: [Int] = []
        digits.reserveCapacity(8)
        for b in expiry.utf8 {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9"), digits.count < 8 else { return nil }
            digits.append(Int(b - UInt8(ascii: "0")))
        }
        guard digits.count == 8 else { return nil }
        let number = digits.reduce(0) { $0 * 10 + $1 }
        return LocalDate(year: number / 10_000, month: number / 100 % 100, day: number % 100)
    }

    /// The expirations from `day` on.
    static func expirations(of symbol: String, from day: LocalDate, calendar: any ExchangeCalendar) -> [String] {
        OptionExpiries.listed(symbol, from: day, calendar: calendar).map(OptionExpiries.code)
    }
}

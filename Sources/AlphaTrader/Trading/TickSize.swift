import Foundation

/// Minimum price variations. Stocks trade in cents from $1; options of the penny-pilot
/// underlyings (SPY, QQQ, IWM) in cents at every price, others in cents below $3 and nickels
/// from $3 (the penny-pilot programme's increments). A price off its increment is refused by
/// the broker with error 110.
public enum TickSize {
    /// Underlyings whose options trade in pennies at every price.
    public static let pennyPilot: Set<String> = ["SPY", "QQQ", "IWM"]

    /// The increment for a price of `instrument`.
    public static func increment(for instrument: Instrument, at price: Double) -> Double {
        switch instrument {
        case .stock: return price < 1 ? 0.0001 : 0.01
        case .option(let symbol, _, _, _):
            if pennyPilot.contains(symbol) { return 0.01 }
            return price < 3 ? 0.01 : 0.05
        }
    }

    /// Whether `price` is a whole number of increments (to a millionth of one: prices arrive as
    /// decimal text).
    public static func conforms(_ price: Double, for instrument: Instrument) -> Bool {
        let step = increment(for: instrument, at: price)
        let units = price / step
        return price > 0 && abs(units - units.rounded()) < 1e-6
    }

    /// `price` rounded to its increment: down for a bid, up for an offer, nearest without `up`.
    public static func round(_ price: Double, for instrument: Instrument, up: Bool? = nil) -> Double {
        let step = increment(for: instrument, at: price)
        // Increments per dollar (100, 20, 10 000): dividing by it gives the nearest double to the
        // decimal price (600.06), where multiplying by the increment would not (600.0600000000001).
        let perDollar = (1 / step).rounded()
        let units = (price * perDollar * 1e6).rounded() / 1e6
        let whole = up.map { $0 ? units.rounded(.up) : units.rounded(.down) } ?? units.rounded()
        return whole / perDollar
    }

    /// A price as short decimal text: 600, 2.35, 0.05.
    public static func text(_ price: Double) -> String {
        price == price.rounded() && abs(price) < 1e12 ? String(Int64(price)) : String((price * 1e6).rounded() / 1e6)
    }
}

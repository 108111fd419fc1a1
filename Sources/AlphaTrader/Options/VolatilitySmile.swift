import Foundation

/// The implied-volatility surface of the generated market: a smile in log-moneyness, higher and
/// steeper near expiry. The Alpha Vantage stand-in's chains (with per-strike noise) and
/// tws-sim's option quotes are priced on it, so that the two doors show one market.
public enum VolatilitySmile {
    /// The volatility at log-moneyness `m` = ln(K/S) for the `index`th listed expiry of the
    /// stand-in's chains (0 the nearest; fractional in between); `noise` is the stand-in's
    /// per-strike scatter.
    public static func volatility(moneyness m: Double, expiryIndex index: Double, noise: Double = 0) -> Double {
        max(0.05, 0.16 + 0.9 * m * m - 0.25 * m + noise) * (1 + 0.3 / (1 + index))
    }

    /// The same by calendar days to expiry: the stand-in lists expiries 1, 3, … 19 days out, then
    /// every 28 days from 21.
    public static func volatility(moneyness m: Double, days: Double) -> Double {
        let index = days < 21 ? max(0, (days - 1) / 2) : 10 + (days - 21) / 28
        return volatility(moneyness: m, expiryIndex: index)
    }
}

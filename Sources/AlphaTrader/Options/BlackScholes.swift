import Foundation

/// Black–Scholes prices and greeks: the one option model of the project — the Alpha Vantage
/// stand-in's chains, the strategies' choice of contract, the live dealer gamma and the paper
/// broker's quotes all price with it, at one rate.
public enum BlackScholes {
    /// The risk-free rate every model here uses.
    public static let interestRate = 0.045

    public struct Greeks: Sendable { public var price, delta, gamma, theta, vega, rho: Double }

    /// Price and greeks (theta per calendar day, vega and rho per 1 %); `t` in years.
    public static func greeks(call: Bool, s: Double, k: Double, t: Double, sigma: Double, r: Double = interestRate) -> Greeks {
        let sq = sigma * t.squareRoot()
        let d1 = (log(s / k) + (r + sigma * sigma / 2) * t) / sq, d2 = d1 - sq
        let pdf = exp(-d1 * d1 / 2) / (2 * Double.pi).squareRoot()
        func n(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
        let discount = exp(-r * t)
        let gamma = pdf / (s * sq), vega = s * pdf * t.squareRoot() / 100
        if call {
            return Greeks(
                price: s * n(d1) - k * discount * n(d2), delta: n(d1), gamma: gamma,
                theta: (-s * pdf * sigma / (2 * t.squareRoot()) - r * k * discount * n(d2)) / 365, vega: vega, rho: k * t * discount * n(d2) / 100)
        }
        return Greeks(
            price: k * discount * n(-d2) - s * n(-d1), delta: n(d1) - 1, gamma: gamma,
            theta: (-s * pdf * sigma / (2 * t.squareRoot()) + r * k * discount * n(-d2)) / 365, vega: vega, rho: -k * t * discount * n(-d2) / 100)
    }

    /// Gamma alone — a call's and a put's are the same — for loops that need nothing else (no
    /// normal distribution function to evaluate).
    public static func gamma(s: Double, k: Double, t: Double, sigma: Double, r: Double = interestRate) -> Double {
        let sq = sigma * t.squareRoot()
        let d1 = (log(s / k) + (r + sigma * sigma / 2) * t) / sq
        return exp(-d1 * d1 / 2) / (2 * Double.pi).squareRoot() / (s * sq)
    }
}

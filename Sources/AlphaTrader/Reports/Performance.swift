/// Performance statistics over daily figures, as the evening report and the backtest state
/// them: returns are simple daily returns on the equity of the day before; Sharpe and Sortino
/// take a risk-free rate of zero and are annualised by √252 (trading days); the downside
/// deviation is Sortino and Price's — the root mean square of the returns below zero, over
/// every day, not only the losing ones.
public enum Performance {
    public static let tradingDaysPerYear = 252.0

    public static func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }

    /// The sample standard deviation (n − 1); nil under two values.
    public static func standardDeviation(_ xs: [Double]) -> Double? {
        guard xs.count >= 2, let m = mean(xs) else { return nil }
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }

    /// Annualised Sharpe ratio; nil under two days or with no variation.
    public static func sharpe(_ returns: [Double]) -> Double? {
        guard let m = mean(returns), let s = standardDeviation(returns), s > 0 else { return nil }
        return m / s * tradingDaysPerYear.squareRoot()
    }

    /// Annualised Sortino ratio; nil under two days or with no day below zero.
    public static func sortino(_ returns: [Double]) -> Double? {
        guard returns.count >= 2, let m = mean(returns) else { return nil }
        let downside = (returns.reduce(0) { $0 + min($1, 0) * min($1, 0) } / Double(returns.count)).squareRoot()
        guard downside > 0 else { return nil }
        return m / downside * tradingDaysPerYear.squareRoot()
    }

    public struct Drawdown: Sendable, Equatable {
        /// In money, and as a fraction of the peak.
        public var amount: Double
        public var fraction: Double
        /// Indices into the series: the peak before it and the lowest point.
        public var peak: Int
        public var trough: Int
    }

    /// The largest fall from a running peak of `equity`; nil when it never falls.
    public static func maximumDrawdown(_ equity: [Double]) -> Drawdown? {
        var best: Drawdown?
        var peak = 0
        for (i, e) in equity.enumerated() {
            if e > equity[peak] { peak = i }
            let fall = equity[peak] - e
            if fall > 0 && fall > (best?.amount ?? 0) {
                best = Drawdown(amount: fall, fraction: equity[peak] == 0 ? 0 : fall / equity[peak], peak: peak, trough: i)
            }
        }
        return best
    }

    /// Gross profit over gross loss; nil when nothing was lost.
    public static func profitFactor(_ pnls: [Double]) -> Double? {
        let loss = -pnls.filter { $0 < 0 }.reduce(0, +)
        guard loss > 0 else { return nil }
        return pnls.filter { $0 > 0 }.reduce(0, +) / loss
    }
}

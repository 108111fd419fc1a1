import Foundation

/// Running statistics of one symbol's bar returns, updated one return at a time in constant work
/// and constant space, so that a discovery run costs what arrived since the last one, not what the
/// day has been so far (issue 16 §0).
///
/// It answers exactly what the batch formulas over every return would — the sample
/// autocorrelations for lags 1…`maxLag` and the latest realized volatility — except the day's
/// volatility terciles, which come from a histogram of log volatility in 1 % bins (a tercile is
/// the geometric centre of its bin: within 0.5 % of the exact order statistic).
///
/// The autocorrelation at lag k, with m the mean of n returns, is
/// `Σ_{t≥k}(x_t−m)(x_{t−k}−m) = P_k − m·(S − Σ first k) − m·(S − Σ last k) + (n−k)·m²`
/// over `P_k = Σ x_t·x_{t−k}` and `S = Σ x_t`: so the sums, the first and the last `maxLag`
/// returns are all it keeps.
public struct ReturnStatistics: Codable, Sendable, Equatable {
    /// The largest autocorrelation lag kept.
    public let maxLag: Int
    /// Bars per realized-volatility window.
    public let window: Int
    /// Seconds per bar, for annualizing the volatility.
    public let barSeconds: Double
    public private(set) var count = 0
    private var sum = 0.0
    private var sumOfSquares = 0.0
    /// `products[k-1]` = Σ x_t·x_{t−k}.
    private var products: [Double]
    /// The first `maxLag` returns of the day.
    private var head: [Double] = []
    /// The last max(`maxLag`, `window`) returns, oldest first.
    private var tail: [Double] = []
    /// Σ x² over the last `window` returns.
    private var windowSquares = 0.0
    /// Realized-volatility windows seen, by histogram bin (`VolatilityBins`).
    private var volatility: [Int: Int] = [:]
    private var windows = 0
    private var latestVolatility: Double?

    public init(maxLag: Int = 60, window: Int = 60, barSeconds: Double = 5) {
        precondition(maxLag >= 1 && window >= 1 && barSeconds > 0)
        self.maxLag = maxLag
        self.window = window
        self.barSeconds = barSeconds
        products = Array(repeating: 0, count: maxLag)
    }

    /// The statistics of `returns`, in order.
    public init<S: Sequence<Double>>(_ returns: S, maxLag: Int = 60, window: Int = 60, barSeconds: Double = 5) {
        self.init(maxLag: maxLag, window: window, barSeconds: barSeconds)
        for x in returns { add(x) }
    }

    /// Takes the next return.
    public mutating func add(_ x: Double) {
        guard x.isFinite else { return }
        for k in stride(from: 1, through: min(maxLag, tail.count), by: 1) { products[k - 1] += x * tail[tail.count - k] }
        if tail.count >= window { windowSquares -= tail[tail.count - window] * tail[tail.count - window] }
        windowSquares += x * x
        if head.count < maxLag { head.append(x) }
        tail.append(x)
        if tail.count > max(maxLag, window) { tail.removeFirst() }
        count += 1
        sum += x
        sumOfSquares += x * x
        if count >= window { recordVolatility(max(0, windowSquares).squareRoot() * annualization) }
    }

    /// Whether a decoded value holds together (a stored state is input like any other): its
    /// parameters are `reference`'s and its arrays the lengths they must be.
    func isWellFormed(like reference: ReturnStatistics) -> Bool {
        maxLag == reference.maxLag && window == reference.window && barSeconds == reference.barSeconds
            && products.count == maxLag && head.count == min(count, maxLag) && tail.count == min(count, max(maxLag, window))
            && windows == max(0, count - window + 1) && volatility.values.reduce(0, +) == windows
            && volatility.values.allSatisfy { $0 > 0 }
    }

    private var annualization: Double { (252 * 23_400 / (barSeconds * Double(window))).squareRoot() }

    private mutating func recordVolatility(_ value: Double) {
        latestVolatility = value
        windows += 1
        volatility[VolatilityBins.bin(of: value), default: 0] += 1
    }

    /// Sample autocorrelations for lags 1…min(`maxLag`, n − 1); zeros when the returns do not vary.
    public func autocorrelation(maxLag: Int? = nil) -> [Double] {
        let n = count
        guard n > 1 else { return [] }
        let lags = min(maxLag ?? self.maxLag, self.maxLag, n - 1)
        let mean = sum / Double(n)
        let denominator = sumOfSquares - Double(n) * mean * mean
        guard denominator > 0 else { return Array(repeating: 0, count: lags) }
        var firstK = 0.0, lastK = 0.0
        return (1...lags).map { k in
            firstK += head[k - 1]
            lastK += tail[tail.count - k]
            let covariance = products[k - 1] - mean * (sum - firstK) - mean * (sum - lastK) + Double(n - k) * mean * mean
            return covariance / denominator
        }
    }

    /// The lookback in bars: the largest lag whose autocorrelation is outside ±1.96/√n (the 95 %
    /// band of white noise); `fallback` when no lag is significant; nil below
    /// `Discovery.minimumReturns`.
    public func lookback(maxLag: Int? = nil, fallback: Int = 12) -> (bars: Int, significant: [Int])? {
        guard count >= Discovery.minimumReturns else { return nil }
        let bound = 1.96 / Double(count).squareRoot()
        let significant = autocorrelation(maxLag: maxLag).enumerated().filter { abs($0.element) > bound }.map { $0.offset + 1 }
        return (significant.max() ?? fallback, significant)
    }

    /// The latest window's annualized realized volatility against the day's 33rd and 67th
    /// percentiles of every window so far; nil below max(`Discovery.minimumReturns`, window + 10).
    public func regime() -> Discovery.Regime? {
        guard count >= max(Discovery.minimumReturns, window + 10), let current = latestVolatility else { return nil }
        let low = percentile(rank: windows / 3), high = percentile(rank: 2 * windows / 3)
        let name = current < low ? "low" : current > high ? "high" : "normal"
        return Discovery.Regime(current: current, low: low, high: high, name: name)
    }

    /// The value of the window at `rank` (0-based) in ascending order, to its bin.
    private func percentile(rank: Int) -> Double {
        var seen = 0
        for bin in volatility.keys.sorted() {
            seen += volatility[bin]!
            if seen > rank { return VolatilityBins.value(of: bin) }
        }
        return latestVolatility ?? 0
    }
}

/// Logarithmic bins for realized volatility: bin b holds [e^{b·w}, e^{(b+1)·w}) with w = ln 1.01,
/// and zero (no movement at all) its own bin.
enum VolatilityBins {
    static let width = log(1.01)
    static let zero = Int.min

    static func bin(of value: Double) -> Int {
        value > 0 ? Int((log(value) / width).rounded(.down)) : zero
    }

    static func value(of bin: Int) -> Double {
        bin == zero ? 0 : exp((Double(bin) + 0.5) * width)
    }
}

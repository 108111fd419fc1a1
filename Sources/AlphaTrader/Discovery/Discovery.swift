import Foundation

/// Parameter discovery (`alphatrader discover`), pure: functions from the day's data to the
/// parameters the other modules use. Every result is finite or absent — never NaN.
public enum Discovery {
    /// Minimums below which a parameter keeps its previous value (with a warning).
    public static let minimumTrades = 200
    public static let minimumReturns = 120
    public static let minimumCommonBars = 30

    // MARK: Trade-size clusters → VPIN bucket

    public struct Cluster: Sendable, Equatable {
        public var center: Double
        public var share: Double
    }

    /// One-dimensional k-means (Lloyd) on log sizes, centres seeded at evenly spaced quantiles
    /// so that the result is deterministic. Returns clusters by ascending centre (in shares).
    public static func sizeClusters(_ sizes: [Int], k: Int = 3, iterations: Int = 50) -> [Cluster]? {
        var counts: [Int: Int] = [:]
        for s in sizes { counts[s, default: 0] += 1 }
        return sizeClusters(counts: counts, k: k, iterations: iterations)
    }

    /// The same over trades counted by size (what ingestion keeps for the whole session): k-means
    /// over distinct values weighted by their counts is k-means over every trade.
    public static func sizeClusters(counts: [Int: Int], k: Int = 3, iterations: Int = 50) -> [Cluster]? {
        let distinct = counts.filter { $0.key > 0 && $0.value > 0 }.sorted { $0.key < $1.key }
        let values = distinct.map { log(Double($0.key)) }, weights = distinct.map { Double($0.value) }
        let total = weights.reduce(0, +)
        guard total >= Double(max(k, minimumTrades)), values.count >= k else { return nil }
        // Weighted quantiles seed the centres.
        var centers: [Double] = []
        var cumulative = 0.0, next = 0
        for (x, w) in zip(values, weights) {
            cumulative += w
            while next < k && cumulative >= total * Double(2 * next + 1) / Double(2 * k) { centers.append(x); next += 1 }
        }
        while centers.count < k { centers.append(values[values.count - 1]) }
        var assignment = [Int](repeating: 0, count: values.count)
        for iteration in 0..<iterations {
            var sums = [Double](repeating: 0, count: k), mass = [Double](repeating: 0, count: k)
            var changed = false
            // Sorted values and sorted centres: boundaries are midpoints, so one pass assigns.
            let order = centers.indices.sorted { centers[$0] < centers[$1] }
            var c = 0
            for (i, x) in values.enumerated() {
                while c + 1 < k && x > (centers[order[c]] + centers[order[c + 1]]) / 2 { c += 1 }
                let cluster = order[c]
                if assignment[i] != cluster || iteration == 0 { assignment[i] = cluster; changed = true }
                sums[cluster] += x * weights[i]; mass[cluster] += weights[i]
            }
            for j in 0..<k where mass[j] > 0 { centers[j] = sums[j] / mass[j] }
            if !changed { break }
        }
        var mass = [Double](repeating: 0, count: k)
        for (i, a) in assignment.enumerated() { mass[a] += weights[i] }
        return (0..<k).filter { mass[$0] > 0 }
            .map { Cluster(center: exp(centers[$0]), share: mass[$0] / total) }
            .sorted { $0.center < $1.center }
    }

    /// The VPIN bucket: fifty prints of the largest size cluster (the institutional one), so that
    /// a bucket holds enough informed-size volume to classify, rounded to 100 shares.
    public static func vpinBucket(_ clusters: [Cluster]) -> Double? {
        guard let large = clusters.last, large.center.isFinite, large.center > 0 else { return nil }
        return max(100, (50 * large.center / 100).rounded() * 100)
    }

    // MARK: Lookback from the autocorrelation function

    /// Log returns of consecutive closes (non-positive closes skipped).
    public static func returns(_ closes: [Double]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(closes.count)
        var previous: Double?
        for c in closes where c > 0 && c.isFinite {
            if let p = previous { out.append(log(c / p)) }
            previous = c
        }
        return out
    }

    /// Sample autocorrelations for lags 1…maxLag (`ReturnStatistics` over `x`).
    public static func autocorrelation(_ x: [Double], maxLag: Int) -> [Double] {
        ReturnStatistics(x, maxLag: maxLag).autocorrelation()
    }

    /// The lookback in bars: the largest lag whose autocorrelation is outside ±1.96/√n (the 95 %
    /// band of white noise); `fallback` when no lag is significant.
    public static func lookback(_ returns: [Double], maxLag: Int = 60, fallback: Int = 12) -> (bars: Int, significant: [Int])? {
        ReturnStatistics(returns, maxLag: maxLag).lookback(fallback: fallback)
    }

    // MARK: Volatility regime

    public struct Regime: Sendable, Equatable {
        public var current: Double
        public var low: Double
        public var high: Double
        public var name: String
    }

    /// Realized volatility over rolling windows of `window` bars, annualized (252 days of
    /// 23 400 s); the thresholds are the day's 33rd and 67th percentiles (to 1 %: see
    /// `ReturnStatistics`), the regime is where the latest window sits.
    public static func regime(_ returns: [Double], window: Int = 60, barSeconds: Double = 5) -> Regime? {
        ReturnStatistics(returns, window: window, barSeconds: barSeconds).regime()
    }

    // MARK: Correlation

    /// Pearson correlations of returns aligned by bar time: `series[i]` is (bar start, close)
    /// in time order. Pairs with too few common bars get nil. (`DiscoveryState` over the series.)
    public static func correlation(_ series: [[(Int64, Double)]]) -> [[Double?]] {
        var state = DiscoveryState(session: "", symbols: series.indices.map(String.init))
        for (i, bars) in series.enumerated() { state.advance(symbol: i, rows: bars.count, lastRow: nil, bars: bars) }
        return state.correlation()
    }

    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count > 1 else { return nil }
        var sums = (x: 0.0, y: 0.0, xx: 0.0, yy: 0.0, xy: 0.0)
        for i in x.indices {
            sums.x += x[i]; sums.y += y[i]; sums.xx += x[i] * x[i]; sums.yy += y[i] * y[i]; sums.xy += x[i] * y[i]
        }
        return pearson(count: Double(x.count), sumX: sums.x, sumY: sums.y, sumXX: sums.xx, sumYY: sums.yy, sumXY: sums.xy)
    }

    /// Pearson's r from running sums; nil when either side does not vary (to 1e-12 of its
    /// squares, below which the difference is rounding).
    public static func pearson(count n: Double, sumX: Double, sumY: Double, sumXX: Double, sumYY: Double, sumXY: Double) -> Double? {
        guard n > 1 else { return nil }
        let sxx = sumXX - sumX * sumX / n, syy = sumYY - sumY * sumY / n, sxy = sumXY - sumX * sumY / n
        guard sxx > 1e-12 * sumXX, syy > 1e-12 * sumYY, sxx > 0, syy > 0 else { return nil }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }

    // MARK: Market makers

    public struct MakerActivity: Sendable, Equatable {
        public var exchange: String, maker: String, updates: Int, topUpdates: Int, sizeSum: Int
        public init(exchange: String, maker: String, updates: Int, topUpdates: Int, sizeSum: Int) {
            self.exchange = exchange; self.maker = maker; self.updates = updates; self.topUpdates = topUpdates; self.sizeSum = sizeSum
        }
    }

    public struct MakerProfile: Sendable, Equatable {
        public var maker: String
        public var exchanges: [String]
        public var updates: Int
        /// Share of the symbol's book updates.
        public var share: Double
        /// Share of its updates at the top of a book.
        public var topShare: Double
        public var averageSize: Double
        /// primary (≥ 25 % of updates), active (≥ 5 %), occasional.
        public var role: String
    }

    /// Profiles per market maker across the exchanges it quotes on, busiest first.
    public static func makerProfiles(_ activity: [MakerActivity]) -> [MakerProfile] {
        let total = activity.reduce(0) { $0 + $1.updates }
        guard total > 0 else { return [] }
        var byMaker: [String: (Set<String>, Int, Int, Int)] = [:]
        for a in activity {
            var entry = byMaker[a.maker] ?? ([], 0, 0, 0)
            entry.0.insert(a.exchange); entry.1 += a.updates; entry.2 += a.topUpdates; entry.3 += a.sizeSum
            byMaker[a.maker] = entry
        }
        return byMaker.map { maker, e in
            let share = Double(e.1) / Double(total)
            return MakerProfile(
                maker: maker, exchanges: e.0.sorted(), updates: e.1, share: share,
                topShare: e.1 > 0 ? Double(e.2) / Double(e.1) : 0, averageSize: e.1 > 0 ? Double(e.3) / Double(e.1) : 0,
                role: share >= 0.25 ? "primary" : share >= 0.05 ? "active" : "occasional")
        }.sorted { $0.updates != $1.updates ? $0.updates > $1.updates : $0.maker < $1.maker }
    }
}

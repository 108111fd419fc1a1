import Foundation

/// Volume-synchronized probability of informed trading (Easley, López de Prado and O'Hara,
/// "Flow Toxicity and Liquidity in a High-Frequency World", 2012).
///
/// Volume is cut into buckets of `bucketVolume` shares. Each trade's volume is split into buy
/// and sell volume by bulk-volume classification: the buy fraction is Φ(Δp / σ), Δp the price
/// change since the previous trade, σ the standard deviation of those changes (an exponentially
/// weighted estimate, or a fixed one), Φ the standard normal CDF. A trade that overflows a bucket
/// is split pro rata across buckets. Then
///
///     VPIN = Σ |V_buy − V_sell| / Σ V      over the last `window` complete buckets,
///
/// which is Σ |V_buy − V_sell| / (n·V) for a constant bucket size, a value in 0…1. Before the
/// first bucket completes there is no value.
public struct VPIN: Sendable {
    public private(set) var bucketVolume: Double
    public let window: Int
    /// A fixed σ of price changes (tests, hand computations); nil estimates it as trades come.
    public let fixedSigma: Double?

    private var lastPrice: Double?
    private var variance = 0.0
    private var varianceSamples = 0
    private var currentBuy = 0.0, currentSell = 0.0
    /// Completed buckets: |buy − sell| and total volume, oldest first (a ring).
    private var imbalances: [Double] = []
    private var volumes: [Double] = []
    private var head = 0
    private var sumImbalance = 0.0, sumVolume = 0.0
    public private(set) var completedBuckets = 0
    public private(set) var trades = 0

    public init(bucketVolume: Double, window: Int = 50, sigma: Double? = nil) {
        self.bucketVolume = max(1, bucketVolume)
        self.window = max(1, window)
        self.fixedSigma = sigma
        imbalances.reserveCapacity(self.window); volumes.reserveCapacity(self.window)
    }

    /// The current value, nil until a bucket is complete.
    public var value: Double? { sumVolume > 0 ? min(1, max(0, sumImbalance / sumVolume)) : nil }

    /// Changes the bucket size for the buckets to come (discovery re-tunes it during the day).
    public mutating func resize(_ volume: Double) { bucketVolume = max(1, volume) }

    /// The buy fraction of a price change under bulk-volume classification.
    @inline(__always) public static func buyFraction(change: Double, sigma: Double) -> Double {
        guard sigma > 0 else { return change > 0 ? 1 : change < 0 ? 0 : 0.5 }
        return 0.5 * erfc(-change / (sigma * 2.0.squareRoot()))
    }

    public mutating func add(price: Double, size: Int) {
        trades += 1
        var fraction = 0.5
        if let last = lastPrice {
            let change = price - last
            let sigma: Double
            if let fixedSigma {
                sigma = fixedSigma
            } else {
                // EWMA of squared changes, seeded by the first hundred changes' mean.
                if varianceSamples < 100 {
                    varianceSamples += 1
                    variance += (change * change - variance) / Double(varianceSamples)
                } else {
                    variance = 0.99 * variance + 0.01 * change * change
                }
                sigma = variance.squareRoot()
            }
            fraction = VPIN.buyFraction(change: change, sigma: sigma)
        }
        lastPrice = price
        var remaining = Double(size)
        while remaining > 0 {
            let room = bucketVolume - currentBuy - currentSell
            let take = min(room, remaining)
            currentBuy += take * fraction
            currentSell += take * (1 - fraction)
            remaining -= take
            if currentBuy + currentSell >= bucketVolume - 1e-9 { closeBucket() }
        }
    }

    private mutating func closeBucket() {
        let imbalance = abs(currentBuy - currentSell), volume = currentBuy + currentSell
        if imbalances.count < window {
            imbalances.append(imbalance); volumes.append(volume)
        } else {
            sumImbalance -= imbalances[head]; sumVolume -= volumes[head]
            imbalances[head] = imbalance; volumes[head] = volume
            head = (head + 1) % window
        }
        sumImbalance += imbalance; sumVolume += volume
        completedBuckets += 1
        currentBuy = 0; currentSell = 0
        // Re-add from scratch now and then so that rounding never accumulates.
        if completedBuckets % 1_000 == 0 { sumImbalance = imbalances.reduce(0, +); sumVolume = volumes.reduce(0, +) }
    }
}

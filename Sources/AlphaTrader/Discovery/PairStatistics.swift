/// Running sums of two symbols' returns at the bar times both have: Pearson's r without keeping
/// the returns.
public struct PairStatistics: Codable, Sendable, Equatable {
    public private(set) var count = 0
    private var sumX = 0.0, sumY = 0.0, sumXX = 0.0, sumYY = 0.0, sumXY = 0.0

    public init() {}

    public mutating func add(_ x: Double, _ y: Double) {
        count += 1
        sumX += x; sumY += y
        sumXX += x * x; sumYY += y * y; sumXY += x * y
    }

    /// Pearson's r, or nil with fewer than `Discovery.minimumCommonBars` pairs or no variance on
    /// either side (never NaN).
    public var correlation: Double? {
        guard count >= Discovery.minimumCommonBars else { return nil }
        return Discovery.pearson(count: Double(count), sumX: sumX, sumY: sumY, sumXX: sumXX, sumYY: sumYY, sumXY: sumXY)
    }
}

/// Finds sweeps: one aggressive order that takes several price levels (usually across
/// exchanges) within a few milliseconds. Trades are classified by the quote in force: at or above
/// the ask a buy, at or below the bid a sell; prints inside the spread are not aggressive.
///
/// A sweep is `minimumLevels` or more distinct prices on the same side within `window`
/// microseconds, each one at least as aggressive as the last.
public struct SweepDetector: Sendable {
    public struct Sweep: Sendable, Equatable {
        public var time: Int64
        public var buy: Bool
        public var levels: Int
        public var exchanges: Int
        public var size: Int
        public var notional: Double
        public var firstPrice: Double
        public var lastPrice: Double
    }

    public let window: Int64
    public let minimumLevels: Int
    private var start: Int64 = 0
    private var buy = true
    private var prices: [Double] = []
    private var exchanges: UInt64 = 0
    private var size = 0
    private var notional = 0.0
    private var reported = false

    public init(window: Int64 = 50_000, minimumLevels: Int = 3) { self.window = window; self.minimumLevels = minimumLevels }

    /// Feeds one trade with the quote in force; returns a sweep when this trade completes one
    /// (once per sweep, at the level that makes it one; later levels extend it silently).
    public mutating func observe(_ trade: Trade, bid: Double, ask: Double) -> Sweep? {
        let isBuy: Bool
        if ask > 0 && trade.price >= ask { isBuy = true } else if bid > 0 && trade.price <= bid { isBuy = false } else { return nil }
        let continues =
            !prices.isEmpty && isBuy == buy && trade.time - start <= window
            && (isBuy ? trade.price >= prices[prices.count - 1] : trade.price <= prices[prices.count - 1])
        if !continues {
            start = trade.time; buy = isBuy; prices.removeAll(keepingCapacity: true); exchanges = 0; size = 0; notional = 0; reported = false
        }
        if prices.last != trade.price { prices.append(trade.price) }
        exchanges |= 1 << UInt64(trade.exchange & 63)
        size += trade.size
        notional += trade.price * Double(trade.size)
        guard prices.count >= minimumLevels, !reported else { return nil }
        reported = true
        return Sweep(
            time: trade.time, buy: buy, levels: prices.count, exchanges: exchanges.nonzeroBitCount, size: size,
            notional: notional, firstPrice: prices[0], lastPrice: prices[prices.count - 1])
    }
}

/// The book of a symbol across exchanges, aggregated by price.
public enum AggregatedBook {
    /// Levels merged by price, best first, sizes summed: (price, size).
    public static func merge(_ books: [OrderBook], side: DepthUpdate.Side, levels: Int = 10) -> [(Double, Int)] {
        var sizes: [Double: Int] = [:]
        for book in books {
            for level in side == .bid ? book.bids : book.asks where level.size > 0 { sizes[level.price, default: 0] += level.size }
        }
        let sorted = sizes.sorted { side == .bid ? $0.key > $1.key : $0.key < $1.key }
        return sorted.prefix(levels).map { ($0.key, $0.value) }
    }

    /// The size on the best `levels` distinct prices across books, without building the merged
    /// book (the hot path calls it before every trade of a book symbol).
    public static func depth(_ books: [OrderBook], side: DepthUpdate.Side, levels: Int = 5) -> Int {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: levels) { best in
            var count = 0
            let bid = side == .bid
            for book in books {
                for level in (bid ? book.bids : book.asks).prefix(levels) where level.size > 0 {
                    let p = level.price
                    var i = 0
                    while i < count && (bid ? best[i] > p : best[i] < p) { i += 1 }
                    if i < count && best[i] == p { continue }
                    if i >= levels { continue }
                    var j = min(count, levels - 1)
                    while j > i { best[j] = best[j - 1]; j -= 1 }
                    best[i] = p
                    count = min(count + 1, levels)
                }
            }
            guard count > 0 else { return 0 }
            let worst = best[count - 1]
            var total = 0
            for book in books {
                for level in (bid ? book.bids : book.asks) where level.size > 0 {
                    if bid ? level.price >= worst : level.price <= worst { total += level.size } else { break }
                }
            }
            return total
        }
    }

    /// Order-book imbalance over the given levels: (bid volume − ask volume) / (bid + ask), in
    /// −1…1; 0 when the book is empty.
    public static func imbalance(bids: [(Double, Int)], asks: [(Double, Int)]) -> Double {
        let b = Double(bids.reduce(0) { $0 + $1.1 }), a = Double(asks.reduce(0) { $0 + $1.1 })
        return b + a > 0 ? (b - a) / (b + a) : 0
    }
}

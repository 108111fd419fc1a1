/// One exchange's level-2 book for one symbol, kept with TWS `updateMktDepthL2` semantics.
public struct OrderBook: Sendable, Equatable {
    public struct Level: Sendable, Equatable {
        public var price: Double
        public var size: Int
        public var maker: Int
        public init(price: Double, size: Int, maker: Int) { self.price = price; self.size = size; self.maker = maker }
    }
    /// Index 0 is the best level.
    public var bids: [Level] = []
    public var asks: [Level] = []
    /// Rows kept at most (a feed asked for `depth` rows never sends deeper ones).
    public let depth: Int

    public init(depth: Int = 10) { self.depth = depth }

    /// Applies one update; false when it names a position the book does not have (a feed
    /// glitch, counted by the caller, never a crash).
    @discardableResult
    public mutating func apply(_ update: DepthUpdate) -> Bool {
        var levels = update.side == .bid ? bids : asks
        let level = Level(price: update.price, size: update.size, maker: update.marketMaker)
        let p = update.position
        var ok = true
        switch update.operation {
        case .insert:
            if p >= 0 && p <= levels.count {
                levels.insert(level, at: p)
                if levels.count > depth { levels.removeLast() }
            } else {
                ok = false
            }
        case .update:
            if p >= 0 && p < levels.count {
                levels[p] = level
            } else if p == levels.count && p < depth {
                levels.append(level)
            }  // IB sends an update for a new last row
            else {
                ok = false
            }
        case .delete:
            if p >= 0 && p < levels.count { levels.remove(at: p) } else { ok = false }
        }
        if update.side == .bid { bids = levels } else { asks = levels }
        return ok
    }
}

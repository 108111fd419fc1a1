/// The analytics of one symbol (`alphatrader analytics`), fed the symbol's stream in order:
/// VPIN, order-book imbalance, hidden orders and sweeps. Pure: the service feeds it and
/// publishes `summary`.
public struct SymbolAnalytics: Sendable {
    public let symbol: String
    public var vpin: VPIN
    public private(set) var bid = 0.0, ask = 0.0, bidSize = 0, askSize = 0
    /// Order-book imbalance, −1…1: over the top five aggregated levels when the symbol has a
    /// level-2 book, else over the NBBO sizes.
    public private(set) var imbalance = 0.0
    public private(set) var hiddenTrades = 0
    public private(set) var hiddenVolume = 0
    public private(set) var insideSpread = 0
    public private(set) var beyondDisplayed = 0
    public private(set) var volume = 0
    public private(set) var sweeps = 0
    public private(set) var lastSweep: SweepDetector.Sweep?
    public private(set) var trades = 0
    public private(set) var lastTime: Int64 = 0
    /// The latest dealer exposure from the premarket chain (`options:{sym}:gex|dex`).
    public var options: (gex: Double, dex: Double, flip: Double?, spot: Double)?
    public private(set) var lastPrice = 0.0
    private var detector = SweepDetector()

    public init(symbol: String, bucketVolume: Double, window: Int = 50) {
        self.symbol = symbol
        vpin = VPIN(bucketVolume: bucketVolume, window: window)
    }

    /// A quote (and, for book symbols, the top-five depth on each side).
    public mutating func quote(time: Int64, bid: Double, ask: Double, bidSize: Int, askSize: Int, bidDepth: Int? = nil, askDepth: Int? = nil) {
        self.bid = bid; self.ask = ask; self.bidSize = bidSize; self.askSize = askSize
        let b = Double(bidDepth ?? bidSize), a = Double(askDepth ?? askSize)
        imbalance = SymbolAnalytics.imbalance(bid: b, ask: a)
        lastTime = max(lastTime, time)
    }

    /// (b − a) / (b + a), 0 for an empty book.
    public static func imbalance(bid: Double, ask: Double) -> Double { bid + ask > 0 ? (bid - ask) / (bid + ask) : 0 }

    /// A trade, classified against the quote in force.
    public mutating func trade(_ t: Trade) {
        trades += 1
        volume += t.size
        lastTime = max(lastTime, t.time)
        vpin.add(price: t.price, size: t.size)
        lastPrice = t.price
        if SymbolAnalytics.isHidden(price: t.price, size: t.size, bid: bid, ask: ask, bidSize: bidSize, askSize: askSize) {
            hiddenTrades += 1
            hiddenVolume += t.size
            if bid > 0 && ask > bid && t.price > bid && t.price < ask { insideSpread += 1 } else { beyondDisplayed += 1 }
        }
        if let sweep = detector.observe(t, bid: bid, ask: ask) { sweeps += 1; lastSweep = sweep }
    }

    /// Hidden liquidity shows as a print strictly inside the spread (a midpoint or dark order)
    /// or a print at the touch larger than the size displayed there (an iceberg).
    public static func isHidden(price: Double, size: Int, bid: Double, ask: Double, bidSize: Int, askSize: Int) -> Bool {
        guard bid > 0 && ask > bid else { return false }
        if price > bid && price < ask { return true }
        if price == ask && askSize > 0 && size > askSize { return true }
        if price == bid && bidSize > 0 && size > bidSize { return true }
        return false
    }

    /// One entry of `market:{sym}:stream`: a trade, with the quote in force when it changed since
    /// the trade before (the service reads them from Redis; a backtest from `MarketState.drain`).
    public mutating func entry(_ t: Trade, quote q: MarketState.StreamQuote?) {
        if let q {
            quote(time: t.time, bid: q.bid, ask: q.ask, bidSize: q.bidSize, askSize: q.askSize, bidDepth: q.depth?.bid, askDepth: q.depth?.ask)
        }
        if t.price > 0 && t.size > 0 { trade(t) }
    }

    /// `analytics:{sym}:vpin`, as written.
    public var vpinDocument: VPINDocument {
        VPINDocument(
            value: vpin.value, buckets: vpin.completedBuckets, bucketVolume: vpin.bucketVolume, window: vpin.window, trades: trades,
            timestamp: lastTime / 1000)
    }

    /// `analytics:{sym}:obi`, as written.
    public var imbalanceDocument: ImbalanceDocument {
        ImbalanceDocument(value: (imbalance * 10_000).rounded() / 10_000, bid: bid, ask: ask, timestamp: lastTime / 1000)
    }

    /// `analytics:{sym}:sweeps`, as written.
    public var sweepsDocument: SweepsDocument {
        let sweep = lastSweep.map {
            SweepsDocument.Sweep(side: $0.buy ? "buy" : "sell", levels: $0.levels, exchanges: $0.exchanges, size: $0.size, timestamp: Int64($0.time / 1000))
        }
        return SweepsDocument(count: sweeps, last: sweep, timestamp: lastTime / 1000)
    }

    /// The JSON values written under `analytics:{sym}:*`.
    public func values() -> [(key: String, json: String)] {
        let base = "analytics:" + symbol + ":"
        let ms = lastTime / 1000
        var list: [(String, String)] = []
        list.append((base + "vpin", vpinDocument.json))
        list.append((base + "obi", imbalanceDocument.json))
        let ratio = volume > 0 ? Double(hiddenVolume) / Double(volume) : 0
        list.append(
            (
                base + "hidden",
                "{\"trades\":\(hiddenTrades),\"volume\":\(hiddenVolume),\"inside_spread\":\(insideSpread),\"beyond_displayed\":\(beyondDisplayed),\"volume_ratio\":\(JSONText.number((ratio * 10_000).rounded() / 10_000)),\"timestamp\":\(ms)}"
            ))
        if let o = options {
            // Where the price trades against the gamma flip: above it dealers dampen moves,
            // below it they amplify them.
            let price = lastPrice > 0 ? lastPrice : o.spot
            let distance = o.flip.map { price > 0 ? ($0 - price) / price * 100 : 0 }
            let regime = o.flip.map { price >= $0 ? "positive gamma" : "negative gamma" } ?? (o.gex >= 0 ? "positive gamma" : "negative gamma")
            list.append(
                (
                    base + "options",
                    "{\"gex\":\(JSONText.number(o.gex.rounded())),\"dex\":\(JSONText.number(o.dex.rounded())),\"flip\":\(o.flip.map { JSONText.number(($0 * 100).rounded() / 100) } ?? "null"),\"price\":\(JSONText.number(price)),\"flip_distance_pct\":\(distance.map { JSONText.number(($0 * 100).rounded() / 100) } ?? "null"),\"regime\":\"\(regime)\",\"timestamp\":\(ms)}"
                ))
        }
        list.append((base + "sweeps", sweepsDocument.json))
        return list
    }
}

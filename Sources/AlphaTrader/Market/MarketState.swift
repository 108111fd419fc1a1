public import Redis

/// Everything ingestion knows about the market, fed one event at a time from any source (tape or
/// IBKR), and published to Redis as the keys of SPEC §7 by `publish(into:)`.
///
/// Pure: no clock, no I/O. The ingestion loop decides when to publish and passes the TTL scale.
public struct MarketState {
    public struct MakerStats: Sendable, Equatable {
        public var updates = 0
        public var topUpdates = 0
        public var sizeSum = 0
    }

    struct SymbolMarket {
        var name: String
        var level2: Bool
        var books: [OrderBook]
        var bid = 0.0, ask = 0.0, bidSize = 0, askSize = 0
        var last: Trade?
        var pendingTrades: [Trade] = []
        /// Stream entries in event order: trades, and the quote in force before each of them
        /// (when it changed since the previous trade). A function of the events alone, however
        /// they were batched, so a replay and a live feed of the same day give the same stream.
        var pendingStream: [StreamEntry] = []
        var pendingBars: [Bar] = []
        var open = 0.0, high = 0.0, low = 0.0, volume = 0, notional = 0.0, tradeCount = 0
        /// Σ price² × size: with the notional and the volume, the VWAP's standard deviation.
        var notionalSquares = 0.0
        var minuteVolumes: [Int] = []
        var firstMinute: Int64 = -1
        /// Minutes counted when `unusual_volume` was last written.
        var unusualMinutes = 0
        var sweep = SweepDetector()
        var lastSweep: SweepDetector.Sweep?
        var sweepDirty = false
        var quoteDirty = false
        /// The quote or book changed since the last publish of the spread, book and imbalance.
        var topDirty = false
        var makers: [Int: MakerStats] = [:]
        /// Trades by size since the session began (discovery clusters them).
        var sizeCounts: [Int: Int] = [:]
        var lastTime: Int64 = 0
    }

    public let exchanges: [String]
    public private(set) var makers: [String]

    enum StreamEntry {
        case trade(Trade)
        case quote(time: Int64, bid: Double, ask: Double, bidSize: Int, askSize: Int, bidDepth: Int?, askDepth: Int?)
    }
    var symbols: [SymbolMarket]
    /// Depth updates that named a row the book did not have.
    public private(set) var depthErrors = 0
    public private(set) var events = 0
    /// Latest event time seen, epoch µs.
    public private(set) var lastEventTime: Int64 = 0
    /// When each symbol's day-long aggregates (sizes, makers) were last written, market µs.
    private var aggregatesPublished: [Int64] = []
    private var aggregatesCursor = 0

    public static let tradeHistory = 1_000
    public static let barHistory = 100
    /// Stream entries kept per symbol: a full busy day of trades and quote changes.
    public static let streamLength = 400_000

    public init(symbols: [String], level2Count: Int, exchanges: [String], makers: [String]) {
        self.exchanges = exchanges
        self.makers = makers
        self.symbols = symbols.enumerated().map { i, name in
            SymbolMarket(name: name, level2: i < level2Count, books: Array(repeating: OrderBook(depth: 10), count: exchanges.count))
        }
    }

    /// The state for the symbols, exchanges and market makers a tape names.
    public init(header: TapeHeader) {
        self.init(symbols: header.symbols, level2Count: header.level2Count, exchanges: header.exchanges, makers: header.marketMakers)
    }

    public var symbolNames: [String] { symbols.map(\.name) }

    /// Takes the source's newer market makers (same indexes: the source only ever appends).
    public mutating func adoptMakers(_ names: [String]) {
        if names.count > makers.count { makers += names[makers.count...] }
    }

    /// The index of a market maker's id, added when new (IBKR names them as text).
    public mutating func makerIndex(_ id: String) -> Int {
        if let i = makers.firstIndex(of: id) { return i }
        makers.append(id)
        return makers.count - 1
    }

    public mutating func apply(_ event: MarketEvent) {
        events += 1
        if event.time > lastEventTime { lastEventTime = event.time }
        let s = event.symbol
        guard s >= 0 && s < symbols.count else { return }
        symbols[s].lastTime = event.time
        switch event {
        case .trade(let t):
            // In place: a copy of the symbol's state would copy its containers on every trade.
            MarketState.applyTrade(t, to: &symbols[s])
        case .quote(let q):
            symbols[s].bid = q.bid; symbols[s].ask = q.ask; symbols[s].bidSize = q.bidSize; symbols[s].askSize = q.askSize
            symbols[s].quoteDirty = true
            symbols[s].topDirty = true
        case .depth(let d):
            guard d.exchange >= 0 && d.exchange < exchanges.count else { depthErrors += 1; return }
            if !symbols[s].books[d.exchange].apply(d) { depthErrors += 1 }
            symbols[s].quoteDirty = true
            symbols[s].topDirty = true
            if d.operation != .delete {
                var stats = symbols[s].makers[d.exchange << 16 | d.marketMaker] ?? MakerStats()
                stats.updates += 1
                stats.sizeSum += d.size
                if d.position == 0 { stats.topUpdates += 1 }
                symbols[s].makers[d.exchange << 16 | d.marketMaker] = stats
            }
        case .bar(let b):
            symbols[s].pendingBars.append(b)
        }
    }

    static func applyTrade(_ t: Trade, to m: inout SymbolMarket) {
        if m.quoteDirty { m.pendingStream.append(MarketState.quoteEntry(m)); m.quoteDirty = false }
        m.last = t
        m.pendingTrades.append(t)
        m.pendingStream.append(.trade(t))
        if m.tradeCount == 0 { m.open = t.price; m.high = t.price; m.low = t.price }
        m.high = max(m.high, t.price); m.low = min(m.low, t.price)
        m.sizeCounts[t.size, default: 0] += 1
        m.volume += t.size; m.notional += t.price * Double(t.size); m.notionalSquares += t.price * t.price * Double(t.size); m.tradeCount += 1
        let minute = t.time / 60_000_000
        if m.firstMinute < 0 { m.firstMinute = minute }
        let index = Int(minute - m.firstMinute)
        if index >= 0 {
            while m.minuteVolumes.count <= index { m.minuteVolumes.append(0) }
            m.minuteVolumes[index] += t.size
        }
        if m.level2, let sweep = m.sweep.observe(t, bid: m.bid, ask: m.ask) { m.lastSweep = sweep; m.sweepDirty = true }
    }

    /// Everything that changed since the last call, as commands, with TTLs in market time
    /// divided by `speed` (so that a key lives as long in simulated time as it would live).
    /// `now` is market time (epoch µs) for the heartbeat-like timestamps.
    public mutating func publish(into batch: inout RedisBatch, speed: Double, finalPublish: Bool = false) {
        func ttl(_ marketMilliseconds: Double) -> Int { max(1, Int((marketMilliseconds / speed).rounded())) }
        let bookTTL = ttl(1_000), tradesTTL = ttl(1_000), barsTTL = ttl(10_000)
        // The day-long aggregates are rewritten once a market minute per symbol at most, and only
        // one symbol's every 50 publishes: building them takes a millisecond, and a burst of
        // them would hold the hot path up (at 600x, milliseconds are simulated seconds).
        if aggregatesPublished.count != symbols.count { aggregatesPublished = Array(repeating: 0, count: symbols.count) }
        var aggregatesFor = -1
        if finalPublish {
            aggregatesFor = Int.max
        } else if !symbols.isEmpty {
            let s = (aggregatesCursor / 50) % symbols.count
            aggregatesCursor += 1
            if aggregatesCursor % 50 == 1 && lastEventTime - aggregatesPublished[s] >= 60_000_000 {
                aggregatesFor = s
                aggregatesPublished[s] = lastEventTime
            }
        }
        // The latest-value keys without a TTL (last, ticker, timestamp, spread, imbalance) of
        // every symbol go out as one MSET at the end: Redis's cost is mostly per command (parse,
        // dispatch, AOF), and at 600x these are most of the commands.
        var latest: [RedisArgument] = ["MSET"]
        // The symbols are moved out and changed in place (a copy of one would copy its containers
        // when they are emptied), then moved back.
        var all = symbols
        symbols = []
        defer { symbols = all }
        for s in all.indices {
            func publishSymbol(_ m: inout SymbolMarket) {
                let base = "market:" + m.name + ":"
                var touched = false
                if !m.pendingTrades.isEmpty {
                    touched = true
                    var push: [RedisArgument] = ["LPUSH", .text(base + "trades")]
                    push.reserveCapacity(m.pendingTrades.count + 2)
                    for t in m.pendingTrades {
                        push.append(.text("{\"t\":\(t.time / 1000),\"p\":\(JSONText.number(t.price)),\"s\":\(t.size),\"x\":\"\(exchanges[t.exchange])\"}"))
                    }
                    batch.append(push)
                    batch.append("LTRIM", .text(base + "trades"), "0", .integer(MarketState.tradeHistory - 1))
                    batch.append("PEXPIRE", .text(base + "trades"), .integer(tradesTTL))
                    let t = m.last!
                    latest += [
                        .text(base + "last"),
                        .text(LastTradeDocument(price: t.price, size: t.size, exchange: exchanges[t.exchange], timestamp: t.time / 1000).json),
                    ]
                    m.pendingTrades.removeAll(keepingCapacity: true)
                    // It changes when a minute completes: written then, not on every batch.
                    if !m.level2 && m.minuteVolumes.count != m.unusualMinutes {
                        m.unusualMinutes = m.minuteVolumes.count
                        publishUnusualVolume(m, base: base, into: &batch)
                    }
                }
                // One entry per trade; the quote in force rides along when it changed since the
                // trade before (half the XADDs of separate quote entries, the same information).
                var quote: [RedisArgument] = []
                for entry in m.pendingStream {
                    switch entry {
                    case .quote(_, let bid, let ask, let bs, let asz, let bd, let ad):
                        guard bid > 0 && ask > 0 else { quote = []; continue }
                        quote = ["b", .text(JSONText.number(bid)), "a", .text(JSONText.number(ask)), "bs", .integer(bs), "as", .integer(asz)]
                        if let bd, let ad { quote += ["bd", .integer(bd), "ad", .integer(ad)] }
                    case .trade(let t):
                        batch.append(
                            [
                                "XADD", .text(base + "stream"), "MAXLEN", "~", .integer(MarketState.streamLength), "*",
                                "k", "t", "t", .integer(Int(t.time)), "p", .text(JSONText.number(t.price)), "s", .integer(t.size),
                                "x", .integer(t.exchange),
                            ] + quote)
                        quote = []
                    }
                }
                m.pendingStream.removeAll(keepingCapacity: true)
                if m.topDirty {
                    touched = true
                    if m.level2 {
                        let bids = AggregatedBook.merge(m.books, side: .bid), asks = AggregatedBook.merge(m.books, side: .ask)
                        let top5b = Array(bids.prefix(5)), top5a = Array(asks.prefix(5))
                        let imbalance = AggregatedBook.imbalance(bids: top5b, asks: top5a)
                        batch.append("SET", .text(base + "book"), .bytes(bookJSON(m, bids: bids, asks: asks)), "PX", .integer(bookTTL))
                        latest += [
                            .text(base + "imbalance"),
                            .text("{\"value\":\(JSONText.number(imbalance)),\"levels\":5,\"timestamp\":\(m.lastTime / 1000)}"),
                        ]
                    }
                    if m.bid > 0 && m.ask > 0 {
                        let spread = m.ask - m.bid, mid = (m.ask + m.bid) / 2
                        latest += [
                            .text(base + "spread"),
                            .text(
                                "{\"bid\":\(JSONText.number(m.bid)),\"ask\":\(JSONText.number(m.ask)),\"spread\":\(JSONText.number((spread * 10_000).rounded() / 10_000)),\"bps\":\(JSONText.number((spread / mid * 1e6).rounded() / 100)),\"timestamp\":\(m.lastTime / 1000)}"
                            ),
                        ]
                    }
                    m.topDirty = false
                }
                if !m.pendingBars.isEmpty {
                    touched = true
                    var push: [RedisArgument] = ["LPUSH", .text(base + "bars")]
                    var history: [RedisArgument] = ["RPUSH", .text(base + "history")]
                    for b in m.pendingBars {
                        push.append(
                            .text(
                                "{\"t\":\(b.start / 1000),\"o\":\(JSONText.number(b.open)),\"h\":\(JSONText.number(b.high)),\"l\":\(JSONText.number(b.low)),\"c\":\(JSONText.number(b.close)),\"v\":\(b.volume),\"wap\":\(JSONText.number(b.wap)),\"n\":\(b.count)}"
                            ))
                        history.append(.text(MarketState.historyRow(b)))
                    }
                    batch.append(push)
                    batch.append("LTRIM", .text(base + "bars"), "0", .integer(MarketState.barHistory - 1))
                    batch.append("PEXPIRE", .text(base + "bars"), .integer(barsTTL))
                    batch.append(history)
                    batch.append("EXPIRE", .text(base + "history"), "86400")
                    m.pendingBars.removeAll(keepingCapacity: true)
                }
                if m.sweepDirty, let sw = m.lastSweep {
                    batch.append(
                        "SET", .text(base + "sweep"),
                        .text(
                            "{\"side\":\"\(sw.buy ? "buy" : "sell")\",\"levels\":\(sw.levels),\"exchanges\":\(sw.exchanges),\"size\":\(sw.size),\"notional\":\(JSONText.number(sw.notional.rounded())),\"from\":\(JSONText.number(sw.firstPrice)),\"to\":\(JSONText.number(sw.lastPrice)),\"timestamp\":\(sw.time / 1000)}"
                        ))
                    m.sweepDirty = false
                }
                if touched {
                    latest += [.text(base + "ticker"), .text(MarketState.ticker(m).json)]
                    latest += [.text(base + "timestamp"), .integer(Int(m.lastTime / 1000))]
                }
                let publishMakers = aggregatesFor == Int.max || aggregatesFor == s
                if publishMakers && !m.sizeCounts.isEmpty {
                    batch.append("SET", .text(base + "sizes"), .text(TradeSizesDocument(counts: m.sizeCounts).json), "EX", "86400")
                }
                if publishMakers && m.level2 && !m.makers.isEmpty {
                    batch.append("SET", .text(base + "makers"), .text(MakerActivityDocument(makers: makerActivity(m)).json), "EX", "86400")
                }
            }
            publishSymbol(&all[s])
        }
        if latest.count > 1 { batch.append(latest) }
    }

    /// A `market:{sym}:history` row: "start,close,volume".
    public static func historyRow(_ b: Bar) -> String { "\(b.start / 1000),\(JSONText.number(b.close)),\(b.volume)" }

    /// `market:{sym}:ticker`: the quote and the day so far.
    static func ticker(_ m: SymbolMarket) -> TickerDocument {
        let vwap = m.volume > 0 ? m.notional / Double(m.volume) : 0
        let sd = m.volume > 0 ? max(0, m.notionalSquares / Double(m.volume) - vwap * vwap).squareRoot() : 0
        return TickerDocument(
            symbol: m.name, bid: m.bid, ask: m.ask, bidSize: m.bidSize, askSize: m.askSize, last: m.last?.price ?? 0, open: m.open,
            high: m.high, low: m.low, volume: m.volume, vwap: (vwap * 10_000).rounded() / 10_000,
            vwapSd: (sd * 10_000).rounded() / 10_000, trades: m.tradeCount, timestamp: m.lastTime / 1000)
    }

    /// The quote a stream entry carries (`market:{sym}:stream`'s b, a, bs, as, bd, ad).
    public struct StreamQuote: Sendable, Equatable {
        public var bid: Double, ask: Double, bidSize: Int, askSize: Int
        /// The top five levels' aggregated depth on each side, for book symbols.
        public var depth: (bid: Int, ask: Int)?
        public static func == (a: StreamQuote, b: StreamQuote) -> Bool {
            a.bid == b.bid && a.ask == b.ask && a.bidSize == b.bidSize && a.askSize == b.askSize && a.depth?.bid == b.depth?.bid
                && a.depth?.ask == b.depth?.ask
        }
    }

    /// What `drain` hands a reader in the same process, per symbol.
    public enum Drained {
        /// A stream entry: the trade, with the quote in force when it changed since the trade
        /// before (and has both sides), exactly as `publish` writes it.
        case trade(Trade, quote: StreamQuote?)
        /// A 5-second bar (`market:{sym}:history`).
        case bar(Bar)
        /// The ticker, when anything `publish` would have rewritten it for changed.
        case ticker(TickerDocument)
    }

    /// For a reader in the same process (a backtest) instead of `publish`: every symbol's
    /// stream entries, bars and ticker since the last call — what `publish` would have written
    /// for the analytics, discovery and the strategies — in the order `publish` writes them.
    /// The lists only Redis keeps (the last trades) are let go.
    public mutating func drain(_ body: (_ symbol: Int, _ item: Drained) -> Void) {
        for s in symbols.indices {
            let touched = !symbols[s].pendingTrades.isEmpty || symbols[s].topDirty || !symbols[s].pendingBars.isEmpty
            symbols[s].pendingTrades.removeAll(keepingCapacity: true)
            if !symbols[s].pendingStream.isEmpty {
                var quote: StreamQuote?
                for entry in symbols[s].pendingStream {
                    switch entry {
                    case .quote(_, let bid, let ask, let bs, let asz, let bd, let ad):
                        guard bid > 0 && ask > 0 else { quote = nil; continue }
                        var q = StreamQuote(bid: bid, ask: ask, bidSize: bs, askSize: asz)
                        if let bd, let ad { q.depth = (bd, ad) }
                        quote = q
                    case .trade(let t):
                        body(s, .trade(t, quote: quote))
                        quote = nil
                    }
                }
                symbols[s].pendingStream.removeAll(keepingCapacity: true)
            }
            if !symbols[s].pendingBars.isEmpty {
                for b in symbols[s].pendingBars { body(s, .bar(b)) }
                symbols[s].pendingBars.removeAll(keepingCapacity: true)
            }
            symbols[s].topDirty = false
            if touched { body(s, .ticker(MarketState.ticker(symbols[s]))) }
        }
    }

    /// Trades by size since the session began, and the book's market makers (what `publish`
    /// writes as `market:{sym}:sizes` and `:makers` for discovery).
    public func aggregates(_ s: Int) -> (sizes: [Int: Int], makers: [MakerActivityDocument.Maker]) {
        (symbols[s].sizeCounts, symbols[s].level2 ? makerActivity(symbols[s]) : [])
    }

    func makerActivity(_ m: SymbolMarket) -> [MakerActivityDocument.Maker] {
        m.makers.sorted(by: { $0.key < $1.key }).map { key, stats in
            MakerActivityDocument.Maker(
                exchange: exchanges[key >> 16], maker: makers[key & 0xFFFF], updates: stats.updates, topUpdates: stats.topUpdates, sizeSum: stats.sizeSum)
        }
    }

    /// The quote in force, with the top-five aggregated depth for book symbols.
    static func quoteEntry(_ m: SymbolMarket) -> StreamEntry {
        var bd: Int?, ad: Int?
        if m.level2 {
            bd = AggregatedBook.depth(m.books, side: .bid)
            ad = AggregatedBook.depth(m.books, side: .ask)
        }
        return .quote(time: m.lastTime, bid: m.bid, ask: m.ask, bidSize: m.bidSize, askSize: m.askSize, bidDepth: bd, askDepth: ad)
    }

    /// Exchange and market-maker names as quoted JSON, built when the names grow.
    var quotedExchanges: [[UInt8]] = []
    var quotedMakers: [[UInt8]] = []

    /// The `market:{sym}:book` document: the aggregated levels, then each exchange's rows with
    /// their makers. Written as bytes: at replay speed this runs thousands of times a second.
    mutating func bookJSON(_ m: SymbolMarket, bids: [(Double, Int)], asks: [(Double, Int)]) -> [UInt8] {
        if quotedExchanges.count != exchanges.count { quotedExchanges = exchanges.map(JSONBytes.quoted) }
        if quotedMakers.count != makers.count { quotedMakers += makers[quotedMakers.count...].map(JSONBytes.quoted) }
        var json = JSONBytes(capacity: 2_048)
        func levels(_ list: [(Double, Int)]) {
            json.byte(UInt8(ascii: "["))
            for (i, level) in list.enumerated() {
                if i > 0 { json.byte(UInt8(ascii: ",")) }
                json.byte(UInt8(ascii: "[")); json.number(level.0); json.byte(UInt8(ascii: ",")); json.int(level.1); json.byte(UInt8(ascii: "]"))
            }
            json.byte(UInt8(ascii: "]"))
        }
        func rows(_ list: [OrderBook.Level]) {
            json.byte(UInt8(ascii: "["))
            for (i, level) in list.enumerated() {
                if i > 0 { json.byte(UInt8(ascii: ",")) }
                json.byte(UInt8(ascii: "[")); json.number(level.price); json.byte(UInt8(ascii: ",")); json.int(level.size)
                json.byte(UInt8(ascii: ",")); json.encoded(quotedMakers[level.maker]); json.byte(UInt8(ascii: "]"))
            }
            json.byte(UInt8(ascii: "]"))
        }
        json.raw("{\"symbol\":\""); m.name.utf8.forEach { json.byte($0) }
        json.raw("\",\"timestamp\":"); json.int(Int(m.lastTime / 1000))
        json.raw(",\"bids\":"); levels(bids)
        json.raw(",\"asks\":"); levels(asks)
        json.raw(",\"exchanges\":{")
        for (e, book) in m.books.enumerated() {
            if e > 0 { json.byte(UInt8(ascii: ",")) }
            json.encoded(quotedExchanges[e])
            json.raw(":{\"bids\":"); rows(book.bids)
            json.raw(",\"asks\":"); rows(book.asks)
            json.byte(UInt8(ascii: "}"))
        }
        json.raw("}}")
        return json.bytes
    }

    /// Unusual volume: the last full minute's volume against the average minute so far (needs
    /// five minutes of history).
    func publishUnusualVolume(_ m: SymbolMarket, base: String, into batch: inout RedisBatch) {
        let minutes = m.minuteVolumes.count
        guard minutes >= 6 else { return }
        let last = m.minuteVolumes[minutes - 2]
        let average = Double(m.minuteVolumes[0..<(minutes - 2)].reduce(0, +)) / Double(minutes - 2)
        let ratio = average > 0 ? Double(last) / average : 0
        batch.append(
            "SET", .text(base + "unusual_volume"),
            .text(
                "{\"ratio\":\(JSONText.number((ratio * 100).rounded() / 100)),\"volume_1m\":\(last),\"average_1m\":\(JSONText.number(average.rounded())),\"unusual\":\(ratio >= 3),\"timestamp\":\(m.lastTime / 1000)}"
            ))
    }
}

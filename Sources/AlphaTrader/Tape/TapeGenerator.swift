import Foundation

/// Generates a realistic trading day (`alphatrader replay-gen`): one second-by-second simulation
/// of every symbol, written as a time-ordered tape.
///
/// - Prices: a market factor with GARCH(1,1) volatility clustering (and a higher volatility at
///   the open and close) drives each symbol through its beta; each symbol adds its own clustered
///   idiosyncratic noise, so returns are correlated across symbols.
/// - Activity: trade arrivals are Poisson with an intraday U-shape (busy open and close, quiet
///   lunch) that also rises with volatility; order flow leans with the price move.
/// - Trade sizes: a mixture of odd lots, round lots, institutional prints and Pareto-tailed
///   blocks, clustered in time (a print tends to follow one of its own kind), so that a k-means
///   of sizes finds real clusters.
/// - Books (level-2 symbols): per exchange (ARCA, BATS, ISLAND, IEX) five levels a side, each
///   quoted by a market maker drawn from the exchange's own population, maintained with TWS
///   insert/update/delete semantics; occasional sweeps take several levels across exchanges.
/// - 5-second OHLCV bars from the trades.
///
/// The same seed gives the same tape; a partial tape (`from`/`to`) is the same simulation with
/// only the events inside its span written.
public struct TapeGenerator {
    public struct Options: Sendable {
        public var date: String
        public var seed: UInt64
        public var level2: [String]
        public var standard: [String]
        /// Session open and close, epoch seconds.
        public var open: Int64
        public var close: Int64
        /// Span to write, epoch seconds (defaults: the session).
        public var from: Int64?
        public var to: Int64?
        /// Late-day pinning by the dealers' hedging; none unless given.
        public var pinning: Pinning?
        /// How much the market moves and which way it leans (a calendar of tapes varies it).
        public var regime: Regime
        /// The seed whose first draws are the opening prices, when not `seed` (a calendar of tapes
        /// opens each day where the premarket stand-in quotes its options: the default seed's).
        public var openingSeed: UInt64?
        public init(
            date: String, seed: UInt64, level2: [String], standard: [String], open: Int64, close: Int64, from: Int64? = nil, to: Int64? = nil,
            pinning: Pinning? = nil, regime: Regime = .normal, openingSeed: UInt64? = nil
        ) {
            self.date = date; self.seed = seed; self.level2 = level2; self.standard = standard
            self.open = open; self.close = close; self.from = from; self.to = to; self.pinning = pinning; self.regime = regime
            self.openingSeed = openingSeed
        }
    }

    /// A day's market regime: the market factor's volatility over the session, and its drift
    /// (the session's expected log return — a trend day up or down, or none).
    public struct Regime: Sendable, Equatable, CustomStringConvertible {
        public var volatility: Double
        public var drift: Double
        public init(volatility: Double, drift: Double) { self.volatility = volatility; self.drift = drift }

        /// 1 % a day, no trend: a single day's tape unless told otherwise.
        public static let normal = Regime(volatility: 0.010, drift: 0)

        /// The regime of a day of a calendar of tapes, drawn from that day's seed (not from the
        /// simulation's own draws: the day opens where its seed opens it, as the premarket
        /// stand-in expects): calm (0.6 %) 30 %, normal (1 %) 45 %, volatile (1.8 %) 25 %, each
        /// with a drift of a normal 0.6 of its volatility (a third of the days trend by more than
        /// half of it).
        public static func drawn(seed: UInt64) -> Regime {
            var rng = SeededRandom(seed: seed ^ 0x5EED_0F_DA15)
            let u = rng.uniform()
            let volatility = u < 0.30 ? 0.006 : u < 0.75 ? 0.010 : 0.018
            return Regime(volatility: volatility, drift: volatility * 0.6 * rng.normal())
        }

        public var name: String { volatility < 0.008 ? "calm" : volatility > 0.014 ? "volatile" : "normal" }
        /// "up", "down" or "flat": a drift of more than half the day's volatility is a trend.
        public var trend: String { drift > volatility / 2 ? "up" : drift < -volatility / 2 ? "down" : "flat" }
        public var description: String {
            String(format: "%@ (%.1f %% a day), %@ (drift %+.2f %%)", name, volatility * 100, trend, drift * 100)
        }
    }

    /// A day's seed in a calendar of tapes: the calendar's seed mixed with the day
    /// (days since the epoch), so that each day's market differs and is the same every time.
    public static func daySeed(_ seed: UInt64, day: Int) -> UInt64 {
        var h = seed ^ (UInt64(bitPattern: Int64(day)) &* 0x9E37_79B9_7F4A_7C15)
        h ^= h >> 31
        return h &* 0xBF58_476D_1CE4_E5B9
    }

    /// The pull of a strike where dealers are long gamma on the price late on an expiry day: they
    /// sell into every rise and buy every dip toward it, and the price is drawn to the strike
    /// (Avellaneda and Lipkin's pinning model; Ni, Pearson and Poteshman measured it on expiry
    /// days). From `from` to the close each pinned symbol's price reverts toward its pin, halving
    /// the distance every `halfLife` seconds on average, its own noise still on top.
    public struct Pinning: Sendable {
        /// When the pull starts, epoch seconds.
        public var from: Int64
        public var halfLife: Double
        /// A symbol's pin for its price at `from`, or nil when nothing pins it.
        public var pin: @Sendable (_ symbol: String, _ price: Double) -> Double?
        public init(from: Int64, halfLife: Double = 900, pin: @escaping @Sendable (_ symbol: String, _ price: Double) -> Double?) {
            self.from = from; self.halfLife = halfLife; self.pin = pin
        }
    }

    /// What was written.
    public struct Summary: Sendable, Equatable {
        public var trades = 0, quotes = 0, depth = 0, bars = 0
        public var total: Int { trades + quotes + depth + bars }
    }

    /// Market makers per exchange, with how often each one quotes a level there.
    static let makers: [(exchange: String, ids: [String], weights: [Double])] = [
        ("ARCA", ["ARCA", "GSCO", "MSCO", "CDRG", "VIRT"], [4, 2, 2, 3, 3]),
        ("BATS", ["BATS", "CITD", "SUSQ", "GSCO"], [3, 4, 2, 1]),
        ("ISLAND", ["NSDQ", "CDRG", "VIRT", "JPMS", "UBSS"], [4, 3, 3, 1, 1]),
        ("IEX", ["IEXG", "JANE", "VIRT"], [3, 2, 1]),
    ]

    /// Typical parameters of the configured symbols; others get middling ones.
    struct Profile {
        var price: Double, beta: Double, idio: Double, rate: Double, spread: Int
    }
    static let profiles: [String: Profile] = [
        "SPY": Profile(price: 600, beta: 1.0, idio: 0.001, rate: 8, spread: 1),
        "QQQ": Profile(price: 520, beta: 1.2, idio: 0.003, rate: 5, spread: 1),
        "IWM": Profile(price: 230, beta: 1.1, idio: 0.005, rate: 3, spread: 1),
        "AAPL": Profile(price: 230, beta: 1.1, idio: 0.012, rate: 4, spread: 1),
        "TSLA": Profile(price: 340, beta: 1.8, idio: 0.030, rate: 5, spread: 2),
        "NVDA": Profile(price: 180, beta: 1.7, idio: 0.025, rate: 6, spread: 1),
        "META": Profile(price: 600, beta: 1.3, idio: 0.018, rate: 2.5, spread: 3),
        "AMZN": Profile(price: 220, beta: 1.2, idio: 0.015, rate: 3, spread: 1),
        "MSFT": Profile(price: 480, beta: 1.0, idio: 0.011, rate: 2.5, spread: 2),
        "GOOGL": Profile(price: 300, beta: 1.1, idio: 0.014, rate: 2.5, spread: 1),
        "AMD": Profile(price: 220, beta: 1.6, idio: 0.028, rate: 3, spread: 1),
        "VXX": Profile(price: 45, beta: -3.0, idio: 0.020, rate: 1, spread: 1),
    ]

    public let options: Options
    public init(options: Options) { self.options = options }

    /// The seed `replay-gen` uses unless told otherwise (and the premarket stand-in, so that its
    /// options are quoted around the prices the day's tape opens at).
    public static let defaultSeed: UInt64 = 1

    static func profile(_ name: String) -> Profile {
        // Others get a middling profile, priced by their name's letters (String.hashValue is
        // seeded per process: the same seed would not give the same tape).
        profiles[name] ?? Profile(price: 50 + Double(name.utf8.reduce(0) { $0 + Int($1) } % 7) * 40, beta: 1.0, idio: 0.015, rate: 2, spread: 1)
    }

    /// Where each symbol's day starts: its typical price moved by a lognormal 5 % — the first
    /// draws of the simulation.
    static func openingPrices(_ rng: inout SeededRandom, symbols: [String]) -> [Double] {
        symbols.map { profile($0).price * exp(0.05 * rng.normal()) }
    }

    /// The prices a tape of this seed opens at, by symbol (level-2 symbols first, as in the tape),
    /// without simulating the day.
    public static func openingPrices(seed: UInt64, level2: [String], standard: [String]) -> [String: Double] {
        var rng = SeededRandom(seed: seed)
        let symbols = level2 + standard
        return Dictionary(uniqueKeysWithValues: zip(symbols, openingPrices(&rng, symbols: symbols)))
    }

    public var header: TapeHeader {
        let from = options.from ?? options.open, to = options.to ?? options.close
        return TapeHeader(
            date: options.date, seed: options.seed, symbols: options.level2 + options.standard,
            level2Count: options.level2.count, exchanges: TapeFormat.exchanges,
            marketMakers: TapeGenerator.allMakers, open: options.open, close: options.close, from: from, to: to)
    }

    static let allMakers: [String] = {
        var list: [String] = []
        for entry in makers { for id in entry.ids where !list.contains(id) { list.append(id) } }
        return list
    }()

    /// Writes the tape to `path` (atomically) and returns what it holds.
    public func write(to path: String) throws(TapeError) -> Summary {
        let writer = try TapeWriter(path: path, header: header)
        var summary = Summary()
        var failure: TapeError?
        generate { event in
            guard failure == nil else { return }
            do throws(TapeError) { try writer.write(event) } catch { failure = error; return }
            switch event {
            case .trade: summary.trades += 1
            case .quote: summary.quotes += 1
            case .depth: summary.depth += 1
            case .bar: summary.bars += 1
            }
        }
        if let failure { throw failure }
        try writer.finish()
        return summary
    }

    /// Per-symbol simulation state.
    struct SymbolState {
        var name: String
        var profile: Profile
        var level2: Bool
        var efficient: Double  // the "true" price
        var bid: Int, ask: Int  // NBBO in cents
        var idioVariance: Double  // GARCH state of the idiosyncratic part
        var lastClass = 1
        // Per exchange, per side (0 ask, 1 bid): five levels.
        var books: [[[Level]]] = []
        var offsets: [Int] = []  // how far each exchange's best sits behind the NBBO
        // The bar in progress.
        var barOpen = 0.0, barHigh = 0.0, barLow = 0.0, barClose = 0.0, barVolume = 0, barNotional = 0.0, barCount = 0
    }
    struct Level { var price: Int; var size: Int; var maker: Int }

    /// Runs the simulation, handing every event in time order to `emit`.
    public func generate(_ emit: (MarketEvent) -> Void) {
        var rng = SeededRandom(seed: options.seed)
        let symbols = options.level2 + options.standard
        let from = (options.from ?? options.open) * 1_000_000, to = (options.to ?? options.close) * 1_000_000
        let length = Double(max(1, options.close - options.open))
        let makerIndex = TapeGenerator.makers.map { entry in entry.ids.map { TapeGenerator.allMakers.firstIndex(of: $0)! } }
        let makerWeights = TapeGenerator.makers.map { entry in entry.weights.reduce(into: [Double]()) { $0.append(($0.last ?? 0) + $1) } }
        let exchangeWeights: [Double] = [0.30, 0.55, 0.85, 1.0]

        let opening: [Double]
        if let openingSeed = options.openingSeed {
            var other = SeededRandom(seed: openingSeed)
            opening = TapeGenerator.openingPrices(&other, symbols: symbols)
        } else {
            opening = TapeGenerator.openingPrices(&rng, symbols: symbols)
        }
        var states: [SymbolState] = symbols.enumerated().map { i, name in
            let profile = TapeGenerator.profile(name)
            let price = opening[i]
            let bid = Int((price * 100).rounded(.down)) - profile.spread / 2
            return SymbolState(
                name: name, profile: profile, level2: i < options.level2.count, efficient: price,
                bid: bid, ask: bid + profile.spread, idioVariance: 1)
        }
        let secondsPerDay = 23_400.0
        let marketMean = pow(options.regime.volatility, 2) / secondsPerDay  // 1 % a day in the normal regime
        let drift = options.regime.drift / length
        var marketVariance = marketMean

        // Level-2 books start full.
        for s in states.indices where states[s].level2 {
            states[s].offsets = (0..<4).map { _ in rng.uniform() < 0.6 ? 0 : 1 }
            states[s].books = (0..<4).map { e in
                (0..<2).map { side in
                    (0..<5).map { k in
                        let best = side == 1 ? states[s].bid - states[s].offsets[e] : states[s].ask + states[s].offsets[e]
                        return Level(
                            price: side == 1 ? best - k : best + k, size: TapeGenerator.levelSize(k, &rng),
                            maker: makerIndex[e][rng.pick(makerWeights[e])])
                    }
                }
            }
        }

        var batch: [(Int64, Int, MarketEvent)] = []
        batch.reserveCapacity(4096)
        var sequence = 0
        func push(_ time: Int64, _ event: MarketEvent) {
            guard time >= from && time < to else { return }
            batch.append((time, sequence, event)); sequence += 1
        }

        var snapshotWritten = false
        var pins: [Double?] = Array(repeating: nil, count: states.count)
        let pull = options.pinning.map { log(2) / max(1, $0.halfLife) } ?? 0
        var second = options.open
        while second < options.close && second * 1_000_000 < to {
            let x = Double(second - options.open) / length
            let shape = 0.68 + 4 * exp(-x / 0.05) + 3 * exp(-(1 - x) / 0.04)
            let volShape = 0.8 + 1.2 * exp(-x / 0.04) + 0.6 * exp(-(1 - x) / 0.04)
            // Market factor: GARCH(1,1) with a persistence of minutes.
            let z = rng.normal()
            let marketShock = (marketVariance * volShape).squareRoot() * z + drift
            marketVariance = marketMean * 0.002 + 0.006 * marketMean * z * z + 0.992 * marketVariance
            let volFactor = min(3, max(0.5, (marketVariance / marketMean).squareRoot()))
            let base = second * 1_000_000
            if let pinning = options.pinning, second == max(options.open, pinning.from) {
                for s in states.indices { pins[s] = pinning.pin(states[s].name, states[s].efficient) }
            }
            if !snapshotWritten && base >= from {
                // The tape opens with every book and quote as it stands, so that a reader starts
                // from a full picture (IB likewise sends a book's rows as inserts on subscribe).
                snapshotWritten = true
                for s in states.indices {
                    let st = states[s]
                    if st.level2 {
                        for ex in 0..<4 {
                            for side in 0..<2 {
                                for (k, level) in st.books[ex][side].enumerated() {
                                    push(
                                        base,
                                        .depth(
                                            DepthUpdate(
                                                time: base, symbol: s, exchange: ex, marketMaker: level.maker, position: k,
                                                operation: .insert, side: side == 0 ? .ask : .bid,
                                                price: Double(level.price) / 100, size: level.size)))
                                }
                            }
                        }
                    }
                    let (bs, asz) = TapeGenerator.topSizes(st, &rng)
                    push(base, .quote(Quote(time: base, symbol: s, bid: Double(st.bid) / 100, ask: Double(st.ask) / 100, bidSize: bs, askSize: asz)))
                }
            }

            for s in states.indices {
                var st = states[s]
                let idioMean = pow(st.profile.idio, 2) / secondsPerDay
                let e = rng.normal()
                let idioShock = (idioMean * st.idioVariance * volShape).squareRoot() * e
                st.idioVariance = 0.004 + 0.006 * e * e + 0.99 * st.idioVariance
                var r = st.profile.beta * marketShock + idioShock
                if let pin = pins[s] { r += pull * log(pin / st.efficient) }
                st.efficient *= exp(r)
                let sigma = ((pow(st.profile.beta, 2) * marketVariance + idioMean * st.idioVariance) * volShape).squareRoot()
                let stepTime = base + Int64(rng.uniform() * 900_000)

                // The NBBO follows the efficient price when it leaves the quote.
                let cents = st.efficient * 100
                var spread = st.profile.spread
                if rng.uniform() < 0.08 { spread += 1 }
                var newBid = st.bid
                if cents > Double(st.ask) || cents < Double(st.bid) || spread != st.ask - st.bid {
                    newBid = Int((cents - Double(spread) / 2).rounded())
                }
                let moved = newBid != st.bid || newBid + spread != st.ask
                // Events are drawn at random instants of the second but applied to the model in
                // the order below; so that the tape, read in time order, tells the same story, what
                // happens before the move sees the old quote, and book churn (position-based, like
                // every TWS depth update) waits until every exchange's book has moved.
                let oldBid = st.bid, oldAsk = st.ask
                let movedAt = moved ? stepTime + 2_000 : base
                let booksQuietFrom = moved ? stepTime + 4 * 300 + 1_500 + 500 : base
                if moved {
                    if st.level2 {
                        for ex in 0..<4 {
                            let latency = stepTime + Int64(ex) * 300 + Int64(rng.uniform() * 1_500)
                            if rng.uniform() < 0.05 { st.offsets[ex] = st.offsets[ex] == 0 ? 1 : 0 }
                            TapeGenerator.moveBook(
                                &st, symbol: s, exchange: ex, side: 1, best: newBid - st.offsets[ex], time: latency,
                                rng: &rng, makers: makerIndex[ex], weights: makerWeights[ex], push: push)
                            TapeGenerator.moveBook(
                                &st, symbol: s, exchange: ex, side: 0, best: newBid + spread + st.offsets[ex], time: latency + 50,
                                rng: &rng, makers: makerIndex[ex], weights: makerWeights[ex], push: push)
                        }
                    }
                    st.bid = newBid; st.ask = newBid + spread
                    let (bs, asz) = TapeGenerator.topSizes(st, &rng)
                    push(
                        stepTime + 2_000,
                        .quote(Quote(time: stepTime + 2_000, symbol: s, bid: Double(st.bid) / 100, ask: Double(st.ask) / 100, bidSize: bs, askSize: asz)))
                }
                // Size changes at the top without a price change.
                for _ in 0..<rng.poisson(0.8 * shape) {
                    let t = base + Int64(rng.uniform() * 1_000_000)
                    let (bs, asz) = TapeGenerator.topSizes(st, &rng)
                    let (bid, ask) = t < movedAt ? (oldBid, oldAsk) : (st.bid, st.ask)
                    push(t, .quote(Quote(time: t, symbol: s, bid: Double(bid) / 100, ask: Double(ask) / 100, bidSize: bs, askSize: asz)))
                }
                // Book churn: market makers refreshing their sizes.
                if st.level2 {
                    for _ in 0..<rng.poisson(26 * shape) {
                        let ex = rng.pick(exchangeWeights), side = Int(rng.next() & 1), k = Int(rng.next() % 5)
                        let t = booksQuietFrom + Int64(rng.uniform() * Double(base + 1_000_000 - booksQuietFrom))
                        var level = st.books[ex][side][k]
                        level.size = TapeGenerator.levelSize(k, &rng)
                        if rng.uniform() < 0.3 { level.maker = makerIndex[ex][rng.pick(makerWeights[ex])] }
                        st.books[ex][side][k] = level
                        push(
                            t,
                            .depth(
                                DepthUpdate(
                                    time: t, symbol: s, exchange: ex, marketMaker: level.maker, position: k, operation: .update,
                                    side: side == 0 ? .ask : .bid, price: Double(level.price) / 100, size: level.size)))
                    }
                }
                // Trades: Poisson arrivals, order flow leaning with the move.
                let lean = sigma > 0 ? tanh(r / sigma) : 0
                let count = rng.poisson(st.profile.rate * shape * volFactor)
                // The second's prints, folded into the bar in time order once all are drawn.
                var prints: [(time: Int64, price: Double, size: Int)] = []
                for _ in 0..<count {
                    let t = base + Int64(rng.uniform() * 1_000_000)
                    let buy = rng.uniform() < 0.5 + 0.35 * lean
                    let (bid, ask) = t < movedAt ? (oldBid, oldAsk) : (st.bid, st.ask)
                    var price = Double(buy ? ask : bid) / 100
                    if rng.uniform() < 0.05 { price = Double(bid + ask) / 200 }  // a midpoint print: hidden liquidity
                    let size = TapeGenerator.tradeSize(&st.lastClass, &rng)
                    prints.append((t, price, size))
                    push(t, .trade(Trade(time: t, symbol: s, exchange: rng.pick(exchangeWeights), price: price, size: size)))
                }
                // A sweep: one aggressive order taking several levels across exchanges.
                if rng.uniform() < shape / 1_200 {
                    let buy = rng.uniform() < 0.5 + 0.3 * lean
                    let levels = 3 + Int(rng.next() % 4)
                    let start = max(base, movedAt)
                    var t = start + Int64(rng.uniform() * Double(max(0, base + 900_000 - start)))
                    for k in 0..<levels {
                        let price = Double(buy ? st.ask + k : st.bid - k) / 100
                        let size = 100 * (3 + Int(rng.next() % 20))
                        prints.append((t, price, size))
                        push(t, .trade(Trade(time: t, symbol: s, exchange: k % 4, price: price, size: size)))
                        t += Int64(200 + rng.next() % 1_500)
                    }
                }
                for p in prints.sorted(by: { $0.time < $1.time }) { TapeGenerator.addToBar(&st, price: p.price, size: p.size) }
                states[s] = st
            }

            // Bars close on 5-second boundaries.
            if (second + 1 - options.open) % Bar.seconds == 0 {
                let t = (second + 1) * 1_000_000
                for s in states.indices {
                    var st = states[s]
                    let last = st.barCount > 0 ? st.barClose : Double(st.bid + st.ask) / 200
                    let bar =
                        st.barCount > 0
                        ? Bar(
                            time: t, symbol: s, open: st.barOpen, high: st.barHigh, low: st.barLow, close: st.barClose,
                            volume: st.barVolume, wap: st.barNotional / Double(max(1, st.barVolume)), count: st.barCount)
                        : Bar(time: t, symbol: s, open: last, high: last, low: last, close: last, volume: 0, wap: last, count: 0)
                    st.barCount = 0; st.barVolume = 0; st.barNotional = 0
                    st.barClose = last
                    states[s] = st
                    push(t, .bar(bar))
                }
            }

            batch.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            // Everything up to the next second's earliest possible event is final.
            for item in batch { emit(item.2) }
            batch.removeAll(keepingCapacity: true)
            second += 1
        }
    }

    static func levelSize(_ depth: Int, _ rng: inout SeededRandom) -> Int {
        100 * (1 + Int(rng.exponential() * Double(3 + 2 * depth)))
    }

    /// NBBO sizes: for a book, what the exchanges at the best show; else a plausible size.
    static func topSizes(_ st: SymbolState, _ rng: inout SeededRandom) -> (Int, Int) {
        guard st.level2 else { return (levelSize(0, &rng), levelSize(0, &rng)) }
        var bid = 0, ask = 0
        for ex in 0..<4 {
            if st.books[ex][1][0].price == st.bid { bid += st.books[ex][1][0].size }
            if st.books[ex][0][0].price == st.ask { ask += st.books[ex][0][0].size }
        }
        return (max(bid, 100), max(ask, 100))
    }

    /// Trade size classes: odd lots, round lots, institutional, Pareto-tailed blocks; a print
    /// tends to follow one of its own class.
    static func tradeSize(_ lastClass: inout Int, _ rng: inout SeededRandom) -> Int {
        var cls = lastClass
        if rng.uniform() >= 0.35 {
            let u = rng.uniform()
            cls = u < 0.35 ? 0 : u < 0.85 ? 1 : u < 0.97 ? 2 : 3
        }
        lastClass = cls
        switch cls {
        case 0: return min(99, max(1, Int(exp(log(25) + 0.6 * rng.normal()))))
        case 1: return 100 * (1 + rng.poisson(1.5))
        case 2: return 100 * max(5, Int(exp(log(15) + 0.4 * rng.normal()).rounded()))
        default:
            let pareto = 5_000 / pow(1 - rng.uniform(), 1 / 1.4)
            return 100 * Int(min(1_000_000, pareto) / 100)
        }
    }

    static func addToBar(_ st: inout SymbolState, price: Double, size: Int) {
        if st.barCount == 0 { st.barOpen = price; st.barHigh = price; st.barLow = price }
        st.barHigh = max(st.barHigh, price); st.barLow = min(st.barLow, price); st.barClose = price
        st.barVolume += size; st.barNotional += price * Double(size); st.barCount += 1
    }

    /// Moves one side of one exchange's book to a new best price with as few TWS operations as
    /// a real feed would send: levels that stay keep their place (delete at one end, insert at
    /// the other); a jump of the whole book's depth or more rewrites the five levels.
    static func moveBook(
        _ st: inout SymbolState, symbol: Int, exchange: Int, side: Int, best: Int, time: Int64,
        rng: inout SeededRandom, makers: [Int], weights: [Double], push: (Int64, MarketEvent) -> Void
    ) {
        var levels = st.books[exchange][side]
        let oldBest = levels[0].price
        guard oldBest != best else { return }
        let sideValue: DepthUpdate.Side = side == 0 ? .ask : .bid
        // For the bid, a higher best improves; for the ask, a lower one.
        let improve = side == 1 ? best - oldBest : oldBest - best
        let step = side == 1 ? -1 : 1  // price of level k = best + k·step
        var t = time
        func emit(_ op: DepthUpdate.Operation, _ k: Int, _ level: Level) {
            push(
                t,
                .depth(
                    DepthUpdate(
                        time: t, symbol: symbol, exchange: exchange, marketMaker: level.maker, position: k, operation: op,
                        side: sideValue, price: Double(level.price) / 100, size: op == .delete ? 0 : level.size)))
            t += 10
        }
        func fresh(_ k: Int) -> Level {
            Level(price: best + k * step, size: levelSize(k, &rng), maker: makers[rng.pick(weights)])
        }
        let shift = abs(improve)
        if shift >= 3 {
            for k in 0..<5 { levels[k] = fresh(k); emit(.update, k, levels[k]) }
        } else if improve > 0 {
            for _ in 0..<shift { let gone = levels.removeLast(); emit(.delete, levels.count, gone) }
            for k in 0..<shift { let level = fresh(k); levels.insert(level, at: k); emit(.insert, k, level) }
        } else {
            for _ in 0..<shift { let gone = levels.removeFirst(); emit(.delete, 0, gone) }
            for k in (5 - shift)..<5 { let level = fresh(k); levels.append(level); emit(.insert, k, level) }
        }
        st.books[exchange][side] = levels
    }
}

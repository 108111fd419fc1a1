import Foundation
public import OrchestratorCore
public import Redis

/// What the morning analysis knows before the open (SPEC §11): per symbol the prior session
/// (open, high, low, close; its VWAP and bands when the feed recorded that session), the
/// premarket price and the overnight move, the dealers' options positioning (gamma exposure,
/// the flip, the strikes holding the most gamma, put/call, unusual activity), the news
/// sentiment and the daily technicals, with the classic floor pivots; the day's economic
/// releases; the positions held overnight. Built from the documents the premarket job and the
/// feed wrote (`gather`) — a pure value, so that the rules and the prompt are tested on
/// hand-built pictures. What could not be read is named in `missing`, never silently zero.
public struct MorningPicture: Sendable, Equatable, Codable {
    public struct Pivots: Sendable, Equatable, Codable {
        public var pivot: Double, r1: Double, r2: Double, s1: Double, s2: Double

        /// Classic floor pivots of a session: P = (H + L + C) / 3, R1 = 2P − L, S1 = 2P − H,
        /// R2 = P + (H − L), S2 = P − (H − L).
        public init(high: Double, low: Double, close: Double) {
            pivot = (high + low + close) / 3
            r1 = 2 * pivot - low; s1 = 2 * pivot - high
            r2 = pivot + (high - low); s2 = pivot - (high - low)
        }
    }

    public struct Strike: Sendable, Equatable, Codable {
        public var strike: Double
        /// Its share of the absolute gamma (0…1).
        public var share: Double
        /// Dealers long gamma there (a pin) or short (a move accelerates through it).
        public var long: Bool
        public init(strike: Double, share: Double, long: Bool) { self.strike = strike; self.share = share; self.long = long }
    }

    public struct Symbol: Sendable, Equatable, Codable {
        public var symbol: String
        /// The prior session (YYYY-MM-DD) and its prices.
        public var priorDate: String?
        public var priorOpen: Double?, priorHigh: Double?, priorLow: Double?, priorClose: Double?
        public var pivots: Pivots?
        /// The prior session's VWAP and its volume-weighted standard deviation (the feed's
        /// ticker, when it recorded that session).
        public var vwap: Double?, vwapSD: Double?
        /// The premarket price (the options chain's spot) and its move from the prior close, %.
        public var spot: Double?
        public var overnightPct: Double?
        /// Dealers' gamma exposure, dollars per 1 % move; the zero-gamma flip.
        public var gex: Double?
        public var flip: Double?
        public var gammaStrikes: [Strike] = []
        public var putCallVolume: Double?
        public var putCallOpenInterest: Double?
        /// Premium traded in unusual contracts (volume ≥ 2 × open interest), calls and puts.
        public var unusualCallPremium: Double?, unusualPutPremium: Double?
        /// −1…+1 and the article count (ETFs have none).
        public var sentiment: Double?
        public var articles: Int?
        public var rsi: Double?
        public var macdHistogram: Double?
        public var bollingerUpper: Double?, bollingerLower: Double?
        public var atr: Double?

        public init(symbol: String) { self.symbol = symbol }
    }

    public struct Held: Sendable, Equatable, Codable {
        public var strategy: String
        public var instrument: String
        public var side: String
        public var openedAt: Double
        public init(strategy: String, instrument: String, side: String, openedAt: Double) {
            self.strategy = strategy; self.instrument = instrument; self.side = side; self.openedAt = openedAt
        }
    }

    public var date: String
    public var symbols: [Symbol]
    public var events: [EconomicCalendar.Event]
    /// Series whose published schedule does not reach the day.
    public var unknownSchedules: [String]
    public var held: [Held]
    /// Realized P&L of the positions closed in the prior session, when the journal has it.
    public var priorRealized: Double?
    /// What could not be read, in words ("SPY: no options positioning").
    public var missing: [String]

    public init(date: String, symbols: [Symbol], events: [EconomicCalendar.Event] = [], unknownSchedules: [String] = [], held: [Held] = []) {
        self.date = date; self.symbols = symbols; self.events = events; self.unknownSchedules = unknownSchedules; self.held = held
        priorRealized = nil
        missing = []
    }

    static let newYork = ZoneRules.of(TimeZone(identifier: "America/New_York")!)

    /// The session before `day` on `exchange`.
    static func previousSession(before day: LocalDate, on exchange: any ExchangeCalendar) -> Session? {
        var d = day.adding(days: -1)
        for _ in 0..<15 {
            if let s = try? exchange.session(on: d) { return s }
            d = d.adding(days: -1)
        }
        return nil
    }

    /// The keys read per symbol, in the order `symbol(_:texts:)` takes them.
    public static func keys(_ symbol: String) -> [String] {
        [
            PriorDay.key(symbol), TickerDocument.key(symbol), ExposureDocument.gexKey(symbol), OptionsFlowDocument.key(symbol),
            UnusualActivityDocument.key(symbol), SentimentDocument.key(symbol),
        ] + PremarketJob.indicators.map { IndicatorDocument.key(symbol, $0) }
    }

    /// One symbol's part from its documents' texts (in `keys` order), and what was missing.
    public static func symbol(_ name: String, texts: [String?]) -> (Symbol, [String]) {
        var x = Symbol(symbol: name)
        var missing: [String] = []
        if let prior = PriorDayDocument.read(texts[0]) {
            x.priorDate = prior.date
            x.priorOpen = prior.open; x.priorHigh = prior.high; x.priorLow = prior.low; x.priorClose = prior.close
            x.pivots = Pivots(high: prior.high, low: prior.low, close: prior.close)
        } else {
            missing.append("\(name): no prior session (GLOBAL_QUOTE)")
        }
        // The feed's ticker is the prior session's when it is dated that session.
        if let ticker = TickerDocument.read(texts[1]), ticker.vwap > 0, let priorDate = x.priorDate,
            MorningPicture.newYork.localDate(of: ticker.timestamp / 1000).description == priorDate
        {
            x.vwap = ticker.vwap
            x.vwapSD = ticker.vwapSd
        }
        if let gex = ExposureDocument.read(texts[2]) {
            x.spot = gex.spot
            x.gex = gex.total
            x.flip = gex.flip
            x.gammaStrikes = SnapshotReader.gammaStrikes(gex.byStrike).prefix(3).map { Strike(strike: $0.strike, share: $0.share, long: $0.long) }
        } else {
            missing.append("\(name): no options positioning")
        }
        if let spot = x.spot, let close = x.priorClose, close > 0 { x.overnightPct = (spot / close - 1) * 100 }
        if let flow = OptionsFlowDocument.read(texts[3]) {
            x.putCallVolume = flow.putCallVolume
            x.putCallOpenInterest = flow.putCallOpenInterest
        }
        if let unusual = UnusualActivityDocument.read(texts[4]) {
            x.unusualCallPremium = unusual.contracts.filter { $0.type == "call" }.reduce(0) { $0 + $1.premium }
            x.unusualPutPremium = unusual.contracts.filter { $0.type == "put" }.reduce(0) { $0 + $1.premium }
        }
        if let sentiment = SentimentDocument.read(texts[5]) {
            x.sentiment = sentiment.score
            x.articles = sentiment.articles
        }
        let rsi = IndicatorDocument.read(texts[6]), macd = IndicatorDocument.read(texts[7])
        let bands = IndicatorDocument.read(texts[8]), atr = IndicatorDocument.read(texts[9])
        x.rsi = rsi?.value["RSI"]
        x.macdHistogram = macd?.value["MACD_Hist"]
        x.bollingerUpper = bands?.value["Real Upper Band"]
        x.bollingerLower = bands?.value["Real Lower Band"]
        x.atr = atr?.value["ATR"]
        if rsi == nil || macd == nil || bands == nil || atr == nil { missing.append("\(name): technicals incomplete") }
        return (x, missing)
    }

    /// The picture for session `day`: every symbol's documents in one round trip, the day's
    /// releases, and from the journal (when there is one) the positions held and the prior
    /// session's realized P&L.
    public static func gather(
        redis: RedisClient, symbols: [String], day: LocalDate, calendar: EconomicCalendar, exchange: any ExchangeCalendar, journal: Journal?
    ) throws -> MorningPicture {
        let perSymbol = keys("X").count
        let replies = try redis.pipeline(symbols.flatMap { keys($0).map { ["GET", $0] } })
        var picture = MorningPicture(date: day.description, symbols: [])
        for (i, name) in symbols.enumerated() {
            let (x, missing) = symbol(name, texts: replies[(i * perSymbol)..<((i + 1) * perSymbol)].map(\.text))
            picture.symbols.append(x)
            picture.missing += missing
        }
        (picture.events, picture.unknownSchedules) = calendar.events(on: day)
        if let journal {
            let positions = try journal.managedPositions()
            picture.held = positions.filter { $0.closedAt == nil }.map {
                Held(strategy: $0.strategy, instrument: $0.instrument.description, side: $0.side.rawValue, openedAt: $0.openedAt)
            }
            if let prior = previousSession(before: day, on: exchange) {
                let closed = positions.filter { p in p.closedAt.map { $0 >= Double(prior.open) && $0 <= Double(prior.close) + 3600 } ?? false }
                picture.priorRealized = closed.compactMap(\.realizedPnL).reduce(0, +)
            }
        }
        return picture
    }
}

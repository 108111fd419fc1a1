import Foundation
public import OrchestratorCore

/// What a strategy sees of one symbol: the market, the analytics, the options positioning, the
/// flow, the sentiment and the discovered parameters — typed values read from their documents,
/// nil where a value is missing (a strategy that needs it does not fire, and says so).
public struct SymbolSnapshot: Sendable, Equatable {
    public struct GammaStrike: Sendable, Equatable {
        public var strike: Double
        /// The strike's share of the absolute gamma exposure (0…1).
        public var share: Double
        /// Dealers long gamma at the strike (they sell into a rise and buy a dip: a pin), or short.
        public var long: Bool
        public init(strike: Double, share: Double, long: Bool = true) { self.strike = strike; self.share = share; self.long = long }
    }

    /// Unusual options activity on the symbol (from the premarket chain and the flow).
    public struct Unusual: Sendable, Equatable {
        /// Volume against open interest on the most unusual contract.
        public var volumeToOpenInterest: Double
        /// Premium traded on unusual contracts, dollars.
        public var premium: Double
        /// +1 when calls dominate, −1 puts.
        public var side: Int
        public var sweeps: Int
        public init(volumeToOpenInterest: Double, premium: Double, side: Int, sweeps: Int) {
            self.volumeToOpenInterest = volumeToOpenInterest; self.premium = premium; self.side = side; self.sweeps = sweeps
        }
    }

    public var symbol: String
    /// The quote's mid and the day so far.
    public var price: Double
    public var open: Double
    public var vwap: Double
    public var vpin: Double?
    /// Order-book imbalance, −1 (offers) … +1 (bids).
    public var imbalance: Double?
    /// Dealers' total gamma exposure, dollars per 1 % move, and the price where it changes sign.
    public var gex: Double?
    public var flip: Double?
    /// Strikes by their share of gamma, largest first.
    public var gammaStrikes: [GammaStrike] = []
    /// Net option premium (calls − puts) over total, −1 … +1.
    public var flow: Double?
    public var unusual: Unusual?
    /// News sentiment, −1 … +1.
    public var sentiment: Double?
    /// One-day return volatility (discovered), a fraction, and its regime today ("low",
    /// "normal", "high").
    public var volatility: Double?
    public var regime: String?
    /// When the quote was last updated (the ticker's market time), seconds since the epoch.
    public var updated: Double?

    public init(symbol: String, price: Double, open: Double, vwap: Double) {
        self.symbol = symbol; self.price = price; self.open = open; self.vwap = vwap
    }
}

/// Everything the strategies decide on at one moment: values only, so a strategy is a pure
/// function of it.
public struct StrategySnapshot: Sendable {
    public var now: Double
    /// Minutes of the market's day.
    public var minuteOfDay: Int
    /// An option expiry: YYYYMMDD and its close, seconds since the epoch.
    public struct Expiry: Sendable, Equatable {
        public var date: String
        public var closesAt: Double
        public init(date: String, closesAt: Double) { self.date = date; self.closesAt = closesAt }
    }

    /// Today's expiry (0DTE), the next session's (1DTE) and the listed weekly nearest two weeks
    /// out (14DTE) — from the exchange calendar, by the caller.
    public var today: Expiry
    public var nextSession: Expiry
    public var twoWeeks: Expiry
    public var symbols: [String: SymbolSnapshot]
    /// Symbols on which each strategy already has a live signal or position: one at a time.
    public var live: [String: Set<String>]

    public init(
        now: Double, minuteOfDay: Int, today: Expiry, nextSession: Expiry, twoWeeks: Expiry, symbols: [String: SymbolSnapshot],
        live: [String: Set<String>] = [:]
    ) {
        self.now = now; self.minuteOfDay = minuteOfDay; self.today = today; self.nextSession = nextSession; self.twoWeeks = twoWeeks
        self.symbols = symbols; self.live = live
    }
}

/// Options chosen by delta under the model the paper broker quotes by (Black–Scholes under
/// `VolatilitySmile`), on the strikes the exchanges list.
public enum OptionChooser {

    /// The listed strike step around a price: a dollar from $200, fifty cents from $50, a quarter below.
    public static func strikeStep(_ price: Double) -> Double { price >= 200 ? 1 : price >= 50 ? 0.5 : 0.25 }

    /// The call (long) or put (short) expiring at `expiresAt` whose |delta| is nearest `target`,
    /// with its model price and delta. |delta| falls as a call's strike rises (and rises with a
    /// put's), so the strikes within 40 steps of the money are searched by halves: ~7 prices, not 81.
    public static func byDelta(
        symbol: String, spot: Double, long: Bool, target: Double, expiry: String, expiresAt: Double, now: Double
    ) -> (instrument: Instrument, price: Double, delta: Double)? {
        guard spot > 0, target > 0, target < 1 else { return nil }
        let step = strikeStep(spot)
        let t = max(60, expiresAt - now) / 86_400 / 365
        let center = (spot / step).rounded()
        func strike(_ i: Int) -> Double { (center + Double(i)) * step }
        func greeks(_ i: Int) -> BlackScholes.Greeks {
            let k = strike(i)
            let sigma = VolatilitySmile.volatility(moneyness: log(k / spot), days: t * 365)
            return BlackScholes.greeks(call: long, s: spot, k: k, t: t, sigma: sigma)
        }
        // The lowest index whose |delta| is on the far side of the target (calls: at or below it;
        // puts: at or above it), among strikes above zero.
        var low = -40
        while strike(low) <= 0 { low += 1 }
        let high = 40
        guard low <= high else { return nil }
        func beyond(_ i: Int) -> Bool { long ? abs(greeks(i).delta) <= target : abs(greeks(i).delta) >= target }
        var lo = low, hi = high + 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if beyond(mid) { hi = mid } else { lo = mid + 1 }
        }
        var best: (Instrument, Double, Double)?
        var bestGap = Double.infinity
        for i in [lo - 1, lo] where i >= low && i <= high {
            let g = greeks(i)
            let gap = abs(abs(g.delta) - target)
            if gap < bestGap {
                bestGap = gap
                best = (.option(symbol: symbol, expiry: expiry, strike: strike(i), right: long ? .call : .put), g.price, g.delta)
            }
        }
        return best
    }

    /// The risk manager's view of an option from the model the strategies choose by: its delta
    /// and gamma per share at `spot`, with the touch given (a live quote's) or the model's price ±1 %.
    public static func riskQuote(
        _ instrument: Instrument, spot: Double, expiresAt: Double, now: Double, bid: Double? = nil, ask: Double? = nil
    ) -> RiskQuote? {
        guard case .option(_, _, let strike, let right) = instrument, spot > 0, strike > 0 else {
            return spot > 0 ? RiskQuote(bid: bid ?? spot, ask: ask ?? spot, underlying: spot) : nil
        }
        let days = max(60, expiresAt - now) / 86_400
        let sigma = VolatilitySmile.volatility(moneyness: log(strike / spot), days: days)
        let g = BlackScholes.greeks(call: right == .call, s: spot, k: strike, t: days / 365, sigma: sigma)
        return RiskQuote(bid: bid ?? g.price * 0.99, ask: ask ?? g.price * 1.01, underlying: spot, delta: g.delta, gamma: g.gamma)
    }
}

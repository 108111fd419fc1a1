import Foundation
public import OrchestratorCore

/// The dealers' gamma re-evaluated through the day: the near-term open interest of the premarket
/// chain (`options:{sym}:gamma_model`), priced again by Black–Scholes at the live price and the
/// time left to each expiry (the analytics service, once a market minute).
///
/// Open interest does not change during a session; the gamma it carries does — with the price
/// (which strikes are at the money) and with time (a same-day option's gamma grows without bound
/// at the money as its close nears). That is what pins a price to a strike late in the day, and
/// what the exposure read at 07:00 cannot show.
///
/// The flip here is the **zero-gamma level** — the price at which the dealers' total gamma,
/// re-evaluated there, changes sign — where the premarket document, with only the chain's own
/// greeks, gives the strike at which the cumulative gamma by strike changes sign.
public struct GammaModel: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        /// Epoch seconds: the close of the expiry's day.
        public var expires: Int64
        public var strike: Double
        public var call: Bool
        public var iv: Double
        public var openInterest: Double
        public init(expires: Int64, strike: Double, call: Bool, iv: Double, openInterest: Double) {
            self.expires = expires; self.strike = strike; self.call = call; self.iv = iv; self.openInterest = openInterest
        }
    }

    public var lines: [Line]
    public init(lines: [Line]) { self.lines = lines }

    /// Expiries further out than this many days move little with the price within a day.
    public static let horizonDays = 8
    /// Strikes further than this from the spot hold almost no gamma within a day's move.
    public static let band = 0.06
    /// A line this close to its expiry (seconds) is left out: its gamma is a spike at one price.
    public static let lastMinute: Int64 = 60

    /// The document's near-term lines of `contracts`: expiring within `horizonDays` calendar days
    /// of `today`, strikes within `band` of `spot`.
    public static func document(_ contracts: [OptionContract], spot: Double, today: LocalDate, timestamp: Int64) -> GammaModelDocument {
        var expirations: [String] = []
        var index: [String: Int] = [:]
        var lines: [[Double]] = []
        for c in contracts where c.openInterest > 0 && c.iv > 0 && abs(c.strike / spot - 1) <= band {
            guard let date = LocalDate(parsing: c.expiration), (0...horizonDays).contains(date.daysSinceEpoch - today.daysSinceEpoch) else {
                continue
            }
            let i: Int
            if let known = index[c.expiration] {
                i = known
            } else {
                i = expirations.count
                index[c.expiration] = i
                expirations.append(c.expiration)
            }
            lines.append([Double(i), c.strike, c.kind == .call ? 1 : 0, c.iv, c.openInterest])
        }
        return GammaModelDocument(spot: spot, expirations: expirations, lines: lines, timestamp: timestamp)
    }

    /// The model of a document, each expiry closing at `close(date)` (epoch seconds); nil when a
    /// line is malformed or names an expiry that is not listed.
    public init?(_ document: GammaModelDocument, close: (LocalDate) -> Int64) {
        var closes: [Int64] = []
        for text in document.expirations {
            guard let date = LocalDate(parsing: text) else { return nil }
            closes.append(close(date))
        }
        var lines: [Line] = []
        lines.reserveCapacity(document.lines.count)
        for row in document.lines {
            guard row.count == 5, let i = Int(exactly: row[0]), closes.indices.contains(i), row[3] > 0 else { return nil }
            lines.append(Line(expires: closes[i], strike: row[1], call: row[2] == 1, iv: row[3], openInterest: row[4]))
        }
        self.lines = lines
    }

    /// The model of a document with each expiry closing at its session's close on `calendar`
    /// (the stand-in lists calendar days, a Saturday too: those close at 16:00).
    public init?(_ document: GammaModelDocument, calendar: any ExchangeCalendar) {
        let zone = ZoneRules.of(calendar.timeZone)
        self.init(document) { OptionExpiries.closesAt($0, calendar: calendar) ?? zone.instant(of: $0, secondsOfDay: 16 * 3600) }
    }

    /// The exposure at `spot` and `now` (epoch seconds): each live line's gamma and delta for the
    /// calendar time to its expiry, summed as `Exposure.compute` sums a chain — with the flip
    /// replaced by the zero-gamma level (`zeroGamma`), which only a model can give.
    public func exposure(spot: Double, at now: Int64) -> Exposure {
        var e = chainExposure(spot: spot, at: now)
        e.flip = zeroGamma(near: spot, at: now)
        return e
    }

    /// The dealers' total gamma (dollars per 1 % move) were the price `spot` at `now`.
    public func totalGamma(spot: Double, at now: Int64) -> Double {
        Pricing(self, at: now).totalGamma(spot)
    }

    /// The zero-gamma level: the price at which the dealers' total gamma would change sign,
    /// found on a grid of ¼ % steps within `band` of `spot` and interpolated between the two grid
    /// prices around it; of several, the nearest to `spot`; nil when the sign never changes.
    public func zeroGamma(near spot: Double, at now: Int64) -> Double? {
        let pricing = Pricing(self, at: now)
        let steps = Int((GammaModel.band / 0.0025).rounded())
        var best: Double?
        var previous: (price: Double, gamma: Double)?
        for k in -steps...steps {
            let price = spot * (1 + Double(k) * 0.0025)
            let gamma = pricing.totalGamma(price)
            if let p = previous, p.gamma != 0, (p.gamma < 0) != (gamma < 0) {
                let crossing = p.price + (price - p.price) * (0 - p.gamma) / (gamma - p.gamma)
                if best == nil || abs(crossing - spot) < abs(best! - spot) { best = crossing }
            }
            previous = (price, gamma)
        }
        return best
    }

    /// The live lines' Black–Scholes terms that do not depend on the price, computed once for
    /// `now` (the zero-gamma grid prices every line at 49 prices): with b = σ√t,
    /// d1 = (ln S − ln K + (r + σ²/2) t) / b and gamma = φ(d1) / (S b).
    struct Pricing {
        private var logStrike: [Double] = []
        private var drift: [Double] = []
        private var width: [Double] = []
        /// ± open interest / b (calls long, puts short for the dealers).
        private var weight: [Double] = []

        init(_ model: GammaModel, at now: Int64) {
            for line in model.lines where line.expires - now >= GammaModel.lastMinute {
                let t = Double(line.expires - now) / (365 * 86_400)
                let b = line.iv * t.squareRoot()
                logStrike.append(log(line.strike))
                drift.append((BlackScholes.interestRate + line.iv * line.iv / 2) * t)
                width.append(b)
                weight.append((line.call ? 1 : -1) * line.openInterest / b)
            }
        }

        /// Σ ± gamma × open interest, in dollars per 1 % move, at `spot`.
        func totalGamma(_ spot: Double) -> Double {
            let logSpot = log(spot)
            var sum = 0.0
            for i in weight.indices {
                let d1 = (logSpot - logStrike[i] + drift[i]) / width[i]
                sum += weight[i] * exp(-d1 * d1 / 2)
            }
            // φ(d1) = e^(−d1²/2) / √(2π); gamma = φ / (S b); × 100 × S² × 1 %.
            return sum / (2 * Double.pi).squareRoot() / spot * 100 * spot * spot * 0.01
        }
    }

    func chainExposure(spot: Double, at now: Int64) -> Exposure {
        var contracts: [OptionContract] = []
        contracts.reserveCapacity(lines.count)
        for line in lines where line.expires - now >= GammaModel.lastMinute {
            let t = Double(line.expires - now) / (365 * 86_400)
            let g = BlackScholes.greeks(call: line.call, s: spot, k: line.strike, t: t, sigma: line.iv)
            var c = OptionContract()
            c.strike = line.strike
            c.kind = line.call ? .call : .put
            c.openInterest = line.openInterest
            c.gamma = g.gamma
            c.delta = g.delta
            contracts.append(c)
        }
        return Exposure.compute(contracts, spot: spot)
    }
}

import Foundation

/// `options:{sym}:gex` and `options:{sym}:dex`: the dealers' exposure from the premarket chain
/// (the premarket job; read by the analytics and the strategies); `analytics:{sym}:gex`: the same
/// re-evaluated at the live price through the day (the analytics service). The gamma document carries the
/// flip (nil when the exposure does not change sign).
public struct ExposureDocument: RedisDocument, Equatable {
    public var spot: Double
    public var total: Double
    public var flip: Double?
    public var unit: String
    /// [strike, exposure] pairs, by strike.
    public var byStrike: [[Double]]
    /// Seconds since the epoch.
    public var timestamp: Int64

    public init(spot: Double, total: Double, flip: Double?, unit: String, byStrike: [[Double]], timestamp: Int64) {
        self.spot = spot; self.total = total; self.flip = flip; self.unit = unit; self.byStrike = byStrike; self.timestamp = timestamp
    }

    /// The gamma (or delta) document of an exposure: totals to the dollar, the flip to the cent.
    public init(_ e: Exposure, gamma: Bool, timestamp: Int64) {
        self.init(
            spot: e.spot, total: (gamma ? e.totalGEX : e.totalDEX).rounded(), flip: gamma ? e.flip.map { ($0 * 100).rounded() / 100 } : nil,
            unit: gamma ? ExposureDocument.gammaUnit : ExposureDocument.deltaUnit,
            byStrike: e.byStrike.map { [$0.strike, (gamma ? $0.gex : $0.dex).rounded()] }, timestamp: timestamp)
    }

    public static func gexKey(_ symbol: String) -> String { "options:\(symbol):gex" }
    /// The gamma at the live price (the analytics service, from `GammaModelDocument`).
    public static func liveGEXKey(_ symbol: String) -> String { "analytics:\(symbol):gex" }
    public static func dexKey(_ symbol: String) -> String { "options:\(symbol):dex" }

    /// Gamma: dollars of delta per 1 % move; delta: dealer dollar delta.
    public static let gammaUnit = "dollars of delta per 1% move (dealers long calls, short puts)"
    public static let deltaUnit = "dealer dollar delta (long calls, short puts)"

    /// The gamma document carries a flip (null when there is none); the delta document has no
    /// flip field.
    public func json(gamma: Bool) -> String {
        let rows = byStrike.map { "[" + $0.map(JSONText.number).joined(separator: ",") + "]" }.joined(separator: ",")
        let flipField = gamma ? ",\"flip\":\(flip.map(JSONText.number) ?? "null")" : ""
        return
            "{\"spot\":\(JSONText.number(spot)),\"total\":\(JSONText.number(total))\(flipField),\"unit\":\(JSONText.string(unit)),\"by_strike\":[\(rows)],\"timestamp\":\(timestamp)}"
    }

    public var json: String { json(gamma: unit == ExposureDocument.gammaUnit) }
}

/// `options:{sym}:gamma_model`: the near-term open interest of the premarket chain — expiring
/// within `GammaModel.horizonDays`, strikes within `GammaModel.band` of the spot — for the
/// analytics to re-evaluate the dealers' gamma at the live price (the premarket job).
public struct GammaModelDocument: RedisDocument, Equatable {
    public var spot: Double
    /// Expiry dates, YYYY-MM-DD.
    public var expirations: [String]
    /// [index into `expirations`, strike, 1 call / 0 put, implied volatility, open interest].
    public var lines: [[Double]]
    /// Milliseconds since the epoch, as the other options documents.
    public var timestamp: Int64

    public init(spot: Double, expirations: [String], lines: [[Double]], timestamp: Int64) {
        self.spot = spot; self.expirations = expirations; self.lines = lines; self.timestamp = timestamp
    }

    public static func key(_ symbol: String) -> String { "options:\(symbol):gamma_model" }

    public var json: String {
        let rows = lines.map { "[" + $0.map(JSONText.number).joined(separator: ",") + "]" }.joined(separator: ",")
        return
            "{\"spot\":\(JSONText.number(spot)),\"expirations\":[\(expirations.map { JSONText.string($0) }.joined(separator: ","))],\"lines\":[\(rows)],\"timestamp\":\(timestamp)}"
    }
}

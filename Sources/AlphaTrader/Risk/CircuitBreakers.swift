import Foundation

/// The day's circuit breakers, as a value: what happened to trading so far and why.
public struct BreakerState: Sendable, Equatable, Codable {
    public var state: RiskStateDocument.State = .active
    public var reason = "the day started"
    /// Seconds since the epoch.
    public var since: Double = 0
    /// Losing trades in a row, per strategy.
    public var consecutiveLosses: [String: Int] = [:]
    /// Strategies paused after losses, until when.
    public var pausedUntil: [String: Double] = [:]
    /// 1, or the extreme-market cut.
    public var sizeFactor = 1.0
    /// The day's closed trades and losing ones.
    public var trades = 0
    public var losses = 0
    /// The day's P&L (realized and unrealized, commissions included) as last seen, and its high.
    public var pnl = 0.0
    public var highWater = 0.0

    public init(since: Double = 0) { self.since = since }
}

/// What a breaker did, for `risk:decisions`, the journal and the alert.
public enum BreakerEvent: Sendable, Equatable {
    /// Trading halted and the book to be flattened (the daily loss limit).
    case halted(reason: String)
    /// Only orders that shrink a position from now on (the drawdown limit).
    case reducing(reason: String)
    case paused(strategy: String, until: Double, reason: String)
    case sizeCut(factor: Double, reason: String)
    case sizeRestored

    public var text: String {
        switch self {
        case .halted(let r): return "HALTED: \(r)"
        case .reducing(let r): return "REDUCING: \(r)"
        case .paused(let s, _, let r): return "strategy \(s) paused: \(r)"
        case .sizeCut(let f, let r): return String(format: "sizes cut to %.0f %%: %@", f * 100, r)
        case .sizeRestored: return "sizes back to normal: the market calmed"
        }
    }
}

/// The portfolio circuit breakers as pure functions of the state, what happened and the limits.
/// Trading only ever gets stricter during the day (ACTIVE → REDUCING → HALTED); `market-open`
/// starts the next day ACTIVE.
public enum CircuitBreakers {
    /// A closed trade of `strategy` with its realized P&L (commissions included).
    public static func tradeClosed(
        _ s: BreakerState, strategy: String, pnl: Double, limits: RiskLimits, now: Double
    ) -> (BreakerState, [BreakerEvent]) {
        var s = s
        s.trades += 1
        guard pnl < 0 else {
            s.consecutiveLosses[strategy] = 0
            return (s, [])
        }
        s.losses += 1
        let streak = s.consecutiveLosses[strategy, default: 0] + 1
        guard streak >= limits.maxConsecutiveLosses else {
            s.consecutiveLosses[strategy] = streak
            return (s, [])
        }
        s.consecutiveLosses[strategy] = 0
        let until = now + limits.pauseAfterLosses
        s.pausedUntil[strategy] = until
        return (s, [.paused(strategy: strategy, until: until, reason: "\(streak) losing trades in a row; paused \(Int(limits.pauseAfterLosses / 60)) minutes")])
    }

    /// The day's P&L now (realized + unrealized, commissions included): kept with its
    /// high-water mark in the state, and the limits checked on them.
    public static func pnl(_ s: BreakerState, total: Double, limits: RiskLimits, now: Double) -> (BreakerState, [BreakerEvent]) {
        var s = s
        s.pnl = total
        s.highWater = max(s.highWater, total)
        let highWater = s.highWater
        if total <= -limits.dailyLossLimit && s.state != .halted {
            s.state = .halted
            s.reason = String(format: "the day's loss $%.2f reached the limit $%.0f", -total, limits.dailyLossLimit)
            s.since = now
            return (s, [.halted(reason: s.reason)])
        }
        let drawdown = highWater - total
        if drawdown >= limits.maxDrawdown && s.state == .active {
            s.state = .reducing
            s.reason = String(format: "down $%.2f from the day's high of $%.2f (limit $%.0f)", drawdown, highWater, limits.maxDrawdown)
            s.since = now
            return (s, [.reducing(reason: s.reason)])
        }
        return (s, [])
    }

    /// The market's state: the highest VPIN over the symbols and whether any is in its high
    /// volatility regime. Sizes are cut while it is extreme, restored when it is not.
    public static func market(_ s: BreakerState, vpin: Double, highVolatility: [String], limits: RiskLimits) -> (BreakerState, [BreakerEvent]) {
        var s = s
        let extreme = vpin >= limits.extremeVpin || !highVolatility.isEmpty
        if extreme && s.sizeFactor == 1 {
            s.sizeFactor = limits.extremeSizeFactor
            let why =
                vpin >= limits.extremeVpin
                ? String(format: "VPIN %.2f at or above %.2f", vpin, limits.extremeVpin)
                : "high volatility regime on \(highVolatility.sorted().joined(separator: ", "))"
            return (s, [.sizeCut(factor: s.sizeFactor, reason: why)])
        }
        if !extreme && s.sizeFactor != 1 {
            s.sizeFactor = 1
            return (s, [.sizeRestored])
        }
        return (s, [])
    }
}

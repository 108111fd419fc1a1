import Foundation

/// `pnl:day`: the day's P&L from the trade journal and the marks (the order path; read by the
/// risk checks, the reports and the dashboard).
public struct DayPnLDocument: RedisDocument, Equatable {
    public var realized: Double
    public var unrealized: Double
    public var commissions: Double
    public var total: Double
    /// The day's highest total so far, and how far below it the total is.
    public var highWaterMark: Double
    public var drawdown: Double
    /// Milliseconds since the epoch.
    public var timestamp: Int64

    public init(realized: Double, unrealized: Double, commissions: Double, highWaterMark: Double, timestamp: Int64) {
        self.realized = realized; self.unrealized = unrealized; self.commissions = commissions
        total = realized + unrealized
        self.highWaterMark = max(highWaterMark, total)
        drawdown = self.highWaterMark - total
        self.timestamp = timestamp
    }

    public static let key = "pnl:day"

    public var json: String { Document.encode(self) }
}

/// `risk:state`: whether the system may trade — ACTIVE, REDUCING (closing only) or HALTED —
/// since when and why (the kill switch and the risk manager; read before every order).
public struct RiskStateDocument: RedisDocument, Equatable {
    public enum State: String, Codable, Sendable { case active = "ACTIVE", reducing = "REDUCING", halted = "HALTED" }

    public var state: State
    /// UTC, ISO 8601.
    public var since: String
    public var reason: String

    public init(state: State, since: String, reason: String) { self.state = state; self.since = since; self.reason = reason }

    public static let key = "risk:state"

    public var json: String { Document.encode(self) }
}

/// `risk:daily`: the day's breaker counters with the limits they are held to (the execution
/// service; read by `market-open`, the reports and the dashboard). A restart reads it back, so
/// a HALTED book stays halted.
public struct RiskDailyDocument: RedisDocument, Equatable {
    public var session: String
    public var breakers: BreakerState
    public var limits: RiskLimits
    /// Milliseconds since the epoch.
    public var timestamp: Int64

    public init(session: String, breakers: BreakerState, limits: RiskLimits, timestamp: Int64) {
        self.session = session; self.breakers = breakers; self.limits = limits; self.timestamp = timestamp
    }

    public static let key = "risk:daily"

    public var json: String { Document.encode(self) }
}

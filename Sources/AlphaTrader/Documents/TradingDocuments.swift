import Foundation

/// `pnl:day`: the day's P&L from the trade journal and the marks (the order path; read by the
/// risk checks, the reports and the dashboard).
public struct DayPnLDocument: RedisDocument, Equatable {
    /// The session (YYYY-MM-DD) the figures are of.
    public var session: String
    public var realized: Double
    public var unrealized: Double
    public var commissions: Double
    public var total: Double
    /// The day's highest total so far, and how far below it the total is.
    public var highWaterMark: Double
    public var drawdown: Double
    /// Milliseconds since the epoch.
    public var timestamp: Int64

    public init(session: String, realized: Double, unrealized: Double, commissions: Double, highWaterMark: Double, timestamp: Int64) {
        self.session = session; self.realized = realized; self.unrealized = unrealized; self.commissions = commissions
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

/// A job's request to the execution service (`execution:requests`), answered on
/// `execution:replies:{id}`.
public struct ExecutionRequest: RedisDocument, Equatable {
    public enum Command: String, Codable, Sendable {
        /// The market-on-close routine, answered with a `MOCReport`.
        case moc
    }

    public var id: String
    public var command: Command
    public init(id: String, command: Command) { self.id = id; self.command = command }
    public static let queue = "execution:requests"
    public static func replyKey(_ id: String) -> String { "execution:replies:\(id)" }
    public var json: String { Document.encode(self) }
}

/// `strategies:enabled` (SPEC §10): the strategies `market-open` enabled for a session; none
/// trade on another session's list.
public struct EnabledStrategiesDocument: RedisDocument, Equatable {
    public var session: String
    public var strategies: [String]
    /// Milliseconds since the epoch.
    public var timestamp: Int64
    public init(session: String, strategies: [String], timestamp: Int64) { self.session = session; self.strategies = strategies; self.timestamp = timestamp }
    public static let key = "strategies:enabled"
    public var json: String { Document.encode(self) }
}

/// The execution service's answer to `moc` (`execution:replies:{id}`): what it closed, what the
/// moc strategy did, what is left open, the risk state.
public struct MOCReport: RedisDocument, Equatable {
    public struct Closed: Codable, Sendable, Equatable {
        public var position: String
        public var instrument: String
        public var strategy: String
        /// What could not be closed (0 when flat).
        public var left: Int
        public init(position: String, instrument: String, strategy: String, left: Int) {
            self.position = position; self.instrument = instrument; self.strategy = strategy; self.left = left
        }
    }

    /// UTC, ISO 8601.
    public var time: String
    public var closed: [Closed]
    /// The instrument the moc strategy entered, if it did.
    public var entered: String?
    /// The MOC decision in words.
    public var decision: String
    /// The positions still open, by instrument.
    public var open: [String]
    public var state: RiskStateDocument.State

    public init(time: String, closed: [Closed], entered: String?, decision: String, open: [String], state: RiskStateDocument.State) {
        self.time = time; self.closed = closed; self.entered = entered; self.decision = decision; self.open = open; self.state = state
    }

    public var json: String { Document.encode(self) }
}

import Foundation
public import OrchestratorCore

/// The trading day from the journal (`alphatrader day`, the README's main job): signals per
/// strategy, orders by outcome, fills, positions closed with their P&L, what is still open, the
/// risk decisions and breaker events, and the risk state the day ended in.
public struct TradingDay: Sendable, Equatable {
    public struct StrategyLine: Sendable, Equatable {
        public var strategy: String
        public var signals = 0
        public var entries = 0
        public var closed = 0
        public var wins = 0
        public var realized = 0.0
    }

    public var session: String
    public var strategies: [StrategyLine] = []
    public var orders = 0
    public var filledOrders = 0
    public var cancelledOrders = 0
    public var rejectedOrders = 0
    public var fills = 0
    public var commissions = 0.0
    public var realized = 0.0
    public var open: [String] = []
    public var decisionsAllowed = 0
    public var decisionsDenied: [String: Int] = [:]
    public var breakerEvents: [String] = []
    public var state: String = "ACTIVE"
    public var stateReason: String = ""

    /// The session `session` (YYYY-MM-DD) between `start` and `end` (seconds since the epoch).
    public static func read(_ journal: Journal, session: String, start: Double, end: Double) throws(Journal.Failure) -> TradingDay {
        var day = TradingDay(session: session)
        var lines: [String: StrategyLine] = [:]
        func line(_ s: String) -> StrategyLine { lines[s] ?? StrategyLine(strategy: s) }
        for signal in try journal.signals(since: start) where signal.time < end {
            var l = line(signal.strategy)
            l.signals += 1
            lines[signal.strategy] = l
        }
        for p in try journal.managedPositions() where p.openedAt >= start && p.openedAt < end {
            var l = line(p.strategy)
            l.entries += 1
            if let pnl = p.realizedPnL, p.closedAt != nil, p.closeReason != "never filled" {
                l.closed += 1
                l.realized += pnl
                if pnl > 0 { l.wins += 1 }
                day.realized += pnl
            }
            if p.closedAt == nil { day.open.append("\(p.instrument) (\(p.strategy))") }
            lines[p.strategy] = l
        }
        day.strategies = lines.values.sorted { $0.strategy < $1.strategy }
        for o in try journal.orders(limit: 1_000_000) where o.createdAt >= start && o.createdAt < end {
            day.orders += 1
            switch o.status {
            case "Filled": day.filledOrders += 1
            case "Cancelled", "ApiCancelled": day.cancelledOrders += 1
            case "Rejected", "Unconfirmed": day.rejectedOrders += 1
            default: break
            }
        }
        for f in try journal.fills() where f.time >= start && f.time < end {
            day.fills += 1
            day.commissions += f.commission ?? 0
        }
        for d in try journal.decisions() where d.time >= start && d.time < end {
            if d.allowed { day.decisionsAllowed += 1 } else { day.decisionsDenied[d.check ?? "exits", default: 0] += 1 }
        }
        day.breakerEvents = try journal.breakerEvents().filter { $0.time >= start && $0.time < end }.map(\.event)
        if let text = try journal.riskDay(session: session), let daily = RiskDailyDocument.read(text) {
            day.state = daily.breakers.state.rawValue
            day.stateReason = daily.breakers.reason
        }
        return day
    }

    /// The day as one JSON document.
    public var document: JSONValue {
        let lines: [JSONValue] = strategies.map { l in
            let fields: [(String, JSONValue)] = [
                ("strategy", .string(l.strategy)), ("signals", .int(Int64(l.signals))), ("entries", .int(Int64(l.entries))),
                ("closed", .int(Int64(l.closed))), ("wins", .int(Int64(l.wins))), ("realized", .number(l.realized)),
            ]
            return .object(fields)
        }
        let denied: [(String, JSONValue)] = decisionsDenied.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) }
        var fields: [(String, JSONValue)] = [("session", .string(session)), ("strategies", .array(lines))]
        fields.append(("orders", .int(Int64(orders))))
        fields.append(("filled_orders", .int(Int64(filledOrders))))
        fields.append(("cancelled_orders", .int(Int64(cancelledOrders))))
        fields.append(("rejected_orders", .int(Int64(rejectedOrders))))
        fields.append(("fills", .int(Int64(fills))))
        fields.append(("commissions", .number(commissions)))
        fields.append(("realized", .number(realized)))
        fields.append(("open", .array(open.map { .string($0) })))
        fields.append(("decisions_allowed", .int(Int64(decisionsAllowed))))
        fields.append(("decisions_denied", .object(denied)))
        fields.append(("breaker_events", .array(breakerEvents.map { .string($0) })))
        fields.append(("state", .string(state)))
        fields.append(("state_reason", .string(stateReason)))
        return .object(fields)
    }
}

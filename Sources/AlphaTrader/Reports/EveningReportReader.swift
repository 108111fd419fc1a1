public import Foundation
public import OrchestratorCore

/// Fills the evening report's inputs: the trade journal (a read-only connection), the day's
/// P&L at the marks from Redis (`pnl:day`, read), and the orchestrator's own JSON for the day's
/// runs and services (`orchestrator history --day D --json`, `orchestrator status --json`) —
/// never a write to any of them.
public enum EveningReportReader {
    public struct Failure: Error, CustomStringConvertible, Sendable { public let description: String }

    /// The inputs for `session` from `journal`; history from the first day a position closed.
    public static func inputs(
        journal: Journal, session: Session, calendar: any ExchangeCalendar, capital: Double, unrealized: Double?
    ) throws(Failure) -> EveningReport.Inputs {
        let zone = ZoneRules.of(calendar.timeZone)
        // The day a time falls on, by its local midnight (a year of history is a few hundred days).
        var days: [Int64: String] = [:]
        let dayOf = { (t: Double) -> String in
            let local = zone.local(Int64(t))
            let midnight = local - ((local % 86_400) + 86_400) % 86_400
            if let d = days[midnight] { return d }
            let d = zone.localDate(of: Int64(t)).description
            days[midnight] = d
            return d
        }
        let start = Double(zone.instant(of: session.date, secondsOfDay: 0))
        let end = Double(zone.instant(of: session.date.adding(days: 1), secondsOfDay: 0))
        var inputs = EveningReport.Inputs(
            session: session.date.description, open: Double(session.open), close: Double(session.close), capital: capital, days: [])
        do {
            let positions = try journal.positionOutcomes()
            var bySignal: [String: Journal.PositionOutcome] = [:]
            for p in positions {
                if let s = p.signalId { bySignal[s] = p }
                if p.closedAt == nil, p.openedAt < end { inputs.open_positions.append("\(p.instrument) (\(p.strategy))") }
                guard let closed = p.closedAt, closed < end, let pnl = p.realizedPnL, p.closeReason != "never filled" else { continue }
                let trade = EveningReport.Trade(
                    strategy: p.strategy, instrument: p.instrument, symbol: p.symbol, openedAt: p.openedAt, closedAt: closed, pnl: pnl,
                    reason: p.closeReason ?? "")
                inputs.trades.append((dayOf(closed), trade))
            }
            for f in try journal.fills(since: start) where f.time < end {
                inputs.fills.append(
                    EveningReport.Fill(
                        time: f.time, instrument: f.instrument.description, quantity: f.action == .buy ? f.quantity : -f.quantity, price: f.price,
                        multiplier: f.instrument.multiplier, commission: f.commission ?? 0))
            }
            for s in try journal.signals(since: start) where s.time < end {
                let p = bySignal[s.id]
                let outcome: String
                switch (p, p?.closedAt, p?.realizedPnL) {
                case (nil, _, _): outcome = "not traded"
                case (_?, nil, _): outcome = "open"
                case (let p?, _?, let pnl): outcome = p.closeReason == "never filled" ? "not filled" : (pnl ?? 0) > 0 ? "won" : "lost"
                }
                inputs.signals.append(
                    EveningReport.SignalLine(
                        time: s.time, strategy: s.strategy, symbol: s.symbol, direction: s.direction.rawValue, confidence: s.confidence, outcome: outcome,
                        pnl: outcome == "won" || outcome == "lost" ? p?.realizedPnL : nil))
            }
            inputs.breakerEvents = try journal.breakerEvents().filter { $0.time >= start && $0.time < end }
            for d in try journal.decisions() where d.time >= start && d.time < end && !d.allowed { inputs.denied[d.check ?? "exits", default: 0] += 1 }
        } catch {
            throw Failure(description: "\(error)")
        }
        inputs.unrealized = unrealized
        // Every trading day from the first with a closed position to this one.
        let first = inputs.trades.map(\.day).min().flatMap { LocalDate(parsing: $0) } ?? session.date
        var day = min(first, session.date)
        do {
            if try calendar.session(on: day) == nil { day = try calendar.nextSession(after: day).date }
            while day <= session.date {
                inputs.days.append(day.description)
                day = try calendar.nextSession(after: day).date
            }
        } catch {
            throw Failure(description: "the calendar: \(error)")
        }
        return inputs
    }

    /// The runs of `orchestrator history --day D --json`.
    public static func runs(fromHistoryJSON data: Data) throws(Failure) -> [EveningReport.Run] {
        guard let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw Failure(description: "orchestrator history --json: not a list of runs")
        }
        return list.map { r in
            EveningReport.Run(
                job: r["job"] as? String ?? "?", state: r["state"] as? String ?? "?", startedAt: time(r["started_at"]), finishedAt: time(r["finished_at"]),
                attempts: r["attempts"] as? Int ?? 1, reason: r["reason"] as? String)
        }
    }

    /// The services of `orchestrator status --json`.
    public static func services(fromStatusJSON data: Data) throws(Failure) -> [EveningReport.Service] {
        guard let status = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let list = status["services"] as? [[String: Any]] else {
            throw Failure(description: "orchestrator status --json: no services in it")
        }
        return list.map { s in
            let health = s["health"] as? [String: Any]
            let detail = health.map { h in (h["ok"] as? Bool == true ? "ok" : "failing") + ((h["detail"] as? String).map { ": " + $0 } ?? "") }
            return EveningReport.Service(
                name: s["name"] as? String ?? "?", state: s["state"] as? String ?? "?", restarts: s["restarts"] as? Int ?? 0, health: detail)
        }
    }

    static func time(_ value: Any?) -> Double? {
        guard let text = value as? String else { return nil }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d.timeIntervalSince1970 }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)?.timeIntervalSince1970
    }
}

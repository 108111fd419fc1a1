import Foundation
public import OrchestratorCore

/// Which option expirations are listed — the exchanges' rules, one definition for the paper
/// broker's listing and the strategies' choices: every session for SPY, QQQ and IWM (the 0DTE
/// names) for the next ten sessions; weekly (the week's last session: Friday, or the session
/// before a Friday holiday) for eight weeks; monthly (the third Friday, or the session before)
/// for six months.
public enum OptionExpiries {
    public static let daily: Set<String> = ["SPY", "QQQ", "IWM"]

    /// The expirations of `symbol` from `day` on, in order.
    public static func listed(_ symbol: String, from day: LocalDate, calendar: any ExchangeCalendar) -> [LocalDate] {
        listed(dailies: daily.contains(symbol), from: day, calendar: calendar)
    }

    /// The expirations from `day` on: with `dailies`, every session's for the next ten too.
    static func listed(dailies: Bool, from day: LocalDate, calendar: any ExchangeCalendar) -> [LocalDate] {
        guard let sessions = try? calendar.sessions(from: day, through: day.adding(days: 200)).map(\.date) else { return [] }
        var out = Set<LocalDate>()
        if dailies { out.formUnion(sessions.prefix(10)) }
        var weekly: [LocalDate] = []
        for (i, d) in sessions.enumerated() {
            let next = i + 1 < sessions.count ? sessions[i + 1] : nil
            let weekday = LocalDate.weekday(daysSinceEpoch: d.daysSinceEpoch)
            let nextWeekday = next.map { LocalDate.weekday(daysSinceEpoch: $0.daysSinceEpoch) }
            // The last session of its week: the next session is in another week.
            if next == nil || nextWeekday! <= weekday || next!.daysSinceEpoch - d.daysSinceEpoch >= 7 { weekly.append(d) }
        }
        out.formUnion(weekly.prefix(8))
        var months = 0
        var year = day.year, month = day.month
        while months < 6 {
            let first = LocalDate.weekday(daysSinceEpoch: LocalDate.daysFromCivil(year: year, month: month, day: 1))
            // weekday: 0 Sunday … 5 Friday.
            let thirdFriday = 1 + (5 - first + 7) % 7 + 14
            var d = LocalDate(daysSinceEpoch: LocalDate.daysFromCivil(year: year, month: month, day: thirdFriday))
            while !sessions.contains(d) && d > day { d = d.adding(days: -1) }
            if d >= day { out.insert(d); months += 1 }
            month += 1
            if month > 12 { month = 1; year += 1 }
            if year > day.year + 2 { break }
        }
        return out.sorted()
    }

    /// YYYYMMDD, as TWS writes an expiry.
    public static func code(_ d: LocalDate) -> String { String(format: "%04d%02d%02d", d.year, d.month, d.day) }

    /// When the expiry `code` (YYYYMMDD) stops trading: its session's close (13:00 on a half
    /// day), seconds since the epoch; nil for a code that is not a session.
    public static func closesAt(_ code: String, calendar: any ExchangeCalendar) -> Double? {
        guard code.count == 8, let y = Int(code.prefix(4)), let m = Int(code.dropFirst(4).prefix(2)), let d = Int(code.suffix(2)),
            let day = LocalDate(year: y, month: m, day: d)
        else { return nil }
        return closesAt(day, calendar: calendar).map(Double.init)
    }

    /// When an expiry on `day` stops trading: its session's close; nil for a day that is not a session.
    public static func closesAt(_ day: LocalDate, calendar: any ExchangeCalendar) -> Int64? {
        (try? calendar.session(on: day))??.close
    }

    /// The expiries the strategies trade on session `day`: today's (0DTE) and the next
    /// session's (1DTE), listed for the 0DTE names, and the weekly or monthly nearest two weeks
    /// out (14DTE), listed for every symbol — a single stock has no daily expiries — each with
    /// its close.
    public static func forStrategies(
        on day: LocalDate, calendar: any ExchangeCalendar
    ) throws(CalendarError) -> (today: StrategySnapshot.Expiry, next: StrategySnapshot.Expiry, twoWeeks: StrategySnapshot.Expiry)? {
        guard let today = try calendar.session(on: day) else { return nil }
        let next = try calendar.nextSession(after: day)
        let target = day.adding(days: 14).daysSinceEpoch
        let candidates = listed(dailies: false, from: day, calendar: calendar).filter { $0 > day }
        guard let two = candidates.min(by: { abs($0.daysSinceEpoch - target) < abs($1.daysSinceEpoch - target) }),
            let twoSession = try calendar.session(on: two)
        else { return nil }
        return (
            .init(date: code(day), closesAt: Double(today.close)), .init(date: code(next.date), closesAt: Double(next.close)),
            .init(date: code(two), closesAt: Double(twoSession.close))
        )
    }
}

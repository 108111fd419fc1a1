/// When a service should be running: `active: {from: …, to: …}` (SPEC §3).
///
/// Each end is either market-relative (`{market: open, offset: -30m}`) or a plain local time
/// (`"09:00"`). A window with a market end applies on trading days only; a window of plain times
/// applies on the days of its `days` filter (default trading days). A `to` at or before `from`
/// ends the next day, so `22:00 → 02:00` runs over midnight.
public struct ActiveWindow: Hashable, Sendable, CustomStringConvertible {
    public enum Bound: Hashable, Sendable, CustomStringConvertible {
        case market(Schedule.MarketEvent, offset: TimeSpan)
        case time(TimeOfDay)

        public var description: String {
            switch self {
            case .market(let e, let o): return o == .zero ? "market \(e.rawValue)" : "market \(e.rawValue) \(o.signedDescription)"
            case .time(let t): return t.description
            }
        }

        var isMarket: Bool { if case .market = self { return true } else { return false } }
    }

    public let from: Bound
    public let to: Bound
    public let days: Schedule.DayFilter

    public init(from: Bound, to: Bound, days: Schedule.DayFilter = .trading) {
        self.from = from
        self.to = to
        self.days = days
    }

    public var description: String { "\(from) → \(to)" }

    /// The window's start and end instants for a date, or nil when it does not open that day.
    public func interval(on date: LocalDate, zone: ZoneRules, calendar: any ExchangeCalendar) throws(CalendarError) -> (start: Int64, end: Int64)? {
        let session = try calendar.session(on: date)
        if from.isMarket || to.isMarket {
            guard session != nil else { return nil }
        } else {
            guard try days.includes(date, calendar: calendar) else { return nil }
        }
        func instant(_ bound: Bound) -> Int64 {
            switch bound {
            case .market(let e, let o): return (e == .open ? session!.open : session!.close) + o.milliseconds / 1000
            case .time(let t): return zone.instant(of: date, secondsOfDay: t.secondsOfDay)
            }
        }
        let start = instant(from)
        var end = instant(to)
        if end <= start, case .time(let t) = to {
            end = zone.instant(of: date.adding(days: 1), secondsOfDay: t.secondsOfDay)
        }
        return end > start ? (start, end) : nil
    }
}

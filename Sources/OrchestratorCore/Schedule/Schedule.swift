/// When a job runs (SPEC §3 schedule forms). A job without a schedule has `nil`, not a case.
public enum Schedule: Hashable, Sendable, CustomStringConvertible {
    /// A cron expression in the job's time zone.
    case cron(CronExpression)
    /// The exchange's open or close on trading days, shifted by an offset.
    case market(MarketEvent, offset: TimeSpan)
    /// Every interval inside a window, aligned to the window's start, end excluded.
    case every(TimeSpan, during: DayWindow)
    /// A fixed local time on the selected days.
    case at(TimeOfDay, days: DayFilter)

    public enum MarketEvent: String, Hashable, Sendable, CaseIterable {
        case open, close
    }

    /// The windows `every` can run in.
    public enum DayWindow: String, Hashable, Sendable, CaseIterable {
        /// Open → close of a trading day (shortened by an early close).
        case session
        /// 04:00 → open of a trading day.
        case premarket
        /// Close → 20:00 of a trading day.
        case postmarket
        /// 00:00 → 24:00 of every calendar day.
        case day
    }

    /// Which days an `at` schedule (or a plain-time service window) applies to.
    public enum DayFilter: String, Hashable, Sendable, CaseIterable {
        case trading, weekdays, daily

        /// Whether a local date qualifies.
        public func includes(_ date: LocalDate, calendar: any ExchangeCalendar) throws(CalendarError) -> Bool {
            switch self {
            case .daily: return true
            case .weekdays: return !date.isWeekend
            case .trading: return try calendar.isSession(date)
            }
        }
    }

    /// The reason shown by `plan`: `cron 0 17 * * 1-5`, `market close -10m`,
    /// `every 15m during session`, `at 17:00 daily`.
    public var description: String {
        switch self {
        case .cron(let c): return "cron \(c.source)"
        case .market(let e, let offset):
            return offset == .zero ? "market \(e.rawValue)" : "market \(e.rawValue) \(offset.signedDescription)"
        case .every(let span, let window): return "every \(span) during \(window.rawValue)"
        case .at(let time, let days): return "at \(time) \(days == .trading ? "trading days" : days.rawValue)"
        }
    }

    /// True for the forms keyed by the exchange's session date (market events and the market
    /// windows); false for those that read the job's own local calendar.
    public var followsSessionDate: Bool {
        switch self {
        case .market: return true
        case .every(_, let window): return window != .day
        case .cron, .at: return false
        }
    }

    static let premarketStart: Int64 = 4 * 3600
    static let postmarketEnd: Int64 = 20 * 3600

    /// Every slot (epoch seconds, ascending) of a day.
    ///
    /// `date` is the local calendar date in `zone` (the job's time zone) for `cron`, `at` and
    /// `every … during day`; for the market forms it is the exchange's session date, and a day
    /// without a session has no slots.
    public func slots(on date: LocalDate, zone: ZoneRules, calendar: any ExchangeCalendar) throws(CalendarError) -> [Int64] {
        switch self {
        case .cron(let expression):
            let start = zone.resolve(local: Int64(date.daysSinceEpoch) * 86_400)
            let end = zone.resolve(local: Int64(date.daysSinceEpoch + 1) * 86_400)
            return expression.fires(from: start, to: end, in: zone)
        case .market(let event, let offset):
            guard let session = try calendar.session(on: date) else { return [] }
            let base = event == .open ? session.open : session.close
            return [base + offset.milliseconds / 1000]
        case .every(let span, let window):
            guard let (start, end) = try Schedule.bounds(of: window, on: date, zone: zone, calendar: calendar) else { return [] }
            let step = max(span.milliseconds / 1000, 1)
            return Array(stride(from: start, to: end, by: Int(step)))
        case .at(let time, let days):
            guard try days.includes(date, calendar: calendar) else { return [] }
            return [zone.instant(of: date, secondsOfDay: time.secondsOfDay)]
        }
    }

    /// The instants a window spans on a date, or nil when it does not open that day.
    public static func bounds(
        of window: DayWindow, on date: LocalDate, zone: ZoneRules,
        calendar: any ExchangeCalendar
    ) throws(CalendarError) -> (Int64, Int64)? {
        if window == .day {
            return (
                zone.resolve(local: Int64(date.daysSinceEpoch) * 86_400),
                zone.resolve(local: Int64(date.daysSinceEpoch + 1) * 86_400)
            )
        }
        guard let session = try calendar.session(on: date) else { return nil }
        let exchange = ZoneRules.of(calendar.timeZone)
        switch window {
        case .session: return (session.open, session.close)
        case .premarket: return (exchange.instant(of: date, secondsOfDay: premarketStart), session.open)
        case .postmarket: return (session.close, exchange.instant(of: date, secondsOfDay: postmarketEnd))
        case .day: return nil
        }
    }
}

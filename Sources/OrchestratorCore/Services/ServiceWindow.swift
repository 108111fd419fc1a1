/// When services run: the current activation of a service's `active` window, and the next
/// instant at which that changes. Always-on services have one endless activation.
public enum ServiceWindow {
    /// The activation key of a service without a window.
    public static let always: Int64 = Int64.min

    /// The window containing `now`, as (start, end) epoch seconds; nil when outside every window.
    /// Windows that run over midnight are found from the day before.
    public static func current(
        _ window: ActiveWindow?, at now: Double, zone: ZoneRules,
        calendar: any ExchangeCalendar
    ) -> (start: Int64, end: Int64)? {
        guard let window else { return (always, Int64.max) }
        let today = zone.localDate(of: Int64(now.rounded(.down)))
        for date in [today, today.adding(days: -1)] {
            guard let interval = try? window.interval(on: date, zone: zone, calendar: calendar) else { continue }
            if Double(interval.start) <= now && now < Double(interval.end) { return interval }
        }
        return nil
    }

    /// The next start of the window strictly after `now` (looking up to two weeks ahead, past
    /// weekends and holidays); nil for always-on services or none found.
    public static func nextStart(
        _ window: ActiveWindow?, after now: Double, zone: ZoneRules,
        calendar: any ExchangeCalendar
    ) -> Int64? {
        guard let window else { return nil }
        let today = zone.localDate(of: Int64(now.rounded(.down)))
        for offset in -1...14 {
            guard let interval = try? window.interval(on: today.adding(days: offset), zone: zone, calendar: calendar) else { continue }
            if Double(interval.start) > now { return interval.start }
        }
        return nil
    }

    /// The windows of a trading day's date, for `run-day` to know when the day's services end.
    public static func interval(
        _ window: ActiveWindow?, on day: LocalDate, zone: ZoneRules,
        calendar: any ExchangeCalendar
    ) -> (start: Int64, end: Int64)? {
        guard let window else { return nil }
        return try? window.interval(on: day, zone: zone, calendar: calendar)
    }
}

public import Foundation

/// The New York Stock Exchange, exact for every date from 2000-01-01 to 2035-12-31.
///
/// Regular hours 09:30–16:00 America/New_York; half days close at 13:00. Holidays follow NYSE
/// Rule 7.2 with weekend observance (Saturday → the Friday before, Sunday → the Monday after),
/// except that a Saturday New Year's Day is not observed at all (NYSE does not close on the last
/// trading day of a year). Checked against an independently generated fixture over the whole
/// range by `XNYSCalendarReferenceTests`.
public struct XNYSCalendar: ExchangeCalendar {
    public static let shared = XNYSCalendar()

    public let code = "XNYS"
    public let timeZone: TimeZone
    public let validRange: ClosedRange<LocalDate>
    private let zone: ZoneRules
    /// Per year from `validRange`: day-of-year flags, computed once.
    private let table: [[DayKind]]
    private let firstYear: Int

    enum DayKind: UInt8, Sendable { case closed, regular, early }

    static let openSeconds: Int64 = 9 * 3600 + 30 * 60
    static let closeSeconds: Int64 = 16 * 3600
    static let earlyCloseSeconds: Int64 = 13 * 3600

    /// Closures NYSE announced outside its holiday rules, within the known range.
    public static let unscheduledClosures: [LocalDate: String] = [
        d(2001, 9, 11): "September 11 attacks", d(2001, 9, 12): "September 11 attacks",
        d(2001, 9, 13): "September 11 attacks", d(2001, 9, 14): "September 11 attacks",
        d(2004, 6, 11): "National day of mourning for Ronald Reagan",
        d(2007, 1, 2): "National day of mourning for Gerald Ford",
        d(2012, 10, 29): "Hurricane Sandy", d(2012, 10, 30): "Hurricane Sandy",
        d(2018, 12, 5): "National day of mourning for George H. W. Bush",
        d(2025, 1, 9): "National day of mourning for Jimmy Carter",
    ]

    /// Half days that no recurring rule gives.
    public static let specialEarlyCloses: Set<LocalDate> = [
        d(2002, 7, 5),  // Friday after a Thursday Independence Day
        d(2003, 12, 26),  // Friday after a Thursday Christmas
    ]

    public init() {
        let tz = TimeZone(identifier: "America/New_York")!
        timeZone = tz
        zone = ZoneRules.of(tz)
        validRange = XNYSCalendar.d(2000, 1, 1)...XNYSCalendar.d(2035, 12, 31)
        firstYear = 2000
        table = (2000...2035).map { XNYSCalendar.dayKinds(year: $0) }
    }

    public func session(on date: LocalDate) throws(CalendarError) -> Session? {
        guard validRange.contains(date) else {
            throw CalendarError(calendar: code, date: date, validRange: validRange)
        }
        let dayIndex = date.daysSinceEpoch - LocalDate.daysFromCivil(year: date.year, month: 1, day: 1)
        let kind = table[date.year - firstYear][dayIndex]
        return makeSession(date, kind)
    }

    public func closureReason(on date: LocalDate) -> String? {
        if let reason = XNYSCalendar.unscheduledClosures[date] { return reason }
        return XNYSCalendar.holidays(year: date.year).first { $0.date == date }?.name
    }

    private func makeSession(_ date: LocalDate, _ kind: DayKind) -> Session? {
        switch kind {
        case .closed: return nil
        case .regular, .early:
            let early = kind == .early
            return Session(
                date: date,
                open: zone.instant(of: date, secondsOfDay: XNYSCalendar.openSeconds),
                close: zone.instant(of: date, secondsOfDay: early ? XNYSCalendar.earlyCloseSeconds : XNYSCalendar.closeSeconds),
                isEarlyClose: early)
        }
    }

    /// Every session from 2000 to 2035 computed from the rules alone, with no cached table:
    /// what the benchmark times.
    public static func computeAllSessions() -> [Session] {
        let zone = ZoneRules.named("America/New_York")!
        var result: [Session] = []
        result.reserveCapacity(9100)
        for year in 2000...2035 {
            let kinds = dayKinds(year: year)
            let jan1 = LocalDate.daysFromCivil(year: year, month: 1, day: 1)
            for (i, kind) in kinds.enumerated() where kind != .closed {
                let date = LocalDate(daysSinceEpoch: jan1 + i)
                let midnight = Int64(jan1 + i) * 86_400
                result.append(
                    Session(
                        date: date,
                        open: zone.resolve(local: midnight + openSeconds),
                        close: zone.resolve(local: midnight + (kind == .early ? earlyCloseSeconds : closeSeconds)),
                        isEarlyClose: kind == .early))
            }
        }
        return result
    }

    // MARK: - The rules

    /// The holidays of a year as NYSE observes them, with their names.
    public static func holidays(year: Int) -> [(date: LocalDate, name: String)] {
        var list: [(LocalDate, String)] = []
        // New Year's Day: Sunday → Monday; Saturday → not observed (no Friday closure).
        let newYear = d(year, 1, 1)
        switch newYear.weekday {
        case 0: list.append((d(year, 1, 2), "New Year's Day (observed)"))
        case 6: break
        default: list.append((newYear, "New Year's Day"))
        }
        list.append((nthWeekday(3, 1, month: 1, year: year), "Martin Luther King Jr. Day"))
        list.append((nthWeekday(3, 1, month: 2, year: year), "Washington's Birthday"))
        list.append((easter(year).adding(days: -2), "Good Friday"))
        list.append((lastWeekday(1, month: 5, year: year), "Memorial Day"))
        if year >= 2022 { list.append((observed(d(year, 6, 19)), "Juneteenth National Independence Day")) }
        list.append((observed(d(year, 7, 4)), "Independence Day"))
        list.append((nthWeekday(1, 1, month: 9, year: year), "Labor Day"))
        list.append((nthWeekday(4, 4, month: 11, year: year), "Thanksgiving Day"))
        list.append((observed(d(year, 12, 25)), "Christmas Day"))
        return list
    }

    /// The recurring half days of a year, before holidays and closures are taken out.
    static func earlyCloses(year: Int) -> [LocalDate] {
        var list: [LocalDate] = []
        // The day after Thanksgiving.
        list.append(nthWeekday(4, 4, month: 11, year: year).adding(days: 1))
        // July 3 when Independence Day falls Tuesday–Friday: Monday, Tuesday, Thursday always;
        // Wednesday only from 2013 (before then the Wednesday was a full day).
        let july3 = d(year, 7, 3)
        switch july3.weekday {
        case 1, 2, 4: list.append(july3)
        case 3 where year >= 2013: list.append(july3)
        default: break
        }
        // Christmas Eve on Monday–Thursday (a Friday Christmas Eve is Christmas observed).
        let eve = d(year, 12, 24)
        if (1...4).contains(eve.weekday) { list.append(eve) }
        return list
    }

    static func dayKinds(year: Int) -> [DayKind] {
        let jan1 = LocalDate.daysFromCivil(year: year, month: 1, day: 1)
        let count = LocalDate.isLeap(year) ? 366 : 365
        var kinds = [DayKind](repeating: .regular, count: count)
        for i in 0..<count where LocalDate.weekday(daysSinceEpoch: jan1 + i) % 6 == 0 {
            kinds[i] = .closed
        }
        for e in earlyCloses(year: year) where kinds[e.daysSinceEpoch - jan1] == .regular {
            kinds[e.daysSinceEpoch - jan1] = .early
        }
        for e in specialEarlyCloses where e.year == year { kinds[e.daysSinceEpoch - jan1] = .early }
        for h in holidays(year: year) where h.date.year == year { kinds[h.date.daysSinceEpoch - jan1] = .closed }
        for c in unscheduledClosures.keys where c.year == year { kinds[c.daysSinceEpoch - jan1] = .closed }
        return kinds
    }

    /// Saturday → Friday before, Sunday → Monday after.
    static func observed(_ date: LocalDate) -> LocalDate {
        switch date.weekday {
        case 6: return date.adding(days: -1)
        case 0: return date.adding(days: 1)
        default: return date
        }
    }

    /// The `n`th given weekday (0 = Sunday) of a month.
    static func nthWeekday(_ n: Int, _ weekday: Int, month: Int, year: Int) -> LocalDate {
        let first = d(year, month, 1)
        let shift = (weekday - first.weekday + 7) % 7
        return first.adding(days: shift + 7 * (n - 1))
    }

    static func lastWeekday(_ weekday: Int, month: Int, year: Int) -> LocalDate {
        let last = d(year, month, LocalDate.daysIn(month: month, year: year))
        return last.adding(days: -((last.weekday - weekday + 7) % 7))
    }

    /// Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher).
    public static func easter(_ year: Int) -> LocalDate {
        let a = year % 19, b = year / 100, c = year % 100
        let d0 = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d0 - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return d(year, month, day)
    }

    static func d(_ y: Int, _ m: Int, _ day: Int) -> LocalDate {
        LocalDate(year: y, month: m, day: day)!
    }
}

/// A calendar date with no time zone: the date a person reads off a wall calendar.
///
/// Arithmetic is done on `daysSinceEpoch` (days since 1970-01-01 in the proleptic Gregorian
/// calendar) with Howard Hinnant's civil-date algorithms, so nothing here asks Foundation's
/// `Calendar`, which is both slow and locale-dependent.
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// A date if the fields name a real day (`2026-02-30` is nil).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= LocalDate.daysIn(month: month, year: year) else {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` days after 1970-01-01 (negative before it).
    public init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int {
        LocalDate.daysFromCivil(year: year, month: month, day: day)
    }

    /// 0 = Sunday … 6 = Saturday, as cron counts.
    public var weekday: Int {
        LocalDate.weekday(daysSinceEpoch: daysSinceEpoch)
    }

    public var isWeekend: Bool {
        let w = weekday
        return w == 0 || w == 6
    }

    public func adding(days: Int) -> LocalDate {
        LocalDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        let y = String(year)
        let paddedYear = year >= 0 && year < 1000 ? String(repeating: "0", count: 4 - y.count) + y : y
        return paddedYear + "-" + LocalDate.two(month) + "-" + LocalDate.two(day)
    }

    /// Parses `YYYY-MM-DD` exactly; nil for anything else, including impossible days.
    public init?(parsing text: some StringProtocol) {
        // Byte by byte: the engine parses a date for every run it reads.
        var bytes = text.utf8.makeIterator()
        var fields = [0, 0, 0]
        for (index, width) in [4, 2, 2].enumerated() {
            for _ in 0..<width {
                guard let b = bytes.next(), b >= 48, b <= 57 else { return nil }
                fields[index] = fields[index] * 10 + Int(b - 48)
            }
            if index < 2 { guard bytes.next() == 45 else { return nil } }
        }
        guard bytes.next() == nil else { return nil }
        self.init(year: fields[0], month: fields[1], day: fields[2])
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    // MARK: - Civil arithmetic shared with the cron evaluator

    public static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func weekday(daysSinceEpoch days: Int) -> Int {
        // 1970-01-01 was a Thursday (4).
        let w = (days + 4) % 7
        return w < 0 ? w + 7 : w
    }

    static func two(_ n: Int) -> String {
        n < 10 ? "0" + String(n) : String(n)
    }
}

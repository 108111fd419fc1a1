public import Foundation

/// An exchange's trading sessions over the range of dates it knows exactly.
///
/// Asking for a date outside `validRange` is an error, never a guess: a scheduler that silently
/// extrapolated holidays would run (or skip) a trading day on the wrong date.
public protocol ExchangeCalendar: Sendable {
    /// The exchange code, such as `XNYS`.
    var code: String { get }
    /// The zone its session times are set in.
    var timeZone: TimeZone { get }
    /// The first and last dates the calendar is exact for.
    var validRange: ClosedRange<LocalDate> { get }
    /// The session on a date, or nil when the exchange is closed that day.
    func session(on date: LocalDate) throws(CalendarError) -> Session?
    /// Why the exchange is closed on a weekday (a holiday's name), or nil.
    func closureReason(on date: LocalDate) -> String?
}

/// A date the calendar does not know.
public struct CalendarError: Error, Equatable, Sendable, CustomStringConvertible {
    public let calendar: String
    public let date: LocalDate
    public let validRange: ClosedRange<LocalDate>
    public var description: String {
        "\(calendar) is known from \(validRange.lowerBound) to \(validRange.upperBound); \(date) is outside that range"
    }
}

extension ExchangeCalendar {
    /// Sessions between two dates, both included, in date order.
    public func sessions(from: LocalDate, through to: LocalDate) throws(CalendarError) -> [Session] {
        guard from <= to else { return [] }
        var result: [Session] = []
        var day = from.daysSinceEpoch
        let last = to.daysSinceEpoch
        result.reserveCapacity((last - day + 1) * 5 / 7 + 1)
        while day <= last {
            if let s = try session(on: LocalDate(daysSinceEpoch: day)) { result.append(s) }
            day += 1
        }
        return result
    }

    public func isSession(_ date: LocalDate) throws(CalendarError) -> Bool {
        try session(on: date) != nil
    }

    /// The trading day an instant belongs to (SPEC §4): its local date when that date has a
    /// session, else the date of the latest session before it (a Saturday backup belongs to
    /// Friday).
    public func tradingDay(of instant: Int64) throws(CalendarError) -> LocalDate {
        var date = ZoneRules.of(timeZone).localDate(of: instant)
        for _ in 0..<31 {
            if try session(on: date) != nil { return date }
            date = date.adding(days: -1)
        }
        throw CalendarError(calendar: code, date: date, validRange: validRange)
    }

    /// The first session strictly after a date.
    public func nextSession(after date: LocalDate) throws(CalendarError) -> Session {
        var d = date.adding(days: 1)
        while true {
            if let s = try session(on: d) { return s }
            d = d.adding(days: 1)
        }
    }
}

/// The calendars this build knows, by code.
public enum ExchangeCalendars {
    public static func named(_ code: String) -> (any ExchangeCalendar)? {
        switch code.uppercased() {
        case "XNYS", "NYSE": return XNYSCalendar.shared
        default: return nil
        }
    }
    public static let known = ["XNYS"]
}

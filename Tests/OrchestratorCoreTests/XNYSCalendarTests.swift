import Foundation
import Testing

@testable import OrchestratorCore

@Suite("XNYS holiday and early-close rules")
struct XNYSCalendarTests {
    let xnys = XNYSCalendar.shared

    @Test(
        "holidays and their weekend observance",
        arguments: [
            // (date, is a session, why)
            ("2026-01-01", false, "New Year's Day on a Thursday"),
            ("2023-01-02", false, "Sunday New Year's Day observed Monday"),
            ("2021-12-31", true, "Saturday New Year's Day is not observed on the Friday before"),
            ("2010-12-31", true, "Saturday New Year's Day 2011 is not observed either"),
            ("2022-01-03", true, "nor on the Monday after"),
            ("2026-01-19", false, "Martin Luther King Jr. Day, third Monday of January"),
            ("2026-02-16", false, "Washington's Birthday, third Monday of February"),
            ("2026-04-03", false, "Good Friday"),
            ("2024-03-29", false, "Good Friday in March"),
            ("2026-05-25", false, "Memorial Day, last Monday of May"),
            ("2021-06-18", true, "Juneteenth not observed before 2022"),
            ("2022-06-20", false, "Sunday Juneteenth 2022 observed Monday"),
            ("2027-06-18", false, "Saturday Juneteenth observed Friday"),
            ("2026-07-03", false, "Saturday Independence Day observed Friday"),
            ("2021-07-05", false, "Sunday Independence Day observed Monday"),
            ("2026-09-07", false, "Labor Day, first Monday of September"),
            ("2026-11-26", false, "Thanksgiving, fourth Thursday of November"),
            ("2027-12-24", false, "Saturday Christmas observed Friday"),
            ("2022-12-26", false, "Sunday Christmas observed Monday"),
            ("2026-11-25", true, "an ordinary Wednesday"),
            ("2026-11-28", false, "a Saturday"),
        ])
    func holidays(day: String, isSession: Bool, why: String) throws {
        #expect(try xnys.isSession(date(day)) == isSession, "\(why)")
    }

    @Test(
        "unscheduled closures are closed",
        arguments: [
            "2001-09-11", "2001-09-12", "2001-09-13", "2001-09-14", "2004-06-11", "2007-01-02",
            "2012-10-29", "2012-10-30", "2018-12-05", "2025-01-09",
        ])
    func unscheduledClosures(day: String) throws {
        #expect(try xnys.session(on: date(day)) == nil)
        #expect(xnys.closureReason(on: date(day)) != nil)
    }

    @Test(
        "early closes at 13:00",
        arguments: [
            ("2026-11-27", true, "day after Thanksgiving"),
            ("2026-12-24", true, "Christmas Eve on a Thursday"),
            ("2025-07-03", true, "July 3 on a Thursday"),
            ("2024-07-03", true, "July 3 on a Wednesday from 2013"),
            ("2008-07-03", true, "July 3 on a Thursday before 2013"),
            ("2002-07-03", false, "July 3 on a Wednesday before 2013 is a full day"),
            ("2002-07-05", true, "the Friday after a Thursday Independence Day in 2002"),
            ("2003-12-26", true, "the Friday after a Thursday Christmas in 2003"),
            ("2022-12-23", false, "Friday December 23 is a full day"),
            ("2027-07-02", false, "Friday July 2 before an observed Independence Day is a full day"),
            ("2026-11-25", false, "the day before Thanksgiving is a full day"),
        ])
    func earlyCloses(day: String, early: Bool, why: String) throws {
        let s = try #require(try xnys.session(on: date(day)), "\(why)")
        #expect(s.isEarlyClose == early, "\(why)")
        #expect(TimeFormat.clock(s.close, in: newYork) == (early ? "13:00" : "16:00"), "\(why)")
        #expect(TimeFormat.clock(s.open, in: newYork) == "09:30")
    }

    @Test("session times are exchange-local across DST: 14:30Z in winter, 13:30Z in summer")
    func sessionTimesInUTC() throws {
        #expect(TimeFormat.utc(try #require(try xnys.session(on: date("2026-11-27"))).close) == "2026-11-27T18:00:00Z")
        #expect(TimeFormat.utc(try #require(try xnys.session(on: date("2026-07-01"))).open) == "2026-07-01T13:30:00Z")
    }

    @Test("a date outside 2000-2035 is an error, never a guess", arguments: ["1999-12-31", "2036-01-02"])
    func outOfRange(day: String) {
        #expect(throws: CalendarError.self) { try xnys.session(on: date(day)) }
    }

    @Test("the trading day of a weekend instant is the Friday before")
    func tradingDayOfWeekend() throws {
        #expect(try xnys.tradingDay(of: instant("2026-11-28T22:00:00Z")) == date("2026-11-27"))
        #expect(try xnys.tradingDay(of: instant("2026-11-26T22:00:00Z")) == date("2026-11-25"))
        #expect(try xnys.tradingDay(of: instant("2026-11-25T03:00:00Z")) == date("2026-11-24"), "22:00 local the day before")
    }

    @Test(
        "Easter dates by the Gregorian computus",
        arguments: [
            (2000, "2000-04-23"), (2008, "2008-03-23"), (2011, "2011-04-24"), (2026, "2026-04-05"), (2035, "2035-03-25"),
        ])
    func easter(year: Int, expected: String) {
        #expect(XNYSCalendar.easter(year) == date(expected))
    }
}

@Suite("XNYS against an independent reference")
struct XNYSCalendarReferenceTests {
    /// `Fixtures/xnys-sessions-2000-2035.csv` was generated once from the exchange_calendars
    /// Python library (see its header); only its data is committed.
    @Test("every session 2000-2035 matches the reference's date, open and close")
    func matchesReference() throws {
        let path = repositoryRoot + "/Tests/OrchestratorCoreTests/Fixtures/xnys-sessions-2000-2035.csv"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let expected = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("date,") }.map(String.init)
        #expect(expected.count == 9049)
        let actual = try XNYSCalendar.shared.sessions(from: date("2000-01-01"), through: date("2035-12-31")).map {
            "\($0.date),\(TimeFormat.utc($0.open)),\(TimeFormat.utc($0.close))"
        }
        #expect(actual.count == expected.count)
        let mismatches = zip(actual, expected).filter { $0 != $1 }
        #expect(mismatches.isEmpty, "first differences: \(mismatches.prefix(5))")
        #expect(Set(actual).symmetricDifference(expected).isEmpty)
    }

    @Test("computing every session from the rules alone gives the cached table")
    func fromScratchAgrees() throws {
        let cached = try XNYSCalendar.shared.sessions(from: date("2000-01-01"), through: date("2035-12-31"))
        #expect(XNYSCalendar.computeAllSessions() == cached)
    }
}

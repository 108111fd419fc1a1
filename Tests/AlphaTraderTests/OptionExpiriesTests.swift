import AlphaTrader
import OrchestratorCore
import Testing

@Suite("Option expiries the strategies trade, from the exchange calendar")
struct OptionExpiriesTests {
    let calendar = XNYSCalendar.shared

    @Test(
        "today's, the next session's, and the listed expiry nearest two weeks out — holidays and half days included",
        arguments: [
            // A Monday: the weekly two weeks on is Friday the 18th (the monthly too).
            ("2026-12-07", "NVDA", "20261207", "20261208", "20261218"),
            // Christmas week: Friday the 25th and New Year's Day are holidays, so the weeklies are
            // the Thursdays before them; two weeks from the 21st is nearest New Year's Eve.
            ("2026-12-21", "NVDA", "20261221", "20261222", "20261231"),
            // Two weeks from a Tuesday is Tuesday the 15th: the weekly on Friday the 18th, never
            // the daily on Monday the 14th that SPY lists and a single stock does not.
            ("2026-12-01", "AAPL", "20261201", "20261202", "20261218"),
        ])
    func expiries(day: String, symbol: String, today: String, next: String, twoWeeks: String) throws {
        let d = try #require(LocalDate(parsing: day))
        let e = try #require(try OptionExpiries.forStrategies(on: d, calendar: calendar))
        #expect([e.today.date, e.next.date, e.twoWeeks.date] == [today, next, twoWeeks])
        let listed = OptionExpiries.listed(symbol, from: d, calendar: calendar).map(OptionExpiries.code)
        #expect(listed.contains(e.twoWeeks.date), "the 14DTE expiry is listed for \(symbol)")
        #expect(e.today.closesAt < e.next.closesAt && e.next.closesAt < e.twoWeeks.closesAt)
    }

    @Test("a half day's expiry closes at 13:00; a day without a session has none")
    func halfDayAndHoliday() throws {
        let eve = try #require(try OptionExpiries.forStrategies(on: LocalDate(parsing: "2026-12-24")!, calendar: calendar))
        #expect(try Int64(eve.today.closesAt) == calendar.session(on: LocalDate(parsing: "2026-12-24")!)?.close)
        #expect(try calendar.session(on: LocalDate(parsing: "2026-12-24")!)?.isEarlyClose == true)
        #expect(try OptionExpiries.forStrategies(on: LocalDate(parsing: "2026-12-25")!, calendar: calendar) == nil)
    }

    @Test("an expiry code's close: its session's (13:00 on a half day); none for a holiday or what is not a date")
    func closes() throws {
        let eve = try #require(try calendar.session(on: LocalDate(parsing: "2026-12-24")!))
        #expect(OptionExpiries.closesAt("20261224", calendar: calendar) == Double(eve.close))
        #expect(OptionExpiries.closesAt("20261225", calendar: calendar) == nil)
        #expect(OptionExpiries.closesAt("2026122", calendar: calendar) == nil && OptionExpiries.closesAt("20261332", calendar: calendar) == nil)
    }
}

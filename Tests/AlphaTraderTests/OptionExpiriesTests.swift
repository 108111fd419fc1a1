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

    @Test(
        "an option held past its expiry's close settles at its intrinsic value on the underlying's last price: worthless out of the money, the early close's 13:00 on 2026-11-27",
        arguments: [
            // (instrument, underlying, New York time on the expiry day, settles per contract; nil: still trading; -1: unpriced)
            (Instrument.option(symbol: "QQQ", expiry: "20261106", strike: 534, right: .call), 536.25, "2026-11-06 16:00", 225.0),
            (Instrument.option(symbol: "QQQ", expiry: "20261106", strike: 534, right: .call), 530.10, "2026-11-06 16:00", 0.0),
            (Instrument.option(symbol: "IWM", expiry: "20261106", strike: 250, right: .put), 244.5, "2026-11-09 09:30", 550.0),
            (Instrument.option(symbol: "IWM", expiry: "20261106", strike: 250, right: .put), 244.5, "2026-11-06 15:59", nil),
            (Instrument.option(symbol: "SPY", expiry: "20261127", strike: 660, right: .call), 661, "2026-11-27 13:00", 100.0),
            (Instrument.option(symbol: "SPY", expiry: "20261127", strike: 660, right: .call), 661, "2026-11-27 12:59", nil),
            (Instrument.option(symbol: "SPY", expiry: "20261127", strike: 660, right: .call), nil, "2026-11-27 13:05", -1.0),
            (Instrument.stock(symbol: "SPY"), 661, "2026-11-27 16:00", nil),
        ] as [(Instrument, Double?, String, Double?)])
    func expiry(_ instrument: Instrument, _ underlying: Double?, _ at: String, _ settles: Double?) throws {
        let zone = ZoneRules.named("America/New_York")!
        let parts = at.split(separator: " ")
        let day = try #require(LocalDate(parsing: parts[0]))
        let hm = parts[1].split(separator: ":").compactMap { Int($0) }
        let now = Double(zone.instant(of: day, secondsOfDay: Int64(hm[0] * 3600 + hm[1] * 60)))
        let result = ExecutionService.expiry(of: instrument, underlying: underlying, now: now, calendar: XNYSCalendar.shared)
        guard let value = settles else {
            #expect(result == .trading, "\(instrument) at \(at)")
            return
        }
        guard value >= 0 else {
            #expect(result == .unpriced, "\(instrument) at \(at)")
            return
        }
        guard case .settles(let got) = result else {
            Issue.record("\(instrument) at \(at): \(result)")
            return
        }
        #expect(abs(got - value) < 1e-6, "\(instrument) at \(at): \(got)")
    }
}

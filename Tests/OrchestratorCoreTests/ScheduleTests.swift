import Testing

@testable import OrchestratorCore

@Suite("Schedules give every slot of a day")
struct ScheduleTests {
    let xnys = XNYSCalendar.shared

    func slots(_ schedule: Schedule, _ day: String, zone: ZoneRules = newYork) throws -> [String] {
        try schedule.slots(on: date(day), zone: zone, calendar: xnys).map { TimeFormat.local($0, in: zone) }
    }

    @Test("market close with an offset moves with an early close")
    func marketCloseEarly() throws {
        #expect(try slots(.market(.close, offset: .minutes(-10)), "2026-11-27") == ["2026-11-27T12:50:00-05:00"])
        #expect(try slots(.market(.close, offset: .minutes(-10)), "2026-11-25") == ["2026-11-25T15:50:00-05:00"])
        #expect(try slots(.market(.open, offset: .minutes(-5)), "2026-11-25") == ["2026-11-25T09:25:00-05:00"])
    }

    @Test("market schedules have no slot on holidays and weekends", arguments: ["2026-11-26", "2026-11-28", "2026-04-03"])
    func marketClosedDays(day: String) throws {
        #expect(try slots(.market(.open, offset: .zero), day).isEmpty)
        #expect(try slots(.every(.minutes(15), during: .session), day).isEmpty)
        #expect(try slots(.at(TimeOfDay(hour: 7, minute: 0)!, days: .trading), day).isEmpty)
    }

    @Test("every 15m during session: start included, end excluded, shortened by an early close")
    func everyDuringSession() throws {
        let full = try slots(.every(.minutes(15), during: .session), "2026-11-25")
        #expect(full.count == 26)
        #expect(full.first == "2026-11-25T09:30:00-05:00")
        #expect(full.last == "2026-11-25T15:45:00-05:00")
        let early = try slots(.every(.minutes(15), during: .session), "2026-11-27")
        #expect(early.count == 14)
        #expect(early.last == "2026-11-27T12:45:00-05:00")
    }

    @Test("premarket is 04:00 to the open and postmarket the close to 20:00")
    func premarketAndPostmarket() throws {
        let pre = try slots(.every(.hours(1), during: .premarket), "2026-11-25")
        #expect(pre == ["04:00", "05:00", "06:00", "07:00", "08:00", "09:00"].map { "2026-11-25T\($0):00-05:00" })
        let post = try slots(.every(.hours(2), during: .postmarket), "2026-11-27")
        #expect(post == ["13:00", "15:00", "17:00", "19:00"].map { "2026-11-27T\($0):00-05:00" })
    }

    @Test("every during day runs on every calendar day, and counts real hours on DST days")
    func everyDuringDay() throws {
        #expect(try slots(.every(.hours(6), during: .day), "2026-11-28").count == 4)
        // The fall-back day has 25 hours: 00:00, 01:00 EDT, 01:00 EST, 02:00 … 23:00.
        let fallBack = try slots(.every(.hours(1), during: .day), "2026-11-01")
        #expect(fallBack.count == 25)
        #expect(fallBack[1] == "2026-11-01T01:00:00-04:00")
        #expect(fallBack[2] == "2026-11-01T01:00:00-05:00")
        #expect(try slots(.every(.hours(1), during: .day), "2026-03-08").count == 23)
    }

    @Test(
        "at with days: trading, weekdays, daily",
        arguments: [
            ("2026-11-26", Schedule.DayFilter.trading, 0), ("2026-11-26", .weekdays, 1), ("2026-11-28", .weekdays, 0),
            ("2026-11-28", .daily, 1), ("2026-11-25", .trading, 1),
        ])
    func atDays(day: String, filter: Schedule.DayFilter, count: Int) throws {
        #expect(try slots(.at(TimeOfDay(hour: 17, minute: 0)!, days: filter), day).count == count)
    }

    @Test("at a time the spring-forward gap swallows fires right after the gap; a repeated time fires once")
    func atAcrossDST() throws {
        #expect(try slots(.at(TimeOfDay(hour: 2, minute: 30)!, days: .daily), "2026-03-08") == ["2026-03-08T03:00:00-04:00"])
        #expect(try slots(.at(TimeOfDay(hour: 1, minute: 30)!, days: .daily), "2026-11-01") == ["2026-11-01T01:30:00-04:00"])
    }

    @Test("cron slots of a day are the fires within its local midnight-to-midnight")
    func cronDay() throws {
        let cron = try CronExpression(parsing: "*/15 9-16 * * 1-5")
        #expect(try slots(.cron(cron), "2026-11-25").count == 32)
        #expect(try slots(.cron(cron), "2026-11-28").isEmpty)
        // A per-job time zone: 17:00 in London is 12:00 in New York.
        let london17 = try Schedule.cron(CronExpression(parsing: "0 17 * * *")).slots(on: date("2026-11-25"), zone: london, calendar: xnys)
        #expect(london17.map { TimeFormat.local($0, in: newYork) } == ["2026-11-25T12:00:00-05:00"])
    }

    @Test(
        "reasons read like the schedule",
        arguments: [
            (Schedule.market(.close, offset: .minutes(-10)), "market close -10m"),
            (.market(.open, offset: .zero), "market open"),
            (.market(.close, offset: .minutes(30)), "market close +30m"),
            (.every(.minutes(15), during: .session), "every 15m during session"),
            (.at(TimeOfDay(hour: 17, minute: 0)!, days: .daily), "at 17:00 daily"),
        ])
    func reasons(schedule: Schedule, text: String) {
        #expect(schedule.description == text)
    }

    @Test("a service window follows the session and skips holidays")
    func activeWindow() throws {
        let window = ActiveWindow(from: .market(.open, offset: .minutes(-30)), to: .market(.close, offset: .minutes(15)))
        let early = try #require(try window.interval(on: date("2026-11-27"), zone: newYork, calendar: xnys))
        #expect(TimeFormat.local(early.start, in: newYork) == "2026-11-27T09:00:00-05:00")
        #expect(TimeFormat.local(early.end, in: newYork) == "2026-11-27T13:15:00-05:00")
        #expect(try window.interval(on: date("2026-11-26"), zone: newYork, calendar: xnys) == nil)
        let overnight = ActiveWindow(from: .time(TimeOfDay(hour: 22, minute: 0)!), to: .time(TimeOfDay(hour: 2, minute: 0)!), days: .daily)
        let night = try #require(try overnight.interval(on: date("2026-11-28"), zone: newYork, calendar: xnys))
        #expect(night.end - night.start == 4 * 3600)
    }
}

extension TimeSpan {
    static func hours(_ h: Int64) -> TimeSpan { .minutes(h * 60) }
}

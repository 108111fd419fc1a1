import Testing

@testable import OrchestratorCore

@Suite("Cron parsing")
struct CronParseTests {
    @Test(
        "fields accept names, lists, ranges, steps and 0 or 7 for Sunday",
        arguments: [
            ("*/15 9-16 * * 1-5", "2026-11-25T14:00:00Z", ["2026-11-25T09:15:00-05:00", "2026-11-25T09:30:00-05:00"]),
            ("0 17 * * MON-FRI", "2026-11-27T23:00:00Z", ["2026-11-30T17:00:00-05:00"]),
            ("0 12 * JAN,jul SUN", "2026-11-25T00:00:00Z", ["2027-01-03T12:00:00-05:00", "2027-01-10T12:00:00-05:00"]),
            ("0 12 * * 7", "2026-11-25T00:00:00Z", ["2026-11-29T12:00:00-05:00"]),
            ("0 12 * * 0", "2026-11-25T00:00:00Z", ["2026-11-29T12:00:00-05:00"]),
            ("0 12 * * 5-7", "2026-11-25T00:00:00Z", ["2026-11-27T12:00:00-05:00", "2026-11-28T12:00:00-05:00", "2026-11-29T12:00:00-05:00"]),
            ("5/20 10 * * *", "2026-11-25T00:00:00Z", ["2026-11-25T10:05:00-05:00", "2026-11-25T10:25:00-05:00", "2026-11-25T10:45:00-05:00"]),
            (
                "0-10/5,30 10 * * *", "2026-11-25T00:00:00Z",
                ["2026-11-25T10:00:00-05:00", "2026-11-25T10:05:00-05:00", "2026-11-25T10:10:00-05:00", "2026-11-25T10:30:00-05:00"]
            ),
            ("0 0 29 2 *", "2026-01-01T00:00:00Z", ["2028-02-29T00:00:00-05:00"]),
        ])
    func fieldForms(expression: String, after: String, expected: [String]) throws {
        #expect(try fires(expression, newYork, after: after, count: expected.count) == expected)
    }

    @Test(
        "macros expand to their five-field meaning",
        arguments: [
            ("@hourly", "0 * * * *"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@weekly", "0 0 * * 0"),
            ("@monthly", "0 0 1 * *"), ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"),
        ])
    func macros(macro: String, expansion: String) throws {
        let after = "2026-11-25T12:34:00Z"
        #expect(try fires(macro, newYork, after: after, count: 3) == fires(expansion, newYork, after: after, count: 3))
    }

    @Test(
        "Vixie rule: both day fields restricted match either; a star in one requires both",
        arguments: [
            // 13th of the month OR a Friday.
            ("0 9 13 * 5", "2026-11-01T00:00:00Z", ["2026-11-06T09:00:00-05:00", "2026-11-13T09:00:00-05:00", "2026-11-20T09:00:00-05:00"]),
            // */2 in day-of-month starts with *, so it is AND: odd days that are Fridays.
            ("0 9 */2 * 5", "2026-11-01T00:00:00Z", ["2026-11-13T09:00:00-05:00", "2026-11-27T09:00:00-05:00"]),
            // Day of week alone.
            ("0 9 * * 5", "2026-11-01T00:00:00Z", ["2026-11-06T09:00:00-05:00"]),
            // Day of month alone.
            ("0 9 13 * *", "2026-11-01T00:00:00Z", ["2026-11-13T09:00:00-05:00", "2026-12-13T09:00:00-05:00"]),
        ])
    func vixieDayRule(expression: String, after: String, expected: [String]) throws {
        #expect(try fires(expression, newYork, after: after, count: expected.count) == expected)
    }

    @Test(
        "errors name the field and point at the piece at fault",
        arguments: [
            ("0 25 * * *", CronError.Code.outOfRange, 2, Int?.some(1)),
            ("60 * * * *", .outOfRange, 0, 0),
            ("0 0 32 * *", .outOfRange, 4, 2),
            ("0 0 * 13 *", .outOfRange, 6, 3),
            ("0 0 * * 8", .outOfRange, 8, 4),
            ("0 0 * * MON,FOO", .badField, 12, 4),
            ("*/0 * * * *", .badStep, 0, 0),
            ("0 10-5 * * *", .badRange, 2, 1),
            ("0 0 * *", .fieldCount, 0, nil),
            ("0 0 * * * *", .fieldCount, 0, nil),
            ("@reboot", .unknownMacro, 0, nil),
            ("0 1,,2 * * *", .badField, 4, 1),
            ("0 0 30 2 *", .impossible, 4, 2),
            ("0 0 31 4,6,9,11 *", .impossible, 4, 2),
        ])
    func errors(expression: String, code: CronError.Code, offset: Int, field: Int?) {
        do {
            _ = try CronExpression(parsing: expression)
            Issue.record("\(expression) should not parse")
        } catch {
            #expect(error.code == code)
            #expect(error.offset == offset)
            #expect(error.field == field)
        }
    }

    @Test("an impossible day of month is fine when OR-ed with a day of week")
    func impossibleDayOrWeekday() throws {
        // Feb 30 never exists, but the Vixie OR makes every Monday in February match.
        #expect(try fires("0 0 30 2 1", newYork, after: "2027-01-01T00:00:00Z", count: 1) == ["2027-02-01T00:00:00-05:00"])
    }

    @Test(
        "wildcard-time is decided by the first character of minute or hour",
        arguments: [
            ("*/15 9-16 * * 1-5", true), ("0 * * * *", true), ("* 2 * * *", true),
            ("0 17 * * 1-5", false), ("30 2 * * *", false), ("0-59 2 * * *", false), ("0 1-23 * * *", false),
        ])
    func wildcardClassification(expression: String, wildcard: Bool) throws {
        #expect(try CronExpression(parsing: expression).isWildcardTime == wildcard)
    }
}

import Foundation
import Testing

@testable import OrchestratorCore

/// cronie's DST rule (SPEC §3): wildcard expressions follow real time, fixed-time expressions
/// fire once per local time and once, right after the gap, for times the gap swallows.
@Suite("Cron across DST switches")
struct CronDSTTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let expression: String
        let zone: String
        let after: String
        let expected: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // America/New_York, spring forward 2026-03-08 02:00 → 03:00.
        Case(
            name: "NY spring: a fixed 02:30 fires at 03:00 on the gap day", expression: "30 2 * * *", zone: "America/New_York",
            after: "2026-03-07T12:00:00Z", expected: ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
        Case(
            name: "NY spring: two fixed times in the gap fire once", expression: "0,30 2 * * *", zone: "America/New_York",
            after: "2026-03-07T12:00:00Z", expected: ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
        Case(
            name: "NY spring: a gap time and 03:00 itself fire once together", expression: "0 2,3 * * *", zone: "America/New_York",
            after: "2026-03-07T12:00:00Z", expected: ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"]),
        Case(
            name: "NY spring: a fixed time outside the gap is untouched", expression: "30 3 * * *", zone: "America/New_York",
            after: "2026-03-07T12:00:00Z", expected: ["2026-03-08T03:30:00-04:00", "2026-03-09T03:30:00-04:00"]),
        Case(
            name: "NY spring: a wildcard never fires inside the gap", expression: "*/30 * * * *", zone: "America/New_York",
            after: "2026-03-08T06:10:00Z", expected: ["2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"]),
        Case(
            name: "NY spring: a wildcard minute in the missing hour skips the day", expression: "* 2 * * *", zone: "America/New_York",
            after: "2026-03-07T12:00:00Z", expected: ["2026-03-09T02:00:00-04:00"]),
        Case(
            name: "NY spring: an hourly wildcard skips the missing hour", expression: "15 * * * *", zone: "America/New_York",
            after: "2026-03-08T06:00:00Z", expected: ["2026-03-08T01:15:00-05:00", "2026-03-08T03:15:00-04:00"]),
        // America/New_York, fall back 2026-11-01 02:00 → 01:00.
        Case(
            name: "NY fall: a fixed 01:30 fires at its first occurrence only", expression: "30 1 * * *", zone: "America/New_York",
            after: "2026-10-31T12:00:00Z", expected: ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]),
        Case(
            name: "NY fall: fixed times in the repeated hour fire once each", expression: "0,30 1 * * *", zone: "America/New_York",
            after: "2026-10-31T12:00:00Z", expected: ["2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:00:00-05:00"]),
        Case(
            name: "NY fall: a wildcard fires twice in the repeated hour", expression: "*/30 * * * *", zone: "America/New_York",
            after: "2026-11-01T04:40:00Z",
            expected: [
                "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00",
                "2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00",
            ]),
        Case(
            name: "NY fall: an hourly wildcard repeats 01:15", expression: "15 * * * *", zone: "America/New_York",
            after: "2026-11-01T04:00:00Z",
            expected: ["2026-11-01T00:15:00-04:00", "2026-11-01T01:15:00-04:00", "2026-11-01T01:15:00-05:00", "2026-11-01T02:15:00-05:00"]),
        Case(
            name: "NY fall: starting inside the second 01:xx, a fixed 01:45 waits a day", expression: "45 1 * * *", zone: "America/New_York",
            after: "2026-11-01T06:30:00Z", expected: ["2026-11-02T01:45:00-05:00"]),
        // Europe/London, spring forward 2026-03-29 01:00 → 02:00.
        Case(
            name: "London spring: a fixed 01:30 fires at 02:00 on the gap day", expression: "30 1 * * *", zone: "Europe/London",
            after: "2026-03-28T12:00:00Z", expected: ["2026-03-29T02:00:00+01:00", "2026-03-30T01:30:00+01:00"]),
        Case(
            name: "London spring: a wildcard jumps the gap", expression: "*/20 * * * *", zone: "Europe/London",
            after: "2026-03-29T00:30:00Z", expected: ["2026-03-29T00:40:00+00:00", "2026-03-29T02:00:00+01:00", "2026-03-29T02:20:00+01:00"]),
        // Europe/London, fall back 2026-10-25 02:00 → 01:00.
        Case(
            name: "London fall: a fixed 01:30 fires once", expression: "30 1 * * *", zone: "Europe/London",
            after: "2026-10-24T12:00:00Z", expected: ["2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00+00:00"]),
        Case(
            name: "London fall: a wildcard minute fires in both 01:xx hours", expression: "*/30 1 * * *", zone: "Europe/London",
            after: "2026-10-24T23:50:00Z",
            expected: ["2026-10-25T01:00:00+01:00", "2026-10-25T01:30:00+01:00", "2026-10-25T01:00:00+00:00", "2026-10-25T01:30:00+00:00"]),
        // Other years, both zones.
        Case(
            name: "NY spring 2025: fixed 02:15 fires at 03:00", expression: "15 2 * * *", zone: "America/New_York",
            after: "2025-03-08T12:00:00Z", expected: ["2025-03-09T03:00:00-04:00", "2025-03-10T02:15:00-04:00"]),
        Case(
            name: "NY fall 2027: fixed 01:05 fires once", expression: "5 1 * * *", zone: "America/New_York",
            after: "2027-11-06T12:00:00Z", expected: ["2027-11-07T01:05:00-04:00", "2027-11-08T01:05:00-05:00"]),
        Case(
            name: "London spring 2027: weekday-only fixed time in the gap", expression: "30 1 * * 0", zone: "Europe/London",
            after: "2027-03-27T12:00:00Z", expected: ["2027-03-28T02:00:00+01:00", "2027-04-04T01:30:00+01:00"]),
        Case(
            name: "London fall 2025: wildcard hour repeats 01:00", expression: "0 * * * *", zone: "Europe/London",
            after: "2025-10-26T00:30:00Z", expected: ["2025-10-26T01:00:00+00:00", "2025-10-26T02:00:00+00:00"]),
    ]

    @Test("the DST rule, case by case", arguments: cases)
    func dstRule(c: Case) throws {
        #expect(try fires(c.expression, ZoneRules.named(c.zone)!, after: c.after, count: c.expected.count) == c.expected)
    }

    /// An independent statement of the rule, minute by minute over real time with Foundation's
    /// own `TimeZone` (not `ZoneRules`): every fire the evaluator gives must be exactly these.
    static func reference(_ cron: CronExpression, _ tz: TimeZone, from: Int64, to: Int64) -> [Int64] {
        func local(_ t: Int64) -> Int64 { t + Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))) }
        var result: [Int64] = []
        var seenLocal = Set<Int64>()
        var t = from
        while t < to {
            let l = local(t)
            if cron.isWildcardTime {
                if cron.matches(local: l) { result.append(t) }
            } else {
                var fire = cron.matches(local: l) && !seenLocal.contains(l)
                // A transition at t that skipped local times: any match among them fires now.
                let before = local(t - 60) + 60
                if before < l {
                    var g = before
                    while g < l { if cron.matches(local: g) { fire = true }; g += 60 }
                }
                if fire { result.append(t) }
                seenLocal.insert(l)
            }
            t += 60
        }
        return result
    }

    static let expressions = [
        "30 2 * * *", "0 2 * * *", "30 1 * * *", "0,30 1-3 * * *", "*/15 * * * *", "15 * * * *",
        "* 2 * * *", "0 9 * * 1-5", "59 1 * * *", "0 1 * * 0", "*/7 1-2 * * *",
    ]

    @Test(
        "the evaluator agrees with a minute-by-minute reference on every switch day 2024-2028",
        arguments: ["America/New_York", "Europe/London"])
    func agreesWithReference(zoneName: String) throws {
        let tz = TimeZone(identifier: zoneName)!
        let zone = ZoneRules.of(tz)
        var transitions: [Int64] = []
        var cursor = Date(timeIntervalSince1970: Double(instant("2024-01-01T00:00:00Z")))
        while let next = tz.nextDaylightSavingTimeTransition(after: cursor), next.timeIntervalSince1970 < Double(instant("2029-01-01T00:00:00Z")) {
            transitions.append(Int64(next.timeIntervalSince1970))
            cursor = next
        }
        #expect(transitions.count == 10)
        for expression in CronDSTTests.expressions {
            let cron = try CronExpression(parsing: expression)
            for transition in transitions {
                let from = transition - 26 * 3600, to = transition + 26 * 3600
                let expected = CronDSTTests.reference(cron, tz, from: from, to: to)
                let actual = cron.fires(from: from, to: to, in: zone)
                #expect(actual == expected, "\(expression) around \(TimeFormat.utc(transition)) in \(zoneName)")
            }
        }
    }
}

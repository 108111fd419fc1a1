import ArgumentParser
import Foundation
import OrchestratorCore

struct CalendarCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "The exchange's sessions between two dates, both included.",
        discussion: """
            XNYS is exact from 2000-01-01 to 2035-12-31: holidays with their weekend observance,
            early closes at 13:00 and the unscheduled closures. A date outside that range is an
            error (exit 2), never a guess. Human output also names the weekdays the exchange is
            closed; --json lists sessions only, times in UTC.

            Examples:
              orchestrator calendar --from 2026-11-23 --to 2026-11-30
              orchestrator calendar --from 2026-01-01 --to 2026-12-31 --json
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Option(help: ArgumentHelp("First date (YYYY-MM-DD); default today.", valueName: "date")) var from: String?
    @Option(help: ArgumentHelp("Last date (YYYY-MM-DD); default two weeks after --from.", valueName: "date")) var to: String?
    @Flag(help: "Print a JSON array: [{\"date\",\"open\",\"close\"}].") var json = false

    func run() throws {
        let config = try global.loadConfig()
        let calendar = config.calendar
        let zone = ZoneRules.of(config.timeZone)
        let first = try from.map { try parseDate($0, option: "--from") } ?? (try today(in: zone))
        let last = try to.map { try parseDate($0, option: "--to") } ?? first.adding(days: 13)
        guard first <= last else {
            throw CLIFailure.invalid("--from \(first) is after --to \(last)")
        }
        let sessions: [Session]
        do {
            sessions = try calendar.sessions(from: first, through: last)
        } catch {
            throw CLIFailure.invalid(error.description)
        }
        if json {
            printJSON(
                .array(
                    sessions.map { s in
                        .object([
                            ("date", .string(s.date.description)), ("open", .string(TimeFormat.utc(s.open))),
                            ("close", .string(TimeFormat.utc(s.close))),
                        ])
                    }))
            return
        }
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        var rows = [["DATE", "DAY", "OPEN", "CLOSE", ""]]
        var index = sessions.startIndex
        var date = first
        while date <= last {
            if index < sessions.endIndex, sessions[index].date == date {
                let s = sessions[index]
                rows.append([
                    date.description, days[date.weekday], TimeFormat.clock(s.open, in: zone),
                    TimeFormat.clock(s.close, in: zone), s.isEarlyClose ? "early close" : "",
                ])
                index += 1
            } else if !date.isWeekend {
                rows.append([date.description, days[date.weekday], "-", "-", "closed: " + (calendar.closureReason(on: date) ?? "holiday")])
            }
            date = date.adding(days: 1)
        }
        print("\(calendar.code) sessions, times in \(config.timeZone.identifier)")
        print(table(rows))
        print("\(sessions.count) session\(sessions.count == 1 ? "" : "s")")
    }
}

import ArgumentParser
import Foundation
import OrchestratorCore

struct CronCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron",
        abstract: "The next fire times of a cron expression, by cronie's DST rule.",
        discussion: """
            Prints fires strictly after --after, one per line as local time with its offset.
            A wildcard expression (minute or hour starting with *) fires at every real instant whose
            local time matches: twice in a repeated fall-back hour, never in a spring-forward gap.
            Any other expression fires once at a repeated time, and at the first instant after a
            gap for times inside it.

            Examples:
              orchestrator cron "0 17 * * 1-5"
              orchestrator cron "30 2 * * *" --tz America/New_York --after 2026-03-07T12:00:00Z --count 3
              orchestrator cron @hourly --tz Europe/London --json
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Argument(help: ArgumentHelp("A 5-field cron expression or a macro such as @daily; quote it.", valueName: "expr"))
    var expression: String
    @Option(help: ArgumentHelp("IANA time zone; default the configured one.", valueName: "tz")) var tz: String?
    @Option(help: ArgumentHelp("Start after this instant: ISO-8601 with Z or an offset; default now.", valueName: "time")) var after: String?
    @Option(help: ArgumentHelp("How many fires (1–100000).", valueName: "n")) var count: Int = 10
    @Flag(help: "Print a JSON array of the local times.") var json = false

    func run() throws {
        let cron: CronExpression
        do {
            cron = try CronExpression(parsing: expression)
        } catch {
            let caret = String(repeating: " ", count: error.offset) + "^"
            throw CLIFailure(text: "error: \(error.message)\n  \(expression)\n  \(caret)\n", status: 2)
        }
        guard (1...100_000).contains(count) else {
            throw CLIFailure.invalid("--count must be from 1 to 100000, found \(count)")
        }
        let timeZone: TimeZone
        if let tz {
            guard let named = TimeZone(identifier: tz) else {
                throw CLIFailure.invalid("--tz \"\(tz)\" is not a known IANA time zone (such as America/New_York)")
            }
            timeZone = named
        } else if FileManager.default.fileExists(atPath: global.config) {
            timeZone = try global.loadConfig().timeZone
        } else {
            timeZone = TimeZone.current
        }
        let zone = ZoneRules.of(timeZone)
        var t: Int64
        if let after {
            guard let parsed = TimeFormat.parseInstant(after, zone: zone) else {
                throw CLIFailure.invalid("--after \"\(after)\" is not an ISO-8601 time such as 2026-11-25T14:30:00Z or 2026-11-25T09:30:00-05:00")
            }
            t = parsed
        } else {
            t = try currentTime()
        }
        var fires: [String] = []
        fires.reserveCapacity(count)
        for _ in 0..<count {
            guard let next = cron.nextFire(after: t, in: zone) else { break }
            fires.append(TimeFormat.local(next, in: zone))
            t = next
        }
        if json {
            printJSON(.array(fires.map(JSONValue.string)))
        } else {
            print(fires.joined(separator: "\n"))
        }
    }
}

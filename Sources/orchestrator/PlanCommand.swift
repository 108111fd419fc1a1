import ArgumentParser
import Foundation
import OrchestratorCore

struct PlanCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Every slot of a day in time order: local time, job, schedule reason, upstreams.",
        discussion: """
            Unscheduled jobs that run after their upstream jobs are listed right after them as
            `after X`; service windows follow the jobs. Times are in the configured time zone.

            Examples:
              orchestrator plan                      # today
              orchestrator plan --date 2026-11-27    # the day after Thanksgiving: close at 13:00
              orchestrator plan --date 2026-11-27 --json
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Option(help: ArgumentHelp("The day to plan (YYYY-MM-DD); default today in the configured time zone.", valueName: "date"))
    var date: String?
    @Flag(help: "Print a JSON array: [{\"job\",\"time\",\"reason\",\"upstreams\"}], time null for `after X` entries.")
    var json = false

    func run() throws {
        let workspace = try global.loadWorkspace()
        let zone = ZoneRules.of(workspace.config.timeZone)
        let day = try date.map { try parseDate($0, option: "--date") } ?? (try today(in: zone))
        let slots: [PlannedSlot]
        let windows: [PlannedWindow]
        let session: Session?
        do {
            // The whole declared day; what this build cannot run yet is marked, not hidden.
            slots = try Planner.slots(of: workspace.declared, on: day)
            windows = try Planner.windows(of: workspace.declared, on: day)
            session = try workspace.calendar.session(on: day)
        } catch {
            throw CLIFailure.invalid(error.description)
        }
        if json {
            printJSON(
                .array(
                    slots.map { s in
                        .object([
                            ("job", .string(s.job)), ("time", s.time.map { .string(TimeFormat.utc($0)) } ?? .null),
                            ("reason", .string(s.reason)), ("upstreams", .array(s.upstreams.map(JSONValue.string))),
                            ("available", .bool(workspace.unavailable[s.job] == nil)),
                        ])
                    }))
            return
        }
        let weekday = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"][day.weekday]
        var heading = "plan for \(weekday) \(day) (\(workspace.config.timeZone.identifier)): "
        if let session {
            heading += "\(workspace.calendar.code) session \(TimeFormat.clock(session.open, in: zone))–\(TimeFormat.clock(session.close, in: zone))"
            if session.isEarlyClose { heading += ", early close" }
        } else {
            heading += "no \(workspace.calendar.code) session"
            if let reason = workspace.calendar.closureReason(on: day) { heading += " (\(reason))" }
        }
        print(heading)
        var rows = [["TIME", "JOB", "REASON", "UPSTREAMS"]]
        for s in slots {
            rows.append([
                s.time.map { TimeFormat.clock($0, in: zone) } ?? "", s.job,
                s.reason + (workspace.unavailable[s.job] != nil ? " (not yet available)" : ""),
                s.upstreams.isEmpty ? "-" : s.upstreams.joined(separator: ", "),
            ])
        }
        print(slots.isEmpty ? "no job slots" : table(rows))
        if !windows.isEmpty {
            print("")
            var serviceRows = [["WINDOW", "SERVICE", "REASON", "UPSTREAMS"]]
            for w in windows {
                let span = w.start.map { "\(TimeFormat.clock($0, in: zone))–\(TimeFormat.clock(w.end!, in: zone))" } ?? "all day"
                serviceRows.append([
                    span, w.service, w.reason + (workspace.unavailable[w.service] != nil ? " (not yet available)" : ""),
                    w.upstreams.isEmpty ? "-" : w.upstreams.joined(separator: ", "),
                ])
            }
            print(table(serviceRows))
        }
        let manual = Planner.manualJobs(of: workspace.declared)
        if !manual.isEmpty {
            print("\nrun only when triggered: \(manual.joined(separator: ", "))")
        }
    }
}

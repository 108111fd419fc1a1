import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct HistoryCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Past runs, newest first.",
        discussion: """
            Examples:
              orchestrator history --limit 20
              orchestrator history parameter-discovery --day 2026-11-27
              orchestrator history --status failed --since 2026-11-20T00:00:00Z --json
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Argument(help: "Only this job's runs.") var job: String?
    @Option(help: ArgumentHelp("Only runs in this state (\(RunState.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "state"))
    var status: String?
    @Option(help: ArgumentHelp("Only runs created at or after this time (ISO-8601).", valueName: "time")) var since: String?
    @Option(help: ArgumentHelp("Only runs of this trading day (YYYY-MM-DD).", valueName: "date")) var day: String?
    @Option(help: "At most this many runs.") var limit: Int = 50
    @Flag(help: "Print a JSON array of runs.") var json = false

    func run() throws {
        let workspace = try global.loadWorkspace()
        let zone = ZoneRules.of(workspace.config.timeZone)
        if let job, workspace.jobs[job] == nil && workspace.services[job] == nil {
            throw CLIFailure.invalid(
                "unknown job or service \"\(job)\"\(Suggestion.hint(for: job, in: Array(workspace.jobs.keys) + Array(workspace.services.keys)))")
        }
        let state = try status.map { text -> RunState in
            guard let s = RunState(rawValue: text) else {
                throw CLIFailure.invalid("unknown status \"\(text)\" (use one of \(RunState.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return s
        }
        let sinceTime = try since.map { text -> Double in
            guard let t = TimeFormat.parseInstant(text, zone: zone) else {
                throw CLIFailure.invalid("--since \"\(text)\" is not an ISO-8601 time such as 2026-11-25T14:30:00Z")
            }
            return Double(t)
        }
        let dayText = try day.map { try parseDate($0, option: "--day").description }
        guard limit >= 1 else { throw CLIFailure.invalid("--limit must be at least 1") }
        let store = try global.openStore(workspace.config)
        let runs = try store.history(job: job, state: state, since: sinceTime, day: dayText, limit: limit)
        if json {
            printJSON(.array(runs.map { RunJSON.json($0) }))
        } else {
            print(runs.isEmpty ? "no runs" : RunOutput.table(runs, zone: zone, withDay: true))
        }
    }
}

/// A run id from the command line, and the run, or exit 2.
func loadRun(_ text: String, store: any RunStore) throws -> RunRecord {
    guard let id = Int64(text.hasPrefix("#") ? String(text.dropFirst()) : text), id > 0 else {
        throw CLIFailure.invalid("\"\(text)\" is not a run id (a number, as history prints)")
    }
    guard let run = try store.run(id) else { throw CLIFailure.invalid("no run \(id) in \(store.location)") }
    return run
}

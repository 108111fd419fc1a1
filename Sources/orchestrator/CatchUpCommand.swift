import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct CatchUpCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "catch-up",
        abstract: "Run what was missed since the orchestrator last ran, then exit (for cron).",
        discussion: """
            Each job's catch_up decides: none runs nothing, latest runs the most recent missed slot,
            all runs every one; a slot older than its deadline is recorded as missed. Safe to start
            while a daemon or another catch-up runs: each slot still runs exactly once.
            crontab/orchestrator holds the line that runs it every few minutes.

            Examples:
              orchestrator catch-up
              orchestrator catch-up --since 2026-11-20T00:00:00Z --json
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Option(help: ArgumentHelp("Look back to this time (ISO-8601); default when the orchestrator last ran.", valueName: "time"))
    var since: String?
    @Flag(help: "Print the runs it claimed as a JSON array.") var json = false

    func run() throws {
        let workspace = try global.loadWorkspace()
        let zone = ZoneRules.of(workspace.config.timeZone)
        let store = try global.openStore(workspace.config)
        let clock = try currentClock()
        let from: Double
        if let since {
            guard let t = TimeFormat.parseInstant(since, zone: zone) else {
                throw CLIFailure.invalid("--since \"\(since)\" is not an ISO-8601 time such as 2026-11-25T14:30:00Z")
            }
            from = Double(t)
        } else if let text = try store.meta(CatchUp.lastSeenKey), let seen = Double(text) {
            from = seen
        } else {
            // First run: nothing is known to be missed. Remember now for next time.
            try store.setMeta(CatchUp.lastSeenKey, String(clock.now()))
            if json { printJSON(.array([])) } else { print("first catch-up: nothing to make up; later runs look back to now") }
            return
        }
        ProcessControl.catchStopSignals()
        let engine = Engine(workspace: workspace, store: store, clock: clock)
        let result: CatchUp.Result
        do {
            result = try CatchUp(engine: engine).run(since: from, shouldStop: { ProcessControl.stopRequested })
        } catch let error as CalendarError {
            throw CLIFailure.invalid(error.description)
        }
        if json {
            printJSON(.array(result.claimed.map { RunJSON.json($0) }))
        } else {
            print("since \(TimeFormat.local(Int64(from), in: zone)): \(result.claimed.count) slot\(result.claimed.count == 1 ? "" : "s") claimed")
            if !result.claimed.isEmpty { print(RunOutput.table(result.claimed, zone: zone, withDay: true)) }
        }
        if result.claimed.contains(where: { $0.state == .failed || $0.state == .upstreamFailed }) { throw ExitCode(1) }
    }
}

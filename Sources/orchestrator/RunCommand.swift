import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct RunCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The daemon: schedule jobs until SIGTERM or SIGINT.",
        discussion: """
        Runs every slot due from its start on (earlier ones are catch-up's), with retries,
        dependencies, pools and deadlines, one line per state change on stdout. On SIGTERM or
        SIGINT it starts nothing new and gives running attempts --stop-timeout to finish before
        stopping them. Supervised services arrive in the next release.

        Example:
          orchestrator run >> var/logs/orchestrator.log 2>&1 &
        """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Option(help: ArgumentHelp("Seconds running attempts get to finish on shutdown.", valueName: "seconds"))
    var stopTimeout: Double = 10

    func run() throws {
        let workspace = try global.loadWorkspace()
        let zone = ZoneRules.of(workspace.config.timeZone)
        let store = try global.openStore(workspace.config)
        ProcessControl.catchStopSignals()
        let engine = Engine(workspace: workspace, store: store, clock: try currentClock(), onEvent: { event in
            let slot = event.scheduledFor.map { " (\(TimeFormat.clock(Int64($0), in: zone)))" } ?? ""
            print("\(TimeFormat.local(Int64(event.at), in: zone))  \(event.job)\(slot) #\(event.runId) \(event.state.rawValue)\(event.reason.map { ": \($0)" } ?? "")")
            fflush(nil)
        })
        print("orchestrator run: \(workspace.jobs.count) jobs, store \(store.path), pid \(getpid())")
        fflush(nil)
        try Daemon(engine: engine, stopTimeout: stopTimeout).run(shouldStop: { ProcessControl.stopRequested })
        print("orchestrator run: stopped")
    }
}

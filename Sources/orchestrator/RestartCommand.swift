import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct RestartCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Restart a supervised service through the running daemon (also after its start limit failed it).",
        discussion: """
            Asks the daemon (`orchestrator run`) to restart SERVICE: a running service is stopped
            gracefully (SIGTERM, SIGKILL after its stop_timeout) and started again; a `failed` one —
            past its start_limit — is given a fresh start and a fresh limit; a stopped one starts if
            its window is open. The request goes through the run store; the daemon acts on it within
            a second. Exit 1 when no daemon is running.

            Example:
              orchestrator restart ibkr-ingestion --wait
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Argument(help: "The service to restart.") var service: String
    @Flag(help: "Wait (up to 60 s) until the service is running again.") var wait = false

    func run() throws {
        let workspace = try global.loadWorkspace()
        guard workspace.services[service] != nil else {
            if workspace.jobs[service] != nil { throw CLIFailure.invalid("\"\(service)\" is a job; use orchestrator trigger \(service)") }
            throw CLIFailure.invalid("unknown service \"\(service)\"\(Suggestion.hint(for: service, in: workspace.services.keys))")
        }
        let store = try global.openStore(workspace.config)
        guard Daemon.liveDaemon(store) != nil else {
            throw CLIFailure.failed("no daemon is running (orchestrator run): there is nothing to restart \(service) in")
        }
        let before = try store.services().first { $0.name == service }
        try store.requestServiceRestart(service, at: Date().timeIntervalSince1970)
        print("restart of \(service) requested")
        guard wait else { return }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            usleep(100_000)
            if let now = try store.services().first(where: { $0.name == service }), now.state == "running",
                now.pid != nil, now.pid != before?.pid || before?.state != "running"
            {
                print("\(service) running, pid \(now.pid!)")
                return
            }
        }
        throw CLIFailure.failed("\(service) was not running again within 60 s (orchestrator status shows why)")
    }
}

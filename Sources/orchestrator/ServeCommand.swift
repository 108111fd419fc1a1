import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct ServeCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "The web UI, JSON API and Prometheus /metrics, read-only over the run store.",
        discussion: """
            The web UI, its JSON API and /metrics, read-only (its own read-only connection: it
            never writes the store). Pages, each with its JSON twin under /api/:
              /                     Today (?day=D): the day's runs on the session's clock, service
                                    windows, open and close, now, counts and a legend
              /grid                 jobs × the last trading days (?days=N)
              /schedule             each job's next slot, in how long, its last run
              /jobs/NAME            a job and its runs (?state= &trigger= &day= stay in the URL)
              /runs/ID              a run, its attempts, its environment's names
              /runs/ID/attempts/N/log   the log, lines numbered with permalinks (#L120), live
                                    over server-sent events while the attempt runs
              /services, /services/NAME
              /metrics              Prometheus text format: orchestrator_runs_total{job,state},
                                    orchestrator_attempt_duration_seconds, orchestrator_scheduler_lag_seconds,
                                    orchestrator_service_up, orchestrator_service_restarts_total,
                                    orchestrator_daemon_heartbeat_timestamp_seconds, pool slots
              /api/changes          a mark that moves when anything changed (the pages poll it)
              /api/openapi.json     every route, described
            On 127.0.0.1 by default. Any other address needs --token-file: every request then
            carries the token (Authorization: Bearer TOKEN, or the cookie that the one-time
            sign-in link printed at start sets), compared in constant time; without it, 401. A
            store that cannot be read answers 503 with why. Runs until SIGTERM or Ctrl-C. The
            server is its own executable, orchestrator-web, beside this one.

            Examples:
              orchestrator serve
              orchestrator serve --listen 0.0.0.0:8080 --token-file /etc/orchestrator/token
              curl -s 127.0.0.1:8080/metrics
              curl -s '127.0.0.1:8080/api/runs?state=failed&limit=5'
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Option(help: "HOST:PORT to listen on.") var listen = "127.0.0.1:8080"
    @Option(help: "A file holding the token every request must carry (required off loopback).") var tokenFile: String?

    func run() throws {
        guard let address = ListenAddress(parsing: listen) else { throw CLIFailure.invalid("--listen \(listen): expected HOST:PORT") }
        let host = address.host, port = address.port
        if !address.isLoopback && tokenFile == nil {
            throw CLIFailure.invalid("--listen \(listen) is not loopback: give --token-file (a file holding the token every request must carry)")
        }
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw CLIFailure.invalid("--token-file \(tokenFile): missing, unreadable or empty")
            }
        }
        _ = try global.loadWorkspace()
        let server = ProcessControl.sibling("orchestrator-web")
        guard FileManager.default.isExecutableFile(atPath: server) else {
            throw CLIFailure.failed("\(server) is missing: build it with swift build --product orchestrator-web")
        }
        let arguments = [server, host, String(port), global.config, global.jobs] + (tokenFile.map { [$0] } ?? [])
        let argv = arguments.map { strdup($0) } + [nil]
        execv(server, argv)
        throw CLIFailure.failed("\(server) could not start: \(String(cString: strerror(errno)))")
    }
}

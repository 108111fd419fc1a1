import ArgumentParser
import Foundation
import OrchestratorRuntime

/// The per-attempt supervisor the engine starts for every attempt (not for people to run).
struct AttemptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_attempt",
        abstract: "Supervise one attempt of a run and record its outcome (started by the engine).",
        shouldDisplay: false
    )

    @Option(name: .customLong("store")) var storePath: String
    @Option(name: .customLong("run")) var runId: Int64
    @Option var attempt: Int
    @Option var log: String
    @Option var timeout: Double?
    @Option var grace: Double = 5
    @Argument(parsing: .postTerminator) var argv: [String] = []

    func run() throws {
        guard !argv.isEmpty else { throw CLIFailure.invalid("_attempt needs the job's command after --") }
        let supervisor = AttemptSupervisor(databasePath: storePath, runId: runId, attempt: attempt, logPath: log, timeout: timeout,
                                           grace: grace, argv: argv, environment: ProcessInfo.processInfo.environment)
        throw ExitCode(supervisor.run())
    }
}

import ArgumentParser
import Foundation
import OrchestratorCore
import OrchestratorRuntime

struct LogsCommand: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "An attempt's captured output (stdout and stderr).",
        discussion: """
            Examples:
              orchestrator logs 42             # the last attempt
              orchestrator logs 42 --attempt 1
              orchestrator logs 42 --follow    # until the attempt ends
            """
    )

    @OptionGroup var local: GlobalOptions
    @ParentCommand var parent: Orchestrator
    @Argument(help: "The run id.") var runText: String
    @Option(help: "Which attempt (default the last).") var attempt: Int?
    @Flag(help: "Keep printing new output until the attempt ends.") var follow = false

    func run() throws {
        let config = try global.loadConfig()
        let store = try global.openStore(config)
        let record = try loadRun(runText, store: store)
        let attempts = try store.attempts(of: record.id!)
        guard let chosen = attempt.map({ n in attempts.first { $0.number == n } }) ?? attempts.last else {
            throw CLIFailure.invalid(
                attempts.isEmpty
                    ? "run \(record.id!) has no attempts yet"
                    : "run \(record.id!) has no attempt \(attempt!) (it has \(attempts.count))")
        }
        guard let handle = FileHandle(forReadingAtPath: chosen.log) else {
            throw CLIFailure(text: "error: \(chosen.log): the log is missing\n", status: 1)
        }
        FileHandle.standardOutput.write(handle.readDataToEndOfFile())
        guard follow else { return }
        while true {
            let more = handle.readDataToEndOfFile()
            if !more.isEmpty { FileHandle.standardOutput.write(more) }
            let now = try store.attempt(run: record.id!, number: chosen.number)
            if now?.outcome != .running {
                FileHandle.standardOutput.write(handle.readDataToEndOfFile())
                return
            }
            usleep(200_000)
        }
    }
}

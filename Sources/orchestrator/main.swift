import ArgumentParser
import Foundation

// Entry point: parse, run, and turn every error into SPEC §5's exit status
// (0 success, 1 a job or run failed, 2 invalid input). ArgumentParser's own usage errors
// would exit 64; they are invalid input, so 2.
do {
    var command = try Orchestrator.parseAsRoot()
    try command.run()
} catch let failure as CLIFailure {
    FileHandle.standardError.write(Data(failure.text.utf8))
    exit(failure.status)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = Orchestrator.exitCode(for: error)
    if code == .success {
        print(Orchestrator.fullMessage(for: error))
        exit(0)
    }
    FileHandle.standardError.write(Data((Orchestrator.fullMessage(for: error) + "\n").utf8))
    exit(2)
}

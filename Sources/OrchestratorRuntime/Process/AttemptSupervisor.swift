import Foundation
import OrchestratorCore

/// How the engine starts the per-attempt supervisor, `orchestrator-attempt` (a small C program,
/// Sources/orchestrator-attempt): between the engine and the job, it starts the job in its own
/// process group, enforces the timeout (SIGTERM to the group, SIGKILL after the grace period),
/// kills whatever the job left behind, and writes the outcome to the run store itself (one
/// started ahead, `ReadySupervisor`, reports it for the engine to commit, and writes it itself
/// only when the engine is not there to) — so an attempt that ends while the engine is down
/// (killed, crashed, restarting) still gets its true exit code recorded.
public struct AttemptSupervisor: Sendable {
    public var databasePath: String
    public var runId: Int64
    public var attempt: Int
    public var logPath: String
    /// Real seconds; nil for no timeout.
    public var timeout: Double?
    /// Real seconds between SIGTERM and SIGKILL.
    public var grace: Double
    public var argv: [String]
    public var environment: [String: String]

    public init(
        databasePath: String, runId: Int64, attempt: Int, logPath: String, timeout: Double?, grace: Double,
        argv: [String], environment: [String: String]
    ) {
        self.databasePath = databasePath
        self.runId = runId
        self.attempt = attempt
        self.logPath = logPath
        self.timeout = timeout
        self.grace = grace
        self.argv = argv
        self.environment = environment
    }

    /// The supervisor's executable (the store's: `RunStore.attemptSupervisor`), installed next
    /// to `orchestrator`.
    public static func executable(nextTo orchestrator: String, named name: String = "orchestrator-attempt") -> String {
        (orchestrator as NSString).deletingLastPathComponent + "/" + name
    }

    /// The arguments that start a supervisor for this attempt (after the executable).
    public var commandLine: [String] {
        var args = [
            "--store", databasePath, "--run", String(runId), "--attempt", String(attempt), "--log", logPath,
            "--grace", String(grace),
        ]
        if let timeout { args += ["--timeout", String(timeout)] }
        return args + ["--"] + argv
    }

    /// The attempt as a supervisor started with `--ready` reads it on stdin: NUL-terminated run
    /// id, attempt, log, timeout (-1: none), grace, argument count, arguments, environment.
    public var request: [UInt8] {
        var fields = [String(runId), String(attempt), logPath, String(timeout ?? -1), String(grace), String(argv.count)] + argv
        fields += environment.map { "\($0.key)=\($0.value)" }
        var body: [UInt8] = []
        for field in fields {
            body += field.utf8
            body.append(0)
        }
        // Its length first: a supervisor serves one attempt after another on the same socket.
        return Array("\(body.count)\n".utf8) + body
    }
}

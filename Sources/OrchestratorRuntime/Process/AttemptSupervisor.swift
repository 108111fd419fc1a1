public import Foundation
public import OrchestratorCore

/// The per-attempt supervisor: a small process (`orchestrator _attempt`) between the engine and
/// the job. It starts the job in its own process group, enforces the timeout (SIGTERM to the
/// group, SIGKILL after the grace period), kills whatever the job left behind, and writes the
/// outcome to the run store itself — so an attempt that ends while the engine is down (killed,
/// crashed, restarting) still gets its true exit code recorded. The engine only watches it.
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

    public init(databasePath: String, runId: Int64, attempt: Int, logPath: String, timeout: Double?, grace: Double,
                argv: [String], environment: [String: String]) {
        self.databasePath = databasePath
        self.runId = runId
        self.attempt = attempt
        self.logPath = logPath
        self.timeout = timeout
        self.grace = grace
        self.argv = argv
        self.environment = environment
    }

    /// The arguments that start a supervisor for this attempt (after the executable).
    public var commandLine: [String] {
        var args = ["_attempt", "--store", databasePath, "--run", String(runId), "--attempt", String(attempt), "--log", logPath,
                    "--grace", String(grace)]
        if let timeout { args += ["--timeout", String(timeout)] }
        return args + ["--"] + argv
    }

    /// Runs the attempt to its end; returns the supervisor's own exit status (the job's code,
    /// or 128 + signal).
    public func run() -> Int32 {
        ProcessControl.catchStopSignals()
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        func note(_ text: String) {
            guard logFD >= 0 else { return }
            let line = "orchestrator: \(text)\n"
            _ = line.withCString { write(logFD, $0, strlen($0)) }
        }
        let store: RunStore
        do {
            store = try RunStore(path: databasePath)
        } catch {
            note("cannot open the run store: \(error)")
            return 70
        }
        func record(_ exit: ProcessControl.Exit?, _ outcome: AttemptOutcome) {
            var code: Int?
            var signal: Int?
            switch exit {
            case .code(let c)?: code = c
            case .signal(let s)?: signal = s
            case nil: code = 127
            }
            // Times are on the run's clock: simulated under run-day (ORCHESTRATOR_CLOCK).
            let now = (try? SimulatedClock.fromEnvironment(environment).now()) ?? Date().timeIntervalSince1970
            // Retry the write a few times: the store may be busy with another writer.
            for _ in 0..<50 {
                if (try? store.recordExit(run: runId, attempt: attempt, exitCode: code, signal: signal, outcome: outcome,
                                          now: now)) != nil { return }
                usleep(100_000)
            }
            note("could not record the outcome in the run store")
        }

        let pid: Int32
        do {
            pid = try ProcessControl.spawn(argv, environment: environment, logFD: logFD)
        } catch {
            note(error.description)
            record(nil, .failed)
            return 127
        }
        try? store.recordPid(run: runId, attempt: attempt, pid: pid)
        let pidfd = ProcessControl.pidfd(pid)

        var deadline = timeout.map { Date().timeIntervalSince1970 + $0 }
        var terminated = false
        var timedOut = false
        var killedOnRequest = false
        var exit: ProcessControl.Exit?
        while exit == nil {
            let wait = deadline.map { max(0, $0 - Date().timeIntervalSince1970) }
            if pidfd >= 0 {
                _ = ProcessControl.waitReadable(pidfd, timeout: wait.map { min($0, 1) } ?? 1)
            } else {
                usleep(5_000)
            }
            if let ended = ProcessControl.reap(pid) {
                exit = ended
                break
            }
            if ProcessControl.stopRequested, !terminated {
                note("stop requested: SIGTERM to the process group")
                ProcessControl.signalGroup(pid, SIGTERM)
                terminated = true
                killedOnRequest = true
                deadline = Date().timeIntervalSince1970 + grace
            } else if let d = deadline, Date().timeIntervalSince1970 >= d {
                if !terminated {
                    note("timeout after \(format(timeout ?? 0)): SIGTERM to the process group")
                    ProcessControl.signalGroup(pid, SIGTERM)
                    terminated = true
                    timedOut = true
                    deadline = Date().timeIntervalSince1970 + grace
                } else {
                    note("still running \(format(grace)) after SIGTERM: SIGKILL to the process group")
                    ProcessControl.signalGroup(pid, SIGKILL)
                    deadline = nil
                }
            }
        }
        // Whatever the job started and left behind goes with it.
        ProcessControl.signalGroup(pid, SIGKILL)
        if pidfd >= 0 { close(pidfd) }
        let outcome: AttemptOutcome
        if timedOut {
            outcome = .timedOut
        } else if killedOnRequest {
            outcome = .killed
        } else if case .code(0)? = exit {
            outcome = .succeeded
        } else {
            outcome = .failed
        }
        record(exit, outcome)
        if logFD >= 0 { close(logFD) }
        switch exit {
        case .code(let c)?: return Int32(truncatingIfNeeded: c)
        case .signal(let s)?: return Int32(128 + s)
        case nil: return 127
        }
    }

    func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))s" : String(format: "%.3fs", seconds)
    }
}

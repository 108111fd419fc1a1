public import OrchestratorCore

/// A row of `attempt`: one process of a run.
public struct AttemptRecord: Codable, Sendable, Hashable {
    public var runId: Int64
    public var number: Int
    /// The job's process (its process-group leader), once started.
    public var pid: Int32?
    /// The per-attempt supervisor that outlives the engine and records the outcome, and its
    /// start time (clock ticks since boot) so that a reused pid is never mistaken for it.
    public var shimPid: Int32?
    public var shimStart: Int64?
    /// The engine that started it: until its supervisor is recorded, the attempt is that
    /// engine's to finish, not another's to call lost.
    public var enginePid: Int32?
    public var engineStart: Int64?
    public var startedAt: Double
    public var finishedAt: Double?
    public var exitCode: Int?
    public var signal: Int?
    public var outcome: AttemptOutcome
    public var log: String
    /// The orchestrator node that started it (several nodes on PostgreSQL); nil on SQLite.
    public var node: String?

    public init(
        runId: Int64, number: Int, pid: Int32?, shimPid: Int32?, shimStart: Int64?, enginePid: Int32?, engineStart: Int64?, startedAt: Double,
        finishedAt: Double?, exitCode: Int?, signal: Int?, outcome: AttemptOutcome, log: String, node: String? = nil
    ) {
        self.runId = runId
        self.number = number
        self.pid = pid
        self.shimPid = shimPid
        self.shimStart = shimStart
        self.enginePid = enginePid
        self.engineStart = engineStart
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.signal = signal
        self.outcome = outcome
        self.log = log
        self.node = node
    }

    enum CodingKeys: String, CodingKey {
        case runId = "run_id", number, pid, shimPid = "shim_pid", shimStart = "shim_start", enginePid = "engine_pid"
        case engineStart = "engine_start", startedAt = "started_at"
        case finishedAt = "finished_at", exitCode = "exit_code", signal, outcome, log, node
    }
}

extension AttemptRecord {
    /// The attempt `run.startNextAttempt` began.
    public init(starting run: RunRecord, now: Double, engine: (pid: Int32, start: Int64?)?, supervisor: (pid: Int32, start: Int64?)?, log: String) {
        self.init(
            runId: run.id!, number: run.attempts, pid: nil, shimPid: supervisor?.pid, shimStart: supervisor?.start,
            enginePid: engine?.pid, engineStart: engine?.start, startedAt: now,
            finishedAt: nil, exitCode: nil, signal: nil, outcome: .running, log: log)
    }
}

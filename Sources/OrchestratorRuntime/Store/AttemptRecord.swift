public import GRDB
public import OrchestratorCore

/// A row of `attempt`: one process of a run.
public struct AttemptRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "attempt"

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

    enum CodingKeys: String, CodingKey {
        case runId = "run_id", number, pid, shimPid = "shim_pid", shimStart = "shim_start", enginePid = "engine_pid"
        case engineStart = "engine_start", startedAt = "started_at"
        case finishedAt = "finished_at", exitCode = "exit_code", signal, outcome, log
    }

    public enum Columns {
        public static let runId = Column(CodingKeys.runId)
        public static let number = Column(CodingKeys.number)
        public static let outcome = Column(CodingKeys.outcome)
    }
}

extension AttemptRecord {
    /// Read and written column by column, as `RunRecord`.
    public init(row: Row) throws {
        runId = row[CodingKeys.runId.rawValue]
        number = row[CodingKeys.number.rawValue]
        pid = row[CodingKeys.pid.rawValue]
        shimPid = row[CodingKeys.shimPid.rawValue]
        shimStart = row[CodingKeys.shimStart.rawValue]
        enginePid = row[CodingKeys.enginePid.rawValue]
        engineStart = row[CodingKeys.engineStart.rawValue]
        startedAt = row[CodingKeys.startedAt.rawValue]
        finishedAt = row[CodingKeys.finishedAt.rawValue]
        exitCode = row[CodingKeys.exitCode.rawValue]
        signal = row[CodingKeys.signal.rawValue]
        let outcome: String = row[CodingKeys.outcome.rawValue]
        guard let o = AttemptOutcome(rawValue: outcome) else {
            throw RunStore.Failure(description: "run \(runId) attempt \(number): unknown outcome \(outcome) in the run store")
        }
        self.outcome = o
        log = row[CodingKeys.log.rawValue]
    }

    public func encode(to container: inout PersistenceContainer) {
        container[CodingKeys.runId.rawValue] = runId
        container[CodingKeys.number.rawValue] = number
        container[CodingKeys.pid.rawValue] = pid
        container[CodingKeys.shimPid.rawValue] = shimPid
        container[CodingKeys.shimStart.rawValue] = shimStart
        container[CodingKeys.enginePid.rawValue] = enginePid
        container[CodingKeys.engineStart.rawValue] = engineStart
        container[CodingKeys.startedAt.rawValue] = startedAt
        container[CodingKeys.finishedAt.rawValue] = finishedAt
        container[CodingKeys.exitCode.rawValue] = exitCode
        container[CodingKeys.signal.rawValue] = signal
        container[CodingKeys.outcome.rawValue] = outcome.rawValue
        container[CodingKeys.log.rawValue] = log
    }
}

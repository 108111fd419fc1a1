import Foundation
public import GRDB
import OrchestratorCore

// The records as SQLite rows: read and written column by column (the engine reads a run at every
// start and end of an attempt; the Decodable route costs several times as much).

extension RunRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "run"

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let job = Column(CodingKeys.job)
        public static let tradingDay = Column(CodingKeys.tradingDay)
        public static let scheduledFor = Column(CodingKeys.scheduledFor)
        public static let state = Column(CodingKeys.state)
        public static let createdAt = Column(CodingKeys.createdAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Read column by column (the engine reads a run at every start and end of an attempt;
    /// the Decodable route costs several times as much).
    public init(row: Row) throws {
        id = row[CodingKeys.id.rawValue]
        job = row[CodingKeys.job.rawValue]
        tradingDay = row[CodingKeys.tradingDay.rawValue]
        scheduledFor = row[CodingKeys.scheduledFor.rawValue]
        let trigger: String = row[CodingKeys.trigger.rawValue], state: String = row[CodingKeys.state.rawValue]
        guard let t = RunTrigger(rawValue: trigger), let st = RunState(rawValue: state) else {
            throw StoreFailure(.corrupt, "run \(id ?? 0): unknown trigger \(trigger) or state \(state) in the run store")
        }
        self.trigger = t
        self.state = st
        attempts = row[CodingKeys.attempts.rawValue]
        createdAt = row[CodingKeys.createdAt.rawValue]
        startedAt = row[CodingKeys.startedAt.rawValue]
        finishedAt = row[CodingKeys.finishedAt.rawValue]
        exitCode = row[CodingKeys.exitCode.rawValue]
        nextAttemptAt = row[CodingKeys.nextAttemptAt.rawValue]
        params = row[CodingKeys.params.rawValue]
        causeRunId = row[CodingKeys.causeRunId.rawValue]
        reason = row[CodingKeys.reason.rawValue]
    }

    /// The columns `init(positional:)` reads, in its order: lists of runs (a day's, history)
    /// read by position, not by name (a hash lookup per column per row).
    static let selection =
        "id, job, trading_day, scheduled_for, trigger, state, attempts, created_at, started_at, finished_at, exit_code, next_attempt_at, params, cause_run_id, reason"

    init(positional row: Row) throws {
        id = row[0]
        job = row[1]
        tradingDay = row[2]
        scheduledFor = row[3]
        let trigger: String = row[4], state: String = row[5]
        guard let t = RunTrigger(rawValue: trigger), let st = RunState(rawValue: state) else {
            throw StoreFailure(.corrupt, "run \(id ?? 0): unknown trigger \(trigger) or state \(state) in the run store")
        }
        self.trigger = t
        self.state = st
        attempts = row[6]
        createdAt = row[7]
        startedAt = row[8]
        finishedAt = row[9]
        exitCode = row[10]
        nextAttemptAt = row[11]
        params = row[12]
        causeRunId = row[13]
        reason = row[14]
    }

    /// Runs by a query whose columns are `selection`.
    static func fetchPositional(_ db: Database, sql: String, arguments: StatementArguments) throws -> [RunRecord] {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        var runs: [RunRecord] = []
        while let row = try rows.next() { runs.append(try RunRecord(positional: row)) }
        return runs
    }

    public func encode(to container: inout PersistenceContainer) {
        container[CodingKeys.id.rawValue] = id
        container[CodingKeys.job.rawValue] = job
        container[CodingKeys.tradingDay.rawValue] = tradingDay
        container[CodingKeys.scheduledFor.rawValue] = scheduledFor
        container[CodingKeys.trigger.rawValue] = trigger.rawValue
        container[CodingKeys.state.rawValue] = state.rawValue
        container[CodingKeys.attempts.rawValue] = attempts
        container[CodingKeys.createdAt.rawValue] = createdAt
        container[CodingKeys.startedAt.rawValue] = startedAt
        container[CodingKeys.finishedAt.rawValue] = finishedAt
        container[CodingKeys.exitCode.rawValue] = exitCode
        container[CodingKeys.nextAttemptAt.rawValue] = nextAttemptAt
        container[CodingKeys.params.rawValue] = params
        container[CodingKeys.causeRunId.rawValue] = causeRunId
        container[CodingKeys.reason.rawValue] = reason
    }
}

extension AttemptRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "attempt"

    public enum Columns {
        public static let runId = Column(CodingKeys.runId)
        public static let number = Column(CodingKeys.number)
        public static let outcome = Column(CodingKeys.outcome)
    }

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
            throw StoreFailure(.corrupt, "run \(runId) attempt \(number): unknown outcome \(outcome) in the run store")
        }
        self.outcome = o
        log = row[CodingKeys.log.rawValue]
        node = row[CodingKeys.node.rawValue]
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
        container[CodingKeys.node.rawValue] = node
    }
}

extension ServiceRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "service"
}

extension ServiceEventRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "service_event"
}

extension SQLiteRunStore {
    /// Saves services' current states and the events that led there, in one transaction.
    public func saveServices(_ records: [ServiceRecord], events: [ServiceEventRecord]) throws {
        guard !records.isEmpty || !events.isEmpty else { return }
        try writer.write { db in
            for record in records { try record.upsert(db) }
            for event in events { try event.insert(db) }
        }
    }

    public func services() throws -> [ServiceRecord] {
        try writer.read { db in try ServiceRecord.order(Column("name")).fetchAll(db) }
    }

    /// A service's events, newest first (or those of one run).
    public func serviceEvents(service: String?, run: Int64?, limit: Int) throws -> [ServiceEventRecord] {
        try writer.read { db in
            var request = ServiceEventRecord.all()
            if let service { request = request.filter(Column("service") == service) }
            if let run { request = request.filter(Column("run_id") == run) }
            return try request.order(Column("id").desc).limit(limit).fetchAll(db)
        }
    }

    /// A service's process is running: its pid is both the attempt's process and the one watched.
    public func recordServiceProcess(run id: Int64, attempt number: Int, pid: Int32, start: Int64?) throws {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE attempt SET pid = ?, shim_pid = ?, shim_start = ? WHERE run_id = ? AND number = ?",
                arguments: [pid, pid, start, id, number])
        }
    }
}

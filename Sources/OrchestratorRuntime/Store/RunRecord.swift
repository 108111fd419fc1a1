import Foundation
public import GRDB
public import OrchestratorCore

/// A row of `run`: one execution of a job for one slot or one trigger.
public struct RunRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "run"

    public var id: Int64?
    public var job: String
    /// YYYY-MM-DD (SPEC §4's trading day).
    public var tradingDay: String
    /// Epoch seconds of the slot; nil for manual and upstream-triggered runs.
    public var scheduledFor: Double?
    public var trigger: RunTrigger
    public var state: RunState
    public var attempts: Int
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    public var exitCode: Int?
    /// When a `retrying` run's next attempt is due.
    public var nextAttemptAt: Double?
    /// Trigger parameters, a JSON object of strings.
    public var params: String
    /// The run whose failure triggered this one (on_failure).
    public var causeRunId: Int64?
    /// A short human reason for the last state change (`timeout`, `deadline passed`, …).
    public var reason: String?

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let job = Column(CodingKeys.job)
        public static let tradingDay = Column(CodingKeys.tradingDay)
        public static let scheduledFor = Column(CodingKeys.scheduledFor)
        public static let state = Column(CodingKeys.state)
        public static let createdAt = Column(CodingKeys.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, job, tradingDay = "trading_day", scheduledFor = "scheduled_for", trigger, state, attempts
        case createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at", exitCode = "exit_code"
        case nextAttemptAt = "next_attempt_at", params, causeRunId = "cause_run_id", reason
    }

    public init(
        job: String, tradingDay: String, scheduledFor: Double?, trigger: RunTrigger, state: RunState,
        createdAt: Double, params: [String: String] = [:], causeRunId: Int64? = nil
    ) {
        self.job = job
        self.tradingDay = tradingDay
        self.scheduledFor = scheduledFor
        self.trigger = trigger
        self.state = state
        self.attempts = 0
        self.createdAt = createdAt
        self.params = RunRecord.encode(params)
        self.causeRunId = causeRunId
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
            throw RunStore.Failure(description: "run \(id ?? 0): unknown trigger \(trigger) or state \(state) in the run store")
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
            throw RunStore.Failure(description: "run \(id ?? 0): unknown trigger \(trigger) or state \(state) in the run store")
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

    public var parameters: [String: String] {
        guard params != "{}", let data = params.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: String]
        else { return [:] }
        return object
    }

    static func encode(_ params: [String: String]) -> String {
        JSONValue.object(params.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }).serialized()
    }
}

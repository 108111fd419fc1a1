import OrchestratorCore
import OrchestratorRuntime
import PostgresNIO

/// One PostgreSQL transaction of the run store, on the store's connection: every statement is
/// sent and waited for here (the driver's event loop runs on its own thread).
///
/// A change to a run locks its row first (`SELECT … FOR UPDATE`) and decides on what it reads
/// there: under READ COMMITTED a node that waited on another's lock reads the row as that node
/// committed it, so of two nodes moving the same run only the first finds it where it expected.
struct PostgresTransaction: RunRowTransaction {
    let connection: PostgresConnection
    let node: String?

    @discardableResult
    func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try Self.waiting(
            for: connection.query(query, logger: PostgresRunStore.logger), on: connection.eventLoop, what: "a statement", closing: connection.closeFuture)
    }

    /// No answer within `answerTimeout`: the connection is given up.
    struct NoAnswer: Error, CustomStringConvertible {
        let what: String
        var closed = false
        var description: String {
            closed ? "the connection closed before \(what) was answered" : "no answer to \(what) in \(PostgresTransaction.answerTimeout) s"
        }
    }

    /// How long a statement or a connection may go unanswered: longer than the server's own
    /// statement_timeout (3 s), so that the server's answer comes first when there is one.
    static let answerTimeout: Int64 = 4

    /// Waits for `future`, but not forever: a connection cut at the wrong moment (the server
    /// killed mid-handshake) can leave a future that is never completed. The connection is then
    /// given up as `unavailable` and the next call connects again.
    /// `closing`: the connection's close, which fails the wait at once — a statement sent as the
    /// server went away may otherwise wait out the whole timeout on a connection already gone.
    static func waiting<T: Sendable>(
        for future: EventLoopFuture<T>, on loop: any EventLoop, what: String, closing: EventLoopFuture<Void>? = nil
    ) throws -> T {
        let promise = loop.makePromise(of: T.self)
        future.cascade(to: promise)
        closing?.whenComplete { _ in promise.fail(NoAnswer(what: what, closed: true)) }
        let timer = loop.scheduleTask(in: .seconds(answerTimeout)) {
            promise.fail(NoAnswer(what: what))
        }
        defer { timer.cancel() }
        return try promise.futureResult.wait()
    }

    func rows(_ query: PostgresQuery) throws -> [PostgresRandomAccessRow] {
        try run(query).rows.map { $0.makeRandomAccess() }
    }

    // MARK: - Columns

    static let runColumns =
        "id, job, trading_day, scheduled_for, trigger, state, attempts, created_at, started_at, finished_at, exit_code, next_attempt_at, params, cause_run_id, reason"

    static func attemptColumns(_ prefix: String = "") -> String {
        [
            "run_id", "number", "pid", "shim_pid", "shim_start", "engine_pid", "engine_start", "started_at", "finished_at", "exit_code", "signal", "outcome",
            "log", "node",
        ]
        .map { prefix + $0 }.joined(separator: ", ")
    }

    /// A run from a row of `runColumns`.
    static func run(_ row: PostgresRandomAccessRow) throws -> RunRecord {
        let id = try row[0].decode(Int64.self)
        let trigger = try row[4].decode(String.self), state = try row[5].decode(String.self)
        guard let t = RunTrigger(rawValue: trigger), let s = RunState(rawValue: state) else {
            throw StoreFailure(.corrupt, "run \(id): unknown trigger \(trigger) or state \(state) in the run store")
        }
        var run = RunRecord(
            job: try row[1].decode(String.self), tradingDay: try row[2].decode(String.self), scheduledFor: try row[3].decode(Double?.self), trigger: t,
            state: s, createdAt: try row[7].decode(Double.self), causeRunId: try row[13].decode(Int64?.self))
        run.id = id
        run.attempts = try row[6].decode(Int.self)
        run.startedAt = try row[8].decode(Double?.self)
        run.finishedAt = try row[9].decode(Double?.self)
        run.exitCode = try row[10].decode(Int?.self)
        run.nextAttemptAt = try row[11].decode(Double?.self)
        run.params = try row[12].decode(String.self)
        run.reason = try row[14].decode(String?.self)
        return run
    }

    /// An attempt from a row of `attemptColumns`.
    static func attempt(_ row: PostgresRandomAccessRow) throws -> AttemptRecord {
        let runId = try row[0].decode(Int64.self), number = try row[1].decode(Int.self)
        let outcome = try row[11].decode(String.self)
        guard let o = AttemptOutcome(rawValue: outcome) else {
            throw StoreFailure(.corrupt, "run \(runId) attempt \(number): unknown outcome \(outcome) in the run store")
        }
        return AttemptRecord(
            runId: runId, number: number, pid: try row[2].decode(Int32?.self), shimPid: try row[3].decode(Int32?.self),
            shimStart: try row[4].decode(Int64?.self), enginePid: try row[5].decode(Int32?.self), engineStart: try row[6].decode(Int64?.self),
            startedAt: try row[7].decode(Double.self), finishedAt: try row[8].decode(Double?.self), exitCode: try row[9].decode(Int?.self),
            signal: try row[10].decode(Int?.self), outcome: o, log: try row[12].decode(String.self), node: try row[13].decode(String?.self))
    }

    // MARK: - RunStoreTransaction

    func claimSlot(
        job: String, tradingDay: String, scheduledFor: Double, trigger: RunTrigger, state: RunState, now: Double, reason: String?
    ) throws -> RunRecord? {
        // UNIQUE (job, scheduled_for) decides between racing nodes: the loser gets no row.
        let claimed = try rows(
            """
            INSERT INTO run (job, trading_day, scheduled_for, trigger, state, created_at, reason)
            VALUES (\(job), \(tradingDay), \(scheduledFor), \(trigger.rawValue), \(state.rawValue), \(now), \(reason))
            ON CONFLICT (job, scheduled_for) DO NOTHING RETURNING id
            """)
        guard let id = try claimed.first?[0].decode(Int64.self) else { return nil }
        try logTransition(run: id, from: nil, to: state, at: now, reason: reason)
        return try run(id)
    }

    func createRun(
        job: String, tradingDay: String, trigger: RunTrigger, state: RunState, now: Double, params: [String: String], causeRunId: Int64?,
        reason: String?
    ) throws -> RunRecord {
        var run = RunRecord(
            job: job, tradingDay: tradingDay, scheduledFor: nil, trigger: trigger, state: state, createdAt: now, params: params, causeRunId: causeRunId)
        run.reason = reason
        let id = try rows(
            """
            INSERT INTO run (job, trading_day, trigger, state, created_at, params, cause_run_id, reason)
            VALUES (\(job), \(tradingDay), \(trigger.rawValue), \(state.rawValue), \(now), \(run.params), \(causeRunId), \(reason)) RETURNING id
            """)[0][0].decode(Int64.self)
        run.id = id
        try logTransition(run: id, from: nil, to: state, at: now, reason: reason)
        return run
    }

    /// The run, its row locked until the transaction ends: a node that waited on another's lock
    /// reads the row as that node committed it.
    func lockedRun(_ id: Int64) throws -> RunRecord? {
        try rows(PostgresQuery(unsafeSQL: "SELECT \(Self.runColumns) FROM run WHERE id = $1 FOR UPDATE", binds: PostgresRunStore.binds(id))).first.map(Self.run)
    }

    func updateRun(_ run: RunRecord) throws {
        try self.run(
            """
            UPDATE run SET state = \(run.state.rawValue), reason = \(run.reason), attempts = \(run.attempts), next_attempt_at = \(run.nextAttemptAt),
                exit_code = \(run.exitCode), started_at = \(run.startedAt), finished_at = \(run.finishedAt) WHERE id = \(run.id)
            """)
    }

    func insertAttempt(_ a: AttemptRecord) throws {
        try run(
            """
            INSERT INTO attempt (run_id, number, pid, shim_pid, shim_start, engine_pid, engine_start, started_at, outcome, log, node)
            VALUES (\(a.runId), \(a.number), \(a.pid), \(a.shimPid), \(a.shimStart), \(a.enginePid), \(a.engineStart), \(a.startedAt), 'running', \(a.log),
                    \(a.node))
            """)
    }

    func recordExit(run id: Int64, attempt number: Int, exitCode: Int?, signal: Int?, outcome: AttemptOutcome, now: Double, pid: Int32?) throws -> Bool {
        let result = try run(
            """
            UPDATE attempt SET finished_at = \(now), exit_code = \(exitCode), signal = \(signal), outcome = \(outcome.rawValue), pid = COALESCE(\(pid), pid)
            WHERE run_id = \(id) AND number = \(number) AND outcome = 'running'
            """)
        return (result.metadata.rows ?? 0) > 0
    }

    func logTransition(run: Int64, from: RunState?, to: RunState, at: Double, reason: String?) throws {
        try self.run("INSERT INTO transition (run_id, at, from_state, to_state, reason) VALUES (\(run), \(at), \(from?.rawValue), \(to.rawValue), \(reason))")
    }

    func run(_ id: Int64) throws -> RunRecord? {
        try rows(PostgresQuery(unsafeSQL: "SELECT \(Self.runColumns) FROM run WHERE id = $1", binds: PostgresRunStore.binds(id))).first.map(Self.run)
    }

    func attempts(of run: Int64) throws -> [AttemptRecord] {
        try rows(PostgresQuery(unsafeSQL: "SELECT \(Self.attemptColumns()) FROM attempt WHERE run_id = $1 ORDER BY number", binds: PostgresRunStore.binds(run)))
            .map(Self.attempt)
    }

    func attempt(run: Int64, number: Int) throws -> AttemptRecord? {
        var binds = PostgresRunStore.binds(run)
        binds.append(number)
        return try rows(PostgresQuery(unsafeSQL: "SELECT \(Self.attemptColumns()) FROM attempt WHERE run_id = $1 AND number = $2", binds: binds)).first.map(
            Self.attempt)
    }

    // MARK: - The scheduler's view

    /// A transaction-scoped advisory lock: released at COMMIT or ROLLBACK, and with the
    /// connection if the node dies.
    func lockScheduling() throws {
        try run("SELECT pg_advisory_xact_lock(7215002)")
    }

    /// The cursor is the snapshot's xmin: every transaction below it has ended, so its changes
    /// are in what is read next; transitions at or above it are read again next time (a run
    /// read twice is the same run), never skipped.
    private func xmin() throws -> ChangeCursor {
        ChangeCursor(xid: UInt64(try rows("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")[0][0].decode(String.self)) ?? 0, id: 0)
    }

    func schedulerRuns(tradingDays: [String]) throws -> (runs: [SchedulerState.Run], cursor: ChangeCursor) {
        let cursor = try xmin()
        let runs = try schedulerRuns(
            PostgresQuery(
                unsafeSQL: "\(Self.schedulerColumns) WHERE trading_day = ANY($1) OR state IN ('pending', 'queued', 'running', 'retrying') ORDER BY id",
                binds: PostgresRunStore.binds(tradingDays)))
        return (runs, cursor)
    }

    func schedulerRuns(changedAfter cursor: ChangeCursor) throws -> (runs: [SchedulerState.Run], cursor: ChangeCursor) {
        let next = try xmin()
        let runs = try schedulerRuns(
            """
            SELECT id, job, trading_day, scheduled_for, trigger, state, attempts, next_attempt_at, cause_run_id FROM run
            WHERE id IN (SELECT run_id FROM transition WHERE (xid, id) > (\(String(cursor.xid))::xid8, \(cursor.id))) ORDER BY id
            """)
        return (runs, max(cursor, next))
    }

    private static let schedulerColumns = "SELECT id, job, trading_day, scheduled_for, trigger, state, attempts, next_attempt_at, cause_run_id FROM run"

    private func schedulerRuns(_ query: PostgresQuery) throws -> [SchedulerState.Run] {
        try rows(query).map { row in
            SchedulerState.Run(
                id: try row[0].decode(Int64.self), job: try row[1].decode(String.self), tradingDay: try row[2].decode(String.self),
                scheduledFor: try row[3].decode(Double?.self), trigger: try row[4].decode(String.self), state: try row[5].decode(String.self),
                attempts: try row[6].decode(Int.self), nextAttemptAt: try row[7].decode(Double?.self), causeRunId: try row[8].decode(Int64?.self))
        }
    }
}

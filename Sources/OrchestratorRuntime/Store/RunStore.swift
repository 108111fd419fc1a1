import Foundation
import GRDB
public import OrchestratorCore
import SQLiteSupport

/// The run store: every run, attempt and state change, in one SQLite file (WAL).
///
/// Every method is one transaction, committed before it returns, so the caller acts only on
/// what is already durable. A scheduled slot is unique in the schema (`UNIQUE(job,
/// scheduled_for)`): whichever process inserts it first owns it, however many look at it.
public final class RunStore: Sendable {
    public let path: String
    let writer: any DatabaseWriter
    let checkpointer = Checkpointer()

    /// Why the store cannot be used, as one line for the user.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    public init(path: String) throws(Failure) {
        self.path = path
        var configuration = Configuration()
        // SQLite's busy timeout backs off in steps of up to 100 ms; writers here hold the lock
        // for well under a millisecond, so poll briefly instead (for up to 10 s).
        configuration.busyMode = .callback { count in
            usleep(200)
            return count < 50_000
        }
        configuration.foreignKeysEnabled = true
        configuration.label = "orchestrator.store"
        // WAL with synchronous=NORMAL: every commit survives a crash or kill -9 of any process;
        // only a power loss can take the last commits back. One fsync per checkpoint, not per
        // state change.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            writer = try RunStore.open(path: path, configuration: configuration)
        } catch {
            throw RunStore.openingFailure(error, path: path)
        }
    }

    /// Opens the pool and brings the schema up to date. Several processes may open a new store
    /// at once (concurrent catch-ups): switching to WAL and migrating need the file to
    /// themselves for a moment, so a busy or half-created store is tried again for a few seconds.
    /// For readers that must never write (`serve`): no directory or file created, no migration;
    /// a missing store, one from a newer orchestrator or one not yet migrated is a failure that
    /// says so. Writes through this store fail.
    public init(readingOnly path: String) throws(Failure) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw Failure(description: "\(path): no run store (has the orchestrator run here?)") }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        configuration.label = "orchestrator.store.read"
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try pool.read { db in
                if try RunStore.migrator.hasBeenSuperseded(db) {
                    throw Failure(description: "\(path): the run store was written by a newer orchestrator (unknown schema); upgrade this binary")
                }
                if try !RunStore.migrator.hasCompletedMigrations(db) {
                    throw Failure(description: "\(path): the run store's schema is older than this build; start the orchestrator once to migrate it")
                }
            }
            writer = pool
        } catch {
            throw RunStore.openingFailure(error, path: path)
        }
    }

    /// Why a store could not be opened, in words.
    static func openingFailure(_ error: any Error, path: String) -> Failure {
        if let failure = error as? Failure { return failure }
        if let error = error as? DatabaseError { return Failure(description: RunStore.describe(error, path: path)) }
        return Failure(description: "\(path): cannot open the run store: \(error)")
    }

    static func open(path: String, configuration: Configuration) throws -> DatabasePool {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try pool.write { db in
                    if try RunStore.migrator.hasBeenSuperseded(db) {
                        throw Failure(description: "\(path): the run store was written by a newer orchestrator (unknown schema); upgrade this binary")
                    }
                }
                try RunStore.migrator.migrate(pool)
                return pool
            } catch let error as DatabaseError
                where attempt < 100
                && [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_ERROR].contains(error.resultCode)
            {
                usleep(50_000)
            }
        }
    }

    deinit { checkpointer.stop() }

    /// For a long-lived writer (the engine): checkpoints the log on a thread of its own instead
    /// of inside this process's commits (`Checkpointer`). Other processes' connections are not
    /// affected; the last connection to close still checkpoints as SQLite always does.
    public func checkpointInBackground(every interval: Double = 0.5) {
        checkpointer.take(over: writer, path: path, interval: interval)
    }

    static func describe(_ error: DatabaseError, path: String) -> String {
        StoreError.describe(error, path: path, store: "the run store")
    }

    /// The schema's migrations, in order: a store holding one not in this list is from a newer
    /// build (a restore refuses it).
    public static var migrations: [String] { migrator.migrations }

    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE run (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        job TEXT NOT NULL,
                        trading_day TEXT NOT NULL,
                        scheduled_for REAL,
                        trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'upstream', 'catch-up')),
                        state TEXT NOT NULL CHECK (state IN ('pending', 'queued', 'running', 'retrying', 'succeeded', 'failed',
                                                             'upstream_failed', 'skipped', 'missed', 'cancelled')),
                        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                        created_at REAL NOT NULL,
                        started_at REAL,
                        finished_at REAL,
                        exit_code INTEGER,
                        next_attempt_at REAL,
                        params TEXT NOT NULL DEFAULT '{}',
                        cause_run_id INTEGER REFERENCES run(id),
                        reason TEXT,
                        UNIQUE (job, scheduled_for)
                    );
                    CREATE INDEX run_by_created ON run(created_at);
                    CREATE INDEX run_by_job ON run(job, created_at);
                    CREATE INDEX run_by_day ON run(trading_day, job);
                    CREATE INDEX run_active ON run(state) WHERE state IN ('pending', 'queued', 'running', 'retrying');
                    CREATE TABLE attempt (
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        number INTEGER NOT NULL CHECK (number >= 1),
                        pid INTEGER,
                        shim_pid INTEGER,
                        shim_start INTEGER,
                        engine_pid INTEGER,
                        engine_start INTEGER,
                        started_at REAL NOT NULL,
                        finished_at REAL,
                        exit_code INTEGER,
                        signal INTEGER,
                        outcome TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'timed_out', 'lost', 'killed')),
                        log TEXT NOT NULL,
                        PRIMARY KEY (run_id, number)
                    );
                    CREATE TABLE transition (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                        at REAL NOT NULL,
                        from_state TEXT,
                        to_state TEXT NOT NULL,
                        reason TEXT
                    );
                    CREATE INDEX transition_by_run ON transition(run_id, id);
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    """)
        }
        // Services (issue 5): each one's current state for `status`, and its history of starts,
        // exits and health changes. Their starts are also attempts of a run per activation.
        migrator.registerMigration("v2 services") { db in
            try db.execute(
                sql: """
                    CREATE TABLE service (
                        name TEXT PRIMARY KEY,
                        state TEXT NOT NULL CHECK (state IN ('stopped', 'starting', 'running', 'unhealthy', 'backoff', 'failed', 'inactive', 'stopping')),
                        pid INTEGER,
                        started_at REAL,
                        run_id INTEGER REFERENCES run(id),
                        restarts INTEGER NOT NULL DEFAULT 0,
                        last_exit_code INTEGER,
                        last_signal INTEGER,
                        last_exit_at REAL,
                        health_ok INTEGER,
                        health_checked_at REAL,
                        health_detail TEXT,
                        reason TEXT,
                        next_start_at REAL,
                        updated_at REAL NOT NULL
                    );
                    CREATE TABLE service_event (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        service TEXT NOT NULL,
                        run_id INTEGER REFERENCES run(id),
                        at REAL NOT NULL,
                        kind TEXT NOT NULL,
                        state TEXT NOT NULL,
                        pid INTEGER,
                        detail TEXT
                    );
                    CREATE INDEX service_event_by_service ON service_event(service, id);
                    """)
        }
        return migrator
    }()

    // MARK: - Writing

    /// Inserts a run for a scheduled slot unless one exists; nil when another process (or an
    /// earlier run of this one) already owns the slot.
    public func claimSlot(
        job: String, tradingDay: String, scheduledFor: Double, trigger: RunTrigger,
        state: RunState, now: Double, reason: String? = nil
    ) throws -> RunRecord? {
        try writer.write { db in
            try RunStore.claimSlot(
                db, job: job, tradingDay: tradingDay, scheduledFor: scheduledFor, trigger: trigger, state: state,
                now: now, reason: reason)
        }
    }

    static func claimSlot(
        _ db: Database, job: String, tradingDay: String, scheduledFor: Double, trigger: RunTrigger,
        state: RunState, now: Double, reason: String?
    ) throws -> RunRecord? {
        // The schema's UNIQUE(job, scheduled_for) decides between racing processes.
        try db.cachedStatement(
            sql: """
                INSERT INTO run (job, trading_day, scheduled_for, trigger, state, created_at, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job, scheduled_for) DO NOTHING
                """
        ).execute(arguments: [job, tradingDay, scheduledFor, trigger.rawValue, state.rawValue, now, reason])
        guard db.changesCount == 1 else { return nil }
        let id = db.lastInsertedRowID
        try RunStore.logTransition(db, run: id, from: nil, to: state, at: now, reason: reason)
        return try RunStore.run(db, id)
    }

    /// Inserts a run that has no slot (manual or upstream-triggered).
    public func createRun(
        job: String, tradingDay: String, trigger: RunTrigger, state: RunState, now: Double,
        params: [String: String] = [:], causeRunId: Int64? = nil, reason: String? = nil
    ) throws -> RunRecord {
        try writer.write { db in
            try RunStore.createRun(
                db, job: job, tradingDay: tradingDay, trigger: trigger, state: state, now: now, params: params,
                causeRunId: causeRunId, reason: reason)
        }
    }

    static func createRun(
        _ db: Database, job: String, tradingDay: String, trigger: RunTrigger, state: RunState, now: Double,
        params: [String: String] = [:], causeRunId: Int64?, reason: String?
    ) throws -> RunRecord {
        var run = RunRecord(
            job: job, tradingDay: tradingDay, scheduledFor: nil, trigger: trigger, state: state,
            createdAt: now, params: params, causeRunId: causeRunId)
        run.reason = reason
        try run.insert(db)
        try RunStore.logTransition(db, run: run.id!, from: nil, to: state, at: now, reason: reason)
        return run
    }

    /// Moves a run to a new state, if it is still in one of `from` (so two actors never both
    /// move it); returns the updated run, or nil when it had already moved on.
    @discardableResult
    public func transition(
        run id: Int64, from: Set<RunState>? = nil, to state: RunState, now: Double, reason: String? = nil,
        nextAttemptAt: Double? = nil, exitCode: Int?? = nil
    ) throws -> RunRecord? {
        try writer.write { db in
            try RunStore.transition(db, run: id, from: from, to: state, now: now, reason: reason, nextAttemptAt: nextAttemptAt, exitCode: exitCode)
        }
    }

    static func transition(
        _ db: Database, run id: Int64, from: Set<RunState>?, to state: RunState, now: Double, reason: String?,
        nextAttemptAt: Double? = nil, exitCode: Int?? = nil
    ) throws -> RunRecord? {
        guard var run = try RunStore.run(db, id) else { return nil }
        if let from, !from.contains(run.state) { return nil }
        let old = run.state
        run.state = state
        run.reason = reason
        run.nextAttemptAt = state == .retrying ? nextAttemptAt : nil
        if let exitCode { run.exitCode = exitCode }
        if state.isFinal { run.finishedAt = now }
        try db.cachedStatement(sql: "UPDATE run SET state = ?, reason = ?, next_attempt_at = ?, exit_code = ?, finished_at = ? WHERE id = ?")
            .execute(arguments: [run.state.rawValue, run.reason, run.nextAttemptAt, run.exitCode, run.finishedAt, id])
        try RunStore.logTransition(db, run: id, from: old, to: state, at: now, reason: reason)
        return run
    }

    /// Records a new attempt as running and the run with it — only if the run is still queued or
    /// retrying, so that of several processes deciding to start it, exactly one does (nil for
    /// the others).
    public func startAttempt(run id: Int64, log: String, now: Double, engine: (pid: Int32, start: Int64?)? = nil) throws -> AttemptRecord? {
        try startAttempt(run: id, now: now, engine: engine, log: { _ in log })?.attempt
    }

    /// The same, naming the log after the attempt's number (known inside the transaction), and
    /// returning the run as it now is — the engine needs no read before or after.
    /// `supervisor`: the attempt's supervisor when it already runs (started ahead), recorded in
    /// the same transaction.
    public func startAttempt(
        run id: Int64, now: Double, engine: (pid: Int32, start: Int64?)?,
        supervisor: (pid: Int32, start: Int64?)? = nil,
        log: (Int) -> String
    ) throws -> (run: RunRecord, attempt: AttemptRecord)? {
        try writer.write { db in try RunStore.startAttempt(db, run: id, now: now, engine: engine, supervisor: supervisor, log: log) }
    }

    static func startAttempt(
        _ db: Database, run id: Int64, now: Double, engine: (pid: Int32, start: Int64?)?,
        supervisor: (pid: Int32, start: Int64?)?, log: (Int) -> String
    ) throws -> (run: RunRecord, attempt: AttemptRecord)? {
        guard var run = try RunStore.run(db, id) else { throw Failure(description: "run \(id) does not exist") }
        guard run.state == .queued || run.state == .retrying else { return nil }
        let old = run.state
        run.attempts += 1
        run.state = .running
        run.reason = nil
        run.nextAttemptAt = nil
        if run.startedAt == nil { run.startedAt = now }
        try db.cachedStatement(sql: "UPDATE run SET attempts = ?, state = ?, reason = NULL, next_attempt_at = NULL, started_at = ? WHERE id = ?")
            .execute(arguments: [run.attempts, run.state.rawValue, run.startedAt, id])
        let attempt = AttemptRecord(
            runId: id, number: run.attempts, pid: nil, shimPid: supervisor?.pid, shimStart: supervisor?.start,
            enginePid: engine?.pid, engineStart: engine?.start, startedAt: now,
            finishedAt: nil, exitCode: nil, signal: nil, outcome: .running, log: log(run.attempts))
        try attempt.insert(db)
        try RunStore.logTransition(db, run: id, from: old, to: .running, at: now, reason: "attempt \(run.attempts)")
        return (run, attempt)
    }

    /// The supervisor of an attempt has started (engine side).
    public func recordShim(run id: Int64, attempt number: Int, pid: Int32, start: Int64?) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE attempt SET shim_pid = ?, shim_start = ? WHERE run_id = ? AND number = ?")
                .execute(arguments: [pid, start, id, number])
        }
    }

    /// An attempt's end, when the engine decides it (a supervisor that could not start, a lost
    /// attempt); `orchestrator-attempt` writes the same row itself the moment the job is reaped,
    /// whether or not the engine is alive. Only a `running` attempt is closed, so a late writer never
    /// overwrites a decision already taken (a `lost`).
    @discardableResult
    public func recordExit(run id: Int64, attempt number: Int, exitCode: Int?, signal: Int?, outcome: AttemptOutcome, now: Double) throws -> Bool {
        try writer.write { db in try RunStore.recordExit(db, run: id, attempt: number, exitCode: exitCode, signal: signal, outcome: outcome, now: now) }
    }

    @discardableResult
    static func recordExit(
        _ db: Database, run id: Int64, attempt number: Int, exitCode: Int?, signal: Int?, outcome: AttemptOutcome,
        now: Double, pid: Int32? = nil
    ) throws -> Bool {
        try db.cachedStatement(
            sql: """
                UPDATE attempt SET finished_at = ?, exit_code = ?, signal = ?, outcome = ?, pid = COALESCE(?, pid)
                WHERE run_id = ? AND number = ? AND outcome = 'running'
                """
        ).execute(arguments: [now, exitCode, signal, outcome.rawValue, pid, id, number])
        return db.changesCount > 0
    }

    /// Several state changes in one transaction, committed together before it returns (the
    /// engine's decision rounds: the attempts that ended, what the scheduler decided, the
    /// attempts it starts). Rolled back whole if any fails.
    func transaction<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.write(body)
    }

    /// Several reads from one snapshot.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.read(body)
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }

    /// Asks the live daemon to restart a service (`orchestrator restart`): a request row it takes
    /// on its next step, so the CLI and the daemon need no other channel than the store.
    public func requestServiceRestart(_ name: String, at now: Double) throws {
        try setMeta("restart:" + name, String(now))
    }

    /// The services whose restart was requested, removed as they are taken (one transaction:
    /// each request is acted on once).
    public func takeServiceRestartRequests() throws -> [String] {
        let pending = try writer.read { db in try String.fetchAll(db, sql: "SELECT key FROM meta WHERE key LIKE 'restart:%' ORDER BY key") }
        guard !pending.isEmpty else { return [] }
        return try writer.write { db in
            let keys = try String.fetchAll(db, sql: "SELECT key FROM meta WHERE key LIKE 'restart:%' ORDER BY key")
            try db.execute(sql: "DELETE FROM meta WHERE key LIKE 'restart:%'")
            return keys.map { String($0.dropFirst("restart:".count)) }
        }
    }

    public func meta(_ key: String) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    static func logTransition(_ db: Database, run: Int64, from: RunState?, to: RunState, at: Double, reason: String?) throws {
        try db.cachedStatement(sql: "INSERT INTO transition(run_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [run, at, from?.rawValue, to.rawValue, reason])
    }

    // MARK: - Reading

    public func run(_ id: Int64) throws -> RunRecord? {
        try writer.read { db in try RunStore.run(db, id) }
    }

    public func attempts(of run: Int64) throws -> [AttemptRecord] {
        try writer.read { db in try RunStore.attempts(db, of: run) }
    }

    static func attempts(_ db: Database, of run: Int64) throws -> [AttemptRecord] {
        try AttemptRecord.filter(AttemptRecord.Columns.runId == run).order(AttemptRecord.Columns.number).fetchAll(db)
    }

    public func attempt(run: Int64, number: Int) throws -> AttemptRecord? {
        try writer.read { db in try RunStore.attempt(db, run: run, number: number) }
    }

    static func attempt(_ db: Database, run: Int64, number: Int) throws -> AttemptRecord? {
        try AttemptRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM attempt WHERE run_id = ? AND number = ?"), arguments: [run, number])
    }

    /// A run by id. The engine's hot paths (every start and end of an attempt) read and write
    /// through statements compiled once per connection (`cachedStatement`), not per call.
    static func run(_ db: Database, _ id: Int64) throws -> RunRecord? {
        try RunRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM run WHERE id = ?"), arguments: [id])
    }

    /// The attempts of a trading day's runs, by run, in order.
    public func attempts(tradingDay: String) throws -> [Int64: [AttemptRecord]] {
        try writer.read { db in
            let rows = try AttemptRecord.fetchAll(
                db.cachedStatement(
                    sql: "SELECT a.* FROM attempt a JOIN run r ON r.id = a.run_id WHERE r.trading_day = ? ORDER BY a.run_id, a.number"),
                arguments: [tradingDay])
            return Dictionary(grouping: rows, by: \.runId)
        }
    }

    /// Runs of the given trading days, oldest first.
    public func runs(tradingDays: [String]) throws -> [RunRecord] {
        try writer.read { db in
            let marks = tradingDays.map { _ in "?" }.joined(separator: ", ")
            return try RunRecord.fetchPositional(
                db, sql: "SELECT \(RunRecord.selection) FROM run WHERE trading_day IN (\(marks)) ORDER BY id", arguments: StatementArguments(tradingDays))
        }
    }

    /// What the scheduler needs of the runs of some trading days and of every active run, read
    /// column by column (no record decoding: the engine reads this on every step), with the
    /// newest transition id to refresh from (`schedulerRuns(_:changedAfter:)`).
    static func schedulerRuns(_ db: Database, tradingDays: [String]) throws -> (runs: [SchedulerState.Run], lastTransition: Int64) {
        let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM transition") ?? 0
        let marks = tradingDays.map { _ in "?" }.joined(separator: ", ")
        let runs = try RunStore.decodeSchedulerRuns(
            db, where: "trading_day IN (\(marks)) OR state IN ('pending', 'queued', 'running', 'retrying')",
            arguments: StatementArguments(tradingDays))
        return (runs, last)
    }

    /// The runs that changed state after a transition id (in any process), and the newest id.
    static func schedulerRuns(_ db: Database, changedAfter transition: Int64) throws -> (runs: [SchedulerState.Run], lastTransition: Int64) {
        let last = try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(id), 0) FROM transition")) ?? 0
        guard last > transition else { return ([], last) }
        let runs = try RunStore.decodeSchedulerRuns(
            db, where: "id IN (SELECT run_id FROM transition WHERE id > ? AND id <= ?)",
            arguments: [transition, last])
        return (runs, last)
    }

    static func decodeSchedulerRuns(_ db: Database, where condition: String, arguments: StatementArguments) throws -> [SchedulerState.Run] {
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT id, job, trading_day, scheduled_for, trigger, state, attempts, next_attempt_at, cause_run_id FROM run
                    WHERE \(condition) ORDER BY id
                    """), arguments: arguments)
        var result: [SchedulerState.Run] = []
        while let row = try rows.next() {
            let day: String = row[2]
            let scheduled: Double? = row[3]
            let trigger: String = row[4]
            let state: String = row[5]
            result.append(
                SchedulerState.Run(
                    id: row[0], job: row[1], tradingDay: LocalDate(parsing: day) ?? LocalDate(year: 1970, month: 1, day: 1)!,
                    scheduledFor: scheduled.map { Int64($0) }, trigger: RunTrigger(rawValue: trigger) ?? .manual,
                    state: RunState(rawValue: state) ?? .failed, attempts: row[6], nextAttemptAt: row[7], causeRunId: row[8]))
        }
        return result
    }

    /// How many runs of a trading day there are, and how many are not final yet.
    public func counts(tradingDay: String) throws -> (all: Int, active: Int) {
        try writer.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*), COALESCE(SUM(state IN ('pending', 'queued', 'running', 'retrying')), 0) FROM run WHERE trading_day = ?
                    """, arguments: [tradingDay])!
            return (row[0], row[1])
        }
    }

    /// The slots in `(from, to]` that already have a run, as `job@epoch` keys (one indexed range
    /// per job, on the unique slot index).
    public func claimedSlots(jobs: [String], from: Double, to: Double) throws -> Set<String> {
        try writer.read { db in
            var keys = Set<String>()
            for job in jobs {
                for t in try Double.fetchAll(
                    db, sql: "SELECT scheduled_for FROM run WHERE job = ? AND scheduled_for > ? AND scheduled_for <= ?",
                    arguments: [job, from, to])
                {
                    keys.insert("\(job)@\(Int64(t))")
                }
            }
            return keys
        }
    }

    /// Runs not yet final, oldest first.
    public func activeRuns() throws -> [RunRecord] {
        try writer.read { db in
            try RunRecord.fetchAll(db, sql: "SELECT * FROM run WHERE state IN ('pending', 'queued', 'running', 'retrying') ORDER BY id")
        }
    }

    /// Attempts still marked running, to reconcile after a restart.
    public func runningAttempts() throws -> [AttemptRecord] {
        try writer.read { db in try AttemptRecord.filter(AttemptRecord.Columns.outcome == AttemptOutcome.running.rawValue).fetchAll(db) }
    }

    /// Past runs, newest first (SPEC §5 `history`).
    public func history(
        job: String? = nil, state: RunState? = nil, since: Double? = nil, day: String? = nil, trigger: RunTrigger? = nil, limit: Int = 50
    ) throws -> [RunRecord] {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let job { conditions.append("job = ?"); arguments.append(job) }
        if let trigger { conditions.append("trigger = ?"); arguments.append(trigger.rawValue) }
        if let state { conditions.append("state = ?"); arguments.append(state.rawValue) }
        if let since { conditions.append("created_at >= ?"); arguments.append(since) }
        if let day { conditions.append("trading_day = ?"); arguments.append(day) }
        arguments.append(limit)
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try writer.read { db in
            try RunRecord.fetchPositional(
                db, sql: "SELECT \(RunRecord.selection) FROM run \(filter) ORDER BY id DESC LIMIT ?", arguments: StatementArguments(arguments))
        }
    }
}

import Foundation
import GRDB
public import OrchestratorCore
import SQLiteSupport

/// The run store in one SQLite file (WAL): the embedded default. Its SQL stays in this folder;
/// the rest of the orchestrator sees `RunStore`.
public final class SQLiteRunStore: RunStore {
    public let path: String
    let writer: any DatabaseWriter
    private let checkpointer = Checkpointer()

    public var location: String { path }
    public var attemptSupervisor: String { "orchestrator-attempt" }

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    public init(path: String) throws(StoreFailure) {
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
            writer = try SQLiteRunStore.open(path: path, configuration: configuration)
        } catch {
            throw SQLiteRunStore.openingFailure(error, path: path)
        }
    }

    /// Opens the pool and brings the schema up to date. Several processes may open a new store
    /// at once (concurrent catch-ups): switching to WAL and migrating need the file to
    /// themselves for a moment, so a busy or half-created store is tried again for a few seconds.
    /// For readers that must never write (`serve`): no directory or file created, no migration;
    /// a missing store, one from a newer orchestrator or one not yet migrated is a failure that
    /// says so. Writes through this store fail.
    public init(readingOnly path: String) throws(StoreFailure) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw StoreFailure(.unavailable, "\(path): no run store (has the orchestrator run here?)") }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        configuration.label = "orchestrator.store.read"
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try pool.read { db in
                if try SQLiteRunStore.migrator.hasBeenSuperseded(db) {
                    throw StoreFailure(.newerSchema, "\(path): the run store was written by a newer orchestrator (unknown schema); upgrade this binary")
                }
                if try !SQLiteRunStore.migrator.hasCompletedMigrations(db) {
                    throw StoreFailure(.readOnly, "\(path): the run store's schema is older than this build; start the orchestrator once to migrate it")
                }
            }
            writer = pool
        } catch {
            throw SQLiteRunStore.openingFailure(error, path: path)
        }
    }

    /// Why a store could not be opened, in words.
    static func openingFailure(_ error: any Error, path: String) -> StoreFailure {
        if let failure = error as? StoreFailure { return failure }
        if let error = error as? DatabaseError { return failure(error, path: path) }
        return StoreFailure(.unavailable, "\(path): cannot open the run store: \(error)")
    }

    /// SQLite's error as a store failure with its code.
    static func failure(_ error: DatabaseError, path: String) -> StoreFailure {
        let code: StoreFailure.Code =
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: .locked
            case .SQLITE_NOTADB, .SQLITE_CORRUPT: .corrupt
            case .SQLITE_READONLY: .readOnly
            case .SQLITE_CANTOPEN: .unavailable
            default: .invalid
            }
        return StoreFailure(code, StoreError.describe(error, path: path, store: "the run store"))
    }

    static func open(path: String, configuration: Configuration) throws -> DatabasePool {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try pool.write { db in
                    if try SQLiteRunStore.migrator.hasBeenSuperseded(db) {
                        throw StoreFailure(.newerSchema, "\(path): the run store was written by a newer orchestrator (unknown schema); upgrade this binary")
                    }
                }
                try SQLiteRunStore.migrator.migrate(pool)
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
    public func checkpointInBackground(every interval: Double) {
        checkpointer.take(over: writer, path: path, interval: interval)
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
        // Nodes (issue 21): the node of every attempt and service — on SQLite always this
        // machine's, left empty.
        migrator.registerMigration("v3 nodes") { db in
            try db.execute(sql: "ALTER TABLE attempt ADD COLUMN node TEXT; ALTER TABLE service ADD COLUMN node TEXT;")
        }
        return migrator
    }()

    // MARK: - Transactions

    public func transaction<T>(_ body: (any RunStoreTransaction) throws -> T) throws -> T {
        try writer.write { db in try body(SQLiteTransaction(db: db)) }
    }

    public func read<T>(_ body: (any RunStoreTransaction) throws -> T) throws -> T {
        try writer.read { db in try body(SQLiteTransaction(db: db)) }
    }

    // MARK: - Writing

    public func recordShim(run id: Int64, attempt number: Int, pid: Int32, start: Int64?) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE attempt SET shim_pid = ?, shim_start = ? WHERE run_id = ? AND number = ?")
                .execute(arguments: [pid, start, id, number])
        }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }

    public func takeMeta(prefix: String) throws -> [String] {
        let pattern = prefix + "%"
        // Read first: the daemon asks on every step, and almost always there is nothing to take.
        let pending = try writer.read { db in try String.fetchAll(db, sql: "SELECT key FROM meta WHERE key LIKE ? ORDER BY key", arguments: [pattern]) }
        guard !pending.isEmpty else { return [] }
        return try writer.write { db in
            let keys = try String.fetchAll(db, sql: "SELECT key FROM meta WHERE key LIKE ? ORDER BY key", arguments: [pattern])
            try db.execute(sql: "DELETE FROM meta WHERE key LIKE ?", arguments: [pattern])
            return keys
        }
    }

    public func meta(_ key: String) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    // MARK: - Reading

    public func attempts(tradingDay: String) throws -> [Int64: [AttemptRecord]] {
        try writer.read { db in
            let rows = try AttemptRecord.fetchAll(
                db.cachedStatement(
                    sql: "SELECT a.* FROM attempt a JOIN run r ON r.id = a.run_id WHERE r.trading_day = ? ORDER BY a.run_id, a.number"),
                arguments: [tradingDay])
            return Dictionary(grouping: rows, by: \.runId)
        }
    }

    public func runs(tradingDays: [String]) throws -> [RunRecord] {
        try writer.read { db in
            let marks = tradingDays.map { _ in "?" }.joined(separator: ", ")
            return try RunRecord.fetchPositional(
                db, sql: "SELECT \(RunRecord.selection) FROM run WHERE trading_day IN (\(marks)) ORDER BY id", arguments: StatementArguments(tradingDays))
        }
    }

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

    /// One indexed range per job, on the unique slot index.
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

    public func activeRuns() throws -> [RunRecord] {
        try writer.read { db in
            try RunRecord.fetchAll(db, sql: "SELECT * FROM run WHERE state IN ('pending', 'queued', 'running', 'retrying') ORDER BY id")
        }
    }

    public func runningAttempts() throws -> [AttemptRecord] {
        try writer.read { db in try AttemptRecord.filter(AttemptRecord.Columns.outcome == AttemptOutcome.running.rawValue).fetchAll(db) }
    }

    public func history(_ filter: HistoryFilter) throws -> [RunRecord] {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let job = filter.job { conditions.append("job = ?"); arguments.append(job) }
        if let trigger = filter.trigger { conditions.append("trigger = ?"); arguments.append(trigger.rawValue) }
        if let state = filter.state { conditions.append("state = ?"); arguments.append(state.rawValue) }
        if let since = filter.since { conditions.append("created_at >= ?"); arguments.append(since) }
        if let day = filter.day { conditions.append("trading_day = ?"); arguments.append(day) }
        arguments.append(filter.limit)
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try writer.read { db in
            try RunRecord.fetchPositional(
                db, sql: "SELECT \(RunRecord.selection) FROM run \(clause) ORDER BY id DESC LIMIT ?", arguments: StatementArguments(arguments))
        }
    }
}

/// One SQLite transaction (or read) of the run store.
struct SQLiteTransaction: RunRowTransaction {
    let db: Database
    var node: String? { nil }

    func claimSlot(
        job: String, tradingDay: String, scheduledFor: Double, trigger: RunTrigger, state: RunState, now: Double, reason: String?
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
        try logTransition(run: id, from: nil, to: state, at: now, reason: reason)
        return try run(id)
    }

    func createRun(
        job: String, tradingDay: String, trigger: RunTrigger, state: RunState, now: Double, params: [String: String], causeRunId: Int64?,
        reason: String?
    ) throws -> RunRecord {
        var run = RunRecord(
            job: job, tradingDay: tradingDay, scheduledFor: nil, trigger: trigger, state: state,
            createdAt: now, params: params, causeRunId: causeRunId)
        run.reason = reason
        try run.insert(db)
        try logTransition(run: run.id!, from: nil, to: state, at: now, reason: reason)
        return run
    }

    func lockedRun(_ id: Int64) throws -> RunRecord? { try run(id) }

    func updateRun(_ run: RunRecord) throws {
        try db.cachedStatement(
            sql: "UPDATE run SET state = ?, reason = ?, attempts = ?, next_attempt_at = ?, exit_code = ?, started_at = ?, finished_at = ? WHERE id = ?"
        ).execute(arguments: [run.state.rawValue, run.reason, run.attempts, run.nextAttemptAt, run.exitCode, run.startedAt, run.finishedAt, run.id])
    }

    func insertAttempt(_ attempt: AttemptRecord) throws { try attempt.insert(db) }

    func recordExit(run id: Int64, attempt number: Int, exitCode: Int?, signal: Int?, outcome: AttemptOutcome, now: Double, pid: Int32?) throws -> Bool {
        try db.cachedStatement(
            sql: """
                UPDATE attempt SET finished_at = ?, exit_code = ?, signal = ?, outcome = ?, pid = COALESCE(?, pid)
                WHERE run_id = ? AND number = ? AND outcome = 'running'
                """
        ).execute(arguments: [now, exitCode, signal, outcome.rawValue, pid, id, number])
        return db.changesCount > 0
    }

    func logTransition(run: Int64, from: RunState?, to: RunState, at: Double, reason: String?) throws {
        try db.cachedStatement(sql: "INSERT INTO transition(run_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [run, at, from?.rawValue, to.rawValue, reason])
    }

    /// A run by id. The engine's hot paths (every start and end of an attempt) read and write
    /// through statements compiled once per connection (`cachedStatement`), not per call.
    func run(_ id: Int64) throws -> RunRecord? {
        try RunRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM run WHERE id = ?"), arguments: [id])
    }

    func attempts(of run: Int64) throws -> [AttemptRecord] {
        try AttemptRecord.filter(AttemptRecord.Columns.runId == run).order(AttemptRecord.Columns.number).fetchAll(db)
    }

    func attempt(run: Int64, number: Int) throws -> AttemptRecord? {
        try AttemptRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM attempt WHERE run_id = ? AND number = ?"), arguments: [run, number])
    }

    /// Read column by column (no record decoding: the engine reads this on every step).
    func schedulerRuns(tradingDays: [String]) throws -> (runs: [SchedulerState.Run], cursor: ChangeCursor) {
        let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM transition") ?? 0
        let marks = tradingDays.map { _ in "?" }.joined(separator: ", ")
        let runs = try decodeSchedulerRuns(
            where: "trading_day IN (\(marks)) OR state IN ('pending', 'queued', 'running', 'retrying')", arguments: StatementArguments(tradingDays))
        return (runs, ChangeCursor(id: last))
    }

    /// SQLite has one writer at a time, so transition ids commit in order: an id is a cursor.
    func schedulerRuns(changedAfter cursor: ChangeCursor) throws -> (runs: [SchedulerState.Run], cursor: ChangeCursor) {
        let last = try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(id), 0) FROM transition")) ?? 0
        guard last > cursor.id else { return ([], ChangeCursor(id: last)) }
        let runs = try decodeSchedulerRuns(where: "id IN (SELECT run_id FROM transition WHERE id > ? AND id <= ?)", arguments: [cursor.id, last])
        return (runs, ChangeCursor(id: last))
    }

    private func decodeSchedulerRuns(where condition: String, arguments: StatementArguments) throws -> [SchedulerState.Run] {
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT id, job, trading_day, scheduled_for, trigger, state, attempts, next_attempt_at, cause_run_id FROM run
                    WHERE \(condition) ORDER BY id
                    """), arguments: arguments)
        var result: [SchedulerState.Run] = []
        while let row = try rows.next() {
            let scheduled: Double? = row[3]
            result.append(
                SchedulerState.Run(
                    id: row[0], job: row[1], tradingDay: row[2], scheduledFor: scheduled, trigger: row[4], state: row[5], attempts: row[6],
                    nextAttemptAt: row[7], causeRunId: row[8]))
        }
        return result
    }
}

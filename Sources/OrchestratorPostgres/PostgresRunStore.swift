public import Foundation
public import OrchestratorCore
public import OrchestratorRuntime
import PostgresNIO
import Synchronization

/// The run store on PostgreSQL (issue 21; `database: postgres://user@host:port/db`), through
/// postgres-nio — its own target, so that the driver's build stays out of the engine's library.
///
/// The engine is synchronous (one decision round is one transaction, as on SQLite), so each
/// store holds one connection and waits on its futures from the caller's thread; the driver's
/// event loop runs on its own thread, never on the caller's. Several nodes agree through the
/// database alone: the slot claim by `UNIQUE (job, scheduled_for)`, attempts and transitions by
/// compare-and-set on a locked row (READ COMMITTED re-reads the row after the lock), and the
/// change cursor on (transaction id, id) below the oldest transaction still open.
public final class PostgresRunStore: RunStore {
    public let address: Address
    public var location: String { address.description }
    public var attemptSupervisor: String { "orchestrator-attempt-pq" }
    /// The node this store writes for (recorded on attempts and services): `--node`, or the
    /// host's name.
    public let node: String
    private let session: Mutex<PostgresConnection?>
    private let readOnly: Bool
    /// The leader's term every write of this store checks first (`fenced(term:)`).
    private let fence: Int64?

    /// `postgres://user[:password]@host[:port]/database`; the password may come from the
    /// environment (`PGPASSWORD`) rather than the URL, and is never printed.
    public struct Address: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String

        public init?(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
            guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql", let host = url.host, !host.isEmpty,
                let user = url.user, !user.isEmpty
            else { return nil }
            let database = String(url.path.drop { $0 == "/" })
            guard !database.isEmpty else { return nil }
            self.host = host
            port = url.port ?? 5432
            self.user = user
            password = url.password ?? environment["PGPASSWORD"]
            self.database = database
        }

        public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
    }

    /// Connects and brings the schema up to date (`migrate`), or, `readingOnly`, checks that it is
    /// and never writes. A server that cannot be reached is `unavailable`.
    public init(_ address: Address, readingOnly: Bool = false, node: String? = nil) throws(StoreFailure) {
        self.address = address
        readOnly = readingOnly
        self.node = node ?? ProcessInfo.processInfo.hostName
        fence = nil
        session = Mutex(nil)
        do {
            if readingOnly { try checkSchema() } else { try migrate() }
        } catch let failure as StoreFailure {
            throw failure
        } catch {
            throw failure(error)
        }
    }

    /// Opens `text` as a PostgreSQL address; a malformed one is `invalid`, naming what is expected.
    public convenience init(parsing text: String, readingOnly: Bool = false, node: String? = nil) throws(StoreFailure) {
        guard let address = Address(parsing: text) else {
            throw StoreFailure(.invalid, "\(text.split(separator: "@").last ?? ""): not a PostgreSQL address (postgres://user@host:port/database)")
        }
        try self.init(address, readingOnly: readingOnly, node: node)
    }

    /// `RunStores.open`'s opener for PostgreSQL addresses.
    public static let opener: RunStores.Opener = { location, readingOnly, node throws(StoreFailure) in
        try PostgresRunStore(parsing: location, readingOnly: readingOnly, node: node)
    }

    /// A store on the same database for the same node whose writes are fenced by `term`.
    private init(fencedBy term: Int64, of store: PostgresRunStore) {
        address = store.address
        readOnly = store.readOnly
        node = store.node
        fence = term
        session = Mutex(nil)
    }

    deinit {
        if let connection = session.withLock({ $0.take() }) { try? connection.close().wait() }
    }

    static let logger = Logger(label: "orchestrator.store.postgres")

    // MARK: - The connection

    /// Runs `body` on this store's connection, connecting first if there is none; a connection
    /// that failed is dropped so the next call connects again.
    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try session.withLock { connection in
            if connection == nil || connection!.isClosed {
                connection = try connect()
            }
            do {
                return try body(connection!)
            } catch let error as PSQLError where error.code != .server {
                Self.abandon(connection)
                connection = nil
                throw failure(error)
            } catch let error as PSQLError {
                throw failure(error)
            } catch let silence as PostgresTransaction.NoAnswer {
                Self.abandon(connection)
                connection = nil
                throw StoreFailure(.unavailable, "\(address): \(silence)")
            }
        }
    }

    /// Closes a connection without waiting (one that stopped answering may never say it
    /// closed), keeping it alive until it has.
    private static func abandon(_ connection: PostgresConnection?) {
        guard let connection else { return }
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    private func connect() throws -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: address.user, password: address.password, database: address.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(3)
        // pg_stat_activity names the node behind every session. A node paused inside a transaction
        // (SIGSTOP, a stall) must not hold the scheduling lock for long: the server ends such a
        // session after 2 s idle in it (a decision round's transaction lasts milliseconds), and
        // any statement after 3 s (one waiting on that lock waits at most that long).
        configuration.options.additionalStartupParameters = [
            ("application_name", "orchestrator node \(node)"), ("idle_in_transaction_session_timeout", "2000"), ("statement_timeout", "3000"),
        ]
        do {
            let loop = MultiThreadedEventLoopGroup.singleton.any()
            let connecting = PostgresConnection.connect(on: loop, configuration: configuration, id: Int.random(in: 1...Int(Int32.max)), logger: Self.logger)
            do {
                return try PostgresTransaction.waiting(for: connecting, on: loop, what: "connecting")
            } catch let silence as PostgresTransaction.NoAnswer {
                // A connection that comes after all is closed, not dropped.
                connecting.whenSuccess { Self.abandon($0) }
                throw StoreFailure(.unavailable, "\(address): \(silence)")
            }
        } catch {
            throw failure(error)
        }
    }

    /// A driver's error as a store failure with its code, naming the store (never its password).
    private func failure(_ error: any Error) -> StoreFailure {
        if let failure = error as? StoreFailure { return failure }
        guard let error = error as? PSQLError else { return StoreFailure(.unavailable, "\(address): \(error)") }
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        switch (error.code, state) {
        case (.server, "25006"): return StoreFailure(.readOnly, "\(address): the run store is read-only here: \(message)")
        // The session ended by the server (shutdown, a terminated backend, a node paused inside a
        // transaction past idle_in_transaction_session_timeout: 25P03), or no connection to have.
        case (.server, let s) where s.hasPrefix("57P") || s.hasPrefix("08") || s == "53300" || s == "25P03":
            return StoreFailure(.unavailable, "\(address): \(message)")
        // A statement that waited past statement_timeout (57014) waited on a lock another node
        // held (a paused node's scheduling lock): a conflict to wait out, as a lock timeout.
        case (.server, "57014"): return StoreFailure(.locked, "\(address): \(message)")
        case (.server, let s) where s.hasPrefix("28"): return StoreFailure(.unavailable, "\(address): \(message) (check the user and PGPASSWORD)")
        case (.server, "55P03"), (.server, "40P01"), (.server, "40001"): return StoreFailure(.locked, "\(address): \(message)")
        case (.server, "XX001"), (.server, "XX002"): return StoreFailure(.corrupt, "\(address): \(message)")
        case (.server, _): return StoreFailure(.invalid, "\(address): \(message)")
        default:
            // The driver's own cause (refused, reset, a TLS or DNS failure) names what to fix.
            return StoreFailure(.unavailable, "\(address): cannot reach the run store (\(error.code)\(error.underlying.map { ": \($0)" } ?? ""))")
        }
    }

    // MARK: - Schema

    /// Applies the migrations this database has not seen, in one transaction under an advisory
    /// lock (nodes that start together wait for one another, and each finds the work done);
    /// refuses a database migrated by a newer build. Returns the migrations it applied.
    @discardableResult
    public func migrate() throws -> [String] {
        try inTransaction(begin: "BEGIN") { db in
            try db.run("SELECT pg_advisory_xact_lock(7215001)")
            try db.run("CREATE TABLE IF NOT EXISTS schema_migrations (identifier TEXT PRIMARY KEY)")
            let done = Set(try db.rows("SELECT identifier FROM schema_migrations").map { try $0[0].decode(String.self) })
            try Self.refuseNewer(done)
            var applied: [String] = []
            for (id, sql) in PostgresSchema.migrations where !done.contains(id) {
                // One statement a message (the extended protocol takes no more); the schema's
                // statements end at a line's semicolon and hold none inside.
                for statement in sql.components(separatedBy: ";\n") {
                    let text = statement.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
                    if !text.isEmpty { try db.run(PostgresQuery(unsafeSQL: text)) }
                }
                try db.run("INSERT INTO schema_migrations (identifier) VALUES (\(id))")
                applied.append(id)
            }
            return applied
        }
    }

    /// For readers that must never write (`serve`): the schema must be there and not newer.
    private func checkSchema() throws {
        try inTransaction(begin: "BEGIN TRANSACTION READ ONLY") { db in
            guard try db.rows("SELECT to_regclass('schema_migrations') IS NOT NULL").first?[0].decode(Bool.self) == true else {
                throw StoreFailure(.unavailable, "\(address): no run store in this database (has the orchestrator run against it?)")
            }
            let done = Set(try db.rows("SELECT identifier FROM schema_migrations").map { try $0[0].decode(String.self) })
            try Self.refuseNewer(done)
            if done.count < PostgresSchema.migrations.count {
                throw StoreFailure(.readOnly, "\(address): the run store's schema is older than this build; start the orchestrator once to migrate it")
            }
        }
    }

    private static func refuseNewer(_ done: Set<String>) throws {
        if let unknown = done.subtracting(PostgresSchema.migrations.map(\.0)).sorted().first {
            throw StoreFailure(.newerSchema, "the run store was migrated by a newer orchestrator (\(unknown)); upgrade this binary")
        }
    }

    // MARK: - Transactions

    private func inTransaction<T>(begin: PostgresQuery, writing: Bool = false, _ body: (PostgresTransaction) throws -> T) throws -> T {
        try withConnection { connection in
            let db = PostgresTransaction(connection: connection, node: node)
            try db.run(begin)
            do {
                if writing, let fence {
                    // FOR SHARE: a node taking the lease over waits for this transaction to end.
                    let held = try db.rows(
                        "SELECT 1 FROM lease WHERE name = 'leader' AND node = \(node) AND term = \(fence) AND expires_at >= now() FOR SHARE")
                    guard !held.isEmpty else {
                        throw StoreFailure(.fenced, "\(address): node \(node) no longer holds the lease of term \(fence); its write was refused")
                    }
                }
                let result = try body(db)
                try db.run("COMMIT")
                return result
            } catch {
                try? db.run("ROLLBACK")
                throw error
            }
        }
    }

    public func transaction<T>(_ body: (any RunStoreTransaction) throws -> T) throws -> T {
        do {
            return try inTransaction(begin: readOnly ? "BEGIN TRANSACTION READ ONLY" : "BEGIN", writing: true) { try body($0) }
        } catch let error as PSQLError {
            throw failure(error)
        }
    }

    public func read<T>(_ body: (any RunStoreTransaction) throws -> T) throws -> T {
        do {
            return try inTransaction(begin: "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY") { try body($0) }
        } catch let error as PSQLError {
            throw failure(error)
        }
    }

    public func fenced(term: Int64) throws -> any RunStore { PostgresRunStore(fencedBy: term, of: self) }

    /// One statement in a transaction of its own.
    func write<T>(_ body: (PostgresTransaction) throws -> T) throws -> T {
        try inTransaction(begin: readOnly ? "BEGIN TRANSACTION READ ONLY" : "BEGIN", writing: true, body)
    }

    func reading<T>(_ body: (PostgresTransaction) throws -> T) throws -> T {
        try inTransaction(begin: "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", body)
    }

    /// PostgreSQL keeps its own upkeep (autovacuum, checkpoints): nothing to do beside the engine.
    public func checkpointInBackground(every interval: Double) {}

    // MARK: - Writing

    public func recordShim(run id: Int64, attempt number: Int, pid: Int32, start: Int64?) throws {
        try write { db in try db.run("UPDATE attempt SET shim_pid = \(pid), shim_start = \(start) WHERE run_id = \(id) AND number = \(number)") }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try write { db in
            try db.run("INSERT INTO meta (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        }
    }

    public func meta(_ key: String) throws -> String? {
        try reading { db in try db.rows("SELECT value FROM meta WHERE key = \(key)").first?[0].decode(String.self) }
    }

    /// One statement: each request is taken by exactly one caller, however many nodes ask.
    public func takeMeta(prefix: String) throws -> [String] {
        let pattern =
            prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
        return try write { db in
            try db.rows("DELETE FROM meta WHERE key LIKE \(pattern) RETURNING key").map { try $0[0].decode(String.self) }.sorted()
        }
    }

    // MARK: - Reading

    public func attempts(tradingDay: String) throws -> [Int64: [AttemptRecord]] {
        try reading { db in
            let rows = try db.rows(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT \(PostgresTransaction.attemptColumns("a.")) FROM attempt a JOIN run r ON r.id = a.run_id WHERE r.trading_day = $1 ORDER BY a.run_id, a.number",
                    binds: Self.binds(tradingDay)))
            return Dictionary(grouping: try rows.map(PostgresTransaction.attempt), by: \.runId)
        }
    }

    public func runs(tradingDays: [String]) throws -> [RunRecord] {
        try reading { db in
            try db.rows(
                PostgresQuery(
                    unsafeSQL: "SELECT \(PostgresTransaction.runColumns) FROM run WHERE trading_day = ANY($1) ORDER BY id", binds: Self.binds(tradingDays))
            ).map(PostgresTransaction.run)
        }
    }

    public func counts(tradingDay: String) throws -> (all: Int, active: Int) {
        try reading { db in
            let row = try db.rows(
                "SELECT count(*), count(*) FILTER (WHERE state IN ('pending', 'queued', 'running', 'retrying')) FROM run WHERE trading_day = \(tradingDay)"
            )[0]
            return (try row[0].decode(Int.self), try row[1].decode(Int.self))
        }
    }

    public func claimedSlots(jobs: [String], from: Double, to: Double) throws -> Set<String> {
        try reading { db in
            var keys = Set<String>()
            for row in try db.rows("SELECT job, scheduled_for FROM run WHERE job = ANY(\(jobs)) AND scheduled_for > \(from) AND scheduled_for <= \(to)") {
                keys.insert("\(try row[0].decode(String.self))@\(Int64(try row[1].decode(Double.self)))")
            }
            return keys
        }
    }

    public func activeRuns() throws -> [RunRecord] {
        try reading { db in
            try db.rows(
                PostgresQuery(
                    unsafeSQL: "SELECT \(PostgresTransaction.runColumns) FROM run WHERE state IN ('pending', 'queued', 'running', 'retrying') ORDER BY id")
            ).map(PostgresTransaction.run)
        }
    }

    public func runningAttempts() throws -> [AttemptRecord] {
        try reading { db in
            try db.rows(
                PostgresQuery(unsafeSQL: "SELECT \(PostgresTransaction.attemptColumns()) FROM attempt WHERE outcome = 'running' ORDER BY run_id, number")
            )
            .map(PostgresTransaction.attempt)
        }
    }

    public func history(_ filter: HistoryFilter) throws -> [RunRecord] {
        var conditions: [String] = []
        var binds = PostgresBindings()
        func add(_ condition: String, _ value: some PostgresDynamicTypeEncodable) {
            binds.append(value)
            conditions.append(condition.replacingOccurrences(of: "?", with: "$\(binds.count)"))
        }
        if let job = filter.job { add("job = ?", job) }
        if let trigger = filter.trigger { add("trigger = ?", trigger.rawValue) }
        if let state = filter.state { add("state = ?", state.rawValue) }
        if let since = filter.since { add("created_at >= ?", since) }
        if let day = filter.day { add("trading_day = ?", day) }
        binds.append(filter.limit)
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try reading { db in
            try db.rows(
                PostgresQuery(unsafeSQL: "SELECT \(PostgresTransaction.runColumns) FROM run \(clause) ORDER BY id DESC LIMIT $\(binds.count)", binds: binds)
            ).map(PostgresTransaction.run)
        }
    }

    /// Only transitions of transactions older than the snapshot's xmin: every one of those has
    /// committed or rolled back, so none can appear behind the cursor later.
    public func transitions(after cursor: ChangeCursor, limit: Int) throws -> [TransitionEvent] {
        try reading { db in
            try db.rows(
                """
                SELECT t.xid::text, t.id, t.at, t.to_state, r.job, r.trigger, r.scheduled_for, r.started_at,
                       CASE WHEN t.to_state IN ('retrying', 'succeeded', 'failed', 'cancelled') THEN
                         (SELECT a.finished_at - a.started_at FROM attempt a
                          WHERE a.run_id = t.run_id AND a.finished_at IS NOT NULL ORDER BY a.number DESC LIMIT 1)
                       END
                FROM transition t JOIN run r ON r.id = t.run_id
                WHERE t.xid < pg_snapshot_xmin(pg_current_snapshot()) AND (t.xid, t.id) > (\(String(cursor.xid))::xid8, \(cursor.id))
                ORDER BY t.xid, t.id LIMIT \(limit)
                """
            ).map { row in
                TransitionEvent(
                    cursor: ChangeCursor(xid: UInt64(try row[0].decode(String.self)) ?? 0, id: try row[1].decode(Int64.self)),
                    at: try row[2].decode(Double.self),
                    job: try row[4].decode(String.self), to: try row[3].decode(String.self), trigger: try row[5].decode(String.self),
                    scheduledFor: try row[6].decode(Double?.self), startedAt: try row[7].decode(Double?.self), attemptSeconds: try row[8].decode(Double?.self))
            }
        }
    }

    /// The newest transition and service event ids and the commit positions below the oldest
    /// open transaction: an id alone would not move when a lower id commits late.
    public func changeMark() throws -> String {
        try reading { db in
            let row = try db.rows(
                """
                SELECT (SELECT COALESCE(max(id), 0) FROM transition),
                       (SELECT COALESCE(max(id), 0) FROM service_event),
                       (SELECT COALESCE(max(xid)::text, '0') FROM transition WHERE xid < pg_snapshot_xmin(pg_current_snapshot())),
                       (SELECT COALESCE(max(xid)::text, '0') FROM service_event WHERE xid < pg_snapshot_xmin(pg_current_snapshot()))
                """
            )[0]
            return "\(try row[0].decode(Int64.self)).\(try row[1].decode(Int64.self)).\(try row[2].decode(String.self)).\(try row[3].decode(String.self))"
        }
    }

    // MARK: - Services

    public func saveServices(_ records: [ServiceRecord], events: [ServiceEventRecord]) throws {
        guard !records.isEmpty || !events.isEmpty else { return }
        try write { db in
            for r in records {
                try db.run(
                    """
                    INSERT INTO service (name, state, pid, started_at, run_id, restarts, last_exit_code, last_signal, last_exit_at, health_ok,
                                         health_checked_at, health_detail, reason, next_start_at, updated_at, node)
                    VALUES (\(r.name), \(r.state), \(r.pid), \(r.startedAt), \(r.runId), \(r.restarts), \(r.lastExitCode), \(r.lastSignal), \(r.lastExitAt),
                            \(r.healthOk), \(r.healthCheckedAt), \(r.healthDetail), \(r.reason), \(r.nextStartAt), \(r.updatedAt), \(r.node ?? node))
                    ON CONFLICT (name) DO UPDATE SET state = excluded.state, pid = excluded.pid, started_at = excluded.started_at,
                        run_id = excluded.run_id, restarts = excluded.restarts, last_exit_code = excluded.last_exit_code,
                        last_signal = excluded.last_signal, last_exit_at = excluded.last_exit_at, health_ok = excluded.health_ok,
                        health_checked_at = excluded.health_checked_at, health_detail = excluded.health_detail, reason = excluded.reason,
                        next_start_at = excluded.next_start_at, updated_at = excluded.updated_at, node = excluded.node
                    """)
            }
            for e in events {
                try db.run(
                    """
                    INSERT INTO service_event (service, run_id, at, kind, state, pid, detail)
                    VALUES (\(e.service), \(e.runId), \(e.at), \(e.kind), \(e.state), \(e.pid), \(e.detail))
                    """)
            }
        }
    }

    public func services() throws -> [ServiceRecord] {
        try reading { db in
            try db.rows(
                """
                SELECT name, state, pid, started_at, run_id, restarts, last_exit_code, last_signal, last_exit_at, health_ok,
                       health_checked_at, health_detail, reason, next_start_at, updated_at, node FROM service ORDER BY name
                """
            ).map { row in
                var r = ServiceRecord.never(try row[0].decode(String.self))
                r.state = try row[1].decode(String.self)
                r.pid = try row[2].decode(Int32?.self)
                r.startedAt = try row[3].decode(Double?.self)
                r.runId = try row[4].decode(Int64?.self)
                r.restarts = try row[5].decode(Int.self)
                r.lastExitCode = try row[6].decode(Int?.self)
                r.lastSignal = try row[7].decode(Int?.self)
                r.lastExitAt = try row[8].decode(Double?.self)
                r.healthOk = try row[9].decode(Bool?.self)
                r.healthCheckedAt = try row[10].decode(Double?.self)
                r.healthDetail = try row[11].decode(String?.self)
                r.reason = try row[12].decode(String?.self)
                r.nextStartAt = try row[13].decode(Double?.self)
                r.updatedAt = try row[14].decode(Double.self)
                r.node = try row[15].decode(String?.self)
                return r
            }
        }
    }

    public func serviceEvents(service: String?, run: Int64?, limit: Int) throws -> [ServiceEventRecord] {
        try reading { db in
            try db.rows(
                """
                SELECT id, service, run_id, at, kind, state, pid, detail FROM service_event
                WHERE (\(service)::text IS NULL OR service = \(service)) AND (\(run)::bigint IS NULL OR run_id = \(run))
                ORDER BY id DESC LIMIT \(limit)
                """
            ).map { row in
                ServiceEventRecord(
                    id: try row[0].decode(Int64.self), service: try row[1].decode(String.self), runId: try row[2].decode(Int64?.self),
                    at: try row[3].decode(Double.self), kind: try row[4].decode(String.self), state: try row[5].decode(String.self),
                    pid: try row[6].decode(Int32?.self), detail: try row[7].decode(String?.self))
            }
        }
    }

    public func recordServiceProcess(run id: Int64, attempt number: Int, pid: Int32, start: Int64?) throws {
        try write { db in
            try db.run("UPDATE attempt SET pid = \(pid), shim_pid = \(pid), shim_start = \(start) WHERE run_id = \(id) AND number = \(number)")
        }
    }

    static func binds(_ value: some PostgresDynamicTypeEncodable) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(value)
        return binds
    }
}

public import Foundation
public import OrchestratorRuntime
public import PostgresNIO

/// The run store on PostgreSQL (issue 21; `database: postgres://user@host:port/db`), through
/// postgres-nio's pooled client — its own target, so that the driver's build stays out of the
/// engine's. So far: migrations (under an advisory lock, so that nodes starting together migrate
/// once), the slot claim, the compare-and-set start of an attempt, and the change cursor, with
/// the statements of `PostgresSchema`.
public final class PostgresRunStore: Sendable {
    public let client: PostgresClient
    private let runner: Task<Void, Never>

    /// A cursor over committed transitions: (transaction, id), never an id alone.
    public struct Cursor: Sendable, Equatable, Comparable {
        public var xid: UInt64
        public var id: Int64
        public static let start = Cursor(xid: 0, id: 0)
        public static func < (a: Cursor, b: Cursor) -> Bool { (a.xid, a.id) < (b.xid, b.id) }
    }

    public struct Transition: Sendable, Equatable {
        public var cursor: Cursor
        public var run: Int64
        public var at: Double
        public var from: String?
        public var to: String
    }

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

    public init(_ address: Address) {
        client = PostgresClient(
            configuration: .init(
                host: address.host, port: address.port, username: address.user, password: address.password, database: address.database, tls: .disable))
        let client = self.client
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Applies the migrations this database has not seen, in one transaction under an advisory
    /// lock (nodes that start together wait for one another, and each finds the work done);
    /// refuses a database migrated by a newer build. Returns the migrations it applied.
    @discardableResult
    public func migrate() async throws -> [String] {
        do {
            return try await applyMigrations()
        } catch let error as PostgresTransactionError {
            // A refusal from inside the transaction is the refusal, not a transaction's failure.
            if let failure = error.closureError as? StoreFailure { throw failure }
            throw error
        }
    }

    private func applyMigrations() async throws -> [String] {
        try await client.withTransaction(logger: Self.logger) { db in
            try await db.query("SELECT pg_advisory_xact_lock(7215001)", logger: Self.logger)
            try await db.query("CREATE TABLE IF NOT EXISTS schema_migrations (identifier TEXT PRIMARY KEY)", logger: Self.logger)
            var done = Set<String>()
            for try await id in try await db.query("SELECT identifier FROM schema_migrations", logger: Self.logger).decode(String.self) { done.insert(id) }
            let known = Set(PostgresSchema.migrations.map(\.0))
            if let unknown = done.subtracting(known).sorted().first {
                throw StoreFailure(.newerSchema, "the run store was migrated by a newer orchestrator (\(unknown)); upgrade this binary")
            }
            var applied: [String] = []
            for (id, sql) in PostgresSchema.migrations where !done.contains(id) {
                // One statement a message (the extended protocol takes no more); the schema's
                // statements end at a line's semicolon and hold none inside.
                for statement in sql.components(separatedBy: ";\n") {
                    let text = statement.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
                    if !text.isEmpty { try await db.query(PostgresQuery(unsafeSQL: text), logger: Self.logger) }
                }
                var binds = PostgresBindings()
                binds.append(id)
                try await db.query(PostgresQuery(unsafeSQL: "INSERT INTO schema_migrations (identifier) VALUES ($1)", binds: binds), logger: Self.logger)
                applied.append(id)
            }
            return applied
        }
    }

    /// The run that owns the slot now, if this call claimed it; nil when another node (or an
    /// earlier call) had.
    public func claimSlot(job: String, tradingDay: String, scheduledFor: Double, trigger: String, state: String, now: Double) async throws -> Int64? {
        var binds = PostgresBindings()
        binds.append(job)
        binds.append(tradingDay)
        binds.append(scheduledFor)
        binds.append(trigger)
        binds.append(state)
        binds.append(now)
        let rows = try await client.query(PostgresQuery(unsafeSQL: PostgresSchema.claimSlot, binds: binds), logger: Self.logger)
        for try await id in rows.decode(Int64.self) { return id }
        return nil
    }

    /// The run's attempt count after this call started its next attempt; nil when it was no
    /// longer queued or retrying (another node started it).
    public func startAttempt(run: Int64, now: Double) async throws -> Int? {
        var binds = PostgresBindings()
        binds.append(run)
        binds.append(now)
        let rows = try await client.query(PostgresQuery(unsafeSQL: PostgresSchema.startAttempt, binds: binds), logger: Self.logger)
        for try await attempts in rows.decode(Int32.self) { return Int(attempts) }
        return nil
    }

    /// Transitions committed after the cursor (none that a transaction still open could precede).
    public func transitions(after cursor: Cursor) async throws -> [Transition] {
        var binds = PostgresBindings()
        binds.append(String(cursor.xid))
        binds.append(cursor.id)
        let sql = PostgresSchema.transitionsSince.replacingOccurrences(of: "SELECT xid, id,", with: "SELECT xid::text, id,")
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: Self.logger)
        var out: [Transition] = []
        for try await (xid, id, run, at, from, to) in rows.decode((String, Int64, Int64, Double, String?, String).self) {
            out.append(Transition(cursor: Cursor(xid: UInt64(xid) ?? 0, id: id), run: run, at: at, from: from, to: to))
        }
        return out
    }

    static let logger = Logger(label: "orchestrator.store.postgres")
}

import Foundation
import OrchestratorCore
import OrchestratorPostgres
import OrchestratorRuntime
import Synchronization
import TestSupport
import Testing

@Suite("The run store on a real PostgreSQL through postgres-nio: migrations once, slots claimed once by racing nodes, the change cursor", .serialized)
struct PostgresRunStoreTests {
    static func store(_ server: PostgresServer) throws -> PostgresRunStore {
        try PostgresRunStore(try #require(PostgresRunStore.Address(parsing: server.url, environment: [:])))
    }

    /// Runs `body(i)` for each i on threads of its own, all at once; the results in order.
    static func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
        let results = Mutex<[Int: Result<T, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let result = Result { try body(i) }
            results.withLock { $0[i] = result }
        }
        return try (0..<count).map { i in try results.withLock { $0[i]! }.get() }
    }

    @Test("addresses: postgres://user@host:port/db parsed, the password from the environment when the URL has none, never printed; anything else refused")
    func addresses() throws {
        let a = try #require(PostgresRunStore.Address(parsing: "postgres://orch@db.internal:6543/runs", environment: ["PGPASSWORD": "s3cret"]))
        #expect(a.host == "db.internal" && a.port == 6543 && a.user == "orch" && a.database == "runs" && a.password == "s3cret")
        #expect(!a.description.contains("s3cret") && a.description == "postgres://orch@db.internal:6543/runs")
        let b = try #require(PostgresRunStore.Address(parsing: "postgresql://orch:pw@127.0.0.1/runs", environment: [:]))
        #expect(b.port == 5432 && b.password == "pw" && !b.description.contains("pw"))
        for bad in ["var/orchestrator.sqlite", "postgres://127.0.0.1/runs", "postgres://orch@127.0.0.1:5432/", "mysql://orch@h/db"] {
            #expect(PostgresRunStore.Address(parsing: bad, environment: [:]) == nil, "\(bad)")
        }
    }

    @Test("three nodes opening a new database at once: the migrations applied once, under the lock; a database migrated by a newer build refused by code")
    func migrateOnce() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let nodes = try Self.concurrently(3) { _ in try Self.store(server) }
        #expect(try nodes.map { try $0.migrate() } == [[], [], []], "every node finds the work done")
        let ids = try server.psql("SELECT identifier FROM schema_migrations ORDER BY identifier;").split(separator: "\n").map(String.init)
        #expect(ids == PostgresSchema.migrations.map(\.0))
        try server.psql("INSERT INTO schema_migrations (identifier) VALUES ('v99 from the future');")
        for readingOnly in [false, true] {
            do {
                _ = try PostgresRunStore(try #require(PostgresRunStore.Address(parsing: server.url, environment: [:])), readingOnly: readingOnly)
                Issue.record("a newer database was opened")
            } catch let error as StoreFailure {
                #expect(error.code == .newerSchema && error.description.contains("v99"), "\(error)")
            }
        }
    }

    @Test("a reader on a database the orchestrator never used, or a server that is not there: one line, by code, no password")
    func unavailable() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        do {
            _ = try PostgresRunStore(try #require(PostgresRunStore.Address(parsing: server.url, environment: [:])), readingOnly: true)
            Issue.record("an empty database was read")
        } catch let error as StoreFailure {
            #expect(error.code == .unavailable && error.description.contains("no run store"), "\(error)")
        }
        let port = try FreePort.pick()
        do {
            _ = try PostgresRunStore(try #require(PostgresRunStore.Address(parsing: "postgres://orch:hunter2@127.0.0.1:\(port)/runs", environment: [:])))
            Issue.record("a closed port was opened")
        } catch let error as StoreFailure {
            #expect(error.code == .unavailable && error.description.contains("127.0.0.1:\(port)") && !error.description.contains("hunter2"), "\(error)")
        }
        #expect(throws: StoreFailure.self) { try PostgresRunStore(parsing: "postgres://nobody-at-all/") }
    }

    @Test("four nodes claiming the same 250 slots concurrently: each slot claimed by exactly one; then each claimed run started once")
    func claimAndStartOnce() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let nodes = try (0..<4).map { _ in try Self.store(server) }
        let claims = try Self.concurrently(4) { n in
            try (0..<250).compactMap { i in
                try nodes[n].claimSlot(
                    job: "parameter-discovery", tradingDay: "2026-12-07", scheduledFor: 1_796_000_000 + Double(i) * 900, trigger: .schedule, state: .queued,
                    now: 1_796_000_000)?.id
            }
        }
        let all = claims.flatMap { $0 }
        #expect(all.count == 250 && Set(all).count == 250, "claims per node: \(claims.map(\.count))")
        let starts = try Self.concurrently(4) { n in
            try all.shuffled().filter { id in try nodes[n].startAttempt(run: id, log: "x.log", now: 1_796_000_100) != nil }.count
        }
        #expect(starts.reduce(0, +) == 250, "\(starts)")
        #expect(try server.psql("SELECT count(*) FROM run WHERE attempts = 1;").trimmingCharacters(in: .whitespacesAndNewlines) == "250")
        #expect(try server.psql("SELECT count(*) FROM attempt;").trimmingCharacters(in: .whitespacesAndNewlines) == "250")
    }

    @Test(
        "the change cursor: a transition whose transaction is still open holds back those committed after it; once it commits, all come in order and none twice"
    )
    func cursor() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let store = try Self.store(server)
        let run = try #require(try store.claimSlot(job: "moc", tradingDay: "2026-12-07", scheduledFor: 1, trigger: .schedule, state: .queued, now: 1)?.id)
        var seen = try store.transitions(after: .start)
        #expect(seen.map(\.to) == ["queued"])
        var cursor = seen.last!.cursor
        let early = try server.session()
        defer { early.close() }
        _ = early.send("BEGIN; INSERT INTO transition (run_id, at, from_state, to_state) VALUES (\(run), 2, 'queued', 'running');")
        try server.psql("INSERT INTO transition (run_id, at, from_state, to_state) VALUES (\(run), 3, 'running', 'succeeded');")
        #expect(try store.transitions(after: cursor).isEmpty, "nothing passes the open transaction")
        let (_, held) = try store.read { tx in try tx.schedulerRuns(changedAfter: .start) }
        _ = early.send("COMMIT;")
        seen = try store.transitions(after: cursor)
        #expect(seen.map(\.to) == ["running", "succeeded"] && seen.map(\.at) == [2, 3])
        cursor = seen.last!.cursor
        #expect(try store.transitions(after: cursor).isEmpty)
        // The scheduler's cursor, taken while the early transaction was open, reads its run again.
        #expect(try store.read { tx in try tx.schedulerRuns(changedAfter: held) }.runs.map(\.id) == [run])
    }

    @Test(
        "a node paused inside a transaction past the server's idle timeout, or kept waiting past the statement timeout on a lock another session holds, fails in a way a node waits out (unavailable, locked); its next call works"
    )
    func pausesAreWaitedOut() throws {
        let server = try PostgresServer.shared()
        let address = try server.newDatabase()
        let store = try PostgresRunStore(parsing: address)
        do {
            try store.transaction { tx in
                _ = try tx.claimSlot(job: "a", tradingDay: "2026-12-07", scheduledFor: 1, trigger: .schedule, state: .queued, now: 1, reason: nil)
                // idle_in_transaction_session_timeout is 2 s: the server ends the session meanwhile.
                Thread.sleep(forTimeInterval: 2.6)
                _ = try tx.claimSlot(job: "a", tradingDay: "2026-12-07", scheduledFor: 2, trigger: .schedule, state: .queued, now: 1, reason: nil)
            }
            Issue.record("the server should have ended the idle transaction")
        } catch let failure as StoreFailure {
            #expect(failure.code == .unavailable, "\(failure)")
        }
        #expect(
            try store.claimSlot(job: "a", tradingDay: "2026-12-07", scheduledFor: 1, trigger: .schedule, state: .queued, now: 1) != nil,
            "the ended transaction committed nothing")
        let holder = try server.session(database: address)
        defer { holder.close() }
        _ = holder.send("SELECT pg_advisory_lock(7215002);")
        let started = Date()
        do {
            try store.transaction { tx in try tx.lockScheduling() }
            Issue.record("the scheduling lock is held by another session")
        } catch let failure as StoreFailure {
            #expect(failure.code == .locked, "\(failure)")
        }
        #expect(Date().timeIntervalSince(started) < 4, "statement_timeout (3 s) bounds the wait")
        _ = holder.send("SELECT pg_advisory_unlock(7215002);")
        try store.transaction { tx in try tx.lockScheduling() }
    }
}

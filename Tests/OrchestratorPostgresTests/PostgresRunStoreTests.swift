import Foundation
import OrchestratorPostgres
import OrchestratorRuntime
import TestSupport
import Testing

@Suite("The run store on a real PostgreSQL through postgres-nio: migrations once, slots claimed once by racing nodes, the change cursor", .serialized)
struct PostgresRunStoreTests {
    static func store(_ server: PostgresServer) throws -> PostgresRunStore {
        PostgresRunStore(try #require(PostgresRunStore.Address(parsing: server.url, environment: [:])))
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

    @Test("three nodes migrating at once: the migrations applied once, in one transaction; a database migrated by a newer build refused by code")
    func migrateOnce() async throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let nodes = try (0..<3).map { _ in try Self.store(server) }
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for node in nodes { group.addTask { try await node.migrate() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(applied.filter { !$0.isEmpty } == [PostgresSchema.migrations.map(\.0)], "\(applied)")
        try server.psql("INSERT INTO schema_migrations (identifier) VALUES ('v99 from the future');")
        await #expect(throws: StoreFailure.self) { try await nodes[0].migrate() }
        do { try await nodes[0].migrate() } catch let failure as StoreFailure {
            #expect(failure.code == .newerSchema && failure.description.contains("v99"))
        }
    }

    @Test("four nodes claiming the same 250 slots concurrently: each slot claimed by exactly one; then each claimed run started once")
    func claimAndStartOnce() async throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let nodes = try (0..<4).map { _ in try Self.store(server) }
        try await nodes[0].migrate()
        let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for node in nodes {
                group.addTask {
                    var mine: [Int64] = []
                    for i in 0..<250 {
                        if let id = try await node.claimSlot(
                            job: "parameter-discovery", tradingDay: "2026-12-07", scheduledFor: 1_796_000_000 + Double(i) * 900, trigger: "schedule",
                            state: "queued",
                            now: 1_796_000_000)
                        {
                            mine.append(id)
                        }
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let all = claims.flatMap { $0 }
        #expect(all.count == 250 && Set(all).count == 250, "claims per node: \(claims.map(\.count))")
        let starts = try await withThrowingTaskGroup(of: Int.self) { group in
            for node in nodes {
                group.addTask {
                    var started = 0
                    for id in all.shuffled() where try await node.startAttempt(run: id, now: 1_796_000_100) != nil { started += 1 }
                    return started
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(starts == 250)
        #expect(try server.psql("SELECT count(*) FROM run WHERE attempts = 1;").trimmingCharacters(in: .whitespacesAndNewlines) == "250")
    }

    @Test(
        "the change cursor: a transition whose transaction is still open holds back those committed after it; once it commits, all come in order and none twice"
    )
    func cursor() async throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let store = try Self.store(server)
        try await store.migrate()
        let run = try #require(try await store.claimSlot(job: "moc", tradingDay: "2026-12-07", scheduledFor: 1, trigger: "schedule", state: "queued", now: 1))
        var seen = try await store.transitions(after: .start)
        #expect(seen.map(\.to) == ["queued"])
        var cursor = seen.last!.cursor
        let early = try server.session()
        defer { early.close() }
        _ = early.send("BEGIN; INSERT INTO transition (run_id, at, from_state, to_state) VALUES (\(run), 2, 'queued', 'running');")
        _ = try await store.startAttempt(run: run, now: 2)
        try server.psql("INSERT INTO transition (run_id, at, from_state, to_state) VALUES (\(run), 3, 'running', 'succeeded');")
        #expect(try await store.transitions(after: cursor).isEmpty, "nothing passes the open transaction")
        _ = early.send("COMMIT;")
        seen = try await store.transitions(after: cursor)
        #expect(seen.map(\.to) == ["running", "succeeded"] && seen.map(\.at) == [2, 3])
        cursor = seen.last!.cursor
        #expect(try await store.transitions(after: cursor).isEmpty)
    }
}

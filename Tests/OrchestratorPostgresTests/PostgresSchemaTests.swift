import Foundation
import OrchestratorPostgres
import TestSupport
import Testing

/// Issue 21's first slice: the store's schema and coordinating statements on a real PostgreSQL,
/// checked through psql sessions racing each other — what several orchestrator nodes will rely
/// on before any Swift client speaks to it.
@Suite("The run store's schema on a real PostgreSQL: slots claimed once, attempts started once, a change cursor that skips nothing", .serialized)
struct PostgresSchemaTests {
    static func server() throws -> PostgresServer {
        let server = try PostgresServer()
        try server.psql(PostgresSchema.install)
        return server
    }

    /// psql's PREPARE of a statement with $n parameters.
    static func prepare(_ name: String, _ types: String, _ sql: String) -> String {
        "PREPARE \(name)(\(types)) AS \(sql);\n"
    }

    @Test("a new database takes the schema and records its migrations")
    func migrations() throws {
        let server = try Self.server()
        defer { server.stop() }
        let ids = try server.psql("SELECT identifier FROM schema_migrations ORDER BY identifier;").split(separator: "\n").map(String.init)
        #expect(ids == PostgresSchema.migrations.map(\.0))
        let tables = try server.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public';")
        #expect(tables.trimmingCharacters(in: .whitespacesAndNewlines) == "attempt,lease,meta,node,run,schema_migrations,service,service_event,transition")
    }

    @Test("two sessions racing to claim the same 300 slots: each slot claimed by exactly one, with one first transition, and no error for the loser")
    func claimsOnce() throws {
        let server = try Self.server()
        defer { server.stop() }
        var script = Self.prepare("claim", "text, text, float8, text, text, float8", PostgresSchema.claimSlot)
        for i in 0..<300 { script += "EXECUTE claim('moc', '2026-12-07', \(1_796_000_000 + i * 60), 'schedule', 'queued', 1796000000);\n" }
        let sql = script
        let a = try server.session(), b = try server.session()
        // Both sessions take the whole script at once: their claims interleave.
        let group = DispatchGroup()
        nonisolated(unsafe) var won: [[String]] = [[], []]
        for (i, s) in [a, b].enumerated() {
            group.enter()
            DispatchQueue.global().async {
                won[i] = s.send(sql).split(separator: "\n").map(String.init)
                group.leave()
            }
        }
        group.wait()
        a.close()
        b.close()
        let all = won[0] + won[1]
        #expect(all.count == 300 && Set(all).count == 300, "\(won[0].count) + \(won[1].count) claims")
        #expect(try server.psql("SELECT count(*), count(DISTINCT scheduled_for) FROM run;").trimmingCharacters(in: .whitespacesAndNewlines) == "300|300")
        #expect(try server.psql("SELECT count(*) FROM transition WHERE from_state IS NULL;").trimmingCharacters(in: .whitespacesAndNewlines) == "300")
    }

    @Test("two sessions starting the same 300 queued runs under READ COMMITTED: each run started once")
    func startsOnce() throws {
        let server = try Self.server()
        defer { server.stop() }
        try server.psql(
            "INSERT INTO run (job, trading_day, scheduled_for, trigger, state, created_at) SELECT 'discovery', '2026-12-07', g * 900, 'schedule', 'queued', 1 FROM generate_series(1, 300) g;"
        )
        var script = Self.prepare("start", "bigint, float8", PostgresSchema.startAttempt)
        for id in 1...300 { script += "EXECUTE start(\(id), 2);\n" }
        let sql = script
        let a = try server.session(), b = try server.session()
        let group = DispatchGroup()
        nonisolated(unsafe) var started: [Int] = [0, 0]
        for (i, s) in [a, b].enumerated() {
            group.enter()
            DispatchQueue.global().async {
                started[i] = s.send(sql).split(separator: "\n").count
                group.leave()
            }
        }
        group.wait()
        a.close()
        b.close()
        #expect(started[0] + started[1] == 300, "\(started)")
        #expect(try server.psql("SELECT count(*) FROM run WHERE attempts = 1 AND state = 'running';").trimmingCharacters(in: .whitespacesAndNewlines) == "300")
    }

    @Test(
        "a transition whose transaction commits after a later one's is not skipped: the cursor waits for the older transaction, then reads both in commit-safe order"
    )
    func cursorSkipsNothing() throws {
        let server = try Self.server()
        defer { server.stop() }
        try server.psql("INSERT INTO run (job, trading_day, trigger, state, created_at) VALUES ('a', '2026-12-07', 'manual', 'queued', 1);")
        let early = try server.session(), late = try server.session(), reader = try server.session()
        defer {
            early.close()
            late.close()
            reader.close()
        }
        // The early transaction takes id 1 and stays open; the late one takes id 2 and commits.
        _ = early.send("BEGIN; INSERT INTO transition (run_id, at, to_state) VALUES (1, 10, 'running');")
        _ = late.send("INSERT INTO transition (run_id, at, to_state) VALUES (1, 11, 'succeeded');")
        let read = Self.prepare("since", "xid8, bigint", PostgresSchema.transitionsSince)
        _ = reader.send(read)
        let whileOpen = reader.send("EXECUTE since('0', 0);")
        #expect(whileOpen.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "a reader by id would have taken 2 and skipped 1 for ever: \(whileOpen)")
        _ = early.send("COMMIT;")
        let after = reader.send("EXECUTE since('0', 0);").split(separator: "\n").map { $0.split(separator: "|")[1] }
        #expect(after == ["1", "2"], "\(after)")
    }
}

import Foundation
import OrchestratorCore
import TestSupport
import Testing

/// The engine on a PostgreSQL store: the same day of real processes as on SQLite, with the
/// outcomes written by orchestrator-attempt-pq.
@Suite("The engine on a PostgreSQL run store", .serialized)
struct PostgresEngineTests {
    let cli = CLITests()

    /// The demo day's workspace with its store on `database`, and its Redis on a free port
    /// rather than the demo's 6390 (the SQLite demo day of EngineTests may be running beside it).
    func demo(_ dir: String, database: String) throws -> [String] {
        let root = CLITests.root + "/examples/demo"
        let port = String(try FreePort.pick())
        var config = try String(contentsOfFile: root + "/config.yaml", encoding: .utf8)
        config = config.replacingOccurrences(of: "var/demo/orchestrator.sqlite", with: database).replacingOccurrences(of: "var/demo/", with: dir + "/")
        try config.replacingOccurrences(of: "6390", with: port).write(toFile: dir + "/config.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/jobs", withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: root + "/jobs") {
            let text = try String(contentsOfFile: root + "/jobs/" + file, encoding: .utf8)
            try text.replacingOccurrences(of: "6390", with: port).replacingOccurrences(of: "var/demo/", with: dir + "/").write(
                toFile: dir + "/jobs/" + file, atomically: true, encoding: .utf8)
        }
        return ["--config", dir + "/config.yaml", "--jobs", dir + "/jobs"]
    }

    @Test("run-day runs the demo day on PostgreSQL as on SQLite: every run succeeded, the retry recorded, and history, show and logs read it back")
    func runDayOnPostgres() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let dir = try cli.scratch([:])
        let args = try demo(dir, database: server.url)
        let first = try cli.run(["run-day", "--date", "2026-11-27", "--speed", "3600", "--from", "06:55", "--json"] + args)
        #expect(first.status == 0, "\(first.stderr)")
        let all = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [[String: Any]])
        let runs = all.filter { !["redis", "ingestion"].contains($0["job"] as? String ?? "") }
        #expect(runs.count == 22 && all.count == 24)
        #expect(all.allSatisfy { $0["state"] as? String == "succeeded" }, "\(all.map { "\($0["job"]!) \($0["state"]!)" })")
        let analysis = try #require(runs.first { $0["job"] as? String == "morning-analysis" })
        #expect(analysis["attempts"] as? Int == 2, "it fails its first attempt and is retried")
        // The outcomes were written by the libpq supervisor: every attempt has its pid and end.
        let open = try server.psql("SELECT count(*) FROM attempt WHERE outcome = 'running' OR finished_at IS NULL OR pid IS NULL;")
        #expect(open.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let id = try #require(analysis["id"] as? String)
        let show = try #require(try JSONSerialization.jsonObject(with: Data(try cli.run(["show", id, "--json"] + args).stdout.utf8)) as? [String: Any])
        #expect((show["attempts_detail"] as? [[String: Any]])?.map { $0["exit_code"] as? Int } == [1, 0])
        #expect(try cli.run(["logs", id] + args).stdout == "attempt 2\n")
        let history = try cli.run(["history", "morning-analysis", "--day", "2026-11-27", "--json"] + args)
        #expect((try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])?.count == 1)
        // A second day resumed at 16:55 repeats no slot.
        let again = try cli.run(["run-day", "--date", "2026-11-27", "--speed", "3600", "--from", "16:55", "--json"] + args)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [[String: Any]])
        #expect(second.filter { !["redis", "ingestion"].contains($0["job"] as? String ?? "") }.count == 22)
    }

    /// A run with its first attempt started on `server`'s store, through psql (the schema from
    /// a first `orchestrator history`, which migrates it).
    func startedAttempt(_ server: PostgresServer, _ dir: String) throws -> Int64 {
        _ = try cli.run(["history"] + (try demo(dir, database: server.url)))
        let id = try server.psql(
            """
            INSERT INTO run (job, trading_day, trigger, state, attempts, created_at) VALUES ('t', '2026-11-27', 'manual', 'running', 1, 0) RETURNING id;
            """
        ).split(separator: "\n").first.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        let run = try #require(id)
        try server.psql("INSERT INTO attempt (run_id, number, started_at, outcome, log) VALUES (\(run), 1, 0, 'running', '\(dir)/t.log');")
        return run
    }

    func supervisor(_ server: PostgresServer, run: Int64, dir: String, _ argv: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: AttemptSupervisorPath.pq)
        p.arguments = ["--store", server.url, "--run", String(run), "--attempt", "1", "--log", dir + "/t.log", "--"] + argv
        try p.run()
        return p
    }

    @Test("orchestrator-attempt-pq records the job's exit code, signal and pid in PostgreSQL itself")
    func libpqSupervisorRecords() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let dir = try cli.scratch([:])
        let run = try startedAttempt(server, dir)
        let p = try supervisor(server, run: run, dir: dir, ["/bin/sh", "-c", "echo working; exit 3"])
        p.waitUntilExit()
        #expect(p.terminationStatus == 3)
        let row = try server.psql("SELECT outcome, exit_code, signal IS NULL, pid > 0, finished_at > 0 FROM attempt WHERE run_id = \(run);")
        #expect(row.trimmingCharacters(in: .whitespacesAndNewlines) == "failed|3|t|t|t", "\(row)")
        #expect(try String(contentsOfFile: dir + "/t.log", encoding: .utf8).contains("working"))
    }

    @Test(
        "orchestrator-attempt-pq keeps an outcome through a PostgreSQL crash: the job ends while the server is down, and the outcome is written once it is back"
    )
    func libpqSupervisorOutlastsServerCrash() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let dir = try cli.scratch([:])
        let run = try startedAttempt(server, dir)
        let p = try supervisor(server, run: run, dir: dir, ["/bin/sh", "-c", "sleep 0.5; exit 0"])
        usleep(200_000)
        try server.restart(down: 2)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(try server.psql("SELECT outcome FROM attempt WHERE run_id = \(run);").trimmingCharacters(in: .whitespacesAndNewlines) == "succeeded")
        let log = try String(contentsOfFile: dir + "/t.log", encoding: .utf8)
        #expect(log.contains("cannot be reached") && log.contains("recorded after"), "\(log)")
    }

    @Test("a PostgreSQL store that cannot be reached: exit 2, one line naming the address, never the password")
    func unreachable() throws {
        let port = try FreePort.pick()
        let dir = try cli.scratch([:])
        let args = try demo(dir, database: "postgres://orch:hunter2@127.0.0.1:\(port)/runs")
        let r = try cli.run(["history"] + args)
        #expect(r.status == 2 && r.stderr.contains("127.0.0.1:\(port)") && !r.stderr.contains("hunter2"), "\(r.stderr)")
        let missing = try cli.run(["history"] + args, environment: ["PGPASSWORD": "s3cret"])
        #expect(!missing.stderr.contains("s3cret"))
    }
}

enum AttemptSupervisorPath {
    static let pq = URL(fileURLWithPath: CLITests.binary).deletingLastPathComponent().appendingPathComponent("orchestrator-attempt-pq").path
}

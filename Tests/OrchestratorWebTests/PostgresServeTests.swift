import Foundation
import OrchestratorCore
import OrchestratorPostgres
import OrchestratorRuntime
import TestSupport
import Testing

/// serve over a PostgreSQL store (issue 21): the same pages and API, read only.
@Suite("orchestrator serve on a PostgreSQL run store", .serialized)
struct PostgresServeTests {
    @Test(
        "serve reads a PostgreSQL store: the API lists its runs, a run's attempts carry their node, the run page shows it, /metrics counts it, nothing is written"
    )
    func serveOnPostgres() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let store = try PostgresRunStore(parsing: server.url, node: "trader-1")
        let day = "2026-11-25"
        let run = try store.createRun(job: "moc", tradingDay: day, trigger: .manual, state: .queued, now: 1_795_618_800)
        _ = try store.startAttempt(run: run.id!, log: "/tmp/none.log", now: 1_795_618_801)
        _ = try store.recordExit(run: run.id!, attempt: 1, exitCode: 0, signal: nil, outcome: .succeeded, now: 1_795_618_802)
        try store.transition(run: run.id!, to: .succeeded, now: 1_795_618_802)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serve-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/jobs", withIntermediateDirectories: true)
        try "database: \(server.url)\nlogs: \(dir)/logs\n".write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        try "jobs:\n  moc: { shell: 'true' }\n".write(toFile: dir + "/jobs/j.yaml", atomically: true, encoding: .utf8)
        let web = try LiveServer("orchestrator-web 127.0.0.1 PORT \(dir)/c.yaml \(dir)/jobs")
        defer { web.stop() }
        func fetch(_ path: String) -> String {
            guard let http = try? RawHTTP(port: web.port) else { return "" }
            defer { http.close() }
            http.get(path, headers: "Connection: close\r\n")
            return http.read(until: { _ in false }, seconds: 3)
        }
        let runs = fetch("/api/runs?limit=5")
        #expect(runs.contains("200 OK") && runs.contains("\"job\": \"moc\"") && runs.contains("\"state\": \"succeeded\""), "\(runs.prefix(600))")
        let page = fetch("/runs/\(run.id!)")
        #expect(page.contains("200 OK") && page.contains("moc"))
        let detail = fetch("/api/runs/\(run.id!)")
        #expect(detail.contains("\"node\": \"trader-1\""), "\(detail.prefix(800))")
        let metrics = fetch("/metrics")
        #expect(metrics.contains("orchestrator_runs_total{job=\"moc\",state=\"succeeded\"} 1"), "\(metrics.prefix(1200))")
        // Read only: serve's session cannot write.
        #expect(try server.psql("SELECT count(*) FROM run;").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }
}

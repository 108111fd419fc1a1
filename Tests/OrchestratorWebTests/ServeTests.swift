import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import OrchestratorCore
import OrchestratorRuntime
import OrchestratorWeb
import Testing

@Suite("orchestrator serve: /metrics and the JSON API over a real store, read-only; the token; a store that cannot be read", .serialized)
struct ServeTests {
    /// A store with a succeeded scheduled run of `a` (started 0.5 s after its slot, 2 s long)
    /// and a failed one of `b` (0.1 s late).
    static func store() throws -> String {
        let path = NSTemporaryDirectory() + "serve-\(UUID().uuidString).sqlite"
        let store = try SQLiteRunStore(path: path)
        for (job, slot, late, length, ok) in [("a", 1_000.0, 0.5, 2.0, true), ("b", 2_000.0, 0.1, 1.0, false)] {
            let run = try #require(try store.claimSlot(job: job, tradingDay: "2026-12-07", scheduledFor: slot, trigger: .schedule, state: .queued, now: slot))
            _ = try #require(try store.startAttempt(run: run.id!, log: "var/logs/\(job)/1.log", now: slot + late))
            _ = try store.recordExit(run: run.id!, attempt: 1, exitCode: ok ? 0 : 3, signal: nil, outcome: ok ? .succeeded : .failed, now: slot + late + length)
            try store.transition(
                run: run.id!, to: ok ? .succeeded : .failed, now: slot + late + length, reason: ok ? "exit 0" : "exit 3", exitCode: .some(ok ? 0 : 3))
        }
        return path
    }

    static func digest(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test(
        "/metrics: runs by job and final state, attempt durations and scheduler lag as histograms, in Prometheus's text format; promtool finds nothing to fix")
    func metrics() async throws {
        let path = try Self.store()
        let before = Self.digest(path)
        let app = Application(router: WebServer.router(WebState(storePath: path, workspace: nil), token: nil))
        let text = try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                return String(buffer: response.body)
            }
        }
        #expect(text.contains("orchestrator_runs_total{job=\"a\",state=\"succeeded\"} 1\n"))
        #expect(text.contains("orchestrator_runs_total{job=\"b\",state=\"failed\"} 1\n"))
        #expect(text.contains("orchestrator_attempt_duration_seconds_bucket{job=\"a\",le=\"1\"} 0\n"))
        #expect(text.contains("orchestrator_attempt_duration_seconds_bucket{job=\"a\",le=\"2.5\"} 1\n"))
        #expect(text.contains("orchestrator_attempt_duration_seconds_sum{job=\"a\"} 2\n"))
        #expect(text.contains("orchestrator_scheduler_lag_seconds_bucket{le=\"0.1\"} 1\n") && text.contains("orchestrator_scheduler_lag_seconds_count 2\n"))
        #expect(!text.contains("\norchestrator_daemon_heartbeat_timestamp_seconds "), "no daemon alive: the gauge is absent")
        #expect(Self.digest(path) == before, "the store is never written")
        let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let tool = try #require(promtool, "promtool is not installed (scripts/install-deps.sh --tests installs Debian's prometheus)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = output
        try p.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0 && said.isEmpty, "promtool: \(said)")
    }

    @Test("/api/runs with filters, /api/runs/ID with attempts, /api/status; bad filters 400, an unknown run 404")
    func api() async throws {
        let path = try Self.store()
        let app = Application(router: WebServer.router(WebState(storePath: path, workspace: nil), token: nil))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/runs?state=failed", method: .get) { response in
                let runs = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [[String: Any]])
                #expect(runs.count == 1 && runs[0]["job"] as? String == "b" && runs[0]["exit_code"] as? Int == 3)
            }
            try await client.execute(uri: "/api/runs?job=a&day=2026-12-07&limit=5", method: .get) { response in
                let runs = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [[String: Any]])
                #expect(runs.map { $0["job"] as? String } == ["a"])
            }
            try await client.execute(uri: "/api/runs/1", method: .get) { response in
                let run = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
                #expect((run["attempts_detail"] as? [[String: Any]])?.first?["outcome"] as? String == "succeeded")
            }
            try await client.execute(uri: "/api/status", method: .get) { response in
                let status = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
                #expect((status["daemon"] as? [String: Any])?["alive"] as? Bool == false)
            }
            for bad in ["/api/runs?limit=0", "/api/runs?state=sleeping", "/api/runs?day=07-12-2026"] {
                try await client.execute(uri: bad, method: .get) { #expect($0.status == .badRequest, "\(bad)") }
            }
            try await client.execute(uri: "/api/runs/999", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test("with a token: 401 without it or with a wrong one (the token never in the answer), 200 with the bearer header or the cookie")
    func token() async throws {
        let path = try Self.store()
        let app = Application(router: WebServer.router(WebState(storePath: path, workspace: nil), token: "s3cret-token"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/runs", method: .get) { response in
                #expect(response.status == .unauthorized && !String(buffer: response.body).contains("s3cret"))
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer s3cret-tokem"]) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer s3cret-token"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/status", method: .get, headers: [.cookie: "theme=dark; orchestrator_token=s3cret-token"]) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test("a missing store and one from a newer build: 503 naming why, not a crash")
    func unavailable() async throws {
        let missing = NSTemporaryDirectory() + "serve-missing-\(UUID().uuidString).sqlite"
        let newer = try Self.store()
        let q = try DatabaseQueue(path: newer)
        try await q.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99 from the future')") }
        try q.close()
        for (path, says) in [(missing, "no run store"), (newer, "newer orchestrator")] {
            let app = Application(router: WebServer.router(WebState(storePath: path, workspace: nil), token: nil))
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/runs", method: .get) { response in
                    #expect(response.status == .serviceUnavailable && String(buffer: response.body).contains(says), "\(String(buffer: response.body))")
                }
            }
        }
        #expect(!FileManager.default.fileExists(atPath: missing), "serve creates no store")
    }

    @Test("a store locked by another process (an exclusive lock held past the 5 s busy wait): 503 saying it is locked; served again once released")
    func locked() async throws {
        let path = try Self.store()
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true  // the lock is held across accesses, on purpose
        let holder = try DatabaseQueue(path: path, configuration: configuration)
        try await holder.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
            try db.execute(sql: "BEGIN EXCLUSIVE")
            try db.execute(sql: "UPDATE run SET reason = reason")
        }
        let web = WebState(storePath: path, workspace: nil)
        let app = Application(router: WebServer.router(web, token: nil))
        let (status, body) = try await app.test(.router) { client in
            try await client.execute(uri: "/schedule", method: .get) { ($0.status, String(buffer: $0.body)) }
        }
        #expect(status == .serviceUnavailable && body.contains("locked") && body.contains("The run store cannot be read"), "\(status): \(body.suffix(300))")
        try await holder.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
        try holder.close()
        let again = try await app.test(.router) { client in try await client.execute(uri: "/api/runs", method: .get) { $0.status } }
        #expect(again == .ok)
    }
}

@Suite("The Today page, served and rendered in headless Chromium", .serialized)
struct TodayPageTests {
    static let zone = ZoneRules.named("America/New_York")!
    static func at(_ h: Int64, _ m: Int64) -> Double { Double(zone.instant(of: LocalDate(parsing: "2026-12-07")!, secondsOfDay: h * 3600 + m * 60)) }

    /// A day: premarket-data succeeded (waited 2 minutes for its pool), moc failed, a discovery run
    /// still running, one missed.
    static func store() throws -> String {
        let path = NSTemporaryDirectory() + "today-\(UUID().uuidString).sqlite"
        let store = try SQLiteRunStore(path: path)
        func run(_ job: String, _ slot: Double, wait: Double, length: Double?, final: RunState?) throws {
            let r = try #require(try store.claimSlot(job: job, tradingDay: "2026-12-07", scheduledFor: slot, trigger: .schedule, state: .queued, now: slot))
            if final == .missed {
                try store.transition(run: r.id!, to: .missed, now: slot + 60, reason: "past its deadline")
                return
            }
            _ = try store.startAttempt(run: r.id!, log: "l", now: slot + wait)
            guard let length, let final else { return }
            _ = try store.recordExit(
                run: r.id!, attempt: 1, exitCode: final == .succeeded ? 0 : 1, signal: nil, outcome: final == .succeeded ? .succeeded : .failed,
                now: slot + wait + length)
            try store.transition(run: r.id!, to: final, now: slot + wait + length, reason: final == .succeeded ? "exit 0" : "exit 1")
        }
        try run("premarket-data", at(7, 0), wait: 120, length: 600, final: .succeeded)
        try run("moc", at(15, 50), wait: 1, length: 300, final: .failed)
        try run("parameter-discovery", at(12, 0), wait: 0.5, length: nil, final: nil)
        try run("backup", at(17, 0), wait: 0, length: nil, final: .missed)
        return path
    }

    @Test("GET /?day=: one bar per run coloured by its state, the wait apart, open and close marked, counts and a legend of every state; in Chromium too")
    func today() async throws {
        let path = try Self.store()
        let app = Application(router: WebServer.router(WebState(storePath: path, workspace: nil), token: nil))
        let html = try await app.test(.router) { client in
            try await client.execute(uri: "/?day=2026-12-07", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("text/html") == true)
                return String(buffer: response.body)
            }
        }
        #expect(html.components(separatedBy: "<rect class=\"run ").count - 1 == 4)
        #expect(html.contains("class=\"run failed\"") && html.contains("class=\"run running\"") && html.contains("class=\"run missed\""))
        #expect(html.components(separatedBy: "<rect class=\"wait\"").count - 1 >= 1, "premarket-data waited two minutes")
        #expect(html.contains(">open</text>") && html.contains(">close</text>") && html.contains("Session 09:30–16:00"))
        for state in RunState.allCases { #expect(html.contains("</span>\(state.rawValue)</span>"), "legend: \(state)") }
        #expect(!html.contains("src="), "nothing fetched from elsewhere")
        let page = NSTemporaryDirectory() + "today-\(UUID().uuidString).html"
        try html.write(toFile: page, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: page) }
        let chromium = try #require(["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }, "chromium")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--user-data-dir=" + NSTemporaryDirectory() + "chromium-\(UUID().uuidString)",
            "--dump-dom", "file://" + page,
        ]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(dom.contains("id=\"timeline\"") && dom.components(separatedBy: "class=\"run ").count - 1 == 4 && dom.contains("id=\"legend\""))
        let bad = try await app.test(.router) { client in try await client.execute(uri: "/?day=tomorrow", method: .get) { $0.status } }
        #expect(bad == .badRequest)
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OrchestratorCore
import OrchestratorRuntime
import OrchestratorWeb
import Testing

@Suite(
    "serve's pages: each view as HTML and as the JSON behind it, filters in the URL, logs with permalinks and live follow, 404s, the sign-in link", .serialized)
struct PagesTests {
    static func get(_ app: some ApplicationProtocol, _ uri: String, headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, String, HTTPFields) {
        try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get, headers: headers) { ($0.status, String(buffer: $0.body), $0.headers) }
        }
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text.prefix(300))")
    }

    @Test("every page answers framed by the navigation, carries the change mark that keeps it live, and its /api twin holds the same facts")
    func pagesAndTheirJSON() async throws {
        let fixture = try ServeFixture.make()
        let app = Application(router: WebServer.router(fixture.web, token: nil))
        let cases: [(page: String, api: String, html: [String], json: [String])] = [
            (
                "/?day=2026-12-07", "/api/today?day=2026-12-07",
                ["class=\"run succeeded\"", "class=\"run failed\"", "class=\"attempt failed\"", "class=\"window\"", ">feed</text>"],
                ["\"windows\"", "\"service\": \"feed\""]
            ),
            (
                "/grid?days=3", "/api/grid?days=3", ["id=\"grid\"", "href=\"/jobs/a?day=2026-12-04\"", "class=\"failed\"", "id=\"durations\""],
                ["\"2026-12-03\"", "\"state\": \"failed\""]
            ),
            ("/schedule", "/api/schedule", ["id=\"schedule\"", "market open +5m", "after a"], ["\"schedule\": \"after a\"", "\"last_run\""]),
            (
                "/jobs/a", "/api/jobs/a", ["The first job &lt;of the day&gt;", "id=\"filters\"", "id=\"runs\""],
                ["\"description\": \"The first job <of the day>\""]
            ),
            (
                "/runs/3", "/api/runs/3", ["id=\"attempts\"", "/runs/3/attempts/2/log", "ORCHESTRATOR_PARAM_SYMBOL"],
                ["\"environment\"", "\"attempts_detail\""]
            ),
            ("/services", "/api/services", ["id=\"services\"", "href=\"/services/feed\"", "lag 0.2s"], ["\"name\": \"feed\"", "\"restarts\": 1"]),
            ("/services/feed", "/api/services/feed", ["The market data feed", "4242"], ["\"events\"", "\"pid\": 4242"]),
        ]
        for c in cases {
            let (status, html, headers) = try await Self.get(app, c.page)
            #expect(status == .ok && headers[.contentType]?.hasPrefix("text/html") == true, "\(c.page): \(status)")
            #expect(html.contains("<header><b>orchestrator</b>") && html.contains("<main data-mark=\""), "\(c.page): framed and live")
            for needle in c.html { #expect(html.contains(needle), "\(c.page) lacks \(needle)") }
            #expect(!html.contains("not-for-pages"), "\(c.page): an environment value never shows")
            let (apiStatus, json, _) = try await Self.get(app, c.api)
            #expect(apiStatus == .ok, "\(c.api): \(apiStatus)")
            _ = try JSONSerialization.jsonObject(with: Data(json.utf8))
            for needle in c.json { #expect(json.contains(needle), "\(c.api) lacks \(needle)") }
            #expect(!json.contains("not-for-pages"))
        }
    }

    @Test("the job page's filters are the URL's query (state, trigger, day); a bad one is a 400 page naming it")
    func jobFilters() async throws {
        let fixture = try ServeFixture.make()
        let app = Application(router: WebServer.router(fixture.web, token: nil))
        let (_, failed, _) = try await Self.get(app, "/jobs/a?state=failed")
        #expect(failed.contains("data-run=\"1\"") && !failed.contains("data-run=\"2\""))
        #expect(failed.contains("<option selected>failed</option>"), "the form shows the filter in force")
        let (_, friday, _) = try await Self.get(app, "/jobs/a?day=2026-12-04&trigger=schedule")
        #expect(friday.contains("data-run=\"1\"") && !friday.contains("data-run=\"2\"") && friday.contains("value=\"2026-12-04\""))
        let (_, none, _) = try await Self.get(app, "/jobs/a?trigger=manual")
        #expect(none.contains("id=\"no-runs\""))
        let (status, bad, _) = try await Self.get(app, "/jobs/a?state=sleeping")
        #expect(status == .badRequest && bad.contains("state sleeping: not a run state"))
        let (apiStatus, _, _) = try await Self.get(app, "/api/runs?trigger=cron")
        #expect(apiStatus == .badRequest)
    }

    @Test("unknown runs, jobs, services, attempts and paths: 404 pages (JSON under /api/), never a crash")
    func notFound() async throws {
        let fixture = try ServeFixture.make()
        let app = Application(router: WebServer.router(fixture.web, token: nil))
        for path in ["/runs/999", "/runs/abc", "/jobs/nope", "/services/nope", "/runs/2/attempts/9/log", "/nothing/here"] {
            let (status, html, headers) = try await Self.get(app, path)
            #expect(status == .notFound && headers[.contentType]?.hasPrefix("text/html") == true && html.contains("<h1>Not found</h1>"), "\(path): \(status)")
        }
        for path in ["/api/runs/999", "/api/services/nope", "/api/nothing"] {
            let (status, json, _) = try await Self.get(app, path)
            let problem = try Self.object(json)
            #expect(status == .notFound && problem["error"] != nil, "\(path)")
        }
    }

    @Test(
        "a log page numbers every line with its permalink; the raw log from an offset; a log outside the logs directory (by path or symlink) is refused; traversal in the route is no route"
    )
    func logs() async throws {
        let fixture = try ServeFixture.make()
        let app = Application(router: WebServer.router(fixture.web, token: nil))
        let (status, html, _) = try await Self.get(app, "/runs/2/attempts/1/log")
        #expect(status == .ok)
        #expect(html.contains("<span class=\"l\" id=\"L2\"><a href=\"#L2\">2</a>AAPL: 412 contracts &lt;ok&gt;\n</span>"))
        #expect(html.contains("id=\"L3\"") && !html.contains("id=\"L4\"") && !html.contains("data-follow=\""), "finished: nothing to follow")
        let (_, raw, headers) = try await Self.get(app, "/api/runs/2/attempts/1/log?offset=16")
        #expect(raw == "AAPL: 412 contracts <ok>\ndone in 2.1s\n" && headers[HTTPField.Name("X-Log-Size")!] == "54")
        // A store naming a file outside the logs directory, directly or through a link inside it.
        let store = try SQLiteRunStore(path: fixture.store)
        let outside = try store.createRun(job: "a", tradingDay: "2026-12-07", trigger: .manual, state: .queued, now: 1)
        try FileManager.default.createSymbolicLink(atPath: fixture.logs + "/a/link.log", withDestinationPath: "/etc/passwd")
        for (n, log) in ["/etc/passwd", fixture.logs + "/a/../../../../../../../../etc/passwd", fixture.logs + "/a/link.log"].enumerated() {
            _ = try #require(try store.startAttempt(run: outside.id!, log: log, now: Double(2 + n)))
            _ = try store.recordExit(run: outside.id!, attempt: n + 1, exitCode: 1, signal: nil, outcome: .failed, now: Double(2 + n) + 0.5)
            try store.transition(run: outside.id!, to: .retrying, now: Double(2 + n) + 0.5, reason: "exit 1")
        }
        for n in 1...3 {
            for path in ["/runs/\(outside.id!)/attempts/\(n)/log", "/api/runs/\(outside.id!)/attempts/\(n)/log"] {
                let (status, body, _) = try await Self.get(app, path)
                #expect(status == .forbidden && !body.contains("root:"), "\(path): \(status)")
            }
        }
        for path in ["/runs/2/attempts/..%2F..%2F..%2Fetc%2Fpasswd/log", "/runs/2/attempts/1/../../../../etc/passwd", "/api/runs/2/attempts/-1/log"] {
            let (status, body, _) = try await Self.get(app, path)
            #expect(status == .notFound && !body.contains("root:"), "\(path): \(status)")
        }
    }

    @Test("a running attempt's log followed over server-sent events: each line as it is written, with its offset as id, then 'end' once the attempt ends")
    func followLog() async throws {
        let fixture = try ServeFixture.make()
        let store = try SQLiteRunStore(path: fixture.store)
        let run = try store.createRun(job: "a", tradingDay: "2026-12-07", trigger: .manual, state: .queued, now: Date().timeIntervalSince1970)
        let log = fixture.logs + "/a/follow.log"
        try "first\n".write(toFile: log, atomically: true, encoding: .utf8)
        _ = try store.startAttempt(run: run.id!, log: log, now: Date().timeIntervalSince1970)
        // The real server process: a test's blocking reads never starve it.
        let server = try LiveServer("orchestrator-web 127.0.0.1 PORT \(fixture.dir)/c.yaml \(fixture.dir)/jobs")
        defer { server.stop() }
        do {
            let port = server.port
            let pageClient = try RawHTTP(port: port)
            defer { pageClient.close() }
            pageClient.get("/runs/\(run.id!)/attempts/1/log")
            let page = pageClient.read(until: { $0.contains("</html>") }, seconds: 20)
            #expect(page.contains("data-follow=\"/runs/\(run.id!)/attempts/1/log/events?offset=6\""))
            let stream = try RawHTTP(port: port)
            defer { stream.close() }
            stream.get("/runs/\(run.id!)/attempts/1/log/events?offset=6")
            let head = stream.read(until: { $0.contains("\r\n\r\n") }, seconds: 20)
            #expect(head.contains("200 OK") && head.lowercased().contains("content-type: text/event-stream"))
            let handle = try #require(FileHandle(forWritingAtPath: log))
            handle.seekToEndOfFile()
            handle.write(Data("second line\npartial".utf8))
            let got = stream.read(until: { $0.contains("data: second line") }, seconds: 20)
            #expect(got.contains("id: 18\ndata: second line\n\n"), "\(got)")
            handle.write(Data(" now whole\n".utf8))
            try handle.close()
            #expect(stream.read(until: { $0.contains("partial now whole") }, seconds: 20).contains("id: 36\ndata: partial now whole\n\n"))
            _ = try store.recordExit(run: run.id!, attempt: 1, exitCode: 0, signal: nil, outcome: .succeeded, now: Date().timeIntervalSince1970)
            #expect(stream.read(until: { $0.contains("event: end") }, seconds: 20).contains("event: end\ndata: ended\n\n"))
            // A browser reconnecting says where it was: it gets only what followed.
            let again = try RawHTTP(port: port)
            defer { again.close() }
            again.get("/runs/\(run.id!)/attempts/1/log/events", headers: "Last-Event-ID: 18\r\n")
            let resumed = again.read(until: { $0.contains("event: end") }, seconds: 20)
            #expect(resumed.contains("data: partial now whole") && !resumed.contains("data: second line") && !resumed.contains("data: first"))
        }
    }

    @Test("/api/changes: its mark moves when a run changes state and stays put otherwise")
    func changes() async throws {
        let fixture = try ServeFixture.make()
        let app = Application(router: WebServer.router(fixture.web, token: nil))
        let first = try Self.object(try await Self.get(app, "/api/changes").1)["mark"] as? String
        #expect(first == (try Self.object(try await Self.get(app, "/api/changes").1)["mark"] as? String))
        let store = try SQLiteRunStore(path: fixture.store)
        let run = try store.createRun(job: "a", tradingDay: "2026-12-07", trigger: .manual, state: .queued, now: 1)
        try store.transition(run: run.id!, to: .cancelled, now: 2, reason: "test")
        let second = try Self.object(try await Self.get(app, "/api/changes").1)["mark"] as? String
        #expect(first != nil && second != nil && first != second)
    }

    @Test("the OpenAPI document parses and describes every /api path the pages use")
    func openAPI() async throws {
        let fixture = try ServeFixture.make()
        let app = Application(router: WebServer.router(fixture.web, token: nil))
        let doc = try Self.object(try await Self.get(app, "/api/openapi.json").1)
        #expect(doc["openapi"] as? String == "3.1.0")
        let paths = try #require(doc["paths"] as? [String: Any])
        for path in [
            "/api/changes", "/api/today", "/api/grid", "/api/schedule", "/api/jobs/{name}", "/api/runs", "/api/runs/{id}", "/api/runs/{id}/attempts/{n}/log",
            "/runs/{id}/attempts/{n}/log/events", "/api/services", "/api/services/{name}", "/api/status", "/metrics",
        ] {
            #expect(paths[path] != nil, "\(path) undocumented")
        }
    }

    @Test("with a token: the one-time sign-in link sets the token as an HttpOnly cookie, once; the second use is 401")
    func signInLink() async throws {
        let fixture = try ServeFixture.make()
        let web = fixture.web
        let code = web.login.issue()
        let app = Application(router: WebServer.router(web, token: "tok-123"))
        let (status, _, headers) = try await Self.get(app, "/login?code=\(code)")
        #expect(status == .seeOther && headers[.location] == "/")
        let cookie = try #require(headers[.setCookie])
        #expect(cookie.hasPrefix("orchestrator_token=tok-123;") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        let (again, body, _) = try await Self.get(app, "/login?code=\(code)")
        #expect(again == .unauthorized && !body.contains("tok-123"))
        let (wrong, _, _) = try await Self.get(app, "/login?code=00000000000000000000000000000000")
        #expect(wrong == .unauthorized)
        let (page, _, _) = try await Self.get(app, "/schedule", headers: [.cookie: "orchestrator_token=tok-123"])
        #expect(page == .ok)
    }

    @Test("each page rendered by headless Chromium from the live server, its script run: the DOM holds the view")
    func chromium() async throws {
        let fixture = try ServeFixture.make()
        // The real server process: a test's blocking reads never starve it.
        let server = try LiveServer("orchestrator-web 127.0.0.1 PORT \(fixture.dir)/c.yaml \(fixture.dir)/jobs")
        defer { server.stop() }
        do {
            let port = server.port
            for (path, needles) in [
                ("/?day=2026-12-07", ["id=\"timeline\"", "class=\"window\""]), ("/grid?days=5", ["id=\"grid\""]), ("/schedule", ["id=\"schedule\""]),
                ("/jobs/a?state=succeeded", ["id=\"runs\"", "data-run=\"2\""]), ("/runs/3", ["id=\"attempts\""]), ("/services/feed", ["lag 0.2s"]),
                ("/runs/2/attempts/1/log#L2", ["id=\"L3\""]),
            ] {
                let dom = try Chromium.dom("http://127.0.0.1:\(port)\(path)", extra: ["--virtual-time-budget=3000"])
                for needle in needles { #expect(dom.contains(needle), "\(path): \(needle) not in the DOM (\(dom.count) bytes)") }
            }
        }
    }

    /// The orchestrator executable built beside the tests.
    static var orchestrator: String { Built.directory + "/orchestrator" }

    @Test(
        "live in a browser (Selenium and chromium-driver): a run triggered while Today is open appears, polling pauses while the tab is hidden, an appended log line shows up, a filter goes into the URL, no page is wider than a phone"
    )
    func selenium() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "chromium-driver is not installed (scripts/install-deps.sh --tests)")
        let fixture = try ServeFixture.make()
        let store = try SQLiteRunStore(path: fixture.store)
        let run = try store.createRun(job: "a", tradingDay: "2026-12-07", trigger: .manual, state: .queued, now: Date().timeIntervalSince1970)
        let log = fixture.logs + "/a/live.log"
        try "started\n".write(toFile: log, atomically: true, encoding: .utf8)
        // Started by this process as its engine, so that `orchestrator trigger` (which reconciles
        // attempts whose engine is gone) sees it alive.
        _ = try #require(
            try store.startAttempt(run: run.id!, log: log, now: Date().timeIntervalSince1970, engine: (getpid(), ProcessControl.startTime(of: getpid()))))
        // The real server process: a test's blocking reads never starve it.
        let server = try LiveServer("orchestrator-web 127.0.0.1 PORT \(fixture.dir)/c.yaml \(fixture.dir)/jobs")
        defer { server.stop() }
        do {
            let port = server.port
            let output = fixture.dir + "/selenium.out"
            FileManager.default.createFile(atPath: output, contents: nil)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            p.arguments = [
                "Tests/browser/serve_live.py", "--url", "http://127.0.0.1:\(port)", "--orchestrator", Self.orchestrator,
                "--config", fixture.dir + "/c.yaml", "--jobs", fixture.dir + "/jobs", "--log", log, "--log-page", "/runs/\(run.id!)/attempts/1/log",
            ]
            p.standardOutput = FileHandle(forWritingAtPath: output)
            p.standardError = p.standardOutput
            // Waited for without holding a thread of the pool that serves the browser's requests.
            let status: Int32 = try await withCheckedThrowingContinuation { done in
                p.terminationHandler = { done.resume(returning: $0.terminationStatus) }
                do { try p.run() } catch { done.resume(throwing: error) }
            }
            let said = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            #expect(status == 0, "\(said)")
            #expect(said.components(separatedBy: "\nok: ").count + (said.hasPrefix("ok: ") ? 1 : 0) - 1 == 5, "\(said)")
        }
    }
}

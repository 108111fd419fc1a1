import Foundation
public import Hummingbird
public import OrchestratorCore
public import OrchestratorRuntime
import Synchronization

/// `orchestrator serve`: the read-only API and `/metrics` over the run store (SPEC §9). Its own
/// read-only connection (`RunStore(readingOnly:)`): nothing it serves can write the store. A
/// store that cannot be opened (missing, locked, from a newer build) is an HTTP 503 naming why,
/// never a crash; the next request tries again.
public final class WebState: Sendable {
    let storePath: String
    let workspace: Workspace?
    private let store = Mutex<RunStore?>(nil)
    private let aggregator = Mutex(MetricsAggregator())

    public init(storePath: String, workspace: Workspace?) {
        self.storePath = storePath
        self.workspace = workspace
    }

    struct Unavailable: Error, CustomStringConvertible { let description: String }

    func openStore() throws -> RunStore {
        if let open = store.withLock({ $0 }) { return open }
        do {
            let opened = try RunStore(readingOnly: storePath)
            store.withLock { $0 = opened }
            return opened
        } catch {
            throw Unavailable(description: error.description)
        }
    }

    /// The exposition: new transitions folded in, the gauges read now.
    func metrics() throws -> String {
        let store = try openStore()
        let events = try aggregatorCursor().map { try store.transitions(after: $0, limit: 50_000) } ?? []
        var snapshot = aggregator.withLock { a in
            a.fold(events)
            return a
        }
        // More than one batch behind (the first scrape of a large store): fold the rest.
        if events.count == 50_000 {
            try snapshot.catchUp(store)
            aggregator.withLock { a in if snapshot.cursor > a.cursor { a = snapshot } }
        }
        var pools: [(String, Int, Int)] = []
        if let workspace, !workspace.config.pools.isEmpty {
            // Running runs through the index of active ones (not a scan of every attempt).
            let runs = try store.activeRuns().filter { $0.state == .running }
            for (name, size) in workspace.config.pools.sorted(by: { $0.key < $1.key }) {
                let used = runs.filter { workspace.jobs[$0.job]?.pool == name }.count
                pools.append((name, size, used))
            }
        }
        let gauges = MetricsGauges(services: try store.services(), heartbeat: Daemon.liveDaemon(store)?.heartbeat, pools: pools)
        return PrometheusText.render(snapshot, gauges)
    }

    private func aggregatorCursor() -> Int64? { aggregator.withLock { $0.cursor } }
}

public enum WebServer {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: value.serialized(pretty: true) + "\n")))
    }

    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(.object([("error", .string(message))]), status: status)
    }

    /// A store that cannot be read answers 503 with why; anything else the handler threw, 500.
    static func guarded(_ body: () throws -> Response) -> Response {
        do { return try body() } catch let error as WebState.Unavailable {
            return problem(.serviceUnavailable, error.description)
        } catch {
            return problem(.internalServerError, "\(error)")
        }
    }

    /// The routes, behind the token when one is set.
    public static func router(_ web: WebState, token: String?) -> Router<BasicRequestContext> {
        let router = Router()
        if let token { router.add(middleware: TokenMiddleware(token: token)) }
        router.get("/metrics") { _, _ -> Response in
            guarded {
                let text = try web.metrics()
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
            }
        }
        router.get("/") { request, _ -> Response in
            let config = web.workspace?.config ?? Config.defaults
            let zone = ZoneRules.of(config.timeZone)
            let now = Date().timeIntervalSince1970
            var day = zone.localDate(of: Int64(now))
            if let text = request.uri.queryParameters.get("day") {
                guard let d = LocalDate(parsing: text) else { return problem(.badRequest, "day \(text): expected YYYY-MM-DD") }
                day = d
            }
            return guarded {
                let runs = try web.openStore().runs(tradingDays: [day.description])
                let session = try? config.calendar.session(on: day)
                let html = TodayPage.html(
                    day: day, runs: runs, session: session ?? nil, closure: config.calendar.closureReason(on: day) ?? (day.isWeekend ? "a weekend" : nil),
                    now: now, zone: zone)
                return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
            }
        }
        router.get("/api/runs") { request, _ -> Response in
            let q = request.uri.queryParameters
            var limit = 50
            if let text = q.get("limit") {
                guard let n = Int(text), (1...10_000).contains(n) else { return problem(.badRequest, "limit \(text): expected 1…10000") }
                limit = n
            }
            var filter: RunState?
            if let text = q.get("state") {
                guard let s = RunState(rawValue: text) else { return problem(.badRequest, "state \(text): not a run state") }
                filter = s
            }
            let day = q.get("day")
            if let day, LocalDate(parsing: day) == nil { return problem(.badRequest, "day \(day): expected YYYY-MM-DD") }
            return guarded {
                let runs = try web.openStore().history(job: q.get("job"), state: filter, day: day, limit: limit)
                return json(.array(runs.map { RunJSON.json($0) }))
            }
        }
        router.get("/api/runs/:id") { _, context -> Response in
            guard let text = context.parameters.get("id"), let id = Int64(text) else { return problem(.notFound, "no such run") }
            return guarded {
                let store = try web.openStore()
                guard let run = try store.run(id) else { return problem(.notFound, "no run \(id)") }
                return json(RunJSON.json(run, attempts: try store.attempts(of: id)))
            }
        }
        router.get("/api/status") { _, _ -> Response in
            guarded {
                let store = try web.openStore()
                let now = Date().timeIntervalSince1970
                let daemon = Daemon.liveDaemon(store)
                let daemonJSON: JSONValue = .object([
                    ("pid", daemon.map { .int(Int64($0.pid)) } ?? .null), ("alive", .bool(daemon != nil)), ("heartbeat", RunJSON.time(daemon?.heartbeat)),
                ])
                let services = try store.services().sorted { $0.name < $1.name }.map { RunJSON.json($0, now: now) }
                let running = try store.activeRuns().filter { $0.state == .running }.map { RunJSON.json($0) }
                return json(.object([("daemon", daemonJSON), ("services", .array(services)), ("running", .array(running))]))
            }
        }
        return router
    }

    /// Serves until SIGTERM or SIGINT.
    public static func run(_ web: WebState, host: String, port: Int, token: String?) async throws {
        let app = Application(router: router(web, token: token), configuration: .init(address: .hostname(host, port: port), serverName: "orchestrator"))
        try await app.runService()
    }
}

/// A bearer token (or the `orchestrator_token` cookie) required on every request, compared in
/// constant time; a missing or wrong one is 401 with nothing else said. The token is never
/// logged.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    init(token: String) { self.token = Array(token.utf8) }

    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) { diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return diff == 0
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var offered: String?
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") { offered = String(header.dropFirst(7)) }
        if offered == nil, let cookies = request.headers[.cookie] {
            for part in cookies.split(separator: ";") {
                let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if kv.count == 2 && kv[0] == "orchestrator_token" { offered = String(kv[1]) }
            }
        }
        guard let offered, Self.equal(Array(offered.utf8), token) else {
            return Response(
                status: .unauthorized, headers: [.wwwAuthenticate: "Bearer", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "401: a token is needed\n")))
        }
        return try await next(request, context)
    }
}

import Foundation
import HTTPTypes
public import Hummingbird
public import OrchestratorCore
public import OrchestratorRuntime
import Synchronization

#if PostgreSQL
    import OrchestratorPostgres
#endif

/// `orchestrator serve`: the read-only API and `/metrics` over the run store (SPEC §9). Its own
/// read-only connection (`SQLiteRunStore(readingOnly:)`): nothing it serves can write the store. A
/// store that cannot be opened (missing, locked, from a newer build) is an HTTP 503 naming why,
/// never a crash; the next request tries again.
public final class WebState: Sendable {
    let storePath: String
    let workspace: Workspace?
    private let store = Mutex<(any RunStore)?>(nil)
    private let aggregator = Mutex(MetricsAggregator())

    /// The directory an attempt's log must lie in to be served.
    let logs: String

    public init(storePath: String, workspace: Workspace?, logs: String? = nil) {
        self.storePath = storePath
        self.workspace = workspace
        self.logs = logs ?? workspace?.config.logs ?? Config.defaults.logs
    }

    #if PostgreSQL
        static let postgresStores: RunStores.Opener? = PostgresRunStore.opener
    #else
        static let postgresStores: RunStores.Opener? = nil
    #endif

    struct Unavailable: Error, CustomStringConvertible { let description: String }

    func openStore() throws -> any RunStore {
        if let open = store.withLock({ $0 }) { return open }
        do {
            let opened = try RunStores.open(storePath, readingOnly: true, postgres: Self.postgresStores)
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

    private func aggregatorCursor() -> ChangeCursor? { aggregator.withLock { $0.cursor } }

    private let pages = Mutex<[String: (mark: String, minute: Int, html: String)]>([:])

    /// A page rendered at this change mark and minute, if kept.
    func rendered(_ key: String, mark: String, minute: Int) -> String? {
        pages.withLock { kept in kept[key].flatMap { $0.mark == mark && $0.minute == minute ? $0.html : nil } }
    }

    /// Keeps a rendered page (at most 64: past that the oldest marks are of no use, all go).
    func keep(_ key: String, mark: String, minute: Int, _ html: String) {
        pages.withLock { kept in
            if kept.count >= 64 { kept.removeAll() }
            kept[key] = (mark, minute, html)
        }
    }

    /// What a request's views read: the store, the workspace, one "now".
    func context() throws -> ViewContext {
        ViewContext(store: try openStore(), workspace: workspace, logs: logs, now: Date().timeIntervalSince1970)
    }

    /// The one-time sign-in code (`/login?code=`), printed by the server at its start when a
    /// token is required: the first browser to open the link gets the token as an HttpOnly
    /// cookie; the code is then spent.
    public let login = OneTimeCode()
}

/// What both servers (`orchestrator-web`, `alphatrader-dashboard`) do as they start.
public enum ServerStart {
    /// The token in a file (trimmed), or exit 2 naming the file; the token is never printed.
    public static func token(fromFile path: String, program: String) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            FileHandle.standardError.write(Data("\(program): error: \(path): cannot be read\n".utf8))
            exit(2)
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A code that works once.
public final class OneTimeCode: Sendable {
    private let code = Mutex<String?>(nil)

    public init() {}

    /// A fresh random code (128 bits, hex), replacing any unspent one.
    public func issue() -> String {
        var generator = SystemRandomNumberGenerator()
        let text = (0..<16).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        code.withLock { $0 = text }
        return text
    }

    /// True once for the issued code (compared in constant time), false ever after.
    func redeem(_ offered: String) -> Bool {
        code.withLock { code in
            guard let expected = code, TokenMiddleware<BasicRequestContext>.equal(Array(offered.utf8), Array(expected.utf8)) else { return false }
            code = nil
            return true
        }
    }
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
        } catch let error as WebError {
            return problem(status(error), error.description)
        } catch {
            return problem(.serviceUnavailable, "the run store could not be read: \(error)")
        }
    }

    static func status(_ error: WebError) -> HTTPResponse.Status {
        switch error {
        case .badRequest: .badRequest
        case .notFound: .notFound
        case .forbidden: .forbidden
        case .unavailable: .serviceUnavailable
        }
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A page: its view built over a fresh context, framed by the layout, kept current by the
    /// change mark; a view that cannot be shown is a page saying why with its status.
    /// A live page is kept, rendered, until the store's change mark or the minute moves (what
    /// it shows of "now" — the Today line, uptimes, "in 5h59m" — is by the minute): every viewer
    /// of an unchanged page gets the same bytes without a render.
    static func page(
        _ web: WebState, _ request: Request, title: String, section: Layout.Section?, live: Bool = true, _ body: (ViewContext) throws -> String
    ) -> Response {
        do {
            let context = try web.context()
            let mark = live ? try context.store.changeMark() : nil
            let key = request.uri.description, minute = Int(context.now / 60)
            if let mark, let kept = web.rendered(key, mark: mark, minute: minute) { return html(kept) }
            let text = Layout.page(title: title, section: section, live: mark.map { .refresh(mark: $0) } ?? .none, body: try body(context))
            if let mark { web.keep(key, mark: mark, minute: minute, text) }
            return html(text)
        } catch {
            let failure: WebError
            switch error {
            case let e as WebError: failure = e
            case let e as WebState.Unavailable: failure = .unavailable(e.description)
            default: failure = .unavailable("the run store could not be read: \(error)")
            }
            return html(
                Layout.page(title: "\(title): \(status(failure).reasonPhrase)", section: section, live: .none, body: Pages.problem(failure)),
                status: status(failure))
        }
    }

    /// An integer query parameter within bounds.
    static func integer(_ request: Request, _ name: String, default value: Int, _ range: ClosedRange<Int>) throws(WebError) -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let n = Int(text), range.contains(n) else { throw .badRequest("\(name) \(text): expected \(range.lowerBound)…\(range.upperBound)") }
        return n
    }

    static func day(_ request: Request) throws(WebError) -> LocalDate? {
        guard let text = request.uri.queryParameters.get("day"), !text.isEmpty else { return nil }
        guard let d = LocalDate(parsing: text) else { throw .badRequest("day \(text): expected YYYY-MM-DD") }
        return d
    }

    static func runID(_ context: BasicRequestContext) throws(WebError) -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else { throw .notFound("no such run") }
        return id
    }

    static func attemptNumber(_ context: BasicRequestContext) throws(WebError) -> Int {
        guard let text = context.parameters.get("n"), let n = Int(text), n > 0 else { throw .notFound("no such attempt") }
        return n
    }

    /// The routes, behind the token when one is set: the pages, the JSON behind each, the log
    /// stream, `/metrics`, `/api/changes` and the OpenAPI document.
    public static func router(_ web: WebState, token: String?) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: NotFoundPage())
        if let token { router.add(middleware: TokenMiddleware(token: token, login: web.login)) }
        router.get("/metrics") { _, _ -> Response in
            guarded {
                let text = try web.metrics()
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
            }
        }
        pages(router, web)
        api(router, web)
        logs(router, web)
        return router
    }

    static func pages(_ router: Router<BasicRequestContext>, _ web: WebState) {
        router.get("/") { request, _ -> Response in
            page(web, request, title: "Today", section: .today) { c in
                let view = try TodayView(c, day: try day(request))
                return TodayPage.body(view, now: c.now, zone: c.zone)
            }
        }
        router.get("/grid") { request, _ -> Response in
            page(web, request, title: "Grid", section: .grid) { c in Pages.grid(try GridView(c, count: try integer(request, "days", default: 14, 1...120))) }
        }
        router.get("/schedule") { request, _ -> Response in
            page(web, request, title: "Schedule", section: .schedule) { c in Pages.schedule(try ScheduleView(c), zone: c.zone) }
        }
        router.get("/jobs/:name") { request, context -> Response in
            let name = context.parameters.get("name") ?? ""
            return page(web, request, title: "Job \(name)", section: .schedule) { c in
                let filters = try JobView.Filters { request.uri.queryParameters.get($0).map { String($0) } }
                return Pages.job(try JobView(c, job: name, filters: filters), zone: c.zone)
            }
        }
        router.get("/runs/:id") { request, context -> Response in
            page(web, request, title: "Run \(context.parameters.get("id") ?? "")", section: nil) { c in
                Pages.run(try RunView(c, id: try runID(context)), zone: c.zone)
            }
        }
        router.get("/services") { request, _ -> Response in
            page(web, request, title: "Services", section: .services) { c in Pages.services(try ServiceView.all(c), now: c.now, zone: c.zone) }
        }
        router.get("/services/:name") { request, context -> Response in
            let name = context.parameters.get("name") ?? ""
            return page(web, request, title: "Service \(name)", section: .services) { c in Pages.service(try ServiceView(c, name: name), zone: c.zone) }
        }
    }

    static func api(_ router: Router<BasicRequestContext>, _ web: WebState) {
        router.get("/api/openapi.json") { _, _ -> Response in json(OpenAPI.document) }
        router.get("/api/changes") { _, _ -> Response in
            guarded { json(.object([("mark", .string(try web.context().store.changeMark()))])) }
        }
        router.get("/api/today") { request, _ -> Response in
            guarded { json(try TodayView(try web.context(), day: try day(request)).json) }
        }
        router.get("/api/grid") { request, _ -> Response in
            guarded { json(try GridView(try web.context(), count: try integer(request, "days", default: 14, 1...120)).json) }
        }
        router.get("/api/schedule") { _, _ -> Response in
            guarded { json(try ScheduleView(try web.context()).json) }
        }
        router.get("/api/jobs/:name") { request, context -> Response in
            guarded {
                let filters = try JobView.Filters { request.uri.queryParameters.get($0).map { String($0) } }
                return json(try JobView(try web.context(), job: context.parameters.get("name") ?? "", filters: filters).json)
            }
        }
        router.get("/api/runs") { request, _ -> Response in
            guarded {
                let q = request.uri.queryParameters
                let filters = try JobView.Filters { q.get($0).map { String($0) } }
                let runs = try web.context().store.history(
                    job: q.get("job").map { String($0) }, state: filters.state, day: filters.day?.description, trigger: filters.trigger, limit: filters.limit)
                return json(.array(runs.map { RunJSON.json($0) }))
            }
        }
        router.get("/api/runs/:id") { _, context -> Response in
            guarded { json(try RunView(try web.context(), id: try runID(context)).json) }
        }
        router.get("/api/services") { _, _ -> Response in
            guarded {
                let c = try web.context()
                return json(.array(try ServiceView.all(c).map { RunJSON.json($0, now: c.now) }))
            }
        }
        router.get("/api/services/:name") { _, context -> Response in
            guarded { json(try ServiceView(try web.context(), name: context.parameters.get("name") ?? "").json) }
        }
        router.get("/api/status") { _, _ -> Response in
            guarded {
                let c = try web.context()
                let daemon = Daemon.liveDaemon(c.store)
                let daemonJSON: JSONValue = .object([
                    ("pid", daemon.map { .int(Int64($0.pid)) } ?? .null), ("alive", .bool(daemon != nil)), ("heartbeat", RunJSON.time(daemon?.heartbeat)),
                ])
                let services = try ServiceView.all(c).map { RunJSON.json($0, now: c.now) }
                let running = try c.store.activeRuns().filter { $0.state == .running }.map { RunJSON.json($0) }
                let next: [JSONValue] =
                    c.workspace.map { w in
                        Planner.nextSlots(of: w, after: c.now).map { .object([("job", .string($0.job)), ("time", RunJSON.time(Double($0.time)))]) }
                    } ?? []
                return json(.object([("daemon", daemonJSON), ("services", .array(services)), ("running", .array(running)), ("next", .array(next))]))
            }
        }
    }

    static func logs(_ router: Router<BasicRequestContext>, _ web: WebState) {
        router.get("/runs/:id/attempts/:n/log") { request, context -> Response in
            page(web, request, title: "Log of run \(context.parameters.get("id") ?? "")", section: nil, live: false) { c in
                try LogView(c, run: try runID(context), attempt: try attemptNumber(context)).html(c.zone)
            }
        }
        router.get("/api/runs/:id/attempts/:n/log") { request, context -> Response in
            guarded {
                let view = try LogView(try web.context(), run: try runID(context), attempt: try attemptNumber(context))
                let offset = try integer(request, "offset", default: 0, 0...Int.max)
                guard let (bytes, size) = LogView.read(view.path, from: offset, limit: 64 << 20) else { throw WebError.notFound("the log is missing") }
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; charset=utf-8", HTTPField.Name("X-Log-Size")!: String(size)],
                    body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
        }
        router.get("/runs/:id/attempts/:n/log/events") { request, context -> Response in
            guarded {
                let c = try web.context()
                let view = try LogView(c, run: try runID(context), attempt: try attemptNumber(context))
                // A reconnecting EventSource says where it was; otherwise the page's offset.
                var offset = try integer(request, "offset", default: 0, 0...Int.max)
                if let last = request.headers[HTTPField.Name("Last-Event-ID")!], let n = Int(last), n >= 0 { offset = n }
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no"],
                    body: view.events(from: offset, store: c.store))
            }
        }
    }

    /// Serves until SIGTERM or SIGINT.
    public static func run(_ web: WebState, host: String, port: Int, token: String?) async throws {
        let app = Application(router: router(web, token: token), configuration: .init(address: .hostname(host, port: port), serverName: "orchestrator"))
        try await app.runService()
    }
}

/// A bearer token (or the `orchestrator_token` cookie, which `/login?code=` sets once from the
/// one-time link) required on every request, compared in constant time; a missing or wrong one
/// is 401 with nothing else said. The token is never logged.
public struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    let login: OneTimeCode
    public init(token: String, login: OneTimeCode) {
        self.token = Array(token.utf8)
        self.login = login
    }

    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) { diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return diff == 0
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/login" {
            guard let code = request.uri.queryParameters.get("code"), login.redeem(String(code)) else {
                return Response(
                    status: .unauthorized, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: "401: this sign-in link is not valid or was already used\n")))
            }
            return Response(
                status: .seeOther,
                headers: [
                    .location: "/",
                    .setCookie: "orchestrator_token=\(String(decoding: token, as: UTF8.self)); Path=/; HttpOnly; SameSite=Strict",
                ])
        }
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

/// An unknown path: a page that says so (JSON under `/api/`), not an empty 404.
struct NotFoundPage<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let message = "nothing at \(request.uri.path)"
            if request.uri.path.hasPrefix("/api/") { return WebServer.problem(.notFound, message) }
            return WebServer.html(
                Layout.page(title: "Not found", section: nil, live: .none, body: Pages.problem(.notFound(message))), status: .notFound)
        }
    }
}

import AlphaTrader
import Foundation
public import Hummingbird
public import OrchestratorCore
public import OrchestratorWeb
public import Redis
import Synchronization

/// The dashboard's state: one Redis connection (reopened when Redis comes back), the day's P&L
/// samples, and the last snapshot (shared by every client for up to half a second). It only
/// reads Redis.
public final class DashboardState: Sendable {
    let redisURL: RedisURL
    let clock: any WallClock
    let zone: ZoneRules
    let firstSymbol: String
    let orchestratorURL: String
    private let client = Mutex<RedisClient?>(nil)
    private let samples = Mutex<[(t: Double, total: Double)]>([])
    private let cached = Mutex<(at: Double, snapshot: DashboardSnapshot)?>(nil)

    /// At most this many P&L samples (a day at one a second).
    static let maxSamples = 86_400

    public init(redisURL: RedisURL, clock: any WallClock, zone: ZoneRules, firstSymbol: String, orchestratorURL: String) {
        self.redisURL = redisURL
        self.clock = clock
        self.zone = zone
        self.firstSymbol = firstSymbol
        self.orchestratorURL = orchestratorURL
    }

    /// The values of the snapshot's keys, or why Redis could not give them.
    func read() -> Result<[String?], RedisClient.Failure> {
        client.withLock { client in
            do throws(RedisClient.Failure) {
                if client == nil { client = try RedisClient(url: redisURL) }
                let reply = try client!.command(["MGET"] + DashboardSnapshot.keys(firstSymbol: firstSymbol))
                guard case .array(let items) = reply else { return .success([]) }
                return .success(items.map(\.text))
            } catch {
                client = nil
                return .failure(error)
            }
        }
    }

    /// Now's snapshot (one read of Redis per half second, whatever the number of clients).
    public func snapshot() -> DashboardSnapshot {
        let real = Date().timeIntervalSince1970
        if let hit = cached.withLock({ $0 }), real - hit.at < 0.5 { return hit.snapshot }
        let now = clock.now()
        let curve = samples.withLock { $0 }
        let snapshot: DashboardSnapshot
        switch read() {
        case .success(let values): snapshot = DashboardSnapshot(values: values, now: now, firstSymbol: firstSymbol, curve: curve)
        case .failure(let error):
            snapshot = DashboardSnapshot(
                unreachable: "Redis at \(redisURL.host):\(redisURL.port) does not answer: \(error.description)", now: now, curve: curve)
        }
        cached.withLock { $0 = (real, snapshot) }
        return snapshot
    }

    /// Takes one sample of the day's P&L for the curve (a new session starts a new curve).
    public func sample() {
        let s = snapshot()
        guard let pnl = s.pnl else { return }
        samples.withLock { samples in
            if let last = samples.last, zone.localDate(of: Int64(last.t)).description != pnl.session { samples.removeAll() }
            if samples.last?.t != s.now { samples.append((s.now, pnl.total)) }
            if samples.count > Self.maxSamples { samples.removeFirst(samples.count - Self.maxSamples) }
        }
    }
}

public enum DashboardServer {
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// `/` the page, `/api/snapshot` its JSON (503 while Redis does not answer), `/events` the
    /// page's updates at 1 Hz as server-sent events.
    public static func router(_ state: DashboardState, token: String?, login: OneTimeCode = OneTimeCode()) -> Router<BasicRequestContext> {
        let router = Router()
        if let token { router.add(middleware: TokenMiddleware(token: token, login: login)) }
        router.get("/") { _, _ -> Response in
            html(DashboardPage.html(state.snapshot(), zone: state.zone, orchestratorURL: state.orchestratorURL))
        }
        router.get("/api/snapshot") { _, _ -> Response in
            let s = state.snapshot()
            let unreachable = s.pnl == nil && s.freshness.isEmpty && !s.problems.isEmpty
            return Response(
                status: unreachable ? .serviceUnavailable : .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: s.json.serialized(pretty: true) + "\n")))
        }
        router.get("/events") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    // Each second the sections' HTML; a client that went away is noticed at the
                    // next write, a slow one holds the writer (back-pressure), not a queue.
                    while true {
                        let sections = DashboardPage.sections(state.snapshot(), zone: state.zone)
                        let data = JSONValue.object(sections.map { ($0.0, .string($0.1)) }).serialized()
                        try await writer.write(ByteBuffer(string: "event: update\ndata: \(data)\n\n"))
                        try await Task.sleep(for: .seconds(1))
                    }
                })
        }
        return router
    }

    /// Samples the P&L every second and serves until SIGTERM or SIGINT.
    public static func run(_ state: DashboardState, host: String, port: Int, token: String?, login: OneTimeCode) async throws {
        let sampler = Task {
            while !Task.isCancelled {
                state.sample()
                try? await Task.sleep(for: .seconds(1))
            }
        }
        defer { sampler.cancel() }
        let app = Application(
            router: router(state, token: token, login: login), configuration: .init(address: .hostname(host, port: port), serverName: "alphatrader-dashboard"))
        try await app.runService()
    }
}

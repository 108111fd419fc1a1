import AlphaTrader
import AlphaTraderDashboard
import Foundation
import Hummingbird
import HummingbirdTesting
import OrchestratorCore
import Redis
import TestSupport
import Testing

/// A market clock that stands still.
struct StillClock: WallClock {
    let t: Double
    func now() -> Double { t }
}

@Suite("alphatrader dashboard over a real redis-server: the page, its JSON, updates every second, bad values named, Redis gone and back", .serialized)
struct DashboardTests {
    static let zone = ZoneRules.named("America/New_York")!
    /// 2026-12-07 11:00 exchange time.
    static let now = Double(zone.instant(of: LocalDate(parsing: "2026-12-07")!, secondsOfDay: 11 * 3600))

    /// A trading morning as the execution service and the feeds leave it in Redis.
    static func seed(_ redis: RedisClient) throws {
        var breakers = BreakerState(since: now - 5400)
        breakers.consecutiveLosses = ["0dte": 2]
        var limits = RiskLimits()
        limits.dailyLossLimit = 2_000
        limits.maxDrawdown = 1_500
        let signal = Signal(
            time: now - 120, strategy: "0dte", symbol: "SPY", direction: .long,
            instrument: .option(symbol: "SPY", expiry: "20261207", strike: 600, right: .call),
            entry: 2.35, stop: 1.6, targets: [3.1], confidence: 0.72, features: ["vpin": 0.41], reason: "gamma flip reclaimed")
        let values: [(String, String)] = [
            (
                DayPnLDocument.key,
                DayPnLDocument(session: "2026-12-07", realized: -420, unrealized: 130.5, commissions: 12.4, highWaterMark: 310, timestamp: Int64(now * 1000))
                    .json
            ),
            (RiskStateDocument.key, RiskStateDocument(state: .active, since: "2026-12-07T14:30:00Z", reason: "the day started").json),
            (RiskDailyDocument.key, RiskDailyDocument(session: "2026-12-07", breakers: breakers, limits: limits, timestamp: Int64(now * 1000)).json),
            (
                "positions:open",
                #"{"SPY 20261207 600 C":{"id":"SPY 20261207 600 C","instrument":{"type":"option","symbol":"SPY","expiry":"20261207","strike":600,"right":"call"},"quantity":3,"average_cost":235,"mark":2.785,"market_value":835.5,"unrealized_pnl":130.5,"realized_pnl":0,"updated_at":"2026-12-07T15:58:00Z"}}"#
            ),
            (
                "orders:open",
                #"{"O-17":{"id":"O-17","instrument":{"type":"stock","symbol":"QQQ","expiry":null,"strike":null,"right":null},"action":"SELL","quantity":50,"type":"LMT","limit":512.4,"status":"Submitted","filled":0,"strategy":"1dte"}}"#
            ),
            (Signal.latestKey("0dte"), signal.json),
            ("module:heartbeat:ibkr_ingestion", "{\"ts\":\(Int64((now - 1) * 1000))}"),
            ("module:heartbeat:analytics", "{\"ts\":\(Int64((now - 2) * 1000))}"),
            ("module:heartbeat:execution", "{\"ts\":\(Int64((now - 300) * 1000))}"),
            ("discovery:updated", "{\"timestamp\":\((now - 600) * 1000),\"session\":\"2026-12-07\"}"),
        ]
        for (key, value) in values { _ = try redis.command(["SET", key, value]) }
    }

    static func state(_ server: RedisServer, clock: any WallClock = StillClock(t: now)) throws -> DashboardState {
        DashboardState(redisURL: try RedisURL(parsing: server.url), clock: clock, zone: zone, firstSymbol: "SPY", orchestratorURL: "http://127.0.0.1:8080/")
    }

    @Test(
        "the page shows the P&L, positions marked, open orders, each strategy's latest signal, every limit and how close the day is to it, and each source's freshness; /api/snapshot says the same"
    )
    func page() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        try Self.seed(redis)
        let app = Application(router: DashboardServer.router(try Self.state(server), token: nil))
        let (html, json) = try await app.test(.router) { client in
            let html = try await client.execute(uri: "/", method: .get) { String(buffer: $0.body) }
            let json = try await client.execute(uri: "/api/snapshot", method: .get) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            return (html, json)
        }
        for needle in [
            "<div class=\"big down\" id=\"total\">-$289.50</div>", "realized -$420.00, unrealized +$130.50, commissions $12.40", "id=\"risk-state\">ACTIVE",
            "<td>SPY 20261207 600 C</td><td class=\"num\">3</td><td class=\"num\">235.00</td><td class=\"num\">2.79</td><td class=\"num up\">+$130.50</td>",
            "<td>O-17</td><td>QQQ</td><td>SELL</td><td class=\"num\">0/50</td>",
            "<td>0dte</td><td>SPY long</td><td class=\"num\">2.35</td><td class=\"num\">72%</td><td>10:58</td>",
            "<td>moc</td><td class=\"muted\" colspan=\"4\">none today</td>", "day&#39;s loss: <b>$289.50</b> of $2,000.00",
            "drawdown from the day&#39;s high: <b>$599.50</b> of $1,500.00", "losses in a row (worst strategy): <b>2</b> of 3",
            "<tr class=\"fresh\"><td>ingestion</td><td>1.0s ago</td>", "<tr class=\"stale\"><td>execution</td><td>⚠ 5m00s ago</td>",
            "<tr class=\"stale\"><td>Alpha Vantage</td><td>⚠ never</td>", "href=\"http://127.0.0.1:8080/\"",
        ] {
            #expect(html.contains(needle), "the page lacks \(needle)")
        }
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((snapshot["pnl"] as? [String: Any])?["total"] as? Double == -289.5)
        #expect((snapshot["positions"] as? [[String: Any]])?.first?["unrealized_pnl"] as? Double == 130.5)
        #expect((snapshot["problems"] as? [Any])?.isEmpty == true)
    }

    /// The real dashboard process over the test's Redis (on the real clock).
    static func live(_ server: RedisServer) throws -> LiveServer {
        let config = NSTemporaryDirectory() + "dashboard-\(UUID().uuidString).yaml"
        try "redis:\n  url: \(server.url)\n".write(toFile: config, atomically: true, encoding: .utf8)
        return try LiveServer("alphatrader dashboard --listen 127.0.0.1:PORT --config \(config)")
    }

    @Test("the event stream sends every section about once a second; a P&L change shows in the next updates")
    func updates() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        try Self.seed(redis)
        let dashboard = try Self.live(server)
        defer { dashboard.stop() }
        let stream = try RawHTTP(port: dashboard.port)
        defer { stream.close() }
        stream.get("/events")
        let first = stream.read(until: { $0.contains("event: update") && $0.hasSuffix("\n\n") }, seconds: 10)
        #expect(first.contains("text/event-stream") && first.contains("-$289.50"))
        let started = Date()
        _ = try redis.command([
            "SET", DayPnLDocument.key,
            DayPnLDocument(session: "2026-12-07", realized: 100, unrealized: 50, commissions: 12.4, highWaterMark: 310, timestamp: Int64(Self.now * 1000)).json,
        ])
        let next = stream.read(until: { $0.contains("+$150.00") }, seconds: 10)
        #expect(next.contains("+$150.00"), "the new total did not arrive")
        let waited = Date().timeIntervalSince(started)
        // Then five more updates: about five seconds at 1 Hz.
        let counting = Date()
        let more = stream.read(until: { $0.components(separatedBy: "event: update").count - 1 >= 5 }, seconds: 15)
        let count = more.components(separatedBy: "event: update").count - 1
        let span = Date().timeIntervalSince(counting)
        print("dashboard: the change arrived after \(waited) s; 5 updates took \(span) s")
        #expect(waited < 4 && count >= 5 && span > 3.5 && span < 8, "change after \(waited) s; \(count) updates in \(span) s")
    }

    @Test(
        "a key holding something else is named on the page (not guessed around); Redis gone: the page says so and /api/snapshot is 503; Redis back: the page recovers"
    )
    func badDataAndRedisGone() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        try Self.seed(redis)
        _ = try redis.command(["SET", DayPnLDocument.key, "{\"total\": \"lots\""])
        _ = try redis.command(["SET", "positions:open", "[1,2,3]"])
        let state = try Self.state(server)
        let app = Application(router: DashboardServer.router(state, token: nil))
        let html = try await app.test(.router) { client in try await client.execute(uri: "/", method: .get) { String(buffer: $0.body) } }
        #expect(html.contains("pnl:day: not a P&amp;L document ({&quot;total&quot;: &quot;lots&quot;)"))
        #expect(html.contains("positions:open: not a JSON object ([1,2,3])"))
        #expect(html.contains("no P&amp;L for the day yet"))
        server.kill()
        try await Task.sleep(for: .milliseconds(600))
        let (gone, status) = try await app.test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get) { ($0.status, String(buffer: $0.body)) }
            let api = try await client.execute(uri: "/api/snapshot", method: .get) { $0.status }
            return (page, api)
        }
        #expect(gone.0 == .ok && gone.1.contains("does not answer"), "\(gone.1.prefix(300))")
        #expect(status == .serviceUnavailable)
        try server.restart()
        try Self.seed(try RedisClient(url: try RedisURL(parsing: server.url)))
        try await Task.sleep(for: .milliseconds(600))
        let back = try await app.test(.router) { client in try await client.execute(uri: "/", method: .get) { String(buffer: $0.body) } }
        #expect(back.contains("-$289.50") && !back.contains("does not answer"))
    }

    @Test("with a token: 401 without it, the page with it")
    func token() async throws {
        let server = try RedisServer()
        defer { server.stop() }
        let app = Application(router: DashboardServer.router(try Self.state(server), token: "dash-tok"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/snapshot", method: .get) {
                #expect($0.status == .unauthorized && !String(buffer: $0.body).contains("dash-tok"))
            }
            try await client.execute(uri: "/", method: .get, headers: [.authorization: "Bearer dash-tok"]) { #expect($0.status == .ok) }
        }
    }

    @Test("in headless Chromium from the live server: the script connects to the stream and marks the page live")
    func chromium() throws {
        let server = try RedisServer()
        defer { server.stop() }
        try Self.seed(try RedisClient(url: try RedisURL(parsing: server.url)))
        let dashboard = try Self.live(server)
        defer { dashboard.stop() }
        let dom = try Chromium.dom("http://127.0.0.1:\(dashboard.port)/", extra: ["--timeout=5000"])
        #expect(dom.contains("live · updated"), "the page did not receive an update: \(dom.prefix(400))")
        #expect(dom.contains("id=\"pnl-curve\"") || dom.contains("The day's P&amp;L curve starts"))
    }
}

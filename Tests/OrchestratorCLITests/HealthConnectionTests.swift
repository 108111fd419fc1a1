import Foundation
import Net
import OrchestratorCore
import Redis
import TestSupport
import Testing

@testable import OrchestratorRuntime

@Suite("Health checks' Redis connections", .serialized)
struct HealthConnectionTests {
    func connectionsReceived(_ url: String) throws -> Int? {
        let reply = try RedisClient(url: RedisURL(parsing: url)).command(["INFO", "stats"])
        guard case .string(let text) = reply,
            let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("total_connections_received:") })
        else { return nil }
        return Int(line.split(separator: ":")[1])
    }

    @Test("checks keep one Redis connection between them, and a Redis restarted in between fails no check")
    func keptAcrossChecksAndRestarts() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let connections = RedisConnections()
        for check in [HealthCheck.Probe.redisPing, .redisKey("beat", maxAge: TimeSpan(milliseconds: 60_000))] {
            let probe = HealthProbe(
                check: HealthCheck(
                    probe: check, interval: TimeSpan(milliseconds: 1_000), timeout: TimeSpan(milliseconds: 500),
                    unhealthyAfter: 3),
                redisURL: server.url, environment: [:], now: { Date().timeIntervalSince1970 }, connections: connections)
            if case .redisKey = check {
                _ = try RedisClient(url: RedisURL(parsing: server.url)).command(["SET", "beat", "{\"ts\":\(Int(Date().timeIntervalSince1970 * 1000))}"])
            }
            let before = try #require(try connectionsReceived(server.url))
            for _ in 0..<5 { #expect(probe.run().outcome == .passed) }
            // Five checks, at most one new connection (the INFO above and below count one each).
            let after = try #require(try connectionsReceived(server.url))
            #expect(after - before <= 2, "\(after - before - 1) connections for five checks")
        }
        try server.restart()
        let ping = HealthProbe(
            check: HealthCheck(
                probe: .redisPing, interval: TimeSpan(milliseconds: 1_000), timeout: TimeSpan(milliseconds: 500),
                unhealthyAfter: 3),
            redisURL: server.url, environment: [:], now: { 0 }, connections: connections)
        let result = ping.run()
        #expect(result.outcome == .passed, "the kept connection died with the old server; the check must retry on a new one: \(result.detail)")
    }

    @Test("a Redis loading its dataset (it answers LOADING to everything) is not ready — neither a pass nor a failure — for PING and heartbeat checks alike")
    func loadingIsNotReady() throws {
        // Redis as it answers while it reads a large AOF after a start.
        let listener = try TCPListener(port: 0)
        defer { listener.close() }
        let port = listener.port
        Thread.detachNewThread {
            while let client = listener.accept() {
                while let bytes = try? client.receive(timeout: 2), !bytes.isEmpty {
                    let commands = bytes.filter { $0 == UInt8(ascii: "*") }.count
                    for _ in 0..<max(1, commands) { try? client.send(Array("-LOADING Redis is loading the dataset in memory\r\n".utf8)) }
                }
                client.close()
            }
        }
        for check in [HealthCheck.Probe.redisPing, .redisKey("module:heartbeat:feed", maxAge: TimeSpan(milliseconds: 30_000))] {
            let probe = HealthProbe(
                check: HealthCheck(probe: check, interval: TimeSpan(milliseconds: 1_000), timeout: TimeSpan(milliseconds: 500), unhealthyAfter: 3),
                redisURL: "redis://127.0.0.1:\(port)/0", environment: [:], now: { Date().timeIntervalSince1970 })
            let (outcome, detail) = probe.run()
            #expect(outcome == .notReady, "\(check): \(detail)")
            #expect(detail.contains("LOADING"))
        }
    }
}

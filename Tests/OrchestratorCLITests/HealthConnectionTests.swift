import Foundation
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
            for _ in 0..<5 { #expect(probe.run().ok) }
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
        #expect(result.ok, "the kept connection died with the old server; the check must retry on a new one: \(result.detail)")
    }
}

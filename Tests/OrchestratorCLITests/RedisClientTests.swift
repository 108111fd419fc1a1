import Foundation
import Redis
import TestSupport
import Testing

@Suite("Redis client against a real redis-server", .serialized)
struct RedisClientTests {
    @Test("commands and pipelines round-trip strings, integers, nulls, arrays and error replies")
    func roundTrip() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let redis = try RedisClient(url: RedisURL(parsing: server.url))
        #expect(try redis.command(["SET", "k", "héllo world"]) == .status("OK"))
        #expect(try redis.command(["GET", "k"]) == .string("héllo world"))
        #expect(try redis.command(["GET", "missing"]) == .null)
        #expect(try redis.command(["INCRBY", "n", "41"]) == .integer(41))
        let replies = try redis.pipeline([["RPUSH", "l", "a", "b"], ["LRANGE", "l", "0", "-1"], ["INCR", "k"]])
        #expect(replies[0] == .integer(2))
        #expect(replies[1] == .array([.string("a"), .string("b")]))
        guard case .error(let message) = replies[2] else { Issue.record("expected an error reply, got \(replies[2])"); return }
        #expect(message.contains("not an integer"))
    }

    @Test("a database number in the URL is selected")
    func selectsDatabase() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let one = try RedisClient(url: RedisURL(parsing: "redis://127.0.0.1:\(server.port)/3"))
        _ = try one.command(["SET", "where", "three"])
        let zero = try RedisClient(url: RedisURL(parsing: server.url))
        #expect(try zero.command(["GET", "where"]) == .null)
        #expect(try one.command(["GET", "where"]) == .string("three"))
    }

    @Test("a server that is down is a connect failure naming the address")
    func down() throws {
        let port = try FreePort.pick()
        #expect {
            _ = try RedisClient(url: RedisURL(host: "127.0.0.1", port: port), timeout: 0.5)
        } throws: { error in
            let failure = error as? RedisClient.Failure
            return failure?.code == .connect && failure!.description.contains("127.0.0.1:\(port)")
        }
    }

    @Test("a server that answers garbage is a protocol failure, and the next call reconnects")
    func garbage() throws {
        let server = try ScriptedTCPServer(reply: "HTTP/1.1 200 OK\r\n\r\n")
        defer { server.stop() }
        let redis = try RedisClient(url: RedisURL(host: "127.0.0.1", port: server.port), timeout: 1)
        #expect {
            _ = try redis.command(["PING"])
        } throws: { error in
            (error as? RedisClient.Failure)?.code == .protocolError
        }
        // The connection was dropped; the next call connects again (and meets garbage again).
        #expect(throws: RedisClient.Failure.self) { _ = try redis.command(["PING"]) }
    }

    @Test("a server that stalls is a timeout within the client's limit")
    func stall() throws {
        let server = try ScriptedTCPServer(reply: nil)
        defer { server.stop() }
        let redis = try RedisClient(url: RedisURL(host: "127.0.0.1", port: server.port), timeout: 0.3)
        let started = Date()
        #expect(throws: RedisClient.Failure.self) { _ = try redis.command(["PING"]) }
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test(
        "URLs: host, port, database and credentials; the password never shows",
        arguments: [
            ("redis://127.0.0.1:6380/2", "127.0.0.1", 6380, 2, nil as String?),
            ("redis://localhost", "localhost", 6379, 0, nil),
            ("redis://:s3cret@db.example:7000/1", "db.example", 7000, 1, "s3cret"),
            ("redis://alice:pw@[::1]:6390", "::1", 6390, 0, "pw"),
        ])
    func urls(text: String, host: String, port: Int, db: Int, password: String?) throws {
        let url = try RedisURL(parsing: text)
        #expect(url.host == host && url.port == port && url.database == db && url.password == password)
        if let password { #expect(!url.description.contains(password)) }
    }

    @Test("bad URLs are rejected with the reason", arguments: ["http://x", "redis://h:notaport", "redis://h:6379/x", "redis://h:70000"])
    func badURLs(text: String) {
        #expect(throws: RedisURL.Invalid.self) { _ = try RedisURL(parsing: text) }
    }
}

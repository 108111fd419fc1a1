import AlphaTrader
import AlphaTraderSimulators
import Foundation
import Net
import OrchestratorCore
import Redis
import TestSupport
import Testing

/// The IBKR path end to end with no account: our TWS client against our TWS-protocol simulator,
/// and against servers that misbehave.
@Suite("The TWS API client and simulator", .serialized)
struct TWSTests {
    let clock = SystemClock()

    /// Per symbol: the stream's entries without their receive times, the day's bars, the trade
    /// sizes, the book (no timestamp) and the market makers' activity.
    func snapshot(_ redis: RedisClient, symbols: [String]) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for s in symbols {
            var entries: [String] = []
            if case .array(let list) = try redis.command(["XRANGE", "market:\(s):stream", "-", "+"]) {
                for e in list {
                    guard case .array(let pair) = e, case .array(let fields) = pair[1] else { continue }
                    let texts = fields.compactMap(\.text)
                    var kept: [String] = []
                    for j in stride(from: 0, to: texts.count - 1, by: 2) where texts[j] != "t" { kept.append(texts[j] + "=" + texts[j + 1]) }
                    entries.append(kept.joined(separator: " "))
                }
            }
            out["\(s) stream"] = entries
            if case .array(let bars) = try redis.command(["LRANGE", "market:\(s):history", "0", "-1"]) { out["\(s) bars"] = bars.compactMap(\.text) }
            out["\(s) sizes"] = [try redis.command(["GET", "market:\(s):sizes"]).text ?? ""]
            if let book = try redis.command(["GET", "market:\(s):book"]).text,
                var json = try JSONSerialization.jsonObject(with: Data(book.utf8)) as? [String: Any]
            {
                json["timestamp"] = nil
                out["\(s) book"] = [String(decoding: try JSONSerialization.data(withJSONObject: json, options: .sortedKeys), as: UTF8.self)]
            }
            if let makers = try redis.command(["GET", "market:\(s):makers"]).text,
                let list = try JSONSerialization.jsonObject(with: Data(makers.utf8)) as? [[String: Any]]
            {
                out["\(s) makers"] = list.map { String(decoding: try! JSONSerialization.data(withJSONObject: $0, options: .sortedKeys), as: UTF8.self) }
                    .sorted()
            }
        }
        return out
    }

    @Test("ingest --source ibkr against tws-sim gives the same Redis state as --source replay of the same tape")
    func sameStateBothWays() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let (path, summary) = try TestTape.write(minutes: 1)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = try TapeReader(path: path).header

        // Replay into database 0.
        let replay = try TestTape.replay(path, into: "redis://127.0.0.1:\(server.port)/0")
        #expect(replay.events == summary.total)
        let viaReplay = try snapshot(try RedisClient(url: try RedisURL(parsing: "redis://127.0.0.1:\(server.port)/0")), symbols: header.symbols)

        // The same tape through the simulator and the TWS client into database 1.
        let simulator = try TWSSimulator(tapePath: path, pace: .unpaced, log: EventLog(module: "tws-sim", clock: clock))
        let port = try simulator.start(port: 0)
        defer { simulator.stop() }
        var clientOptions = TWSClient.Options(host: "127.0.0.1", port: port, clientID: 1)
        clientOptions.reconnectDelay = 0.1
        let client = TWSClient(
            options: clientOptions, symbols: header.symbols, level2Count: header.level2Count,
            log: EventLog(module: "ingest", clock: clock), clock: clock)
        client.start()
        defer { client.stop() }
        var live = Ingestion.Options()
        live.unpaced = true; live.session = header.date
        let deadline = Date().addingTimeInterval(60)
        live.until = {
            let r = client.received; return (r.count > 0 && r.quietFor > 0.3) || Date() > deadline
        }
        let viaIBKR = Ingestion(
            context: try TestTape.context("redis://127.0.0.1:\(server.port)/1"), source: client,
            state: MarketState(symbols: header.symbols, level2Count: header.level2Count, exchanges: header.exchanges, makers: []),
            options: live
        ).run()
        #expect(viaIBKR.dropped == 0)
        #expect(client.reconnects == 0)
        #expect(client.errorCounts[2104] == 1, "the farm status came through")
        let viaTWS = try snapshot(try RedisClient(url: try RedisURL(parsing: "redis://127.0.0.1:\(server.port)/1")), symbols: header.symbols)
        if ProcessInfo.processInfo.environment["TWS_DEBUG"] != nil {
            try JSONSerialization.data(withJSONObject: viaReplay, options: [.sortedKeys, .prettyPrinted]).write(
                to: URL(fileURLWithPath: "/tmp/via-replay.json"))
            try JSONSerialization.data(withJSONObject: viaTWS, options: [.sortedKeys, .prettyPrinted]).write(to: URL(fileURLWithPath: "/tmp/via-tws.json"))
        }
        #expect(viaTWS.keys.sorted() == viaReplay.keys.sorted())
        for key in viaReplay.keys.sorted() {
            #expect(viaTWS[key] == viaReplay[key], "\(key): \(viaTWS[key]?.count ?? 0) vs \(viaReplay[key]?.count ?? 0) entries")
        }
        #expect((viaReplay["SPY stream"]?.count ?? 0) > 1_000)
    }

    /// A one-shot TCP server that answers the hello with `script` bytes, then closes or stalls.
    final class ScriptedTWS: @unchecked Sendable {
        let listener: TCPListener
        init(script: @escaping @Sendable (TCPSocket) -> Void) throws {
            listener = try TCPListener(port: 0)
            let l = listener
            Thread {
                while let socket = l.accept() {
                    Thread { script(socket) }.start()
                }
            }.start()
        }
        var port: Int { listener.port }
        func stop() { listener.close() }
    }

    func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline { if condition() { return true }; usleep(20_000) }
        return condition()
    }

    func client(port: Int, connectTimeout: Double = 5, stall: Double = 10) -> TWSClient {
        var options = TWSClient.Options(host: "127.0.0.1", port: port, clientID: 1)
        options.reconnectDelay = 0.05; options.maximumReconnectDelay = 0.2
        options.connectTimeout = connectTimeout; options.stallTimeout = stall
        return TWSClient(options: options, symbols: ["SPY"], level2Count: 1, log: EventLog(module: "tws-test", clock: clock), clock: clock)
    }

    @Test("garbage instead of the TWS protocol is a failed connection, retried with backoff, never a crash")
    func garbage() throws {
        let server = try ScriptedTWS { socket in
            _ = try? socket.receive(timeout: 1)
            try? socket.send(Array("HTTP/1.1 400 Bad Request\r\n\r\nnot tws at all".utf8))
            usleep(200_000)
            socket.close()
        }
        defer { server.stop() }
        let c = client(port: server.port)
        c.start()
        defer { c.stop() }
        #expect(waitFor(5) { c.reconnects >= 3 })
        #expect(!c.connected && c.received.count == 0)
    }

    @Test("a server that closes in the middle of a message: what came before is kept, the client reconnects")
    func closedMidMessage() throws {
        let server = try ScriptedTWS { socket in
            _ = try? socket.receive(timeout: 1)
            try? socket.send(TWSWire.frame(["176", "20261125 14:30:00 Greenwich Mean Time"]))
            _ = try? socket.receive(timeout: 1)  // startApi
            var out = TWSWire.frame(["15", "1", "DU1"]) + TWSWire.frame(["9", "1", "1"])
            out += TWSWire.frame(["1", "6", "1000", "1", "600.01", "300", "0"]) + TWSWire.frame(["1", "6", "1000", "2", "600.02", "500", "0"])
            let cut = TWSWire.frame(["46", "6", "1000", "48", "600.02;100;1795617000000;100;600.02;true"])
            out += cut.prefix(cut.count / 2)
            try? socket.send(out)
            usleep(100_000)
            socket.close()
        }
        defer { server.stop() }
        let c = client(port: server.port)
        c.start()
        defer { c.stop() }
        #expect(waitFor(5) { c.reconnects >= 2 })
        // One quote per connection, and never the half trade.
        let first = try c.next(notAfter: .max)
        #expect(first == .quote(Quote(time: first?.time ?? 0, symbol: 0, bid: 600.01, ask: 600.02, bidSize: 300, askSize: 500)))
        var trades = 0
        while let e = try c.next(notAfter: .max) { if case .trade = e { trades += 1 } }
        #expect(trades == 0)
    }

    @Test("a server that accepts and never answers times out the handshake and is retried")
    func stalls() throws {
        let server = try ScriptedTWS { socket in
            _ = try? socket.receive(timeout: 1)
            usleep(3_000_000)
            socket.close()
        }
        defer { server.stop() }
        let c = client(port: server.port, connectTimeout: 0.3)
        c.start()
        defer { c.stop() }
        #expect(waitFor(5) { c.reconnects >= 2 })
        #expect(!c.connected)
    }

    @Test("nothing listening: connection refused, retried, the feed reported disconnected")
    func refused() throws {
        let port = try FreePort.pick()
        let c = client(port: port)
        c.start()
        defer { c.stop() }
        #expect(waitFor(3) { c.reconnects >= 3 })
        #expect(!c.connected)
    }

    @Test("the simulator answers an unknown symbol with error 200 and a non-TWS hello by closing")
    func simulatorRefusals() throws {
        let (path, _) = try TestTape.write(minutes: 1)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let simulator = try TWSSimulator(tapePath: path, pace: .unpaced, log: EventLog(module: "tws-sim", clock: clock))
        let port = try simulator.start(port: 0)
        defer { simulator.stop() }
        let socket = try TCPSocket.connect(host: "127.0.0.1", port: port, timeout: 2)
        try socket.send(TWSWire.hello(minimum: 100, maximum: 226))
        var decoder = TWSWire.Decoder()
        var messages: [[String]] = []
        func read(until: ([[String]]) -> Bool) throws {
            let deadline = Date().addingTimeInterval(3)
            while !until(messages) && Date() < deadline {
                if let bytes = try socket.receive(timeout: 0.1) { decoder.append(bytes) }
                while let m = try decoder.next() { messages.append(m) }
            }
        }
        try read { $0.count >= 1 }
        #expect(messages.first?.first == "176", "the server version is min(176, the client's maximum)")
        try socket.send(TWSWire.frame(["71", "2", "1", ""]))
        try read { $0.contains { $0.first == "9" } }
        #expect(messages.contains(["15", "1", "DU1234567"]) && messages.contains(["9", "1", "1"]))
        try socket.send(TWSWire.frame(["1", "11", "5", "0", "NOPE", "STK", "", "", "", "", "SMART", "", "USD", "", "", "0", "233", "0", "0", ""]))
        try read { $0.contains { $0.first == "4" && $0[3] == "200" } }
        #expect(messages.contains { $0 == ["4", "2", "5", "200", "No security definition has been found for the request", ""] })
        socket.close()

        let bad = try TCPSocket.connect(host: "127.0.0.1", port: port, timeout: 2)
        try bad.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        var closed = false
        let deadline = Date().addingTimeInterval(3)
        while !closed && Date() < deadline {
            do { _ = try bad.receive(timeout: 0.1) } catch { closed = true }
        }
        #expect(closed)
    }
}

@Suite("Execution times on the wire")
struct ExecutionTimeTests {
    @Test(
        "an execution's time is read as TWS writes it: one or two spaces, UTC, GMT, a zone or none",
        arguments: [
            ("20261207 14:31:05 UTC", 1_796_653_865.0),
            ("20261207 14:31:05", 1_796_653_865.0),
            ("20261207  14:31:05 GMT", 1_796_653_865.0),
            ("20261207 09:31:05 US/Eastern", 1_796_653_865.0),  // EST, UTC−5
            ("20260707 10:31:05 America/New_York", 1_783_434_665.0),  // EDT, UTC−4
            ("20240229 00:00:00 UTC", 1_709_164_800.0),
        ])
    func parses(text: String, expected: Double) {
        #expect(TWSOrderMessages.parseExecutionTime(text) == expected)
    }

    @Test(
        "what is not an execution time is nil, not a guess",
        arguments: ["", "2026120 14:31:05", "20261307 14:31:05", "20261207 25:00:00", "20261207 14-31-05", "20261207 14:31:05 Mars/Olympus"])
    func refuses(text: String) {
        #expect(TWSOrderMessages.parseExecutionTime(text) == nil)
    }

    @Test("the time written is the time read back, to the second, across years and before the epoch")
    func roundTrips() {
        for t in [0.0, 1_796_653_865.9, 951_782_400, -86_401, 4_102_444_799] {
            let text = TWSOrderMessages.executionTime(t)
            #expect(TWSOrderMessages.parseExecutionTime(text) == t.rounded(.down), "\(text)")
        }
    }
}

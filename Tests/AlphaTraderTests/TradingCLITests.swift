import AlphaTrader
import Foundation
import Redis
import TestSupport
import Testing

/// The operator's trading commands as a user runs them: real `alphatrader` processes against a
/// real `alphatrader tws-sim` process and a real redis-server.
@Suite("alphatrader order, orders, positions, cancel and emergency against tws-sim", .serialized)
struct TradingCLITests {
    struct Run { let status: Int32; let out: String; let err: String }

    static var binary: String { AlphaTraderCLITests.binary }

    func run(_ args: [String], in dir: String, env: [String: String]) throws -> Run {
        let r = try AlphaTraderCLITests().run(args, environment: env, in: dir)
        return Run(status: r.status, out: r.stdout, err: r.stderr)
    }

    @Test(
        "orders and a bracket placed, a fill the ordering process never read recorded once by the next, cancel, and the kill switch flattening the book (twice, safely)"
    )
    func endToEnd() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let dir = temporaryPath("dir")
        try FileManager.default.createDirectory(atPath: dir + "/config", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: repositoryRoot + "/config/config.yaml", toPath: dir + "/config/config.yaml")
        let (tape, _) = try TestTape.write(minutes: 10)
        defer { try? FileManager.default.removeItem(atPath: tape) }
        let port = try FreePort.pick()
        let env = [
            "REDIS_URL": redis.url, "IBKR_PORT": String(port),
            "ORCHESTRATOR_CLOCK": "sim=2026-11-25T14:31:00Z;real=\(Date().timeIntervalSince1970);speed=1",
        ]
        let sim = Process()
        sim.executableURL = URL(fileURLWithPath: TradingCLITests.binary)
        sim.arguments = ["tws-sim", "--tape", tape, "--port", String(port), "--account", "var/paper.json", "--heartbeat"]
        sim.currentDirectoryURL = URL(fileURLWithPath: dir)
        sim.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        sim.standardOutput = FileHandle.nullDevice
        sim.standardError = FileHandle.nullDevice
        try sim.run()
        defer {
            sim.terminate()
            let deadline = Date().addingTimeInterval(5)
            while sim.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if sim.isRunning { kill(sim.processIdentifier, SIGKILL) }
            sim.waitUntilExit()
        }
        let started = Date()
        while !FreePort.accepts(port) && Date().timeIntervalSince(started) < 10 { Thread.sleep(forTimeInterval: 0.05) }

        let market = try run(["order", "buy", "100", "SPY", "--json"], in: dir, env: env)
        #expect(market.status == 0, "\(market.err)")
        #expect(market.out.contains("\"status\":\"Filled\"") && market.out.contains("\"commission\":1.0"))

        // Sent, and the process gone without reading a byte of the reply (--wait 0).
        let away = try run(["order", "buy", "50", "QQQ", "--wait", "0", "--json"], in: dir, env: env)
        #expect(away.status == 0 && away.out.contains("\"status\":\"Submitting\""), "\(away.out)\(away.err)")
        let first = try run(["orders", "--json"], in: dir, env: env)
        #expect(first.out.components(separatedBy: "\"status\": \"Filled\"").count - 1 == 2, "\(first.out)")
        _ = try run(["orders"], in: dir, env: env)
        let journal = try Journal(path: dir + "/var/trading.sqlite")
        #expect(try journal.fills().count == 2, "each fill once, however many times the broker reports it")

        // An option bracket on the listed 0DTE expiry, its entry resting below the market.
        let bracket = try run(
            [
                "order", "buy", "1", "SPY", "--expiry", "20261125", "--strike", "600", "--right", "C", "--limit", "0.05",
                "--take-profit", "0.50", "--stop-loss", "0.01", "--json",
            ], in: dir, env: env)
        #expect(bracket.status == 0 && bracket.out.contains("\"status\":\"PreSubmitted\""), "\(bracket.out)\(bracket.err)")
        let refused = try run(["order", "buy", "1", "SPY", "--limit", "600.005"], in: dir, env: env)
        #expect(refused.status == 1 && refused.out.contains("110: The price does not conform"), "\(refused.out)")
        let bad = try run(["order", "hold", "1", "SPY"], in: dir, env: env)
        #expect(bad.status == 2)

        let positions = try run(["positions", "--json"], in: dir, env: env)
        #expect(positions.status == 0 && positions.out.contains("\"quantity\": 100") && positions.out.contains("\"quantity\": 50"), "\(positions.out)")
        let client = try RedisClient(url: try RedisURL(parsing: redis.url))
        #expect(
            try client.command(["GET", "module:heartbeat:broker"]).text?.contains("\"port\":\"\(port)\"") == true,
            "a supervised tws-sim says it is alive as every service does")
        #expect(try client.command(["GET", "positions:open"]).text?.contains("QQQ") == true)

        let halt = try run(["emergency", "--reason", "test", "--json"], in: dir, env: env)
        #expect(halt.status == 0 && halt.out.contains("\"flat\":true"), "\(halt.out)\(halt.err)")
        #expect(try client.command(["GET", "risk:state"]).text?.contains("HALTED") == true)
        #expect(try journal.orders(open: true).isEmpty)
        #expect(try journal.positions().allSatisfy { $0.holding.quantity == 0 })
        let again = try run(["emergency", "--reason", "twice"], in: dir, env: env)
        #expect(again.status == 0 && again.out.contains("0 order(s) cancelled, 0 position(s) closed"), "\(again.out)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/var/emergency").count == 2)
        #expect(try client.command(["XLEN", "alerts:stream"]).integer == 2)
    }

    @Test("kill -9 of `alphatrader order` between its order and the fill: the next command records the fill exactly once and sends nothing again")
    func killedWhileOrdering() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let dir = temporaryPath("dir")
        try FileManager.default.createDirectory(atPath: dir + "/config", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: repositoryRoot + "/config/config.yaml", toPath: dir + "/config/config.yaml")
        let (tape, _) = try TestTape.write(minutes: 10)
        defer { try? FileManager.default.removeItem(atPath: tape) }
        let port = try FreePort.pick()
        let env = [
            "REDIS_URL": redis.url, "IBKR_PORT": String(port),
            "ORCHESTRATOR_CLOCK": "sim=2026-11-25T14:31:00Z;real=\(Date().timeIntervalSince1970);speed=1",
        ]
        func process(_ args: [String]) -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: TradingCLITests.binary)
            p.arguments = args
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            return p
        }
        // A gateway that answers every request 1.5 s after it arrives: the order is on its way
        // for that long after the ordering process has sent it.
        let sim = process(["tws-sim", "--tape", tape, "--port", String(port), "--account", "var/paper.json", "--latency-ms", "1500"])
        try sim.run()
        defer {
            sim.terminate()
            sim.waitUntilExit()
        }
        let started = Date()
        while !FreePort.accepts(port) && Date().timeIntervalSince(started) < 10 { Thread.sleep(forTimeInterval: 0.05) }

        let ordering = process(["order", "buy", "10", "SPY", "--wait", "30", "--timeout", "10"])
        try ordering.run()
        let path = dir + "/var/trading.sqlite"
        var submitted: Date?
        while submitted == nil && ordering.isRunning && Date().timeIntervalSince(started) < 20 {
            if FileManager.default.fileExists(atPath: path), let order = try? Journal(path: path).orders().first, order.status == "Submitting" {
                submitted = Date()
            } else {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        try #require(submitted != nil, "the order was journaled before it was sent")
        Thread.sleep(forTimeInterval: 0.3)  // the send follows the commit
        kill(ordering.processIdentifier, SIGKILL)
        ordering.waitUntilExit()
        #expect(ordering.terminationReason == .uncaughtSignal && ordering.terminationStatus == SIGKILL)
        #expect(try Journal(path: path).fills().isEmpty, "killed before any reply could be read")

        // The broker fills the order once the request reaches it; the next command, a new
        // process, reconciles with the broker on connect.
        Thread.sleep(forTimeInterval: max(0, 2.0 - Date().timeIntervalSince(submitted!)))
        let first = try run(["orders", "--json", "--timeout", "10"], in: dir, env: env)
        #expect(first.status == 0 && first.out.contains("\"status\": \"Filled\""), "\(first.out)\(first.err)")
        let again = try run(["orders", "--json", "--timeout", "10"], in: dir, env: env)
        #expect(again.status == 0)
        let journal = try Journal(path: path)
        #expect(try journal.fills().count == 1, "the fill recorded once, however many times the broker reports it")
        #expect(try journal.orders().count == 1)
        let positions = try run(["positions", "--json", "--timeout", "10"], in: dir, env: env)
        #expect(positions.out.contains("\"quantity\": 10") && !positions.out.contains("\"quantity\": 20"), "sent once: \(positions.out)")
    }
}

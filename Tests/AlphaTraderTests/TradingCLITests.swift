import AlphaTrader
import Foundation
import GRDB
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

    /// A working directory with the config, a ten-minute tape, a redis-server and a running
    /// `tws-sim` process (with `simArguments`) on a free port; `stop()` takes it all down.
    final class Desk {
        let redis: RedisServer
        let dir: String, tape: String
        let port: Int
        let env: [String: String]
        private(set) var sim: Process!

        /// `tape`: a tape of its own (the desk removes it when it stops); `speed`: the market
        /// clock's, from 09:31.
        init(simArguments: [String] = [], tape: String? = nil, speed: Double = 1) throws {
            redis = try RedisServer()
            dir = temporaryPath("dir")
            try FileManager.default.createDirectory(atPath: dir + "/config", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: repositoryRoot + "/config/config.yaml", toPath: dir + "/config/config.yaml")
            self.tape = try tape ?? TestTape.write(minutes: 10).0
            port = try FreePort.pick()
            env = [
                "REDIS_URL": redis.url, "IBKR_PORT": String(port),
                "ORCHESTRATOR_CLOCK": "sim=2026-11-25T14:31:00Z;real=\(Date().timeIntervalSince1970);speed=\(speed)",
            ]
            sim = process(["tws-sim", "--tape", self.tape, "--port", String(port), "--account", "var/paper.json"] + simArguments)
            try sim.run()
            let started = Date()
            while !FreePort.accepts(port) && Date().timeIntervalSince(started) < 10 { Thread.sleep(forTimeInterval: 0.05) }
        }

        /// An `alphatrader` process in the directory, not started.
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

        func stop() {
            sim.terminate()
            let deadline = Date().addingTimeInterval(5)
            while sim.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if sim.isRunning { kill(sim.processIdentifier, SIGKILL) }
            sim.waitForExit()
            redis.stop()
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: tape)
        }
    }

    @Test(
        "orders and a bracket placed, a fill the ordering process never read recorded once by the next, cancel, and the kill switch flattening the book (twice, safely)"
    )
    func endToEnd() throws {
        let desk = try Desk(simArguments: ["--heartbeat"])
        defer { desk.stop() }
        let (redis, dir, port, env) = (desk.redis, desk.dir, desk.port, desk.env)

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
        // A gateway that answers every request 0.8 s after it arrives: the order is on its way
        // for that long after the ordering process has sent it.
        let desk = try Desk(simArguments: ["--latency-ms", "800"])
        defer { desk.stop() }
        let (dir, env) = (desk.dir, desk.env)
        let started = Date()

        let ordering = desk.process(["order", "buy", "10", "SPY", "--wait", "30", "--timeout", "10"])
        try ordering.run()
        let path = dir + "/var/trading.sqlite"
        // Watched through a read-only connection: opening a Journal would migrate (a write), and
        // wait out the ordering process's transactions — long enough, on a busy machine, to miss
        // the 0.8 s the order spends on its way.
        var submitted: Date?
        var reader: DatabaseQueue?
        while submitted == nil && ordering.isRunning && Date().timeIntervalSince(started) < 20 {
            if reader == nil && FileManager.default.fileExists(atPath: path) {
                var configuration = Configuration()
                configuration.readonly = true
                reader = try? DatabaseQueue(path: path, configuration: configuration)
            }
            let status = try? reader?.read { db in try String.fetchOne(db, sql: #"SELECT status FROM "order" LIMIT 1"#) }
            if status == "Submitting" {
                submitted = Date()
            } else {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        try? reader?.close()
        try #require(submitted != nil, "the order was journaled before it was sent")
        Thread.sleep(forTimeInterval: 0.3)  // the send follows the commit
        kill(ordering.processIdentifier, SIGKILL)
        ordering.waitUntilExit()
        #expect(ordering.terminationReason == .uncaughtSignal && ordering.terminationStatus == SIGKILL)
        #expect(try Journal(path: path).fills().isEmpty, "killed before any reply could be read")

        // The broker fills the order once the request reaches it; the next command, a new
        // process, reconciles with the broker on connect.
        Thread.sleep(forTimeInterval: max(0, 1.2 - Date().timeIntervalSince(submitted!)))
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

    @Test("positions --watch marks the book to market continuously from standing quotes, updating pnl:day, until stopped")
    func watchMarks() throws {
        let desk = try Desk()
        defer { desk.stop() }
        let bought = try run(["order", "buy", "100", "SPY", "--json"], in: desk.dir, env: desk.env)
        #expect(bought.status == 0, "\(bought.err)")
        let watcher = desk.process(["positions", "--watch", "0.3", "--json"])
        let out = Pipe()
        watcher.standardOutput = out
        try watcher.run()
        var lines: [String] = []
        var buffer = Data()
        let deadline = Date().addingTimeInterval(10)
        while lines.count < 3 && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer += chunk
            lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        watcher.terminate()
        watcher.waitUntilExit()
        #expect(lines.count >= 3, "a line a round: \(lines)")
        let last = try #require(try JSONSerialization.jsonObject(with: Data((lines.last ?? "").utf8)) as? [String: Any])
        #expect(last["open"] as? Int == 1 && last["marked"] as? Int == 1, "\(last)")
        let unrealized = try #require((last["unrealized_pnl"] as? NSNumber)?.doubleValue)
        // 100 shares marked a few seconds after they were bought: the spread and a few ticks.
        #expect(abs(unrealized) < 100, "\(unrealized)")
        let client = try RedisClient(url: try RedisURL(parsing: desk.redis.url))
        let pnl = try #require(DayPnLDocument.read(try client.command(["GET", DayPnLDocument.key]).text))
        #expect(pnl.session == "2026-11-25" && pnl.commissions == 1.0, "\(pnl)")
        #expect(abs(pnl.unrealized - unrealized) < 5, "the mirror marks the book as the watcher printed it: \(pnl.unrealized) against \(unrealized)")
        #expect(watcher.terminationStatus == 0, "SIGTERM ends the watch cleanly")
    }
}

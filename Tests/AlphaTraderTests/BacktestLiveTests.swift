import Foundation
import GRDB
import OrchestratorCore
import TestSupport
import Testing

/// Issue 22's "equal to live": one generated morning traded by `orchestrator run-day` with the
/// repository's own jobs (Redis, tws-sim, ingestion, analytics, discovery, market-open and the
/// execution service as real processes), and by `alphatrader backtest` over the same tape.
@Suite("A backtest against run-day on the same tape", .serialized)
struct BacktestLiveTests {
    /// run-day's speed: 10× keeps what the accelerated clock changes within the market second
    /// each step begins (see `sameTradesAsRunDay`).
    static let speed = "10"

    /// A workspace holding the repository's configuration and jobs, nothing else of it (no
    /// discovered parameters, no journal).
    static func workspace() throws -> String {
        let dir = temporaryPath("live-day")
        let fm = FileManager.default
        for folder in ["config", "jobs"] {
            try fm.createDirectory(atPath: "\(dir)/\(folder)", withIntermediateDirectories: true)
            for name in try fm.contentsOfDirectory(atPath: "\(repositoryRoot)/\(folder)") where !name.hasPrefix("discovered") {
                try fm.copyItem(atPath: "\(repositoryRoot)/\(folder)/\(name)", toPath: "\(dir)/\(folder)/\(name)")
            }
        }
        try fm.createDirectory(atPath: "\(dir)/var/tapes", withIntermediateDirectories: true)
        return dir
    }

    static func process(_ binary: String, _ arguments: [String], in dir: String, environment: [String: String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = environment
        let log = "\(dir)/\(arguments.first ?? "run")-\(UUID().uuidString.prefix(8)).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: log)
        p.standardError = p.standardOutput
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// What a journal traded: each table's rows as the comparison reads them.
    struct Trades {
        struct Signal: Equatable { var id, direction, instrument: String; var entry, stop: Double; var targets: [Double]; var confidence: Double }
        struct Decision: Equatable { var strategy, instrument, action: String; var quantity: Int; var allowed: Bool; var check: String? }
        struct Order { var ref, action, type, status: String; var quantity, filled: Int; var limit, stop: Double?; var price, created: Double }
        struct Position { var id, reason: String?; var opened: Double; var closed: Double?; var pnl: Double? }
        var signals: [Signal] = []
        var decisions: [Decision] = []
        var orders: [Order] = []
        var positions: [Position] = []

        init(_ path: String) throws {
            let db = try DatabaseQueue(
                path: path,
                configuration: {
                    var c = Configuration(); c.readonly = true; return c
                }())
            try db.read { db in
                for row in try Row.fetchAll(db, sql: "SELECT id, direction, document, confidence FROM signal ORDER BY id") {
                    let document = try JSONSerialization.jsonObject(with: Data((row["document"] as String).utf8)) as? [String: Any] ?? [:]
                    let instrument = document["instrument"] as? [String: Any] ?? [:]
                    signals.append(
                        Signal(
                            id: row["id"], direction: row["direction"],
                            instrument: "\(instrument["type"] ?? "") \(instrument["expiry"] ?? "") \(instrument["right"] ?? "") \(instrument["strike"] ?? "")",
                            entry: document["entry"] as? Double ?? 0, stop: document["stop"] as? Double ?? 0, targets: document["targets"] as? [Double] ?? [],
                            confidence: row["confidence"]))
                }
                decisions = try Row.fetchAll(db, sql: "SELECT * FROM risk_decision ORDER BY id").map {
                    Decision(
                        strategy: $0["strategy"] ?? "", instrument: $0["instrument"], action: $0["action"], quantity: $0["quantity"], allowed: $0["allowed"],
                        check: $0["check_name"])
                }
                orders = try Row.fetchAll(db, sql: #"SELECT * FROM "order" ORDER BY ref"#).map {
                    Order(
                        ref: $0["ref"], action: $0["action"], type: $0["order_type"], status: $0["status"], quantity: $0["quantity"], filled: $0["filled"],
                        limit: $0["limit_price"], stop: $0["stop_price"], price: $0["average_price"], created: $0["created_at"])
                }
                positions = try Row.fetchAll(db, sql: "SELECT * FROM managed_position ORDER BY id").map {
                    Position(id: $0["id"], reason: $0["close_reason"], opened: $0["opened_at"], closed: $0["closed_at"], pnl: $0["realized_pnl"])
                }
            }
        }
    }

    @Test(
        "the backtest's trades are run-day's: the same signals, risk decisions, orders and fills from the same tape, apart from what the 10x clock moves within its second"
    )
    func sameTradesAsRunDay() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bin = URL(fileURLWithPath: AlphaTraderCLITests.binary).deletingLastPathComponent().path
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("ALPHA_VANTAGE") || key.hasPrefix("OPENAI") || key.hasPrefix("ORCHESTRATOR_") {
            environment[key] = nil
        }
        let redis = try FreePort.pick()
        environment.merge(
            [
                "PATH": bin + ":" + (environment["PATH"] ?? "/usr/bin:/bin"), "REDIS_PORT": String(redis), "REDIS_URL": "redis://127.0.0.1:\(redis)/0",
                "IBKR_PORT": String(try FreePort.pick()), "DASHBOARD_LISTEN": "127.0.0.1:\(try FreePort.pick())", "ALPHATRADER_LOCAL_CHANNELS": "1",
            ], uniquingKeysWith: { $1 })
        // The morning as replay-gen writes it: the open, discovery's 09:30 and 09:45 runs, the
        // first 0dte and 14dte entries at 09:45 and 09:50, a stop hit at 09:52.
        let tape = "\(dir)/var/tapes/2026-11-25.tape"
        let gen = try Self.process(
            bin + "/alphatrader", ["replay-gen", "--date", "2026-11-25", "--from", "09:25", "--to", "09:55", "--out", tape], in: dir, environment: environment)
        #expect(gen.status == 0, "\(gen.output)")

        // run-day, the repository's jobs: the premarket job at 07:00 (its own run-day, for time),
        // then market-open at 09:25 and the session to 09:57.
        let orchestrator = bin + "/orchestrator"
        let morning = try Self.process(
            orchestrator, ["run-day", "--date", "2026-11-25", "--from", "06:59", "--until", "07:03", "--speed", Self.speed], in: dir, environment: environment)
        #expect(morning.status == 0, "\(morning.output)")
        let session = try Self.process(
            orchestrator, ["run-day", "--date", "2026-11-25", "--from", "09:24", "--until", "09:57", "--speed", Self.speed], in: dir, environment: environment)
        #expect(session.status == 0, "\(session.output)")
        let backtest = try Self.process(
            bin + "/alphatrader", ["backtest", "--tapes", tape, "--out", "\(dir)/backtest"], in: dir, environment: environment)
        #expect(backtest.status == 0, "\(backtest.output)")

        let live = try Trades("\(dir)/var/trading.sqlite"), replayed = try Trades("\(dir)/backtest/journal.sqlite")
        #expect(live.orders.filter { $0.action == "BUY" && $0.filled > 0 }.count >= 3, "the morning trades: \(session.output.suffix(2_000))")

        // The same signals: their ids name the strategy, the symbol and the market second; the
        // same contracts and prices. Their confidence may differ in its third digit: live, the
        // analytics write their documents every 50 ms of real time (half a market second at
        // 10x), a backtest's are exact at the second.
        #expect(live.signals.map(\.id) == replayed.signals.map(\.id))
        for (a, b) in zip(live.signals, replayed.signals) {
            #expect(
                a.direction == b.direction && a.instrument == b.instrument && a.entry == b.entry && a.stop == b.stop && a.targets == b.targets, "\(a) / \(b)")
            #expect(abs(a.confidence - b.confidence) <= 0.01, "\(a.id): confidence \(a.confidence) / \(b.confidence)")
        }
        // The same risk decisions, in order, for the same reasons.
        #expect(live.decisions == replayed.decisions)
        // The same orders: refs, sides, sizes, types, limits and stops, where they ended. A fill's
        // price may differ by a few cents: live, an order reaches the broker a few tenths of a
        // market second after its second began (tens of milliseconds of real time at 10x), a
        // backtest's at it, and an option's quote can move in between.
        #expect(live.orders.map(\.ref) == replayed.orders.map(\.ref))
        for (a, b) in zip(live.orders, replayed.orders) {
            #expect(
                a.action == b.action && a.type == b.type && a.quantity == b.quantity && a.filled == b.filled && a.status == b.status, "\(a) / \(b)")
            #expect(a.limit == b.limit && a.stop == b.stop, "\(a.ref): limit \(a.limit ?? 0) / \(b.limit ?? 0), stop \(a.stop ?? 0) / \(b.stop ?? 0)")
            #expect(abs(a.price - b.price) <= 0.05, "\(a.ref): filled at \(a.price) / \(b.price)")
            #expect(a.created >= b.created && a.created < b.created + 2, "\(a.ref): sent at \(a.created) / \(b.created)")
        }
        // The same positions, closed for the same reasons within seconds of each other.
        #expect(live.positions.map(\.id) == replayed.positions.map(\.id))
        for (a, b) in zip(live.positions, replayed.positions) {
            #expect(a.reason == b.reason, "\(a.id ?? ""): \(a.reason ?? "open") / \(b.reason ?? "open")")
            #expect(abs((a.closed ?? 0) - (b.closed ?? 0)) <= 3, "\(a.id ?? ""): closed at \(a.closed ?? 0) / \(b.closed ?? 0)")
            #expect(abs((a.pnl ?? 0) - (b.pnl ?? 0)) <= 5, "\(a.id ?? ""): P&L \(a.pnl ?? 0) / \(b.pnl ?? 0)")
        }
    }
}

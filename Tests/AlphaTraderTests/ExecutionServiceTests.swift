import AlphaTrader
import Foundation
import OrchestratorCore
import Redis
import TestSupport
import Testing

/// `alphatrader execute` as the orchestrator runs it: a real process against a real tws-sim
/// process (the paper broker, its orders kept in its account file) and a real redis-server, the
/// market's documents written the way the analytics and premarket services write them.
@Suite("alphatrader execute against tws-sim and Redis", .serialized)
struct ExecutionServiceTests {
    /// 0dte on SPY and QQQ only, from the open; the daily loss limit given.
    static func strategies(dailyLossLimit: Double) -> String {
        """
        risk:
          daily_loss_limit: \(dailyLossLimit)
        strategies:
          0dte:
            window: { from: "09:30", to: "15:00" }
            symbols: [SPY, QQQ]
            sizing: { contracts: 1, max_premium: 1500 }
          1dte: { enabled: false }
          14dte: { enabled: false }
          moc: { enabled: false }
        """
    }

    /// The desk with a strategies file and the session's strategies enabled.
    static func desk(dailyLossLimit: Double, tape: String? = nil, speed: Double = 1) throws -> (TradingCLITests.Desk, RedisClient, any WallClock) {
        let desk = try TradingCLITests.Desk(tape: tape, speed: speed)
        try strategies(dailyLossLimit: dailyLossLimit).write(toFile: desk.dir + "/config/strategies.yaml", atomically: true, encoding: .utf8)
        let redis = try RedisClient(url: try RedisURL(parsing: desk.redis.url))
        let clock = try SimulatedClock.fromEnvironment(desk.env)
        _ = try redis.command(["SET", EnabledStrategiesDocument.key, EnabledStrategiesDocument(session: "2026-11-25", strategies: ["0dte"], timestamp: 1).json])
        return (desk, redis, clock)
    }

    /// `symbol`'s market as the services would have written it, priced at the broker's quote:
    /// below the gamma flip by 1 %, VPIN 0.70 and bids leading the book — 0dte's momentum long.
    /// With `ticker` false the ticker is left to ingestion (a replayed day).
    static func momentum(_ symbol: String, price: Double, redis: RedisClient, now: Double, ticker: Bool = true) throws {
        let ms = Int64(now * 1000)
        let document = TickerDocument(
            symbol: symbol, bid: price - 0.01, ask: price + 0.01, bidSize: 500, askSize: 500, last: price, open: price, high: price, low: price,
            volume: 1_000_000, vwap: price, trades: 5_000, timestamp: ms)
        _ = try redis.pipeline(
            (ticker ? [["SET", TickerDocument.key(symbol), document.json]] : []) + [
                [
                    "SET", VPINDocument.key(symbol),
                    VPINDocument(value: 0.70, buckets: 50, bucketVolume: 100_000, window: 50, trades: 9_000, timestamp: ms).json,
                ],
                ["SET", ImbalanceDocument.key(symbol), ImbalanceDocument(value: 0.6, bid: 8_000, ask: 2_000, timestamp: ms).json],
                [
                    "SET", ExposureDocument.gexKey(symbol),
                    ExposureDocument(
                        spot: price, total: -2e9, flip: (price * 1.01 * 100).rounded() / 100, unit: ExposureDocument.gammaUnit,
                        byStrike: [[(price).rounded(), -1e9], [(price * 1.02).rounded(), 5e8]], timestamp: Int64(now)
                    ).json,
                ],
            ])
    }

    /// `alphatrader execute` started in the desk, its log in `execute.log`.
    static func execute(_ desk: TradingCLITests.Desk) throws -> (Process, String) {
        let service = desk.process(["execute", "--journal", "var/trading.sqlite"])
        let logPath = desk.dir + "/execute.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        service.standardError = FileHandle(forWritingAtPath: logPath)
        try service.run()
        return (service, logPath)
    }

    @Test("a replay day crafted to hit the daily loss limit: SPY falls 4 % over two minutes with a call open; the loss trips HALTED and the book is flattened")
    func crashDay() throws {
        // From 09:31:30 to 09:33:30; the clock runs 10x from 09:31, and 0dte buys a call at once.
        // One contract of a $1 call: a $25 limit is a quarter of what it can lose.
        let tape = try TestTape.crash(from: 90, over: 120, drop: 0.04)
        let (desk, redis, clock) = try Self.desk(dailyLossLimit: 25, tape: tape, speed: 10)
        defer { desk.stop() }
        let ingest = desk.process(["ingest", "--source", "replay", "--tape", tape])
        try ingest.run()
        defer { if ingest.isRunning { ingest.terminate(); ingest.waitForExit() } }
        let started = try Self.wait(10, redis: redis, clock: clock) { try redis.command(["GET", TickerDocument.key("SPY")]).text != nil }
        #expect(started, "ingestion wrote no SPY ticker")
        let spy = try #require(TickerDocument.read(try redis.command(["GET", TickerDocument.key("SPY")]).text)).last
        // The analytics' picture (VPIN, the book, the gamma) of a momentum long; the prices are the tape's.
        try Self.momentum("SPY", price: spy, redis: redis, now: clock.now(), ticker: false)
        let (service, logPath) = try Self.execute(desk)
        defer { if service.isRunning { service.terminate(); service.waitForExit() } }
        let journalPath = desk.dir + "/var/trading.sqlite"
        var journal: Journal?
        var refreshed = Date()
        let halted = try Self.wait(60, redis: redis, clock: clock) {
            if Date().timeIntervalSince(refreshed) > 0.5 {
                try Self.momentum("SPY", price: spy, redis: redis, now: clock.now(), ticker: false)
                refreshed = Date()
            }
            if journal == nil, FileManager.default.fileExists(atPath: journalPath) { journal = try? Journal(readingOnly: journalPath) }
            return try journal?.breakerEvents().contains { $0.event.hasPrefix("HALTED") } == true
        }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        #expect(halted, "no HALTED in the journal: \(log)")
        let entries = try journal?.orders().filter { $0.request.action == .buy && $0.filled > 0 } ?? []
        #expect(!entries.isEmpty, "an entry was filled before the fall")
        let halt = try #require(try journal?.breakerEvents().first { $0.event.hasPrefix("HALTED") })
        #expect(halt.event.contains("the day's loss"), "\(halt.event)")
        #expect(halt.time < Double(TestTape.open + 90 + 120 + 30), "halted during the fall, not after it")
        let flat = try Self.wait(20, redis: redis, clock: clock) { try journal?.positions().allSatisfy { $0.holding.quantity == 0 } == true }
        #expect(flat, "the book was flattened: \(log)")
        // Mirrored to Redis just after the journal has it.
        let mirrored = try Self.wait(10, redis: redis, clock: clock) {
            try redis.command(["GET", RiskStateDocument.key]).text?.contains("HALTED") == true
        }
        #expect(mirrored, "risk:state says HALTED")
    }

    /// The broker's touch for a stock (through a connection of its own).
    static func price(_ symbol: String, desk: TradingCLITests.Desk, clock: any WallClock) throws -> Double {
        let path = temporaryPath("quote-journal")
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let journal = try Journal(path: path)
        let broker = BrokerConnection(
            options: .init(host: "127.0.0.1", port: desk.port, clientId: 77), journal: journal, log: EventLog(module: "test", clock: clock), clock: clock)
        try broker.connect()
        defer { broker.close() }
        let q = try #require(try broker.quote(.stock(symbol: symbol), timeout: 5), "no quote for \(symbol)")
        return (q.bid + q.ask) / 2
    }

    /// The running service's heartbeat (`module:heartbeat:execution`): its pid, time and open positions.
    static func heartbeat(_ redis: RedisClient) throws -> (pid: Int, ts: Double, positions: Int)? {
        guard let text = try redis.command(["GET", "module:heartbeat:execution"]).text,
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let pid = object["pid"] as? Int, let ts = object["ts"] as? Int, let positions = object["positions"] as? Int
        else { return nil }
        return (pid, Double(ts) / 1000, positions)
    }

    /// Waits up to `seconds` for `condition`, keeping the tickers fresh meanwhile.
    static func wait(
        _ seconds: Double, refreshing: [(String, Double)] = [], redis: RedisClient, clock: any WallClock, _ condition: () throws -> Bool
    )
        throws -> Bool
    {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            for (symbol, price) in refreshing { try momentum(symbol, price: price, redis: redis, now: clock.now()) }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return try condition()
    }

    /// The orders tws-sim holds (its account file, written when it stops): each order's request
    /// as JSON text.
    static func brokerOrders(_ desk: TradingCLITests.Desk) throws -> [String] {
        desk.sim.terminate()
        desk.sim.waitForExit()
        let data = try Data(contentsOf: URL(fileURLWithPath: desk.dir + "/var/paper.json"))
        let root = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let orders = (root?["broker"] as? [String: Any])?["orders"] as? [String: Any] ?? [:]
        return try orders.keys.sorted { Int($0)! < Int($1)! }.map { key in
            let request = (orders[key] as? [String: Any])?["request"] ?? [:]
            return String(decoding: try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    @Test("the daily loss limit: a losing position trips HALTED, the book is flattened, and a later signal sends no order to tws-sim")
    func lossLimitHalts() throws {
        let (desk, redis, clock) = try Self.desk(dailyLossLimit: 1)
        defer { desk.stop() }
        let spy = try Self.price("SPY", desk: desk, clock: clock)
        try Self.momentum("SPY", price: spy, redis: redis, now: clock.now())
        let (service, logPath) = try Self.execute(desk)
        defer { if service.isRunning { service.terminate(); service.waitForExit() } }
        let journalPath = desk.dir + "/var/trading.sqlite"
        var journal: Journal?
        // The entry fills at the offer: the spread and the commission are a loss over $1.
        let halted = try Self.wait(30, refreshing: [("SPY", spy)], redis: redis, clock: clock) {
            if journal == nil, FileManager.default.fileExists(atPath: journalPath) { journal = try? Journal(readingOnly: journalPath) }
            return try journal?.breakerEvents().contains { $0.event.hasPrefix("HALTED") } == true
        }
        #expect(halted, "no HALTED in the journal: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
        let flat = try Self.wait(15, redis: redis, clock: clock) { try journal?.positions().allSatisfy { $0.holding.quantity == 0 } == true }
        #expect(flat, "the book was flattened")
        // Mirrored to Redis just after the journal has it.
        let mirrored = try Self.wait(10, redis: redis, clock: clock) {
            try redis.command(["GET", RiskStateDocument.key]).text?.contains("HALTED") == true
        }
        #expect(mirrored, "risk:state says HALTED")
        #expect(try redis.command(["XLEN", "alerts:stream"]).integer ?? 0 >= 1)

        // QQQ now shows the same picture: a signal the strategies give (alphatrader signals says
        // so) and the service would trade — were it not halted.
        let qqq = try Self.price("QQQ", desk: desk, clock: clock)
        try Self.momentum("QQQ", price: qqq, redis: redis, now: clock.now())
        let shown = try AlphaTraderCLITests().run(["signals", "--json"], environment: desk.env, in: desk.dir)
        #expect(shown.status == 0 && shown.stdout.contains("\"symbol\":\"QQQ\""), "the QQQ set-up signals: \(shown.stdout)\(shown.stderr)")
        // The service has looked at it for a few market seconds.
        let since = clock.now()
        let looked = try Self.wait(10, refreshing: [("QQQ", qqq), ("SPY", spy)], redis: redis, clock: clock) {
            (try Self.heartbeat(redis)?.ts ?? 0) >= since + 3
        }
        #expect(looked, "the service kept evaluating after the halt")
        service.terminate()
        service.waitForExit()
        let orders = try Self.brokerOrders(desk)
        #expect(orders.contains { $0.contains("SPY") && $0.contains("\"BUY\"") }, "the SPY entry reached the broker: \(orders)")
        #expect(!orders.contains { $0.contains("QQQ") }, "no order for QQQ reached the broker after the halt: \(orders)")
        let decisions = try journal?.decisions() ?? []
        #expect(decisions.contains { $0.allowed && $0.reason == "every check passed" })
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        #expect(text.contains("HALTED: cancelling and closing everything"), "\(text)")
    }

    @Test("kill -9 of execute with a position open: the restarted service rebuilds it from the journal and sends no order twice")
    func killedAndRestarted() throws {
        let (desk, redis, clock) = try Self.desk(dailyLossLimit: 2_000)
        defer { desk.stop() }
        let spy = try Self.price("SPY", desk: desk, clock: clock)
        try Self.momentum("SPY", price: spy, redis: redis, now: clock.now())
        let (first, _) = try Self.execute(desk)
        let journalPath = desk.dir + "/var/trading.sqlite"
        var journal: Journal?
        // Killed once the broker has acknowledged the entry: its orders are at tws-sim, not only journaled.
        let entered = try Self.wait(30, refreshing: [("SPY", spy)], redis: redis, clock: clock) {
            if journal == nil, FileManager.default.fileExists(atPath: journalPath) { journal = try? Journal(readingOnly: journalPath) }
            return try journal?.managedPositions(open: true).isEmpty == false && journal?.orders().contains { $0.status != "Submitting" } == true
        }
        #expect(entered, "the service entered a position and the broker acknowledged it")
        kill(first.processIdentifier, SIGKILL)
        first.waitForExit()
        let before = try journal?.orders().count ?? 0

        let (second, logPath) = try Self.execute(desk)
        // The restarted service beats with the position it rebuilt from the journal.
        let rebuilt = try Self.wait(15, refreshing: [("SPY", spy)], redis: redis, clock: clock) {
            let beat = try Self.heartbeat(redis)
            return beat?.pid == Int(second.processIdentifier) && beat?.positions == 1
        }
        #expect(rebuilt, "the restarted service holds the position")
        second.terminate()
        second.waitForExit()
        #expect(second.terminationStatus == 0)
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        #expect(text.contains("open_positions=1"), "the restarted service found the position: \(text)")
        #expect(try journal?.managedPositions().count == 1, "one position, not a second entry for the same signal")
        #expect(try journal?.orders().count == before, "no order was sent again")
        // The day as alphatrader day reads it from the journal (read-only, the service gone).
        let day = try AlphaTraderCLITests().run(["day", "--date", "2026-11-25", "--json"], environment: desk.env, in: desk.dir)
        #expect(day.status == 0, "\(day.stderr)")
        #expect(day.stdout.contains("\"strategy\":\"0dte\",\"signals\":1,\"entries\":1"), "\(day.stdout)")
        #expect(day.stdout.contains("\"state\":\"ACTIVE\""), "\(day.stdout)")
        let orders = try Self.brokerOrders(desk)
        let refs = orders.compactMap { o in o.range(of: "\"orderRef\":\"[^\"]*\"", options: .regularExpression).map { String(o[$0]) } }
        #expect(!orders.isEmpty && refs.count == orders.count && Set(refs).count == refs.count, "each of our orders reached tws-sim once: \(orders)")
    }
}

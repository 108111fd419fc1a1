import Foundation
import GRDB
import OrchestratorCore
import Redis
import TestSupport
import Testing

@testable import AlphaTrader

@Suite("The trade journal on a real SQLite file")
struct JournalTests {
    let spy = Instrument.stock(symbol: "SPY")
    let call = Instrument.option(symbol: "SPY", expiry: "20261207", strike: 600, right: .call)

    func fill(
        _ exec: String, ref: String, _ instrument: Instrument, _ action: OrderRequest.Action, _ quantity: Int, _ price: Double,
        cumulative: Int? = nil
    ) -> TWSOrderMessages.Fill {
        TWSOrderMessages.Fill(
            execId: exec, orderId: 7, permId: 1_000_007, clientId: 1, orderRef: ref, instrument: instrument, conId: 0,
            action: action, quantity: quantity, price: price, time: 1_795_617_000, cumulativeQuantity: cumulative ?? quantity,
            averagePrice: price, account: "DU1", exchange: "ISLAND")
    }

    @Test("an order, its states, fills (each once) and commissions; positions and P&L from them")
    func lifecycle() throws {
        let path = temporaryPath("sqlite")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let journal = try Journal(path: path)
        let buy = OrderRequest(id: 7, instrument: call, action: .buy, quantity: 3, kind: .limit(2.50), orderRef: "at-1")
        try journal.recordSubmission(buy, clientId: 1, parentRef: nil, strategy: "0dte", now: 1)
        #expect(try journal.order(ref: "at-1")?.status == "Submitting")
        try journal.recordStatus(ref: "at-1", status: "Submitted", permId: 1_000_007, now: 2)
        #expect(try journal.recordFill(fill("e1", ref: "at-1", call, .buy, 2, 2.50), now: 3) == .changed)
        #expect(try journal.recordFill(fill("e1", ref: "at-1", call, .buy, 2, 2.50), now: 3) == .unchanged, "the same execution again is not a second fill")
        #expect(try journal.recordFill(fill("e2", ref: "at-1", call, .buy, 1, 2.56), now: 4) == .changed)
        #expect(try journal.recordCommission(execId: "e1", commission: 1.30, now: 5))
        #expect(try !journal.recordCommission(execId: "e1", commission: 1.30, now: 5), "a commission once")
        #expect(try journal.recordCommission(execId: "e2", commission: 0.65, now: 5))
        #expect(try !journal.recordCommission(execId: "nope", commission: 1, now: 5))
        try journal.recordStatus(ref: "at-1", status: "Filled", filled: 3, averagePrice: 2.52, now: 6)
        try journal.recordStatus(ref: "at-1", status: "Submitted", now: 7)
        let order = try #require(try journal.order(ref: "at-1"))
        #expect(order.status == "Filled" && order.filled == 3 && abs(order.averagePrice - 2.52) < 1e-9 && abs(order.commission - 1.95) < 1e-9)
        #expect(order.strategy == "0dte" && order.permId == 1_000_007 && !order.isOpen)
        // 2 × 250 + 1 × 256 + 1.95 over 3 contracts.
        let position = try #require(try journal.positions().first)
        #expect(position.instrument == call && position.holding.quantity == 3 && abs(position.holding.averageCost - 252.65) < 1e-9)

        let sell = OrderRequest(id: 8, instrument: call, action: .sell, quantity: 3, kind: .market, orderRef: "at-2")
        try journal.recordSubmission(sell, clientId: 1, parentRef: "at-1", strategy: "0dte", now: 8)
        try journal.recordFill(fill("e3", ref: "at-2", call, .sell, 3, 3.00), now: 9)
        try journal.recordCommission(execId: "e3", commission: 1.95, now: 9)
        let closed = try #require(try journal.positions().first)
        // (300 − 252.65) × 3 − 1.95
        #expect(closed.holding.quantity == 0 && abs(closed.holding.realizedPnL - 140.10) < 1e-9)
        #expect(try journal.fills().map(\.execId) == ["e1", "e2", "e3"])
        #expect(abs((try journal.fills(ref: "at-2").first?.realizedPnL ?? 0) - 140.10) < 1e-9)
        #expect(try journal.orders(open: true).isEmpty && journal.orders().count == 2)
        #expect(try journal.largestBrokerId(clientId: 1) == 8)
    }

    @Test("what one read brought is journaled in one transaction, in order: status, fill, the same fill again, commission")
    func batch() throws {
        let path = temporaryPath("sqlite")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let journal = try Journal(path: path)
        try journal.recordSubmission(
            OrderRequest(id: 3, instrument: spy, action: .buy, quantity: 10, kind: .market, orderRef: "at-b"),
            clientId: 1, parentRef: nil, strategy: nil, now: 1)
        let results = try journal.record(
            [
                .status(ref: "at-b", status: "Submitted", filled: nil, averagePrice: nil, permId: 77),
                .fill(fill("b1", ref: "at-b", spy, .buy, 10, 600.02)), .fill(fill("b1", ref: "at-b", spy, .buy, 10, 600.02)),
                .status(ref: "at-b", status: "Filled", filled: 10, averagePrice: 600.02, permId: 77), .commission(execId: "b1", commission: 1),
            ], now: 2)
        #expect(results == [.changed, .changed, .unchanged, .changed, .changed])
        let order = try #require(try journal.order(ref: "at-b"))
        #expect(order.status == "Filled" && order.filled == 10 && order.commission == 1 && order.permId == 77)
        #expect(try journal.positions().first?.holding == Holding(quantity: 10, averageCost: 600.12))
    }

    @Test("a fill of an order placed elsewhere is kept under an External order of its own")
    func externalFill() throws {
        let path = temporaryPath("sqlite")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let journal = try Journal(path: path)
        #expect(try journal.recordFill(fill("x1", ref: "", spy, .buy, 10, 600), now: 1) == .externalFill)
        #expect(try journal.order(ref: "perm-1000007")?.status == "External")
        #expect(try journal.positions().first?.holding.quantity == 10)
        #expect(try journal.recordFill(fill("x2", ref: "", spy, .buy, 5, 600), now: 2) == .externalFill, "its next fill is not ours either")
    }

    @Test("the schema's constraints refuse what cannot be: a duplicate order ref, a non-positive quantity")
    func constraints() throws {
        let path = temporaryPath("sqlite")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let journal = try Journal(path: path)
        let order = OrderRequest(id: 1, instrument: spy, action: .buy, quantity: 1, kind: .market, orderRef: "at-x")
        try journal.recordSubmission(order, clientId: 1, parentRef: nil, strategy: nil, now: 1)
        #expect(throws: Journal.Failure.self) { try journal.recordSubmission(order, clientId: 1, parentRef: nil, strategy: nil, now: 2) }
        var zero = order
        zero.quantity = 0
        zero.orderRef = "at-y"
        #expect(throws: Journal.Failure.self) { try journal.recordSubmission(zero, clientId: 1, parentRef: nil, strategy: nil, now: 2) }
    }

    @Test("signals (each once), risk decisions with their reasons and breaker events are journaled and read back")
    func decisions() throws {
        let path = temporaryPath("sqlite")
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let journal = try Journal(path: path)
        let signal = Signal(
            time: 1_796_657_400, strategy: "0dte", symbol: "SPY", direction: .long, instrument: call, entry: 1.25, stop: 0.88, targets: [1.88],
            confidence: 0.721, features: ["vpin": 0.7], reason: "momentum long")
        #expect(try journal.recordSignal(signal))
        #expect(try journal.recordSignal(signal) == false, "the same signal again is not a second one")
        #expect(try journal.signals() == [signal])
        let order = ProposedOrder(strategy: "0dte", instrument: call, action: .buy, quantity: 2, limitPrice: 1.25)
        try journal.recordDecision(order, RiskDecision(allowed: true, check: nil, reason: "every check passed"), now: 1)
        try journal.recordDecision(order, RiskDecision(allowed: false, check: .valueAtRisk, reason: "95 % one-day VaR would be $9251 (limit $5000)"), now: 2)
        let decisions = try journal.decisions()
        #expect(decisions.map(\.allowed) == [true, false] && decisions.last?.check == "value_at_risk" && decisions.last?.reason.contains("VaR") == true)
        try journal.recordBreaker(.halted(reason: "the day's loss $2000.00 reached the limit $2000"), now: 3)
        #expect(try journal.breakerEvents().map(\.event) == ["HALTED: the day's loss $2000.00 reached the limit $2000"])
    }

    @Test("a journal of the first schema is migrated with its order events kept, and new events follow them")
    func migratesOrderEvents() throws {
        let path = temporaryPath("sqlite")
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let queue = try DatabaseQueue(path: path)
        try Journal.migrator.migrate(queue, upTo: "v1")
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO "order" (ref, broker_id, client_id, symbol, sec_type, action, quantity, order_type, tif, status, created_at, updated_at)
                    VALUES ('old-1', 1, 7, 'SPY', 'STK', 'BUY', 10, 'MKT', 'DAY', 'Submitted', 1, 1);
                    INSERT INTO order_event (ref, time, status, detail) VALUES ('old-1', 1, 'Submitting', 'BUY 10 SPY MKT'), ('old-1', 2, 'Submitted', '');
                    """)
        }
        try queue.close()
        let journal = try Journal(path: path)
        try journal.recordStatus(ref: "old-1", status: "Cancelled", now: 3)
        let reader = try DatabaseQueue(path: path)
        let events = try reader.read { db in try Row.fetchAll(db, sql: "SELECT id, status FROM order_event ORDER BY id") }
        #expect(events.map { $0["status"] as String } == ["Submitting", "Submitted", "Cancelled"])
        #expect(events.map { $0["id"] as Int } == [1, 2, 3])
        let schema = try reader.read { db in try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'order_event'") }
        #expect(schema?.contains("AUTOINCREMENT") == false)
    }

    @Test("a journal of the fourth schema takes good-till-cancelled orders after its migration, every order, event and index kept")
    func migratesToGoodTillCancelled() throws {
        let path = temporaryPath("sqlite")
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let queue = try DatabaseQueue(path: path)
        try Journal.migrator.migrate(queue, upTo: "v4")
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO "order" (ref, broker_id, client_id, symbol, sec_type, action, quantity, order_type, tif, status, created_at, updated_at, position_id)
                    VALUES ('old-1', 1, 7, 'SPY', 'STK', 'BUY', 10, 'LMT', 'DAY', 'Filled', 1, 1, 'p-1');
                    INSERT INTO "order" (ref, broker_id, client_id, symbol, sec_type, action, quantity, order_type, stop_price, tif, parent_ref, status, created_at, updated_at, position_id)
                    VALUES ('old-2', 2, 7, 'SPY', 'STK', 'SELL', 10, 'STP', 590, 'DAY', 'old-1', 'Submitted', 1, 1, 'p-1');
                    INSERT INTO order_event (ref, time, status, detail) VALUES ('old-2', 1, 'Submitted', '');
                    INSERT INTO fill (exec_id, ref, time, action, quantity, price) VALUES ('e-1', 'old-1', 1, 'BUY', 10, 600);
                    """)
            #expect(throws: DatabaseError.self) {
                try db.execute(
                    sql: """
                        INSERT INTO "order" (ref, broker_id, client_id, symbol, sec_type, action, quantity, order_type, tif, status, created_at, updated_at)
                        VALUES ('gtc', 3, 7, 'SPY', 'STK', 'SELL', 10, 'MKT', 'GTC', 'Submitted', 1, 1)
                        """)
            }
        }
        try queue.close()
        let journal = try Journal(path: path)
        #expect(try journal.orders(position: "p-1").map(\.ref).sorted() == ["old-1", "old-2"])
        #expect(try journal.order(ref: "old-2")?.request.kind == .stop(trigger: 590))
        #expect(try journal.fills(ref: "old-1").map(\.quantity) == [10])
        let spy = Instrument.stock(symbol: "SPY")
        let stop = OrderRequest(
            id: 3, instrument: spy, action: .sell, quantity: 10, kind: .stop(trigger: 580), timeInForce: .goodTillCancelled, orderRef: "gtc-3")
        try journal.recordSubmissions([(stop, nil)], clientId: 7, strategy: "1dte", position: "p-2", opening: nil, now: 2)
        #expect(try journal.order(ref: "gtc-3")?.request.timeInForce == .goodTillCancelled)
        let reader = try DatabaseQueue(path: path)
        let indexes = try reader.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'order'") }
        #expect(indexes.contains("order_position"))
        let problems = try reader.read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") }
        #expect(problems.isEmpty, "every event and fill still points at its order")
    }

    @Test("a journal from a newer schema, a file that is not a database, or a locked journal: each a clear error")
    func badFiles() throws {
        let newer = temporaryPath("sqlite")
        defer { try? FileManager.default.removeItem(atPath: newer) }
        _ = try Journal(path: newer)
        let queue = try DatabaseQueue(path: newer)
        try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')") }
        #expect { _ = try Journal(path: newer) } throws: { ($0 as? Journal.Failure)?.description.contains("newer alphatrader") == true }

        let garbage = temporaryPath("sqlite")
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: garbage))
        #expect { _ = try Journal(path: garbage) } throws: { ($0 as? Journal.Failure)?.description.contains("not an SQLite database") == true }

        let locked = temporaryPath("sqlite")
        defer { try? FileManager.default.removeItem(atPath: locked) }
        let journal = try Journal(path: locked, busyTimeout: 0.3)
        // Another process's writer holds the lock for a second.
        let holder = try DatabasePool(path: locked)
        let holding = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread {
            try? holder.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO position (instrument, symbol, sec_type, quantity, average_cost, realized_pnl, updated_at) VALUES ('X', 'X', 'STK', 0, 0, 0, 0)"
                )
                holding.signal()
                Thread.sleep(forTimeInterval: 1)
            }
            done.signal()
        }.start()
        holding.wait()
        let started = Date()
        #expect {
            try journal.recordSubmission(
                OrderRequest(id: 1, instrument: spy, action: .buy, quantity: 1, kind: .market, orderRef: "at-l"),
                clientId: 1, parentRef: nil, strategy: nil, now: 1)
        } throws: {
            ($0 as? Journal.Failure)?.description.contains("locked by another process") == true
        }
        #expect(Date().timeIntervalSince(started) < 1)
        done.wait()
        #expect(try journal.order(ref: "at-l") == nil, "nothing half-written")

    }

    /// A position of two legs on a SPY call, entered as the execution service enters (the position
    /// and its orders in one transaction): r1 with its target r2 and stop r3; r4 with its stop r5.
    static func twoLegs(_ journal: Journal, position: String) throws -> (Instrument, ExitPlan) {
        let option = Instrument.option(symbol: "SPY", expiry: "20261125", strike: 600, right: .call)
        let plan = ExitPlan(stop: 1.4, targets: [.init(price: 3, fraction: 0.5)], trail: .percent(20))
        func order(_ id: Int, _ action: OrderRequest.Action, _ kind: OrderRequest.Kind, parent: String?) -> (request: OrderRequest, parentRef: String?) {
            (OrderRequest(id: id, instrument: option, action: action, quantity: 1, kind: kind, orderRef: "r\(id)"), parent)
        }
        try journal.recordSubmissions(
            [
                order(1, .buy, .limit(2), parent: nil), order(2, .sell, .limit(3), parent: "r1"), order(3, .sell, .stop(trigger: 1.4), parent: "r1"),
                order(4, .buy, .limit(2), parent: nil), order(5, .sell, .stop(trigger: 1.4), parent: "r4"),
            ], clientId: 2, strategy: "0dte", position: position,
            opening: .init(id: position, signalId: position, strategy: "0dte", plan: plan), now: 1)
        return (option, plan)
    }

    @Test("a position rebuilt from its orders in the journal: each entry with its target and its stop at the last price sent")
    func rebuild() throws {
        let journal = try Journal(path: temporaryPath("journal"))
        let (option, plan) = try Self.twoLegs(journal, position: "0dte-SPY-1")
        try journal.recordModification(ref: "r5", quantity: 1, kind: .stop(trigger: 1.6), now: 2)
        let record = try #require(try journal.managedPositions(open: true).first)
        #expect(record.plan == plan && record.strategy == "0dte")
        let p = ManagedPosition.rebuild(id: record.id, instrument: option, side: .buy, plan: record.plan, orders: try journal.orders(position: record.id))
        #expect(p.legs.map(\.entryRef) == ["r1", "r4"])
        #expect(p.legs.map(\.targetRef) == ["r2", nil])
        #expect(p.legs.map(\.stopRef) == ["r3", "r5"])
        #expect(p.legs.map(\.stop) == [1.4, 1.6])
        try journal.closePosition(id: record.id, reason: "test", realizedPnL: -3, now: 3)
        #expect(try journal.managedPositions(open: true).isEmpty)
        #expect(try journal.managedPositions().first?.realizedPnL == -3)
    }

    @Test("a stop cancelled outside the service leaves its filled leg unprotected, and the manager closes the position; an unfilled leg's is just closed")
    func stopCancelledOutside() throws {
        let journal = try Journal(path: temporaryPath("journal"))
        let (option, plan) = try Self.twoLegs(journal, position: "p")
        try journal.record(
            [
                .fill(fill("e1", ref: "r1", option, .buy, 1, 2)), .status(ref: "r1", status: "Filled", filled: 1, averagePrice: 2, permId: nil),
                .status(ref: "r3", status: "Cancelled", filled: nil, averagePrice: nil, permId: nil),
                .status(ref: "r5", status: "Cancelled", filled: nil, averagePrice: nil, permId: nil),
            ], now: 2)
        var p = ManagedPosition.rebuild(id: "p", instrument: option, side: .buy, plan: plan, orders: try journal.orders(position: "p"))
        p.update(from: ExecutionService.byRef(try journal.orders(position: "p")))
        #expect(p.legs.map(\.state) == [.unprotected, .closed])
        let (decided, instructions) = PositionManager.decide(p, last: 2.1, now: 3)
        #expect(instructions == [.closeAll(reason: "a stop was cancelled outside the service")] && decided.closing)
    }

    @Test("a managed position whose row cannot be read is an error naming it, not a position silently left out")
    func damagedPosition() throws {
        let path = temporaryPath("sqlite")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let journal = try Journal(path: path)
        let plan = ExitPlan(stop: 1.4, targets: [], trail: nil)
        try journal.recordSubmissions(
            [(OrderRequest(id: 1, instrument: call, action: .buy, quantity: 1, kind: .limit(2), orderRef: "r1"), nil)], clientId: 2, strategy: "0dte",
            position: "p-9", opening: .init(id: "p-9", signalId: nil, strategy: "0dte", plan: plan), now: 1)
        #expect(try journal.managedPositions(open: true).map(\.plan) == [plan])
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "UPDATE managed_position SET plan = '{\"stop\": ' WHERE id = 'p-9'") }
        #expect {
            try journal.managedPositions(open: true)
        } throws: { error in
            "\(error)".contains("managed position p-9 cannot be read") && "\(error)".hasPrefix(path)
        }
    }

    @Test("the day's P&L counts an open position without a mark at its cost, not as the loss of all of it")
    func dayPnLWithoutMark() {
        // Bought 10 contracts at $5 (−$5,000 of cash), $120 realized earlier today.
        let bought = (held: 10, cash: -5_000.0, mark: Double?.none, multiplier: 100.0)
        #expect(ExecutionService.dayPnL(realized: 120, open: [bought]) == 120)
        var marked = bought
        marked.mark = 4.5
        #expect(ExecutionService.dayPnL(realized: 120, open: [marked]) == 120 - 500)
        // Closed out within the step (nothing held): its cash is realized, mark or none.
        #expect(ExecutionService.dayPnL(realized: 0, open: [(held: 0, cash: 300, mark: nil, multiplier: 100)]) == 300)
    }

    @Test("pnl:day is the session's: what the day's fills realized, and a high-water mark that a new session starts afresh")
    func dayPnLMirror() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let client = try RedisClient(url: try RedisURL(parsing: redis.url))
        let journal = try Journal(path: temporaryPath("sqlite"))
        let zone = ZoneRules.named("America/New_York")!
        // 2026-11-25 09:30 New York: the fills' time.
        try journal.recordSubmission(
            OrderRequest(id: 1, instrument: call, action: .buy, quantity: 1, kind: .market, orderRef: "b"), clientId: 1, parentRef: nil, strategy: nil, now: 1)
        try journal.recordSubmission(
            OrderRequest(id: 2, instrument: call, action: .sell, quantity: 1, kind: .market, orderRef: "s"), clientId: 1, parentRef: nil, strategy: nil, now: 1)
        try journal.recordFill(fill("e1", ref: "b", call, .buy, 1, 2.00), now: 1)
        try journal.recordFill(fill("e2", ref: "s", call, .sell, 1, 3.00), now: 1)
        let sameDay = 1_795_617_000.0 + 3_600
        try TradingMirror.publish(journal, marks: [:], redis: client, now: sameDay, zone: zone)
        let today = try #require(DayPnLDocument.read(try client.command(["GET", DayPnLDocument.key]).text))
        #expect(today.session == "2026-11-25" && abs(today.realized - 100) < 1e-9 && today.highWaterMark == today.total, "\(today)")
        try TradingMirror.publish(journal, marks: [:], redis: client, now: sameDay + 86_400, zone: zone)
        let tomorrow = try #require(DayPnLDocument.read(try client.command(["GET", DayPnLDocument.key]).text))
        #expect(
            tomorrow.session == "2026-11-26" && tomorrow.realized == 0 && tomorrow.highWaterMark == 0, "yesterday's fills and high are not today's: \(tomorrow)"
        )
    }

    @Test("a journal opened to read only reads what a writer wrote, refuses to write, and names a file that is not there")
    func readingOnly() throws {
        let path = temporaryPath("sqlite")
        let writer = try Journal(path: path)
        try writer.recordSubmission(
            OrderRequest(id: 1, instrument: spy, action: .buy, quantity: 1, kind: .market, orderRef: "r1"), clientId: 1, parentRef: nil, strategy: nil, now: 1)
        let reader = try Journal(readingOnly: path)
        #expect(try reader.orders().map(\.ref) == ["r1"])
        #expect(throws: Journal.Failure.self) {
            try reader.recordSubmission(
                OrderRequest(id: 2, instrument: spy, action: .buy, quantity: 1, kind: .market, orderRef: "r2"), clientId: 1, parentRef: nil, strategy: nil,
                now: 2)
        }
        do {
            _ = try Journal(readingOnly: path + ".missing")
            Issue.record("a missing journal opened")
        } catch {
            #expect(error.description.contains(".missing"), "\(error)")
        }
    }
}

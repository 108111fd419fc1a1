import AlphaTrader
import AlphaTraderSimulators
import Foundation
import Net
import OrchestratorCore
import Testing

/// A bare TWS connection for tests: hello, startApi, frames in and messages out.
final class RawTWS {
    let socket: TCPSocket
    private var decoder = TWSWire.Decoder()
    private(set) var messages: [[String]] = []

    init(port: Int, clientId: Int) throws {
        socket = try TCPSocket.connect(host: "127.0.0.1", port: port, timeout: 2)
        try socket.send(TWSWire.hello())
        try read { !$0.isEmpty }
        try socket.send(TWSWire.frame([TWSMessage.Outgoing.startApi.code, "2", String(clientId), ""]))
        try read { $0.contains { $0.first == TWSMessage.Incoming.nextValidId.code } }
    }

    var nextValidId: Int { Int(messages.last { $0.first == TWSMessage.Incoming.nextValidId.code }![2])! }

    func send(_ fields: [String]) throws { try socket.send(TWSWire.frame(fields)) }

    /// Reads until `done` holds of everything received, or three seconds pass.
    @discardableResult
    func read(_ done: ([[String]]) -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(3)
        while !done(messages) && Date() < deadline {
            if let bytes = try socket.receive(timeout: 0.05) { decoder.append(bytes) }
            while let m = try decoder.next() { messages.append(m) }
        }
        return done(messages)
    }

    /// The messages about order `id`, as their ids: 5 openOrder, 3 orderStatus, 11 execDetails,
    /// 59 commissionReport (matched by execId), 4 error.
    func sequence(of id: Int) -> [String] {
        var execIds = Set<String>()
        var out: [String] = []
        for m in messages {
            switch m.first {
            case "5" where m[1] == String(id): out.append("open")
            case "3" where m[1] == String(id): out.append("status:" + m[2])
            case "11" where m[2] == String(id): out.append("exec"); execIds.insert(m[14])
            case "59" where execIds.contains(m[2]): out.append("commission")
            case "4" where m[2] == String(id): out.append("error:" + m[3])
            default: break
            }
        }
        return out
    }

    func close() { socket.close() }
}

@Suite("tws-sim's paper broker over the socket", .serialized)
struct PaperBrokerWireTests {
    let zone = ZoneRules.of(TimeZone(identifier: "America/New_York")!)

    func start(_ tape: String, account: String, clock: SetClock) throws -> TWSSimulator {
        let log = EventLog(module: "tws-sim", clock: clock)
        let desk = try PaperDesk(
            tapePath: tape, clock: clock, zone: zone, calendar: XNYSCalendar.shared, configuration: .init(),
            accountFile: account)
        return try TWSSimulator(tapePath: tape, pace: .clock(clock), desk: desk, log: log)
    }

    @Test("placeOrder of a marketable order is answered in TWS's order: openOrder, Submitted, execDetails, Filled, commissionReport")
    func marketableOrder() throws {
        let (tape, _) = try TestTape.write(minutes: 3)
        let account = temporaryPath("json")
        defer { try? FileManager.default.removeItem(atPath: tape); try? FileManager.default.removeItem(atPath: account) }
        let clock = SetClock(Double(TestTape.open) + 60)
        let simulator = try start(tape, account: account, clock: clock)
        let port = try simulator.start(port: 0)
        defer { simulator.stop() }
        let tws = try RawTWS(port: port, clientId: 11)
        defer { tws.close() }
        let id = tws.nextValidId
        let order = OrderRequest(id: id, instrument: .stock(symbol: "SPY"), action: .buy, quantity: 100, kind: .market, orderRef: "at-e2e-1")
        try tws.send(TWSOrderMessages.placeOrder(order))
        #expect(try tws.read { _ in tws.sequence(of: id).contains("commission") })
        #expect(tws.sequence(of: id) == ["open", "status:Submitted", "exec", "status:Filled", "commission"])
        let exec = try #require(tws.messages.first { $0.first == "11" })
        #expect(exec.count == 31)
        let (requestId, fill) = try TWSOrderMessages.parseExecDetails(exec)
        #expect(requestId == -1 && fill.orderId == id && fill.quantity == 100 && fill.clientId == 11 && fill.orderRef == "at-e2e-1")
        let open = try #require(tws.messages.first { $0.first == "5" })
        #expect(open.count == 128 && open[23] == "at-e2e-1" && open[24] == "11")
        // The account reflects it: reqPositions gives the 100 shares.
        try tws.send([TWSMessage.Outgoing.reqPositions.code, "1"])
        try tws.read { $0.contains { $0.first == "62" } }
        let position = try #require(tws.messages.first { $0.first == "61" })
        #expect(position.count == 16 && position[4] == "SPY" && position[14] == "100")

        // A resting order cancelled; reqCompletedOrders then lists both finished orders.
        let resting = OrderRequest(id: id + 1, instrument: .stock(symbol: "SPY"), action: .buy, quantity: 5, kind: .limit(1.00), orderRef: "at-e2e-2")
        try tws.send(TWSOrderMessages.placeOrder(resting))
        try tws.read { _ in tws.sequence(of: id + 1).contains("status:Submitted") }
        try tws.send([TWSMessage.Outgoing.cancelOrder.code, "1", String(id + 1), ""])
        try tws.read { _ in tws.sequence(of: id + 1).contains("status:Cancelled") }
        try tws.send([TWSMessage.Outgoing.reqCompletedOrders.code, "0"])
        try tws.read { $0.contains { $0.first == TWSMessage.Incoming.completedOrdersEnd.code } }
        let completed = tws.messages.filter { $0.first == TWSMessage.Incoming.completedOrder.code }
        #expect(completed.map(\.count) == [97, 97], "the layout of server version 176")
        let parsed = completed.compactMap(TWSOrderMessages.parseCompletedOrder)
        #expect(parsed.map(\.ref) == ["at-e2e-1", "at-e2e-2"] && parsed.map(\.status) == ["Filled", "Cancelled"])
        #expect(parsed.map(\.filled) == [100, 0])
        #expect(TWSOrderMessages.parseExecutionTime(completed[0][90]) != nil, "completedTime as TWS writes it")
    }

    @Test("refusals over the wire: 387 for an unsupported order type, 321 for a malformed order, 110 off the tick, 135 for an unknown cancel")
    func refusals() throws {
        let (tape, _) = try TestTape.write(minutes: 2)
        let account = temporaryPath("json")
        defer { try? FileManager.default.removeItem(atPath: tape); try? FileManager.default.removeItem(atPath: account) }
        let clock = SetClock(Double(TestTape.open) + 30)
        let simulator = try start(tape, account: account, clock: clock)
        let port = try simulator.start(port: 0)
        defer { simulator.stop() }
        let tws = try RawTWS(port: port, clientId: 12)
        defer { tws.close() }
        let id = tws.nextValidId
        var trail = TWSOrderMessages.placeOrder(OrderRequest(id: id, instrument: .stock(symbol: "AAPL"), action: .buy, quantity: 1, kind: .market))
        trail[18] = "TRAIL"
        try tws.send(trail)
        var short = TWSOrderMessages.placeOrder(OrderRequest(id: id + 1, instrument: .stock(symbol: "AAPL"), action: .buy, quantity: 1, kind: .market))
        short[17] = "1.5"
        try tws.send(short)
        try tws.send(
            TWSOrderMessages.placeOrder(OrderRequest(id: id + 2, instrument: .stock(symbol: "AAPL"), action: .buy, quantity: 1, kind: .limit(100.005))))
        try tws.send([TWSMessage.Outgoing.cancelOrder.code, "1", "99999", ""])
        try tws.send(
            Array(
                TWSOrderMessages.placeOrder(OrderRequest(id: id + 3, instrument: .stock(symbol: "AAPL"), action: .buy, quantity: 1, kind: .market)).prefix(20)))
        #expect(try tws.read { _ in tws.sequence(of: 99999) == ["error:135"] && tws.sequence(of: id + 3) == ["error:321"] })
        #expect(tws.sequence(of: id) == ["error:387"])
        #expect(tws.sequence(of: id + 1) == ["error:321"])
        #expect(tws.sequence(of: id + 2) == ["error:110"])
        // The connection survives every refusal.
        try tws.send([TWSMessage.Outgoing.reqCurrentTime.code, "1"])
        #expect(try tws.read { $0.contains { $0.first == "49" } })
    }

    @Test("a resting order survives a restart of tws-sim and fills for the client that placed it when it reconnects")
    func restart() throws {
        let (tape, _) = try TestTape.write(minutes: 5)
        let account = temporaryPath("json")
        defer { try? FileManager.default.removeItem(atPath: tape); try? FileManager.default.removeItem(atPath: account) }
        let clock = SetClock(Double(TestTape.open) + 30)
        var simulator = try start(tape, account: account, clock: clock)
        var port = try simulator.start(port: 0)
        var tws = try RawTWS(port: port, clientId: 13)
        let id = tws.nextValidId
        // A sell limit a cent under the bid: it fills at once — and a buy far under the market rests.
        let bid = try #require(simulator.desk?.read { _, market in market(.stock(symbol: "QQQ")) }?.bid)
        try tws.send(
            TWSOrderMessages.placeOrder(
                OrderRequest(
                    id: id, instrument: .stock(symbol: "QQQ"), action: .buy, quantity: 5,
                    kind: .limit(TickSize.round(bid * 0.9, for: .stock(symbol: "QQQ"))), orderRef: "at-rest")))
        #expect(try tws.read { _ in tws.sequence(of: id) == ["open", "status:Submitted"] })
        tws.close()
        simulator.stop()
        simulator.desk?.flush()

        simulator = try start(tape, account: account, clock: clock)
        port = try simulator.start(port: 0)
        defer { simulator.stop() }
        tws = try RawTWS(port: port, clientId: 13)
        defer { tws.close() }
        #expect(tws.nextValidId > id, "order ids are not reused after a restart")
        try tws.send([TWSMessage.Outgoing.reqOpenOrders.code, "1"])
        try tws.read { $0.contains { $0.first == "53" } }
        #expect(tws.sequence(of: id) == ["open", "status:Submitted"])
        // Modified to a marketable price by the same id: it fills, for this client.
        try tws.send(
            TWSOrderMessages.placeOrder(
                OrderRequest(
                    id: id, instrument: .stock(symbol: "QQQ"), action: .buy, quantity: 5,
                    kind: .limit(TickSize.round(bid * 1.05, for: .stock(symbol: "QQQ"))), orderRef: "at-rest")))
        #expect(try tws.read { _ in tws.sequence(of: id).contains("commission") })
        #expect(tws.messages.contains { $0.first == "3" && $0[1] == String(id) && $0[2] == "Filled" && $0[9] == "13" })
    }
}

import AlphaTrader
import AlphaTraderSimulators
import Foundation
import Net
import OrchestratorCore
import Synchronization
import Testing

@Suite("The order path against tws-sim's paper broker", .serialized)
struct BrokerConnectionTests {
    let zone = ZoneRules.of(TimeZone(identifier: "America/New_York")!)

    struct Fixture {
        let tape: String, account: String, journalPath: String
        let clock: SetClock
        let simulator: TWSSimulator
        let port: Int
        func cleanup() {
            simulator.stop()
            for p in [tape, account, journalPath] { try? FileManager.default.removeItem(atPath: p) }
        }
    }

    func fixture(minutes: Int64 = 5, at offset: Double = 60) throws -> Fixture {
        let (tape, _) = try TestTape.write(minutes: minutes)
        let account = temporaryPath("json"), journalPath = temporaryPath("sqlite")
        let clock = SetClock(Double(TestTape.open) + offset)
        let desk = try PaperDesk(tapePath: tape, clock: clock, zone: zone, calendar: XNYSCalendar.shared, configuration: .init(), accountFile: account)
        let simulator = try TWSSimulator(tapePath: tape, pace: .clock(clock), desk: desk, log: EventLog(module: "tws-sim", clock: clock))
        let port = try simulator.start(port: 0)
        return Fixture(tape: tape, account: account, journalPath: journalPath, clock: clock, simulator: simulator, port: port)
    }

    func connection(_ f: Fixture, clientId: Int = 21) throws -> BrokerConnection {
        let c = BrokerConnection(
            options: .init(host: "127.0.0.1", port: f.port, clientId: clientId, timeout: 3),
            journal: try Journal(path: f.journalPath), log: EventLog(module: "order", clock: f.clock), clock: f.clock)
        try c.connect()
        return c
    }

    @Test("a marketable order is journaled, filled with its commission, and the journal's position is the broker's")
    func marketable() throws {
        let f = try fixture()
        defer { f.cleanup() }
        let c = try connection(f)
        let ref = try #require(try c.place(.init(instrument: .stock(symbol: "SPY"), action: .buy, quantity: 100, kind: .market)).first)
        try c.wait(3, "the fill") { try c.journal.order(ref: ref)?.status == "Filled" && c.journal.fills(ref: ref).first?.commission != nil }
        let order = try #require(try c.journal.order(ref: ref))
        #expect(order.filled == 100 && order.commission == 1.0 && order.permId != nil)
        #expect(try c.positions() == [.stock(symbol: "SPY"): 100])
        #expect(try c.journal.positions().first?.holding.quantity == 100)
    }

    @Test("a bracket: entry, target and stop journaled as one OCA group; cancelling the parent cancels the children")
    func bracket() throws {
        let f = try fixture()
        defer { f.cleanup() }
        let c = try connection(f)
        let spy = Instrument.stock(symbol: "SPY")
        let q = try #require(try c.quote(spy))
        let low = TickSize.round(q.bid * 0.9, for: spy)
        let refs = try c.place(
            .init(instrument: spy, action: .buy, quantity: 10, kind: .limit(low)),
            bracket: (stop: TickSize.round(low * 0.98, for: spy), target: TickSize.round(low * 1.05, for: spy)))
        #expect(refs.count == 3)
        try c.wait(3, "the bracket") { try refs.allSatisfy { try c.journal.order(ref: $0)?.status != "Submitting" } }
        #expect(try refs.map { try c.journal.order(ref: $0)!.status } == ["Submitted", "PreSubmitted", "PreSubmitted"])
        #expect(try c.journal.order(ref: refs[1])?.parentRef == refs[0])
        try c.cancel(ref: refs[0])
        try c.wait(3, "the cancellations") { try refs.allSatisfy { try c.journal.order(ref: $0)?.status == "Cancelled" } }
    }

    @Test("a process gone between sending an order and reading its fill: the next connection records the fill exactly once")
    func fillWhileAway() throws {
        let f = try fixture()
        defer { f.cleanup() }
        var c = try connection(f)
        let ref = try #require(try c.place(.init(instrument: .stock(symbol: "QQQ"), action: .buy, quantity: 50, kind: .market)).first)
        c.close()  // nothing read: the fill and its commission are at the broker only
        #expect(try c.journal.order(ref: ref)?.status == "Submitting")
        c = try connection(f)
        #expect(c.counters.fills == 1 && c.counters.duplicateFills == 0)
        #expect(try c.journal.order(ref: ref)?.status == "Filled" && c.journal.fills(ref: ref).count == 1)
        #expect(try c.journal.fills(ref: ref).first?.commission == 1.0)
        c.close()
        c = try connection(f)
        #expect(c.counters.fills == 0 && c.counters.duplicateFills == 1, "replayed again, recorded no second time")
        #expect(try c.journal.positions().first?.holding.quantity == 50)
        // A new order after the restart takes a new broker id.
        let next = try #require(try c.place(.init(instrument: .stock(symbol: "QQQ"), action: .sell, quantity: 50, kind: .market)).first)
        #expect(try c.journal.order(ref: next)!.request.id > c.journal.order(ref: ref)!.request.id)
    }

    @Test("a position closed, then asked to close again, sends nothing more: what it holds counts its closing orders' fills")
    func closedTwice() throws {
        let f = try fixture()
        defer { f.cleanup() }
        let c = try connection(f)
        let spy = Instrument.stock(symbol: "SPY")
        let q = try #require(try c.quote(spy))
        let plan = ExitPlan(stop: TickSize.round(q.bid * 0.98, for: spy), targets: [], trail: nil)
        var p = try c.enter(
            .init(instrument: spy, action: .buy, quantity: 10, kind: .market, position: "p-1"), exits: plan,
            opening: .init(id: "p-1", signalId: nil, strategy: "test", plan: plan))
        try c.wait(3, "the entry") { try c.journal.order(ref: p.legs[0].entryRef)?.status == "Filled" }
        #expect(try c.closeNow(&p, reason: "first") == 0)
        let orders = try c.journal.orders(position: "p-1").count
        #expect(try c.closeNow(&p, reason: "again") == 0)
        #expect(try c.journal.orders(position: "p-1").count == orders, "no second closing order")
        #expect(try c.positions()[spy, default: 0] == 0, "flat at the broker, not short")
    }

    @Test("a position held overnight has good-till-cancelled exits at the broker; one with a time stop has DAY exits")
    func overnightExits() throws {
        let f = try fixture()
        defer { f.cleanup() }
        let c = try connection(f)
        let spy = Instrument.stock(symbol: "SPY")
        let q = try #require(try c.quote(spy))
        let overnight = ExitPlan(stop: TickSize.round(q.bid * 0.98, for: spy), targets: [.init(price: TickSize.round(q.ask * 1.05, for: spy), fraction: 1)])
        var today = overnight
        today.timeStop = Double(TestTape.close - 60)
        let held = try c.enter(.init(instrument: spy, action: .buy, quantity: 10, kind: .market), exits: overnight)
        let closed = try c.enter(.init(instrument: spy, action: .buy, quantity: 10, kind: .market), exits: today)
        try c.wait(3, "the entries") { try [held, closed].allSatisfy { try c.journal.order(ref: $0.legs[0].entryRef)?.status == "Filled" } }
        func exits(_ p: ManagedPosition) throws -> (journal: [OrderRequest.TimeInForce], broker: [OrderRequest.TimeInForce]) {
            let refs = [p.legs[0].targetRef!, p.legs[0].stopRef]
            let orders = try refs.map { try #require(try c.journal.order(ref: $0)) }
            let broker = try orders.map { o in try #require(f.simulator.desk!.read { b, _ in b.orders[o.request.id]?.request.timeInForce }) }
            return (orders.map(\.request.timeInForce), broker)
        }
        #expect(try exits(held) == ([.goodTillCancelled, .goodTillCancelled], [.goodTillCancelled, .goodTillCancelled]))
        #expect(try exits(closed) == ([.day, .day], [.day, .day]))
        #expect(try c.journal.order(ref: held.legs[0].entryRef)?.request.timeInForce == .day, "an entry not filled today is not wanted tomorrow")
    }

    @Test("a fill of an order the journal does not know (a journal restored from an older copy) is recorded as External and reported, never ignored")
    func unknownFill() throws {
        let f = try fixture()
        defer { f.cleanup() }
        let elsewhere = temporaryPath("sqlite")
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let other = BrokerConnection(
            options: .init(host: "127.0.0.1", port: f.port, clientId: 21, timeout: 3),
            journal: try Journal(path: elsewhere), log: EventLog(module: "order", clock: f.clock), clock: f.clock)
        try other.connect()
        let ref = try #require(try other.place(.init(instrument: .stock(symbol: "SPY"), action: .buy, quantity: 40, kind: .market)).first)
        other.close()
        let c = BrokerConnection(
            options: .init(host: "127.0.0.1", port: f.port, clientId: 21, timeout: 3),
            journal: try Journal(path: f.journalPath), log: EventLog(module: "order", clock: f.clock), clock: f.clock)
        let reported = Mutex<[TWSOrderMessages.Fill]>([])
        c.onExternalFill = { fill in reported.withLock { $0.append(fill) } }
        try c.connect()
        #expect(c.counters.externalFills == 1 && c.counters.fills == 1)
        #expect(reported.withLock { $0.map(\.orderRef) } == [ref])
        #expect(try c.journal.order(ref: ref)?.status == "External")
        #expect(try c.journal.positions().first?.holding.quantity == 40, "its position is the broker's")
        c.close()
    }

    @Test("an order cancelled at the broker while no process of ours was connected is Cancelled in the journal after the reconnect")
    func cancelledWhileAway() throws {
        let f = try fixture()
        defer { f.cleanup() }
        var c = try connection(f)
        let spy = Instrument.stock(symbol: "SPY")
        let q = try #require(try c.quote(spy))
        let ref = try #require(try c.place(.init(instrument: spy, action: .buy, quantity: 10, kind: .limit(TickSize.round(q.bid * 0.95, for: spy)))).first)
        try c.wait(3, "the acknowledgement") { try c.journal.order(ref: ref)?.status == "Submitted" }
        c.close()
        // Someone cancels everything from the gateway's side (another client's global cancel).
        let other = try connection(f, clientId: 99)
        try other.cancelAll()
        try other.poll(0.3)
        other.close()
        #expect(try c.journal.order(ref: ref)?.status == "Submitted", "nobody of ours was there to see it")
        c = try connection(f)
        #expect(try c.journal.order(ref: ref)?.status == "Cancelled")
        #expect(try c.journal.orders(open: true).isEmpty)
    }

    @Test("an order journaled but never sent is Unconfirmed after the restart, and not sent again")
    func neverSent() throws {
        let f = try fixture()
        defer { f.cleanup() }
        let journal = try Journal(path: f.journalPath)
        try journal.recordSubmission(
            OrderRequest(id: 500, instrument: .stock(symbol: "IWM"), action: .buy, quantity: 1, kind: .market, orderRef: "at-21-500-1"),
            clientId: 21, parentRef: nil, strategy: nil, now: 1)
        let c = try connection(f)
        #expect(c.counters.unconfirmed == 1)
        #expect(try c.journal.order(ref: "at-21-500-1")?.status == "Unconfirmed")
        #expect(try c.positions().isEmpty, "nothing reached the broker")
    }

    @Test("a refused order is Rejected with TWS's code and text")
    func refused() throws {
        let f = try fixture()
        defer { f.cleanup() }
        let c = try connection(f)
        let ref = try #require(try c.place(.init(instrument: .stock(symbol: "SPY"), action: .buy, quantity: 10_000, kind: .market)).first)
        try c.wait(3, "the refusal") { try c.journal.order(ref: ref)?.status == "Rejected" }
        let reason = try c.journal.order(ref: ref)?.reason ?? ""
        #expect(c.refusals[ref]?.code == 201 && reason.contains("buying power"))
    }

    @Test(
        "a scale-out entry: each leg its target and stop at the broker; after the first target the runner's stop is tightened there; the time stop closes the rest"
    )
    func scaleOutTrailAndTimeStop() throws {
        let f = try fixture()
        defer { f.cleanup() }
        let c = try connection(f)
        let spy = Instrument.stock(symbol: "SPY")
        let q = try #require(try c.quote(spy))
        // The first target is one the market has already reached (a sell limit a cent under the
        // bid): it fills as soon as the entry does. The runner keeps the stop and trails by $0.05.
        let plan = ExitPlan(
            stop: TickSize.round(q.bid * 0.98, for: spy), targets: [.init(price: TickSize.round(q.bid - 0.01, for: spy), fraction: 0.5)],
            trail: .amount(0.05), timeStop: f.clock.now() + 600)
        var p = try c.enter(.init(instrument: spy, action: .buy, quantity: 10, kind: .market), exits: plan)
        #expect(p.legs.map(\.quantity) == [5, 5] && p.legs[0].targetRef != nil && p.legs[1].targetRef == nil)
        #expect(p.refs.count == 5, "two brackets: entry, target, stop; entry, stop")
        try c.wait(3, "the entries and the first target") {
            try p.legs.allSatisfy { try c.journal.order(ref: $0.entryRef)?.status == "Filled" }
                && c.journal.order(ref: p.legs[0].targetRef!)?.status == "Filled"
        }
        try c.wait(3, "the first leg's stop cancelled with its target") { try c.journal.order(ref: p.legs[0].stopRef)?.status == "Cancelled" }
        #expect(try c.journal.order(ref: p.legs[1].stopRef)?.status == "Submitted")

        let entry = try #require(try c.journal.order(ref: p.legs[1].entryRef)?.averagePrice)
        // The market stands still on this clock: bought at the ask, break-even would be above the
        // bid, so the stop goes as high as it may — a cent under the market.
        let last = q.bid
        let moves = try c.manage(&p, last: last, now: f.clock.now())
        #expect(abs(p.entryPrice! - entry) < 0.02 && p.legs[0].state == .targetFilled)
        let stop = TickSize.round(last - 0.01, for: spy, up: false)
        #expect(moves == [.moveStop(leg: 1, to: stop)], "break-even, held under the market")
        try c.poll(0.2)
        #expect(try c.journal.order(ref: p.legs[1].stopRef)?.request.kind == .stop(trigger: stop))
        let brokerId = try #require(try c.journal.order(ref: p.legs[1].stopRef)?.request.id)
        #expect(f.simulator.desk!.read { broker, _ in broker.orders[brokerId]?.request.kind } == .stop(trigger: stop), "the broker holds the tightened stop")

        // The time stop: the runner's stop cancelled, the five left closed at the touch.
        let closing = try c.manage(&p, last: last, now: plan.timeStop!)
        #expect(closing == [.closeAll(reason: "time stop")] && p.isDone)
        #expect(try c.journal.order(ref: p.legs[1].stopRef)?.status == "Cancelled")
        #expect(try c.positions()[spy, default: 0] == 0)
        #expect(try c.journal.positions().first { $0.instrument == spy }?.holding.quantity == 0)
    }

    @Test("tws-sim restarted under a working order: the connection is made again and reconciled, and the later fill is recorded once")
    func reconnects() throws {
        let f = try fixture()
        defer { f.cleanup() }
        let c = try connection(f)
        let spy = Instrument.stock(symbol: "SPY")
        let q = try #require(try c.quote(spy))
        let ref = try #require(try c.place(.init(instrument: spy, action: .buy, quantity: 10, kind: .limit(TickSize.round(q.bid * 0.95, for: spy)))).first)
        try c.wait(3, "the acknowledgement") { try c.journal.order(ref: ref)?.status == "Submitted" }

        // The gateway goes away and comes back on the same port with the same account.
        f.simulator.stop()
        Thread.sleep(forTimeInterval: 0.2)
        let desk = try PaperDesk(
            tapePath: f.tape, clock: f.clock, zone: zone, calendar: XNYSCalendar.shared, configuration: .init(), accountFile: f.account)
        let again = try TWSSimulator(tapePath: f.tape, pace: .clock(f.clock), desk: desk, log: EventLog(module: "tws-sim", clock: f.clock))
        _ = try again.start(port: f.port)
        defer { again.stop() }
        try c.wait(5, "the connection made again") { c.counters.reconnects == 1 }
        #expect(try c.journal.order(ref: ref)?.status == "Submitted", "the working order survived, and was not sent again")

        // Marketable now: modified on the new connection, filled, recorded once.
        try c.modify(ref: ref, kind: .limit(TickSize.round(q.ask * 1.01, for: spy)))
        try c.wait(3, "the fill") { try c.journal.order(ref: ref)?.status == "Filled" }
        #expect(try c.journal.fills(ref: ref).count == 1 && c.counters.fills == 1)
        #expect(try c.positions() == [spy: 10])
    }

    /// A TCP proxy in front of tws-sim that can put garbage into the first connection's stream.
    final class GarbageProxy: @unchecked Sendable {
        let listener: TCPListener
        private let inject = Mutex(false)
        init(upstream: Int) throws {
            listener = try TCPListener(port: 0)
            let l = listener
            Thread { [self] in
                var first = true
                while let client = l.accept() {
                    guard let server = try? TCPSocket.connect(host: "127.0.0.1", port: upstream, timeout: 2) else { client.close(); continue }
                    let corrupt = first
                    first = false
                    Thread {
                        while let bytes = try? client.receive(timeout: 5) { try? server.send(Array(bytes)) }
                        server.close()
                    }.start()
                    Thread {
                        while let bytes = try? server.receive(timeout: 0.05) ?? [] {
                            if corrupt && self.inject.withLock({ $0 }) {
                                try? client.send([0xFF, 0xFF, 0xFF, 0xFF] + Array("garbage".utf8))
                                break
                            }
                            if !bytes.isEmpty { try? client.send(Array(bytes)) }
                        }
                        client.close()
                    }.start()
                }
            }.start()
        }
        func corrupt() { inject.withLock { $0 = true } }
    }

    @Test("garbage on the socket mid-session is a lost connection: made again and reconciled, not a crash")
    func garbage() throws {
        let f = try fixture()
        defer { f.cleanup() }
        let proxy = try GarbageProxy(upstream: f.port)
        defer { proxy.listener.close() }
        let c = BrokerConnection(
            options: .init(host: "127.0.0.1", port: proxy.listener.port, clientId: 21, timeout: 3),
            journal: try Journal(path: f.journalPath), log: EventLog(module: "order", clock: f.clock), clock: f.clock)
        try c.connect()
        let ref = try #require(try c.place(.init(instrument: .stock(symbol: "QQQ"), action: .buy, quantity: 5, kind: .market)).first)
        try c.wait(3, "the fill") { try c.journal.order(ref: ref)?.status == "Filled" }
        proxy.corrupt()
        try c.wait(5, "the connection made again") { c.counters.reconnects == 1 }
        #expect(try c.journal.fills(ref: ref).count == 1 && c.counters.duplicateFills == 1, "the day's fill replayed by the reconciliation, recorded once")
        #expect(try c.positions() == [.stock(symbol: "QQQ"): 5])
    }
}

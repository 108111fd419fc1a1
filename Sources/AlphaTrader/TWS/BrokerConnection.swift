import Foundation
import Net
public import OrchestratorCore

/// The order path's connection to TWS / IB Gateway (or tws-sim): places, modifies and cancels
/// orders and keeps the trade journal in step with the broker. Used from one thread (the
/// operator's command, the execution service); it reads the socket only when asked
/// (`poll`, `wait`).
///
/// Every order is written to the journal before it is sent and carries our id as TWS's
/// orderRef; on every connect the day's executions and the open orders are asked for and
/// reconciled with the journal, so a process restarted between an order and its fill records
/// the fill exactly once (executions are unique by id) and never sends an order twice (one left
/// `Submitting` that the broker does not know becomes `Unconfirmed`, for the operator to see).
/// Requests are paced under TWS's 50 messages a second.
public final class BrokerConnection {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var clientId: Int
        public var timeout: Double
        public init(host: String, port: Int, clientId: Int, timeout: Double = 5) {
            self.host = host; self.port = port; self.clientId = clientId; self.timeout = timeout
        }
    }

    /// What an order is asked to be, before it has ids.
    public struct OrderSpec: Sendable {
        public var instrument: Instrument
        public var action: OrderRequest.Action
        public var quantity: Int
        public var kind: OrderRequest.Kind
        public var timeInForce: OrderRequest.TimeInForce
        public var strategy: String?
        /// The managed position the order belongs to (journaled with it).
        public var position: String?
        public init(
            instrument: Instrument, action: OrderRequest.Action, quantity: Int, kind: OrderRequest.Kind,
            timeInForce: OrderRequest.TimeInForce = .day, strategy: String? = nil, position: String? = nil
        ) {
            self.instrument = instrument; self.action = action; self.quantity = quantity; self.kind = kind
            self.timeInForce = timeInForce; self.strategy = strategy; self.position = position
        }
    }

    /// What the connection saw, for the operator and the tests.
    public struct Counters: Sendable, Equatable {
        public var fills = 0
        public var duplicateFills = 0
        public var unconfirmed = 0
        public var refusals = 0
        /// Connections lost and made again (each followed by a reconciliation).
        public var reconnects = 0
        /// Fills of orders the journal did not place (counted in `fills` too).
        public var externalFills = 0
    }

    public let options: Options
    public let journal: Journal
    let log: EventLog
    private let clock: any WallClock
    private var socket: (any TWSTransport)?
    private var decoder = TWSWire.Decoder()
    private var nextId = 1
    public private(set) var account = ""
    /// The account's values (`subscribeAccount`): NetLiquidation, BuyingPower, … in its currency.
    public private(set) var accountValues: [String: Double] = [:]
    private var accountSubscribed = false
    public private(set) var counters = Counters()
    /// Broker order id → our ref, for this client id; and the refs alone, to tell ours quickly.
    private var refs: [Int: String] = [:]
    private var ours: Set<String> = []

    private func remember(_ id: Int, _ ref: String) {
        refs[id] = ref
        ours.insert(ref)
    }
    private var sentAt: [Double] = []
    private var ends: Set<String> = []
    private var brokerPositions: [Instrument: Int]?
    private var collecting: [Instrument: Int] = [:]
    private var quotes: [Int: (bid: Double, ask: Double, last: Double)] = [:]
    private var nextRequest = 90_000
    /// A refusal per order, with TWS's code and text.
    public private(set) var refusals: [String: (code: Int, message: String)] = [:]
    /// The last status the broker reported per order (in memory, for waiting on it cheaply).
    public private(set) var statuses: [String: String] = [:]
    private var filledSeen: [String: Int] = [:]
    /// What one read brought, journaled in one transaction before `poll` returns.
    private var pending: [Journal.Change] = []
    /// What-if answers per order: the commission and the initial margin it would add.
    public private(set) var whatIfAnswers: [String: (commission: Double, initialMargin: Double)] = [:]

    /// Tries to connect again this many times (backoff from 0.1 s doubling to 5 s) when the
    /// connection is lost, before `poll` gives up with the error.
    public var reconnectAttempts = 5
    /// Called between reads while waiting on the broker (a service's heartbeat goes on while it
    /// waits for a closing round).
    public var whileWaiting: (() -> Void)?
    /// Called with each new fill of an order the journal did not place, once it is recorded (as
    /// an `External` order): a service raises an alert. Those recorded before it is set (the
    /// reconciliation at connect) are handed to it when it is.
    public var onExternalFill: ((TWSOrderMessages.Fill) -> Void)? {
        didSet {
            guard let onExternalFill else { return }
            let pending = unreportedExternalFills
            unreportedExternalFills.removeAll()
            pending.forEach(onExternalFill)
        }
    }
    private var unreportedExternalFills: [TWSOrderMessages.Fill] = []
    /// With nothing received for this long, a keep-alive (reqCurrentTime) is sent; no reply to it
    /// within `options.timeout` counts as a lost connection.
    public var keepAliveInterval = 30.0
    private var connecting = false
    /// Instruments with a standing quote subscription (`watch`), by request id.
    private var watched: [Instrument: Int] = [:]
    private var lastReceived = 0.0
    private var keepAliveSent: Double?
    /// Makes the connection: TCP to `options.host:port` unless told otherwise (a backtest's
    /// in-process paper broker).
    private let connector: (Options) throws -> any TWSTransport
    /// The time the connection's timeouts, keep-alives and pacing are measured on: the
    /// transport's (the machine's clock over TCP).
    private var timer: any WallClock { socket?.timer ?? SystemClock() }

    /// - Parameter connector: makes the transport on each connect; nil is TCP to the options'
    ///   address.
    public init(
        options: Options, journal: Journal, log: EventLog, clock: any WallClock, connector: ((Options) throws -> any TWSTransport)? = nil
    ) {
        self.options = options; self.journal = journal; self.log = log; self.clock = clock
        self.connector = connector ?? { try TCPTransport.connect(host: $0.host, port: $0.port, timeout: $0.timeout) }
    }

    deinit { socket?.close() }

    // MARK: Connecting

    /// Connects, waits for the account and the next order id, and reconciles the journal.
    public func connect() throws {
        connecting = true
        defer { connecting = false }
        keepAliveSent = nil
        let s = try connector(options)
        socket = s
        lastReceived = s.timer.now()
        decoder = TWSWire.Decoder()
        try s.send(TWSWire.hello())
        var version: [String]?
        let deadline = s.timer.now() + options.timeout
        while version == nil {
            guard s.timer.now() < deadline else { throw TWSError(.timeout, "\(options.host):\(options.port): no handshake reply in \(options.timeout) s") }
            if let bytes = try s.receive(timeout: 0.05) { decoder.append(bytes) }
            version = try decoder.next()
        }
        try s.send(TWSWire.frame([TWSMessage.Outgoing.startApi.code, "2", String(options.clientId), ""]))
        nextId = 0
        try wait(options.timeout, "the next order id and the account") { self.nextId > 0 && !self.account.isEmpty }
        nextId = max(nextId, try journal.largestBrokerId(clientId: options.clientId) + 1)
        for order in try journal.orders(limit: 100_000) where order.clientId == options.clientId { remember(order.request.id, order.ref) }
        try reconcile()
        for (instrument, req) in watched { try subscribe(instrument, req) }
        if accountSubscribed { try send([TWSMessage.Outgoing.reqAccountUpdates.code, "2", "1", account]) }
    }

    /// Subscribes to the account's values (`reqAccountUpdates`; made again after a reconnect) and
    /// waits for the buying power.
    public func subscribeAccount() throws {
        accountSubscribed = true
        try send([TWSMessage.Outgoing.reqAccountUpdates.code, "2", "1", account])
        try wait(options.timeout, "the account's values") { self.accountValues["BuyingPower"] != nil }
    }

    public func close() {
        socket?.close()
        socket = nil
    }

    /// The day's executions (each recorded once, with its commission), the open orders and the
    /// completed ones (an order cancelled while we were away is recorded `Cancelled`); orders
    /// left `Submitting` that the broker does not know become `Unconfirmed`.
    public func reconcile() throws {
        ends.removeAll()
        let executions = nextRequestId()
        try send([TWSMessage.Outgoing.reqExecutions.code, "3", String(executions), String(options.clientId), "", "", "", "", "", ""])
        try send([TWSMessage.Outgoing.reqOpenOrders.code, "1"])
        try send([TWSMessage.Outgoing.reqCompletedOrders.code, "0"])
        try wait(options.timeout, "the executions, open and completed orders") {
            self.ends.contains("exec") && self.ends.contains("open") && self.ends.contains("completed")
        }
        let now = clock.now()
        for order in try journal.orders(open: true) where order.clientId == options.clientId && order.status == "Submitting" && !seenOpen.contains(order.ref) {
            counters.unconfirmed += 1
            try journal.recordStatus(
                ref: order.ref, status: "Unconfirmed", reason: "the broker does not know it (never sent, or refused before the restart); not sent again",
                now: now)
            log("order unconfirmed after reconnect", ["ref": order.ref])
        }
        seenOpen.removeAll()
    }

    private var seenOpen: Set<String> = []

    // MARK: Orders

    /// Places an order — with `bracket`, a parent and a protective stop and target as one OCA
    /// group, sent together — and returns the refs (parent first). Each is in the journal
    /// before any byte is sent.
    @discardableResult
    public func place(_ spec: OrderSpec, bracket: (stop: Double, target: Double)? = nil, whatIf: Bool = false) throws -> [String] {
        try place(spec, exits: bracket.map { ExitPlan(stop: $0.stop, targets: [.init(price: $0.target, fraction: 1)]) }, whatIf: whatIf)
    }

    /// Places an entry with the exits of `plan`: per leg (`ExitPlan.legs`) a bracket — the leg's
    /// part of the entry, a target limit (unless it is the runner) and a stop as its children,
    /// one-cancels-other, inactive until their entry fills. All are sent together (each leg's
    /// last order transmits it). Returns the refs leg by leg: entry, target (if any), stop. Each
    /// is journaled before any byte is sent.
    @discardableResult
    public func place(_ spec: OrderSpec, exits plan: ExitPlan?, whatIf: Bool = false, opening: Journal.Opening? = nil) throws -> [String] {
        let now = clock.now()
        func ref(_ id: Int) -> String { BrokerConnection.ref(clientId: options.clientId, id: id, now: now) }
        var requests: [(request: OrderRequest, parentRef: String?)] = []
        let legs = plan?.legs(quantity: spec.quantity) ?? [ExitPlan.Leg(quantity: spec.quantity, target: nil)]
        for leg in legs {
            let parentId = allocateId()
            let parentRef = ref(parentId)
            requests.append(
                (
                    OrderRequest(
                        id: parentId, instrument: spec.instrument, action: spec.action, quantity: leg.quantity, kind: spec.kind,
                        timeInForce: spec.timeInForce, transmit: plan == nil, orderRef: parentRef, whatIf: whatIf), nil
                ))
            guard let plan else { continue }
            let oca = "oca-\(parentRef)"
            if let target = leg.target {
                let id = allocateId()
                requests.append(
                    (
                        OrderRequest(
                            id: id, instrument: spec.instrument, action: spec.action.opposite, quantity: leg.quantity, kind: .limit(target),
                            timeInForce: plan.exitsTimeInForce, parentId: parentId, transmit: false, ocaGroup: oca, orderRef: ref(id)), parentRef
                    ))
            }
            let id = allocateId()
            requests.append(
                (
                    OrderRequest(
                        id: id, instrument: spec.instrument, action: spec.action.opposite, quantity: leg.quantity, kind: .stop(trigger: plan.stop),
                        timeInForce: plan.exitsTimeInForce, parentId: parentId, transmit: true, ocaGroup: oca, orderRef: ref(id)), parentRef
                ))
        }
        if !whatIf {
            try journal.recordSubmissions(
                requests.map { ($0.request, $0.parentRef) }, clientId: options.clientId, strategy: spec.strategy, position: spec.position,
                opening: opening, now: now)
            for (r, _) in requests { remember(r.id, r.orderRef) }
        }
        for (r, _) in requests { try send(TWSOrderMessages.placeOrder(r, account: account)) }
        return requests.map(\.request.orderRef)
    }

    /// Modifies an open order's price or quantity (the same order id again).
    public func modify(ref: String, quantity: Int? = nil, kind: OrderRequest.Kind) throws {
        guard let order = try journal.order(ref: ref), order.isOpen else { throw TWSError(.protocolError, "order \(ref) is not open") }
        var request = order.request
        request.quantity = quantity ?? request.quantity
        request.kind = kind
        try journal.recordModification(ref: ref, quantity: request.quantity, kind: kind, now: clock.now())
        try send(TWSOrderMessages.placeOrder(request, account: account))
    }

    /// Cancels an order (a bracket's parent takes its children with it).
    public func cancel(ref: String) throws {
        guard let order = try journal.order(ref: ref) else { throw TWSError(.protocolError, "no order \(ref) in the journal") }
        try send([TWSMessage.Outgoing.cancelOrder.code, "1", String(order.request.id), ""])
    }

    /// `reqGlobalCancel`: every open order of the account, whoever placed it.
    public func cancelAll() throws {
        try send([TWSMessage.Outgoing.reqGlobalCancel.code, "1"])
    }

    /// The broker's positions (`reqPositions`), for a check against the journal.
    public func positions() throws -> [Instrument: Int] {
        brokerPositions = nil
        collecting = [:]
        try send([TWSMessage.Outgoing.reqPositions.code, "1"])
        try wait(options.timeout, "the positions") { self.brokerPositions != nil }
        try send([TWSMessage.Outgoing.cancelPositions.code, "1"])
        return brokerPositions ?? [:]
    }

    /// A quote for `instrument` (the first bid and ask after subscribing), nil on timeout.
    public func quote(_ instrument: Instrument, timeout: Double = 2) throws -> (bid: Double, ask: Double, last: Double)? {
        let req = nextRequestId()
        quotes[req] = (0, 0, 0)
        try send([TWSMessage.Outgoing.reqMktData.code, "11", String(req)] + TWSOrderMessages.contractFields(instrument) + ["0", "", "0", "0", ""])
        defer { try? send([TWSMessage.Outgoing.cancelMktData.code, "2", String(req)]); quotes[req] = nil }
        let done = (try? wait(timeout, "a quote") { (self.quotes[req]?.bid ?? 0) > 0 && (self.quotes[req]?.ask ?? 0) > 0 }) != nil
        return done ? quotes[req] : nil
    }

    /// Keeps a market-data subscription on `instrument` (made again after a reconnect), for
    /// `mark`: continuous mark-to-market without a request per look.
    public func watch(_ instrument: Instrument) throws {
        guard watched[instrument] == nil else { return }
        let req = nextRequestId()
        watched[instrument] = req
        try subscribe(instrument, req)
    }

    /// The watched instrument's mark now: the mid of a two-sided quote, else the last trade.
    public func mark(_ instrument: Instrument) -> Double? {
        guard let req = watched[instrument], let q = quotes[req] else { return nil }
        if q.bid > 0 && q.ask > 0 { return (q.bid + q.ask) / 2 }
        return q.last > 0 ? q.last : nil
    }

    private func subscribe(_ instrument: Instrument, _ req: Int) throws {
        if quotes[req] == nil { quotes[req] = (0, 0, 0) }
        try send([TWSMessage.Outgoing.reqMktData.code, "11", String(req)] + TWSOrderMessages.contractFields(instrument) + ["0", "", "0", "0", ""])
    }

    // MARK: Reading

    /// Reads and applies what the broker sent, for up to `timeout` seconds or until nothing
    /// more is waiting.
    ///
    /// A lost connection — closed, reset, garbage on the socket, or no answer to a keep-alive —
    /// is made again (`reconnectAttempts`, with backoff) and reconciled with the journal: what
    /// filled meanwhile is recorded once, nothing is sent twice. Only when every attempt fails
    /// does `poll` throw.
    public func poll(_ timeout: Double = 0) throws {
        do {
            try read(timeout)
            try keepAlive()
        } catch let error where !connecting && BrokerConnection.isLostConnection(error) {
            try flush()
            try reconnect(after: "\(error)")
        }
    }

    private func read(_ timeout: Double) throws {
        guard let socket else { throw TWSError(.closed, "not connected") }
        var waited = false
        // A connection that never falls quiet (market data on many instruments under an
        // accelerated clock) is read for at most this long per call, so that the caller's loop
        // goes on: what is left waits in the socket for the next call.
        let until = socket.timer.now() + max(timeout, 0.005)
        while socket.timer.now() < until || !waited {
            let bytes = try socket.receive(timeout: waited ? 0 : timeout)
            waited = true
            guard let bytes else { break }
            lastReceived = socket.timer.now()
            keepAliveSent = nil
            decoder.append(bytes)
            while let fields = try decoder.next() { try apply(fields) }
        }
        while let fields = try decoder.next() { try apply(fields) }
        try flush()
    }

    /// A quiet connection is asked for the time; one that does not answer is lost.
    private func keepAlive() throws {
        let now = timer.now()
        if let sent = keepAliveSent {
            if now - sent > options.timeout {
                throw TWSError(.timeout, "no answer to a keep-alive in \(options.timeout) s")
            }
        } else if now - lastReceived > keepAliveInterval {
            keepAliveSent = now
            try send([TWSMessage.Outgoing.reqCurrentTime.code, "1"])
        }
    }

    /// What ends a connection (as opposed to an error of ours, such as a locked journal).
    static func isLostConnection(_ error: any Error) -> Bool {
        if error is SocketError { return true }
        guard let tws = error as? TWSError else { return false }
        return [.closed, .timeout, .protocolError, .connect].contains(tws.code)
    }

    /// Connects again, with backoff, and reconciles; throws when every attempt failed.
    private func reconnect(after reason: String) throws {
        socket?.close()
        socket = nil
        log("broker connection lost; reconnecting", ["reason": reason])
        var delay = 0.1
        var last = reason
        for attempt in 1...max(1, reconnectAttempts) {
            do {
                try connect()
                counters.reconnects += 1
                log("broker connection made again and reconciled", ["attempt": String(attempt)])
                return
            } catch {
                last = "\(error)"
                socket?.close()
                socket = nil
                // Asleep in slices, so that a service's heartbeat goes on while it reconnects.
                let until = Date().addingTimeInterval(delay)
                while Date() < until {
                    Thread.sleep(forTimeInterval: min(0.01, max(0, until.timeIntervalSinceNow)))
                    whileWaiting?()
                }
                delay = min(delay * 2, 5)
            }
        }
        throw TWSError(.closed, "lost the broker connection (\(reason)) and could not make it again in \(reconnectAttempts) attempts: \(last)")
    }

    /// Journals what the messages read so far said, in one transaction, and counts the fills.
    private func flush() throws {
        guard !pending.isEmpty else { return }
        let changes = pending
        pending.removeAll(keepingCapacity: true)
        let results = try journal.record(changes, now: clock.now())
        for (change, changed) in zip(changes, results) {
            guard case .fill(let fill) = change else { continue }
            switch changed {
            case .changed:
                counters.fills += 1
                log("fill", ["ref": fill.orderRef, "quantity": String(fill.quantity), "price": TWSWire.number(fill.price), "exec_id": fill.execId])
            case .externalFill:
                counters.fills += 1
                counters.externalFills += 1
                log(
                    "fill of an order this journal did not place: recorded as External",
                    [
                        "ref": fill.orderRef, "instrument": fill.instrument.description, "action": fill.action.rawValue,
                        "quantity": String(fill.quantity), "price": TWSWire.number(fill.price), "exec_id": fill.execId,
                    ])
                if let onExternalFill { onExternalFill(fill) } else { unreportedExternalFills.append(fill) }
            case .unchanged:
                counters.duplicateFills += 1
            }
        }
    }

    /// Polls until `condition` holds, or throws a timeout naming `what`.
    public func wait(_ timeout: Double, _ what: String, _ condition: () throws -> Bool) throws {
        let deadline = timer.now() + timeout
        while try !condition() {
            guard timer.now() < deadline else { throw TWSError(.timeout, "no \(what) from \(options.host):\(options.port) in \(timeout) s") }
            try poll(0.01)
            whileWaiting?()
        }
    }

    private func apply(_ f: [String]) throws {
        guard let id = Int(f[0]), let message = TWSMessage.Incoming(rawValue: id) else { return }
        func at(_ i: Int) -> String { i < f.count ? f[i] : "" }
        let now = clock.now()
        switch message {
        case .nextValidId:
            nextId = max(nextId, Int(at(2)) ?? 0)
        case .managedAccounts:
            account = at(2).split(separator: ",").first.map(String.init) ?? ""
        case .openOrder:
            guard f.count >= 87, let orderId = Int(at(1)) else { return }
            let ref = at(23)
            guard !ref.isEmpty, Int(at(24)) == options.clientId || refs[orderId] == ref || at(85) == "1" else { return }
            remember(orderId, ref)
            seenOpen.insert(ref)
            if at(85) == "1" {  // a what-if answer is not an order
                whatIfAnswers[ref] = (Double(at(96)) ?? 0, Double(at(90)) ?? 0)
                return
            }
            // What the journal already has (the same status, seen on this connection) is not
            // written again: a transaction saved on every order's hot path.
            guard statuses[ref] != at(86) else { return }
            statuses[ref] = at(86)
            pending.append(.status(ref: ref, status: at(86), filled: nil, averagePrice: nil, permId: Int(at(25))))
        case .orderStatus:
            guard let orderId = Int(at(1)), let ref = refs[orderId], Int(at(9)) == options.clientId else { return }
            let filled = Double(at(3)).map { Int($0) }
            let known = statuses[ref] == at(2) && (filled ?? 0) == (filledSeen[ref] ?? 0)
            statuses[ref] = at(2)
            filledSeen[ref] = filled
            guard !known else { return }
            pending.append(.status(ref: ref, status: at(2), filled: filled, averagePrice: Double(at(5)).flatMap { $0 > 0 ? $0 : nil }, permId: Int(at(6))))
        case .executionData:
            let (_, fill) = try TWSOrderMessages.parseExecDetails(f)
            pending.append(.fill(fill))
        case .commissionReport:
            if let commission = Double(at(3)) { pending.append(.commission(execId: at(2), commission: commission)) }
        case .error:
            try applyError(id: Int(at(2)) ?? -1, code: Int(at(3)) ?? 0, message: at(4), now: now)
        case .positionData:
            guard f.count >= 16, let instrument = try? TWSOrderMessages.instrument(symbol: at(4), secType: at(5), expiry: at(6), strike: at(7), right: at(8)),
                let quantity = Double(at(14))
            else { return }
            collecting[instrument] = Int(quantity)
        case .positionEnd:
            brokerPositions = collecting
        case .accountValue:
            if let value = Double(at(3)) { accountValues[at(2)] = value }
        case .openOrderEnd:
            ends.insert("open")
        case .completedOrder:
            // An order of ours that finished while we were away: a cancellation is known only
            // from here (executions tell of fills).
            guard let done = TWSOrderMessages.parseCompletedOrder(f), ours.contains(done.ref) else { return }
            if try journal.order(ref: done.ref)?.isOpen == true {
                pending.append(.status(ref: done.ref, status: done.status, filled: nil, averagePrice: nil, permId: done.permId))
                statuses[done.ref] = done.status
            }
        case .completedOrdersEnd:
            ends.insert("completed")
        case .executionDataEnd:
            ends.insert("exec")
        case .tickPrice:
            guard let req = Int(at(2)), var q = quotes[req], let price = Double(at(4)) else { return }
            switch at(3) {
            case "1": q.bid = price
            case "2": q.ask = price
            case "4": q.last = price
            default: break
            }
            quotes[req] = q
        default:
            break
        }
    }

    private func applyError(id: Int, code: Int, message: String, now: Double) throws {
        try flush()  // what came before the error is journaled first
        // Farm status and other notices (2100–2199) and connectivity (1100–1102) are not about an order.
        if (2100...2199).contains(code) || (1100...1102).contains(code) {
            // The "farm connection is OK" notices of every connect are not news.
            if ![2104, 2106, 2158].contains(code) { log("notice", ["code": String(code), "message": message]) }
            return
        }
        guard let ref = refs[id] else {
            if id >= 0 && id < 90_000 { log("error", ["id": String(id), "code": String(code), "message": message]) }
            return
        }
        if code == 202 {
            try journal.recordStatus(ref: ref, status: "Cancelled", reason: message, now: now)
        } else if [103, 110, 135, 161, 200, 201, 321, 387].contains(code) {
            refusals[ref] = (code, message)
            counters.refusals += 1
            // A refused cancel (135, 161) leaves the order as it was.
            if code != 135 && code != 161 { try journal.recordStatus(ref: ref, status: "Rejected", reason: "\(code): \(message)", now: now) }
        } else {
            log("order error", ["ref": ref, "code": String(code), "message": message])
        }
    }

    // MARK: Ids and pacing

    private func allocateId() -> Int {
        defer { nextId += 1 }
        return nextId
    }

    private func nextRequestId() -> Int {
        nextRequest += 1
        return nextRequest
    }

    /// Our id for an order: client, broker id and the second it was made, unique across restarts.
    static func ref(clientId: Int, id: Int, now: Double) -> String { "at-\(clientId)-\(id)-\(Int(now))" }

    /// Sends one message, at most 50 in any second (TWS disconnects a client that sends more).
    private func send(_ fields: [String]) throws {
        guard let socket else { throw TWSError(.closed, "not connected") }
        let now = socket.timer.now()
        sentAt.removeAll { now - $0 >= 1 }
        if sentAt.count >= 49, let oldest = sentAt.first {
            socket.pause(max(0, 1 - (now - oldest)))
            let later = socket.timer.now()
            sentAt.removeAll { later - $0 >= 1 }
        }
        sentAt.append(socket.timer.now())
        try socket.send(TWSWire.frame(fields))
    }
}

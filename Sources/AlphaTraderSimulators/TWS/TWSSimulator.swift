public import AlphaTrader
import Foundation
import Net
public import OrchestratorCore
import Synchronization

/// `alphatrader tws-sim`: serves a tape over the TWS API socket protocol on 127.0.0.1, so that
/// the IBKR path runs end to end with no account, and so that existing clients (ib_async, the
/// official ibapi) connect and stream from it.
///
/// Per connection: the handshake (server version min(176, the client's maximum)), then on
/// startApi the account and order-id messages TWS sends (managedAccounts, nextValidId, farm
/// status 2104/2106/2158); the replies a client waits for on connect (positionEnd, openOrderEnd,
/// completedOrdersEnd, accountDownloadEnd, accountUpdateMultiEnd, execDetailsEnd, currentTime,
/// nextValidId); and market data for what it subscribes: bid/ask as tickPrice 1/2, every trade
/// as tickString 84 (its exchange) and 48 (RTVolume), level-2 depth per exchange as
/// updateMktDepthL2 with market makers (the current rows first, as inserts), 5-second bars as
/// realtimeBar. An unknown symbol gets error 200. Each connection plays the tape from its start:
/// at the clock's pace (events at or before now), or unpaced — as fast as the socket takes it,
/// once the client's subscriptions have settled.
public final class TWSSimulator: @unchecked Sendable {
    public enum Pace: Sendable { case clock(any WallClock), unpaced }

    public let tapePath: String
    public let pace: Pace
    public let account: String
    let log: EventLog
    private var listener: TCPListener?
    let stopped = Atomic<Bool>(false)
    let clients = Mutex(0)
    /// The paper account behind the order messages; nil serves market data only.
    public let desk: PaperDesk?
    /// The connections, by id, for the desk's events.
    let sessions = Mutex<[Int: Session]>([:])
    /// Seconds each request waits before it is handled, as at a distant or busy gateway (set
    /// before `start`): a client's timeouts, and a client gone while its order is on the way.
    public var latency: Double = 0
    /// The time the simulator's own cadences run on (option quotes four times a second): the
    /// machine's clock, or a backtest's market clock.
    public var timer: any WallClock = SystemClock()

    /// `verified`: the caller has read the whole tape through its checks already (a backtest
    /// verifies every tape before the first day); else it is, here, before anything listens.
    public init(
        tapePath: String, pace: Pace, account: String = "DU1234567", desk: PaperDesk? = nil, log: EventLog, verified: Bool = false
    ) throws(TapeError) {
        self.tapePath = tapePath; self.pace = pace; self.account = account; self.desk = desk; self.log = log
        _ = try TapeReader(path: tapePath, verify: !verified)  // refuse a damaged tape before listening
    }

    /// Listens (port 0: a free one) and serves each connection on its own thread.
    public func start(port: Int) throws(TWSError) -> Int {
        let l: TCPListener
        do { l = try TCPListener(port: port) } catch { throw TWSError(error) }
        listener = l
        let t = Thread { [self] in
            while let socket = l.accept() {
                if stopped.load(ordering: .relaxed) { socket.close(); break }
                let id = clients.withLock { n -> Int in
                    n += 1; return n
                }
                let worker = Thread { [self] in self.serve(socket, id: id) }
                worker.name = "tws-sim-client-\(id)"
                worker.start()
            }
        }
        t.name = "tws-sim-accept"
        t.start()
        if desk != nil { startMarketThread() }
        log("listening", ["address": "127.0.0.1:\(l.port)", "tape": tapePath])
        return l.port
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
        listener?.close()
    }

    // MARK: One connection

    /// One connection's state. Its own thread owns it; the market thread only reads `clientId`
    /// and appends to `outbox` (both synchronized).
    final class Session: @unchecked Sendable {
        let reader: TapeReader
        let header: TapeHeader
        var marketData: [Int: Int] = [:]  // symbol → reqId
        var trades: [Int: Bool] = [:]  // symbol → RTVolume requested (generic tick 233)
        var depth: [Int: Int] = [:]  // symbol << 8 | exchange → reqId
        var bars: [Int: Int] = [:]  // symbol → reqId
        var books: [OrderBook]  // symbol * exchanges + exchange
        var volume: [Int]
        var notional: [Double]
        var lastRequest = Date()
        var started = false
        var nextOrderID = 1
        /// The TWS client id from startApi.
        private let client = Atomic<Int>(0)
        var clientId: Int {
            get { client.load(ordering: .acquiring) }
            set { client.store(newValue, ordering: .releasing) }
        }
        /// Subscribed to position updates (reqPositions) and account updates (reqAccountUpdates).
        var positions = false
        var accountUpdates = false
        /// reqMktData subscriptions on options: request id → option.
        var optionTickers: [Int: Instrument] = [:]
        var lastOptionTicks = -Double.infinity
        /// commissionReports waiting for their fill's orderStatus (TWS sends them after it).
        var pendingCommissions: [Int: [UInt8]] = [:]
        /// Events from the desk's market thread (or another connection's orders), turned into
        /// messages by the connection's own thread.
        let outbox = Mutex<[PaperDesk.Routed]>([])
        /// What an event changes in the session's books and running volumes, sent or not.
        func absorb(_ event: MarketEvent) {
            switch event {
            case .depth(let d): books[d.symbol * header.exchanges.count + d.exchange].apply(d)
            case .trade(let t): volume[t.symbol] += t.size; notional[t.symbol] += t.price * Double(t.size)
            default: break
            }
        }

        init(reader: TapeReader) {
            self.reader = reader
            header = reader.header
            books = Array(repeating: OrderBook(depth: 64), count: header.symbols.count * header.exchanges.count)
            volume = Array(repeating: 0, count: header.symbols.count)
            notional = Array(repeating: 0, count: header.symbols.count)
        }
    }

    private func serve(_ socket: TCPSocket, id: Int) {
        defer { socket.close() }
        // Requests that have left the client but not yet reached the broker (--latency-ms).
        var delayed: [(due: Double, fields: [String])] = []
        var current: Session?
        do {
            let reader = try TapeReader(path: tapePath, verify: false)
            let session = Session(reader: reader)
            current = session
            sessions.withLock { $0[id] = session }
            defer { _ = sessions.withLock { $0.removeValue(forKey: id) } }
            var decoder = TWSWire.Decoder()
            // The hello: "API\0", then a length-prefixed "vMIN..MAX[ options]".
            var hello: [UInt8] = []
            let deadline = Date().addingTimeInterval(10)
            while hello.count < 8 || hello.count < 8 + helloLength(hello) {
                guard Date() < deadline, !stopped.load(ordering: .relaxed) else { return }
                if let bytes = try socket.receive(timeout: 0.2) { hello += bytes }
                if hello.count >= 4 && Array(hello.prefix(4)) != Array("API".utf8) + [0] {
                    log("client \(id): not the TWS API (no API\\0 hello); closing")
                    return
                }
            }
            let text = String(decoding: hello[8..<(8 + helloLength(hello))], as: UTF8.self)
            guard let range = TWSSimulator.versions(text) else {
                log("client \(id): unreadable version range \"\(text)\"; closing")
                return
            }
            let version = min(TWSWire.serverVersion, range.upperBound)
            guard version >= range.lowerBound else {
                log("client \(id): speaks \(range), this server \(TWSWire.serverVersion); closing")
                return
            }
            decoder.append(hello[(8 + helloLength(hello))...])
            // The reply goes alone: ibapi drops whatever else shares its first read.
            try socket.send(TWSWire.frame([String(version), TWSSimulator.connectionTime()]))
            log("client \(id) connected", ["server_version": String(version), "client_range": text])
            if case .clock(let clock) = pace {
                // Joining a session in progress: the past builds the books, it is not replayed.
                let now = Int64(clock.now() * 1_000_000)
                while let t = reader.peekTime(), t < now, let event = try reader.next() { session.absorb(event) }
            }
            while !stopped.load(ordering: .relaxed) {
                var timeout = wait(for: session)
                if let due = delayed.first?.due { timeout = min(timeout, max(0, due - Date().timeIntervalSince1970)) }
                if let bytes = try socket.receive(timeout: timeout) { decoder.append(bytes) }
                var out: [UInt8] = []
                if desk != nil { drainOutbox(session, &out) }
                while let fields = try decoder.next() {
                    if latency > 0 { delayed.append((Date().timeIntervalSince1970 + latency, fields)) } else { try handle(fields, session, &out, client: id) }
                }
                while let first = delayed.first, first.due <= Date().timeIntervalSince1970 {
                    delayed.removeFirst()
                    try handle(first.fields, session, &out, client: id)
                }
                if desk != nil { optionTicks(session, &out) }
                if !out.isEmpty { try socket.send(out); out.removeAll(keepingCapacity: true) }
                try play(session, &out)
                if !out.isEmpty { try socket.send(out) }
            }
        } catch {
            log("client \(id) gone", ["reason": "\(error)"])
        }
        // What was on its way still arrives, as at a real gateway: an order the client sent
        // before it went is placed (and fills) for its client id; the replies go nowhere.
        if let session = current, !delayed.isEmpty {
            for request in delayed {
                let wait = request.due - Date().timeIntervalSince1970
                if wait > 0 { usleep(useconds_t(wait * 1_000_000)) }
                var out: [UInt8] = []
                try? handle(request.fields, session, &out, client: id)
            }
        }
    }

    /// How long the connection's thread may wait for the client before it has something to do:
    /// nothing to play, a while; paced and the next event still ahead, a millisecond (a loop
    /// that did not wait there spun a core per connection); events due, not at all. The desk's
    /// events for this connection are picked up within 2 ms.
    private func wait(for session: Session) -> Double {
        let limit = desk == nil ? 0.05 : 0.002
        guard session.started, let next = session.reader.peekTime() else { return limit }
        if case .clock(let clock) = pace, Double(next) / 1_000_000 > clock.now() { return 0.001 }
        return 0
    }

    private func helloLength(_ hello: [UInt8]) -> Int {
        guard hello.count >= 8 else { return 0 }
        return Int(hello[4]) << 24 | Int(hello[5]) << 16 | Int(hello[6]) << 8 | Int(hello[7])
    }

    /// "v157..178" or "v100..226 +PACEAPI" → 157...178.
    static func versions(_ text: String) -> ClosedRange<Int>? {
        let first = text.split(separator: " ").first ?? ""
        guard first.hasPrefix("v") else { return nil }
        let parts = first.dropFirst().components(separatedBy: "..")
        guard let low = Int(parts[0]) else { return nil }
        let high = parts.count > 1 ? Int(parts[1]) ?? low : low
        return low <= high ? low...high : nil
    }

    /// The account's update time, `HH:mm` in New York (arithmetic: a DateFormatter built per
    /// account update cost more than the rest of a fill's replies).
    static func accountTime() -> String {
        let now = Date()
        let offset = newYork.secondsFromGMT(for: now)
        let minutes = (Int(now.timeIntervalSince1970) + offset) / 60 % 1440
        let hh = minutes / 60, mm = minutes % 60
        return (hh < 10 ? "0" : "") + String(hh) + ":" + (mm < 10 ? "0" : "") + String(mm)
    }

    private static let newYork = TimeZone(identifier: "America/New_York")!

    static func connectionTime() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd HH:mm:ss"
        return f.string(from: Date()) + " Greenwich Mean Time"
    }

    func error(_ req: Int, _ code: Int, _ message: String) -> [UInt8] {
        TWSWire.frame(TWSOrderMessages.error(id: req, code: code, message: message))
    }

    func handle(_ f: [String], _ s: Session, _ out: inout [UInt8], client: Int) throws(TWSError) {
        guard let id = Int(f[0]) else { throw TWSError(.protocolError, "message id \"\(f[0])\" is not a number") }
        func field(_ i: Int) -> String { i < f.count ? f[i] : "" }
        s.lastRequest = Date()
        if desk != nil, try handleBroker(id, f, s, &out, client: client) { return }
        switch Req(rawValue: id) {
        case .startApi:
            out += TWSWire.frame([Out.managedAccounts.code, "1", account])
            out += TWSWire.frame([Out.nextValidId.code, "1", String(s.nextOrderID)])
            out += error(-1, 2104, "Market data farm connection is OK:usfarm")
            out += error(-1, 2106, "HMDS data farm connection is OK:ushmds")
            out += error(-1, 2158, "Sec-def data farm connection is OK:secdefnj")
        case .reqPositions: out += TWSWire.frame([Out.positionEnd.code, "1"])
        case .reqOpenOrders, .reqAllOpenOrders: out += TWSWire.frame([Out.openOrderEnd.code, "1"])
        case .reqCompletedOrders: out += TWSWire.frame([Out.completedOrdersEnd.code])
        case .reqAccountUpdates:  // [6, 2, subscribe, account]: a paper account's values, then the end
            let name = field(3).isEmpty ? account : field(3)
            if field(2) == "1" {
                for (key, value) in [
                    ("NetLiquidation", "100000.00"), ("TotalCashValue", "100000.00"), ("BuyingPower", "400000.00"),
                    ("AvailableFunds", "100000.00"), ("GrossPositionValue", "0.00"),
                ] {
                    out += TWSWire.frame([Out.accountValue.code, "2", key, value, "USD", name])
                }
                out += TWSWire.frame([Out.accountValue.code, "2", "AccountType", "INDIVIDUAL", "", name])
                out += TWSWire.frame([Out.accountUpdateTime.code, "1", TWSSimulator.accountTime()])
            }
            out += TWSWire.frame([Out.accountDownloadEnd.code, "1", name])
        case .reqAccountUpdatesMulti: out += TWSWire.frame([Out.accountUpdateMultiEnd.code, "1", field(2)])
        case .reqExecutions: out += TWSWire.frame([Out.executionDataEnd.code, "1", field(2)])
        case .reqManagedAccounts: out += TWSWire.frame([Out.managedAccounts.code, "1", account])
        case .reqIds: s.nextOrderID += 1; out += TWSWire.frame([Out.nextValidId.code, "1", String(s.nextOrderID)])
        case .reqCurrentTime: out += TWSWire.frame([Out.currentTime.code, "1", String(Int(Date().timeIntervalSince1970))])
        case .reqAutoOpenOrders, .reqMarketDataType, .cancelPositions, .cancelAccountUpdatesMulti: break
        case .reqContractDetails:  // reqContractDetails [9, 8, reqId, conId, symbol, secType, …]: what qualifyContracts asks
            guard let req = Int(field(2)) else { return }
            guard let symbol = s.header.symbols.firstIndex(of: field(4)) else {
                out += error(req, 200, "No security definition has been found for the request")
                return
            }
            // An exchange-specific request is answered with that exchange, as TWS does (a client
            // then asks for that exchange's depth on it); anything else, SMART.
            let exchange = s.header.exchanges.contains(field(10)) ? field(10) : "SMART"
            out += contractData(req, symbol: symbol, exchange: exchange, s)
            out += TWSWire.frame([Out.contractDataEnd.code, "1", String(req)])
        case .reqMktData:  // [1, 11, reqId, conId, symbol, secType, …]
            guard let req = Int(field(2)) else { return }
            guard let symbol = s.header.symbols.firstIndex(of: field(4)) else {
                out += error(req, 200, "No security definition has been found for the request")
                return
            }
            var i = 15
            if field(5) == "BAG" { i += 1 + 4 * (Int(field(15)) ?? 0) }
            if field(i) == "1" { i += 3 }
            let ticks = field(i + 1).split(separator: ",").map(String.init)
            s.marketData[symbol] = req
            s.trades[symbol] = ticks.contains("233")
            out += TWSWire.frame([Out.marketDataType.code, "1", String(req), "1"])
            out += TWSWire.frame([Out.tickReqParams.code, String(req), "0.01", "9c0001", "3"])
        case .cancelMktData: if let req = Int(field(2)) { s.marketData = s.marketData.filter { $0.value != req } }
        case .reqMktDepth:  // [10, 5, reqId, conId, symbol, secType, last, strike, right, mult, exchange, primary, …]
            guard let req = Int(field(2)) else { return }
            guard let symbol = s.header.symbols.firstIndex(of: field(4)), symbol < s.header.level2Count,
                let exchange = s.header.exchanges.firstIndex(of: field(10))
            else {
                out += error(req, 200, "No security definition has been found for the request")
                return
            }
            s.depth[symbol << 8 | exchange] = req
            // The book as it stands, as inserts.
            let book = s.books[symbol * s.header.exchanges.count + exchange]
            for (k, level) in book.bids.enumerated() { out += depthFrame(req, k, level, .insert, .bid, s) }
            for (k, level) in book.asks.enumerated() { out += depthFrame(req, k, level, .insert, .ask, s) }
        case .cancelMktDepth: if let req = Int(field(2)) { s.depth = s.depth.filter { $0.value != req } }
        case .reqRealTimeBars:  // [50, 3, reqId, C12, barSize, whatToShow, useRTH, options]
            guard let req = Int(field(2)) else { return }
            guard let symbol = s.header.symbols.firstIndex(of: field(4)) else {
                out += error(req, 200, "No security definition has been found for the request")
                return
            }
            s.bars[symbol] = req
        case .cancelRealTimeBars: if let req = Int(field(2)) { s.bars = s.bars.filter { $0.value != req } }
        default:
            log("client \(client): request \(id) not simulated; ignored")
        }
    }

    /// A stock's contract details at server version ≥ 164 (no version field): the layout both
    /// ib_async and ibapi decode at 176.
    private func contractData(_ req: Int, symbol: Int, exchange: String, _ s: Session) -> [UInt8] {
        let name = s.header.symbols[symbol]
        let etf = symbol < s.header.level2Count || name == "VXX"
        return TWSWire.frame([
            Out.contractData.code, String(req), name, "STK", "", "0", "", exchange, "USD", name, etf ? name : "NMS", etf ? name : "NMS",
            String(TWSSimulator.conID(symbol)), "0.01", "", "ACTIVETIM,AD,ADJUST,ALERT,ALLOC,LMT,MKT,MOC,LOC,STP,STPLMT,TRAIL",
            "SMART,AMEX,NYSE,ARCA,BATS,ISLAND,IEX", "1", "0", name, etf ? "ARCA" : "NASDAQ", "", "", "", "", "US/Eastern", "", "", "", "0",
            "0", "1", "", "", "26,26", "", etf ? "ETF" : "COMMON", "1", "1", "100",
        ])
    }

    /// A stable contract id per symbol of the tape.
    static func conID(_ symbol: Int) -> Int { 7_000_001 + symbol }

    private func depthFrame(
        _ req: Int, _ position: Int, _ level: OrderBook.Level, _ op: DepthUpdate.Operation, _ side: DepthUpdate.Side, _ s: Session
    ) -> [UInt8] {
        TWSWire.frame([
            Out.marketDepthL2.code, "1", String(req), String(position), s.header.marketMakers[level.maker], String(op.rawValue), String(side.rawValue),
            String(level.price), String(level.size), "0",
        ])
    }

    /// Sends what is due: at the clock, or (unpaced) everything once subscriptions settled.
    func play(_ s: Session, _ out: inout [UInt8]) throws(TWSError) {
        let limit: Int64
        switch pace {
        case .clock(let clock): limit = Int64(clock.now() * 1_000_000)
        case .unpaced:
            guard s.started || (!s.marketData.isEmpty && Date().timeIntervalSince(s.lastRequest) > 0.3) else { return }
            limit = .max
        }
        s.started = true
        var sent = 0
        while sent < 2_000, let t = s.reader.peekTime(), t <= limit {
            guard let event = try? s.reader.next() else { return }
            sent += 1
            s.absorb(event)
            switch event {
            case .quote(let q):
                guard let req = s.marketData[q.symbol] else { continue }
                out += TWSWire.frame([Out.tickPrice.code, "6", String(req), "1", String(q.bid), String(q.bidSize), "0"])
                out += TWSWire.frame([Out.tickPrice.code, "6", String(req), "2", String(q.ask), String(q.askSize), "0"])
            case .trade(let t):
                guard let req = s.marketData[t.symbol], s.trades[t.symbol] == true else { continue }
                let vwap = s.notional[t.symbol] / Double(max(1, s.volume[t.symbol]))
                out += TWSWire.frame([Out.tickString.code, "6", String(req), "84", s.header.exchanges[t.exchange]])
                out += TWSWire.frame([
                    Out.tickString.code, "6", String(req), "48",
                    "\(t.price);\(t.size);\(t.time / 1000);\(s.volume[t.symbol]);\((vwap * 1e6).rounded() / 1e6);true",
                ])
            case .depth(let d):
                guard let req = s.depth[d.symbol << 8 | d.exchange] else { continue }
                out += depthFrame(req, d.position, OrderBook.Level(price: d.price, size: d.size, maker: d.marketMaker), d.operation, d.side, s)
            case .bar(let b):
                guard let req = s.bars[b.symbol] else { continue }
                out += TWSWire.frame([
                    Out.realTimeBars.code, "3", String(req), String(b.start / 1_000_000), String(b.open), String(b.high), String(b.low), String(b.close),
                    String(b.volume), String(b.wap), String(b.count),
                ])
            }
        }
    }
}

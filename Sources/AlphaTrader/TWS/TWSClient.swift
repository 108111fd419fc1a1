import Foundation
import Net
public import OrchestratorCore
import Synchronization

/// A client of the TWS API socket protocol (TWS or IB Gateway), as the `ibkr` market source:
/// handshake and version negotiation, startApi, then per symbol `reqMktData` with generic tick
/// list 233 (RTVolume: every trade with its size and time), `reqMktDepth` per exchange for the
/// level-2 symbols, and `reqRealTimeBars` (5-second TRADES bars). Messages become `MarketEvent`s
/// on a reader thread; the ingestion loop drains them.
///
/// Failures never end the process: a refused or dropped connection, garbage on the socket, a
/// server that stalls (no reply to the keep-alive `reqCurrentTime` within `stallTimeout`) —
/// each closes the socket, marks the feed disconnected, and reconnects with exponential backoff
/// (`reconnectDelay` doubling to `maximumReconnectDelay`), subscribing again. Error messages
/// from TWS (farm status 2104/2106/2158, 1100 connectivity lost, 1102 restored, 317 depth reset,
/// 200 unknown contract …) are logged and acted upon.
public final class TWSClient: MarketSource, @unchecked Sendable {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var clientID: Int
        public var connectTimeout = 5.0
        public var stallTimeout = 10.0
        public var keepAlive = 2.0
        public var reconnectDelay = 0.5
        public var maximumReconnectDelay = 30.0
        public var depthRows = 10
        public init(host: String, port: Int, clientID: Int) { self.host = host; self.port = port; self.clientID = clientID }
    }

    struct Shared {
        var events: [MarketEvent] = []
        var head = 0
        var connected = false
        var reconnects = 0
        var makers: [String] = []
        var errors: [Int: Int] = [:]
        var lastError = ""
        var received = 0
        var lastEventAt = Date.distantPast
    }

    public let options: Options
    public let symbols: [String]
    public let level2Count: Int
    public let exchanges: [String]
    let log: EventLog
    let clock: any WallClock
    private let shared = Mutex(Shared())
    private let stopFlag = Atomic<Bool>(false)
    private var thread: Thread?

    // Reader-thread state (touched only by the reader thread).
    private var bid: [Double], ask: [Double], bidSize: [Int], askSize: [Int], lastExchange: [Int]
    private var rows: [Int: (bids: Int, asks: Int)] = [:]
    private var makerIndex: [String: Int] = [:]

    public init(
        options: Options, symbols: [String], level2Count: Int, exchanges: [String] = TapeFormat.exchanges,
        log: EventLog, clock: any WallClock
    ) {
        self.options = options; self.symbols = symbols; self.level2Count = level2Count; self.exchanges = exchanges
        self.log = log; self.clock = clock
        bid = Array(repeating: 0, count: symbols.count); ask = bid
        bidSize = Array(repeating: 0, count: symbols.count); askSize = bidSize; lastExchange = bidSize
    }

    // Request ids: one range per kind, so that a reply names its symbol (and exchange).
    static func marketDataID(_ symbol: Int) -> Int { 1_000 + symbol }
    static func depthID(_ symbol: Int, _ exchange: Int) -> Int { 2_000 + symbol * 10 + exchange }
    static func barsID(_ symbol: Int) -> Int { 3_000 + symbol }

    public func start() {
        let t = Thread { [self] in self.runLoop() }
        t.name = "tws-reader"
        thread = t
        t.start()
    }

    public func stop() { stopFlag.store(true, ordering: .relaxed) }

    // MARK: MarketSource

    public var name: String { "ibkr" }
    public func next(notAfter: Int64) throws -> MarketEvent? {
        shared.withLock { s in
            guard s.head < s.events.count else { return nil }
            let e = s.events[s.head]
            s.head += 1
            if s.head == s.events.count { s.events.removeAll(keepingCapacity: true); s.head = 0 }
            return e
        }
    }
    public var nextTime: Int64? { nil }
    public var finished: Bool { false }
    public var connected: Bool { shared.withLock { $0.connected } }
    public var reconnects: Int { shared.withLock { $0.reconnects } }
    public var marketMakers: [String] { shared.withLock { $0.makers } }
    /// TWS error and notice codes received, with counts.
    public var errorCounts: [Int: Int] { shared.withLock { $0.errors } }

    private func push(_ event: MarketEvent) {
        shared.withLock {
            $0.events.append(event); $0.received += 1; $0.lastEventAt = Date()
        }
    }

    /// Events received so far, and how long ago the last one came.
    public var received: (count: Int, quietFor: Double) {
        shared.withLock { ($0.received, Date().timeIntervalSince($0.lastEventAt)) }
    }
    private func now() -> Int64 { Int64(clock.now() * 1_000_000) }

    // MARK: The reader thread

    private func runLoop() {
        var delay = options.reconnectDelay
        var attempt = 0
        while !stopFlag.load(ordering: .relaxed) {
            attempt += 1
            do {
                try session { delay = self.options.reconnectDelay }
            } catch {
                log("ibkr connection failed", ["error": error.description, "retry_in": String(format: "%.1fs", delay)])
            }
            let wasConnected = shared.withLock { s -> Bool in
                let was = s.connected
                s.connected = false
                return was
            }
            if wasConnected { clearBooks() }
            if stopFlag.load(ordering: .relaxed) { break }
            shared.withLock { $0.reconnects += 1 }
            // Back off, in small sleeps so that stop() is prompt.
            let until = Date().addingTimeInterval(delay)
            while Date() < until && !stopFlag.load(ordering: .relaxed) { usleep(20_000) }
            delay = min(delay * 2, options.maximumReconnectDelay)
        }
    }

    /// One connection from handshake to failure (always ends by throwing, or by stop()).
    private func session(onHealthy: () -> Void) throws(TWSError) {
        let socket = try TWSError.socket { () throws(SocketError) in
            try TCPSocket.connect(host: options.host, port: options.port, timeout: options.connectTimeout)
        }
        defer { socket.close() }
        try TWSError.socket { () throws(SocketError) in try socket.send(TWSWire.hello()) }
        var decoder = TWSWire.Decoder()
        // The handshake reply: exactly [serverVersion, connectionTime].
        let deadline = Date().addingTimeInterval(options.connectTimeout)
        var handshake: [String]?
        while handshake == nil {
            guard Date() < deadline else { throw TWSError(.timeout, "\(options.host):\(options.port): no handshake reply within \(options.connectTimeout)s") }
            if let bytes = try TWSError.socket({ () throws(SocketError) in try socket.receive(timeout: 0.2) }) { decoder.append(bytes) }
            handshake = try decoder.next()
        }
        guard handshake!.count >= 2, let version = Int(handshake![0]) else {
            throw TWSError(.protocolError, "the handshake reply \(handshake!.prefix(3)) is not [serverVersion, time]")
        }
        guard version >= TWSWire.minimumVersion && version <= TWSWire.serverVersion else {
            throw TWSError(.refused, "server version \(version) is outside \(TWSWire.minimumVersion)…\(TWSWire.serverVersion)")
        }
        log("ibkr connected", ["server_version": String(version), "time": handshake![1]])
        try TWSError.socket { () throws(SocketError) in try socket.send(TWSWire.frame([Out.startApi.code, "2", String(options.clientID), ""])) }
        var ready = false
        var lastReceived = Date(), lastKeepAlive = Date()
        while !stopFlag.load(ordering: .relaxed) {
            if let bytes = try TWSError.socket({ () throws(SocketError) in try socket.receive(timeout: 0.1) }) {
                decoder.append(bytes)
                lastReceived = Date()
            }
            while let fields = try decoder.next() {
                guard let id = Int(fields[0]) else { throw TWSError(.protocolError, "message id \"\(fields[0])\" is not a number (garbage on the socket)") }
                if !ready && id == 9 {
                    // nextValidId: the API is ready; subscribe.
                    ready = true
                    try subscribe(socket, serverVersion: version)
                    shared.withLock { $0.connected = true }
                    onHealthy()
                }
                try handle(id, fields)
            }
            if Date().timeIntervalSince(lastReceived) > options.stallTimeout {
                throw TWSError(.timeout, "\(options.host):\(options.port): nothing received for \(options.stallTimeout)s (stalled)")
            }
            if ready && Date().timeIntervalSince(lastKeepAlive) >= options.keepAlive {
                // reqCurrentTime: a reply proves the server alive.
                try TWSError.socket { () throws(SocketError) in try socket.send(TWSWire.frame([Out.reqCurrentTime.code, "1"])) }
                lastKeepAlive = Date()
            }
        }
    }

    private func contract(_ symbol: String) -> [String] {
        // conId, symbol, secType, lastTradeDate, strike, right, multiplier, exchange, primaryExchange,
        // currency, localSymbol, tradingClass
        ["0", symbol, "STK", "", "", "", "", "SMART", "", "USD", "", ""]
    }

    private func subscribe(_ socket: TCPSocket, serverVersion: Int) throws(TWSError) {
        var out: [UInt8] = []
        for (i, symbol) in symbols.enumerated() {
            // reqMktData v11: contract, no delta-neutral, generic ticks 233 (RTVolume), streaming.
            out += TWSWire.frame([Out.reqMktData.code, "11", String(TWSClient.marketDataID(i))] + contract(symbol) + ["0", "233", "0", "0", ""])
            // reqRealTimeBars v3: 5-second TRADES bars, all hours.
            out += TWSWire.frame([Out.reqRealTimeBars.code, "3", String(TWSClient.barsID(i))] + contract(symbol) + ["5", "TRADES", "0", ""])
            if i < level2Count {
                for (e, exchange) in exchanges.enumerated() {
                    // reqMktDepth v5 on one exchange: conId … tradingClass, rows, not smart depth.
                    out += TWSWire.frame([
                        Out.reqMktDepth.code, "5", String(TWSClient.depthID(i, e)), "0", symbol, "STK", "", "", "", "", exchange, "", "USD", "", "",
                        String(options.depthRows), "0", "",
                    ])
                }
            }
        }
        try TWSError.socket { () throws(SocketError) in try socket.send(out) }
        log("ibkr subscribed", ["symbols": String(symbols.count), "depth_books": String(level2Count * exchanges.count)])
    }

    private func symbolOf(_ reqId: Int, base: Int) -> Int? {
        let i = reqId - base
        return i >= 0 && i < symbols.count ? i : nil
    }

    private func handle(_ id: Int, _ f: [String]) throws(TWSError) {
        func int(_ i: Int) -> Int? { i < f.count ? Int(f[i]) ?? (Double(f[i]).map { Int($0) }) : nil }
        func double(_ i: Int) -> Double? { i < f.count ? Double(f[i]) : nil }
        switch In(rawValue: id) {
        case .tickPrice:  // [1, ver, reqId, tickType, price, size, attrMask]
            guard let req = int(2), let s = symbolOf(req, base: 1_000), let type = int(3), let price = double(4) else { return }
            let size = int(5) ?? 0
            if type == 1 {
                bid[s] = price; bidSize[s] = size
            } else if type == 2 {
                ask[s] = price; askSize[s] = size
                push(.quote(Quote(time: now(), symbol: s, bid: bid[s], ask: ask[s], bidSize: bidSize[s], askSize: askSize[s])))
            }
        case .tickSize:  // [2, ver, reqId, tickType, size]
            guard let req = int(2), let s = symbolOf(req, base: 1_000), let type = int(3), let size = int(4) else { return }
            if type == 0 || type == 3 {
                if type == 0 { bidSize[s] = size } else { askSize[s] = size }
                push(.quote(Quote(time: now(), symbol: s, bid: bid[s], ask: ask[s], bidSize: bidSize[s], askSize: askSize[s])))
            }
        case .tickString:  // [46, ver, reqId, tickType, value]
            guard let req = int(2), let s = symbolOf(req, base: 1_000), let type = int(3), f.count > 4 else { return }
            if type == 84 { lastExchange[s] = exchanges.firstIndex(of: f[4]) ?? 0 }
            if type == 48 || type == 77 {
                // RTVolume: price;size;time ms;total volume;vwap;single trade
                let parts = f[4].split(separator: ";", omittingEmptySubsequences: false)
                guard parts.count >= 3, let price = Double(parts[0]), let size = Double(parts[1]), let ms = Int64(parts[2]), size > 0 else { return }
                push(.trade(Trade(time: ms * 1000, symbol: s, exchange: lastExchange[s], price: price, size: Int(size))))
            }
        case .marketDepthL2, .marketDepth:  // [13, ver, reqId, position, maker, op, side, price, size, smart] / 12 without maker
            let l2 = id == In.marketDepthL2.rawValue
            guard let req = int(2), req >= 2_000, req < 3_000 else { return }
            let s = (req - 2_000) / 10, e = (req - 2_000) % 10
            guard s < symbols.count, e < exchanges.count, let position = int(3) else { return }
            let base = l2 ? 5 : 4
            guard let op = int(base), let side = int(base + 1), let price = double(base + 2), let size = int(base + 3),
                let operation = DepthUpdate.Operation(rawValue: UInt8(clamping: op)), let sideValue = DepthUpdate.Side(rawValue: UInt8(clamping: side))
            else {
                throw TWSError(.protocolError, "depth update \(f.prefix(10)) has fields out of range")
            }
            let maker = internMaker(l2 ? f[4] : exchanges[e])
            var count = rows[req] ?? (0, 0)
            let delta = operation == .insert ? 1 : operation == .delete ? -1 : 0
            if sideValue == .bid { count.bids = max(0, count.bids + delta) } else { count.asks = max(0, count.asks + delta) }
            rows[req] = count
            push(
                .depth(
                    DepthUpdate(
                        time: now(), symbol: s, exchange: e, marketMaker: maker, position: position, operation: operation,
                        side: sideValue, price: price, size: size)))
        case .realTimeBars:  // [50, ver, reqId, time, open, high, low, close, volume, wap, count]
            guard let req = int(2), let s = symbolOf(req, base: 3_000), let start = Int64(f.count > 3 ? f[3] : ""),
                let o = double(4), let h = double(5), let l = double(6), let c = double(7)
            else { return }
            let volume = Int(double(8) ?? 0), wap = double(9) ?? c, count = int(10) ?? 0
            push(.bar(Bar(time: (start + Bar.seconds) * 1_000_000, symbol: s, open: o, high: h, low: l, close: c, volume: volume, wap: wap, count: count)))
        case .error:  // [4, ver, reqId, code, message, advancedOrderRejectJson]
            let req = int(2) ?? -1, code = int(3) ?? 0, message = f.count > 4 ? f[4] : ""
            shared.withLock {
                $0.errors[code, default: 0] += 1; $0.lastError = "\(code) \(message)"
            }
            switch code {
            case 2104, 2106, 2158, 2107, 2108, 2119: log("ibkr farm status", ["code": String(code), "message": message])
            case 1100, 2110:
                shared.withLock { $0.connected = false }
                log("ibkr connectivity lost", ["code": String(code), "message": message])
            case 1101, 1102:
                shared.withLock { $0.connected = true }
                log("ibkr connectivity restored", ["code": String(code), "message": message])
            case 317:
                log("ibkr depth reset", ["request": String(req)])
                resetBook(req)
            default: log("ibkr error", ["request": String(req), "code": String(code), "message": message])
            }
        default: break  // nextValidId, managedAccounts, currentTime, marketDataType, tickReqParams …
        }
    }

    private func internMaker(_ id: String) -> Int {
        if let i = makerIndex[id] { return i }
        let i = shared.withLock { s -> Int in
            s.makers.append(id); return s.makers.count - 1
        }
        makerIndex[id] = i
        return i
    }

    /// Empties one depth subscription's book (TWS error 317, or a lost connection): a delete of
    /// the top row per row held.
    private func resetBook(_ req: Int) {
        guard let count = rows[req] else { return }
        let s = (req - 2_000) / 10, e = (req - 2_000) % 10
        let t = now()
        for _ in 0..<count.bids {
            push(.depth(DepthUpdate(time: t, symbol: s, exchange: e, marketMaker: 0, position: 0, operation: .delete, side: .bid, price: 0, size: 0)))
        }
        for _ in 0..<count.asks {
            push(.depth(DepthUpdate(time: t, symbol: s, exchange: e, marketMaker: 0, position: 0, operation: .delete, side: .ask, price: 0, size: 0)))
        }
        rows[req] = (0, 0)
    }

    private func clearBooks() { for req in rows.keys { resetBook(req) } }
}

private typealias Out = TWSMessage.Outgoing
private typealias In = TWSMessage.Incoming

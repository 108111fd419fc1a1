import AlphaTrader
import Foundation
import Net
import OrchestratorCore

/// Issue 16's figures: the order round trip through the order path (journal included) against
/// tws-sim, the journal's fills per second, and tws-sim as a paper broker under load.
enum OrdersBench {
    static func connection(port: Int, clientId: Int, journal: String) -> BrokerConnection {
        let clock = SystemClock()
        let c = BrokerConnection(
            options: .init(host: "127.0.0.1", port: port, clientId: clientId, timeout: 10),
            journal: try! Journal(path: journal), log: EventLog(module: "bench", clock: clock), clock: clock)
        try! c.connect()
        return c
    }

    /// placeOrder of a marketable option order → orderStatus Filled, `--count` times, alternately
    /// buying and selling one contract of the nearest-the-money SPY call on the tape's day.
    static func roundTrip() {
        let port = Int(option("--port", default: "7497"))!, count = Int(option("--count", default: "1000"))!
        let c = connection(port: port, clientId: 31, journal: option("--journal", default: "/tmp/bench-journal.sqlite"))
        c.journal.checkpointInBackground()
        // TWS takes at most 50 messages a second from a client (the order path paces itself):
        // one order every 25 ms, each timed alone.
        let interval = Double(option("--interval-ms", default: "25"))! / 1000
        let expiry = option("--expiry", default: "")
        guard let spot = try! c.quote(.stock(symbol: "SPY"), timeout: 5) else { fatalError("no SPY quote from tws-sim") }
        let strike = ((spot.bid + spot.ask) / 2).rounded()
        let call = Instrument.option(symbol: "SPY", expiry: expiry, strike: strike, right: .call)
        var latencies: [Double] = [], placing: [Double] = []
        latencies.reserveCapacity(count)
        for i in 0..<(count + 50) {
            let t0 = now()
            let ref = try! c.place(.init(instrument: call, action: i % 2 == 0 ? .buy : .sell, quantity: 1, kind: .market))[0]
            if i >= 50 { placing.append(Double(now() - t0) / 1e3) }
            while c.statuses[ref] != "Filled" {
                if let refusal = c.refusals[ref] { fatalError("order \(i) refused: \(refusal)") }
                try! c.poll(0.001)
            }
            if i >= 50 { latencies.append(Double(now() - t0) / 1e3) }  // the first 50 warm up
            // Replies that arrive meanwhile (commission reports) are taken in while waiting.
            while Double(now() - t0) / 1e9 < interval { try! c.poll(max(0, interval - Double(now() - t0) / 1e9)) }
        }
        try! c.poll(0.2)
        latencies.sort()
        placing.sort()
        let fills = try! c.journal.fills().count
        print(
            "{\"orders\":\(count),\"strike\":\(strike),\"place_p50_us\":\(placing[count / 2]),\"p50_us\":\(latencies[count / 2]),\"p99_us\":\(latencies[count * 99 / 100]),\"max_us\":\(latencies.last!),\"fills_journaled\":\(fills)}"
        )
    }

    /// The floor under any client on this tws-sim: the same orders as `roundTrip` from a bare
    /// socket — the placeOrder frame written, bytes read until orderStatus Filled is seen — with
    /// no journal, no order path and no parsing beyond the frames. What is left of a round trip
    /// above this is the client's own work.
    static func floor() {
        let port = Int(option("--port", default: "7497"))!, count = Int(option("--count", default: "1000"))!
        let interval = Double(option("--interval-ms", default: "25"))! / 1000
        let expiry = option("--expiry", default: ""), strike = Double(option("--strike", default: "0"))!
        let socket = try! TCPSocket.connect(host: "127.0.0.1", port: port, timeout: 5)
        var decoder = TWSWire.Decoder()
        func read(until done: ([String]) -> Bool) {
            while true {
                while let fields = try! decoder.next() { if done(fields) { return } }
                if let bytes = try! socket.receive(timeout: 0.001) { decoder.append(bytes) }
            }
        }
        try! socket.send(TWSWire.hello())
        read { _ in true }
        try! socket.send(TWSWire.frame([TWSMessage.Outgoing.startApi.code, "2", "33", ""]))
        var nextId = 0
        read { f in
            if f.first == TWSMessage.Incoming.nextValidId.code { nextId = Int(f[2])! }
            return nextId > 0
        }
        let call = Instrument.option(symbol: "SPY", expiry: expiry, strike: strike, right: .call)
        var latencies: [Double] = []
        for i in 0..<(count + 50) {
            let t0 = now()
            let id = nextId + i
            let request = OrderRequest(id: id, instrument: call, action: i % 2 == 0 ? .buy : .sell, quantity: 1, kind: .market, orderRef: "floor-\(id)")
            try! socket.send(TWSWire.frame(TWSOrderMessages.placeOrder(request)))
            read { f in f.first == TWSMessage.Incoming.orderStatus.code && f[1] == String(id) && f[2] == "Filled" }
            if i >= 50 { latencies.append(Double(now() - t0) / 1e3) }
            while Double(now() - t0) / 1e9 < interval {
                if let bytes = try! socket.receive(timeout: max(0, interval - Double(now() - t0) / 1e9)) { decoder.append(bytes) }
                while (try! decoder.next()) != nil {}
            }
        }
        latencies.sort()
        print("{\"orders\":\(count),\"p50_us\":\(latencies[count / 2]),\"p99_us\":\(latencies[count * 99 / 100])}")
    }

    /// Fills committed to the journal, one transaction each.
    static func journal() {
        let path = option("--journal", default: "/tmp/bench-journal-fills.sqlite")
        let count = Int(option("--count", default: "20000"))!
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let journal = try! Journal(path: path)
        journal.checkpointInBackground()
        let spy = Instrument.stock(symbol: "SPY")
        for i in 0..<100 {
            try! journal.recordSubmission(
                OrderRequest(
                    id: i + 1, instrument: spy, action: i % 2 == 0 ? .buy : .sell, quantity: 1_000_000, kind: .market,
                    orderRef: "bench-\(i)"), clientId: 1, parentRef: nil, strategy: nil, now: 0)
        }
        // With --interval-ms, each commit is timed alone after that long asleep (as on the order
        // path at 40 orders a second), instead of back to back.
        let interval = Double(option("--interval-ms", default: "0"))! / 1000
        var each: [Double] = []
        let t0 = now()
        for i in 0..<count {
            if interval > 0 { Thread.sleep(forTimeInterval: interval) }
            let c0 = now()
            defer { if interval > 0 { each.append(Double(now() - c0) / 1e3) } }
            let ref = i % 100
            let fill = TWSOrderMessages.Fill(
                execId: "0000e0d5.\(i).01.01", orderId: ref + 1, permId: 1_000_000 + ref, clientId: 1, orderRef: "bench-\(ref)",
                instrument: spy, conId: 7_000_001, action: ref % 2 == 0 ? .buy : .sell, quantity: 10, price: 600 + Double(i % 7) * 0.01,
                time: Double(i), cumulativeQuantity: 10, averagePrice: 600, account: "DU1", exchange: "ISLAND")
            precondition(try! journal.recordFill(fill, now: Double(i)) == .changed)
        }
        let seconds = Double(now() - t0) / 1e9
        if interval > 0 {
            each.sort()
            print("{\"fills\":\(count),\"commit_p50_us\":\(each[count / 2]),\"commit_p99_us\":\(each[count * 99 / 100])}")
            return
        }
        print("{\"fills\":\(count),\"seconds\":\(seconds),\"fills_per_s\":\(Double(count) / seconds)}")
    }

    /// Load: `--rate` orders a second for `--seconds`, alternately buying and selling stock of
    /// the 12 symbols at market, while the connection holds market data on all of them; prints
    /// what was placed (the account file has the fills, checked against the tape by the script).
    static func load() {
        let port = Int(option("--port", default: "7497"))!, rate = Double(option("--rate", default: "50"))!
        let seconds = Double(option("--seconds", default: "20"))!
        let symbols = ["SPY", "QQQ", "IWM", "AAPL", "TSLA", "NVDA", "META", "AMZN", "MSFT", "GOOGL", "AMD", "VXX"]
        let c = connection(port: port, clientId: 32, journal: option("--journal", default: "/tmp/bench-journal-load.sqlite"))
        let start = Date()
        var placed = 0
        while Date().timeIntervalSince(start) < seconds {
            let due = Int(Date().timeIntervalSince(start) * rate)
            while placed < due {
                let symbol = symbols[placed % symbols.count]
                _ = try! c.place(
                    .init(instrument: .stock(symbol: symbol), action: (placed / symbols.count) % 2 == 0 ? .buy : .sell, quantity: 10, kind: .market))
                placed += 1
            }
            try! c.poll(0.002)
        }
        try! c.wait(10, "the last fills") { try c.journal.orders(open: true).isEmpty }
        let fills = try! c.journal.fills()
        print("{\"placed\":\(placed),\"fills\":\(fills.count),\"refused\":\(c.counters.refusals)}")
    }
}

extension OrdersBench {
    /// Every stock fill in a tws-sim account file against the tape: a buy at the ask and a sell
    /// at the bid in force at the fill's market time (no slippage configured).
    static func checkFills() {
        let tape = option("--tape", default: ""), account = option("--account", default: "")
        let root = try! JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: account))) as! [String: Any]
        let executions = (root["broker"] as! [String: Any])["executions"] as! [[String: Any]]
        struct Check { let symbol: String; let buy: Bool; let price: Double; let time: Int64 }
        var checks: [Check] = []
        for e in executions {
            guard let instrument = e["instrument"] as? [String: Any], let stock = instrument["stock"] as? [String: Any],
                let symbol = stock["symbol"] as? String
            else { continue }
            checks.append(
                Check(symbol: symbol, buy: (e["action"] as? String) == "BUY", price: e["price"] as! Double, time: (e["time"] as! NSNumber).int64Value))
        }
        checks.sort { $0.time < $1.time }
        let reader = try! TapeReader(path: tape, verify: false)
        var quotes: [Int: Quote] = [:]
        var wrong = 0, next = 0
        while next < checks.count {
            let t = reader.peekTime()
            if let t, t <= checks[next].time, let event = try! reader.next() {
                if case .quote(let q) = event { quotes[q.symbol] = q }
                continue
            }
            let c = checks[next]
            let q = quotes[reader.header.symbols.firstIndex(of: c.symbol)!]
            if q == nil || abs((c.buy ? q!.ask : q!.bid) - c.price) > 1e-9 { wrong += 1 }
            next += 1
        }
        print("{\"stock_fills\":\(checks.count),\"wrong\":\(wrong)}")
    }
}

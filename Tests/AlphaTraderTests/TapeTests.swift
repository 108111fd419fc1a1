import AlphaTrader
import Foundation
import OrchestratorCore
import Redis
import Testing

/// A tape for tests: a short span of the generated day, written to a temporary file.
enum TestTape {
    static let level2 = ["SPY", "QQQ", "IWM"]
    static let standard = ["AAPL", "TSLA", "NVDA", "META", "AMZN", "MSFT", "GOOGL", "AMD", "VXX"]
    /// 2026-11-25, 09:30 to 16:00 New York (14:30–21:00 UTC).
    static let open: Int64 = 1_795_617_000
    static let close: Int64 = open + 23_400

    static func options(seed: UInt64 = 7, minutes: Int64 = 5, startingAt offset: Int64 = 0) -> TapeGenerator.Options {
        TapeGenerator.Options(
            date: "2026-11-25", seed: seed, level2: level2, standard: standard, open: open, close: close,
            from: open + offset, to: open + offset + minutes * 60)
    }

    static func write(seed: UInt64 = 7, minutes: Int64 = 5) throws -> (String, TapeGenerator.Summary) {
        let path = temporaryPath("tape")
        let summary = try TapeGenerator(options: options(seed: seed, minutes: minutes)).write(to: path)
        return (path, summary)
    }

    /// A context on the default configuration, talking to the Redis at `url`.
    static func context(_ url: String, clock: any WallClock = SystemClock(), module: String = "test") throws -> AlphaContext {
        AlphaContext(config: Config.defaults, clock: clock, redisURL: try RedisURL(parsing: url), log: EventLog(module: module, clock: clock), environment: [:])
    }

    /// Plays a tape into the Redis at `url` as fast as it goes, as `ingest --unpaced --exit-at-end`.
    static func replay(_ path: String, into url: String) throws -> Ingestion.Report {
        let reader = try TapeReader(path: path)
        var options = Ingestion.Options()
        options.unpaced = true; options.exitAtEnd = true; options.session = reader.header.date
        return Ingestion(
            context: try context(url, module: "ingest"), source: TapeSource(reader: reader), state: MarketState(header: reader.header),
            options: options
        ).run()
    }

    /// A generated tape with one symbol crafted to crash: its every price (trades, quotes, depth,
    /// bars) scaled down linearly by `drop` between `from` and `from + over` seconds after the
    /// open, and held there after — the rest of the market as generated.
    static func crash(symbol: Int = 0, from: Int64, over: Int64, drop: Double) throws -> String {
        let generated = try write(minutes: 10).0
        defer { try? FileManager.default.removeItem(atPath: generated) }
        let header = try TapeReader(path: generated).header
        let path = temporaryPath("tape")
        let writer = try TapeWriter(path: path, header: header)
        let start = (open + from) * 1_000_000, length = Double(over * 1_000_000)
        func scaled(_ price: Double, _ time: Int64) -> Double {
            let f = 1 - drop * min(1, max(0, Double(time - start) / length))
            return (price * f * 100).rounded() / 100
        }
        for event in try events(generated) {
            switch event {
            case .trade(var t) where t.symbol == symbol:
                t.price = scaled(t.price, t.time)
                try writer.write(.trade(t))
            case .quote(var q) where q.symbol == symbol:
                let spread = q.ask - q.bid
                q.bid = scaled(q.bid, q.time)
                q.ask = ((q.bid + spread) * 100).rounded() / 100
                try writer.write(.quote(q))
            case .depth(var d) where d.symbol == symbol:
                d.price = scaled(d.price, d.time)
                try writer.write(.depth(d))
            case .bar(var b) where b.symbol == symbol:
                b.open = scaled(b.open, b.start); b.high = scaled(b.high, b.start); b.low = scaled(b.low, b.time)
                b.close = scaled(b.close, b.time); b.wap = scaled(b.wap, b.time)
                try writer.write(.bar(b))
            default:
                try writer.write(event)
            }
        }
        try writer.finish()
        return path
    }

    static func events(_ path: String) throws -> [MarketEvent] {
        let reader = try TapeReader(path: path)
        var list: [MarketEvent] = []
        while let e = try reader.next() { list.append(e) }
        return list
    }
}

func temporaryPath(_ ext: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("at-\(UUID().uuidString).\(ext)").path
}

@Suite("The replay tape")
struct TapeTests {
    @Test("every kind of event round-trips through the file exactly")
    func roundTrip() throws {
        let path = temporaryPath("tape")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = TapeHeader(
            date: "2026-11-25", seed: 1, symbols: ["SPY", "AAPL"], level2Count: 1, exchanges: TapeFormat.exchanges,
            marketMakers: ["ARCA", "NSDQ"], open: 100, close: 200, from: 100, to: 200)
        let events: [MarketEvent] = [
            .quote(Quote(time: 100_000_000, symbol: 0, bid: 600.01, ask: 600.02, bidSize: 300, askSize: 500)),
            .depth(
                DepthUpdate(time: 100_000_000, symbol: 0, exchange: 2, marketMaker: 1, position: 0, operation: .insert, side: .bid, price: 600.01, size: 200)),
            .trade(Trade(time: 100_500_000, symbol: 1, exchange: 3, price: 230.125, size: 37)),
            .depth(DepthUpdate(time: 100_600_000, symbol: 0, exchange: 0, marketMaker: 0, position: 3, operation: .delete, side: .ask, price: 600.05, size: 0)),
            .bar(Bar(time: 105_000_000, symbol: 1, open: 230, high: 231.5, low: 229.75, close: 231, volume: 12_345, wap: 230.4, count: 17)),
        ]
        let writer = try TapeWriter(path: path, header: header)
        for e in events { try writer.write(e) }
        try writer.finish()
        let reader = try TapeReader(path: path)
        #expect(reader.header == header)
        #expect(reader.count == UInt64(events.count))
        #expect(try TestTape.events(path) == events)
    }

    @Test("the same seed writes the same bytes, another seed another day")
    func deterministic() throws {
        let (a, _) = try TestTape.write(seed: 7, minutes: 2)
        let (b, _) = try TestTape.write(seed: 7, minutes: 2)
        let (c, _) = try TestTape.write(seed: 8, minutes: 2)
        defer { for p in [a, b, c] { try? FileManager.default.removeItem(atPath: p) } }
        #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b))
        #expect(FileManager.default.contents(atPath: a) != FileManager.default.contents(atPath: c))
    }

    @Test("a generated tape is in time order, opens with full books, and has every kind of event")
    func generatedContent() throws {
        let (path, summary) = try TestTape.write(minutes: 3)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let events = try TestTape.events(path)
        #expect(events.count == summary.total)
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.time <= $1.time })
        #expect(summary.trades > 1_000 && summary.quotes > 100 && summary.depth > 1_000)
        #expect(summary.bars == 12 * 35, "bars closing inside the span: the one closing at its end belongs to the next")
        // Books of the level-2 symbols only, on all four exchanges, with several market makers.
        var exchanges = Set<Int>(), makers = Set<Int>(), depthSymbols = Set<Int>()
        var state = MarketState(
            symbols: TestTape.level2 + TestTape.standard, level2Count: 3, exchanges: TapeFormat.exchanges,
            makers: try TapeReader(path: path).header.marketMakers)
        for e in events {
            if case .depth(let d) = e { exchanges.insert(d.exchange); makers.insert(d.marketMaker); depthSymbols.insert(d.symbol) }
            state.apply(e)
        }
        #expect(exchanges == [0, 1, 2, 3])
        #expect(makers.count >= 8)
        #expect(depthSymbols == [0, 1, 2])
        #expect(state.depthErrors == 0, "every depth update names a row the book has")
    }

    @Test("read in time order, a generated tape keeps every book in price order, prints trades at the quote in force, and its bars agree with its prints")
    func generatedTapeIsConsistentInTimeOrder() throws {
        let (path, _) = try TestTape.write(seed: 11, minutes: 10)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var windows: [Int: [(price: Double, size: Int)]] = [:]
        var badBars = 0, bars = 0
        var books = [[OrderBook]](repeating: [OrderBook](repeating: OrderBook(depth: 10), count: 4), count: 3)
        var lastUpdate = [[Int64]](repeating: [Int64](repeating: 0, count: 4), count: 3)
        var quotes: [Int: (bid: Double, ask: Double)] = [:]
        var unsorted = 0, inside = 0, trades = 0
        func sorted(_ b: OrderBook) -> Bool {
            zip(b.bids, b.bids.dropFirst()).allSatisfy({ $0.price > $1.price }) && zip(b.asks, b.asks.dropFirst()).allSatisfy({ $0.price < $1.price })
        }
        for e in try TestTape.events(path) {
            switch e {
            case .depth(let d):
                // A move rewrites rows one after another microseconds apart (as a TWS feed does), so
                // the order holds between bursts, not inside one.
                if d.time - lastUpdate[d.symbol][d.exchange] > 100 && !sorted(books[d.symbol][d.exchange]) { unsorted += 1 }
                lastUpdate[d.symbol][d.exchange] = d.time
                _ = books[d.symbol][d.exchange].apply(d)
            case .quote(let q):
                quotes[q.symbol] = (q.bid, q.ask)
            case .trade(let t):
                windows[t.symbol, default: []].append((t.price, t.size))
                guard let q = quotes[t.symbol] else { continue }
                trades += 1
                let mid = ((q.bid + q.ask) / 2 * 200).rounded() / 200
                if t.price > q.bid + 1e-9 && t.price < q.ask - 1e-9 && abs(t.price - mid) > 1e-9 { inside += 1 }
            case .bar(let b):
                // A bar closes its five seconds: its open and close are their first and last prints.
                let prints = windows.removeValue(forKey: b.symbol) ?? []
                guard let first = prints.first, let last = prints.last else { continue }
                bars += 1
                if b.open != first.price || b.close != last.price || b.count != prints.count
                    || b.volume != prints.reduce(0, { $0 + $1.size })
                {
                    badBars += 1
                }
            }
        }
        #expect(bars > 1_000)
        #expect(badBars == 0, "\(badBars) of \(bars) bars disagree with the prints of their five seconds read in time order")
        #expect(trades > 10_000)
        #expect(unsorted == 0, "a depth update left a book out of price order \(unsorted) times")
        #expect(inside == 0, "\(inside) trades printed strictly inside the quote in force, and not at its midpoint")
    }

    @Test("trade sizes are heavy-tailed: odd lots, round lots and blocks far above the median")
    func heavyTails() throws {
        let (path, _) = try TestTape.write(minutes: 5)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sizes = try TestTape.events(path).compactMap { e -> Int? in if case .trade(let t) = e { return t.size } else { return nil } }.sorted()
        let median = sizes[sizes.count / 2]
        #expect(sizes.first! < 100, "odd lots")
        #expect(sizes.filter { $0 % 100 == 0 }.count > sizes.count / 2, "mostly round lots")
        #expect(sizes.last! > 50 * median, "a block far beyond the median")
    }

    @Test("activity is U-shaped: the first minutes trade far more than lunch")
    func uShape() throws {
        func trades(_ offset: Int64) throws -> Int {
            let path = temporaryPath("tape")
            defer { try? FileManager.default.removeItem(atPath: path) }
            return try TapeGenerator(options: TestTape.options(minutes: 5, startingAt: offset)).write(to: path).trades
        }
        let opening = try trades(0), lunch = try trades(150 * 60)
        #expect(Double(opening) > 2 * Double(lunch), "opening \(opening) vs lunch \(lunch)")
    }

    @Test(
        "a damaged tape is refused with the byte offset of the damage",
        arguments: [
            ("truncated", "truncated"), ("flipped", "checksum mismatch"), ("kind", "unknown record kind"), ("magic", "not a tape"),
        ])
    func damaged(_ damage: String, _ expected: String) throws {
        let (path, _) = try TestTape.write(minutes: 1)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        let headerEnd = 12 + Int(UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24)
        switch damage {
        case "truncated": bytes.removeLast(bytes.count / 3)
        case "flipped": bytes[bytes.count - 18] ^= 0x40  // inside the last record (its count), before the end record
        case "kind": bytes[headerEnd] = 0x7E
        default: bytes[0] = UInt8(ascii: "X")
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try TapeReader(path: path)
            Issue.record("a \(damage) tape was accepted")
        } catch {
            #expect(error.description.contains(expected), "\(error)")
            #expect(error.offset != nil)
            if damage == "kind" { #expect(error.offset == headerEnd) }
        }
    }
}

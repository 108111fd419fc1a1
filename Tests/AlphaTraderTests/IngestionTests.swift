import AlphaTrader
import Foundation
import OrchestratorCore
import Redis
import TestSupport
import Testing

@Suite("Ingestion into a real redis-server", .serialized)
struct IngestionTests {
    @Test("a tape lands as the market keys of SPEC §7, every trade once and in order in its stream")
    func replayToRedis() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let (path, summary) = try TestTape.write(minutes: 2)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let h = try TapeReader(path: path).header
        let report = try TestTape.replay(path, into: server.url)
        #expect(report.events == summary.total && report.dropped == 0)

        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        let tradesBySymbol = Dictionary(
            grouping: try TestTape.events(path).compactMap { e -> Trade? in
                if case .trade(let t) = e { return t } else { return nil }
            }, by: \.symbol)
        for (i, symbol) in h.symbols.enumerated() {
            let base = "market:\(symbol):"
            for key in ["trades", "last", "bars", "ticker", "spread", "timestamp", "stream", "history"] {
                #expect(try redis.command(["EXISTS", base + key]).integer == 1, "\(base)\(key)")
            }
            // The stream holds each trade once, in tape order.
            let entries = try redis.command(["XRANGE", base + "stream", "-", "+"])
            guard case .array(let list) = entries else { Issue.record("no stream"); continue }
            var streamTrades: [(Int64, Int)] = []
            for entry in list {
                guard case .array(let pair) = entry, case .array(let fields) = pair[1] else { continue }
                let texts = fields.compactMap(\.text)
                var map: [String: String] = [:]
                for j in stride(from: 0, to: texts.count - 1, by: 2) { map[texts[j]] = texts[j + 1] }
                if map["k"] == "t" { streamTrades.append((Int64(map["t"]!)!, Int(map["s"]!)!)) }
            }
            let expected = (tradesBySymbol[i] ?? []).map { ($0.time, $0.size) }
            #expect(streamTrades.count == expected.count, "\(symbol)")
            #expect(zip(streamTrades, expected).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }, "\(symbol) in order")
            #expect(try redis.command(["LLEN", base + "trades"]).integer == min(1_000, expected.count))
            #expect(try redis.command(["LLEN", base + "bars"]).integer == 23)
            if i < 3 {
                for key in ["book", "imbalance", "makers"] { #expect(try redis.command(["EXISTS", base + key]).integer == 1, "\(base)\(key)") }
                let ttl = try redis.command(["PTTL", base + "book"]).integer ?? -1
                #expect(ttl > 0 && ttl <= 1_000, "book TTL 1 s, found \(ttl) ms")
                let book = try JSONSerialization.jsonObject(with: Data(try redis.command(["GET", base + "book"]).text!.utf8)) as! [String: Any]
                #expect((book["exchanges"] as! [String: Any]).keys.sorted() == ["ARCA", "BATS", "IEX", "ISLAND"])
                let imbalance = try JSONSerialization.jsonObject(with: Data(try redis.command(["GET", base + "imbalance"]).text!.utf8)) as! [String: Any]
                let value = imbalance["value"] as! Double
                #expect(value >= -1 && value <= 1)
            }
            let barsTTL = try redis.command(["PTTL", base + "bars"]).integer ?? -1
            #expect(barsTTL > 1_000 && barsTTL <= 10_000)
        }
        let heartbeat = try redis.command(["GET", "module:heartbeat:ibkr_ingestion"]).text ?? ""
        #expect(heartbeat.contains("\"ts\":"))
        let stats = try redis.command(["GET", "monitoring:ibkr:stats"]).text ?? ""
        #expect(stats.contains("\"events\":\(summary.total)"), "\(stats)")
    }

    @Test("TTLs are market time: at 600x a book lives 1/600 of a second")
    func scaledTTL() throws {
        var state = MarketState(symbols: ["SPY"], level2Count: 1, exchanges: TapeFormat.exchanges, makers: ["ARCA"])
        state.apply(.depth(DepthUpdate(time: 1, symbol: 0, exchange: 0, marketMaker: 0, position: 0, operation: .insert, side: .bid, price: 1, size: 1)))
        state.apply(.bar(Bar(time: 5_000_000, symbol: 0, open: 1, high: 1, low: 1, close: 1, volume: 1, wap: 1, count: 1)))
        var batch = RedisBatch()
        state.publish(into: &batch, speed: 600)
        let text = String(decoding: batch.bytes, as: UTF8.self)
        #expect(text.contains("market:SPY:book\r\n") && text.contains("$2\r\nPX\r\n$1\r\n2\r\n"), "1000 ms / 600 → 2 ms")
        #expect(text.contains("$7\r\nPEXPIRE\r\n$15\r\nmarket:SPY:bars\r\n$2\r\n17\r\n"), "10 000 ms / 600 → 17 ms")
    }

    @Test("Redis going away mid-session: ingestion keeps reading, counts what it dropped, reconnects, never crashes")
    func redisGoesAway() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let (path, summary) = try TestTape.write(minutes: 2)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try TapeReader(path: path)
        let h = reader.header
        // A paced replay at 60x: two minutes of tape in two seconds.
        let start = Double(h.from)
        let clock = SimulatedClock(simulatedAnchor: start, realAnchor: Date().timeIntervalSince1970, speed: 60)
        var options = Ingestion.Options()
        options.exitAtEnd = true
        let ingestion = Ingestion(
            context: try TestTape.context(server.url, clock: clock), source: TapeSource(reader: reader),
            state: MarketState(header: h),
            options: options)
        let outage = Thread {
            usleep(500_000)
            server.kill()
            usleep(600_000)
            try? server.restart()
        }
        outage.start()
        let report = ingestion.run()
        #expect(report.events == summary.total, "every event was read from the tape")
        #expect(report.redisFailures >= 1)
        #expect(report.dropped > 0 && report.dropped < summary.total, "what was sent while Redis was down is counted as dropped")
        #expect(report.published + report.dropped == report.events)
        // After the outage the keys come back, and the monitoring says what was lost.
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        let stats = try #require(try redis.command(["GET", "monitoring:ibkr:stats"]).text)
        #expect(stats.contains("\"dropped\":\(report.dropped)"), "\(stats)")
        #expect(try redis.command(["EXISTS", "market:SPY:ticker"]).integer == 1)
    }
}

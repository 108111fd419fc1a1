import AlphaTrader
import AlphaTraderSimulators
import Foundation
import Net
import OrchestratorCore
import Redis
import TestSupport
import Testing

/// The Alpha Vantage client, the shared rate limiter and the premarket job against local HTTP
/// servers on 127.0.0.1 and a real redis-server.
@Suite("Alpha Vantage: client, rate limiter, premarket job", .serialized)
struct AlphaVantageTests {
    let clock = SystemClock()
    var log: EventLog { EventLog(module: "av-test", clock: clock) }

    /// A server that plays `script` in order (then repeats the last entry), counting calls.
    final class Scripted: @unchecked Sendable {
        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var n = 0
            func next() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n }
            var value: Int { lock.lock(); defer { lock.unlock() }; return n }
        }
        let server: HTTPServer
        let counter = Counter()
        init(_ script: [HTTPServer.Response]) throws {
            let counter = self.counter
            server = try HTTPServer { _ in script[min(counter.next() - 1, script.count - 1)] }
        }
        var calls: Int { counter.value }
        var url: String { "http://127.0.0.1:\(server.port)/query" }
        deinit { server.stop() }
    }

    func client(_ url: String, retries: Int = 3) -> AlphaVantageClient {
        let c = AlphaVantageClient(baseURL: url, apiKey: "SECRETKEY123", limiter: nil, log: log)
        c.baseDelay = 0.01; c.maximumDelay = 0.05; c.retries = retries; c.timeout = 2
        return c
    }

    // SPY lists the day's own expiry before the two asked for: 3 × 10 strikes × call/put.
    let small = AlphaVantagePayloads(seed: 3, date: "2026-11-25").chain("SPY", expirations: 2, strikes: 10)

    @Test("429, 5xx and in-body Note/Information replies are retried, then the chain is read")
    func retried() throws {
        let note = HTTPServer.Response(json: "{\"Note\": \"Thank you for using Alpha Vantage! Our standard API rate limit is 75 requests per minute.\"}")
        let information = HTTPServer.Response(json: "{\"Information\": \"Please consider spreading out your free API requests more sparingly.\"}")
        let s = try Scripted([
            HTTPServer.Response(status: 429, json: "{}"), HTTPServer.Response(status: 503, json: "{}"), note, information,
            HTTPServer.Response(body: Array(small)),
        ])
        let c = client(s.url, retries: 5)
        let chain = try c.call("REALTIME_OPTIONS", symbol: "SPY", parameters: [("symbol", "SPY")], priority: .options) { d throws(AlphaVantageReply) in
            try OptionsChainParser.parse(d, symbol: "SPY")
        }
        #expect(chain.contracts.count == 60)
        #expect(s.calls == 5 && c.stats.retries == 4 && c.stats.rateLimited == 3)
    }

    @Test("401 and 404 are reported at once, not retried, and no message carries the key", arguments: [401, 404])
    func notRetried(_ status: Int) throws {
        let s = try Scripted([HTTPServer.Response(status: status, json: "{}")])
        let c = client(s.url)
        do {
            _ = try c.call("NEWS_SENTIMENT", symbol: "AAPL", parameters: [("tickers", "AAPL")], priority: .sentiment) { d throws(AlphaVantageReply) in
                try Sentiment.parse(d, ticker: "AAPL")
            }
            Issue.record("accepted a \(status)")
        } catch {
            #expect(error.description.hasPrefix("NEWS_SENTIMENT AAPL: HTTP \(status)"))
            #expect(!error.description.contains("SECRETKEY123"))
        }
        #expect(s.calls == 1)
    }

    @Test(
        "malformed replies name the function, the symbol and what was wrong",
        arguments: [
            ("truncated", "truncated"), ("types", "expected a number, found a boolean"), ("html", "at byte 0"), ("refused", "refused the call"),
        ])
    func malformed(_ kind: String, _ expected: String) throws {
        let body = String(decoding: small, as: UTF8.self)
        let response: HTTPServer.Response
        switch kind {
        case "truncated": response = HTTPServer.Response(body: Array(small.prefix(small.count / 2)))
        case "types": response = HTTPServer.Response(json: body.replacingOccurrences(of: "\"gamma\": \"", with: "\"gamma\": true, \"x\": \""))
        case "html": response = HTTPServer.Response(json: "<html><body>Bad gateway</body></html>")
        default: response = HTTPServer.Response(json: "{\"Error Message\": \"Invalid API call. Please retry or visit the documentation.\"}")
        }
        let s = try Scripted([response])
        do {
            _ = try client(s.url).call("REALTIME_OPTIONS", symbol: "SPY", parameters: [("symbol", "SPY")], priority: .options) { d throws(AlphaVantageReply) in
                try OptionsChainParser.parse(d, symbol: "SPY")
            }
            Issue.record("accepted \(kind)")
        } catch {
            #expect(error.description.hasPrefix("REALTIME_OPTIONS SPY: "), "\(error)")
            #expect(error.description.contains(expected), "\(error)")
        }
    }

    @Test("a connection cut in the middle of the reply is a transport failure, retried")
    func cut() throws {
        let s = try Scripted([HTTPServer.Response(body: Array(small), truncateAt: small.count / 3), HTTPServer.Response(body: Array(small))])
        let c = client(s.url)
        let chain = try c.call("REALTIME_OPTIONS", symbol: "SPY", parameters: [], priority: .options) { d throws(AlphaVantageReply) in
            try OptionsChainParser.parse(d, symbol: "SPY")
        }
        #expect(chain.contracts.count == 60 && s.calls == 2 && c.stats.retries == 1)
    }

    @Test("a reply slower than the timeout is a transport failure, retried, then given up")
    func slow() throws {
        let s = try Scripted([HTTPServer.Response(body: Array(small), delay: 2.5)])
        let c = client(s.url, retries: 1)
        c.timeout = 0.5
        do {
            _ = try c.call("REALTIME_OPTIONS", symbol: "SPY", parameters: [], priority: .options) { d throws(AlphaVantageReply) in
                try OptionsChainParser.parse(d, symbol: "SPY")
            }
            Issue.record("a slow reply was accepted")
        } catch {
            #expect(error.description.contains("no reply within") && error.description.contains("gave up after 1 retries"), "\(error)")
        }
        #expect(s.calls == 2)
    }

    @Test("the shared limiter admits at most its limit in the window, and keeps slots back for the important calls")
    func limiter() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let url = try RedisURL(parsing: server.url)
        let a = RateLimiter(redis: try RedisClient(url: url), key: "rl:test", limit: 20, window: 60)
        let b = RateLimiter(redis: try RedisClient(url: url), key: "rl:test", limit: 20, window: 60)
        // Technicals keep 2 slots back (10 %), sentiment 1 (5 %).
        var technicals = 0
        while try a.tryAcquire(.technicals) == 0 { technicals += 1 }
        #expect(technicals == 18)
        #expect(try b.tryAcquire(.sentiment) == 0, "another process, a more important call: admitted")
        #expect(try b.tryAcquire(.sentiment) > 0)
        #expect(try a.tryAcquire(.options) == 0)
        let wait = try a.tryAcquire(.options)
        #expect(wait > 59 && wait <= 60, "the next slot frees when the oldest call leaves the window: \(wait)s")
    }

    @Test("the premarket job fills every key; a later malformed reply leaves the good data in place")
    func job() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let url = try RedisURL(parsing: server.url)
        let context = try TestTape.context(server.url, module: "av-test")
        let simulator = try AlphaVantageSimulator(payloads: AlphaVantagePayloads(seed: 1, date: "2026-11-25"), symbols: ["SPY", "AAPL"])
        defer { simulator.stop() }
        let redis = try RedisClient(url: url)
        let c = AlphaVantageClient(baseURL: simulator.baseURL, apiKey: "k", limiter: RateLimiter(redis: try RedisClient(url: url)), log: log)
        let report = PremarketJob(context: context, client: c, redis: redis).run(symbols: ["SPY", "AAPL"], parts: Set(PremarketJob.Part.allCases))
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.skippedNews == ["SPY"], "no news for ETFs")
        for key in [
            "options:SPY:chain", "options:SPY:greeks", "options:SPY:gex", "options:SPY:dex", "options:SPY:unusual", "options:SPY:flow",
            "sentiment:AAPL:score", "sentiment:AAPL:articles", "technicals:AAPL:rsi", "technicals:AAPL:macd", "technicals:SPY:bbands",
            "technicals:SPY:atr", "technicals:SPY:prior_day", "technicals:AAPL:prior_day", "monitoring:api:av:stats", "monitoring:api:av:invalid:SPY",
        ] {
            #expect(try redis.command(["EXISTS", key]).integer == 1, "\(key)")
        }
        let chainTTL = try redis.command(["PTTL", "options:SPY:chain"]).integer ?? 0
        let sentimentTTL = try redis.command(["PTTL", "sentiment:AAPL:score"]).integer ?? 0
        let technicalsTTL = try redis.command(["PTTL", "technicals:AAPL:rsi"]).integer ?? 0
        #expect(chainTTL > 5_000 && chainTTL <= 10_000 && sentimentTTL > 290_000 && technicalsTTL > 50_000 && technicalsTTL <= 60_000)
        #expect(try redis.command(["HEXISTS", "monitoring:api:av:freshness", "options:SPY:gex"]).integer == 1)
        let gex = try redis.command(["GET", "options:SPY:gex"]).text!
        #expect(gex.contains("\"flip\":") && gex.contains("\"by_strike\":[["))

        // Now Alpha Vantage sends a cut chain: the job fails for SPY, and SPY's GEX is untouched.
        let cut = try HTTPServer { _ in HTTPServer.Response(body: Array(self.small.prefix(500))) }
        defer { cut.stop() }
        let broken = AlphaVantageClient(baseURL: "http://127.0.0.1:\(cut.port)/query", apiKey: "k", limiter: nil, log: log)
        let second = PremarketJob(context: context, client: broken, redis: redis).run(symbols: ["SPY"], parts: [.options])
        #expect(second.failures.count == 1 && second.failures[0].hasPrefix("REALTIME_OPTIONS SPY: malformed reply"))
        #expect(try redis.command(["GET", "options:SPY:gex"]).text == gex)
    }

    @Test("sentiment by hand: the relevance-weighted ticker score")
    func sentimentScore() throws {
        let body = """
            {"feed": [
              {"title": "a", "time_published": "20261125T080000", "ticker_sentiment": [{"ticker": "AAPL", "relevance_score": "0.5", "ticker_sentiment_score": "0.4", "ticker_sentiment_label": "Bullish"}]},
              {"title": "b", "time_published": "20261125T070000", "ticker_sentiment": [{"ticker": "AAPL", "relevance_score": "1.5", "ticker_sentiment_score": "-0.2", "ticker_sentiment_label": "Somewhat-Bearish"}]},
              {"title": "c", "time_published": "20261125T060000", "ticker_sentiment": [{"ticker": "MSFT", "relevance_score": "0.9", "ticker_sentiment_score": "0.9"}]}
            ]}
            """
        let s = try Sentiment.parse(Data(body.utf8), ticker: "AAPL")
        #expect(s.articles.count == 2)
        // (0.5·0.4 + 1.5·(−0.2)) / 2 = −0.05
        #expect(abs(s.score - -0.05) < 1e-12)
        #expect(throws: AlphaVantageReply.malformed("article #0: the ticker score of AAPL is not a number in −1…1")) {
            try Sentiment.parse(Data(body.replacingOccurrences(of: "\"0.4\"", with: "\"high\"").utf8), ticker: "AAPL")
        }
    }
}

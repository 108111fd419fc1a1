public import AlphaTrader
public import Foundation
public import Net
import Synchronization

/// A local stand-in for Alpha Vantage on 127.0.0.1 (`premarket --replay-if-no-key`, the tests,
/// the rate-limit benchmark): `/query` answers `REALTIME_OPTIONS`, `NEWS_SENTIMENT`, `RSI`,
/// `MACD`, `BBANDS` and `ATR` with generated recorded-style payloads, refuses unknown symbols
/// and functions the way Alpha Vantage does (`{"Error Message": …}`), and can play its rate
/// limit: past `limitPerMinute` calls in 60 s it answers with an in-body `Note`. Every call is
/// logged with its arrival time.
public final class AlphaVantageSimulator: @unchecked Sendable {
    public let payloads: AlphaVantagePayloads
    public let symbols: Set<String>
    public let limitPerMinute: Int?
    private let server: HTTPServer
    private let state = Mutex<(log: [(Date, String)], cache: [String: [UInt8]])>(([], [:]))

    public var port: Int { server.port }
    public var baseURL: String { "http://127.0.0.1:\(port)/query" }

    public init(payloads: AlphaVantagePayloads, symbols: [String], limitPerMinute: Int? = nil, port: Int = 0) throws(SocketError) {
        self.payloads = payloads
        self.symbols = Set(symbols)
        self.limitPerMinute = limitPerMinute
        nonisolated(unsafe) var me: AlphaVantageSimulator?
        server = try HTTPServer(port: port) { request in me?.answer(request) ?? HTTPServer.Response(status: 503, json: "{}") }
        me = self
    }

    public func stop() { server.stop() }

    /// Arrival times of every call, and its function.
    public var calls: [(Date, String)] { state.withLock { $0.log } }

    /// The most calls that arrived within any `window` seconds.
    public func busiestWindow(_ window: Double) -> Int {
        let times = calls.map(\.0.timeIntervalSince1970).sorted()
        var best = 0, start = 0
        for end in times.indices {
            while times[end] - times[start] >= window { start += 1 }
            best = max(best, end - start + 1)
        }
        return best
    }

    func answer(_ request: HTTPServer.Request) -> HTTPServer.Response {
        let function = request.query["function"] ?? ""
        let now = Date()
        let overLimit = state.withLock { s -> Bool in
            s.log.append((now, function))
            guard let limit = limitPerMinute else { return false }
            let recent = s.log.reversed().prefix { now.timeIntervalSince($0.0) < 60 }.count
            return recent > limit
        }
        guard request.path == "/query" else { return HTTPServer.Response(status: 404, json: "{}") }
        guard let key = request.query["apikey"], !key.isEmpty else {
            return HTTPServer.Response(
                json:
                    "{\"Error Message\": \"the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key).\"}"
            )
        }
        if key == "revoked" { return HTTPServer.Response(status: 401, json: "{}") }
        if overLimit {
            return HTTPServer.Response(
                json:
                    "{\"Note\": \"Thank you for using Alpha Vantage! Our standard API rate limit is \(limitPerMinute!) requests per minute. Please subscribe to any of the premium plans to instantly remove all daily rate limits.\"}"
            )
        }
        let invalid = HTTPServer.Response(
            json:
                "{\"Error Message\": \"Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for \(function).\"}"
        )
        switch function {
        case "REALTIME_OPTIONS":
            guard let symbol = request.query["symbol"], symbols.contains(symbol) else { return invalid }
            return HTTPServer.Response(body: cached("chain:\(symbol)") { Array(payloads.chain(symbol)) })
        case "NEWS_SENTIMENT":
            let tickers = (request.query["tickers"] ?? "").split(separator: ",").map(String.init)
            guard !tickers.isEmpty, tickers.allSatisfy(symbols.contains) else { return invalid }
            return HTTPServer.Response(body: cached("news:\(tickers.joined(separator: ","))") { Array(payloads.news(tickers)) })
        case "GLOBAL_QUOTE":
            // Alpha Vantage answers an unknown symbol with an empty quote, not an error.
            guard let symbol = request.query["symbol"], symbols.contains(symbol) else { return HTTPServer.Response(json: "{\"Global Quote\": {}}") }
            return HTTPServer.Response(body: cached("quote:\(symbol)") { Array(payloads.globalQuote(symbol)) })
        case "RSI", "MACD", "BBANDS", "ATR":
            guard let symbol = request.query["symbol"], symbols.contains(symbol), request.query["interval"] != nil else { return invalid }
            return HTTPServer.Response(body: cached("\(function):\(symbol)") { Array(payloads.indicator(function, symbol: symbol)) })
        default:
            return invalid
        }
    }

    private func cached(_ key: String, _ make: () -> [UInt8]) -> [UInt8] {
        if let hit = state.withLock({ $0.cache[key] }) { return hit }
        let value = make()
        state.withLock { $0.cache[key] = value }
        return value
    }
}

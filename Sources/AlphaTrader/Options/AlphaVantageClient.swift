public import Foundation
import Redis

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The Alpha Vantage HTTP client: one `function` call at a time through URLSession, each behind
/// the shared rate limiter, with retries where retrying helps.
///
/// - 429, 5xx, a transport failure (refused, reset, timed out) and Alpha Vantage's in-body
///   `Note` / `Information` rate-limit replies (status 200) are retried with exponential backoff
///   and full jitter (`Retry-After` is honoured), up to `retries` times.
/// - 401, 403, 404 and `Error Message` replies are reported at once: retrying cannot fix them.
/// - The API key goes only into the request; every message names the function and symbol, never
///   the URL that carries the key.
public final class AlphaVantageClient: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public enum Kind: Sendable { case http, transport, rateLimited, refused, malformed, budget }
        public let kind: Kind
        public let function: String
        public let symbol: String
        public let reason: String
        public var description: String { "\(function) \(symbol): \(reason)" }
    }

    public struct Stats: Sendable {
        public var calls = 0, retries = 0, rateLimited = 0, failures = 0
    }

    public let baseURL: String
    let apiKey: String
    let limiter: RateLimiter?
    let log: EventLog
    public var timeout = 30.0
    public var retries = 4
    public var baseDelay = 1.0
    public var maximumDelay = 30.0
    /// How long to wait for a rate-limit slot before giving the call up.
    public var budgetWait = 120.0
    public private(set) var stats = Stats()
    let session: URLSession
    var rng = SeededRandom(seed: UInt64(UInt32(truncatingIfNeeded: getpid())) &* 2_654_435_761 &+ UInt64(Date().timeIntervalSince1970 * 1000))

    public init(baseURL: String, apiKey: String, limiter: RateLimiter?, log: EventLog) {
        self.baseURL = baseURL; self.apiKey = apiKey; self.limiter = limiter; self.log = log
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpMaximumConnectionsPerHost = 4
        session = URLSession(configuration: configuration)
    }

    /// Calls `function` with `parameters` and hands the body to `parse`, retrying per the rules
    /// above. `parse` throws `AlphaVantageReply` for in-body notes, refusals and malformed data.
    public func call<T>(
        _ function: String, symbol: String, parameters: [(String, String)], priority: RateLimiter.Priority,
        parse: (Data) throws(AlphaVantageReply) -> T
    ) throws(Failure) -> T {
        var attempt = 0
        while true {
            if let limiter {
                let admitted: Bool
                do { admitted = try limiter.acquire(priority, timeout: budgetWait) } catch {
                    throw Failure(kind: .transport, function: function, symbol: symbol, reason: "rate limiter: \(error.description)")
                }
                guard admitted else {
                    throw Failure(kind: .budget, function: function, symbol: symbol, reason: "no call left in the shared budget within \(Int(budgetWait))s")
                }
            }
            stats.calls += 1
            let outcome = fetch(function, parameters: parameters)
            var retryAfter: Double?
            let why: String
            switch outcome {
            case .success(let (status, body, after)):
                retryAfter = after
                switch status {
                case 200:
                    do throws(AlphaVantageReply) {
                        return try parse(body)
                    } catch {
                        switch error {
                        case .rateLimited(let note):
                            stats.rateLimited += 1
                            why = "rate-limit note: \(note.prefix(120))"
                        case .refused(let message):
                            stats.failures += 1
                            throw Failure(kind: .refused, function: function, symbol: symbol, reason: "Alpha Vantage refused the call: \(message.prefix(200))")
                        case .malformed(let message):
                            stats.failures += 1
                            throw Failure(kind: .malformed, function: function, symbol: symbol, reason: "malformed reply: \(message)")
                        }
                    }
                case 429:
                    stats.rateLimited += 1
                    why = "HTTP 429 Too Many Requests"
                case 500...599:
                    why = "HTTP \(status)"
                case 401, 403:
                    stats.failures += 1
                    throw Failure(kind: .http, function: function, symbol: symbol, reason: "HTTP \(status): the API key was refused (set ALPHAVANTAGE_API_KEY)")
                default:
                    stats.failures += 1
                    throw Failure(kind: .http, function: function, symbol: symbol, reason: "HTTP \(status)")
                }
            case .failure(let error):
                why = error.text
            }
            attempt += 1
            guard attempt <= retries else {
                stats.failures += 1
                throw Failure(
                    kind: why.hasPrefix("HTTP") || why.hasPrefix("rate") ? .rateLimited : .transport, function: function, symbol: symbol,
                    reason: "\(why); gave up after \(retries) retries")
            }
            stats.retries += 1
            // Exponential backoff with full jitter, at least what the server asked for.
            let ceiling = min(maximumDelay, baseDelay * pow(2, Double(attempt - 1)))
            let delay = max(retryAfter ?? 0, ceiling * (0.5 + 0.5 * rng.uniform()))
            log("retrying", ["function": function, "symbol": symbol, "after": String(format: "%.2fs", delay), "reason": why])
            Thread.sleep(forTimeInterval: delay)
        }
    }

    struct FetchError: Error { let text: String }

    /// One HTTP GET: (status, body, Retry-After seconds) or a transport error's text.
    func fetch(_ function: String, parameters: [(String, String)]) -> Result<(Int, Data, Double?), FetchError> {
        guard var components = URLComponents(string: baseURL) else { return .failure(FetchError(text: "the base URL \(baseURL) is not a URL")) }
        components.queryItems =
            [URLQueryItem(name: "function", value: function)] + parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
            + [URLQueryItem(name: "apikey", value: apiKey)]
        guard let url = components.url else { return .failure(FetchError(text: "cannot build the request URL")) }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.setValue("alphatrader/1", forHTTPHeaderField: "User-Agent")
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<(Int, Data, Double?), FetchError> = .failure(FetchError(text: "no reply"))
        let task = session.dataTask(with: request) { data, response, error in
            if let error {
                // The error's text may quote the URL (and so the key): describe it without.
                let ns = error as NSError
                result = .failure(
                    FetchError(text: ns.code == NSURLErrorTimedOut ? "no reply within \(Int(self.timeout))s" : "transport error \(ns.code) (\(ns.domain))"))
            } else if let http = response as? HTTPURLResponse {
                let after = (http.value(forHTTPHeaderField: "Retry-After")).flatMap(Double.init)
                result = .success((http.statusCode, data ?? Data(), after))
            }
            done.signal()
        }
        task.resume()
        // URLSession's own timeout is coarse (whole seconds under libcurl) and idle-based: the
        // client keeps its own deadline for the whole reply.
        if done.wait(timeout: .now() + timeout) == .timedOut {
            task.cancel()
            _ = done.wait(timeout: .now() + 1)
            return .failure(FetchError(text: "no reply within \(timeout)s"))
        }
        return result
    }
}

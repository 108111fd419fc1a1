public import Foundation
import Redis

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The Alpha Vantage HTTP client: one `function` call at a time on the shared `HTTPCaller`,
/// each attempt behind the shared rate limiter, with retries where retrying helps.
///
/// - 429, 5xx, a transport failure (refused, reset, timed out) and Alpha Vantage's in-body
///   `Note` / `Information` rate-limit replies (status 200) are retried with exponential backoff
///   and full jitter (`Retry-After` is honoured), up to `retries` times.
/// - 401, 403, 404 and `Error Message` replies are reported at once: retrying cannot fix them.
/// - The API key goes only into the request and is redacted from every message; messages name
///   the function and symbol, never the URL that carries the key.
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
    let caller: HTTPCaller
    public var timeout: Double {
        get { caller.policy.timeout }
        set { caller.policy.timeout = newValue }
    }
    public var retries: Int {
        get { caller.policy.retries }
        set { caller.policy.retries = newValue }
    }
    public var baseDelay: Double {
        get { caller.policy.baseDelay }
        set { caller.policy.baseDelay = newValue }
    }
    public var maximumDelay: Double {
        get { caller.policy.maximumDelay }
        set { caller.policy.maximumDelay = newValue }
    }
    /// How long to wait for a rate-limit slot before giving the call up.
    public var budgetWait = 120.0
    private var rateLimited = 0
    public var stats: Stats {
        Stats(calls: caller.stats.calls, retries: caller.stats.retries, rateLimited: rateLimited, failures: caller.stats.failures)
    }

    public init(baseURL: String, apiKey: String, limiter: RateLimiter?, log: EventLog) {
        self.baseURL = baseURL; self.apiKey = apiKey; self.limiter = limiter
        caller = HTTPCaller(secrets: [apiKey], log: log)
    }

    /// Calls `function` with `parameters` and hands the body to `parse`, retrying per the rules
    /// above. `parse` throws `AlphaVantageReply` for in-body notes, refusals and malformed data.
    public func call<T>(
        _ function: String, symbol: String, parameters: [(String, String)], priority: RateLimiter.Priority,
        parse: (Data) throws(AlphaVantageReply) -> T
    ) throws(Failure) -> T {
        guard var components = URLComponents(string: baseURL) else {
            throw Failure(kind: .transport, function: function, symbol: symbol, reason: "the base URL \(baseURL) is not a URL")
        }
        components.queryItems =
            [URLQueryItem(name: "function", value: function)] + parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
            + [URLQueryItem(name: "apikey", value: apiKey)]
        guard let url = components.url?.absoluteString else {
            throw Failure(kind: .transport, function: function, symbol: symbol, reason: "cannot build the request URL")
        }
        let request = HTTPCaller.Request(url: url, label: "\(function) \(symbol)")
        let limiter = self.limiter, budgetWait = self.budgetWait
        do throws(HTTPCaller.Failure) {
            return try caller.call(
                request,
                beforeAttempt: { () throws(HTTPCaller.Failure) in
                    guard let limiter else { return }
                    let admitted: Bool
                    do throws(RedisClient.Failure) { admitted = try limiter.acquire(priority, timeout: budgetWait) } catch {
                        throw HTTPCaller.Failure(kind: .transport, label: request.label, reason: "rate limiter: \(error.description)")
                    }
                    guard admitted else {
                        throw HTTPCaller.Failure(kind: .budget, label: request.label, reason: "no call left in the shared budget within \(Int(budgetWait))s")
                    }
                },
                decide: { reply in decide(reply, parse: parse) })
        } catch {
            let kind: Failure.Kind
            switch error.kind {
            case .http: kind = .http
            case .transport: kind = .transport
            case .exhausted: kind = .rateLimited
            case .refused: kind = .refused
            case .malformed: kind = .malformed
            case .budget: kind = .budget
            }
            throw Failure(kind: kind, function: function, symbol: symbol, reason: error.reason)
        }
    }

    /// Alpha Vantage's replies: 200 with a body to parse (or an in-body note or refusal), 429
    /// and 5xx worth retrying, a refused key, anything else final.
    private func decide<T>(_ reply: HTTPCaller.Reply, parse: (Data) throws(AlphaVantageReply) -> T) -> HTTPCaller.Decision<T> {
        switch reply.status {
        case 200:
            do throws(AlphaVantageReply) {
                return .done(try parse(reply.body))
            } catch {
                switch error {
                case .rateLimited(let note):
                    rateLimited += 1
                    return .retry("rate-limit note: \(note.prefix(120))")
                case .refused(let message): return .fail(.refused, "Alpha Vantage refused the call: \(message.prefix(200))")
                case .malformed(let message): return .fail(.malformed, "malformed reply: \(message)")
                }
            }
        case 429:
            rateLimited += 1
            return .retry("HTTP 429 Too Many Requests")
        case 500...599: return .retry("HTTP \(reply.status)")
        case 401, 403: return .fail(.http, "HTTP \(reply.status): the API key was refused (set ALPHAVANTAGE_API_KEY)")
        default: return .fail(.http, "HTTP \(reply.status)")
        }
    }
}

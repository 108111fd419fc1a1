public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The one HTTP caller of every external API (Alpha Vantage now; OpenAI, Discord, Telegram and
/// X next), through URLSession:
/// - a deadline for the whole reply (URLSession's own timeout is idle-based and, under libcurl,
///   in whole seconds), so that a server that trickles bytes cannot hold a job;
/// - retries with exponential backoff and full jitter (a uniform delay up to the ceiling,
///   which doubles per retry), never sooner than the server's `Retry-After` (seconds or an
///   HTTP date) or `retry-after-ms`, up to `maximumRetryAfter`;
/// - what to retry is the API client's decision (`Decision`), made on the reply; transport
///   failures (refused, reset, timed out) are retried;
/// - every secret given (keys, tokens) is redacted from every text it produces, and errors name
///   the call by its label, never by its URL (which may carry a key).
public final class HTTPCaller: @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        public var url: String
        public var headers: [(String, String)]
        public var body: Data?
        /// What the call is, for messages: "REALTIME_OPTIONS SPY", "chat.completions".
        public var label: String

        public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: Data? = nil, label: String) {
            self.method = method; self.url = url; self.headers = headers; self.body = body; self.label = label
        }
    }

    public struct Reply: Sendable {
        public var status: Int
        /// Header names in lower case.
        public var headers: [String: String]
        public var body: Data

        public init(status: Int, headers: [String: String], body: Data) { self.status = status; self.headers = headers; self.body = body }

        /// How long the server asked to wait, in seconds: `retry-after-ms`, else `Retry-After`
        /// as seconds or as an HTTP date; nil when it did not say.
        public func retryAfter(now: Date = Date()) -> Double? {
            if let ms = headers["retry-after-ms"].flatMap(Double.init), ms >= 0 { return ms / 1000 }
            guard let text = headers["retry-after"]?.trimmingCharacters(in: .whitespaces) else { return nil }
            if let seconds = Double(text), seconds >= 0 { return seconds }
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "GMT")
            f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            return f.date(from: text).map { max(0, $0.timeIntervalSince(now)) }
        }
    }

    /// What the API client makes of a reply.
    public enum Decision<T> {
        case done(T)
        /// Worth another try (a rate limit, a 5xx, an in-body "slow down").
        case retry(String)
        /// Worth another try after the wait the reply's body or headers ask for (Discord's
        /// `retry_after`, Telegram's `parameters.retry_after`, X's `x-rate-limit-reset`).
        case retryAfter(String, seconds: Double)
        /// Final: another try cannot help (a refused key, a bad request, a malformed answer).
        case fail(Failure.Kind, String)
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public enum Kind: Sendable, Equatable {
            /// An HTTP status that retrying cannot fix.
            case http
            /// Refused, reset, unreachable, or no whole reply within the deadline.
            case transport
            /// Still rate-limited (or failing with a retryable status) after every retry.
            case exhausted
            /// The service understood and refused the request.
            case refused
            /// The reply is not what the API returns.
            case malformed
            /// Refused before sending (a budget, a limiter).
            case budget
        }

        public let kind: Kind
        public let label: String
        public let reason: String
        public var description: String { "\(label): \(reason)" }

        public init(kind: Kind, label: String, reason: String) { self.kind = kind; self.label = label; self.reason = reason }
    }

    public struct Policy: Sendable {
        /// Seconds for the whole reply, headers and body.
        public var timeout = 30.0
        public var retries = 4
        /// The first retry's ceiling; it doubles per retry up to `maximumDelay`.
        public var baseDelay = 1.0
        public var maximumDelay = 30.0
        /// A server's Retry-After is honoured up to this long.
        public var maximumRetryAfter = 120.0
        public var jitter = Jitter.full
        public init() {}
    }

    /// How a retry's delay is drawn under its ceiling.
    public enum Jitter: Sendable, Equatable {
        /// Uniform in [0, ceiling] (AWS's "full jitter").
        case full
        /// Uniform in [(1 − f)·ceiling, ceiling] (openai-python: f = 0.25).
        case fraction(Double)
    }

    public struct Stats: Sendable, Equatable {
        public var calls = 0, retries = 0, failures = 0
        public init(calls: Int = 0, retries: Int = 0, failures: Int = 0) { self.calls = calls; self.retries = retries; self.failures = failures }
    }

    public var policy: Policy
    public private(set) var stats = Stats()
    private let secrets: [String]
    private let session: URLSession
    private let log: EventLog?
    private var rng = SeededRandom(seed: UInt64(UInt32(truncatingIfNeeded: getpid())) &* 2_654_435_761 &+ UInt64(Date().timeIntervalSince1970 * 1000))

    /// - Parameter secrets: values that must never appear in a message (API keys, tokens).
    public init(policy: Policy = Policy(), secrets: [String] = [], log: EventLog? = nil) {
        self.policy = policy
        self.secrets = secrets.filter { !$0.isEmpty }
        self.log = log
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpMaximumConnectionsPerHost = 4
        session = URLSession(configuration: configuration)
    }

    /// `text` with every secret replaced by `[redacted]`.
    public func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
    }

    /// Calls until `decide` says done or fail, or the retries run out. `beforeAttempt` runs
    /// before every attempt (a rate limiter's admission); what it throws ends the call. `sign`
    /// makes each attempt's request (a signature with a fresh nonce).
    public func call<T>(
        _ request: Request, beforeAttempt: () throws(Failure) -> Void = {}, sign: (Request) -> Request = { $0 }, decide: (Reply) -> Decision<T>
    ) throws(Failure) -> T {
        var attempt = 0
        while true {
            try beforeAttempt()
            stats.calls += 1
            let why: String
            var retryAfter: Double?
            switch fetch(sign(request)) {
            case .success(let reply):
                retryAfter = reply.retryAfter()
                switch decide(reply) {
                case .done(let value): return value
                case .retry(let reason): why = reason
                case .retryAfter(let reason, let seconds):
                    why = reason
                    retryAfter = max(retryAfter ?? 0, seconds)
                case .fail(let kind, let reason):
                    stats.failures += 1
                    throw Failure(kind: kind, label: request.label, reason: redact(reason))
                }
            case .failure(let error):
                why = error.text
            }
            attempt += 1
            guard attempt <= policy.retries else {
                stats.failures += 1
                let kind: Failure.Kind = why.hasPrefix("no reply") || why.hasPrefix("transport") ? .transport : .exhausted
                throw Failure(kind: kind, label: request.label, reason: redact("\(why); gave up after \(policy.retries) retries"))
            }
            stats.retries += 1
            let delay = backoff(attempt: attempt, retryAfter: retryAfter)
            log?("retrying", ["call": request.label, "after": String(format: "%.2fs", delay), "reason": redact(why)])
            Thread.sleep(forTimeInterval: delay)
        }
    }

    /// A delay under min(maximumDelay, baseDelay · 2^(attempt−1)) drawn by `policy.jitter`,
    /// but never sooner than the server asked (capped at `maximumRetryAfter`).
    public func backoff(attempt: Int, retryAfter: Double?) -> Double {
        let ceiling = min(policy.maximumDelay, policy.baseDelay * pow(2, Double(attempt - 1)))
        let jittered: Double
        switch policy.jitter {
        case .full: jittered = ceiling * rng.uniform()
        case .fraction(let f): jittered = ceiling * (1 - f * rng.uniform())
        }
        return max(min(retryAfter ?? 0, policy.maximumRetryAfter), jittered)
    }

    struct FetchError: Error { let text: String }

    /// One request: the reply, or a transport failure's text (which never quotes the URL).
    func fetch(_ r: Request) -> Result<Reply, FetchError> {
        guard let url = URL(string: r.url) else { return .failure(FetchError(text: "the request URL is not a URL")) }
        var request = URLRequest(url: url, timeoutInterval: policy.timeout)
        request.httpMethod = r.method
        request.setValue("alphatrader/1", forHTTPHeaderField: "User-Agent")
        for (name, value) in r.headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = r.body
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<Reply, FetchError> = .failure(FetchError(text: "no reply"))
        let timeout = policy.timeout
        let task = session.dataTask(with: request) { data, response, error in
            if let error {
                // The error's text may quote the URL (and so a key): described without it.
                let ns = error as NSError
                result = .failure(
                    FetchError(text: ns.code == NSURLErrorTimedOut ? "no reply within \(timeout)s" : "transport error \(ns.code) (\(ns.domain))"))
            } else if let http = response as? HTTPURLResponse {
                var headers: [String: String] = [:]
                for (key, value) in http.allHeaderFields {
                    if let k = key as? String, let v = value as? String { headers[k.lowercased()] = v }
                }
                result = .success(Reply(status: http.statusCode, headers: headers, body: data ?? Data()))
            }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            task.cancel()
            _ = done.wait(timeout: .now() + 1)
            return .failure(FetchError(text: "no reply within \(timeout)s"))
        }
        return result
    }
}

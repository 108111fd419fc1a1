import Foundation

/// A local stand-in for OpenAI's Chat Completions endpoint (`POST /v1/chat/completions`) on
/// 127.0.0.1, for the OpenAI client's tests: it checks what OpenAI checks — the bearer key, the
/// body's shape, a strict `json_schema` response format held to strict mode's rules (every
/// object closed with `additionalProperties: false` and every property required) — and answers
/// with OpenAI's reply and error shapes. What it answers is scripted, one scenario per call,
/// then `answer` for every call after the script.
public final class OpenAISimulator: @unchecked Sendable {
    public enum Scenario: Sendable {
        /// A completion whose content is the given JSON text.
        case answer(String)
        /// The model declines.
        case refusal(String)
        /// Cut at the token budget (`finish_reason: length`).
        case length
        /// Withheld by the content filter.
        case contentFilter
        /// 429 rate limit, with `retry-after-ms`.
        case rateLimited(retryAfterMs: Int)
        /// 429 `insufficient_quota`.
        case insufficientQuota
        /// A status with OpenAI's error body (500, 503, 400…), and optionally `x-should-retry`.
        case status(Int, shouldRetry: Bool?)
        /// Headers and a part of the body, then nothing for `seconds`.
        case stall(seconds: Double)
        /// 200 with a body that is not JSON.
        case garbage
    }

    public let key: String
    private let server: HTTPServer
    private let state: Shared
    private struct State {
        var script: [Scenario]
        var answer: String
        var requests: [[String: Any]] = []
        var calls = 0
    }
    /// The state the server's threads and the test share.
    private final class Shared: @unchecked Sendable {
        private let lock = NSLock()
        private var state: State
        init(_ s: State) { state = s }
        func withLock<T>(_ body: (inout State) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(&state)
        }
    }

    public var baseURL: String { "http://127.0.0.1:\(server.port)/v1" }
    /// Calls received, failed or not.
    public var calls: Int { state.withLock { $0.calls } }
    /// The bodies of the requests that were well formed, as parsed JSON.
    public var requests: [[String: Any]] { state.withLock { $0.requests } }

    /// - Parameters:
    ///   - answer: the content (JSON text) of a completion once the script is used up.
    public init(key: String = "sk-test-local", answer: String, script: [Scenario] = []) throws {
        self.key = key
        let state = Shared(State(script: script, answer: answer))
        self.state = state
        server = try HTTPServer { request in OpenAISimulator.handle(request, key: key, state: state) }
    }

    public func stop() { server.stop() }

    /// Appends scenarios to the script.
    public func then(_ scenarios: Scenario...) { state.withLock { $0.script += scenarios } }

    private static func handle(_ request: HTTPServer.Request, key: String, state: Shared) -> HTTPServer.Response {
        state.withLock { $0.calls += 1 }
        guard request.method == "POST", request.path == "/v1/chat/completions" else {
            return error(404, "Invalid URL (\(request.method) \(request.path))", type: "invalid_request_error", code: nil)
        }
        guard request.headers["authorization"] == "Bearer \(key)" else {
            return error(
                401, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                type: "invalid_request_error", code: "invalid_api_key")
        }
        guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else {
            return error(400, "We could not parse the JSON body of your request.", type: "invalid_request_error", code: nil)
        }
        if let problem = check(body) { return error(400, problem.message, type: "invalid_request_error", code: nil, param: problem.param) }
        let scenario: Scenario = state.withLock { s in
            s.requests.append(body)
            return s.script.isEmpty ? .answer(s.answer) : s.script.removeFirst()
        }
        let model = body["model"] as? String ?? "gpt-4o"
        let prompt = request.body.count / 4
        switch scenario {
        case .answer(let content): return completion(model: model, content: content, refusal: nil, finish: "stop", prompt: prompt)
        case .refusal(let words): return completion(model: model, content: nil, refusal: words, finish: "stop", prompt: prompt)
        case .length:
            let budget = body["max_completion_tokens"] as? Int ?? 0
            return completion(
                model: model, content: "{\"bias\":\"neutral\",\"summary\":\"The index futures", refusal: nil, finish: "length", prompt: prompt,
                completion: budget)
        case .contentFilter: return completion(model: model, content: nil, refusal: nil, finish: "content_filter", prompt: prompt)
        case .rateLimited(let ms):
            var r = error(
                429, "Rate limit reached for gpt-4o in organization org-local on requests per min (RPM): Limit 500, Used 500, Requested 1.",
                type: "requests", code: "rate_limit_exceeded")
            r.headers["retry-after-ms"] = String(ms)
            r.headers["x-ratelimit-reset-requests"] = "\(ms)ms"
            return r
        case .insufficientQuota:
            return error(
                429, "You exceeded your current quota, please check your plan and billing details.", type: "insufficient_quota",
                code: "insufficient_quota")
        case .status(let status, let retry):
            var r = error(
                status, status >= 500 ? "The server had an error while processing your request. Sorry about that!" : "Bad request", type: "server_error",
                code: nil)
            if let retry { r.headers["x-should-retry"] = retry ? "true" : "false" }
            return r
        case .stall(let seconds):
            var r = completion(model: model, content: "{}", refusal: nil, finish: "stop", prompt: prompt)
            r.truncateAt = 20
            r.holdOpen = seconds
            return r
        case .garbage:
            return HTTPServer.Response(status: 200, headers: ["Content-Type": "text/html"], body: Array("<html><body>502 Bad Gateway</body></html>".utf8))
        }
    }

    private static func completion(
        model: String, content: String?, refusal: String?, finish: String, prompt: Int, completion: Int? = nil
    ) -> HTTPServer.Response {
        func text(_ s: String?) -> String { s.map(quote) ?? "null" }
        let used = completion ?? max(1, (content ?? refusal ?? "").utf8.count / 4)
        let json = """
            {"id":"chatcmpl-local\(UInt32.random(in: 0...UInt32.max))","object":"chat.completion","created":\(Int(Date().timeIntervalSince1970)),"model":\(quote(model)),\
            "choices":[{"index":0,"message":{"role":"assistant","content":\(text(content)),"refusal":\(text(refusal)),"annotations":[]},"logprobs":null,"finish_reason":\(quote(finish))}],\
            "usage":{"prompt_tokens":\(prompt),"completion_tokens":\(used),"total_tokens":\(prompt + used),"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},\
            "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},\
            "service_tier":"default","system_fingerprint":"fp_local"}
            """
        return HTTPServer.Response(status: 200, json: json)
    }

    private static func error(_ status: Int, _ message: String, type: String, code: String?, param: String? = nil) -> HTTPServer.Response {
        let json =
            "{\"error\":{\"message\":\(quote(message)),\"type\":\(quote(type)),\"param\":\(param.map(quote) ?? "null"),\"code\":\(code.map(quote) ?? "null")}}"
        return HTTPServer.Response(status: status, json: json)
    }

    static func quote(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    /// What OpenAI would refuse in the body, with the parameter it names.
    static func check(_ body: [String: Any]) -> (message: String, param: String)? {
        guard body["model"] is String else { return ("you must provide a model parameter", "model") }
        guard let messages = body["messages"] as? [[String: Any]], !messages.isEmpty else {
            return ("'messages' must be a non-empty array", "messages")
        }
        for (i, m) in messages.enumerated() {
            guard let role = m["role"] as? String, ["system", "developer", "user", "assistant"].contains(role) else {
                return ("Invalid value for 'role'.", "messages[\(i)].role")
            }
            guard m["content"] is String else { return ("Invalid type for 'messages[\(i)].content': expected a string.", "messages[\(i)].content") }
        }
        if let tokens = body["max_completion_tokens"], !(tokens is Int) || (tokens as? Int ?? 0) < 1 {
            return ("Invalid 'max_completion_tokens': expected a positive integer.", "max_completion_tokens")
        }
        if body["max_tokens"] != nil && body["max_completion_tokens"] != nil {
            return ("max_tokens and max_completion_tokens cannot both be set", "max_tokens")
        }
        guard let format = body["response_format"] as? [String: Any] else { return nil }
        guard format["type"] as? String == "json_schema", let spec = format["json_schema"] as? [String: Any] else {
            return ("Invalid 'response_format.type'.", "response_format")
        }
        guard let name = spec["name"] as? String, name.range(of: "^[a-zA-Z0-9_-]{1,64}$", options: .regularExpression) != nil else {
            return ("Invalid 'response_format.json_schema.name': a name of letters, digits, _ and - is required.", "response_format.json_schema.name")
        }
        guard let schema = spec["schema"] as? [String: Any] else { return ("Missing 'response_format.json_schema.schema'.", "response_format") }
        if spec["strict"] as? Bool == true, let problem = strictProblem(schema, context: "()") {
            return ("Invalid schema for response_format '\(name)': In context=\(problem)", "response_format")
        }
        return nil
    }

    /// Strict mode's rules, as OpenAI words a breach: every object has `additionalProperties:
    /// false` and lists every property in `required`; the root is an object.
    static func strictProblem(_ schema: [String: Any], context: String) -> String? {
        if context == "()" && schema["type"] as? String != "object" {
            return "(), schema must be a JSON Schema of 'type: \"object\"', got 'type: \"\(schema["type"] ?? "none")\"'."
        }
        if schema["type"] as? String == "object" {
            guard schema["additionalProperties"] as? Bool == false else {
                return "\(context), 'additionalProperties' is required to be supplied and to be false."
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            let required = Set(schema["required"] as? [String] ?? [])
            for key in properties.keys.sorted() where !required.contains(key) {
                return "\(context), 'required' is required to be supplied and to be an array including every key in properties. Missing '\(key)'."
            }
            for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
                if let sub = value as? [String: Any], let problem = strictProblem(sub, context: "('properties', '\(key)')") { return problem }
            }
        }
        if let items = schema["items"] as? [String: Any], let problem = strictProblem(items, context: "\(context), ('items')") { return problem }
        return nil
    }
}

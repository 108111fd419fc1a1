public import Foundation

/// OpenAI's Chat Completions API (`POST {endpoints.openai}/chat/completions`) with structured
/// outputs: the answer is held to a JSON schema (`response_format: json_schema`, strict), so a
/// reply is either content that parses as the schema says, a refusal, or an error that says why.
///
/// Retries follow openai-python's policy on the shared caller: 408, 409, 429 and 5xx and transport
/// failures, at most `retries` times, after 0.5 s doubling to 8 s with a quarter of jitter, or
/// after the server's `retry-after-ms` / `retry-after` (honoured up to 120 s); an
/// `x-should-retry: true|false` header overrides the status. A 429 `insufficient_quota` is the
/// account out of credit: retrying cannot help, and it is said so at once.
public final class OpenAIClient: @unchecked Sendable {
    public struct Configuration: Sendable, Equatable {
        /// `endpoints.openai`, e.g. https://api.openai.com/v1.
        public var baseURL: String
        public var model: String
        public var maxCompletionTokens: Int
        /// Dollars per million prompt and completion tokens (the cost recorded with the run).
        public var inputPrice: Double
        public var outputPrice: Double
        /// Seconds for one whole reply.
        public var timeout: Double
        public var retries: Int

        public init(
            baseURL: String, model: String, maxCompletionTokens: Int = 2_500, inputPrice: Double = 0, outputPrice: Double = 0,
            timeout: Double = 120, retries: Int = 2
        ) {
            self.baseURL = baseURL; self.model = model; self.maxCompletionTokens = maxCompletionTokens
            self.inputPrice = inputPrice; self.outputPrice = outputPrice; self.timeout = timeout; self.retries = retries
        }
    }

    /// Tokens a call used and what they cost.
    public struct Usage: Sendable, Equatable, Codable {
        public var promptTokens: Int
        public var completionTokens: Int
        public var costUSD: Double
        public init(promptTokens: Int, completionTokens: Int, costUSD: Double) {
            self.promptTokens = promptTokens; self.completionTokens = completionTokens; self.costUSD = costUSD
        }
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", costUSD = "cost_usd"
        }
    }

    /// What the model answered.
    public enum Answer: Sendable, Equatable {
        /// The content (JSON text in the schema's shape) and the model that wrote it.
        case content(String, model: String, usage: Usage)
        /// The model declined; its words.
        case refusal(String, usage: Usage)
    }

    /// A JSON schema for the answer: its name and the schema object as JSON text.
    public struct Schema: Sendable {
        public var name: String
        public var json: String
        public init(name: String, json: String) { self.name = name; self.json = json }
    }

    public let configuration: Configuration
    public let caller: HTTPCaller
    private let apiKey: String

    public init(configuration: Configuration, apiKey: String, log: EventLog? = nil) {
        self.configuration = configuration
        self.apiKey = apiKey
        var policy = HTTPCaller.Policy()
        policy.timeout = configuration.timeout
        policy.retries = configuration.retries
        policy.baseDelay = 0.5
        policy.maximumDelay = 8
        policy.maximumRetryAfter = 120
        policy.jitter = .fraction(0.25)
        caller = HTTPCaller(policy: policy, secrets: [apiKey], log: log)
    }

    /// The request body: the two messages, the schema as a strict `json_schema` response
    /// format, and the completion budget.
    public func body(system: String, user: String, schema: Schema) -> Data {
        let text =
            "{\"model\":\(JSONText.string(configuration.model)),\"messages\":[{\"role\":\"system\",\"content\":\(JSONText.string(system))},"
            + "{\"role\":\"user\",\"content\":\(JSONText.string(user))}],"
            + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\(JSONText.string(schema.name)),\"strict\":true,\"schema\":\(schema.json)}},"
            + "\"max_completion_tokens\":\(configuration.maxCompletionTokens)}"
        return Data(text.utf8)
    }

    /// Asks the model; see the type's notes for what is retried.
    public func complete(system: String, user: String, schema: Schema) throws(HTTPCaller.Failure) -> Answer {
        let url = configuration.baseURL.hasSuffix("/") ? configuration.baseURL + "chat/completions" : configuration.baseURL + "/chat/completions"
        let request = HTTPCaller.Request(
            method: "POST", url: url, headers: [("Authorization", "Bearer \(apiKey)"), ("Content-Type", "application/json")],
            body: body(system: system, user: user, schema: schema), label: "chat.completions")
        return try caller.call(request) { reply in decide(reply) }
    }

    /// What a reply means (`complete`'s policy, separate so that it is tested on replies).
    public func decide(_ reply: HTTPCaller.Reply) -> HTTPCaller.Decision<Answer> {
        let error = try? JSONDecoder().decode(ErrorReply.self, from: reply.body).error
        let what = error.map { e in [e.code ?? e.type, e.message].compactMap { $0 }.joined(separator: ": ") } ?? ""
        let said = what.isEmpty ? "" : " (\(what.prefix(300)))"
        if reply.status == 429, error?.code == "insufficient_quota" || error?.type == "insufficient_quota" {
            return .fail(.budget, "429 insufficient_quota: the account has no credit left\(said) — not retried; add credit or raise the limit")
        }
        switch reply.headers["x-should-retry"]?.lowercased() {
        case "true" where reply.status != 200: return .retry("\(reply.status)\(said); the server asked for a retry")
        case "false" where reply.status != 200: return .fail(.http, "\(reply.status)\(said); the server said not to retry")
        default: break
        }
        switch reply.status {
        case 200: return answer(reply.body)
        case 408, 409, 429, 500...599: return .retry("\(reply.status)\(said)")
        case 401: return .fail(.refused, "401: the API key was refused\(said); check OPENAI_API_KEY")
        case 403: return .fail(.refused, "403: not allowed\(said)")
        case 404: return .fail(.http, "404: no such model or endpoint\(said); check the model and endpoints.openai")
        default: return .fail(.http, "\(reply.status)\(said)")
        }
    }

    private func answer(_ body: Data) -> HTTPCaller.Decision<Answer> {
        guard let reply = try? JSONDecoder().decode(ChatReply.self, from: body) else {
            return .fail(.malformed, "the reply is not a chat completion: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        guard let choice = reply.choices.first else { return .fail(.malformed, "the reply has no choices") }
        let tokens = reply.usage ?? .init(prompt_tokens: 0, completion_tokens: 0)
        let usage = Usage(
            promptTokens: tokens.prompt_tokens, completionTokens: tokens.completion_tokens,
            costUSD: (Double(tokens.prompt_tokens) * configuration.inputPrice + Double(tokens.completion_tokens) * configuration.outputPrice) / 1_000_000)
        switch choice.finish_reason {
        case "length":
            return .fail(
                .refused,
                "the answer was cut at max_completion_tokens (\(configuration.maxCompletionTokens); \(tokens.completion_tokens) used): it is incomplete — raise max_completion_tokens in the prompt file"
            )
        case "content_filter":
            return .fail(.refused, "OpenAI's content filter withheld the answer (finish_reason content_filter)")
        default: break
        }
        if let refusal = choice.message.refusal, !refusal.isEmpty { return .done(.refusal(refusal, usage: usage)) }
        guard let content = choice.message.content, !content.isEmpty else {
            return .fail(.malformed, "the answer has neither content nor a refusal (finish_reason \(choice.finish_reason ?? "none"))")
        }
        return .done(.content(content, model: reply.model ?? configuration.model, usage: usage))
    }

    private struct ChatReply: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable {
                let content: String?
                let refusal: String?
            }
            let message: Message
            let finish_reason: String?
        }
        struct Tokens: Decodable {
            let prompt_tokens: Int
            let completion_tokens: Int
        }
        let model: String?
        let choices: [Choice]
        let usage: Tokens?
    }

    private struct ErrorReply: Decodable {
        struct Body: Decodable {
            let message: String?
            let type: String?
            let code: String?
        }
        let error: Body
    }
}

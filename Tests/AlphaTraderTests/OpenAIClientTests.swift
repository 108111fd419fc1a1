import AlphaTrader
import AlphaTraderSimulators
import Foundation
import Testing

@Suite("The OpenAI client against a local server that speaks Chat Completions, with its failures", .serialized)
struct OpenAIClientTests {
    static let key = "sk-test-9f8e7d6c5b4a"
    static var answer: String {
        String(decoding: try! JSONEncoder().encode(MorningRules.analyze(MorningAnalysisTests.picture())), as: UTF8.self)
    }

    func client(_ server: OpenAISimulator, timeout: Double = 5, retries: Int = 2, key: String = OpenAIClientTests.key) -> OpenAIClient {
        let c = OpenAIClient(
            configuration: .init(
                baseURL: server.baseURL, model: "gpt-4o-2024-08-06", maxCompletionTokens: 2_500, inputPrice: 2.5, outputPrice: 10, timeout: timeout,
                retries: retries),
            apiKey: key)
        c.caller.policy.baseDelay = 0.01
        c.caller.policy.maximumDelay = 0.05
        return c
    }

    func ask(_ c: OpenAIClient) throws(HTTPCaller.Failure) -> OpenAIClient.Answer {
        try c.complete(system: "You are an analyst.", user: "Session: 2026-12-07.", schema: MorningAnalysis.schema)
    }

    @Test("a structured answer: the request carries the strict schema the server accepts, the content parses, tokens are costed")
    func structured() throws {
        let server = try OpenAISimulator(key: Self.key, answer: Self.answer)
        defer { server.stop() }
        guard case .content(let content, let model, let usage) = try ask(client(server)) else {
            Issue.record("no content")
            return
        }
        #expect(model == "gpt-4o-2024-08-06")
        #expect(try MorningAnalysis.parse(content, symbols: ["SPY", "QQQ", "AAPL"]).get().bias == .bullish)
        #expect(usage.promptTokens > 0 && usage.completionTokens == Self.answer.utf8.count / 4)
        #expect(abs(usage.costUSD - (Double(usage.promptTokens) * 2.5 + Double(usage.completionTokens) * 10) / 1_000_000) < 1e-12)
        let body = try #require(server.requests.first)
        let format = try #require(body["response_format"] as? [String: Any])
        let schema = try #require(format["json_schema"] as? [String: Any])
        #expect(format["type"] as? String == "json_schema" && schema["strict"] as? Bool == true && schema["name"] as? String == "morning_analysis")
        #expect(body["max_completion_tokens"] as? Int == 2_500 && body["max_tokens"] == nil)
        #expect((body["messages"] as? [[String: Any]])?.map { $0["role"] as? String } == ["system", "user"])
    }

    @Test("the local server refuses a schema strict mode would refuse, as OpenAI does")
    func strictSchemaChecked() throws {
        let server = try OpenAISimulator(key: Self.key, answer: "{}")
        defer { server.stop() }
        let loose = OpenAIClient.Schema(name: "loose", json: "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}")
        #expect {
            _ = try client(server).complete(system: "s", user: "u", schema: loose)
        } throws: { error in
            let e = error as! HTTPCaller.Failure
            return e.kind == .http && e.reason.contains("400") && e.reason.contains("'additionalProperties' is required to be supplied and to be false")
        }
        #expect(server.calls == 1, "a bad request is not retried")
    }

    @Test("a refusal is an answer, reported with its words; a cut or filtered answer is an error that says so")
    func refusalLengthFilter() throws {
        let server = try OpenAISimulator(
            key: Self.key, answer: Self.answer, script: [.refusal("I can't help with that."), .length, .contentFilter])
        defer { server.stop() }
        let c = client(server)
        guard case .refusal(let words, _) = try ask(c) else {
            Issue.record("not a refusal")
            return
        }
        #expect(words == "I can't help with that.")
        #expect {
            _ = try ask(c)
        } throws: { ($0 as! HTTPCaller.Failure).reason.contains("cut at max_completion_tokens (2500; 2500 used)") }
        #expect { _ = try ask(c) } throws: { ($0 as! HTTPCaller.Failure).reason.contains("content filter") }
        #expect(server.calls == 3, "none of them retried")
    }

    @Test("a 429 with retry-after-ms is waited out and retried; a 500 is retried; x-should-retry: false is obeyed")
    func retries() throws {
        let server = try OpenAISimulator(key: Self.key, answer: Self.answer, script: [.rateLimited(retryAfterMs: 300), .status(500, shouldRetry: nil)])
        defer { server.stop() }
        let c = client(server)
        let started = Date()
        guard case .content = try ask(c) else {
            Issue.record("no content")
            return
        }
        #expect(server.calls == 3 && c.caller.stats.retries == 2)
        #expect(Date().timeIntervalSince(started) >= 0.3, "the server's retry-after-ms was honoured")
        server.then(.status(503, shouldRetry: false))
        #expect { _ = try ask(c) } throws: { ($0 as! HTTPCaller.Failure).reason.contains("the server said not to retry") }
        #expect(server.calls == 4)
        server.then(.status(500, shouldRetry: nil), .status(500, shouldRetry: nil), .status(500, shouldRetry: nil))
        #expect { _ = try ask(c) } throws: { e in
            let f = e as! HTTPCaller.Failure
            return f.kind == .exhausted && f.reason.contains("gave up after 2 retries")
        }
        #expect(server.calls == 7, "the first try and two retries")
    }

    @Test("429 insufficient_quota is not retried and says the account has no credit")
    func insufficientQuota() throws {
        let server = try OpenAISimulator(key: Self.key, answer: Self.answer, script: [.insufficientQuota])
        defer { server.stop() }
        #expect {
            _ = try ask(client(server))
        } throws: { e in
            let f = e as! HTTPCaller.Failure
            return f.kind == .budget && f.reason.contains("insufficient_quota: the account has no credit left") && f.reason.contains("not retried")
        }
        #expect(server.calls == 1)
    }

    @Test("a stalled reply ends at the deadline and is retried; garbage is malformed; a refused key is named without the key")
    func stallGarbageKey() throws {
        let server = try OpenAISimulator(key: Self.key, answer: Self.answer, script: [.stall(seconds: 3), .garbage])
        defer { server.stop() }
        let started = Date()
        #expect {
            _ = try ask(client(server, timeout: 0.5, retries: 1))
        } throws: { e in
            let f = e as! HTTPCaller.Failure
            return f.kind == .malformed && f.reason.contains("not a chat completion")
        }
        #expect(Date().timeIntervalSince(started) < 2.5, "the stall was cut at the deadline, not waited out")
        #expect(server.calls == 2)
        #expect {
            _ = try ask(client(server, key: "sk-wrong-0123456789"))
        } throws: { e in
            let f = e as! HTTPCaller.Failure
            return f.kind == .refused && f.description.contains("401") && f.description.contains("OPENAI_API_KEY")
                && !f.description.contains("sk-wrong-0123456789")
        }
    }
}

import AlphaTrader
import AlphaTraderSimulators
import Foundation
import OrchestratorCore
import TestSupport
import Testing

/// The one HTTP caller of every external API, against a local server that answers as told.
@Suite("The shared HTTP caller: deadline, backoff with full jitter, Retry-After, redaction")
struct HTTPCallerTests {
    typealias Scripted = AlphaVantageTests.Scripted

    func caller(retries: Int = 3, timeout: Double = 2, secrets: [String] = []) -> HTTPCaller {
        var policy = HTTPCaller.Policy()
        policy.retries = retries; policy.timeout = timeout; policy.baseDelay = 0.01; policy.maximumDelay = 0.05
        return HTTPCaller(policy: policy, secrets: secrets)
    }

    /// 2xx done, 429 and 5xx retried, anything else final — as most APIs want.
    func decide(_ reply: HTTPCaller.Reply) -> HTTPCaller.Decision<String> {
        switch reply.status {
        case 200..<300: return .done(String(decoding: reply.body, as: UTF8.self))
        case 429, 500...599: return .retry("HTTP \(reply.status)")
        default: return .fail(.http, "HTTP \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
    }

    @Test("429 and 5xx are retried until a good reply; the server's retry-after-ms is waited out")
    func retriesThenSucceeds() throws {
        let s = try Scripted([
            HTTPServer.Response(status: 429, headers: ["retry-after-ms": "300"], body: []), HTTPServer.Response(status: 503, json: "{}"),
            HTTPServer.Response(json: "{\"ok\":true}"),
        ])
        let c = caller()
        let started = Date()
        let body = try c.call(.init(url: s.url, label: "test"), decide: decide)
        #expect(body == "{\"ok\":true}" && s.calls == 3 && c.stats == .init(calls: 3, retries: 2, failures: 0))
        #expect(Date().timeIntervalSince(started) >= 0.3, "the 300 ms the server asked for")
    }

    @Test("retries run out: an exhausted failure that names the call and the count; a final status is not retried")
    func givesUp() throws {
        let s = try Scripted([HTTPServer.Response(status: 502, json: "{}")])
        #expect { _ = try caller(retries: 2).call(.init(url: s.url, label: "chat.completions"), decide: decide) } throws: { error in
            let f = error as! HTTPCaller.Failure
            return f.kind == .exhausted && f.description == "chat.completions: HTTP 502; gave up after 2 retries"
        }
        #expect(s.calls == 3)
        let bad = try Scripted([HTTPServer.Response(status: 400, json: "{\"error\":\"bad\"}")])
        #expect(throws: HTTPCaller.Failure.self) { _ = try caller().call(.init(url: bad.url, label: "x"), decide: decide) }
        #expect(bad.calls == 1)
    }

    @Test("the deadline covers the whole reply: a server slower than it is a transport failure, retried, then given up")
    func deadline() throws {
        let s = try Scripted([HTTPServer.Response(body: Array("late".utf8), delay: 2)])
        let started = Date()
        #expect { _ = try caller(retries: 1, timeout: 0.4).call(.init(url: s.url, label: "slow"), decide: decide) } throws: { error in
            let f = error as! HTTPCaller.Failure
            return f.kind == .transport && f.reason.contains("no reply within 0.4s")
        }
        #expect(Date().timeIntervalSince(started) < 1.8, "two attempts of 0.4 s, not the server's 2 s")
        let closed = "http://127.0.0.1:\(try FreePort.pick())/"
        #expect { _ = try caller(retries: 1).call(.init(url: closed, label: "refused"), decide: decide) } throws: { error in
            let f = error as! HTTPCaller.Failure
            return f.kind == .transport && f.reason.hasPrefix("transport error") && !f.reason.contains("127.0.0.1")
        }
    }

    @Test("a secret never reaches a message: not from the reply's text, not from the request's URL")
    func redacts() throws {
        let key = "sk-test-SECRET1234567890"
        let s = try Scripted([HTTPServer.Response(status: 401, json: "{\"error\":\"Incorrect API key provided: \(key)\"}")])
        #expect {
            _ = try caller(secrets: [key]).call(
                .init(url: s.url + "?key=\(key)", headers: [("Authorization", "Bearer \(key)")], label: "models"), decide: decide)
        } throws: { error in
            let text = "\(error)"
            return !text.contains(key) && text.contains("[redacted]") && text.hasPrefix("models: HTTP 401")
        }
    }

    @Test("a POST carries its method, headers and body to the server")
    func posts() throws {
        let server = try HTTPServer { request in
            HTTPServer.Response(
                json: "{\"method\":\"\(request.method)\",\"auth\":\"\(request.headers["authorization"] ?? "")\",\"length\":\(request.body.count)}")
        }
        defer { server.stop() }
        let body = Data(String(repeating: "x", count: 50_000).utf8)
        let text = try caller().call(
            .init(
                method: "POST", url: "http://127.0.0.1:\(server.port)/v1/chat/completions", headers: [("Authorization", "Bearer t")], body: body, label: "post"),
            decide: decide)
        #expect(text == "{\"method\":\"POST\",\"auth\":\"Bearer t\",\"length\":50000}")
    }

    @Test(
        "Retry-After is read as milliseconds, seconds or an HTTP date; absent or garbage is no wait",
        arguments: [
            (["retry-after-ms": "1500"], 1.5), (["retry-after": "7"], 7.0), (["retry-after": "Sun, 06 Dec 2026 18:00:30 GMT"], 30.0),
            (["retry-after": "soon"], -1.0), ([:], -1.0),
        ])
    func retryAfter(headers: [String: String], expected: Double) {
        let reply = HTTPCaller.Reply(status: 429, headers: headers, body: Data())
        let now = Date(timeIntervalSince1970: 1_796_580_000)  // 2026-12-06T18:00:00Z
        #expect((reply.retryAfter(now: now) ?? -1) == expected)
    }

    @Test("full jitter: each delay within [0, the doubling ceiling], spread over it; never sooner than Retry-After, never longer than its cap")
    func jitter() {
        var policy = HTTPCaller.Policy()
        policy.baseDelay = 1; policy.maximumDelay = 8; policy.maximumRetryAfter = 20
        let c = HTTPCaller(policy: policy)
        for attempt in 1...6 {
            let ceiling = min(8, pow(2, Double(attempt - 1)))
            let delays = (0..<200).map { _ in c.backoff(attempt: attempt, retryAfter: nil) }
            #expect(delays.allSatisfy { $0 >= 0 && $0 <= ceiling })
            #expect(delays.min()! < ceiling * 0.2 && delays.max()! > ceiling * 0.8, "full jitter spreads over the whole range")
        }
        #expect((0..<50).allSatisfy { _ in c.backoff(attempt: 1, retryAfter: 5) >= 5 })
        #expect(c.backoff(attempt: 1, retryAfter: 600) == 20)
    }
}

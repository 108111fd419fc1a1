import AlphaTraderSimulators
import Foundation
import Net
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The local HTTP server the stand-ins run on: the next APIs (OpenAI, Discord, Telegram, X) are
/// POSTs, so it must hand their handlers the body as sent.
@Suite("The stand-ins' HTTP server")
struct HTTPServerTests {
    func echo() throws -> HTTPServer {
        try HTTPServer { request in
            let echo: [String: Any] = [
                "method": request.method, "path": request.path, "length": request.body.count, "type": request.headers["content-type"] ?? "",
                "body": String(decoding: request.body.prefix(40), as: UTF8.self),
            ]
            return HTTPServer.Response(body: Array(try! JSONSerialization.data(withJSONObject: echo)))
        }
    }

    @Test("a POST's body arrives whole with its headers: from URLSession (Content-Length), and chunked from a raw socket")
    func postBodies() throws {
        let server = try echo()
        defer { server.stop() }
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/v1/chat/completions")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let body = "{\"model\":\"gpt-4o\",\"messages\":[" + String(repeating: "{\"role\":\"user\",\"content\":\"x\"},", count: 3_000) + "{}]}"
        request.httpBody = Data(body.utf8)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var reply: Data?
        URLSession.shared.dataTask(with: request) { data, _, _ in
            reply = data
            done.signal()
        }.resume()
        #expect(done.wait(timeout: .now() + 10) == .success)
        let json = try #require(try JSONSerialization.jsonObject(with: reply ?? Data()) as? [String: Any])
        #expect(json["method"] as? String == "POST" && json["path"] as? String == "/v1/chat/completions")
        #expect(json["length"] as? Int == body.utf8.count && json["type"] as? String == "application/json")

        let socket = try TCPSocket.connect(host: "127.0.0.1", port: server.port, timeout: 2)
        let head = "POST /bot123/sendMessage HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        try socket.send(Array(head.utf8))
        try socket.send(Array("5\r\nhello\r\n".utf8))
        usleep(50_000)  // the rest in a later segment
        try socket.send(Array("6\r\n world\r\n0\r\n\r\n".utf8))
        var raw: [UInt8] = []
        while let bytes = try? socket.receive(timeout: 2) { raw += bytes }
        let text = String(decoding: raw, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200") && text.contains("\"length\":11") && text.contains("hello world"), "\(text)")
    }
}

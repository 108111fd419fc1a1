public import Foundation
public import Net

/// A minimal HTTP/1.1 server on 127.0.0.1 (one request per connection, `Connection: close`):
/// enough for the local stand-ins of the HTTP services (Alpha Vantage), their tests and their
/// benchmark. Each connection is served on its own thread.
public final class HTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [String: String]
        /// Header names in lower case.
        public var headers: [String: String]
        /// The body as sent (Content-Length or chunked), empty for none.
        public var body: [UInt8]

        public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = []) {
            self.method = method; self.path = path; self.query = query; self.headers = headers; self.body = body
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
        /// Seconds to wait before answering (a slow server).
        public var delay: Double
        /// Send only this many bytes of the body, then close (a cut reply).
        public var truncateAt: Int?
        /// Seconds to keep the connection open, silent, after what was sent (a stalled reply).
        public var holdOpen: Double = 0
        public init(
            status: Int = 200, headers: [String: String] = ["Content-Type": "application/json"], body: [UInt8], delay: Double = 0, truncateAt: Int? = nil
        ) {
            self.status = status; self.headers = headers; self.body = body; self.delay = delay; self.truncateAt = truncateAt
        }
        public init(status: Int = 200, json: String, delay: Double = 0) {
            self.init(status: status, body: Array(json.utf8), delay: delay)
        }
    }

    public typealias Handler = @Sendable (Request) -> Response

    private let listener: TCPListener
    private let handler: Handler
    public var port: Int { listener.port }

    public init(port: Int = 0, handler: @escaping Handler) throws(SocketError) {
        listener = try TCPListener(port: port)
        self.handler = handler
        let l = listener
        let t = Thread { [handler] in
            while let socket = l.accept() {
                Thread { HTTPServer.serve(socket, handler) }.start()
            }
        }
        t.name = "http-accept"
        t.start()
    }

    public func stop() { listener.close() }

    static func serve(_ socket: TCPSocket, _ handler: Handler) {
        defer { socket.close() }
        guard let request = read(socket) else { return }
        let response = handler(request)
        if response.delay > 0 { usleep(UInt32(response.delay * 1_000_000)) }
        var head = "HTTP/1.1 \(response.status) \(reason(response.status))\r\nContent-Length: \(response.body.count)\r\nConnection: close\r\n"
        for (k, v) in response.headers { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        let body = response.truncateAt.map { Array(response.body.prefix($0)) } ?? response.body
        try? socket.send(Array(head.utf8) + body)
        if response.holdOpen > 0 { usleep(UInt32(response.holdOpen * 1_000_000)) }
        if response.truncateAt == nil { socket.finish() }
    }

    /// One request: the head, then the body its Content-Length (or chunked encoding) says,
    /// within ten seconds; nil for what is not an HTTP request.
    static func read(_ socket: TCPSocket) -> Request? {
        var raw: [UInt8] = []
        let deadline = Date().addingTimeInterval(10)
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil && Date() < deadline {
            guard let bytes = try? socket.receive(timeout: 0.5) else {
                if raw.isEmpty { continue } else { return nil }
            }
            raw += bytes
            headEnd = raw.firstRange(of: separator)?.lowerBound
        }
        guard let headEnd else { return nil }
        let lines = String(decoding: raw[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = (lines.first ?? "").split(separator: " ")
        guard parts.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() where line.contains(":") {
            let kv = line.split(separator: ":", maxSplits: 1)
            headers[kv[0].lowercased()] = kv.count > 1 ? kv[1].trimmingCharacters(in: .whitespaces) : ""
        }
        var body = Array(raw[(headEnd + 4)...])
        let chunked = headers["transfer-encoding"]?.lowercased().contains("chunked") == true
        let length = Int(headers["content-length"] ?? "") ?? 0
        func complete() -> Bool { chunked ? body.firstRange(of: Array("0\r\n\r\n".utf8)) != nil : body.count >= length }
        while !complete() && Date() < deadline {
            guard let bytes = try? socket.receive(timeout: 0.5) else { break }
            body += bytes
        }
        body = chunked ? dechunk(body) : Array(body.prefix(length))
        let target = String(parts[1])
        var path = target, query: [String: String] = [:]
        if let q = target.firstIndex(of: "?") {
            path = String(target[..<q])
            for pair in target[target.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                let key = String(kv[0]).removingPercentEncoding ?? String(kv[0])
                let value = kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[1])) : ""
                query[key] = value
            }
        }
        return Request(method: String(parts[0]), path: path, query: query, headers: headers, body: body)
    }

    /// A chunked body's data: hex size, CRLF, data, CRLF … up to the zero-size chunk.
    static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count, let lineEnd = bytes[i...].firstRange(of: [13, 10])?.lowerBound {
            let sizeText = String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            let start = lineEnd + 2
            guard start + size <= bytes.count else { break }
            out += bytes[start..<(start + size)]
            i = start + size + 2
        }
        return out
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}

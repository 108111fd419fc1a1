/// `HOST:PORT` for a server's `--listen` (`orchestrator serve`, `alphatrader dashboard`), and
/// whether it is loopback (anything else needs a token).
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int

    /// Nil when the text is not HOST:PORT with a port in 0…65535 (`[::1]:8080` for IPv6).
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    public var isLoopback: Bool { host == "127.0.0.1" || host == "::1" || host == "localhost" }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

import Foundation

/// A listening socket, on 127.0.0.1 unless told otherwise.
public final class TCPListener: @unchecked Sendable {
    public let fd: Int32
    public let port: Int

    /// Port 0 picks a free one.
    public init(port: Int, host: String = "127.0.0.1") throws(SocketError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(.listen, "\(host):\(port): socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else {
            let why = String(cString: strerror(errno))
            Foundation.close(fd)
            throw SocketError(.listen, "\(host):\(port): cannot listen: \(why)")
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// The next connection, or nil once closed.
    public func accept() -> TCPSocket? {
        while true {
            guard !(lock.withLock { closed }) else { return nil }
            let client = Foundation.accept(fd, nil, nil)
            if client >= 0 { return TCPSocket(fd: client) }
            if errno == EINTR { continue }
            return nil
        }
    }

    /// Closes once: a second call does nothing (closing the number again could close whatever
    /// file the process opened with it since — a test crashed on exactly that).
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        shutdown(fd, Int32(SHUT_RDWR))
        Foundation.close(fd)
    }

    private let lock = NSLock()
    private var closed = false
}

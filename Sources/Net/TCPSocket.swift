import Foundation

/// A blocking TCP socket with deadlines, for every client and local server of the project — the
/// TWS client and simulator, the HTTP stand-ins, the orchestrator's `tcp` health probe (POSIX,
/// no Foundation streams: their run-loop model fits neither a reader thread nor a per-client
/// server thread).
public final class TCPSocket: @unchecked Sendable {
    public let fd: Int32
    private var closed = false
    private let lock = NSLock()

    public init(fd: Int32) {
        self.fd = fd
        var yes: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close() }

    /// Connects to host:port — a name or an address, IPv4 or IPv6 — trying every address the
    /// name resolves to in turn, all within `timeout` seconds (non-blocking connects, one
    /// deadline). The error names the address and the last reason.
    public static func connect(host: String, port: Int, timeout: Double) throws(SocketError) -> TCPSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            throw SocketError(.resolve, "\(host):\(port): cannot resolve the host (\(String(cString: gai_strerror(rc))))")
        }
        defer { freeaddrinfo(result) }
        let deadline = Date().addingTimeInterval(timeout)
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            entry = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue), ai.pointee.ai_protocol)
            guard fd >= 0 else {
                lastError = "socket: \(String(cString: strerror(errno)))"
                continue
            }
            var error: Int32 = 0
            if Foundation.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) != 0 {
                error = errno
                if error == EINPROGRESS {
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    let left = deadline.timeIntervalSinceNow
                    guard left > 0, poll(&p, 1, Int32((left * 1000).rounded(.up))) == 1 else {
                        Foundation.close(fd)
                        throw SocketError(.timeout, "\(host):\(port): no connection within \(timeout)s")
                    }
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                }
            }
            guard error == 0 else {
                lastError = String(cString: strerror(error))
                Foundation.close(fd)
                continue
            }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
            return TCPSocket(fd: fd)
        }
        throw SocketError(.connect, "\(host):\(port): cannot connect: \(lastError)")
    }

    /// Writes everything (blocking).
    public func send(_ bytes: [UInt8]) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SocketError(.closed, "send: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Waits up to `timeout` seconds for bytes: nil on timeout, throws when the peer closed.
    public func receive(timeout: Double, limit: Int = 1 << 16) throws(SocketError) -> ArraySlice<UInt8>? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&p, 1, Int32(max(0, timeout) * 1000))
        if ready == 0 { return nil }
        if ready < 0 { if errno == EINTR { return nil }; throw SocketError(.closed, "poll: \(String(cString: strerror(errno)))") }
        var buffer = [UInt8](repeating: 0, count: limit)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { throw SocketError(.closed, "the peer closed the connection") }
        if n < 0 {
            if errno == EINTR || errno == EAGAIN { return nil }
            throw SocketError(.closed, "recv: \(String(cString: strerror(errno)))")
        }
        return buffer[0..<n]
    }

    /// Ends the conversation politely: no more writes (FIN after what was sent), then waits up
    /// to `timeout` for the peer to close its side before closing — closing with unread bytes
    /// would reset the connection and could cost the peer the reply it has not read yet.
    public func finish(timeout: Double = 0.5) {
        shutdown(fd, Int32(SHUT_WR))
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            do { if try receive(timeout: 0.05) == nil { continue } } catch { break }
        }
        close()
    }

    public func close() {
        lock.lock(); defer { lock.unlock() }
        if !closed { closed = true; shutdown(fd, Int32(SHUT_RDWR)); Foundation.close(fd) }
    }
}

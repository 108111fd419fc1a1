import Foundation

/// A blocking TCP socket with timeouts, for the TWS client and simulator (POSIX, no Foundation
/// streams: their run-loop model fits neither a reader thread nor a per-client server thread).
public final class TCPSocket: @unchecked Sendable {
    public let fd: Int32
    private var closed = false
    private let lock = NSLock()

    init(fd: Int32) {
        self.fd = fd
        var yes: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close() }

    /// Connects to host:port (a name or an address) within `timeout` seconds.
    public static func connect(host: String, port: Int, timeout: Double) throws(TWSError) -> TCPSocket {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let info = result else {
            throw TWSError(.connect, "\(host):\(port): cannot resolve the host (\(String(cString: gai_strerror(rc))))")
        }
        defer { freeaddrinfo(result) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TWSError(.connect, "\(host):\(port): socket: \(String(cString: strerror(errno)))") }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var ok = Foundation.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0
        if !ok && errno == EINPROGRESS {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&p, 1, Int32(timeout * 1000)) == 1 {
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                ok = err == 0
                if !ok { errno = err }
            } else {
                Foundation.close(fd)
                throw TWSError(.timeout, "\(host):\(port): no connection within \(timeout)s")
            }
        }
        guard ok else {
            let why = String(cString: strerror(errno))
            Foundation.close(fd)
            throw TWSError(.connect, "\(host):\(port): cannot connect: \(why)")
        }
        _ = fcntl(fd, F_SETFL, flags)
        return TCPSocket(fd: fd)
    }

    /// Writes everything (blocking).
    public func send(_ bytes: [UInt8]) throws(TWSError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TWSError(.closed, "send: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Waits up to `timeout` seconds for bytes: nil on timeout, throws when the peer closed.
    public func receive(timeout: Double, limit: Int = 1 << 16) throws(TWSError) -> ArraySlice<UInt8>? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&p, 1, Int32(max(0, timeout) * 1000))
        if ready == 0 { return nil }
        if ready < 0 { if errno == EINTR { return nil }; throw TWSError(.closed, "poll: \(String(cString: strerror(errno)))") }
        var buffer = [UInt8](repeating: 0, count: limit)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { throw TWSError(.closed, "the peer closed the connection") }
        if n < 0 {
            if errno == EINTR || errno == EAGAIN { return nil }
            throw TWSError(.closed, "recv: \(String(cString: strerror(errno)))")
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

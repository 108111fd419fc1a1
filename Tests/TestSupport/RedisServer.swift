public import Foundation

/// A real `redis-server` on a free loopback port for one test, with no persistence; stopped
/// (and its directory removed) by `stop()`.
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    public private(set) var process: Process
    public let directory: String
    /// Arguments after the defaults (a later one wins): `--appendonly yes`, another `--dir`.
    let extra: [String]

    public init(arguments: [String] = []) throws {
        extra = arguments
        port = try FreePort.pick()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        process = Process()
        try launch()
    }

    /// Kills the server (as a crash would) without starting it again.
    public func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A new server on the same port, empty (the old one is killed first if still up).
    public func restart() throws {
        kill()
        process = Process()
        try launch()
    }

    private func launch() throws {
        process.executableURL = URL(fileURLWithPath: RedisServer.executable)
        process.arguments =
            [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory, "--loglevel", "warning",
            ] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready when it accepts a connection.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if FreePort.accepts(port) { return }
            usleep(20_000)
        }
        Foundation.kill(process.processIdentifier, SIGKILL)
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "redis-server did not start on port \(port)"])
    }

    public static var executable: String {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/redis-server"
    }

    public var url: String { "redis://127.0.0.1:\(port)/0" }

    public func stop() {
        if process.isRunning {
            // Foundation may start children with SIGTERM blocked: KILL (nothing to keep).
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitForExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}

/// Loopback ports for tests.
public enum FreePort {
    /// A port nothing listens on right now (bound to 0, read back, released).
    public static func pick() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    public static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// A loopback TCP server that answers every connection with fixed bytes (or nothing at all),
/// to play a Redis that answers garbage or stalls.
public final class ScriptedTCPServer: @unchecked Sendable {
    public let port: Int
    private let fd: Int32
    private let reply: [UInt8]?
    private let thread: Thread

    /// `reply` nil: accept and never answer.
    public init(reply: String?) throws {
        self.reply = reply.map { Array($0.utf8) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw CocoaError(.fileWriteUnknown) }
        port = Int(UInt16(bigEndian: address.sin_port))
        let listener = fd, answer = self.reply
        thread = Thread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(client, &buffer, buffer.count)
                if let answer { _ = answer.withUnsafeBytes { write(client, $0.baseAddress, $0.count) } }
                // Keep the connection open (a stall) until the server stops.
            }
        }
        thread.start()
    }

    public func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}

extension Process {
    /// Waits for a process that was sent SIGKILL, at most `timeout` seconds, without trusting
    /// Foundation alone: now and then its exit monitor misses a child's exit while another test
    /// in the same process supervises children of its own, and `waitUntilExit()` then waits
    /// forever on a zombie (seen once in a full run). After the deadline the zombie is reaped here.
    public func waitForExit(timeout: Double = 5) {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning {
            var status: Int32 = 0
            _ = waitpid(processIdentifier, &status, 0)
        }
    }
}

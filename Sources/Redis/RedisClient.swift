import CHiredis
import Foundation

/// A blocking Redis connection through hiredis: one command or a pipeline at a time, every call
/// bounded by the connection's timeout. Not thread-safe: one client per thread of use.
///
/// A server that is down, stalls or answers something that is not the Redis protocol gives a
/// `Failure` naming the server and what went wrong, never a crash; after an I/O or protocol
/// failure the connection is re-established on the next call.
public final class RedisClient {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public enum Code: Sendable { case connect, io, protocolError, timeout, server }
        public let code: Code
        public let description: String
        public init(code: Code, description: String) { self.code = code; self.description = description }
    }

    public let url: RedisURL
    public let timeout: Double
    private var context: UnsafeMutablePointer<redisContext>?

    /// Connects (and authenticates, and selects the database) within `timeout` seconds.
    public init(url: RedisURL, timeout: Double = 2) throws(Failure) {
        self.url = url
        self.timeout = timeout
        try connect()
    }

    deinit { if let context { redisFree(context) } }

    private var limit: timeval {
        let whole = max(0, timeout.rounded(.down))
        return timeval(tv_sec: Int(whole), tv_usec: Int((timeout - whole) * 1_000_000))
    }

    private func connect() throws(Failure) {
        if let context { redisFree(context) }
        context = nil
        guard let c = redisConnectWithTimeout(url.host, Int32(url.port), limit) else {
            throw Failure(code: .connect, description: "redis \(url.host):\(url.port): cannot allocate a connection")
        }
        if c.pointee.err != 0 {
            let why = RedisClient.errorText(c)
            redisFree(c)
            throw Failure(code: .connect, description: "redis \(url.host):\(url.port): cannot connect: \(why)")
        }
        redisSetTimeout(c, limit)
        context = c
        if let password = url.password {
            let auth = url.user.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            if case .error = try send(auth) {
                // The server's message might echo nothing secret, but say only what failed.
                throw Failure(code: .server, description: "redis \(url.host):\(url.port): authentication failed")
            }
        }
        if url.database != 0, case .error(let message) = try send(["SELECT", String(url.database)]) {
            throw Failure(code: .server, description: "redis \(url.host):\(url.port): SELECT \(url.database): \(message)")
        }
    }

    /// Sends one command and returns its reply (an `.error` reply is a value, not a throw).
    public func command(_ arguments: [String]) throws(Failure) -> RedisReply {
        if context == nil { try connect() }
        return try send(arguments)
    }

    /// Sends several commands in one round trip; replies in order.
    public func pipeline(_ commands: [[String]]) throws(Failure) -> [RedisReply] {
        if context == nil { try connect() }
        guard let c = context else { throw Failure(code: .connect, description: "redis: not connected") }
        for arguments in commands {
            let rc = RedisClient.withArgv(arguments) { argc, argv, lengths in redisAppendCommandArgv(c, argc, argv, lengths) }
            if rc != REDIS_OK { throw fail(c) }
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            if redisGetReply(c, &raw) != REDIS_OK || raw == nil { throw fail(c) }
            let reply = raw!.assumingMemoryBound(to: redisReply.self)
            replies.append(RedisClient.convert(reply))
            freeReplyObject(raw)
        }
        return replies
    }

    /// Sends a pre-encoded pipeline in one write and reads every reply; returns the error
    /// replies (the commands that the server refused), which a caller counts or reports.
    @discardableResult
    public func send(_ batch: RedisBatch) throws(Failure) -> [String] {
        guard !batch.isEmpty else { return [] }
        try write(batch)
        return try readReplies(batch.count)
    }

    /// Writes a pipeline without waiting for its replies, so that the caller can prepare the
    /// next one while Redis works; `readReplies(batch.count)` collects them (in order) later.
    public func write(_ batch: RedisBatch) throws(Failure) {
        guard !batch.isEmpty else { return }
        if context == nil { try connect() }
        guard let c = context else { throw Failure(code: .connect, description: "redis: not connected") }
        let rc = batch.bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { redisAppendFormattedCommand(c, $0.baseAddress, $0.count) }
        }
        if rc != REDIS_OK { throw fail(c) }
        var done: Int32 = 0
        repeat {
            if redisBufferWrite(c, &done) != REDIS_OK { throw fail(c) }
        } while done == 0
    }

    /// Reads the replies of `count` commands written earlier; returns the error replies.
    public func readReplies(_ count: Int) throws(Failure) -> [String] {
        guard count > 0 else { return [] }
        guard let c = context else { throw Failure(code: .connect, description: "redis: not connected") }
        var errors: [String] = []
        for _ in 0..<count {
            var raw: UnsafeMutableRawPointer?
            if redisGetReply(c, &raw) != REDIS_OK || raw == nil { throw fail(c) }
            let reply = raw!.assumingMemoryBound(to: redisReply.self)
            if reply.pointee.type == REDIS_REPLY_ERROR, let str = reply.pointee.str {
                errors.append(String(decoding: UnsafeRawBufferPointer(start: str, count: Int(reply.pointee.len)), as: UTF8.self))
            }
            freeReplyObject(raw)
        }
        return errors
    }

    /// One command's reply as hiredis allocated it; the caller frees it.
    func rawCommand(_ arguments: [String]) throws(Failure) -> UnsafeMutablePointer<redisReply> {
        if context == nil { try connect() }
        guard let c = context else { throw Failure(code: .connect, description: "redis: not connected") }
        let raw = RedisClient.withArgv(arguments) { argc, argv, lengths in redisCommandArgv(c, argc, argv, lengths) }
        guard let raw else { throw fail(c) }
        return raw.assumingMemoryBound(to: redisReply.self)
    }

    private func send(_ arguments: [String]) throws(Failure) -> RedisReply {
        guard let c = context else { throw Failure(code: .connect, description: "redis: not connected") }
        let raw = RedisClient.withArgv(arguments) { argc, argv, lengths in redisCommandArgv(c, argc, argv, lengths) }
        guard let raw else { throw fail(c) }
        defer { freeReplyObject(raw) }
        return RedisClient.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Turns the context's error into a failure and drops the connection (hiredis cannot go on
    /// after an I/O or protocol error).
    private func fail(_ c: UnsafeMutablePointer<redisContext>) -> Failure {
        let err = c.pointee.err
        let why = RedisClient.errorText(c)
        redisFree(c)
        context = nil
        let code: Failure.Code
        switch err {
        case REDIS_ERR_PROTOCOL: code = .protocolError
        case REDIS_ERR_IO where why.contains("temporarily unavailable") || why.contains("timed out"): code = .timeout
        default: code = .io
        }
        let prefix = "redis \(url.host):\(url.port)"
        switch code {
        case .protocolError: return Failure(code: code, description: "\(prefix): the reply is not the Redis protocol (\(why))")
        case .timeout: return Failure(code: code, description: "\(prefix): no reply within \(timeout)s")
        default: return Failure(code: code, description: "\(prefix): \(why.isEmpty ? "connection closed" : why)")
        }
    }

    static func errorText(_ c: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: c.pointee.errstr) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }

    static func withArgv<R>(_ arguments: [String], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
        // Copies that live for the call (arguments may hold any bytes, lengths say where they end).
        var pointers: [UnsafePointer<CChar>?] = []
        var lengths: [Int] = []
        pointers.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            let bytes = Array(argument.utf8)
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { UnsafeMutableRawPointer(copy).copyMemory(from: base, byteCount: bytes.count) }
            }
            pointers.append(UnsafePointer(copy))
            lengths.append(bytes.count)
        }
        defer { for p in pointers { UnsafeMutablePointer(mutating: p)?.deallocate() } }
        return pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeBufferPointer { len in body(Int32(arguments.count), argv.baseAddress!, len.baseAddress!) }
        }
    }

    static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let r = reply.pointee
        func text() -> String {
            guard let str = r.str else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: str, count: Int(r.len)), as: UTF8.self)
        }
        switch r.type {
        case REDIS_REPLY_STRING: return .string(text())
        case REDIS_REPLY_STATUS: return .status(text())
        case REDIS_REPLY_ERROR: return .error(text())
        case REDIS_REPLY_INTEGER: return .integer(Int(r.integer))
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            for i in 0..<Int(r.elements) {
                if let e = r.element[i] { items.append(convert(e)) } else { items.append(.null) }
            }
            return .array(items)
        default: return .null
        }
    }
}

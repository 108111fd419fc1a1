import CHiredis
import Foundation

/// A view of a reply as hiredis holds it, valid only inside `RedisClient.withRawReply`: for hot
/// paths (stream reads) that would otherwise build a String for every field.
public struct RawReply {
    let pointer: UnsafeMutablePointer<redisReply>

    public var isArray: Bool { pointer.pointee.type == REDIS_REPLY_ARRAY }
    public var isError: Bool { pointer.pointee.type == REDIS_REPLY_ERROR }
    public var count: Int { isArray ? Int(pointer.pointee.elements) : 0 }

    public subscript(index: Int) -> RawReply? {
        guard isArray, index >= 0, index < count, let element = pointer.pointee.element[index] else { return nil }
        return RawReply(pointer: element)
    }

    /// The bytes of a string, status or error reply (empty otherwise).
    public var bytes: UnsafeRawBufferPointer {
        let r = pointer.pointee
        guard let str = r.str else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: str, count: Int(r.len))
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// hiredis terminates every string with NUL, so the C parsers read it in place.
    public var double: Double? {
        guard let str = pointer.pointee.str, pointer.pointee.len > 0 else { return nil }
        var end: UnsafeMutablePointer<CChar>?
        let value = strtod(str, &end)
        return end == str + Int(pointer.pointee.len) ? value : nil
    }

    public var int: Int? {
        if pointer.pointee.type == REDIS_REPLY_INTEGER { return Int(pointer.pointee.integer) }
        guard let str = pointer.pointee.str, pointer.pointee.len > 0 else { return nil }
        var end: UnsafeMutablePointer<CChar>?
        let value = strtoll(str, &end, 10)
        return end == str + Int(pointer.pointee.len) ? Int(value) : nil
    }

    /// True when a string reply is exactly `ascii` (field names of stream entries).
    @inline(__always) public func equals(_ ascii: StaticString) -> Bool {
        let b = bytes
        guard b.count == ascii.utf8CodeUnitCount, let base = b.baseAddress else { return b.count == 0 && ascii.utf8CodeUnitCount == 0 }
        return memcmp(base, ascii.utf8Start, b.count) == 0
    }
}

extension RedisClient {
    /// Sends one command and hands its raw reply to `body` (freed afterwards).
    public func withRawReply<R>(_ arguments: [String], _ body: (RawReply) -> R) throws(Failure) -> R {
        let raw = try rawCommand(arguments)
        defer { freeReplyObject(raw) }
        return body(RawReply(pointer: raw))
    }
}

/// A pipeline encoded straight into the Redis protocol (RESP) as it is built: no per-argument
/// allocations, so a hot path (market-data ingestion) can send hundreds of thousands of commands
/// a second. Send it with `RedisClient.send(_:)`.
public struct RedisBatch: Sendable {
    public private(set) var bytes: [UInt8] = []
    public private(set) var count = 0

    public init(capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

    public var isEmpty: Bool { count == 0 }

    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true); count = 0 }

    /// Appends one command; arguments are any mix of strings, byte arrays and integers.
    public mutating func append(_ arguments: RedisArgument...) { append(arguments) }

    public mutating func append(_ arguments: [RedisArgument]) {
        bytes.append(UInt8(ascii: "*"))
        appendDecimal(arguments.count)
        bytes.append(13); bytes.append(10)
        for argument in arguments {
            switch argument {
            case .text(let s):
                var s = s
                s.withUTF8 { bulk($0) }
            case .bytes(let b):
                b.withUnsafeBufferPointer { bulk($0) }
            case .integer(let n):
                RedisBatch.withDigits(n) { bulk($0) }
            }
        }
        count += 1
    }

    private mutating func bulk(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "$"))
        appendDecimal(buffer.count)
        bytes.append(13); bytes.append(10)
        bytes.append(contentsOf: buffer)
        bytes.append(13); bytes.append(10)
    }

    private mutating func appendDecimal(_ n: Int) {
        if n < 10 && n >= 0 { bytes.append(UInt8(48 + n)); return }
        RedisBatch.withDigits(n) { bytes.append(contentsOf: $0) }
    }

    /// The decimal digits of `n` in a stack buffer (no allocation: this runs for every
    /// argument's length on the feed's hot path, and for every integer of its JSON).
    @inlinable
    public static func withDigits<R>(_ n: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var v = n.magnitude, i = 20
            repeat { i -= 1; buffer[i] = UInt8(48 + v % 10); v /= 10 } while v > 0
            if n < 0 { i -= 1; buffer[i] = UInt8(ascii: "-") }
            return body(UnsafeBufferPointer(rebasing: buffer[i..<20]))
        }
    }
}

/// One argument of a batched command.
public enum RedisArgument: Sendable, ExpressibleByStringLiteral {
    case text(String)
    case bytes([UInt8])
    case integer(Int)
    public init(stringLiteral value: String) { self = .text(value) }
}

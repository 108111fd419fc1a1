import Foundation

/// A byte-level JSON reader for large replies (an options chain of thousands of contracts):
/// strings and numbers are read in place, no value tree and no String per field unless asked.
/// Every malformed input is an error with its byte offset.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    struct Failure: Error, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "at byte \(offset): \(reason)" }
    }

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { position >= bytes.count }

    @inline(__always) func byte(_ i: Int) -> UInt8 { bytes[i] }

    mutating func skipWhitespace() {
        while position < bytes.count {
            let b = bytes[position]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { position += 1 } else { return }
        }
    }

    mutating func peek() throws(Failure) -> UInt8 {
        skipWhitespace()
        guard position < bytes.count else { throw Failure(offset: position, reason: "the reply ends too early (truncated JSON)") }
        return bytes[position]
    }

    mutating func expect(_ b: UInt8) throws(Failure) {
        let found = try peek()
        guard found == b else {
            throw Failure(offset: position, reason: "expected '\(Character(UnicodeScalar(b)))', found '\(Character(UnicodeScalar(found)))'")
        }
        position += 1
    }

    /// After a value inside an object or array: true when another element follows.
    mutating func more(closing: UInt8) throws(Failure) -> Bool {
        let b = try peek()
        if b == UInt8(ascii: ",") { position += 1; return true }
        if b == closing { position += 1; return false }
        throw Failure(offset: position, reason: "expected ',' or '\(Character(UnicodeScalar(closing)))'")
    }

    /// A string's raw bytes (between the quotes), and whether it held escapes.
    mutating func stringRange() throws(Failure) -> (Range<Int>, escaped: Bool) {
        try expect(UInt8(ascii: "\""))
        let start = position
        var escaped = false
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") { position += 1; return (start..<(position - 1), escaped) }
            if b == UInt8(ascii: "\\") { escaped = true; position += 2; continue }
            if b < 0x20 { throw Failure(offset: position, reason: "a control character inside a string") }
            position += 1
        }
        throw Failure(offset: start - 1, reason: "a string that never ends (truncated JSON)")
    }

    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// A string with its escapes decoded (rare: through JSONSerialization).
    mutating func string() throws(Failure) -> String {
        let start = position
        let (range, escaped) = try stringRange()
        guard escaped else { return text(range) }
        let quoted = Data(UnsafeRawBufferPointer(rebasing: bytes[(range.lowerBound - 1)..<(range.upperBound + 1)]))
        guard let s = (try? JSONSerialization.jsonObject(with: quoted, options: .fragmentsAllowed)) as? String else {
            throw Failure(offset: start, reason: "a string with an invalid escape")
        }
        return s
    }

    func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        return memcmp(bytes.baseAddress! + range.lowerBound, literal.utf8Start, range.count) == 0
    }

    /// A number written as a JSON number or as a string of one (Alpha Vantage quotes its
    /// numbers); nil for null, an empty string or "None"/"-". Anything else is a type error.
    mutating func number() throws(Failure) -> Double? {
        let b = try peek()
        if b == UInt8(ascii: "\"") {
            let (range, _) = try stringRange()
            if range.isEmpty || equals(range, "None") || equals(range, "-") { return nil }
            guard let v = parseDouble(range) else {
                throw Failure(offset: range.lowerBound, reason: "\"\(text(range))\" is not a number")
            }
            return v
        }
        if b == UInt8(ascii: "n") { try literal("null"); return nil }
        if b == UInt8(ascii: "-") || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) {
            let start = position
            while position < bytes.count, let c = Optional(bytes[position]),
                (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                    || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
            {
                position += 1
            }
            guard let v = parseDouble(start..<position) else { throw Failure(offset: start, reason: "a malformed number") }
            return v
        }
        throw Failure(offset: position, reason: "expected a number, found \(kindName(b))")
    }

    func kindName(_ b: UInt8) -> String {
        switch b {
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        default: return "'\(Character(UnicodeScalar(b)))'"
        }
    }

    /// strtod over a bounded copy (the buffer is not NUL-terminated).
    func parseDouble(_ range: Range<Int>) -> Double? {
        guard range.count > 0, range.count < 64 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { buffer -> Double? in
            for (i, j) in range.enumerated() { buffer[i] = CChar(bitPattern: bytes[j]) }
            buffer[range.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let v = strtod(buffer.baseAddress!, &end)
            guard end == buffer.baseAddress! + range.count, v.isFinite else { return nil }
            return v
        }
    }

    mutating func literal(_ word: StaticString) throws(Failure) {
        let n = word.utf8CodeUnitCount
        guard position + n <= bytes.count, memcmp(bytes.baseAddress! + position, word.utf8Start, n) == 0 else {
            throw Failure(offset: position, reason: position + n > bytes.count ? "the reply ends too early (truncated JSON)" : "an unknown literal")
        }
        position += n
    }

    /// Skips any value.
    mutating func skipValue() throws(Failure) {
        let b = try peek()
        switch b {
        case UInt8(ascii: "\""): _ = try stringRange()
        case UInt8(ascii: "{"):
            position += 1
            if try peek() == UInt8(ascii: "}") { position += 1; return }
            repeat { _ = try stringRange(); try expect(UInt8(ascii: ":")); try skipValue() } while try more(closing: UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            position += 1
            if try peek() == UInt8(ascii: "]") { position += 1; return }
            repeat { try skipValue() } while try more(closing: UInt8(ascii: "]"))
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try number()
        }
    }
}

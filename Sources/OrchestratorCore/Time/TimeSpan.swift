/// A length of time written the way job files write it: `500ms`, `10s`, `15m`, `2h`, `1d`,
/// combinations such as `1h30m`, and a leading `-` for offsets that may point backwards.
///
/// Stored in whole milliseconds so that values compare and print exactly.
public struct TimeSpan: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static func seconds(_ s: Int64) -> TimeSpan { TimeSpan(milliseconds: s * 1000) }
    public static func minutes(_ m: Int64) -> TimeSpan { TimeSpan(milliseconds: m * 60_000) }
    public static let zero = TimeSpan(milliseconds: 0)
    /// The longest duration a job file may write (100 years): arithmetic on spans never overflows.
    public static let maximum = TimeSpan(milliseconds: 36_500 * 86_400_000)

    public var seconds: Double { Double(milliseconds) / 1000 }
    public var isNegative: Bool { milliseconds < 0 }

    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.milliseconds < b.milliseconds }

    /// Why a text is not a duration; the message quotes the text.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public let text: String
        public let reason: String
        public var description: String { "invalid duration \"\(text)\": \(reason)" }
    }

    private static let units: [(suffix: String, ms: Int64)] = [
        ("ms", 1), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000),
    ]

    /// Parses a duration. Units must appear from largest to smallest, each at most once
    /// (`1h30m`, not `30m1h`), so that every text has one reading.
    public init(parsing text: String) throws(ParseError) {
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" {
            negative = true
            rest = rest.dropFirst()
        } else if rest.first == "+" {
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty else {
            throw ParseError(text: text, reason: "expected a number and a unit such as 500ms, 10s, 15m, 2h, 1d or 1h30m")
        }
        var total: Int64 = 0
        var lastRank = -1
        let rank = ["d": 0, "h": 1, "m": 2, "s": 3, "ms": 4]
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty else {
                throw ParseError(text: text, reason: "expected a number at \"\(rest)\"")
            }
            guard digits.count <= 12, let value = Int64(digits) else {
                throw ParseError(text: text, reason: "longer than 100 years")
            }
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix(while: { $0.isLetter })
            guard !letters.isEmpty else {
                throw ParseError(text: text, reason: "missing unit after \(digits) (use ms, s, m, h or d)")
            }
            guard let unit = TimeSpan.units.first(where: { $0.suffix == letters }), let r = rank[unit.suffix] else {
                throw ParseError(text: text, reason: "unknown unit \"\(letters)\" (use ms, s, m, h or d)")
            }
            guard r > lastRank else {
                throw ParseError(text: text, reason: "units must go from largest to smallest, each once")
            }
            lastRank = r
            let (part, overflow) = value.multipliedReportingOverflow(by: unit.ms)
            let (sum, overflow2) = total.addingReportingOverflow(part)
            guard !overflow, !overflow2, sum <= TimeSpan.maximum.milliseconds else {
                throw ParseError(text: text, reason: "longer than 100 years")
            }
            total = sum
            rest = rest.dropFirst(letters.count)
        }
        milliseconds = negative ? -total : total
    }

    /// The shortest text that parses back to this value: `1h30m`, `-15m`, `500ms`, `0s`.
    public var description: String {
        if milliseconds == 0 { return "0s" }
        var ms = milliseconds.magnitude
        var out = milliseconds < 0 ? "-" : ""
        for (suffix, size) in [("d", UInt64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
            if ms >= size {
                out += String(ms / size) + suffix
                ms %= size
            }
        }
        return out
    }

    /// As an offset in a reason text: `+15m`, `-10m` (nothing for zero).
    public var signedDescription: String {
        milliseconds > 0 ? "+" + description : (milliseconds < 0 ? description : "")
    }
}

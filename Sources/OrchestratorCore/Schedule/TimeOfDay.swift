/// A wall-clock time such as `17:00` or `09:30:15`.
public struct TimeOfDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let hour: Int
    public let minute: Int
    public let second: Int

    public init?(hour: Int, minute: Int, second: Int = 0) {
        guard (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The time `m` minutes after midnight (0…1439).
    public init?(minuteOfDay m: Int) { self.init(hour: m / 60, minute: m % 60) }

    /// Parses `HH:MM` or `HH:MM:SS` (24-hour clock, one- or two-digit hour).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3,
            parts.allSatisfy({ !$0.isEmpty && $0.count <= 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            parts.dropFirst().allSatisfy({ $0.count == 2 })
        else { return nil }
        self.init(hour: Int(parts[0])!, minute: Int(parts[1])!, second: parts.count == 3 ? Int(parts[2])! : 0)
    }

    public var secondsOfDay: Int64 { Int64(hour * 3600 + minute * 60 + second) }

    public var description: String {
        let base = LocalDate.two(hour) + ":" + LocalDate.two(minute)
        return second == 0 ? base : base + ":" + LocalDate.two(second)
    }

    public static func < (a: TimeOfDay, b: TimeOfDay) -> Bool { a.secondsOfDay < b.secondsOfDay }
}

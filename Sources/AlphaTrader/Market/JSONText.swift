import OrchestratorCore

/// Small JSON text builders for the hot path (JSONEncoder costs microseconds a value).
enum JSONText {
    /// A number; NaN and infinities (which JSON cannot hold) become null.
    @inline(__always) static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        return integral(value).map { String($0) } ?? String(value)
    }

    /// The value as an integer when it is one (and small enough to print as one exactly).
    @inline(__always) static func integral(_ value: Double) -> Int64? {
        value == value.rounded() && abs(value) < 1e15 ? Int64(value) : nil
    }

    /// A string with the characters JSON requires escaped (the core's escaping).
    static func string(_ value: String) -> String {
        var out = ""
        JSONValue.escape(value, into: &out)
        return out
    }
}

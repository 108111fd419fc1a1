import OrchestratorCore

/// Small JSON text builders for the hot path (JSONEncoder costs microseconds a value).
enum JSONText {
    /// A number; NaN and infinities (which JSON cannot hold) become null.
    @inline(__always) static func number(_ value: Double) -> String {
        value.isFinite ? (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)) : "null"
    }

    /// A string with the characters JSON requires escaped (the core's escaping).
    static func string(_ value: String) -> String {
        var out = ""
        JSONValue.escape(value, into: &out)
        return out
    }
}

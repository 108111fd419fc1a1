import Foundation

/// A reply that is not a chain: what Alpha Vantage said instead, or what was wrong.
public enum AlphaVantageReply: Error, Sendable, Equatable, CustomStringConvertible {
    /// `{"Note": …}` or `{"Information": …}` with status 200: the rate limit.
    case rateLimited(String)
    /// `{"Error Message": …}`: a bad request (unknown symbol, bad parameter).
    case refused(String)
    /// Not the JSON expected: truncated, wrong types, missing fields.
    case malformed(String)

    public var description: String {
        switch self {
        case .rateLimited(let m): return "rate limited: \(m)"
        case .refused(let m): return "refused: \(m)"
        case .malformed(let m): return "malformed reply: \(m)"
        }
    }
}

/// The top-level object of a small reply, with Alpha Vantage's in-body replies turned into errors.
func topLevel(_ data: Data) throws(AlphaVantageReply) -> [String: Any] {
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
        throw .malformed(data.isEmpty ? "an empty reply" : "not a JSON object (truncated or not JSON, \(data.count) bytes)")
    }
    if let note = (object["Note"] ?? object["Information"]) as? String { throw .rateLimited(note) }
    if let message = object["Error Message"] as? String { throw .refused(message) }
    return object
}

/// A number, whether Alpha Vantage sent it as a JSON number or as a string.
func number(_ value: Any?) -> Double? {
    if let d = value as? Double { return d.isFinite ? d : nil }
    if let n = value as? Int { return Double(n) }
    if let s = value as? String, let d = Double(s), d.isFinite { return d }
    return nil
}

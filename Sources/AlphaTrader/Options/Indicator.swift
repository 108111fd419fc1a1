public import Foundation

/// A technical indicator reply: the latest values and the recent series.
public struct Indicator: Sendable {
    public var function: String
    /// Newest first: (date, values by name).
    public var series: [(String, [String: Double])]

    public static func parse(_ data: Data, function: String) throws(AlphaVantageReply) -> Indicator {
        let object = try topLevel(data)
        guard let table = object["Technical Analysis: \(function)"] as? [String: Any] else {
            throw .malformed("no \"Technical Analysis: \(function)\" series")
        }
        var series: [(String, [String: Double])] = []
        for (date, value) in table {
            guard let fields = value as? [String: Any] else { throw .malformed("\(date): not an object of values") }
            var parsed: [String: Double] = [:]
            for (name, v) in fields {
                guard let x = number(v) else { throw .malformed("\(date) \(name): \"\(v)\" is not a number") }
                parsed[name] = x
            }
            series.append((date, parsed))
        }
        guard !series.isEmpty else { throw .malformed("an empty \(function) series") }
        series.sort { $0.0 > $1.0 }
        return Indicator(function: function, series: series)
    }

    func json(symbol: String, now: Int) -> String {
        func values(_ v: [String: Double]) -> String {
            "{" + v.sorted { $0.key < $1.key }.map { "\(JSONText.string($0.key)):\(JSONText.number($0.value))" }.joined(separator: ",") + "}"
        }
        let recent = series.prefix(30).map { "[\"\($0.0)\",\(values($0.1))]" }.joined(separator: ",")
        return
            "{\"symbol\":\"\(symbol)\",\"indicator\":\"\(function)\",\"date\":\"\(series[0].0)\",\"value\":\(values(series[0].1)),\"recent\":[\(recent)],\"timestamp\":\(now)}"
    }
}

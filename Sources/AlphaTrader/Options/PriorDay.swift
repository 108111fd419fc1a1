public import Foundation

/// A `GLOBAL_QUOTE` reply read before the open: the last session's open, high, low, close and
/// volume, and the close before it — the prior day's levels of the morning analysis.
public struct PriorDay: Sendable, Equatable {
    public var symbol: String
    /// The session the figures are of (YYYY-MM-DD).
    public var date: String
    public var open: Double, high: Double, low: Double, close: Double
    public var volume: Int
    public var previousClose: Double

    public static func parse(_ data: Data, symbol: String) throws(AlphaVantageReply) -> PriorDay {
        let object = try topLevel(data)
        guard let quote = object["Global Quote"] as? [String: Any] else { throw .malformed("no \"Global Quote\" object") }
        guard !quote.isEmpty else { throw .malformed("an empty \"Global Quote\": \(symbol) is not a listed symbol") }
        func value(_ key: String) throws(AlphaVantageReply) -> Double {
            guard let v = quote[key], let x = number(v), x >= 0 else {
                throw .malformed("\"\(key)\": \(quote[key].map { "\"\($0)\"" } ?? "missing") is not a price")
            }
            return x
        }
        guard let date = quote["07. latest trading day"] as? String, LocalDateText.valid(date) else {
            throw .malformed("\"07. latest trading day\" is not a date")
        }
        let day = PriorDay(
            symbol: symbol, date: date, open: try value("02. open"), high: try value("03. high"), low: try value("04. low"), close: try value("05. price"),
            volume: Int(try value("06. volume")), previousClose: try value("08. previous close"))
        guard day.low <= min(day.open, day.close), day.high >= max(day.open, day.close), day.low > 0 else {
            throw .malformed("the day's low \(day.low) and high \(day.high) do not hold its open \(day.open) and close \(day.close)")
        }
        return day
    }

    /// `technicals:{sym}:prior_day`.
    public static func key(_ symbol: String) -> String { "technicals:\(symbol):prior_day" }

    public var document: PriorDayDocument {
        PriorDayDocument(
            symbol: symbol, date: date, open: open, high: high, low: low, close: close, volume: volume, previousClose: previousClose, timestamp: 0)
    }
}

/// `technicals:{sym}:prior_day` (the premarket job; read by the morning analysis).
public struct PriorDayDocument: RedisDocument, Equatable {
    public var symbol: String
    public var date: String
    public var open: Double, high: Double, low: Double, close: Double
    public var volume: Int
    public var previousClose: Double
    public var timestamp: Int64

    public var json: String {
        "{\"symbol\":\(JSONText.string(symbol)),\"date\":\(JSONText.string(date)),\"open\":\(JSONText.number(open)),\"high\":\(JSONText.number(high)),\"low\":\(JSONText.number(low)),\"close\":\(JSONText.number(close)),\"volume\":\(volume),\"previous_close\":\(JSONText.number(previousClose)),\"timestamp\":\(timestamp)}"
    }
}

/// `technicals:{sym}:{rsi|macd|bbands|atr}` (the premarket job): the latest daily values.
public struct IndicatorDocument: RedisDocument, Equatable {
    public var symbol: String
    public var indicator: String
    public var date: String
    public var value: [String: Double]
    public var timestamp: Int64

    public static func key(_ symbol: String, _ function: String) -> String { "technicals:\(symbol):\(function.lowercased())" }

    /// Read without the documents' snake-case key conversion, which would rename the values'
    /// own names ("MACD_Hist").
    public static func read(_ text: String?) -> IndicatorDocument? {
        guard let data = text?.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let symbol = object["symbol"] as? String, let indicator = object["indicator"] as? String, let date = object["date"] as? String,
            let fields = object["value"] as? [String: Any]
        else { return nil }
        var value: [String: Double] = [:]
        for (k, v) in fields {
            guard let x = number(v) else { return nil }
            value[k] = x
        }
        return IndicatorDocument(symbol: symbol, indicator: indicator, date: date, value: value, timestamp: (object["timestamp"] as? Int).map(Int64.init) ?? 0)
    }

    public var json: String {
        "{\"symbol\":\(JSONText.string(symbol)),\"indicator\":\(JSONText.string(indicator)),\"date\":\(JSONText.string(date)),\"value\":{"
            + value.sorted { $0.key < $1.key }.map { "\(JSONText.string($0.key)):\(JSONText.number($0.value))" }.joined(separator: ",")
            + "},\"timestamp\":\(timestamp)}"
    }
}

enum LocalDateText {
    static func valid(_ s: String) -> Bool { s.count == 10 && s.range(of: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", options: .regularExpression) != nil }
}

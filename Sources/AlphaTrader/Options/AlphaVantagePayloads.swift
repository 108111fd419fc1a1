public import Foundation
import OrchestratorCore

/// Recorded-style Alpha Vantage replies, generated (never downloaded): options chains priced with
/// Black–Scholes (`BlackScholes`) under a volatility smile, news-sentiment feeds, indicator series. They feed the
/// local Alpha Vantage stand-in (`premarket --simulate`, the tests' HTTP server, the benchmark).
public struct AlphaVantagePayloads: Sendable {
    public let seed: UInt64
    /// The day the replies describe (YYYY-MM-DD).
    public let date: String
    /// The underlying prices the chains are quoted around (a replayed day's: the prices its tape
    /// opens at); symbols not given use typical prices.
    public let spots: [String: Double]
    public init(seed: UInt64, date: String, spots: [String: Double] = [:]) {
        self.seed = seed; self.date = date
        self.spots = AlphaVantagePayloads.typicalSpots.merging(spots) { $1 }
    }

    static let typicalSpots: [String: Double] = [
        "SPY": 600, "QQQ": 520, "IWM": 230, "AAPL": 230, "TSLA": 340, "NVDA": 180,
        "META": 600, "AMZN": 220, "MSFT": 480, "GOOGL": 300, "AMD": 220, "VXX": 45,
    ]

    func rng(_ symbol: String, _ salt: UInt64) -> SeededRandom {
        var h: UInt64 = seed &* 0x9E37_79B9_7F4A_7C15 &+ salt
        for b in symbol.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return SeededRandom(seed: h)
    }

    public func spot(_ symbol: String) -> Double { spots[symbol] ?? 100 }

    /// A `REALTIME_OPTIONS` reply with greeks, as read before the open (07:00): `expirations` ×
    /// `strikes` × call/put contracts, expiring 1, 3, … 19 days out and then every 28 days — and
    /// for the index ETFs the day's own expiry first.
    ///
    /// Open interest has the shape of a real chain's: highest near the money and in the nearest
    /// expiries, piled on round strikes (×2.5 on every fifth strike, ×4 on every tenth), and
    /// heavier on out-of-the-money puts below the price and calls above it (×1.6: protective puts,
    /// overwritten calls). Under the dealers' sign convention that makes them short gamma below the
    /// price and long it above, with the round strikes near the price as the pins of the day.
    public func chain(_ symbol: String, expirations: Int = 25, strikes: Int = 166) -> Data {
        var r = rng(symbol, 1)
        let s = spot(symbol)
        let step = OptionChooser.strikeStep(s)
        let first = ((s - step * Double(strikes / 2)) / step).rounded() * step
        let base = Self.days(date)
        // Index ETFs list an expiry every session: their chains start with the day's own (0DTE).
        let sameDay = OptionExpiries.daily.contains(symbol) ? 1 : 0
        var out = "{\"endpoint\": \"Realtime Options\", \"message\": \"success\", \"data\": ["
        out.reserveCapacity((expirations + sameDay) * strikes * 2 * 520)
        var firstRow = true
        for e in -sameDay..<expirations {
            let daysOut = e < 0 ? 0 : e < 10 ? 1 + e * 2 : 21 + (e - 10) * 28
            let expiry = Self.date(base + daysOut)
            // Quoted at 07:00: the day's own expiry has the nine hours to its 16:00 close left.
            let t = daysOut == 0 ? 9.0 / 24 / 365 : Double(daysOut) / 365
            let compact = expiry.replacingOccurrences(of: "-", with: "").dropFirst(2)
            for k in 0..<strikes {
                let strike = first + Double(k) * step
                let m = log(strike / s)
                let iv = VolatilitySmile.volatility(moneyness: m, expiryIndex: Double(max(0, e)), noise: 0.02 * r.normal())
                let index = Int((strike / step).rounded())
                let round = index % 10 == 0 ? 4.0 : index % 5 == 0 ? 2.5 : 1
                for kind in ["call", "put"] {
                    let g = BlackScholes.greeks(call: kind == "call", s: s, k: strike, t: t, sigma: iv)
                    let price = max(0.01, g.price)
                    let spread = max(0.01, (price * 0.02 * 100).rounded() / 100)
                    let bid = max(0, ((price - spread / 2) * 100).rounded() / 100), ask = ((price + spread / 2) * 100).rounded() / 100
                    let near = exp(-m * m * 200)
                    let outOfTheMoney = kind == "call" ? strike > s : strike < s
                    let oi = Int(Double(200 + Int(r.next() % 3000)) * (0.2 + 3 * near) * (e < 3 ? 2 : 1) * round * (outOfTheMoney ? 1.6 : 1))
                    var volume = Int(Double(oi) * (0.05 + 0.3 * r.uniform()) * near * 2)
                    if r.uniform() < 0.004 { volume = oi * 3 + 150 }  // unusual activity
                    let id = "\(symbol)\(compact)\(kind == "call" ? "C" : "P")\(Self.padded(Int((strike * 1000).rounded()), 8))"
                    if !firstRow { out += "," }
                    firstRow = false
                    out +=
                        "{\"contractID\": \"\(id)\", \"symbol\": \"\(symbol)\", \"expiration\": \"\(expiry)\", \"strike\": \"\(Self.fixed(strike, 2))\", \"type\": \"\(kind)\", "
                    out +=
                        "\"last\": \"\(Self.fixed(price, 2))\", \"mark\": \"\(Self.fixed((bid + ask) / 2, 2))\", \"bid\": \"\(Self.fixed(bid, 2))\", \"bid_size\": \"\(1 + r.next() % 90)\", "
                    out +=
                        "\"ask\": \"\(Self.fixed(ask, 2))\", \"ask_size\": \"\(1 + r.next() % 90)\", \"volume\": \"\(volume)\", \"open_interest\": \"\(oi)\", \"date\": \"\(date)\", "
                    out +=
                        "\"implied_volatility\": \"\(Self.fixed(iv, 5))\", \"delta\": \"\(Self.fixed(g.delta, 5))\", \"gamma\": \"\(Self.fixed(g.gamma, 5))\", "
                    out += "\"theta\": \"\(Self.fixed(g.theta, 5))\", \"vega\": \"\(Self.fixed(g.vega, 5))\", \"rho\": \"\(Self.fixed(g.rho, 5))\"}"
                }
            }
        }
        out += "]}"
        return Data(out.utf8)
    }

    /// A `NEWS_SENTIMENT` reply for `tickers`.
    public func news(_ tickers: [String], articles: Int = 50) -> Data {
        var r = rng(tickers.joined(separator: ","), 2)
        let topics = ["Technology", "Earnings", "Financial Markets", "Economy - Monetary", "Manufacturing", "Retail & Wholesale", "Energy & Transportation"]
        var feed: [[String: Any]] = []
        for i in 0..<articles {
            let score = max(-1, min(1, 0.1 + 0.3 * r.normal()))
            var sentiments: [[String: Any]] = []
            for t in tickers where r.uniform() < 0.7 || sentiments.isEmpty {
                let ts = max(-1, min(1, score + 0.2 * r.normal()))
                sentiments.append([
                    "ticker": t, "relevance_score": String(format: "%.6f", r.uniform()),
                    "ticker_sentiment_score": String(format: "%.6f", ts), "ticker_sentiment_label": Self.label(ts),
                ])
            }
            let hour = 4 + (i * 3) % 20, minute = (i * 17) % 60
            feed.append([
                "title": "Markets weigh \(tickers.first ?? "stocks") outlook (\(i + 1))", "url": "https://news.example.com/\(date)/\(i)",
                "time_published": date.replacingOccurrences(of: "-", with: "") + String(format: "T%02d%02d00", hour % 24, minute),
                "authors": ["Staff"], "summary": "Analysts discuss the session ahead.", "banner_image": "", "source": "Example Wire",
                "category_within_source": "Markets", "source_domain": "news.example.com",
                "topics": [["topic": topics[i % topics.count], "relevance_score": String(format: "%.6f", r.uniform())]],
                "overall_sentiment_score": score, "overall_sentiment_label": Self.label(score), "ticker_sentiment": sentiments,
            ])
        }
        let object: [String: Any] = [
            "items": String(articles),
            "sentiment_score_definition":
                "x <= -0.35: Bearish; -0.35 < x <= -0.15: Somewhat-Bearish; -0.15 < x < 0.15: Neutral; 0.15 <= x < 0.35: Somewhat_Bullish; x >= 0.35: Bullish",
            "relevance_score_definition": "0 < x <= 1, with a higher score indicating higher relevance.", "feed": feed,
        ]
        return try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// `x` with `digits` decimals (String(format:) costs a microsecond a call; a chain has
    /// hundreds of thousands of numbers).
    static func fixed(_ x: Double, _ digits: Int) -> String {
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let n = Int((x * Double(scale)).rounded())
        let negative = n < 0
        let magnitude = negative ? -n : n
        var frac = String(magnitude % scale)
        if frac.count < digits { frac = String(repeating: "0", count: digits - frac.count) + frac }
        return (negative ? "-" : "") + String(magnitude / scale) + (digits > 0 ? "." + frac : "")
    }

    static func padded(_ n: Int, _ width: Int) -> String {
        let text = String(n)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    static func label(_ x: Double) -> String {
        x <= -0.35 ? "Bearish" : x <= -0.15 ? "Somewhat-Bearish" : x < 0.15 ? "Neutral" : x < 0.35 ? "Somewhat-Bullish" : "Bullish"
    }

    /// An indicator reply (`RSI`, `MACD`, `BBANDS`, `ATR`): daily values, newest first.
    public func indicator(_ function: String, symbol: String, days: Int = 120) -> Data {
        var r = rng(symbol, 3 &+ UInt64(function.utf8.reduce(0) { $0 &* 31 &+ Int($1) }))
        let s = spot(symbol)
        var series: [String: Any] = [:]
        let base = Self.days(date)
        var price = s
        for d in 0..<days {
            let day = Self.date(base - d)
            price *= exp(0.012 * r.normal())
            let value: [String: String]
            switch function {
            case "RSI": value = ["RSI": String(format: "%.4f", max(5, min(95, 50 + 15 * r.normal())))]
            case "MACD":
                let macd = 0.01 * s * r.normal(), signal = macd + 0.002 * s * r.normal()
                value = [
                    "MACD": String(format: "%.4f", macd), "MACD_Signal": String(format: "%.4f", signal), "MACD_Hist": String(format: "%.4f", macd - signal),
                ]
            case "BBANDS":
                value = [
                    "Real Upper Band": String(format: "%.4f", price * 1.04), "Real Middle Band": String(format: "%.4f", price),
                    "Real Lower Band": String(format: "%.4f", price * 0.96),
                ]
            default: value = ["ATR": String(format: "%.4f", price * (0.015 + 0.005 * r.uniform()))]
            }
            series[day] = value
        }
        let names = [
            "RSI": "Relative Strength Index (RSI)", "MACD": "Moving Average Convergence/Divergence (MACD)",
            "BBANDS": "Bollinger Bands (BBANDS)", "ATR": "Average True Range (ATR)",
        ]
        let object: [String: Any] = [
            "Meta Data": [
                "1: Symbol": symbol, "2: Indicator": names[function] ?? function, "3: Last Refreshed": date, "4: Interval": "daily",
                "5: Time Period": 14, "6: Series Type": "close", "7: Time Zone": "US/Eastern Time",
            ],
            "Technical Analysis: \(function)": series,
        ]
        return try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// A `GLOBAL_QUOTE` reply read before the open: the last weekday's session, closing a small
    /// overnight gap below or above the price the day's tape opens at.
    public func globalQuote(_ symbol: String) -> Data {
        var r = rng(symbol, 5)
        let s = spot(symbol)
        let close = s / exp(0.006 * r.normal())
        let open = close * exp(0.005 * r.normal())
        let high = max(open, close) * (1 + 0.004 * abs(r.normal())), low = min(open, close) * (1 - 0.004 * abs(r.normal()))
        let previous = open * exp(0.004 * r.normal())
        var day = Self.days(date) - 1
        while LocalDate.weekday(daysSinceEpoch: day) == 0 || LocalDate.weekday(daysSinceEpoch: day) == 6 { day -= 1 }
        let volume = 2_000_000 + Int(r.next() % 60_000_000)
        func p(_ x: Double) -> String { Self.fixed(x, 4) }
        let change = close - previous
        let fields = [
            ("01. symbol", symbol), ("02. open", p(open)), ("03. high", p(high)), ("04. low", p(low)), ("05. price", p(close)),
            ("06. volume", String(volume)), ("07. latest trading day", Self.date(day)), ("08. previous close", p(previous)),
            ("09. change", p(change)), ("10. change percent", Self.fixed(change / previous * 100, 4) + "%"),
        ]
        return Data(("{\"Global Quote\": {" + fields.map { "\"\($0.0)\": \"\($0.1)\"" }.joined(separator: ", ") + "}}").utf8)
    }

    static func days(_ date: String) -> Int { LocalDate(parsing: date)?.daysSinceEpoch ?? 0 }
    static func date(_ days: Int) -> String { LocalDate(daysSinceEpoch: days).description }
}

public import AlphaTrader

/// The market at the clock as the paper broker sees it, read from the tape: each symbol's NBBO
/// with its displayed sizes and its last trade. It only moves forward.
public final class TapeMarket {
    public let header: TapeHeader
    private let reader: TapeReader
    private var quotes: [MarketQuote?]
    /// The tape's time reached, market epoch microseconds.
    public private(set) var time: Int64 = .min

    public init(tapePath: String) throws(TapeError) {
        reader = try TapeReader(path: tapePath, verify: false)
        header = reader.header
        quotes = Array(repeating: nil, count: header.symbols.count)
    }

    /// Each symbol's first quote mid on the tape (what options are listed around): read with a
    /// reader of its own, from the start.
    public static func openingPrices(tapePath: String) throws(TapeError) -> [String: Double] {
        let reader = try TapeReader(path: tapePath, verify: false)
        var prices: [String: Double] = [:]
        while prices.count < reader.header.symbols.count, let event = try reader.next() {
            if case .quote(let q) = event, q.bid > 0, q.ask > 0, prices[reader.header.symbols[q.symbol]] == nil {
                prices[reader.header.symbols[q.symbol]] = (q.bid + q.ask) / 2
            }
        }
        return prices
    }

    /// Reads the tape up to `now` (market µs). For each quote or trade of a symbol in `watched`,
    /// calls `changed` with the symbol's index and the trade (nil for a quote), after the market
    /// has taken it in.
    public func advance(to now: Int64, watched: Set<Int>, _ changed: (Int, Trade?) -> Void) throws(TapeError) {
        while let t = reader.peekTime(), t <= now, let event = try reader.next() {
            switch event {
            case .quote(let q):
                var quote = MarketQuote(bid: q.bid, ask: q.ask, bidSize: q.bidSize, askSize: q.askSize, last: quotes[q.symbol]?.last, stamp: q.time)
                if quote.bidSize <= 0 || quote.askSize <= 0 { quote.bidSize = max(quote.bidSize, 0); quote.askSize = max(quote.askSize, 0) }
                quotes[q.symbol] = quote
                if watched.contains(q.symbol) { changed(q.symbol, nil) }
            case .trade(let trade):
                if quotes[trade.symbol] == nil {
                    quotes[trade.symbol] = MarketQuote(bid: 0, ask: 0, bidSize: 0, askSize: 0, last: trade.price)
                } else {
                    quotes[trade.symbol]!.last = trade.price
                }
                if watched.contains(trade.symbol) { changed(trade.symbol, trade) }
            case .depth, .bar:
                break
            }
        }
        time = max(time, now)
    }

    /// A stock's quote now, nil for a symbol the tape does not have or has not quoted yet.
    public func quote(symbol: String) -> MarketQuote? {
        header.symbols.firstIndex(of: symbol).flatMap { quotes[$0] }
    }

    public func quote(index: Int) -> MarketQuote? { quotes[index] }
}

/// One market event, from a replay tape or from IBKR: the single vocabulary of the ingestion path.
///
/// Times are market-time epoch microseconds. `symbol` and `exchange` are indexes into the tape
/// header's (or the configuration's) lists, so that the hot path never hashes strings.
public enum MarketEvent: Equatable, Sendable {
    case trade(Trade)
    case quote(Quote)
    case depth(DepthUpdate)
    case bar(Bar)

    public var time: Int64 {
        switch self {
        case .trade(let e): return e.time
        case .quote(let e): return e.time
        case .depth(let e): return e.time
        case .bar(let e): return e.time
        }
    }

    public var symbol: Int {
        switch self {
        case .trade(let e): return e.symbol
        case .quote(let e): return e.symbol
        case .depth(let e): return e.symbol
        case .bar(let e): return e.symbol
        }
    }
}

/// A print: price, size and the exchange it printed on.
public struct Trade: Equatable, Sendable {
    public var time: Int64
    public var symbol: Int
    public var exchange: Int
    public var price: Double
    public var size: Int
    public init(time: Int64, symbol: Int, exchange: Int, price: Double, size: Int) {
        self.time = time; self.symbol = symbol; self.exchange = exchange; self.price = price; self.size = size
    }
}

/// The consolidated best bid and offer with their displayed sizes.
public struct Quote: Equatable, Sendable {
    public var time: Int64
    public var symbol: Int
    public var bid: Double
    public var ask: Double
    public var bidSize: Int
    public var askSize: Int
    public init(time: Int64, symbol: Int, bid: Double, ask: Double, bidSize: Int, askSize: Int) {
        self.time = time; self.symbol = symbol; self.bid = bid; self.ask = ask; self.bidSize = bidSize; self.askSize = askSize
    }
}

/// One change to one exchange's level-2 book, with TWS `updateMktDepthL2` semantics: `insert`
/// puts a level at `position` and shifts the ones below down, `update` replaces the level at
/// `position`, `delete` removes it and shifts the ones below up.
public struct DepthUpdate: Equatable, Sendable {
    public enum Operation: UInt8, Sendable { case insert = 0, update = 1, delete = 2 }
    /// TWS numbering: 0 is the ask (offer) side, 1 the bid side.
    public enum Side: UInt8, Sendable { case ask = 0, bid = 1 }
    public var time: Int64
    public var symbol: Int
    public var exchange: Int
    /// Index into the market-maker list of the tape header (or IBKR's id, interned).
    public var marketMaker: Int
    public var position: Int
    public var operation: Operation
    public var side: Side
    public var price: Double
    public var size: Int
    public init(time: Int64, symbol: Int, exchange: Int, marketMaker: Int, position: Int, operation: Operation,
                side: Side, price: Double, size: Int) {
        self.time = time; self.symbol = symbol; self.exchange = exchange; self.marketMaker = marketMaker
        self.position = position; self.operation = operation; self.side = side; self.price = price; self.size = size
    }
}

/// A 5-second OHLCV bar. `time` is when the bar closed (it became known then); it covers
/// `[time − 5 s, time)`.
public struct Bar: Equatable, Sendable {
    public static let seconds: Int64 = 5
    public var time: Int64
    public var symbol: Int
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Int
    public var wap: Double
    public var count: Int
    public init(time: Int64, symbol: Int, open: Double, high: Double, low: Double, close: Double, volume: Int, wap: Double, count: Int) {
        self.time = time; self.symbol = symbol; self.open = open; self.high = high; self.low = low; self.close = close
        self.volume = volume; self.wap = wap; self.count = count
    }
    /// Start of the bar, epoch microseconds.
    public var start: Int64 { time - Bar.seconds * 1_000_000 }
}

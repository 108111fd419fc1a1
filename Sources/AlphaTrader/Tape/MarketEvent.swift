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

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
    public init(
        time: Int64, symbol: Int, exchange: Int, marketMaker: Int, position: Int, operation: Operation,
        side: Side, price: Double, size: Int
    ) {
        self.time = time; self.symbol = symbol; self.exchange = exchange; self.marketMaker = marketMaker
        self.position = position; self.operation = operation; self.side = side; self.price = price; self.size = size
    }
}

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

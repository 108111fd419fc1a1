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

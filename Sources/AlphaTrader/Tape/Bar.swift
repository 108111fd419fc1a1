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

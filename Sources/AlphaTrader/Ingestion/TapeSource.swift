/// A tape played as a source.
public final class TapeSource: MarketSource {
    public let reader: TapeReader
    public init(reader: TapeReader) { self.reader = reader }
    public var name: String { "replay" }
    public func next(notAfter: Int64) throws -> MarketEvent? {
        guard let t = reader.peekTime(), t <= notAfter else { return nil }
        return try reader.next()
    }
    public var nextTime: Int64? { reader.peekTime() }
    public var finished: Bool { reader.peekTime() == nil }
    public var connected: Bool { true }
    public var reconnects: Int { 0 }
    public var marketMakers: [String] { reader.header.marketMakers }
}

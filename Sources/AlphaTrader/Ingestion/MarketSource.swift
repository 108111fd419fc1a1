/// Where market events come from: a tape, or IBKR through the TWS API. One ingestion loop
/// serves both.
public protocol MarketSource: AnyObject {
    /// `replay` or `ibkr`.
    var name: String { get }
    /// The next event at or before `notAfter` (epoch µs), or nil when there is none yet.
    func next(notAfter: Int64) throws -> MarketEvent?
    /// Time of the next known event, when the source can tell (a tape can; a live feed cannot).
    var nextTime: Int64? { get }
    /// True when no event will ever come again (a tape played to its end).
    var finished: Bool { get }
    /// Whether the upstream feed is connected (a tape always is).
    var connected: Bool { get }
    /// Reconnections so far (a live feed).
    var reconnects: Int { get }
    /// Market-maker ids by the index depth updates carry (a live feed adds them as they come).
    var marketMakers: [String] { get }
}

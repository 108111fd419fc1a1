/// What the execution service reads each step besides the broker: the strategies' snapshots
/// and what other parts of the system set — the risk state an operator forced, the strategies
/// `market-open` enabled, discovery's correlations, a job's request. Live, that is Redis, read
/// in one pipeline by the service itself; a backtest gives the service an in-process feed
/// holding the same documents, written by the same analytics, discovery and jobs.
public protocol ExecutionFeed: AnyObject {
    /// Every symbol's snapshot (`SnapshotReader.symbol` over the documents) and the texts of
    /// `risk:state`, `strategies:enabled`, `discovery:correlation` and the next request, at `now`.
    func read(symbols: [String], now: Double) throws -> ExecutionFeedRead
    /// The service's answer to a request (`ExecutionRequest`), as JSON.
    func reply(to request: ExecutionRequest, _ json: String)
}

/// One step's read of an `ExecutionFeed`.
public struct ExecutionFeedRead: Sendable {
    public var snapshots: [String: SymbolSnapshot]
    public var riskState: String?
    public var enabled: String?
    public var correlations: String?
    public var request: String?
    public init(snapshots: [String: SymbolSnapshot], riskState: String?, enabled: String?, correlations: String?, request: String?) {
        self.snapshots = snapshots; self.riskState = riskState; self.enabled = enabled; self.correlations = correlations; self.request = request
    }
}

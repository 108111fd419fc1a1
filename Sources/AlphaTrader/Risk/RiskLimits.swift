/// The risk manager's limits (`risk:` in `config/strategies.yaml`): what one order, one position
/// and the book may be, and when the circuit breakers trip. Defaults for a $100,000 paper account.
public struct RiskLimits: Sendable, Equatable, Codable {
    /// Orders sent in any second, and in any minute.
    public var maxOrdersPerSecond = 5
    public var maxOrdersPerMinute = 60
    /// One order's size: shares, contracts, and dollars (premium × 100 for options).
    public var maxSharesPerOrder = 1_000
    public var maxContractsPerOrder = 20
    public var maxNotionalPerOrder = 25_000.0
    /// One position's size after the order.
    public var maxSharesPerPosition = 2_000
    public var maxContractsPerPosition = 50
    /// Open positions in all, and per underlying symbol.
    public var maxOpenPositions = 10
    public var maxOpenPositionsPerSymbol = 2
    /// A limit price may be this far through the NBBO (a fraction of the touch): stocks, options.
    public var collarStocks = 0.02
    public var collarOptions = 0.10
    /// Opening in the same direction as an open position whose underlying's returns correlate
    /// above this is refused.
    public var maxCorrelation = 0.85
    /// Portfolio value at risk after the order (95 %, one day, delta–gamma), dollars.
    public var maxValueAtRisk = 5_000.0

    // Circuit breakers.
    /// The day's loss (realized + unrealized) at which trading HALTs and the book is flattened.
    public var dailyLossLimit = 2_000.0
    /// The fall from the day's high-water mark at which trading is only REDUCING.
    public var maxDrawdown = 1_500.0
    /// This many losing trades in a row pause the strategy for `pauseAfterLosses` seconds.
    public var maxConsecutiveLosses = 3
    public var pauseAfterLosses = 1_800.0
    /// A market this extreme (VPIN at or above, or the volatility regime "high") cuts sizes by
    /// `extremeSizeFactor`.
    public var extremeVpin = 0.8
    public var extremeSizeFactor = 0.5

    public init() {}
}

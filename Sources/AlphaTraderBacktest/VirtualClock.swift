public import OrchestratorCore
import Synchronization

/// A backtest's clock: market time that moves only when the backtest moves it — from one tape
/// second to the next, or by what a component waits (a closing order's re-pricing, the TWS
/// pacing) — so that a day runs as fast as the machine allows and the same every time.
public final class VirtualClock: WallClock, Sendable {
    private let time: Mutex<Double>

    public init(_ start: Double) { time = Mutex(start) }

    public func now() -> Double { time.withLock { $0 } }

    /// Moves to `t` (never back).
    public func move(to t: Double) { time.withLock { $0 = max($0, t) } }

    /// Lets `seconds` pass.
    public func advance(by seconds: Double) { time.withLock { $0 += max(0, seconds) } }
}

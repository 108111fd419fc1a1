import Foundation

/// How a position is protected and taken off, decided at entry (SPEC §10, "position
/// mechanics"): a protective stop on all of it, targets that each take part of it (scaling out),
/// a stop that trails the best price on what no target takes (the runner), and a time by which
/// the position is closed whatever happened.
///
/// Everything protective lives at the broker: each leg is a bracket of its own — its part of the
/// entry, with a target and a stop as one-cancels-other children (TWS links the children of one
/// parent, so a leg cannot share its entry with another leg) — so that a position is protected
/// even when no process of ours is running. `PositionManager` only tightens stops (to break-even, trailing) and
/// closes on time or on request.
public struct ExitPlan: Sendable, Equatable, Codable {
    /// A distance from a price: dollars, or a percentage of that price.
    public enum Distance: Sendable, Equatable, Codable {
        case amount(Double)
        case percent(Double)

        public func of(_ price: Double) -> Double {
            switch self {
            case .amount(let a): return a
            case .percent(let p): return price * p / 100
            }
        }
    }

    /// A scale-out target: `fraction` of the entry's quantity, sold (bought, for a short) at `price`.
    public struct Target: Sendable, Equatable, Codable {
        public var price: Double
        public var fraction: Double
        public init(price: Double, fraction: Double) { self.price = price; self.fraction = fraction }
    }

    /// One part of an entry with its own exits: `target` nil is the runner (only a stop).
    public struct Leg: Sendable, Equatable {
        public var quantity: Int
        public var target: Double?
    }

    public var stop: Double
    public var targets: [Target]
    /// The runner's stop follows the best price since entry at this distance (never back).
    public var trail: Distance?
    /// The trail starts once the first target has filled (with no target, at entry).
    public var trailAfterFirstTarget: Bool
    /// Once the first target has filled, every remaining stop moves to at least the entry price.
    public var breakevenAfterFirstTarget: Bool
    /// Closed at this instant (seconds since the epoch), whatever the market did.
    public var timeStop: Double?

    /// How long the exits work at the broker: a plan with a time stop is closed within its day,
    /// and its exits are DAY orders; one without is held overnight (1DTE, 14DTE), and its exits
    /// are good till cancelled — a DAY stop would expire at the close and leave the position
    /// unprotected until the service runs again.
    public var exitsTimeInForce: OrderRequest.TimeInForce { timeStop == nil ? .goodTillCancelled : .day }

    public init(
        stop: Double, targets: [Target] = [], trail: Distance? = nil, trailAfterFirstTarget: Bool = true,
        breakevenAfterFirstTarget: Bool = true, timeStop: Double? = nil
    ) {
        self.stop = stop; self.targets = targets; self.trail = trail; self.trailAfterFirstTarget = trailAfterFirstTarget
        self.breakevenAfterFirstTarget = breakevenAfterFirstTarget; self.timeStop = timeStop
    }

    /// What is wrong with the plan for an entry on `side` near `price`, in words; empty when
    /// nothing is. A long's stop is below the price and its targets above (a short's the other
    /// way round), targets in the order they are reached, fractions that add up to at most all.
    public func problems(side: OrderRequest.Action, price: Double) -> [String] {
        var problems: [String] = []
        let sign = Double(side.sign)
        if !(stop > 0) || (price - stop) * sign <= 0 {
            problems.append("the stop \(stop) is not \(side == .buy ? "below" : "above") the entry price \(price)")
        }
        var last = price
        for (i, t) in targets.enumerated() {
            if (t.price - last) * sign <= 0 {
                problems.append(
                    "target \(i + 1) at \(t.price) is not \(side == .buy ? "above" : "below") \(i == 0 ? "the entry price" : "the target before it") \(last)")
            }
            if !(t.fraction > 0 && t.fraction <= 1) { problems.append("target \(i + 1)'s fraction \(t.fraction) is not in (0, 1]") }
            last = t.price
        }
        if targets.reduce(0, { $0 + $1.fraction }) > 1 + 1e-9 { problems.append("the targets' fractions add up to more than the whole position") }
        switch trail {
        case .amount(let a) where !(a > 0): problems.append("the trailing amount \(a) is not positive")
        case .percent(let p) where !(p > 0 && p < 100): problems.append("the trailing percentage \(p) is not in (0, 100)")
        default: break
        }
        return problems
    }

    /// The legs an entry of `quantity` is split into: one per target (its fraction of the
    /// quantity, rounded down but at least one, while any is left), then the runner with the
    /// rest. When the fractions add up to the whole, the last target takes what rounding left.
    public func legs(quantity: Int) -> [Leg] {
        var legs: [Leg] = []
        var left = quantity
        let whole = abs(targets.reduce(0, { $0 + $1.fraction }) - 1) < 1e-9
        for (i, t) in targets.enumerated() where left > 0 {
            var q = min(left, max(1, Int((t.fraction * Double(quantity) + 1e-9).rounded(.down))))
            if whole && i == targets.count - 1 { q = left }
            legs.append(Leg(quantity: q, target: t.price))
            left -= q
        }
        if left > 0 { legs.append(Leg(quantity: left, target: nil)) }
        return legs
    }
}

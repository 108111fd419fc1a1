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

/// A position entered with an exit plan, as the order path manages it: the entry, its legs'
/// orders at the broker and what has happened to them. A value: `PositionManager` decides on it,
/// the order path applies the decisions and records what the broker says.
public struct ManagedPosition: Sendable, Equatable {
    public enum LegState: String, Sendable, Equatable { case working, targetFilled, stopped, closed }

    public struct ManagedLeg: Sendable, Equatable {
        public var quantity: Int
        /// The leg's part of the entry (the parent of its target and stop).
        public var entryRef: String
        public var targetRef: String?
        public var stopRef: String
        /// The stop's price at the broker (as last sent).
        public var stop: Double
        public var state: LegState = .working

        public init(quantity: Int, entryRef: String, targetRef: String?, stopRef: String, stop: Double, state: LegState = .working) {
            self.quantity = quantity; self.entryRef = entryRef; self.targetRef = targetRef; self.stopRef = stopRef; self.stop = stop; self.state = state
        }
    }

    /// The journal's id of the position (its orders carry it); empty for one not journaled so.
    public var id = ""
    public let instrument: Instrument
    public let side: OrderRequest.Action
    public let plan: ExitPlan
    public var legs: [ManagedLeg]
    /// The entry's average fill price over the legs; nil until every leg's entry has filled.
    public var entryPrice: Double?
    /// The best price since entry: the highest for a long, the lowest for a short.
    public var best: Double?
    /// Closing (time stop or close now): nothing else is decided.
    public var closing = false

    public init(instrument: Instrument, side: OrderRequest.Action, plan: ExitPlan, legs: [ManagedLeg]) {
        self.instrument = instrument; self.side = side; self.plan = plan; self.legs = legs
    }

    /// The position as its orders in the journal describe it (after a restart): each entry with
    /// the target (a limit) and stop that are its children, the stop at its last price sent.
    /// States and the entry price come from `refresh`.
    public static func rebuild(id: String, instrument: Instrument, side: OrderRequest.Action, plan: ExitPlan, orders: [Journal.Order]) -> ManagedPosition {
        var legs: [ManagedLeg] = []
        for entry in orders where entry.parentRef == nil && entry.request.action == side {
            let children = orders.filter { $0.parentRef == entry.ref }
            guard let stop = children.first(where: { $0.request.kind.stopPrice != nil }) else { continue }
            let target = children.first { $0.request.kind.code == "LMT" }
            legs.append(
                ManagedLeg(
                    quantity: entry.request.quantity, entryRef: entry.ref, targetRef: target?.ref, stopRef: stop.ref,
                    stop: stop.request.kind.stopPrice ?? plan.stop))
        }
        var p = ManagedPosition(instrument: instrument, side: side, plan: plan, legs: legs)
        p.id = id
        return p
    }

    /// Every order of the position: per leg its entry, target (if any) and stop.
    public var refs: [String] { legs.flatMap { [$0.entryRef, $0.targetRef, $0.stopRef].compactMap { $0 } } }

    public var targetsFilled: Int { legs.filter { $0.state == .targetFilled }.count }
    /// What is still held (entry filled, legs not done).
    public var open: Int { entryPrice == nil ? 0 : legs.filter { $0.state == .working }.reduce(0) { $0 + $1.quantity } }
    public var isDone: Bool { closing || (entryPrice != nil && legs.allSatisfy { $0.state != .working }) }
}

/// The decisions of position management, as a pure function of the position, the last price and
/// the time: tested without a broker or a clock.
public enum PositionManager {
    public enum Instruction: Sendable, Equatable {
        /// Modify leg `leg`'s stop order to `price` (always tighter than before).
        case moveStop(leg: Int, to: Double)
        /// Cancel what is working and close what is held, now.
        case closeAll(reason: String)
    }

    /// What to do at price `last` (a trade, or the mid) at `now`; returns the position with its
    /// best price (and, for instructions given, the stops and closing flag) as they will be.
    public static func decide(_ position: ManagedPosition, last: Double, now: Double) -> (ManagedPosition, [Instruction]) {
        var p = position
        guard !p.closing else { return (p, []) }
        if let t = p.plan.timeStop, now >= t {
            p.closing = true
            return (p, [.closeAll(reason: "time stop")])
        }
        guard let entry = p.entryPrice, last > 0 else { return (p, []) }
        let long = p.side == .buy
        p.best = p.best.map { long ? max($0, last) : min($0, last) } ?? (long ? max(entry, last) : min(entry, last))
        let best = p.best!
        let afterFirst = p.targetsFilled > 0
        var instructions: [Instruction] = []
        for (i, leg) in p.legs.enumerated() where leg.state == .working {
            var stop = leg.stop
            func tighten(_ candidate: Double) { stop = long ? max(stop, candidate) : min(stop, candidate) }
            if p.plan.breakevenAfterFirstTarget && afterFirst { tighten(entry) }
            let trails = leg.targetRef == nil && (p.plan.targets.isEmpty || !p.plan.trailAfterFirstTarget || afterFirst)
            if let trail = p.plan.trail, trails {
                tighten(long ? best - trail.of(best) : best + trail.of(best))
            }
            // On the tick grid, on the protective side, and never through the market (a stop
            // there would trigger on the next trade: that is the target's or the close's job).
            let tick = TickSize.increment(for: p.instrument, at: stop)
            stop = TickSize.round(stop, for: p.instrument, up: !long)
            stop =
                long
                ? min(stop, TickSize.round(last - tick, for: p.instrument, up: false)) : max(stop, TickSize.round(last + tick, for: p.instrument, up: true))
            let tighter = long ? stop > leg.stop + tick / 2 : stop < leg.stop - tick / 2
            if tighter {
                p.legs[i].stop = stop
                instructions.append(.moveStop(leg: i, to: stop))
            }
        }
        return (p, instructions)
    }
}

import Foundation

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
        if p.legs.contains(where: { $0.state == .unprotected }) {
            p.closing = true
            return (p, [.closeAll(reason: "a stop was cancelled outside the service")])
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

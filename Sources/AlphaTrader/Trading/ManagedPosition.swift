import Foundation

/// A position entered with an exit plan, as the order path manages it: the entry, its legs'
/// orders at the broker and what has happened to them. A value: `PositionManager` decides on it,
/// the order path applies the decisions and records what the broker says.
public struct ManagedPosition: Sendable, Equatable {
    /// `unprotected`: the leg's entry filled and its stop is gone at the broker without filling
    /// (cancelled outside the service — an operator's `cancel`, the broker): what it holds is
    /// closed now.
    public enum LegState: String, Sendable, Equatable { case working, targetFilled, stopped, closed, unprotected }

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
    public var isDone: Bool { closing || (entryPrice != nil && legs.allSatisfy { $0.state != .working }) }
}

extension ManagedPosition {
    /// What its orders (by ref) say happened: the entry's fill price once every leg's entry has
    /// filled, each working leg's target or stop filled — or its stop gone without filling
    /// (`unprotected` when its entry filled, `closed` when it never did).
    public mutating func update(from orders: [String: Journal.Order]) {
        if entryPrice == nil {
            let entries = legs.compactMap { orders[$0.entryRef] }
            if entries.count == legs.count, entries.allSatisfy({ $0.status == "Filled" && $0.filled > 0 }) {
                let quantity = entries.reduce(0) { $0 + $1.filled }
                entryPrice = entries.reduce(0) { $0 + $1.averagePrice * Double($1.filled) } / Double(quantity)
            }
        }
        for i in legs.indices where legs[i].state == .working {
            if let ref = legs[i].targetRef, orders[ref]?.status == "Filled" {
                legs[i].state = .targetFilled
            } else if let stop = orders[legs[i].stopRef], stop.status == "Filled" {
                legs[i].state = .stopped
            } else if let stop = orders[legs[i].stopRef], !stop.isOpen {
                legs[i].state = (orders[legs[i].entryRef]?.filled ?? 0) > 0 ? .unprotected : .closed
            }
        }
    }

    /// What a position's orders hold and what they brought in: the signed quantity filled, and
    /// the cash — sells in, buys out, commissions out — its realized P&L once it holds nothing.
    public static func cash(of orders: [Journal.Order]) -> (held: Int, cash: Double) {
        var held = 0
        var cash = 0.0
        for o in orders where o.filled > 0 {
            let signed = o.request.action.sign * o.filled
            held += signed
            cash -= Double(signed) * o.averagePrice * o.request.instrument.multiplier + o.commission
        }
        return (held, cash)
    }
}

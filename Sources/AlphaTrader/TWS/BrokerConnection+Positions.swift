import Foundation

/// Position mechanics on the order path: entries with their exits at the broker, the manager's
/// decisions applied (stops tightened, time stops), and closing now — by marketable limit orders
/// inside the broker's price collars, re-priced until done (the kill switch uses the same).
extension BrokerConnection {
    /// Enters a position with `plan`'s exits (see `place(_:exits:)`) and returns it as the
    /// manager tracks it.
    public func enter(_ spec: OrderSpec, exits plan: ExitPlan, opening: Journal.Opening? = nil) throws -> ManagedPosition {
        let refs = try place(spec, exits: plan, opening: opening)
        var legs: [ManagedPosition.ManagedLeg] = []
        var next = 0
        for leg in plan.legs(quantity: spec.quantity) {
            let entryRef = refs[next]
            let targetRef = leg.target == nil ? nil : refs[next + 1]
            next += leg.target == nil ? 1 : 2
            legs.append(.init(quantity: leg.quantity, entryRef: entryRef, targetRef: targetRef, stopRef: refs[next], stop: plan.stop))
            next += 1
        }
        var position = ManagedPosition(instrument: spec.instrument, side: spec.action, plan: plan, legs: legs)
        position.id = spec.position ?? refs[0]
        return position
    }

    /// What the journal says happened to the position's orders (`ManagedPosition.update`).
    public func refresh(_ p: inout ManagedPosition) throws {
        var orders: [String: Journal.Order] = [:]
        for ref in p.refs { if let o = try journal.order(ref: ref) { orders[ref] = o } }
        p.update(from: orders)
    }

    /// One round of management at price `last`: refreshes the position from the journal, lets
    /// `PositionManager` decide, and carries the decisions out (stops modified at the broker, a
    /// time stop closed now). Returns what was decided.
    @discardableResult
    public func manage(_ p: inout ManagedPosition, last: Double, now: Double, reprice: Double = 2) throws -> [PositionManager.Instruction] {
        try refresh(&p)
        return try carryOut(PositionManager.decide(p, last: last, now: now), on: &p, reprice: reprice)
    }

    /// Carries out the manager's decision on `p` (stops modified at the broker, a time stop
    /// closed now) and leaves `p` as decided. Returns the instructions.
    @discardableResult
    public func carryOut(
        _ decided: (ManagedPosition, [PositionManager.Instruction]), on p: inout ManagedPosition, reprice: Double = 2
    ) throws -> [PositionManager.Instruction] {
        let (next, instructions) = decided
        for instruction in instructions {
            switch instruction {
            case .moveStop(let leg, let price):
                try modify(ref: next.legs[leg].stopRef, kind: .stop(trigger: price))
                log("stop moved", ["ref": next.legs[leg].stopRef, "to": TWSWire.number(price)])
            case .closeAll(let reason):
                p = next
                try closeNow(&p, reason: reason, reprice: reprice)
                return instructions
            }
        }
        p = next
        return instructions
    }

    /// Closes the position now (`closeNow(_:reasons:)` for one). Returns what could not be closed.
    @discardableResult
    public func closeNow(_ p: inout ManagedPosition, reason: String, rounds: Int = 5, reprice: Double = 2) throws -> Int {
        var batch = [p]
        let left = try closeNow(&batch, reasons: [reason], rounds: rounds, reprice: reprice)
        p = batch[0]
        return left[0]
    }

    /// Closes these positions now, together: everything working of them is cancelled (an entry
    /// takes its leg's exits with it) and waited for once, then what each holds — by its own
    /// fills, closing orders of earlier rounds included, as the broker's position may include
    /// others' — is closed by `flatten` in the same rounds, each closing order carrying its
    /// position's id and reason. Returns, per position, what could not be closed.
    @discardableResult
    public func closeNow(_ ps: inout [ManagedPosition], reasons: [String], rounds: Int = 5, reprice: Double = 2) throws -> [Int] {
        let refs = ps.flatMap(\.refs)
        for ref in refs where try journal.order(ref: ref)?.isOpen == true { try cancel(ref: ref) }
        try? wait(options.timeout, "the cancellations") { try refs.allSatisfy { try self.journal.order(ref: $0)?.isOpen == false } }
        var lots: [Lot: Int] = [:]
        var lotOf: [Lot?] = []
        for (i, reason) in zip(ps.indices, reasons) {
            ps[i].closing = true
            // Its orders: those journaled under its id (entries, exits, earlier closing rounds)
            // and its legs' own (a position entered without a journaled id has only these).
            var orders = ps[i].id.isEmpty ? [] : try journal.orders(position: ps[i].id)
            let known = Set(orders.map(\.ref))
            for ref in ps[i].refs where !known.contains(ref) { if let o = try journal.order(ref: ref) { orders.append(o) } }
            let held = ManagedPosition.cash(of: orders).held
            for leg in ps[i].legs.indices where [.working, .unprotected].contains(ps[i].legs[leg].state) { ps[i].legs[leg].state = .closed }
            log("closing a position", ["entry": ps[i].legs.first?.entryRef ?? "", "reason": reason, "held": String(held)])
            let lot = Lot(instrument: ps[i].instrument, position: ps[i].id.isEmpty ? nil : ps[i].id, reason: reason)
            lotOf.append(held == 0 ? nil : lot)
            if held != 0 { lots[lot, default: 0] += held }
        }
        guard !lots.isEmpty else { return ps.map { _ in 0 } }
        let remaining = try flatten(lots, rounds: rounds, reprice: reprice).remaining
        return lotOf.map { $0.map { remaining[$0] ?? 0 } ?? 0 }
    }

    /// What a closing order closes: an instrument, for a managed position or (nil) the account,
    /// and why (the order's strategy label).
    public struct Lot: Hashable, Sendable {
        public var instrument: Instrument
        public var position: String?
        public var reason: String
        public init(instrument: Instrument, position: String?, reason: String) { self.instrument = instrument; self.position = position; self.reason = reason }
    }

    /// Closes `positions` (instrument → signed quantity held) for the account (`flatten(_:rounds:reprice:)`).
    public func flatten(
        _ positions: [Instrument: Int], strategy: String, rounds: Int = 5, reprice: Double = 2
    ) throws -> (remaining: [Instrument: Int], orders: [String]) {
        let lots = Dictionary(positions.map { (Lot(instrument: $0.key, position: nil, reason: strategy), $0.value) }, uniquingKeysWith: +)
        let (remaining, orders) = try flatten(lots, rounds: rounds, reprice: reprice)
        return (Dictionary(remaining.map { ($0.key.instrument, $0.value) }, uniquingKeysWith: +), orders)
    }

    /// Closes `lots` (→ signed quantity held) by limit orders at the touch — marketable, and
    /// inside the broker's collars — all placed before any is waited for, re-priced at the new
    /// touch every `reprice` seconds, at most `rounds` times. Returns what is left open per lot
    /// (nothing when all closed), counted from these orders' own fills, and the orders' refs.
    public func flatten(_ lots: [Lot: Int], rounds: Int = 5, reprice: Double = 2) throws -> (remaining: [Lot: Int], orders: [String]) {
        var remaining = lots.filter { $0.value != 0 }
        var orders: [String] = []
        for round in 1...max(1, rounds) where !remaining.isEmpty {
            var placed: [(lot: Lot, ref: String)] = []
            for (lot, quantity) in remaining.sorted(by: {
                ($0.key.instrument.description, $0.key.position ?? "") < ($1.key.instrument.description, $1.key.position ?? "")
            }) {
                guard let quote = try quote(lot.instrument, timeout: 2), quote.bid > 0, quote.ask > 0 else {
                    log("no quote to close on; trying again next round", ["instrument": lot.instrument.description])
                    continue
                }
                let side: OrderRequest.Action = quantity > 0 ? .sell : .buy
                let price = TickSize.round(side == .sell ? quote.bid : quote.ask, for: lot.instrument)
                let ref = try place(
                    .init(
                        instrument: lot.instrument, action: side, quantity: abs(quantity), kind: .limit(price), strategy: lot.reason, position: lot.position))[
                        0]
                placed.append((lot, ref))
                orders.append(ref)
            }
            try? wait(reprice, "the closing fills") { try placed.allSatisfy { try self.journal.order(ref: $0.ref)?.isOpen == false } }
            for order in placed where try journal.order(ref: order.ref)?.isOpen == true { try cancel(ref: order.ref) }
            try? wait(options.timeout, "the re-pricing cancellations") { try placed.allSatisfy { try self.journal.order(ref: $0.ref)?.isOpen == false } }
            for order in placed {
                let filled = try journal.fills(ref: order.ref).reduce(0) { $0 + $1.action.sign * $1.quantity }
                remaining[order.lot, default: 0] += filled
            }
            remaining = remaining.filter { $0.value != 0 }
            log("closing round", ["round": String(round), "left": String(remaining.count)])
        }
        return (remaining, orders)
    }
}

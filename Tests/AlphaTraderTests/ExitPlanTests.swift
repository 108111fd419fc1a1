import AlphaTrader
import Testing

@Suite("Exit plans and position management, decided without a broker")
struct ExitPlanTests {
    let spy = Instrument.stock(symbol: "SPY")

    @Test(
        "an entry is split into legs: each target its fraction (rounded down, at least one), the runner the rest",
        arguments: [
            (10, [0.5], [5, 5], [true, false]),
            (10, [0.5, 0.5], [5, 5], [true, true]),
            (10, [1.0], [10], [true]),
            (7, [0.5], [3, 4], [true, false]),
            (7, [0.5, 0.5], [3, 4], [true, true]),  // fractions adding up to all: the last target takes what rounding left
            (1, [0.5], [1], [true]),  // too small to scale out: all of it at the first target
            (10, [], [10], [false]),  // no target: one leg, only a stop
            (3, [0.2, 0.2, 0.2], [1, 1, 1], [true, true, true]),
        ])
    func legs(quantity: Int, fractions: [Double], quantities: [Int], hasTarget: [Bool]) {
        let plan = ExitPlan(stop: 590, targets: fractions.enumerated().map { .init(price: 601 + Double($0.offset), fraction: $0.element) })
        let legs = plan.legs(quantity: quantity)
        #expect(legs.map(\.quantity) == quantities)
        #expect(legs.map { $0.target != nil } == hasTarget)
        #expect(legs.reduce(0) { $0 + $1.quantity } == quantity)
    }

    @Test(
        "a plan that cannot work is refused in words",
        arguments: [
            (OrderRequest.Action.buy, ExitPlan(stop: 601, targets: [.init(price: 610, fraction: 1)]), "the stop 601.0 is not below"),
            (.sell, ExitPlan(stop: 599, targets: [.init(price: 590, fraction: 1)]), "the stop 599.0 is not above"),
            (.buy, ExitPlan(stop: 590, targets: [.init(price: 598, fraction: 1)]), "target 1 at 598.0 is not above"),
            (.buy, ExitPlan(stop: 590, targets: [.init(price: 605, fraction: 0.5), .init(price: 603, fraction: 0.5)]), "target 2 at 603.0"),
            (.buy, ExitPlan(stop: 590, targets: [.init(price: 605, fraction: 0.7), .init(price: 606, fraction: 0.7)]), "add up to more"),
            (.buy, ExitPlan(stop: 590, targets: [.init(price: 605, fraction: 0)]), "fraction 0.0 is not in"),
            (.buy, ExitPlan(stop: 590, trail: .percent(120)), "trailing percentage 120.0"),
            (.buy, ExitPlan(stop: 590, trail: .amount(-1)), "trailing amount -1.0"),
        ])
    func problems(side: OrderRequest.Action, plan: ExitPlan, expected: String) {
        let problems = plan.problems(side: side, price: 600)
        #expect(problems.contains { $0.contains(expected) }, "\(problems)")
    }

    @Test("a sound plan has no problems, long or short")
    func soundPlans() {
        #expect(ExitPlan(stop: 590, targets: [.init(price: 605, fraction: 0.5)], trail: .amount(1)).problems(side: .buy, price: 600).isEmpty)
        #expect(ExitPlan(stop: 610, targets: [.init(price: 595, fraction: 0.5)], trail: .percent(0.5)).problems(side: .sell, price: 600).isEmpty)
    }

    func position(_ side: OrderRequest.Action, plan: ExitPlan, entry: Double? = 600, states: [ManagedPosition.LegState]? = nil) -> ManagedPosition {
        var legs = plan.legs(quantity: 10).enumerated().map { i, leg in
            ManagedPosition.ManagedLeg(quantity: leg.quantity, entryRef: "e\(i)", targetRef: leg.target.map { _ in "t\(i)" }, stopRef: "s\(i)", stop: plan.stop)
        }
        for (i, s) in (states ?? []).enumerated() { legs[i].state = s }
        var p = ManagedPosition(instrument: spy, side: side, plan: plan, legs: legs)
        p.entryPrice = entry
        return p
    }

    @Test("the runner's stop trails the best price, a long's upward and a short's downward, and never moves back")
    func trails() {
        let long = ExitPlan(stop: 590, trail: .amount(2))
        var (p, moves) = PositionManager.decide(position(.buy, plan: long), last: 603, now: 0)
        #expect(moves == [.moveStop(leg: 0, to: 601)])
        (p, moves) = PositionManager.decide(p, last: 602, now: 0)
        #expect(moves.isEmpty && p.legs[0].stop == 601, "a lower price leaves the stop where it is")
        (p, moves) = PositionManager.decide(p, last: 605.5, now: 0)
        #expect(moves == [.moveStop(leg: 0, to: 603.5)] && p.best == 605.5)

        let short = ExitPlan(stop: 610, trail: .percent(0.5))
        (p, moves) = PositionManager.decide(position(.sell, plan: short), last: 590, now: 0)
        #expect(moves == [.moveStop(leg: 0, to: 592.95)], "590 + 0.5 % = 592.95")
        (p, moves) = PositionManager.decide(p, last: 595, now: 0)
        #expect(moves.isEmpty)
    }

    @Test("scaling out: before the first target nothing trails; after it the stops go to break-even and the runner trails")
    func scalesOut() {
        let plan = ExitPlan(stop: 590, targets: [.init(price: 605, fraction: 0.5)], trail: .amount(3))
        var (p, moves) = PositionManager.decide(position(.buy, plan: plan), last: 604, now: 0)
        #expect(moves.isEmpty, "the trail waits for the first target")
        (p, moves) = PositionManager.decide(position(.buy, plan: plan, states: [.targetFilled]), last: 606, now: 0)
        #expect(moves == [.moveStop(leg: 1, to: 603)], "best 606 − 3 is above break-even (600)")
        let noTrail = ExitPlan(stop: 590, targets: [.init(price: 605, fraction: 0.5)])
        (p, moves) = PositionManager.decide(position(.buy, plan: noTrail, states: [.targetFilled]), last: 606, now: 0)
        #expect(moves == [.moveStop(leg: 1, to: 600)], "break-even")
        let early = ExitPlan(stop: 590, targets: [.init(price: 605, fraction: 0.5)], trail: .amount(3), trailAfterFirstTarget: false)
        (p, moves) = PositionManager.decide(position(.buy, plan: early), last: 604, now: 0)
        #expect(moves == [.moveStop(leg: 1, to: 601)], "only the runner trails; the target's leg keeps its stop")
        _ = p
    }

    @Test("a stop is never put through the market, and stays on the tick grid")
    func neverThroughTheMarket() {
        let plan = ExitPlan(stop: 590, targets: [.init(price: 605, fraction: 0.5)])
        // After the first target, break-even (600) would be above a market that fell back to 599.5.
        let (p, moves) = PositionManager.decide(position(.buy, plan: plan, states: [.targetFilled]), last: 599.5, now: 0)
        #expect(moves == [.moveStop(leg: 1, to: 599.49)])
        #expect(p.legs[1].stop == 599.49)
        let odd = ExitPlan(stop: 590, trail: .amount(1.005))
        let (_, m2) = PositionManager.decide(position(.buy, plan: odd), last: 603, now: 0)
        #expect(m2 == [.moveStop(leg: 0, to: 601.99)], "601.995 rounded down for a sell stop")
    }

    @Test("the time stop closes everything at its time, once; nothing is decided before the entry fills or after closing")
    func timeStop() {
        let plan = ExitPlan(stop: 590, trail: .amount(2), timeStop: 1_000)
        var (p, moves) = PositionManager.decide(position(.buy, plan: plan), last: 603, now: 999)
        #expect(moves == [.moveStop(leg: 0, to: 601)])
        (p, moves) = PositionManager.decide(p, last: 610, now: 1_000)
        #expect(moves == [.closeAll(reason: "time stop")] && p.closing)
        (p, moves) = PositionManager.decide(p, last: 620, now: 1_001)
        #expect(moves.isEmpty)
        let (_, none) = PositionManager.decide(position(.buy, plan: ExitPlan(stop: 590, trail: .amount(2)), entry: nil), last: 650, now: 0)
        #expect(none.isEmpty, "no entry price, nothing to trail")
    }
}

import Foundation

/// From a signal to an order the execution service may send: the size from the strategy's
/// sizing (contracts within the premium budget, or shares; cut in an extreme market), a limit at
/// the signal's entry, the exits as an `ExitPlan` (stop, scale-out targets with their fractions,
/// the runner's trail, the time stop) — and the risk manager's decision on it. Pure: the runner
/// sends what is allowed and journals every decision.
public enum EntryPlanner {
    public enum Plan: Sendable, Equatable {
        case send(ProposedOrder, ExitPlan, RiskDecision)
        /// The order refused is the one that would have gone out (quantity 0 when its size
        /// rounds to none), recorded with the decision.
        case refuse(ProposedOrder, RiskDecision)
    }

    public static func plan(_ signal: Signal, config: StrategyConfig, limits: RiskLimits, context: RiskContext) -> Plan {
        let instrument = signal.tradable
        let factor = context.sizeFactor
        let quantity: Int
        if instrument.isOption {
            let perContract = signal.entry * 100
            let affordable = perContract > 0 ? Int((config.sizing.maxPremium / perContract).rounded(.down)) : 0
            quantity = Int((Double(min(config.sizing.contracts, affordable)) * factor).rounded(.down))
        } else {
            quantity = Int((Double(config.sizing.shares) * factor).rounded(.down))
        }
        let order = ProposedOrder(
            strategy: signal.strategy, instrument: instrument, action: signal.entryAction, quantity: quantity, limitPrice: signal.entry)
        guard quantity > 0 else {
            let reason =
                instrument.isOption && signal.entry * 100 > config.sizing.maxPremium
                ? String(format: "one contract at %.2f is over the strategy's premium budget of $%.0f", signal.entry, config.sizing.maxPremium)
                : String(format: "sizes are cut to %.0f %% in an extreme market: the strategy's size rounds to none", factor * 100)
            return .refuse(order, RiskDecision(allowed: false, check: .orderSize, reason: reason))
        }
        let decision = PreTradeRisk.check(order, limits: limits, context: context)
        guard decision.allowed else { return .refuse(order, decision) }
        let fractions = config.exits.targets.map(\.fraction)
        let targets = zip(signal.targets, fractions).map { ExitPlan.Target(price: $0.0, fraction: $0.1) }
        // At the minute itself: `now` to the start of its minute (zones are whole minutes apart from UTC).
        let minuteStart = (context.now / 60).rounded(.down) * 60
        let timeStop = config.exits.timeStop.map { minuteStart + Double($0 - context.minuteOfDay) * 60 }
        let plan = ExitPlan(
            stop: signal.stop, targets: targets, trail: config.exits.trailPercent.map { .percent($0) }, trailAfterFirstTarget: true,
            breakevenAfterFirstTarget: true, timeStop: timeStop)
        let problems = plan.problems(side: order.action, price: signal.entry)
        guard problems.isEmpty else {
            return .refuse(order, RiskDecision(allowed: false, check: nil, reason: "the signal's exits cannot work: " + problems.joined(separator: "; ")))
        }
        return .send(order, plan, decision)
    }
}

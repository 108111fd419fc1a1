import AlphaTrader
import Testing

@Suite("Circuit breakers on a scripted day")
struct CircuitBreakerTests {
    let limits = RiskLimits()

    @Test("losing trades in a row pause the strategy; a win resets the count; other strategies are not touched")
    func losingStreak() {
        var s = BreakerState(since: 0)
        var events: [BreakerEvent] = []
        for (i, pnl) in [-50.0, -20, 30, -10, -10].enumerated() {
            (s, events) = CircuitBreakers.tradeClosed(s, strategy: "0dte", pnl: pnl, limits: limits, now: Double(i))
            #expect(events.isEmpty, "trade \(i)")
        }
        #expect(s.consecutiveLosses["0dte"] == 2 && s.trades == 5 && s.losses == 4)
        (s, events) = CircuitBreakers.tradeClosed(s, strategy: "moc", pnl: -5, limits: limits, now: 10)
        #expect(events.isEmpty)
        (s, events) = CircuitBreakers.tradeClosed(s, strategy: "0dte", pnl: -1, limits: limits, now: 100)
        #expect(events == [.paused(strategy: "0dte", until: 1_900, reason: "3 losing trades in a row; paused 30 minutes")])
        #expect(s.pausedUntil["0dte"] == 1_900 && s.pausedUntil["moc"] == nil && s.consecutiveLosses["0dte"] == 0)
    }

    @Test("the day's P&L: a drawdown from the high makes trading REDUCING, the loss limit HALTS it, and it never relaxes")
    func pnlBreakers() {
        var s = BreakerState(since: 0)
        var events: [BreakerEvent] = []
        (s, events) = CircuitBreakers.pnl(s, total: 900, limits: limits, now: 1)
        #expect(events.isEmpty && s.state == .active && s.highWater == 900)
        (s, events) = CircuitBreakers.pnl(s, total: -600, limits: limits, now: 2)
        #expect(events == [.reducing(reason: "down $1500.00 from the day's high of $900.00 (limit $1500)")] && s.state == .reducing)
        (s, events) = CircuitBreakers.pnl(s, total: 800, limits: limits, now: 3)
        #expect(events.isEmpty && s.state == .reducing, "a recovery does not lift REDUCING the same day")
        (s, events) = CircuitBreakers.pnl(s, total: -2_000, limits: limits, now: 4)
        #expect(events == [.halted(reason: "the day's loss $2000.00 reached the limit $2000")] && s.state == .halted && s.since == 4)
        (s, events) = CircuitBreakers.pnl(s, total: -2_500, limits: limits, now: 5)
        #expect(events.isEmpty && s.state == .halted && s.since == 4, "halted once")
        #expect(s.highWater == 900 && s.pnl == -2_500, "the state keeps the day's high and its P&L")
        // Straight to HALTED from ACTIVE when the loss comes at once.
        let (t, e) = CircuitBreakers.pnl(BreakerState(), total: -2_100, limits: limits, now: 9)
        #expect(t.state == .halted && e.count == 1)
        #expect(
            PreTradeRisk.check(
                ProposedOrder(strategy: nil, instrument: .stock(symbol: "SPY"), action: .buy, quantity: 1, limitPrice: nil), limits: limits,
                context: RiskContext(state: t.state, now: 9, minuteOfDay: 600, buyingPower: 1e6)
            ).check == .tradingState)
    }

    @Test("an extreme market cuts sizes while it lasts: by VPIN, by the volatility regime")
    func extremeMarket() {
        var s = BreakerState()
        var events: [BreakerEvent] = []
        (s, events) = CircuitBreakers.market(s, vpin: 0.85, highVolatility: [], limits: limits)
        #expect(events == [.sizeCut(factor: 0.5, reason: "VPIN 0.85 at or above 0.80")] && s.sizeFactor == 0.5)
        (s, events) = CircuitBreakers.market(s, vpin: 0.3, highVolatility: ["TSLA"], limits: limits)
        #expect(events.isEmpty && s.sizeFactor == 0.5, "still extreme: the regime")
        (s, events) = CircuitBreakers.market(s, vpin: 0.3, highVolatility: [], limits: limits)
        #expect(events == [.sizeRestored] && s.sizeFactor == 1)
        (s, events) = CircuitBreakers.market(s, vpin: 0.2, highVolatility: ["NVDA", "AMD"], limits: limits)
        #expect(events == [.sizeCut(factor: 0.5, reason: "high volatility regime on AMD, NVDA")])
    }
}

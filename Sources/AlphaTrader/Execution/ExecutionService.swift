import Foundation
public import OrchestratorCore
public import Redis

/// The execution service (`alphatrader execute`, SPEC §10): on every market second it reads the
/// analytics (one pipeline), manages the open positions (stops tightened, time stops, entries
/// that did not fill), runs the circuit breakers on the day's P&L and the market, runs the
/// enabled strategies, passes their signals through the risk manager and enters what is allowed
/// with its exits at the broker — and writes its heartbeat, state and mirror.
///
/// Restart-safe: every entry is a managed position in the journal, written before its orders,
/// and every order carries the position's id; a restarted service rebuilds its positions from
/// the journal (reconciled with the broker on connect) and the day's breaker state from the
/// journal, so nothing is sent twice and a HALTED book stays halted.
public final class ExecutionService {
    public struct Options: Sendable {
        /// Market seconds an entry works before what is left of it is cancelled.
        public var entryTimeout = 120.0
        /// A quote older than this many market seconds is stale: nothing is traded on it.
        public var staleAfter = 30.0
        /// At most one evaluation per this many real seconds (under an accelerated clock a
        /// market second can be a millisecond: the feed handler needs that CPU more).
        public var minRealInterval = 0.02
        /// A strategy that signalled on a symbol waits this many market seconds before it may
        /// signal there again (unless it holds a position there, which blocks it anyway).
        public var signalCooldown = 300.0
        /// How far through the model's price an entry's limit goes to be marketable: options,
        /// stocks (fractions of the price; inside the risk manager's collars).
        public var marketableOptions = 0.05
        public var marketableStocks = 0.002
        public init() {}
    }

    public struct Report: Sendable, Equatable {
        public var steps = 0
        public var signals = 0
        public var entries = 0
        public var refusals = 0
        public var closed = 0
        public var wins = 0
        public var realized = 0.0
    }

    private let context: AlphaContext
    private let config: StrategiesConfig
    public let broker: BrokerConnection
    var journal: Journal { broker.journal }
    private let options: Options
    private let symbols: [String]
    private let zone: ZoneRules
    public private(set) var report = Report()
    /// The day's breakers (ACTIVE / REDUCING / HALTED, pauses, size cut, P&L and its high).
    public private(set) var breakers = BreakerState()
    public private(set) var positions: [ManagedPosition] = []
    private var records: [String: Journal.PositionRecord] = [:]
    private var session = ""
    private var expiries: (today: StrategySnapshot.Expiry, next: StrategySnapshot.Expiry, twoWeeks: StrategySnapshot.Expiry)?
    private var enabled: Set<String> = []
    private var enabledText: String?
    private var enabledSession = ""
    private var correlations: [String: [String: Double]] = [:]
    private var correlationText: String?
    /// Strategy → symbol → until when it may not signal there again.
    private var cooldown: [String: [String: Double]] = [:]
    private var submissions: [Double] = []
    private var dayRealized = 0.0
    /// Each open position's (held, cash) as its orders stood at this step.
    private var cash: [String: (held: Int, cash: Double)] = [:]
    /// Each symbol's last price the service read (an expired option settles on its underlying's).
    private var underlyings: [String: Double] = [:]
    /// The risk state last written to `risk:state`.
    private var writtenState: RiskStateDocument.State?
    private var redis: RedisClient?
    private var lastStep = -Double.infinity
    private var lastStepReal = Date.distantPast
    private var lastMirror = Date.distantPast
    private var lastBeat = -Double.infinity
    private var flattenedForHalt = false
    private var stale: Set<String> = []
    /// A job's request read with the step's snapshot, answered at the step's end.
    private var request: String?
    /// Strategy → symbol → the skip reason's words last logged, and when.
    private var skipped: [String: [String: (words: String, time: Double)]] = [:]
    /// Signals acted on by this process (the journal's open positions block the rest after a restart).
    private var acted: Set<String> = []
    /// Signal → the entry's orders on the wire, real seconds, per entry (for the benchmark).
    public private(set) var signalToWire: [Double] = []
    /// Each step's real duration, seconds (the last 100,000).
    public private(set) var stepTimes: [Double] = []

    /// Where the snapshots and the other services' documents come from: nil is Redis (live).
    private let feed: (any ExecutionFeed)?

    /// - Parameter feed: nil reads Redis (`context.redisURL`) and mirrors the book there; a
    ///   backtest's in-process feed instead (nothing is written to Redis then).
    public init(
        context: AlphaContext, config: StrategiesConfig, broker: BrokerConnection, options: Options = Options(), feed: (any ExecutionFeed)? = nil
    ) {
        self.context = context; self.config = config; self.broker = broker; self.options = options; self.feed = feed
        symbols = context.config.symbols.all
        zone = ZoneRules.of(context.config.calendar.timeZone)
    }

    // MARK: Running

    /// Runs until SIGTERM (or `until` returns true): one step as each market second begins (the
    /// seconds a backtest steps on), at most one per `minRealInterval` of real time; then stops
    /// cleanly.
    public func run(until: () -> Bool = { false }) throws {
        try start()
        var backoff = 0.1
        while !StopSignal.requested && !until() {
            do {
                try broker.poll(0.002)
                let now = context.clock.now()
                guard now.rounded(.down) > lastStep.rounded(.down) || now < lastStep - 5, Date().timeIntervalSince(lastStepReal) >= options.minRealInterval
                else { continue }
                let started = Date()
                try step(now: now)
                stepTimes.append(Date().timeIntervalSince(started))
                if stepTimes.count > 100_000 { stepTimes.removeFirst(50_000) }
                backoff = 0.1
            } catch let failure as RedisClient.Failure {
                redis = nil
                context.log("redis unavailable; nothing is traded until it is back", ["error": failure.description])
                usleep(UInt32(backoff * 1_000_000))
                backoff = min(backoff * 2, 2)
            }
        }
        stop()
    }

    /// Loads the day (breakers, positions) from the journal and subscribes to the account.
    public func start() throws {
        broker.whileWaiting = { [unowned self] in
            if let redis { try? self.beat(redis, now: self.context.clock.now(), mirror: false) }
        }
        broker.onExternalFill = { [unowned self] fill in self.alertExternal(fill) }
        // Alive from the first moment: the account and the journal may take a while to read.
        if let client = try? redisClient() { try? beat(client, now: context.clock.now(), mirror: false) }
        try broker.subscribeAccount()
        try loadDay(now: context.clock.now())
        context.log(
            "started",
            [
                "session": session, "state": breakers.state.rawValue, "positions": String(positions.count),
                "buying_power": String(format: "%.0f", broker.accountValues["BuyingPower"] ?? 0),
            ])
    }

    /// One market second of work at `now`.
    public func step(now: Double) throws {
        let wentBack = now < lastStep - 5
        if wentBack { context.log("the clock went back; the day is read again", ["by": String(format: "%.0f s", lastStep - now)]) }
        if now - lastStep > 600 && lastStep.isFinite { context.log("the clock jumped ahead", ["by": String(format: "%.0f s", now - lastStep)]) }
        lastStep = now
        lastStepReal = Date()
        report.steps += 1
        if wentBack || dayCode(now) != session { try loadDay(now: now) }
        let client = feed == nil ? try redisClient() : nil
        let snapshots = try readMarket(client, now: now)
        try managePositions(now: now)
        try runBreakers(now: now, snapshots: snapshots)
        if breakers.state == .halted {
            try flattenForHalt(now: now)
        } else {
            try trade(now: now, snapshots: snapshots)
        }
        try answerRequests(client, now: now, snapshots: snapshots)
        if let client { try beat(client, now: now) }
    }

    /// Working entries cancelled (they take their exits with them); positions that hold
    /// something keep their protective orders at the broker.
    public func stop() {
        for p in positions where p.entryPrice == nil {
            for leg in p.legs where (try? journal.order(ref: leg.entryRef))??.isOpen == true {
                try? broker.cancel(ref: leg.entryRef)
            }
        }
        let entries = positions.filter { $0.entryPrice == nil }.flatMap { $0.legs.map(\.entryRef) }
        try? broker.wait(2, "the entries' cancellations") { try entries.allSatisfy { try self.journal.order(ref: $0)?.isOpen != true } }
        try? persist(now: context.clock.now())
        publishMirror(force: true)
        let sorted = stepTimes.sorted()
        func ms(_ q: Double) -> String { sorted.isEmpty ? "-" : String(format: "%.2f", sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] * 1000) }
        context.log(
            "stopping",
            [
                "signals": String(report.signals), "entries": String(report.entries), "closed": String(report.closed),
                "realized": String(format: "%.2f", report.realized), "state": breakers.state.rawValue, "steps": String(report.steps),
                "step_p50_ms": ms(0.5), "step_p99_ms": ms(0.99), "step_max_ms": ms(1),
            ])
    }

    // MARK: The day

    func dayCode(_ now: Double) -> String { zone.localDate(of: Int64(now)).description }

    func minuteOfDay(_ now: Double) -> Int { zone.minuteOfDay(of: Int64(now)) }

    /// The session's breakers (journal, else Redis's `risk:daily` of the same session, else a
    /// fresh ACTIVE day), the open positions rebuilt from their orders, the day's realized P&L.
    private func loadDay(now: Double) throws {
        session = dayCode(now)
        let day = zone.localDate(of: Int64(now))
        expiries = try? OptionExpiries.forStrategies(on: day, calendar: context.config.calendar)
        if let text = try journal.riskDay(session: session), let daily = RiskDailyDocument.read(text) {
            breakers = daily.breakers
        } else if let text = try? redisClient().command(["GET", RiskDailyDocument.key]).text, let daily = RiskDailyDocument.read(text),
            daily.session == session
        {
            breakers = daily.breakers
        } else {
            breakers = BreakerState(since: now)
        }
        flattenedForHalt = false
        positions = []
        records = [:]
        for record in try journal.managedPositions(open: true) {
            let orders = try journal.orders(position: record.id)
            var p = ManagedPosition.rebuild(id: record.id, instrument: record.instrument, side: record.side, plan: record.plan, orders: orders)
            p.update(from: Dictionary(orders.map { ($0.ref, $0) }, uniquingKeysWith: { a, _ in a }))
            positions.append(p)
            records[record.id] = record
            try broker.watch(record.instrument)
        }
        let start = Double(zone.instant(of: day, secondsOfDay: 0))
        dayRealized = try journal.managedPositions().filter { ($0.closedAt ?? 0) >= start }.reduce(0) { $0 + ($1.realizedPnL ?? 0) }
        context.log("the day", ["session": session, "state": breakers.state.rawValue, "open_positions": String(positions.count)])
    }

    private func redisClient() throws -> RedisClient {
        if let redis { return redis }
        guard feed == nil else { throw RedisClient.Failure(code: .connect, description: "no Redis: the service reads an in-process feed") }
        let client = try RedisClient(url: context.redisURL, timeout: 2)
        redis = client
        return client
    }

    // MARK: Reading the market

    /// The snapshots of every symbol (one pipeline), the risk state an operator may have set
    /// (`alphatrader emergency`), the strategies `market-open` enabled and the discovered
    /// correlations. A symbol whose quote is stale is left out, and said so when that changes.
    private func readMarket(_ client: RedisClient?, now: Double) throws -> [String: SymbolSnapshot] {
        let read: ExecutionFeedRead
        if let feed {
            read = try feed.read(symbols: symbols, now: now)
        } else if let client {
            // One round trip: the snapshots, the state others set, a job's request, the heartbeat
            // (Redis serves the feed handler first under an accelerated clock: each trip costs).
            let r = try SnapshotReader.read(
                client, symbols: symbols,
                with: [
                    ["GET", RiskStateDocument.key], ["GET", EnabledStrategiesDocument.key], ["GET", CorrelationDocument.key],
                    ["LPOP", ExecutionRequest.queue], ["SET", "module:heartbeat:execution", heartbeat(now)],
                ])
            read = ExecutionFeedRead(
                snapshots: r.snapshots, riskState: r.extra[0].text, enabled: r.extra[1].text, correlations: r.extra[2].text, request: r.extra[3].text)
            lastBeat = now
        } else {
            return [:]
        }
        var snapshots = read.snapshots
        for (symbol, x) in snapshots { underlyings[symbol] = x.price }
        request = read.request
        if let state = RiskStateDocument.read(read.riskState), state.state == .halted, breakers.state != .halted {
            announce([.halted(reason: "risk:state set HALTED from outside: \(state.reason)")], now: now)
            breakers.state = .halted
            breakers.reason = state.reason
            breakers.since = now
        }
        // Parsed when it changes (a JSON decode every step cost more than the strategies).
        if read.enabled != enabledText || session != enabledSession {
            enabledText = read.enabled
            enabledSession = session
            let doc = EnabledStrategiesDocument.read(read.enabled)
            enabled = doc?.session == session ? Set(doc!.strategies) : []
        }
        if read.correlations != correlationText {
            correlationText = read.correlations
            correlations = CorrelationDocument.read(read.correlations)?.pairs ?? [:]
        }
        var nowStale: Set<String> = []
        for (symbol, x) in snapshots where now - (x.updated ?? 0) > options.staleAfter {
            nowStale.insert(symbol)
            snapshots[symbol] = nil
        }
        if nowStale != stale {
            let age = nowStale.sorted().map { s in String(format: "%@ %.0f s", s, now - (read.snapshots[s]?.updated ?? 0)) }
            if !nowStale.isEmpty { context.log("stale quotes: no trade on them", ["symbols": age.joined(separator: ", ")]) }
            if nowStale.isEmpty && !stale.isEmpty { context.log("quotes fresh again") }
            stale = nowStale
        }
        return snapshots
    }

    // MARK: Positions

    /// Each position, from its orders in the journal (one read): an entry refused, cancelled or
    /// not filled in time closed with what it filled, the rest managed at its mark (stops
    /// tightened, time stop), and a finished one closed in the journal with its P&L — which the
    /// breakers see.
    private func managePositions(now: Double) throws {
        var managed: [(position: ManagedPosition, orders: [Journal.Order]?)] = []
        var closing: [ManagedPosition] = []
        var reasons: [String] = []
        for var p in positions {
            let orders = try journal.orders(position: p.id)
            p.update(from: Self.byRef(orders))
            let entriesDead = p.entryPrice == nil && p.legs.allSatisfy { leg in orders.first { $0.ref == leg.entryRef }?.isOpen == false }
            let openedAt = records[p.id]?.openedAt ?? now
            if p.entryPrice == nil && !p.closing && (entriesDead || now - openedAt > options.entryTimeout) {
                closing.append(p)
                reasons.append(entriesDead ? "entry refused or cancelled" : "entry not filled in time")
                continue
            }
            guard let mark = broker.mark(p.instrument) else {
                managed.append((p, orders))
                continue
            }
            let (next, instructions) = PositionManager.decide(p, last: mark, now: now)
            if case .closeAll(let reason)? = instructions.first(where: { if case .closeAll = $0 { return true } else { return false } }) {
                closing.append(next)
                reasons.append(reason)
                continue
            }
            try broker.carryOut((next, instructions), on: &p, reprice: closingReprice)
            managed.append((p, instructions.isEmpty ? orders : nil))
        }
        // What closes this second closes together: one wait for the cancellations, one set of rounds.
        if !closing.isEmpty {
            try broker.closeNow(&closing, reasons: reasons, reprice: closingReprice)
            managed += closing.map { ($0, nil) }
        }
        cash = [:]
        positions = []
        for (position, read) in managed {
            var p = position
            let orders = try read ?? journal.orders(position: p.id)
            if try finish(&p, orders: orders, now: now) { continue }
            cash[p.id] = ManagedPosition.cash(of: orders)
            positions.append(p)
        }
    }

    static func byRef(_ orders: [Journal.Order]) -> [String: Journal.Order] {
        Dictionary(orders.map { ($0.ref, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Real seconds a closing order works before it is re-priced: two market seconds, at least
    /// 50 ms.
    var closingReprice: Double { max(0.05, 2 / context.speed) }

    /// Closes the position in the journal once none of its orders is working and it holds
    /// nothing. What it still holds with nothing working — its exits gone, or what a closing
    /// round could not close — is closed now, and again each second until nothing is left.
    private func finish(_ p: inout ManagedPosition, orders: [Journal.Order], now: Double) throws -> Bool {
        guard !orders.contains(where: \.isOpen) else { return false }
        let (held, cash) = ManagedPosition.cash(of: orders)
        guard held == 0 else {
            switch Self.expiry(of: p.instrument, underlying: underlyings[p.instrument.symbol], now: now, calendar: context.config.calendar) {
            case .settles(let value):
                try close(p, reason: value == 0 ? "expired worthless" : "expired in the money", pnl: cash + value * Double(held), now: now)
                return true
            case .unpriced: return false
            case .trading: break
            }
            try broker.closeNow(&p, reason: "what is left of the position", reprice: closingReprice)
            return false
        }
        let filled = orders.contains { $0.filled > 0 }
        let reason =
            !filled ? "never filled" : p.legs.contains { $0.state == .stopped } ? "stopped" : p.targetsFilled == p.legs.count ? "targets" : "closed"
        try close(p, reason: reason, pnl: filled ? cash : nil, now: now)
        return true
    }

    /// Where an instrument stands with its expiry.
    public enum Expiry: Equatable, Sendable {
        /// Not expired: it can be traded.
        case trading
        /// Past its expiry's close: it settles at this much per contract (or share).
        case settles(Double)
        /// Expired, its underlying's price not known yet.
        case unpriced
    }

    /// An option past its expiry's close cannot be sold: it settles at what it is worth in the
    /// money at the underlying's last price (as exercised and the shares sold at the close;
    /// nothing out of the money).
    public static func expiry(of instrument: Instrument, underlying: Double?, now: Double, calendar: any ExchangeCalendar) -> Expiry {
        guard case .option(_, let expiry, let strike, let right) = instrument, let close = OptionExpiries.closesAt(expiry, calendar: calendar), now >= close
        else { return .trading }
        guard let price = underlying else { return .unpriced }
        let intrinsic = right == .call ? max(0, price - strike) : max(0, strike - price)
        return .settles(intrinsic * instrument.multiplier)
    }

    /// Closes the position in the journal with its P&L (nil: it never traded), which the
    /// breakers see.
    private func close(_ p: ManagedPosition, reason: String, pnl: Double?, now: Double) throws {
        let amount = pnl ?? 0
        try journal.closePosition(id: p.id, reason: reason, realizedPnL: amount, now: now)
        report.closed += 1
        context.log("position closed", ["id": p.id, "reason": reason, "pnl": String(format: "%.2f", amount)])
        if pnl != nil {
            dayRealized += amount
            report.realized += amount
            if amount > 0 { report.wins += 1 }
            let strategy = records[p.id]?.strategy ?? ""
            let (next, events) = CircuitBreakers.tradeClosed(breakers, strategy: strategy, pnl: amount, limits: config.risk, now: now)
            breakers = next
            announce(events, now: now)
            try persist(now: now)
        }
        records[p.id] = nil
    }

    /// The day's P&L (`dayPnL(realized:open:)`) with the broker's marks.
    func dayPnL() -> Double {
        ExecutionService.dayPnL(
            realized: dayRealized,
            open: positions.compactMap { p in
                cash[p.id].map { (held: $0.held, cash: $0.cash, mark: broker.mark(p.instrument), multiplier: p.instrument.multiplier) }
            })
    }

    /// The day's P&L: realized on closed positions, and on open ones their cash so far plus what
    /// they hold at the mark. An open position without a mark yet (just after a restart or a
    /// fill, before the first quote) counts at what it cost — nothing — not as the loss of all of it.
    static func dayPnL(realized: Double, open: [(held: Int, cash: Double, mark: Double?, multiplier: Double)]) -> Double {
        var total = realized
        for p in open {
            if let mark = p.mark {
                total += p.cash + Double(p.held) * mark * p.multiplier
            } else if p.held == 0 {
                total += p.cash
            }
        }
        return total
    }

    // MARK: Breakers

    private func runBreakers(now: Double, snapshots: [String: SymbolSnapshot]) throws {
        let before = breakers
        var (next, events) = CircuitBreakers.pnl(breakers, total: dayPnL(), limits: config.risk, now: now)
        let vpin = snapshots.values.compactMap(\.vpin).max() ?? 0
        let high = snapshots.values.filter { $0.regime == "high" }.map(\.symbol)
        let market = CircuitBreakers.market(next, vpin: vpin, highVolatility: high, limits: config.risk)
        next = market.0
        events += market.1
        breakers = next
        announce(events, now: now)
        if breakers.state != before.state || breakers.sizeFactor != before.sizeFactor || breakers.pausedUntil != before.pausedUntil {
            try persist(now: now)
        } else if writtenState != breakers.state {
            mirrorState(now: now)  // a write to Redis that failed when the state changed
        }
    }

    /// A fill of an order this service's journal did not place (another tool on the account, a
    /// journal restored from an older copy): recorded as `External` by the connection, its
    /// position counted in the account — and a critical alert, for a person to look.
    private func alertExternal(_ fill: TWSOrderMessages.Fill) {
        let text =
            "a fill of an order not placed by this journal: \(fill.action.rawValue) \(fill.quantity) \(fill.instrument.description) at "
            + "\(TWSWire.number(fill.price)) (execution \(fill.execId), order ref \(fill.orderRef.isEmpty ? "none" : fill.orderRef)); "
            + "recorded as External — check the account"
        context.log("unknown fill", ["text": text])
        if let client = try? redisClient() {
            try? TradingMirror.alert(severity: "critical", source: "execution", text: text, redis: client, now: context.clock.now())
        }
    }

    /// Breaker events: journaled, on `alerts:stream`, logged.
    private func announce(_ events: [BreakerEvent], now: Double) {
        for event in events {
            context.log("breaker", ["event": event.text])
            try? journal.recordBreaker(event, now: now)
            if let redis {
                let severity: String
                switch event {
                case .halted: severity = "critical"
                case .reducing, .paused, .sizeCut: severity = "warning"
                case .sizeRestored: severity = "info"
                }
                try? TradingMirror.alert(severity: severity, source: "execution", text: event.text, redis: redis, now: now)
            }
        }
    }

    /// HALTED: every working order cancelled and every position closed, once (and again for
    /// what a round could not close).
    private func flattenForHalt(now: Double) throws {
        guard !flattenedForHalt || positions.contains(where: { !$0.closing }) else { return }
        flattenedForHalt = true
        context.log("HALTED: cancelling and closing everything", ["positions": String(positions.count)])
        let open = positions.indices.filter { !positions[$0].closing }
        var batch = open.map { positions[$0] }
        try broker.closeNow(&batch, reasons: batch.map { _ in "halted" }, reprice: closingReprice)
        for (i, p) in zip(open, batch) { positions[i] = p }
        try persist(now: now)
    }

    /// The breaker state in the journal (the record), `risk:daily` and `risk:state`.
    private func persist(now: Double) throws {
        let doc = RiskDailyDocument(session: session, breakers: breakers, limits: config.risk, timestamp: Int64(now * 1000))
        try journal.saveRiskDay(session: session, document: doc.json, now: now)
        _ = try? redis?.command(["SET", RiskDailyDocument.key, doc.json])
        mirrorState(now: now)
    }

    /// `risk:state` as the breakers have it, once per change — tried again each second until
    /// Redis has it.
    private func mirrorState(now: Double) {
        guard writtenState != breakers.state, let redis else { return }
        if (try? TradingMirror.setRiskState(breakers.state, reason: breakers.reason, redis: redis, now: now)) != nil { writtenState = breakers.state }
    }

    // MARK: Trading

    /// What the risk manager sees now: the book (the journal's positions), quotes for it from the
    /// model at the underlying's price and the marks, the account's buying power, discovered
    /// volatility and correlations, the strategies' gates.
    func riskContext(now: Double, snapshots: [String: SymbolSnapshot]) throws -> RiskContext {
        submissions = submissions.filter { now - $0 < 60 }
        var gates: [String: StrategyGate] = [:]
        for s in config.strategies {
            gates[s.kind.rawValue] = StrategyGate(
                enabled: s.enabled && enabled.contains(s.kind.rawValue), window: s.window, pausedUntil: breakers.pausedUntil[s.kind.rawValue])
        }
        var book: [Instrument: Int] = [:]
        var quotes: [Instrument: RiskQuote] = [:]
        for row in try journal.positions() where row.holding.quantity != 0 {
            book[row.instrument] = row.holding.quantity
            guard let spot = snapshots[row.instrument.symbol]?.price else { continue }
            let mark = broker.mark(row.instrument)
            quotes[row.instrument] = OptionChooser.riskQuote(
                row.instrument, spot: spot, expiresAt: expiresAt(row.instrument, now: now), now: now, bid: mark, ask: mark)
        }
        var volatility: [String: Double] = [:]
        for (symbol, x) in snapshots { if let v = x.volatility { volatility[symbol] = v } }
        return RiskContext(
            state: breakers.state, now: now, minuteOfDay: minuteOfDay(now), strategies: gates, recentSubmissions: submissions, positions: book,
            quotes: quotes, buyingPower: broker.accountValues["BuyingPower"] ?? 0, volatility: volatility, correlations: correlations,
            sizeFactor: breakers.sizeFactor)
    }

    /// An option's expiry close (from the calendar); a stock has none — a day is its horizon.
    func expiresAt(_ instrument: Instrument, now: Double) -> Double {
        guard case .option(_, let expiry, _, _) = instrument else { return now + 86_400 }
        return OptionExpiries.closesAt(expiry, calendar: context.config.calendar) ?? now + 86_400
    }

    /// The enabled strategies over the fresh snapshots; each new signal journaled and published,
    /// priced to be marketable, planned and checked, and entered when allowed.
    private func trade(now: Double, snapshots: [String: SymbolSnapshot], only: String? = nil) throws {
        guard let expiries, !enabled.isEmpty else { return }
        var live: [String: Set<String>] = [:]
        for p in positions { if let s = records[p.id]?.strategy { live[s, default: []].insert(p.instrument.symbol) } }
        cooldown = cooldown.mapValues { $0.filter { $0.value > now } }
        for (strategy, symbols) in cooldown { live[strategy, default: []].formUnion(symbols.keys) }
        var active = config
        active.strategies = config.strategies.filter { enabled.contains($0.kind.rawValue) && (only == nil || $0.kind.rawValue == only) }
        let snapshot = StrategySnapshot(
            now: now, minuteOfDay: minuteOfDay(now), today: expiries.today, nextSession: expiries.next, twoWeeks: expiries.twoWeeks,
            symbols: snapshots, live: live)
        let results = Strategies.evaluate(active, snapshot)
        logSkips(results, now: now)
        let signals = results.values.flatMap(\.signals).sorted { ($0.confidence, $0.id) > ($1.confidence, $1.id) }
        guard !signals.isEmpty else { return }
        var context: RiskContext?
        for signal in signals { try act(on: signal, now: now, snapshots: snapshots, context: &context) }
    }

    /// One signal, once per process (its id is its strategy, symbol and second; after a restart
    /// the positions rebuilt from the journal keep a strategy off their symbols): entered when
    /// the risk manager allows it, then journaled and published. `context` is the risk context of
    /// this round, built on first use and kept up to date with what was entered.
    public func act(on signal: Signal, now: Double, snapshots: [String: SymbolSnapshot], context: inout RiskContext?) throws {
        let started = Date()
        // The orders go out first (the position and its orders in one commit), the signal's own
        // record after them.
        guard !acted.contains(signal.id) else { return }
        acted.insert(signal.id)
        report.signals += 1
        // Counted in whole market seconds (the service steps once a second): the same second
        // `signalCooldown` later is free again wherever in it the step falls.
        cooldown[signal.strategy, default: [:]][signal.symbol] = now.rounded(.down) + options.signalCooldown
        var c = try context ?? riskContext(now: now, snapshots: snapshots)
        try enter(signal, now: now, snapshots: snapshots, context: &c, started: started)
        context = c
        try journal.recordSignal(signal)
        publish(signal)
    }

    /// The strategies `market-open` enabled (read from `strategies:enabled` every step; set
    /// directly by a benchmark driving `act`).
    public var enabledStrategies: Set<String> {
        get { enabled }
        set { enabled = newValue }
    }

    /// Why a strategy did not trade a symbol — "no trade" is never silent — when the reason
    /// changes (its words before the first figure) or every five market minutes.
    private func logSkips(_ results: [String: StrategyResult], now: Double) {
        for (strategy, result) in results {
            for skip in result.skipped where skip.reason != "outside the window" && !skip.reason.hasPrefix("a live signal") {
                let words = String(skip.reason.prefix { !$0.isNumber })
                if let last = skipped[strategy]?[skip.symbol], last.words == words, now - last.time < 300 { continue }
                skipped[strategy, default: [:]][skip.symbol] = (words, now)
                context.log("no trade", ["strategy": strategy, "symbol": skip.symbol, "reason": skip.reason])
            }
        }
    }

    /// A signal to the wire: priced through the touch of the model, sized and checked
    /// (`EntryPlanner`), the decision recorded, the position journaled, its orders sent.
    private func enter(_ signal: Signal, now: Double, snapshots: [String: SymbolSnapshot], context c: inout RiskContext, started: Date) throws {
        guard let strategy = config.strategies.first(where: { $0.kind.rawValue == signal.strategy }), let spot = snapshots[signal.symbol]?.price
        else { return }
        let instrument = signal.tradable
        var priced = signal
        let allowance = instrument.isOption ? options.marketableOptions : options.marketableStocks
        let long = signal.entryAction == .buy
        priced.entry = TickSize.round(signal.entry * (1 + (long ? allowance : -allowance)), for: instrument, up: long)
        if let q = OptionChooser.riskQuote(instrument, spot: spot, expiresAt: expiresAt(instrument, now: now), now: now) {
            c.quotes[instrument] = c.quotes[instrument] ?? q
        }
        switch EntryPlanner.plan(priced, config: strategy, limits: config.risk, context: c) {
        case .refuse(let order, let decision):
            report.refusals += 1
            record(order, decision, now: now)
            context.log("signal refused", ["signal": signal.id, "check": decision.check?.rawValue ?? "exits", "reason": decision.reason])
        case .send(let order, let plan, let decision):
            let spec = BrokerConnection.OrderSpec(
                instrument: instrument, action: order.action, quantity: order.quantity, kind: .limit(priced.entry), strategy: signal.strategy,
                position: signal.id)
            var position = try broker.enter(spec, exits: plan, opening: .init(id: signal.id, signalId: signal.id, strategy: signal.strategy, plan: plan))
            signalToWire.append(Date().timeIntervalSince(started))
            position.id = signal.id
            records[signal.id] = Journal.PositionRecord(
                id: signal.id, signalId: signal.id, strategy: signal.strategy, instrument: instrument, side: order.action, plan: plan, openedAt: now)
            positions.append(position)
            try broker.watch(instrument)
            for _ in position.refs { submissions.append(now) }
            c.recentSubmissions = submissions
            c.positions[instrument, default: 0] += order.signed
            report.entries += 1
            record(order, decision, now: now)
            context.log(
                "entered",
                [
                    "signal": signal.id, "order": "\(order.action.rawValue) \(order.quantity) \(instrument)", "limit": TickSize.text(priced.entry),
                    "legs": String(position.legs.count),
                ])
        }
    }

    private func record(_ order: ProposedOrder, _ decision: RiskDecision, now: Double) {
        try? journal.recordDecision(order, decision, now: now)
        if let redis { try? TradingMirror.decision(order, decision, redis: redis, now: now) }
    }

    private func publish(_ signal: Signal) {
        guard let redis else { return }
        do { try TradingMirror.publish(signal, redis: redis) } catch { context.log("warning: a signal was not published", ["reason": "\(error)"]) }
    }

    // MARK: Requests (the moc job)

    /// `execution:requests` (a list of `ExecutionRequest`s from jobs): `moc` closes what must be
    /// flat at the close and decides the MOC trade; the `MOCReport` goes to
    /// `execution:replies:{id}` (a list, for BLPOP).
    private func answerRequests(_ client: RedisClient?, now: Double, snapshots: [String: SymbolSnapshot]) throws {
        guard let text = request else { return }
        request = nil
        guard let request = ExecutionRequest.read(text) else {
            context.log("a request that is not one was dropped", ["text": String(text.prefix(200))])
            return
        }
        context.log("request", ["id": request.id, "command": request.command.rawValue])
        let reply: String
        switch request.command {
        case .moc: reply = try closeForTheClose(now: now, snapshots: snapshots).json
        }
        if let feed {
            feed.reply(to: request, reply)
        } else if let client {
            _ = try client.pipeline([["LPUSH", ExecutionRequest.replyKey(request.id), reply], ["EXPIRE", ExecutionRequest.replyKey(request.id), "600"]])
        }
    }

    /// The market-on-close routine: every position on an option expiring today closed now, and
    /// every position of a strategy that is flat at the close (it has a time stop; the moc
    /// strategy's own trade is the one that runs into the close); then the `moc` strategy
    /// evaluated once more and its trade entered when it fires.
    private func closeForTheClose(now: Double, snapshots: [String: SymbolSnapshot]) throws -> MOCReport {
        let today = expiries?.today.date
        var targets: [Int] = []
        var reasons: [String] = []
        for i in positions.indices where !positions[i].closing {
            let p = positions[i]
            let strategy = records[p.id]?.strategy ?? ""
            let zeroDTE: Bool
            if case .option(_, let expiry, _, _) = p.instrument { zeroDTE = expiry == today } else { zeroDTE = false }
            let flatAtClose =
                strategy != StrategyConfig.Kind.moc.rawValue && config.strategies.first { $0.kind.rawValue == strategy }?.exits.timeStop != nil
            guard zeroDTE || flatAtClose else { continue }
            targets.append(i)
            reasons.append(zeroDTE ? "moc: 0DTE flat at the close" : "moc: \(strategy) flat at the close")
        }
        var batch = targets.map { positions[$0] }
        let left = try broker.closeNow(&batch, reasons: reasons, reprice: closingReprice)
        var closed: [MOCReport.Closed] = []
        for (k, i) in targets.enumerated() {
            positions[i] = batch[k]
            closed.append(
                .init(position: batch[k].id, instrument: batch[k].instrument.description, strategy: records[batch[k].id]?.strategy ?? "", left: left[k]))
        }
        var entered: String?
        var decision = enabled.contains(StrategyConfig.Kind.moc.rawValue) ? "no MOC signal" : "the moc strategy is not enabled today"
        if breakers.state == .halted {
            decision = "trading is HALTED"
        } else {
            let (entriesBefore, refusalsBefore) = (report.entries, report.refusals)
            try trade(now: now, snapshots: snapshots, only: StrategyConfig.Kind.moc.rawValue)
            if report.entries > entriesBefore, let p = positions.last {
                entered = p.instrument.description
                decision = "entered \(p.instrument) (\(p.id))"
            } else if report.refusals > refusalsBefore {
                decision = "a MOC signal, refused by the risk manager (risk:decisions has why)"
            }
        }
        try managePositions(now: now)
        return MOCReport(
            time: TimeFormat.utc(Int64(now)), closed: closed, entered: entered, decision: decision, open: positions.map(\.instrument.description),
            state: breakers.state)
    }

    // MARK: Heartbeat and mirror

    private func beat(_ client: RedisClient, now: Double, mirror: Bool = true) throws {
        if now - lastBeat >= 1 {
            lastBeat = now
            _ = try client.command(["SET", "module:heartbeat:execution", heartbeat(now)])
        }
        if mirror { publishMirror(force: false) }
    }

    private func heartbeat(_ now: Double) -> String {
        JSONValue.object([
            ("ts", .int(Int64(now * 1000))), ("pid", .int(Int64(getpid()))), ("state", .string(breakers.state.rawValue)),
            ("positions", .int(Int64(positions.count))), ("signals", .int(Int64(report.signals))), ("entries", .int(Int64(report.entries))),
        ]).serialized()
    }

    /// `orders:*`, `positions:*`, `pnl:day` — at most once a real second.
    private func publishMirror(force: Bool) {
        guard let redis, force || Date().timeIntervalSince(lastMirror) >= 1 else { return }
        lastMirror = Date()
        var marks: [Instrument: Double] = [:]
        for p in positions { if let m = broker.mark(p.instrument) { marks[p.instrument] = m } }
        do { try TradingMirror.publish(journal, marks: marks, redis: redis, now: context.clock.now(), zone: zone) } catch {
            context.log("warning: the Redis mirror was not updated", ["reason": "\(error)"])
        }
    }
}

public import Foundation
public import OrchestratorCore

/// The evening report's figures (SPEC §12, `var/reports/DATE/evening.json`): the day's P&L
/// by strategy and symbol, its trades and their statistics, the intraday equity and drawdown,
/// the exposure over the day, the history to date (equity, daily returns, Sharpe, Sortino,
/// maximum drawdown), the risk events, the signals and what became of them, and the day's job
/// runs and services. Computed from plain inputs (`Inputs`), so that every figure is tested on
/// a hand-built day; `EveningReportReader` fills them from the journal, Redis and the
/// orchestrator.
public struct EveningReport: Sendable, Equatable {
    /// A closed position: what it traded and what it made (commissions included).
    public struct Trade: Sendable, Equatable {
        public var strategy: String
        public var instrument: String
        public var symbol: String
        public var openedAt: Double
        public var closedAt: Double
        public var pnl: Double
        public var reason: String
        public init(strategy: String, instrument: String, symbol: String, openedAt: Double, closedAt: Double, pnl: Double, reason: String) {
            self.strategy = strategy; self.instrument = instrument; self.symbol = symbol
            self.openedAt = openedAt; self.closedAt = closedAt; self.pnl = pnl; self.reason = reason
        }
    }

    /// A fill, for the exposure over the day (signed quantity: + bought).
    public struct Fill: Sendable, Equatable {
        public var time: Double
        public var instrument: String
        public var quantity: Int
        public var price: Double
        public var multiplier: Double
        public var commission: Double
        public init(time: Double, instrument: String, quantity: Int, price: Double, multiplier: Double, commission: Double) {
            self.time = time; self.instrument = instrument; self.quantity = quantity; self.price = price
            self.multiplier = multiplier; self.commission = commission
        }
    }

    public struct SignalLine: Sendable, Equatable {
        public var time: Double
        public var strategy: String
        public var symbol: String
        public var direction: String
        public var confidence: Double
        /// "won", "lost", "open", "not filled" or "not traded" (denied or not acted on).
        public var outcome: String
        public var pnl: Double?
        public init(time: Double, strategy: String, symbol: String, direction: String, confidence: Double, outcome: String, pnl: Double?) {
            self.time = time; self.strategy = strategy; self.symbol = symbol; self.direction = direction
            self.confidence = confidence; self.outcome = outcome; self.pnl = pnl
        }
    }

    public struct Run: Sendable, Equatable {
        public var job: String
        public var state: String
        public var startedAt: Double?
        public var finishedAt: Double?
        public var attempts: Int
        public var reason: String?
        public init(job: String, state: String, startedAt: Double?, finishedAt: Double?, attempts: Int, reason: String?) {
            self.job = job; self.state = state; self.startedAt = startedAt; self.finishedAt = finishedAt; self.attempts = attempts; self.reason = reason
        }
    }

    public struct Service: Sendable, Equatable {
        public var name: String
        public var state: String
        public var restarts: Int
        public var health: String?
        public init(name: String, state: String, restarts: Int, health: String?) {
            self.name = name; self.state = state; self.restarts = restarts; self.health = health
        }
    }

    /// Everything the report is computed from.
    public struct Inputs: Sendable {
        public var session: String
        /// The session's open and close (seconds since the epoch).
        public var open: Double
        public var close: Double
        /// The account's equity before the first day of the history.
        public var capital: Double
        /// Every trading day of the history, oldest first, ending with `session`.
        public var days: [String]
        /// Closed positions of the whole history, with the trading day each closed on.
        public var trades: [(day: String, trade: Trade)]
        public var fills: [Fill]
        public var unrealized: Double?
        public var open_positions: [String]
        public var signals: [SignalLine]
        public var breakerEvents: [(time: Double, event: String)]
        public var denied: [String: Int]
        public var runs: [Run]?
        public var services: [Service]?
        /// Why the runs are missing, when they are.
        public var runsNote: String?
        public init(session: String, open: Double, close: Double, capital: Double, days: [String]) {
            self.session = session; self.open = open; self.close = close; self.capital = capital; self.days = days
            trades = []; fills = []; unrealized = nil; open_positions = []; signals = []; breakerEvents = []; denied = [:]
        }
    }

    public struct Group: Sendable, Equatable {
        public var name: String
        public var trades: Int
        public var wins: Int
        public var pnl: Double
    }

    public struct DayPoint: Sendable, Equatable {
        public var day: String
        public var pnl: Double
        public var equity: Double
        public var dailyReturn: Double
    }

    public struct Point: Sendable, Equatable {
        public var time: Double
        public var value: Double
    }

    public var session: String
    public var open: Double
    public var close: Double
    public var capital: Double
    // The day.
    public var realized = 0.0
    public var unrealized: Double?
    public var commissions = 0.0
    public var trades: [Trade] = []
    public var wins = 0
    public var winRate: Double?
    public var averageWin: Double?
    public var averageLoss: Double?
    public var profitFactor: Double?
    public var largestLoss: Double?
    public var byStrategy: [Group] = []
    public var bySymbol: [Group] = []
    public var openPositions: [String] = []
    /// Realized P&L through the day (a point at the open and at each close), its drawdown.
    public var equity: [Point] = []
    public var intradayDrawdown = 0.0
    /// Gross premium held (|quantity| × cost × multiplier) after each fill; its largest.
    public var exposure: [Point] = []
    public var maxExposure = 0.0
    // The history.
    public var history: [DayPoint] = []
    public var sharpe: Double?
    public var sortino: Double?
    public var maximumDrawdown: (amount: Double, fraction: Double, peak: String, trough: String)?
    // Risk, signals, runs.
    public var breakerEvents: [(time: Double, event: String)] = []
    public var denied: [String: Int] = [:]
    public var signals: [SignalLine] = []
    public var runs: [Run]?
    public var services: [Service]?
    public var runsNote: String?

    public static func == (a: EveningReport, b: EveningReport) -> Bool { a.document.serialized() == b.document.serialized() }

    public init(_ inputs: Inputs) {
        session = inputs.session; open = inputs.open; close = inputs.close; capital = inputs.capital
        trades = inputs.trades.filter { $0.day == inputs.session }.map(\.trade).sorted { ($0.closedAt, $0.openedAt) < ($1.closedAt, $1.openedAt) }
        dayFigures(inputs)
        intraday(inputs)
        historyFigures(inputs)
        breakerEvents = inputs.breakerEvents
        denied = inputs.denied
        signals = inputs.signals
        runs = inputs.runs
        services = inputs.services
        runsNote = inputs.runsNote
    }

    private mutating func dayFigures(_ inputs: Inputs) {
        let pnls = trades.map(\.pnl)
        realized = pnls.reduce(0, +)
        unrealized = inputs.unrealized
        commissions = inputs.fills.reduce(0) { $0 + $1.commission }
        let won = pnls.filter { $0 > 0 }, lost = pnls.filter { $0 < 0 }
        wins = won.count
        winRate = pnls.isEmpty ? nil : Double(won.count) / Double(pnls.count)
        averageWin = Performance.mean(won)
        averageLoss = Performance.mean(lost)
        profitFactor = Performance.profitFactor(pnls)
        largestLoss = lost.min()
        byStrategy = Self.groups(trades, by: \.strategy)
        bySymbol = Self.groups(trades, by: \.symbol)
        openPositions = inputs.open_positions
    }

    static func groups(_ trades: [Trade], by key: KeyPath<Trade, String>) -> [Group] {
        var out: [String: Group] = [:]
        for t in trades {
            var g = out[t[keyPath: key]] ?? Group(name: t[keyPath: key], trades: 0, wins: 0, pnl: 0)
            g.trades += 1
            g.wins += t.pnl > 0 ? 1 : 0
            g.pnl += t.pnl
            out[g.name] = g
        }
        return out.values.sorted { $0.name < $1.name }
    }

    private mutating func intraday(_ inputs: Inputs) {
        var total = 0.0, peak = 0.0
        equity = [Point(time: open, value: 0)]
        for t in trades {
            total += t.pnl
            peak = max(peak, total)
            intradayDrawdown = max(intradayDrawdown, peak - total)
            equity.append(Point(time: max(t.closedAt, open), value: total))
        }
        var held: [String: (quantity: Int, cost: Double, multiplier: Double)] = [:]
        for f in inputs.fills.sorted(by: { $0.time < $1.time }) {
            var h = held[f.instrument] ?? (0, 0, f.multiplier)
            let q = h.quantity + f.quantity
            if h.quantity == 0 || (h.quantity > 0) == (f.quantity > 0) {
                // Opening or adding: the average cost moves.
                h.cost = (h.cost * Double(abs(h.quantity)) + f.price * Double(abs(f.quantity))) / Double(max(abs(q), 1))
            } else if q != 0 && (q > 0) != (h.quantity > 0) {
                h.cost = f.price  // through zero: the rest opened at this price
            }
            h.quantity = q
            held[f.instrument] = h
            let gross = held.values.reduce(0) { $0 + Double(abs($1.quantity)) * $1.cost * $1.multiplier }
            exposure.append(Point(time: f.time, value: gross))
            maxExposure = max(maxExposure, gross)
        }
    }

    private mutating func historyFigures(_ inputs: Inputs) {
        var byDay: [String: Double] = [:]
        for (day, t) in inputs.trades { byDay[day, default: 0] += t.pnl }
        var equity = inputs.capital
        for day in inputs.days {
            let pnl = byDay[day] ?? 0
            let r = equity == 0 ? 0 : pnl / equity
            equity += pnl
            history.append(DayPoint(day: day, pnl: pnl, equity: equity, dailyReturn: r))
        }
        let returns = history.map(\.dailyReturn)
        sharpe = Performance.sharpe(returns)
        sortino = Performance.sortino(returns)
        // The equity series starts with the capital before the first day.
        let series = [inputs.capital] + history.map(\.equity)
        if let dd = Performance.maximumDrawdown(series) {
            let days = history.map(\.day)
            let name = { (i: Int) in i == 0 ? "start" : days[i - 1] }
            maximumDrawdown = (dd.amount, dd.fraction, name(dd.peak), name(dd.trough))
        }
    }

    // MARK: JSON

    static func number(_ x: Double?, _ places: Double = 100) -> JSONValue { x.map { .number(($0 * places).rounded() / places) } ?? .null }
    static func time(_ t: Double?) -> JSONValue { t.map { .string(TimeFormat.utc(Int64($0))) } ?? .null }

    /// `evening.json`.
    public var document: JSONValue {
        let groups = { (gs: [Group]) -> JSONValue in
            .array(
                gs.map {
                    .object([("name", .string($0.name)), ("trades", .int(Int64($0.trades))), ("wins", .int(Int64($0.wins))), ("pnl", Self.number($0.pnl))])
                })
        }
        let day: [(String, JSONValue)] = [
            ("realized", Self.number(realized)), ("unrealized", Self.number(unrealized)), ("commissions", Self.number(commissions)),
            ("trades", .int(Int64(trades.count))), ("wins", .int(Int64(wins))), ("win_rate", Self.number(winRate, 10_000)),
            ("average_win", Self.number(averageWin)), ("average_loss", Self.number(averageLoss)), ("profit_factor", Self.number(profitFactor)),
            ("largest_loss", Self.number(largestLoss)), ("intraday_drawdown", Self.number(intradayDrawdown)), ("max_exposure", Self.number(maxExposure)),
            ("by_strategy", groups(byStrategy)), ("by_symbol", groups(bySymbol)), ("open_positions", .array(openPositions.map { .string($0) })),
        ]
        let tradeList: [JSONValue] = trades.map { t in
            .object([
                ("strategy", .string(t.strategy)), ("instrument", .string(t.instrument)), ("opened_at", Self.time(t.openedAt)),
                ("closed_at", Self.time(t.closedAt)), ("pnl", Self.number(t.pnl)), ("reason", .string(t.reason)),
            ])
        }
        let historyList: [JSONValue] = history.map {
            .object([("day", .string($0.day)), ("pnl", Self.number($0.pnl)), ("equity", Self.number($0.equity)), ("return", Self.number($0.dailyReturn, 1e6))])
        }
        var drawdown: JSONValue = .null
        if let dd = maximumDrawdown {
            drawdown = .object([
                ("amount", Self.number(dd.amount)), ("fraction", Self.number(dd.fraction, 1e6)), ("peak", .string(dd.peak)), ("trough", .string(dd.trough)),
            ])
        }
        let historyFields: [(String, JSONValue)] = [
            ("capital", Self.number(capital)), ("days", .int(Int64(history.count))), ("sharpe", Self.number(sharpe)), ("sortino", Self.number(sortino)),
            ("maximum_drawdown", drawdown), ("equity", .array(historyList)),
        ]
        let risk: [(String, JSONValue)] = [
            ("breaker_events", .array(breakerEvents.map { .object([("time", Self.time($0.time)), ("event", .string($0.event))]) })),
            ("denied", .object(denied.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
        ]
        let signalList: [JSONValue] = signals.map { s in
            .object([
                ("time", Self.time(s.time)), ("strategy", .string(s.strategy)), ("symbol", .string(s.symbol)), ("direction", .string(s.direction)),
                ("confidence", Self.number(s.confidence)), ("outcome", .string(s.outcome)), ("pnl", Self.number(s.pnl)),
            ])
        }
        let runList: JSONValue =
            runs.map { rs in
                .array(
                    rs.map { r in
                        .object([
                            ("job", .string(r.job)), ("state", .string(r.state)), ("started_at", Self.time(r.startedAt)),
                            ("finished_at", Self.time(r.finishedAt)),
                            ("duration", Self.number(r.startedAt.flatMap { s in r.finishedAt.map { $0 - s } }, 1000)), ("attempts", .int(Int64(r.attempts))),
                            ("reason", .optional(r.reason)),
                        ])
                    })
            } ?? .null
        let serviceList: JSONValue =
            services.map { ss in
                .array(
                    ss.map {
                        .object([
                            ("name", .string($0.name)), ("state", .string($0.state)), ("restarts", .int(Int64($0.restarts))), ("health", .optional($0.health)),
                        ])
                    })
            } ?? .null
        return .object([
            ("session", .string(session)), ("open", Self.time(open)), ("close", Self.time(close)),
            ("day", .object(day)), ("trades", .array(tradeList)), ("history", .object(historyFields)), ("risk", .object(risk)),
            ("signals", .array(signalList)), ("runs", runList), ("services", serviceList), ("runs_note", .optional(runsNote)),
        ])
    }
}

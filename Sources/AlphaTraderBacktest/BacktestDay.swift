public import AlphaTrader
public import AlphaTraderSimulators
import Foundation
public import OrchestratorCore
import Redis

/// One trading day of a backtest: the day's tape drives ingestion and the analytics
/// (`BacktestMarket`), the jobs run at their times of SPEC §6 (premarket options data,
/// `market-open`, `parameter-discovery` every 15 minutes of the session, `moc` at close −10m),
/// and the execution service steps once a market second from the open to close +5m — its
/// strategies, risk checks, order path and position management unchanged — against the paper
/// broker (`PaperDesk`, tws-sim's) reached through `BrokerConnection` over an in-process
/// connection: the same TWS messages, no socket. One virtual clock, moved from second to
/// second and by what the service waits for; nothing sleeps.
///
/// What the analytics' minute work and the jobs compute at a second, the service reads from the
/// next one, as live: there they start as the second begins, like the service's step, and reach
/// Redis after the step has read it. With the live services stepping as each market second and
/// minute begins, a backtest's trades are `run-day`'s on the same tape (`BacktestLiveTests`).
///
/// The journal and the paper account carry over from day to day (positions held overnight
/// are reconciled on the next day's connect, as a live restart would).
public struct BacktestDay {
    public struct Inputs {
        public var tapePath: String
        public var config: Config
        public var strategies: StrategiesConfig
        /// The trade journal (SQLite) the day adds to.
        public var journal: Journal
        /// The paper account, kept between days (created on the first).
        public var accountFile: String
        public var cash: Double = 100_000
        public var slippageTicks = 0
        /// Where the services' log lines go (nil: nowhere).
        public var log: (@Sendable (String) -> Void)?
        /// Called every simulated minute with the time (progress).
        public var progress: ((Double) -> Void)?
        public init(tapePath: String, config: Config, strategies: StrategiesConfig, journal: Journal, accountFile: String) {
            self.tapePath = tapePath; self.config = config; self.strategies = strategies; self.journal = journal; self.accountFile = accountFile
        }
    }

    /// What the day did.
    public struct Outcome: Sendable {
        public var session: Session
        public var events: Int
        public var steps: Int
        public var report: ExecutionService.Report
        /// The moc job's answer.
        public var moc: String?
        public var state: String
        /// Real seconds the day took, and where they went (tape, broker, analytics, jobs, execution).
        public var seconds: Double
        public var phases: [(name: String, seconds: Double)]
    }

    public let inputs: Inputs

    public init(_ inputs: Inputs) { self.inputs = inputs }

    public func run() throws -> Outcome {
        let started = Date()
        let calendar = inputs.config.calendar
        let zone = ZoneRules.of(calendar.timeZone)
        let reader = try TapeReader(path: inputs.tapePath, verify: false)
        let header = reader.header
        guard let day = LocalDate(parsing: header.date), let session = try calendar.session(on: day) else {
            throw BacktestError("\(inputs.tapePath): the tape's day \(header.date) is not a trading session")
        }
        let clock = VirtualClock(Double(header.from))
        let sink = inputs.log
        func log(_ module: String) -> EventLog { EventLog(module: module, clock: clock, sink: sink ?? { _ in }) }
        let context = AlphaContext(
            config: inputs.config, clock: clock, redisURL: try RedisURL(parsing: "redis://127.0.0.1:1"), log: log("execution"), environment: [:])

        // The broker: tws-sim's paper desk and its TWS session, in process.
        let desk = try PaperDesk(
            tapePath: inputs.tapePath, clock: clock, zone: zone, calendar: calendar,
            configuration: .init(startingCash: inputs.cash, slippageTicks: inputs.slippageTicks), accountFile: inputs.accountFile,
            saveInterval: .infinity, log: { line in sink?(line + "\n") })
        let simulator = try TWSSimulator(tapePath: inputs.tapePath, pace: .clock(clock), desk: desk, log: log("broker"), verified: true)
        simulator.timer = clock
        let idle: (Double) -> Void = { seconds in
            clock.advance(by: seconds)
            simulator.stepMarket()
        }
        var connection: TWSSimulator.InProcessConnection?
        let broker = BrokerConnection(
            options: .init(host: "in-process", port: 0, clientId: inputs.config.endpoints.ibkrClientID + 1), journal: inputs.journal, log: log("broker"),
            clock: clock
        ) { _ in
            let c = try simulator.connectInProcess(timer: clock, idle: idle)
            connection = c
            return c
        }
        defer {
            broker.close()
            connection?.close()
            desk.flush()
        }
        try broker.connect()

        // The documents: the premarket job's at 07:00, then the tape.
        let market = BacktestMarket(header: header, calendar: calendar, session: session.date.description)
        let payloads = AlphaVantagePayloads.standIn(
            date: header.date, level2: inputs.config.symbols.level2, standard: inputs.config.symbols.standard)
        try market.premarket(payloads, now: Double(zone.instant(of: day, secondsOfDay: 7 * 3600)), zone: zone)

        let service = ExecutionService(context: context, config: inputs.strategies, broker: broker, feed: market)
        let plan = try Plan(session: session, header: header, zone: zone, calendar: calendar)
        var t = Double(header.from)
        var discoveries = plan.discovery[...]
        var (enabled, mocSent, started_, stopped) = (false, false, false, false)
        var steps = 0
        var lastMinute = -1.0
        var phases = Phases()
        while t <= plan.end {
            clock.move(to: t)
            let limit = Int64(t * 1_000_000)
            try phases.time(.tape) {
                while let next = reader.peekTime(), next <= limit, let event = try reader.next() { market.apply(event) }
            }
            phases.time(.broker) { simulator.stepMarket() }
            if !enabled && t >= plan.marketOpen {
                enabled = true
                market.enable(inputs.strategies.strategies.filter(\.enabled).map(\.kind.rawValue), session: session.date.description, now: t)
            }
            if t >= plan.execution.lowerBound && t < plan.execution.upperBound {
                if !started_ {
                    started_ = true
                    try service.start()
                }
                phases.time(.analytics) { market.publish() }
                try phases.time(.execution) {
                    try broker.poll(0)
                    try service.step(now: clock.now())
                }
                steps += 1
            } else if started_ && !stopped {
                stopped = true
                service.stop()
            }
            // What the analytics and the jobs compute at a second is read by the service from the
            // next one: live, they start as the second begins, as the service's step does, and
            // their results reach Redis after it has read it (SPEC §6's jobs take a moment to run).
            let minute = (t / 60).rounded(.down)
            if minute != lastMinute {
                lastMinute = minute
                if t >= plan.analytics.lowerBound && t < plan.analytics.upperBound {
                    phases.time(.analytics) {
                        market.publish()
                        market.everyMinute(now: t)
                    }
                }
                inputs.progress?(t)
            }
            if let slot = discoveries.first, t >= slot {
                discoveries.removeFirst()
                phases.time(.jobs) { market.discover(now: t) }
            }
            if !mocSent && t >= plan.moc {
                mocSent = true
                market.request(ExecutionRequest(id: "moc-\(session.date)", command: .moc))
            }
            t = max(t + 1, clock.now().rounded(.up))
        }
        if started_ && !stopped { service.stop() }
        return Outcome(
            session: session, events: market.events, steps: steps, report: service.report, moc: market.replies.last?.json,
            state: service.breakers.state.rawValue, seconds: Date().timeIntervalSince(started), phases: phases.list)
    }

    /// Real time per part of the day.
    struct Phases {
        enum Name: String, CaseIterable { case tape, broker, analytics, jobs, execution }
        private var seconds = [Double](repeating: 0, count: Name.allCases.count)

        mutating func time<T>(_ name: Name, _ body: () throws -> T) rethrows -> T {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { seconds[Name.allCases.firstIndex(of: name)!] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            return try body()
        }

        var list: [(name: String, seconds: Double)] { zip(Name.allCases, seconds).map { ($0.rawValue, $1) } }
    }

    /// When each part of the day runs (SPEC §6), epoch seconds.
    struct Plan {
        var marketOpen: Double
        var discovery: [Double]
        var moc: Double
        var analytics: Range<Double>
        var execution: Range<Double>
        var end: Double

        init(session: Session, header: TapeHeader, zone: ZoneRules, calendar: any ExchangeCalendar) throws {
            let open = Double(session.open), close = Double(session.close)
            marketOpen = open - 300
            discovery = try Schedule.every(.minutes(15), during: .session).slots(on: session.date, zone: zone, calendar: calendar).map(Double.init)
            moc = close - 600
            // A tape that stops before the close (a part of a day) ends the day 5 minutes after it.
            end = Double(header.to) < close ? Double(header.to) + 300 : max(Double(header.to), close + 900)
            analytics = (open - 1500)..<min(close + 600, end)
            execution = open..<min(close + 300, end)
        }
    }
}

/// A backtest that cannot run: what is wrong, in words.
public struct BacktestError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

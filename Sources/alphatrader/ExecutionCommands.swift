import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore
import Redis

struct Execute: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execute",
        abstract: "The execution service: strategies → risk checks → orders with their exits, positions managed through the session.",
        discussion: """
            Every market second: reads the analytics (a stale quote is not traded on, and the log
            says so), manages the open positions (stops to break-even and trailing, time stops,
            entries that did not fill in 2 minutes cancelled), runs the circuit breakers (daily
            loss → HALTED and the book flattened; drawdown → REDUCING; losing streaks → the
            strategy paused; extreme VPIN or volatility → sizes cut), runs the strategies
            market-open enabled (strategies:enabled), checks each new signal with the risk manager
            and enters what is allowed: a marketable limit with its stop and targets at the broker.
            Every signal, decision, order and breaker event is in the journal; risk:state,
            risk:daily, risk:decisions, signals:*, orders:*, positions:*, pnl:day and
            module:heartbeat:execution are in Redis. Answers the moc job's requests
            (execution:requests). On SIGTERM: working entries cancelled, protective orders left at
            the broker. A restart resumes from the journal and the broker without sending an
            order twice. Client id: endpoints.ibkr.client_id + 1.

            Example:
              alphatrader execute --config config/config.yaml
            """
    )

    @OptionGroup var trading: TradingOptions
    @Option(help: "The strategies file.") var strategies = StrategiesConfig.file

    func run() throws {
        StopSignal.install()
        let context = try loadContext(trading.common, module: "execution")
        let config = try loadStrategies(context, file: strategies)
        let session = try TradingSession.open(trading, context: context, clientOffset: 1)
        session.journal.checkpointInBackground()
        let service = ExecutionService(context: session.context, config: config, broker: session.broker)
        do { try service.run() } catch {
            throw failure("the execution service stopped: \(error)")
        }
    }
}

struct MarketOpen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "market-open",
        abstract: "Pre-open checks, then the day's risk counters reset, trading ACTIVE and the configured strategies enabled.",
        discussion: """
            Checks, each named with its outcome: Redis answers; the feed's heartbeat is fresh; the
            broker is connected and sends the account's values; discovered parameters are present
            for every symbol (Redis, or the last run's config/discovered.yaml) and fresh; the
            premarket options data is from today. All passing: risk:daily and the journal start
            the day afresh, risk:state is ACTIVE and strategies:enabled lists the strategies
            enabled in config/strategies.yaml. Any failing: exit 1 naming each, and no strategy
            is enabled today.

            Example:
              alphatrader market-open --json
            """
    )

    @OptionGroup var trading: TradingOptions
    @Option(help: "The strategies file.") var strategies = StrategiesConfig.file
    @Option(help: "The feed's heartbeat may be this many market seconds old.") var maxHeartbeatAge: Double = 60
    @Option(help: "Discovered parameters in Redis may be this many days old (config/discovered.yaml twice that).") var maxParameterAge: Double = 4
    @Option(help: "The last parameter discovery's file, when Redis has none.") var discovered = DiscoveryJob.defaultPath

    func validate() throws {
        guard maxHeartbeatAge > 0 else { throw ValidationError("--max-heartbeat-age \(maxHeartbeatAge): expected a positive number of seconds") }
        guard maxParameterAge > 0 else { throw ValidationError("--max-parameter-age \(maxParameterAge): expected a positive number of days") }
    }

    func run() throws {
        let context = try loadContext(trading.common, module: "market-open")
        let config = try loadStrategies(context, file: strategies)
        try TradingSession.validate(trading, context)
        let now = context.clock.now()
        let zone = ZoneRules.of(context.config.calendar.timeZone)
        let day = zone.localDate(of: Int64(now))
        let symbols = context.config.symbols.all
        var checks: [PreOpenChecks.Check] = []
        let redis: RedisClient?
        do {
            let client = try RedisClient(url: context.redisURL, timeout: 2)
            _ = try client.command(["PING"])
            redis = client
            checks.append(.init("redis", true, "\(context.redisURL) answers"))
        } catch {
            redis = nil
            checks.append(.init("redis", false, "\(context.redisURL): \(error)"))
        }
        // The feed's heartbeat, the discovered parameters and the premarket exposure: one round trip.
        let keys = ["module:heartbeat:ibkr_ingestion"] + symbols.map(DiscoveredParametersDocument.key) + symbols.map(ExposureDocument.gexKey)
        let texts: [String?]? = redis.flatMap { r in (try? r.pipeline(keys.map { ["GET", $0] }))?.map(\.text) }
        if let texts {
            checks.append(PreOpenChecks.ingestion(texts[0], now: now, maxAge: maxHeartbeatAge))
        } else {
            checks.append(.init("ingestion", false, redis == nil ? "not checked: no Redis" : "Redis did not answer"))
        }
        var journal: Journal?
        do {
            let session = try TradingSession.connected(trading, context: context, clientOffset: 20)
            journal = session.journal
            do {
                try session.broker.subscribeAccount()
                checks.append(PreOpenChecks.broker(account: session.broker.account, values: session.broker.accountValues))
            } catch {
                checks.append(.init("broker", false, "connected to \(session.broker.account), but no account values: \(error)"))
            }
            session.broker.close()
        } catch {
            checks.append(.init("broker", false, error.description))
        }
        if let texts {
            var found: [String: DiscoveredParametersDocument?] = [:]
            var exposures: [String: ExposureDocument?] = [:]
            for (i, s) in symbols.enumerated() {
                found[s] = DiscoveredParametersDocument.read(texts[1 + i])
                exposures[s] = ExposureDocument.read(texts[1 + symbols.count + i])
            }
            let file = DiscoveryJob.readFile(discovered).flatMap { f in f.generatedAt.map { (generatedAt: $0, symbols: Set(f.symbols.keys)) } }
            checks.append(PreOpenChecks.discovery(redis: found, file: file, now: now, maxAge: maxParameterAge * 86_400))
            checks.append(PreOpenChecks.premarket(exposures, since: Double(zone.instant(of: day, secondsOfDay: 0))))
        } else {
            let why = redis == nil ? "not checked: no Redis" : "Redis did not answer"
            checks += [.init("discovery", false, why), .init("premarket", false, why)]
        }
        let passed = checks.allSatisfy(\.passed)
        let enabledNames = passed ? config.strategies.filter(\.enabled).map(\.kind.rawValue) : []
        // The day first, the strategies last: they are enabled only on a day that was started.
        if passed {
            let daily = RiskDailyDocument(session: day.description, breakers: BreakerState(since: now), limits: config.risk, timestamp: Int64(now * 1000))
            do {
                try journal?.saveRiskDay(session: day.description, document: daily.json, now: now)
                if let redis {
                    _ = try redis.command(["SET", RiskDailyDocument.key, daily.json])
                    try TradingMirror.setRiskState(.active, reason: "market-open: the pre-open checks passed", redis: redis, now: now)
                }
            } catch {
                throw failure("the day could not be started: \(error)")
            }
        }
        if let redis {
            let doc = EnabledStrategiesDocument(session: day.description, strategies: enabledNames, timestamp: Int64(now * 1000))
            do { _ = try redis.command(["SET", EnabledStrategiesDocument.key, doc.json]) } catch {
                // Disabling is best effort (Redis may be what failed); enabling must be done.
                if passed { throw failure("the day was started but the strategies could not be enabled: \(error)") }
            }
        }
        if trading.json {
            print(
                JSONValue.object([
                    ("session", .string(day.description)), ("passed", .bool(passed)),
                    (
                        "checks",
                        .array(checks.map { .object([("name", .string($0.name)), ("passed", .bool($0.passed)), ("detail", .string($0.detail))]) })
                    ),
                    ("enabled", .array(enabledNames.map { .string($0) })),
                ]).serialized())
        } else {
            print(table([["CHECK", "", "DETAIL"]] + checks.map { [$0.name, $0.passed ? "ok" : "FAILED", $0.detail] }))
            print(passed ? "trading ACTIVE for \(day); strategies enabled: \(enabledNames.joined(separator: ", "))" : "no strategy enabled for \(day)")
        }
        if !passed {
            throw failure("pre-open checks failed: " + checks.filter { !$0.passed }.map { "\($0.name) (\($0.detail))" }.joined(separator: "; "))
        }
    }
}

struct MOC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moc",
        abstract: "The market-on-close routine: 0DTE and flat-at-close positions closed, the MOC trade decided — by the execution service.",
        discussion: """
            Asks the running execution service (execution:requests) to close every position on an
            option expiring today and every position of a strategy flat at the close, and to
            evaluate the moc strategy (gamma pin) once more; prints its report: what was closed,
            the MOC decision, what is left open. Exit 0 when nothing that must be flat is left,
            1 otherwise or when the service does not answer within --wait seconds.

            Example:
              alphatrader moc --json
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "Seconds (real) to wait for the execution service's answer.") var wait: Double = 30
    @Flag(help: "Print the report as JSON.") var json = false

    func validate() throws {
        guard wait > 0 && wait <= 600 else { throw ValidationError("--wait \(wait): expected 0…600 seconds") }
    }

    func run() throws {
        let context = try loadContext(common, module: "moc")
        let id = "moc-\(Int64(context.clock.now()))-\(getpid())"
        let request = ExecutionRequest(id: id, command: .moc).json
        let reply: String
        do {
            let redis = try RedisClient(url: context.redisURL, timeout: wait + 2)
            _ = try redis.command(["RPUSH", ExecutionRequest.queue, request])
            let popped = try redis.command(["BLPOP", ExecutionRequest.replyKey(id), String(format: "%.3f", wait)])
            guard case .array(let pair) = popped, pair.count == 2, let answer = pair[1].text else {
                _ = try? redis.command(["LREM", ExecutionRequest.queue, "0", request])
                throw failure("the execution service did not answer in \(wait) s (is it running? orchestrator status execution)")
            }
            reply = answer
        } catch let error as RedisClient.Failure {
            throw failure("Redis at \(context.redisURL): \(error)")
        }
        guard let report = MOCReport.read(reply) else { throw failure("the execution service's answer is not a report: \(reply.prefix(200))") }
        let left = report.closed.filter { $0.left != 0 }
        if json {
            print(reply)
        } else {
            print("closed: \(report.closed.isEmpty ? "nothing to close" : report.closed.map { "\($0.instrument) (\($0.strategy))" }.joined(separator: ", "))")
            print("moc: \(report.decision)")
            print("open after: \(report.open.isEmpty ? "none" : report.open.joined(separator: ", "))")
            print("risk state: \(report.state.rawValue)")
        }
        if !left.isEmpty { throw failure("\(left.count) position(s) could not be closed: \(left.map(\.instrument).joined(separator: ", "))") }
    }
}

struct Day: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "day",
        abstract: "The trading day from the journal: signals, orders, fills, P&L by strategy, the risk state at the close.",
        discussion: """
            Reads var/trading.sqlite (read as it stands; nothing is written) for one session:
            signals and entries per strategy, positions closed with their realized P&L
            (commissions included) and win count, orders by outcome, fills and commissions, the
            risk manager's decisions (allowed, and denied by check), breaker events, what is left
            open, and the state (ACTIVE / REDUCING / HALTED) the day ended in.

            Examples:
              alphatrader day                    # the clock's day
              alphatrader day --date 2026-11-25 --json
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "The trade journal (SQLite).") var journal = "var/trading.sqlite"
    @Option(help: "The session (YYYY-MM-DD); default the clock's day.") var date: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let context = try loadContext(common, module: "day")
        let zone = ZoneRules.of(context.config.calendar.timeZone)
        let day = try chosenDay(context, date: date)
        guard FileManager.default.fileExists(atPath: journal) else { throw failure("\(journal): no trade journal (has the execution service run?)") }
        let summary: TradingDay
        do {
            let j = try Journal(readingOnly: journal)
            summary = try TradingDay.read(
                j, session: day.description, start: Double(zone.instant(of: day, secondsOfDay: 0)),
                end: Double(zone.instant(of: day.adding(days: 1), secondsOfDay: 0)))
        } catch {
            throw failure("\(error)")
        }
        if json {
            print(summary.document.serialized())
            return
        }
        print("trading day \(summary.session)")
        print(
            table(
                [["STRATEGY", "SIGNALS", "ENTRIES", "CLOSED", "WON", "REALIZED"]]
                    + summary.strategies.map {
                        [$0.strategy, String($0.signals), String($0.entries), String($0.closed), String($0.wins), String(format: "%.2f", $0.realized)]
                    }))
        print(
            "orders \(summary.orders) (filled \(summary.filledOrders), cancelled \(summary.cancelledOrders), refused \(summary.rejectedOrders)); fills \(summary.fills); commissions "
                + String(format: "%.2f", summary.commissions))
        print(String(format: "realized P&L %.2f (commissions included)", summary.realized))
        let denied = summary.decisionsDenied.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("risk decisions: \(summary.decisionsAllowed) allowed, denied: \(denied.isEmpty ? "none" : denied)")
        print("breaker events: \(summary.breakerEvents.isEmpty ? "none" : summary.breakerEvents.joined(separator: "; "))")
        print("open at the end: \(summary.open.isEmpty ? "nothing" : summary.open.joined(separator: ", "))")
        print("risk state: \(summary.state) (\(summary.stateReason))")
    }
}

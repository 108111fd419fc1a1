import AlphaTrader
import ArgumentParser
import Foundation
import OrchestratorCore
import Redis

struct Signals: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signals",
        abstract: "What the strategies make of the market now: each enabled strategy over its symbols, from the services' documents in Redis.",
        discussion: """
            Reads the snapshot (ticker, VPIN, book imbalance, gamma by strike, options flow,
            unusual activity, sentiment) at the clock (ORCHESTRATOR_CLOCK under run-day), runs the
            enabled strategies of config/strategies.yaml, and prints each signal — instrument,
            entry, stop, targets, confidence, reason — and, for every symbol not traded, why.
            With --publish the signals also go to signals:stream and signals:{strategy}:latest.
            Orders are the execution service's (alphatrader execute): this sends none.

            Examples:
              alphatrader signals
              alphatrader signals --json
              alphatrader signals --publish
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "The strategies file.") var strategies = StrategiesConfig.file
    @Flag(help: "Also write the signals to signals:stream and signals:{strategy}:latest.") var publish = false
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "List every symbol a strategy did not trade, with the reason.") var why = false

    func run() throws {
        let context = try loadContext(common, module: "signals")
        let config = try loadStrategies(context, file: strategies)
        let symbols = context.config.symbols.all
        let now = context.clock.now()
        let calendar = context.config.calendar
        let zone = ZoneRules.of(calendar.timeZone)
        let day = zone.localDate(of: Int64(now))
        let expiries: (today: StrategySnapshot.Expiry, next: StrategySnapshot.Expiry, twoWeeks: StrategySnapshot.Expiry)
        do {
            guard let e = try OptionExpiries.forStrategies(on: day, calendar: calendar) else {
                throw failure("\(day) is not a trading day on \(calendar.code): no strategy trades")
            }
            expiries = e
        } catch let error as CalendarError {
            throw failure("\(error)")
        }
        let minute = zone.minuteOfDay(of: Int64(now))
        let redis: RedisClient
        let snapshots: [String: SymbolSnapshot]
        do {
            redis = try RedisClient(url: context.redisURL, timeout: 2)
            snapshots = try SnapshotReader.read(redis, symbols: symbols)
        } catch {
            throw failure("Redis at \(context.redisURL): \(error)")
        }
        let snapshot = StrategySnapshot(
            now: now, minuteOfDay: minute, today: expiries.today, nextSession: expiries.next, twoWeeks: expiries.twoWeeks, symbols: snapshots)
        let results = Strategies.evaluate(config, snapshot)
        let signals = results.keys.sorted().flatMap { results[$0]!.signals }
        if publish {
            do {
                for signal in signals { try TradingMirror.publish(signal, redis: redis) }
            } catch {
                throw failure("the signals could not be published: \(error)")
            }
        }
        if json {
            let skipped = results.keys.sorted().flatMap { k in results[k]!.skipped.map { (k, $0) } }
            print(
                "{\"time\":\(JSONValue.string(TimeFormat.utc(Int64(now))).serialized()),\"signals\":[\(signals.map(\.json).joined(separator: ","))],\"skipped\":["
                    + skipped.map {
                        JSONValue.object([("strategy", .string($0.0)), ("symbol", .string($0.1.symbol)), ("reason", .string($0.1.reason))]).serialized()
                    }.joined(separator: ",") + "]}")
            return
        }
        if signals.isEmpty { print("no signal at \(TimeFormat.utc(Int64(now)))") }
        for s in signals {
            let instrument = s.tradable.description
            let targets = s.targets.map { TickSize.text($0) }.joined(separator: ", ")
            print(
                "\(s.strategy)  \(s.symbol)  \(s.direction.rawValue)  \(instrument)  entry \(TickSize.text(s.entry))  stop \(TickSize.text(s.stop))  targets \(targets)  confidence \(String(format: "%.2f", s.confidence))"
            )
            print("    \(s.reason)")
        }
        if why {
            for k in results.keys.sorted() { for skip in results[k]!.skipped { print("\(k)  \(skip.symbol): \(skip.reason)") } }
        }
    }
}

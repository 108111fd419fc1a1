import AlphaTrader
import AlphaTraderBacktest
import ArgumentParser
import Foundation
import OrchestratorCore

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Runs the live strategies, risk checks and order path over tapes against the paper broker, at full speed.",
        discussion: """
            Each day's tape drives the same ingestion state, analytics, discovery (every 15
            minutes of the session), strategies, risk manager, order path and position management
            as the live day, against tws-sim's paper broker in the same process — on a virtual
            clock that moves from second to second, so a day takes seconds, not hours. The
            premarket options data is the Alpha Vantage stand-in's model for the day, as run-day's
            without a key. Positions held overnight carry over to the next day.

            Written to --out: journal.sqlite (every signal, decision, order, fill), trades.csv,
            report.html and report.json over the range (the evening report's figures: P&L by
            strategy and symbol, win rate, profit factor, Sharpe, Sortino, maximum drawdown,
            exposure; the equity curve), DATE/report.* per day, backtest.log. The same tapes and
            configuration give the same files.

            Examples:
              alphatrader backtest --tapes var/tapes/2026-12-07.tape
              alphatrader backtest --from 2026-11-02 --to 2026-11-27 --seed 7 --json
              alphatrader backtest --from 2026-12-01 --to 2026-12-04 --strategies 0dte,moc
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(parsing: .upToNextOption, help: "Tapes to run, one per day, in order.") var tapes: [String] = []
    @Option(help: "First day of a generated range (YYYY-MM-DD).") var from: String?
    @Option(help: "Last day of a generated range (YYYY-MM-DD).") var to: String?
    @Option(help: "Seed of the generated tapes (each day's is derived from it).") var seed: UInt64 = TapeGenerator.defaultSeed
    @Option(help: "Only these strategies (comma-separated; default: those the strategies file enables).") var strategies: String?
    @Option(help: "The strategies file.") var strategiesFile = StrategiesConfig.file
    @Option(help: "Where the journal, the reports and the log go (emptied of an earlier backtest's files).") var out = "var/backtest"
    @Option(help: "A new paper account's cash, in dollars.") var cash: Double = 100_000
    @Flag(help: "Keep the generated tapes in OUT/tapes.") var keepTapes = false
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let context = try loadContext(common, module: "backtest")
        var config = try loadStrategies(context, file: strategiesFile)
        if let strategies { config = try Self.only(strategies, in: config) }
        guard cash > 0 else { throw invalidInput("--cash \(cash): expected a positive amount") }
        var options = Backtest.Options(days: try days(context), config: context.config, strategies: config, directory: out)
        options.cash = cash
        options.keepTapes = keepTapes
        let quiet = json
        options.dayDone = { o in
            guard !quiet else { return }
            print(
                "\(o.session.date): \(o.report.signals) signals, \(o.report.entries) entries, \(o.report.closed) closed, realized \(String(format: "%.2f", o.report.realized)), state \(o.state) — \(o.events) events in \(String(format: "%.1f", o.seconds)) s"
            )
        }
        let outcomes: [BacktestDay.Outcome]
        do { outcomes = try Backtest(options).run() } catch let error as TapeError { throw invalidInput(error.description) } catch {
            throw failure("\(error)")
        }
        try summarize(outcomes)
    }

    /// The days to run: the tapes given, or the range's sessions with generated tapes.
    func days(_ context: AlphaContext) throws -> [Backtest.Day] {
        switch (tapes.isEmpty, from, to) {
        case (false, nil, nil):
            for tape in tapes where !FileManager.default.fileExists(atPath: tape) { throw invalidInput("--tapes: \(tape): no such file") }
            return tapes.map { .tape($0) }
        case (true, let from?, let to?):
            guard let first = LocalDate(parsing: from) else { throw invalidInput("--from \(from): expected YYYY-MM-DD") }
            guard let last = LocalDate(parsing: to) else { throw invalidInput("--to \(to): expected YYYY-MM-DD") }
            guard first <= last else { throw invalidInput("--from \(from) is after --to \(to)") }
            let sessions: [Session]
            do { sessions = try context.config.calendar.sessions(from: first, through: last) } catch { throw invalidInput("\(error)") }
            guard !sessions.isEmpty else { throw invalidInput("\(from) … \(to): no trading session in the range") }
            let seed = self.seed
            return sessions.map { session in
                .generated(date: session.date) { path in
                    _ = try writeTape(context, session: session, seed: Self.seed(seed, for: session.date), path: path)
                }
            }
        default:
            throw invalidInput("give --tapes FILE… or --from D --to D")
        }
    }

    /// A day's tape seed: the range's, mixed with the date (each day's market differs).
    static func seed(_ seed: UInt64, for date: LocalDate) -> UInt64 {
        var h = seed ^ (UInt64(bitPattern: Int64(date.daysSinceEpoch)) &* 0x9E37_79B9_7F4A_7C15)
        h ^= h >> 31
        return h &* 0xBF58_476D_1CE4_E5B9
    }

    /// The configuration with only `names` enabled; an unknown name is invalid input.
    static func only(_ names: String, in config: StrategiesConfig) throws -> StrategiesConfig {
        let wanted = Set(names.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let known = Set(config.strategies.map(\.kind.rawValue))
        if let unknown = wanted.subtracting(known).sorted().first {
            throw invalidInput("--strategies: \(unknown) is not a strategy (\(known.sorted().joined(separator: ", ")))")
        }
        var copy = config
        for i in copy.strategies.indices { copy.strategies[i].enabled = wanted.contains(copy.strategies[i].kind.rawValue) }
        return copy
    }

    func summarize(_ outcomes: [BacktestDay.Outcome]) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))
        let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let history = report["history"] as? [String: Any] ?? [:]
        let equity = history["equity"] as? [[String: Any]] ?? []
        let total = equity.reduce(0.0) { $0 + ($1["pnl"] as? Double ?? 0) }
        let events = outcomes.reduce(0) { $0 + $1.events }
        let seconds = outcomes.reduce(0.0) { $0 + $1.seconds }
        if json {
            let days = outcomes.map { o -> [String: Any] in
                [
                    "date": o.session.date.description, "signals": o.report.signals, "entries": o.report.entries, "closed": o.report.closed,
                    "realized": (o.report.realized * 100).rounded() / 100, "state": o.state, "events": o.events, "seconds": (o.seconds * 1000).rounded() / 1000,
                ]
            }
            let result: [String: Any] = [
                "out": out, "days": days, "pnl": (total * 100).rounded() / 100, "sharpe": history["sharpe"] ?? NSNull(),
                "sortino": history["sortino"] ?? NSNull(), "maximum_drawdown": history["maximum_drawdown"] ?? NSNull(), "events": events,
                "seconds": (seconds * 1000).rounded() / 1000, "report": out + "/report.html", "trades": out + "/trades.csv",
            ]
            let text = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: text, as: UTF8.self))
            return
        }
        func figure(_ key: String) -> String { (history[key] as? Double).map { String(format: "%.2f", $0) } ?? "—" }
        print(
            "\(outcomes.count) days: P&L \(String(format: "%.2f", total)), Sharpe \(figure("sharpe")), Sortino \(figure("sortino")); \(events) events in \(String(format: "%.1f", seconds)) s (\(seconds > 0 ? String(format: "%.0f", Double(events) / seconds) : "-") events/s)"
        )
        print("report: \(out)/report.html; trades: \(out)/trades.csv; journal: \(out)/journal.sqlite")
    }
}

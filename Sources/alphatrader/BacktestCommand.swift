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

            A sweep (--sweep KEY=V1,V2,…, repeatable: every combination) runs each variant of
            the strategies file over the same days, as many at a time as there are cores, and
            ranks them by P&L. Chosen on the days it is measured on, the best variant overfits
            them: --train N --test M walks forward — the best of each N days is run on the M days
            after them, which it has not seen — and reports what it made there.

            Examples:
              alphatrader backtest --tapes var/tapes/2026-12-07.tape
              alphatrader backtest --from 2026-12-01 --to 2026-12-05 --sweep 0dte.sizing.contracts=1,2,3
              alphatrader backtest --from 2026-11-02 --to 2026-11-27 --sweep risk.daily_loss_limit=500,2000 --train 5 --test 2
              alphatrader backtest --from 2026-11-02 --to 2026-11-27 --seed 7 --json
              alphatrader backtest --from 2026-12-01 --to 2026-12-04 --strategies 0dte,moc
            """
    )

    @OptionGroup var common: CommonOptions
    @Option(parsing: .upToNextOption, help: "Tapes to run, one per day, in order.") var tapes: [String] = []
    @Option(help: "First day of a generated range (YYYY-MM-DD).") var from: String?
    @Option(help: "Last day of a generated range (YYYY-MM-DD).") var to: String?
    @Option(help: "Seed of the generated tapes (each day's seed and regime are derived from it and the date, as replay-gen --from-date's).") var seed: UInt64 =
        TapeGenerator.defaultSeed
    @Option(help: "Only these strategies (comma-separated; default: those the strategies file enables).") var strategies: String?
    @Option(help: "The strategies file.") var strategiesFile = StrategiesConfig.file
    @Option(help: "Where the journal, the reports and the log go (emptied of an earlier backtest's files).") var out = "var/backtest"
    @Option(help: "A new paper account's cash, in dollars.") var cash: Double = 100_000
    @Flag(help: "Keep the generated tapes in OUT/tapes.") var keepTapes = false
    @Option(help: "A key of the strategies file and its values, KEY=V1,V2,… (repeatable; every combination is run and ranked).")
    var sweep: [String] = []
    @Option(help: "Walk-forward with --sweep: days each variant is chosen on.") var train: Int?
    @Option(help: "Walk-forward with --sweep: days the chosen variant is then tested on.") var test: Int?
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let context = try loadContext(common, module: "backtest")
        var config = try loadStrategies(context, file: strategiesFile)
        if let strategies { config = try Self.only(strategies, in: config) }
        guard cash > 0 else { throw invalidInput("--cash \(cash): expected a positive amount") }
        guard !sweep.isEmpty || (train == nil && test == nil) else { throw invalidInput("--train and --test walk a --sweep forward: give --sweep") }
        if !sweep.isEmpty {
            try runSweep(context, base: config)
            return
        }
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
            let sessions = try sessionsBetween(context, from: (from, "--from"), to: (to, "--to"))
            let seed = self.seed
            return sessions.map { session in
                .generated(date: session.date) { path in
                    _ = try writeTape(context, session: session, seed: seed, path: path, calendar: true)
                }
            }
        default:
            throw invalidInput("give --tapes FILE… or --from D --to D")
        }
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

    // MARK: Sweeps

    private func runSweep(_ context: AlphaContext, base: StrategiesConfig) throws {
        let variants = try sweepVariants(context)
        let days = try days(context)
        var walk: [(train: Range<Int>, test: Range<Int>)] = []
        if train != nil || test != nil {
            guard let n = train, let m = test else { throw invalidInput("--train and --test go together") }
            guard n >= 1, m >= 1 else { throw invalidInput("--train \(n) --test \(m): expected at least one day each") }
            walk = BacktestSweep.windows(count: days.count, train: n, test: m)
            guard !walk.isEmpty else { throw invalidInput("--train \(n) --test \(m): the range has \(days.count) sessions, not more than \(n)") }
        }
        let directory = out + "/sweep"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory + "/tapes", withIntermediateDirectories: true)
        for v in variants { try v.yaml.write(toFile: v.variant.file, atomically: true, encoding: .utf8) }
        let tapes = try sweepTapes(days, into: directory + "/tapes")
        let dates = try tapes.map { try TapeReader(path: $0, verify: false).header.date }
        let parallel = max(1, min(2, ProcessInfo.processInfo.activeProcessorCount))
        var shared = ["--config", common.config, "--cash", String(cash)]
        if let strategies { shared += ["--strategies", strategies] }
        let runner = BacktestSweep(
            executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path, shared: shared, out: directory, parallel: parallel,
            quiet: json)
        let list = variants.map(\.variant)
        func label(_ variant: Int) -> String { list[variant - 1].label }
        if walk.isEmpty {
            if !json { print("sweep: \(list.count) variants over \(dates.count) days (\(dates.first!) … \(dates.last!)), \(parallel) at a time") }
            let results = try runner.run(list.map { ($0, tapes, directory + "/variant-\($0.index)") })
            let ranked = BacktestSweep.ranked(results)
            let caution =
                "in sample: the best of \(list.count) variants, chosen on the days it is measured on, overfits them — confirm it out of sample (--train N --test M)"
            try writeSweep(["variants": sweepJSON(list), "days": dates, "ranking": ranked.map(\.json), "caution": caution], to: out + "/sweep.json")
            if json { return }
            print("rank  P&L         Sharpe  max DD    entries  variant")
            for (rank, r) in ranked.enumerated() {
                let sharpe = r.sharpe.map { String(format: "%.2f", $0) } ?? "—"
                print(
                    String(format: "%4d  %10.2f  ", rank + 1, r.pnl) + String(repeating: " ", count: max(0, 6 - sharpe.count)) + sharpe
                        + String(format: "  %8.2f  %7d  ", r.drawdown, r.entries) + label(r.variant))
            }
            print("caution: \(caution)")
            print("written: \(out)/sweep.json; each variant's report: \(directory)/variant-N/report.html")
            return
        }
        var windowsJSON: [[String: Any]] = []
        var outOfSample = 0.0, inSample = 0.0
        for (k, w) in walk.enumerated() {
            let trainDates = Array(dates[w.train]), testDates = Array(dates[w.test])
            if !json { print("window \(k + 1)/\(walk.count): train \(trainDates.first!) … \(trainDates.last!), test \(testDates.first!) … \(testDates.last!)") }
            let trained = try runner.run(list.map { ($0, Array(tapes[w.train]), directory + "/w\(k + 1)-train-variant-\($0.index)") })
            let best = BacktestSweep.ranked(trained)[0]
            let tested = try runner.run([(list[best.variant - 1], Array(tapes[w.test]), directory + "/w\(k + 1)-test-variant-\(best.variant)")])[0]
            outOfSample += tested.pnl
            inSample += best.pnl
            windowsJSON.append([
                "train": trainDates, "test": testDates, "best": best.variant, "train_ranking": BacktestSweep.ranked(trained).map(\.json),
                "test_result": tested.json,
            ])
            if !json {
                print(String(format: "  chosen: %@ (P&L %.2f in sample) → %.2f out of sample", label(best.variant), best.pnl, tested.pnl))
            }
        }
        let summary: [String: Any] = [
            "variants": sweepJSON(list), "days": dates, "train": train!, "test": test!, "windows": windowsJSON,
            "in_sample_pnl": (inSample * 100).rounded() / 100, "out_of_sample_pnl": (outOfSample * 100).rounded() / 100,
        ]
        try writeSweep(summary, to: out + "/sweep.json")
        if json { return }
        print(
            String(
                format: "walk-forward: out of sample %.2f over %d windows (the chosen variants made %.2f on the days they were chosen on)", outOfSample,
                walk.count,
                inSample))
        print("written: \(out)/sweep.json; each run's report: \(directory)/w*-*/report.html")
    }

    /// Every combination of the sweep's values as a strategies file, each checked as the file is
    /// (a key that is not one, or a value out of its range, is invalid input naming it).
    private func sweepVariants(_ context: AlphaContext) throws -> [(variant: BacktestSweep.Variant, yaml: String)] {
        let axes = try sweep.map(SweepAxis.parse)
        if let twice = Dictionary(grouping: axes, by: \.key).first(where: { $0.value.count > 1 })?.key {
            throw invalidInput("--sweep \(twice): the key is swept twice")
        }
        let combinations = SweepAxis.combinations(axes)
        guard combinations.count <= 256 else { throw invalidInput("--sweep: \(combinations.count) combinations; at most 256") }
        guard let text = try? String(contentsOfFile: strategiesFile, encoding: .utf8) else { throw invalidInput("\(strategiesFile): cannot be read") }
        let root: YAMLValue
        switch YAMLValue.parse(text, file: strategiesFile) {
        case .success(let value): root = value
        case .failure(let diagnostic): throw invalidInput(diagnostic.description)
        }
        var variants: [(BacktestSweep.Variant, String)] = []
        for (i, settings) in combinations.enumerated() {
            var node = root
            for (key, value) in settings {
                node = try StrategiesVariant.setting(node, key.split(separator: ".").map(String.init)[...], to: value, key: key)
            }
            let variant = BacktestSweep.Variant(index: i + 1, settings: settings, file: "\(out)/sweep/variant-\(i + 1).yaml")
            let yaml = "# \(strategiesFile) with \(variant.label) (alphatrader backtest --sweep)\n" + StrategiesVariant.text(node) + "\n"
            if case .failure(let problems) = StrategiesConfig.load(yaml, file: variant.file, symbols: context.config.symbols.all) {
                throw invalidInput("--sweep \(variant.label): " + problems.all.map(\.message).joined(separator: "; "))
            }
            variants.append((variant, yaml))
        }
        return variants
    }

    /// The days' tapes as files: those given, or the range's generated into `directory`, as
    /// many at a time as there are cores.
    private func sweepTapes(_ days: [Backtest.Day], into directory: String) throws -> [String] {
        var paths: [String] = []
        var writes: [(path: String, write: (String) throws -> Void)] = []
        for day in days {
            switch day {
            case .tape(let path): paths.append(path)
            case .generated(let date, let write):
                let path = "\(directory)/\(date).tape"
                paths.append(path)
                writes.append((path, write))
            }
        }
        if !writes.isEmpty && !json { print("generating \(writes.count) tapes …") }
        let failures = NSLock()
        nonisolated(unsafe) var failure: (any Error)?
        nonisolated(unsafe) let jobs = writes
        DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
            do { try jobs[i].write(jobs[i].path) } catch { failures.withLock { failure = failure ?? error } }
        }
        if let failure { throw failure }
        return paths
    }

    private func sweepJSON(_ variants: [BacktestSweep.Variant]) -> [[String: Any]] {
        variants.map { v in
            ["variant": v.index, "settings": Dictionary(v.settings.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }), "file": v.file]
        }
    }

    private func writeSweep(_ object: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        if json { print(String(decoding: data, as: UTF8.self)) }
    }
}

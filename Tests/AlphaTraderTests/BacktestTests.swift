import AlphaTrader
import AlphaTraderBacktest
import Foundation
import GRDB
import OrchestratorCore
import Testing

/// `alphatrader backtest`'s engine: the live analytics, discovery, strategies, risk and order
/// path over a generated tape, against tws-sim's paper broker in the same process.
@Suite("Backtests over tapes", .serialized)
struct BacktestTests {
    /// 2026-11-25 from 09:25 to 09:55 (the default seed's): the open, and the first 0dte
    /// entries at 09:45 and 09:50.
    static let tape: String = {
        let path = temporaryPath("tape")
        _ = try! TapeGenerator(options: TestTape.options(seed: TapeGenerator.defaultSeed, minutes: 30, startingAt: -300)).write(to: path)
        return path
    }()

    static func strategies() throws -> StrategiesConfig {
        let text = try String(contentsOfFile: repositoryRoot + "/config/strategies.yaml", encoding: .utf8)
        return try StrategiesConfig.load(text, file: "config/strategies.yaml", symbols: Config.defaults.symbols.all).get()
    }

    static func run(into directory: String, tapes: [String] = [tape]) throws -> [BacktestDay.Outcome] {
        try Backtest(Backtest.Options(tapes: tapes, config: Config.defaults, strategies: strategies(), directory: directory)).run()
    }

    /// Every row of every table, in order, as text.
    static func dump(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            var lines: [String] = []
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
                // Some tables have no rowid: their rows in the order of their text.
                lines += try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { "\(table) \($0.description)" }.sorted()
            }
            return lines
        }
    }

    @Test("the same tape and configuration twice: the same outcome and the same journal, row for row")
    func deterministic() throws {
        let a = temporaryPath("backtest"), b = temporaryPath("backtest")
        defer { for d in [a, b] { try? FileManager.default.removeItem(atPath: d) } }
        let first = try Self.run(into: a), second = try Self.run(into: b)
        #expect(first[0].report == second[0].report)
        #expect(first[0].report.entries > 0, "the tape's open gives 0dte entries: the test must see trades")
        let (x, y) = (try Self.dump(a + "/journal.sqlite"), try Self.dump(b + "/journal.sqlite"))
        #expect(x.count > 50)
        #expect(x == y)
        // The reports, byte for byte.
        for file in ["report.json", "report.html", "trades.csv", "2026-11-25/report.json", "2026-11-25/report.html"] {
            let (p, q) = (FileManager.default.contents(atPath: a + "/" + file), FileManager.default.contents(atPath: b + "/" + file))
            #expect(p != nil && p == q, "\(file) differs between two runs")
        }
        let csv = try String(contentsOfFile: a + "/trades.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == first[0].report.entries + 1)
    }

    @Test("every entry goes through the paper broker: the journal's fills are the account's executions, with their commissions")
    func throughThePaperBroker() throws {
        let dir = temporaryPath("backtest")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = try Self.run(into: dir)[0]
        // From the open to 5 minutes after the tape's end, a step a market second.
        #expect(outcome.steps == 30 * 60)
        let journal = try Journal(readingOnly: dir + "/journal.sqlite")
        let fills = try journal.fills(since: 0)
        #expect(!fills.isEmpty)
        #expect(fills.allSatisfy { ($0.commission ?? 0) > 0 })
        // The account as tws-sim keeps it, executions by id.
        let account = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/paper-account.json"))) as! [String: Any]
        let broker = account["broker"] as! [String: Any]
        let executions = broker["executions"] as! [[String: Any]]
        #expect(Set(executions.map { $0["id"] as! String }) == Set(fills.map(\.execId)))
        let positions = try journal.managedPositions()
        #expect(positions.count == outcome.report.entries)
        #expect(positions.filter { $0.closedAt != nil }.count == outcome.report.closed)
    }

    @Test(
        "bad input exits 2 naming what is wrong, nothing written: a missing tape, a truncated one (its byte offset), a range with no session, an unknown strategy, a strategies file with errors, a sweep key that is not one, neither tapes nor a range"
    )
    func badInput() throws {
        let cli = AlphaTraderCLITests()
        let truncated = temporaryPath("tape"), out = temporaryPath("backtest")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.tape))
        try bytes.prefix(bytes.count - 1_000).write(to: URL(fileURLWithPath: truncated))
        let broken = temporaryPath("yaml")
        try "strategies:\n  0dte:\n    min_confidence: 2\n    sizing: { contracts: none }\n".write(toFile: broken, atomically: true, encoding: .utf8)
        defer { for f in [truncated, broken] { try? FileManager.default.removeItem(atPath: f) } }
        let cases: [([String], String)] = [
            (["--tapes", Self.tape, "--strategies-file", broken], "min_confidence"),
            (["--tapes", "/nonexistent.tape"], "/nonexistent.tape: no such file"),
            (["--tapes", Self.tape, truncated], "at byte"),
            (["--from", "2026-12-05", "--to", "2026-12-06"], "no trading session"),
            (["--from", "2026-12-07", "--to", "2026-12-01"], "is after --to"),
            (["--tapes", Self.tape, "--strategies", "0dte,scalp"], "scalp is not a strategy"),
            ([], "give --tapes"),
            (["--tapes", Self.tape, "--sweep", "0dte.sizing.contractz=1,2"], #"unknown key "contractz""#),
            (["--tapes", Self.tape, "--sweep", "risk.daily_loss_limit=500,lots"], "risk.daily_loss_limit"),
            (["--tapes", Self.tape, "--sweep", "0dte.sizing.contracts"], "expected KEY=V1,V2"),
            (["--tapes", Self.tape, "--train", "2", "--test", "1"], "give --sweep"),
            (["--tapes", Self.tape, "--sweep", "0dte.sizing.contracts=1,2", "--train", "1", "--test", "1"], "not more than 1"),
        ]
        for (arguments, words) in cases {
            let r = try cli.run(["backtest", "--out", out] + arguments)
            #expect(r.status == 2, "\(arguments)")
            #expect(r.stderr.contains(words), "\(arguments): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(arguments) wrote \(out)")
        }
    }

    @Test(
        "a sweep runs every variant as its own backtest over the same tape and ranks them by P&L; each variant's file holds its value, its orders that size"
    )
    func sweep() throws {
        let out = temporaryPath("backtest")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try AlphaTraderCLITests().run(["backtest", "--tapes", Self.tape, "--out", out, "--sweep", "0dte.sizing.contracts=2,4", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let ranking = try #require(summary["ranking"] as? [[String: Any]])
        #expect(ranking.count == 2)
        let pnls = ranking.compactMap { $0["pnl"] as? Double }
        #expect(pnls == pnls.sorted(by: >), "best first: \(pnls)")
        #expect((summary["caution"] as? String)?.contains("overfits") == true)
        var bought: [Int] = []
        for (variant, contracts) in [(1, 2), (2, 4)] {
            let yaml = try String(contentsOfFile: "\(out)/sweep/variant-\(variant).yaml", encoding: .utf8)
            #expect(yaml.contains("contracts: \(contracts)"), "\(yaml)")
            let journal = try Journal(readingOnly: "\(out)/sweep/variant-\(variant)/journal.sqlite")
            let entries = try journal.orders().filter { $0.strategy == "0dte" && $0.parentRef == nil && $0.request.action == .buy }
            #expect(!entries.isEmpty, "variant \(variant) traded")
            bought.append(entries.reduce(0) { $0 + $1.request.quantity })
        }
        // The same signals, sized twice as large (an extreme market's cut halves both alike).
        #expect(bought.count == 2 && bought[1] == 2 * bought[0], "contracts bought: \(bought)")
    }

    @Test(
        "replay-gen --from-date/--to-date: a tape per session (Thanksgiving and the weekend skipped, the early close's ending at 13:00), each day's regime its own, the same bytes twice"
    )
    func calendarOfTapes() throws {
        let cli = AlphaTraderCLITests()
        let a = temporaryPath("tapes"), b = temporaryPath("tapes")
        defer { for d in [a, b] { try? FileManager.default.removeItem(atPath: d) } }
        let range = ["replay-gen", "--from-date", "2026-11-25", "--to-date", "2026-11-30", "--from", "12:55", "--to", "13:05", "--json"]
        let first = try cli.run(range + ["--out", a])
        #expect(first.status == 0, "\(first.stderr)")
        let days = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [[String: Any]])
        #expect(days.compactMap { $0["date"] as? String } == ["2026-11-25", "2026-11-27", "2026-11-30"])
        #expect(days.compactMap { $0["early_close"] as? Bool } == [false, true, false])
        let regimes = days.compactMap { $0["regime"] as? [String: Any] }
        #expect(Set(regimes.compactMap { $0["drift"] as? Double }).count == 3, "each day drifts its own way: \(regimes)")
        #expect(Set(days.compactMap { ($0["seed"] as? NSNumber)?.uint64Value }).count == 3)
        let zone = ZoneRules.named("America/New_York")!
        for (date, closesAt1pm) in [("2026-11-25", false), ("2026-11-27", true)] {
            let reader = try TapeReader(path: "\(a)/\(date).tape")
            var last: Int64 = 0
            while let event = try reader.next() { last = event.time }
            let oneOClock = zone.instant(of: LocalDate(parsing: date)!, secondsOfDay: 13 * 3600)
            #expect((last / 1_000_000 <= oneOClock) == closesAt1pm, "\(date): last event at \(last / 1_000_000), 13:00 is \(oneOClock)")
        }
        let second = try cli.run(range + ["--out", b])
        #expect(second.status == 0)
        for date in ["2026-11-25", "2026-11-27", "2026-11-30"] {
            #expect(FileManager.default.contents(atPath: "\(a)/\(date).tape") == FileManager.default.contents(atPath: "\(b)/\(date).tape"), "\(date)")
        }
        for (arguments, words) in [
            (["--from-date", "2026-11-28", "--to-date", "2026-11-29"], "no trading session"),
            (["--from-date", "2026-11-28"], "go together"),
            (["--from-date", "2026-11-30", "--to-date", "2026-11-25"], "is after --to-date"),
            (["--date", "2026-11-25", "--from-date", "2026-11-25", "--to-date", "2026-11-30"], "not both"),
        ] {
            let r = try cli.run(["replay-gen", "--out", temporaryPath("tapes")] + arguments)
            #expect(r.status == 2 && r.stderr.contains(words), "\(arguments): \(r.stderr)")
        }
    }

    @Test("the range's report opens in headless Chromium: its title names the backtest, the equity curve is drawn, the trades are listed")
    func reportInChromium() throws {
        let out = temporaryPath("backtest")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let outcomes = try Self.run(into: out)
        let dom = try EveningBrowserTests.run(["--dump-dom", "file://" + out + "/report.html"])
        #expect(dom.status == 0)
        for needle in ["<h1>Backtest — 2026-11-25</h1>", "<svg", "class=\"equity\"", "id=\"card-sharpe\"", "0dte"] {
            #expect(dom.stdout.contains(needle), "\(needle)")
        }
        #expect(outcomes[0].report.entries > 0)
        let shot = out + "/report.png"
        let s = try EveningBrowserTests.run(["--screenshot=" + shot, "--window-size=1280,1600", "--hide-scrollbars", "file://" + out + "/report.html"])
        #expect(s.status == 0)
        let png = try #require(FileManager.default.contents(atPath: shot))
        #expect(png.count > 30_000, "a page of charts and tables, not a blank one: \(png.count) bytes")
    }
}

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
        "bad input exits 2 naming what is wrong, nothing written: a missing tape, a truncated one (its byte offset), a range with no session, an unknown strategy, neither tapes nor a range"
    )
    func badInput() throws {
        let cli = AlphaTraderCLITests()
        let truncated = temporaryPath("tape"), out = temporaryPath("backtest")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.tape))
        try bytes.prefix(bytes.count - 1_000).write(to: URL(fileURLWithPath: truncated))
        defer { try? FileManager.default.removeItem(atPath: truncated) }
        let cases: [([String], String)] = [
            (["--tapes", "/nonexistent.tape"], "/nonexistent.tape: no such file"),
            (["--tapes", Self.tape, truncated], "at byte"),
            (["--from", "2026-12-05", "--to", "2026-12-06"], "no trading session"),
            (["--from", "2026-12-07", "--to", "2026-12-01"], "is after --to"),
            (["--tapes", Self.tape, "--strategies", "0dte,scalp"], "scalp is not a strategy"),
            ([], "give --tapes"),
        ]
        for (arguments, words) in cases {
            let r = try cli.run(["backtest", "--out", out] + arguments)
            #expect(r.status == 2, "\(arguments)")
            #expect(r.stderr.contains(words), "\(arguments): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(arguments) wrote \(out)")
        }
    }
}

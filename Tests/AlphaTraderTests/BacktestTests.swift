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

    @Test("a tape that is not one: exit with its path and what is wrong, nothing run")
    func damagedTape() throws {
        let path = temporaryPath("tape")
        try Data("not a tape at all".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: (any Error).self) { try Self.run(into: temporaryPath("backtest"), tapes: [path]) }
    }
}

import AlphaTrader
import Foundation
import OrchestratorCore
import TestSupport
import Testing

@Suite("Performance statistics, worked by hand")
struct PerformanceTests {
    @Test("Sharpe and Sortino of four daily returns, annualised by √252 (risk-free 0; Sortino's downside deviation over every day)")
    func ratios() throws {
        let r = [0.01, -0.02, 0.03, 0.0]
        // mean 0.005; sample deviation √(0.0013/3) = 0.020817; × √252
        #expect(abs(try #require(Performance.sharpe(r)) - 3.812933) < 1e-5)
        // downside deviation √(0.0004/4) = 0.01
        #expect(abs(try #require(Performance.sortino(r)) - 7.937254) < 1e-5)
        #expect(Performance.sharpe([0.01]) == nil, "one day is not a ratio")
        #expect(Performance.sortino([0.01, 0.02]) == nil, "no losing day: no downside to divide by")
        #expect(Performance.sharpe([0.01, 0.01]) == nil, "no variation")
    }

    @Test("the maximum drawdown is the largest fall from a running peak, with where it started and ended")
    func drawdown() throws {
        let d = try #require(Performance.maximumDrawdown([100, 110, 105, 120, 90, 95]))
        #expect(d.amount == 30 && d.peak == 3 && d.trough == 4 && d.fraction == 0.25)
        #expect(Performance.maximumDrawdown([1, 2, 3]) == nil)
        #expect(Performance.profitFactor([50, -20, 30, -10]).map { abs($0 - 80.0 / 30.0) < 1e-12 } == true)
        #expect(Performance.profitFactor([5, 1]) == nil)
    }
}

@Suite("The evening report's figures on a hand-built day, and its page")
struct EveningReportTests {
    static let zone = ZoneRules.named("America/New_York")!
    static func at(_ hhmm: String) -> Double {
        let p = hhmm.split(separator: ":").map { Int64($0)! }
        return Double(zone.instant(of: LocalDate(parsing: "2026-12-07")!, secondsOfDay: p[0] * 3600 + p[1] * 60))
    }

    static func inputs() -> EveningReport.Inputs {
        var i = EveningReport.Inputs(
            session: "2026-12-07", open: at("09:30"), close: at("16:00"), capital: 10_000, days: ["2026-12-03", "2026-12-04", "2026-12-07"])
        func trade(_ strategy: String, _ symbol: String, _ closed: String, _ pnl: Double) -> EveningReport.Trade {
            .init(
                strategy: strategy, instrument: "\(symbol) 20261207 C 600", symbol: symbol, openedAt: at(closed) - 600, closedAt: at(closed), pnl: pnl,
                reason: "target")
        }
        i.trades = [
            ("2026-12-03", trade("0dte", "SPY", "10:00", 100)), ("2026-12-04", trade("0dte", "SPY", "10:00", -200)),
            ("2026-12-07", trade("0dte", "SPY", "10:00", 50)), ("2026-12-07", trade("0dte", "QQQ", "11:00", -30)),
            ("2026-12-07", trade("14dte", "AAPL", "12:00", 20)), ("2026-12-07", trade("moc", "SPY", "15:55", -40)),
        ]
        i.fills = [
            .init(time: at("09:50"), instrument: "SPY C", quantity: 2, price: 1.5, multiplier: 100, commission: 1.3),
            .init(time: at("10:30"), instrument: "QQQ C", quantity: 1, price: 2.0, multiplier: 100, commission: 0.65),
            .init(time: at("10:40"), instrument: "SPY C", quantity: -2, price: 1.75, multiplier: 100, commission: 1.3),
            .init(time: at("11:00"), instrument: "QQQ C", quantity: -1, price: 1.7, multiplier: 100, commission: 0.65),
        ]
        i.signals = [.init(time: at("09:49"), strategy: "0dte", symbol: "SPY", direction: "long", confidence: 0.7, outcome: "won", pnl: 50)]
        i.breakerEvents = [(at("11:00"), "strategy 0dte paused: 3 losing trades in a row")]
        i.denied = ["correlation": 2]
        i.runs = [.init(job: "moc", state: "succeeded", startedAt: at("15:50"), finishedAt: at("15:51"), attempts: 1, reason: nil)]
        return i
    }

    @Test("the day: P&L by strategy and symbol, win rate, averages, profit factor, largest loss, commissions, exposure, intraday drawdown")
    func dayFigures() throws {
        let r = EveningReport(Self.inputs())
        #expect(r.trades.count == 4 && r.realized == 0 && r.wins == 2 && r.winRate == 0.5)
        #expect(r.averageWin == 35 && r.averageLoss == -35 && r.profitFactor == 1 && r.largestLoss == -40)
        #expect(abs(r.commissions - 3.9) < 1e-9)
        #expect(r.byStrategy.map(\.name) == ["0dte", "14dte", "moc"] && r.byStrategy.map(\.pnl) == [20, 20, -40])
        #expect(r.bySymbol.map(\.name) == ["AAPL", "QQQ", "SPY"] && r.bySymbol.map(\.pnl) == [20, -30, 10])
        // Realized through the day: 0 → 50 → 20 → 40 → 0; the high 50, the fall from it 50.
        #expect(r.equity.map(\.value) == [0, 50, 20, 40, 0] && r.intradayDrawdown == 50)
        // Held premium: 300 → 500 → 200 → 0.
        #expect(r.exposure.map(\.value) == [300, 500, 200, 0] && r.maxExposure == 500)
    }

    @Test("the history: every trading day's return on the equity before it, Sharpe, Sortino and the maximum drawdown with its dates")
    func history() throws {
        let r = EveningReport(Self.inputs())
        #expect(r.history.map(\.equity) == [10_100, 9_900, 9_900])
        #expect(r.history.map(\.dailyReturn)[1] == -200.0 / 10_100)
        #expect(abs(try #require(r.sharpe) - -3.419680) < 1e-5)
        #expect(abs(try #require(r.sortino) - -4.536750) < 1e-5)
        let dd = try #require(r.maximumDrawdown)
        #expect(dd.amount == 200 && dd.peak == "2026-12-03" && dd.trough == "2026-12-04" && abs(dd.fraction - 200.0 / 10_100) < 1e-12)
        let json = r.document.serialized()
        #expect(json.contains("\"sharpe\":-3.42") && json.contains("\"win_rate\":0.5") && json.contains("\"profit_factor\":1"))
    }

    @Test("the page stands alone (no script, no fetched resource) and carries its charts and figures; the JSON reads back for the posts")
    func page() throws {
        let r = EveningReport(Self.inputs())
        let html = EveningRender.html(r, zone: Self.zone)
        for forbidden in ["<script", "src=", "href=", "@import", "url("] { #expect(!html.contains(forbidden), "\(forbidden)") }
        for id in ["equity-chart", "strategy-chart", "history-chart", "runs-chart", "card-realized", "by-strategy", "trades", "signals", "runs"] {
            #expect(html.contains("id=\"\(id)\""), "\(id)")
        }
        #expect(html.contains("−40.00") && html.contains("50.0 %") && html.contains("strategy 0dte paused"))
        let s = try #require(EveningSummary.read(Data(r.document.serialized().utf8)))
        #expect(s.trades == 4 && s.realized == 0 && s.strategies.map(\.name) == ["0dte", "14dte", "moc"] && s.breakerEvents == 1)
        #expect(EveningMessages.x(s).count <= 280 && EveningMessages.telegram(s).count <= 1_024)
    }
}

@Suite("alphatrader evening-report and post --report evening end to end", .serialized)
struct EveningReportCLITests {
    @Test(
        "from a journal of two closed positions: the three files, the figures in the JSON, read-only on the journal; then posted to every channel's stand-in, the PNG to Telegram"
    )
    func endToEnd() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let dir = NSTemporaryDirectory() + "evening-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/config", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "timezone: America/New_York\ncalendar: XNYS\ndatabase: var/orchestrator.sqlite\nredis: { url: \"\(redis.url)\" }\n".write(
            toFile: dir + "/config/config.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/var", withIntermediateDirectories: true)
        let journal = try Journal(path: dir + "/var/trading.sqlite")
        let option = Instrument.option(symbol: "SPY", expiry: "20261207", strike: 600, right: .call)
        for (n, pnl) in [(1, 120.0), (2, -45.0)] {
            let at = EveningReportTests.at("1\(n):00")
            let request = OrderRequest(id: n, instrument: option, action: .buy, quantity: 1, kind: .limit(2), orderRef: "r\(n)")
            try journal.recordSubmissions(
                [(request, nil)], clientId: 2, strategy: "0dte", position: "p\(n)",
                opening: .init(id: "p\(n)", signalId: nil, strategy: "0dte", plan: ExitPlan(stop: 1.5, targets: [], trail: nil)), now: at)
            try journal.closePosition(id: "p\(n)", reason: n == 1 ? "target" : "stop", realizedPnL: pnl, now: at + 900)
        }
        let before = try BackupTests.digest(dir + "/var/trading.sqlite")
        let cli = AlphaTraderCLITests()
        let r = try cli.run(["evening-report", "--date", "2026-12-07", "--capital", "10000", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["evening.html", "evening.json", "evening.png"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/var/reports/2026-12-07/\(name)"), "\(name)")
        }
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let day = try #require(doc["day"] as? [String: Any])
        #expect(day["realized"] as? Double == 75 && day["trades"] as? Int == 2 && day["win_rate"] as? Double == 0.5 && day["profit_factor"] as? Double == 2.67)
        #expect((doc["runs_note"] as? String ?? "").contains("no run store"), "no run store here: said, not created")
        #expect(!FileManager.default.fileExists(atPath: dir + "/var/orchestrator.sqlite"))
        #expect(try BackupTests.digest(dir + "/var/trading.sqlite") == before, "the journal is read, never written")

        let env = ["ALPHATRADER_LOCAL_CHANNELS": "1"]
        let posted = try cli.run(["post", "--report", "evening", "--date", "2026-12-07", "--json"], environment: env, in: dir)
        #expect(posted.status == 0, "\(posted.stderr)")
        let outcomes = try #require(try JSONSerialization.jsonObject(with: Data(posted.stdout.utf8)) as? [[String: Any]])
        #expect(outcomes.map { $0["outcome"] as? String } == ["posted", "posted", "posted"], "\(posted.stdout)")
        let missing = try cli.run(["post", "--report", "evening", "--date", "2026-12-08"], environment: env, in: dir)
        #expect(missing.status == 1 && missing.stderr.contains("no evening report (run evening-report first)"))
    }
}

import AlphaTrader
import Foundation
import OrchestratorCore
import Testing

@Suite("config/strategies.yaml: strategies and risk limits, validated with positions")
struct StrategiesConfigTests {
    static let symbols = ["SPY", "QQQ", "IWM", "AAPL", "TSLA", "NVDA", "META", "AMZN", "MSFT", "GOOGL", "AMD", "VXX"]

    func problems(_ text: String) -> [String] {
        switch StrategiesConfig.load(text, file: "s.yaml", symbols: Self.symbols) {
        case .success: return []
        case .failure(let d): return d.all.map(\.description)
        }
    }

    @Test("the shipped file is sound and says what the issue asks: four strategies, their windows and symbols")
    func shipped() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/config/strategies.yaml", encoding: .utf8)
        let config = try StrategiesConfig.load(text, file: "config/strategies.yaml", symbols: Self.symbols).get()
        #expect(config.strategies.map(\.kind) == [.zeroDTE, .oneDTE, .fourteenDTE, .moc])
        let zero = try #require(config.strategy(.zeroDTE))
        #expect(zero.window == (9 * 60 + 45)...(15 * 60) && zero.symbols == ["SPY", "QQQ", "IWM"] && zero.thresholds["vpin_high"] == 0.55)
        #expect(config.strategy(.oneDTE)?.exits.trailPercent == nil && config.strategy(.oneDTE)?.exits.timeStop == nil)
        #expect(config.strategy(.fourteenDTE)?.exits.targets.map(\.fraction) == [0.5, 0.5])
        #expect(config.risk.dailyLossLimit == 2_000 && config.risk.pauseAfterLosses == 1_800 && config.risk.extremeVpin == 0.8)
    }

    @Test("what a strategy leaves out takes the defaults")
    func defaults() throws {
        let config = try StrategiesConfig.load("strategies:\n  moc: { enabled: false }\n", file: "s.yaml", symbols: Self.symbols).get()
        let moc = try #require(config.strategy(.moc))
        #expect(!moc.enabled && moc.window == (15 * 60 + 30)...(15 * 60 + 50) && moc.thresholds["pin_distance_pct"] == 0.5)
        #expect(config.risk == RiskLimits())
    }

    @Test("an exits block that names one key keeps the strategy's own defaults for the rest (moc stays flat at 15:59, no trail, one target)")
    func partialExits() throws {
        let config = try StrategiesConfig.load("strategies:\n  moc: { exits: { stop_percent: 1 } }\n", file: "s.yaml", symbols: Self.symbols).get()
        let moc = try #require(config.strategy(.moc))
        #expect(moc.exits.stopPercent == 1)
        #expect(moc.exits == StrategyConfig.Exits(stopPercent: 1, targets: [(0.5, 1)], trailPercent: nil, timeStop: 15 * 60 + 59))
    }

    @Test(
        "each problem named at its line and column, all of them at once",
        arguments: [
            ("strategies:\n  0dt: {}\n", "s.yaml:2:3: error: unknown strategy \"0dt\" (known: 0dte, 1dte, 14dte, moc); did you mean \"0dte\"?"),
            ("strategies:\n  moc: { enable: true }\n", "s.yaml:2:10: error: unknown key \"enable\" in strategies.moc; did you mean \"enabled\"?"),
            (
                "strategies:\n  moc:\n    window: { from: \"15:50\", to: \"15:30\" }\n",
                "s.yaml:3:13: error: strategies.moc.window must run forwards inside the session (09:30–16:00)"
            ),
            (
                "strategies:\n  0dte: { symbols: [SPY, SPX] }\n",
                "s.yaml:2:26: error: strategies.0dte.symbols: SPX is not a configured symbol; did you mean \"SPY\"?"
            ),
            ("strategies:\n  0dte: { min_confidence: 1.5 }\n", "s.yaml:2:27: error: strategies.0dte.min_confidence must be between 0 and 1, found 1.5"),
            ("strategies:\n  0dte: { thresholds: { vpin: 0.5 } }\n", "s.yaml:2:25: error: unknown key \"vpin\" in strategies.0dte.thresholds"),
            (
                "strategies:\n  0dte:\n    exits: { targets: [{ percent: 50, fraction: 0.7 }, { percent: 80, fraction: 0.7 }] }\n",
                "s.yaml:3:23: error: strategies.0dte.exits.targets' fractions add up to more than the whole position"
            ),
            ("risk: { daily_loss_limit: lots }\n", "s.yaml:1:27: error: risk.daily_loss_limit must be a number, found a string \"lots\""),
            (
                "risk: { max_orders_per_second: 10, max_orders_per_minute: 5 }\n",
                "s.yaml:1:7: error: risk.max_orders_per_minute (5) is below max_orders_per_second (10)"
            ),
            ("strategies: [0dte]\n", "s.yaml:1:13: error: strategies must be a mapping, found a list"),
            (
                "risk: { max_shares_per_order: 20 }\nstrategies:\n  moc: {}\n",
                "s.yaml:3:3: error: strategies.moc.sizing.shares (30) is above risk.max_shares_per_order (20)"
            ),
            (
                "risk: { max_notional_per_order: 500 }\nstrategies:\n  0dte: {}\n",
                "s.yaml:3:3: error: strategies.0dte.sizing.max_premium (1500) is above risk.max_notional_per_order (500)"
            ),
        ])
    func positioned(text: String, expected: String) {
        let found = problems(text)
        #expect(found.contains(expected), "\(found)")
    }

    @Test("alphatrader strategies --check: the shipped file passes quietly; a broken one exits 2 naming the place")
    func command() throws {
        let cli = AlphaTraderCLITests()
        let ok = try cli.run(["strategies", "--check"])
        #expect(ok.status == 0 && ok.stdout.isEmpty, "\(ok.stderr)")
        let broken = temporaryPath("yaml")
        defer { try? FileManager.default.removeItem(atPath: broken) }
        try "strategies:\n  0dte: { min_confidence: 2 }\n  mocc: {}\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let bad = try cli.run(["strategies", "--check", "--file", broken])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("\(broken):2:27: error: strategies.0dte.min_confidence must be between 0 and 1, found 2"), "\(bad.stderr)")
        #expect(bad.stderr.contains("\(broken):3:3: error: unknown strategy \"mocc\""), "\(bad.stderr)")
        let shown = try cli.run(["strategies"])
        #expect(shown.status == 0 && shown.stdout.contains("0dte") && shown.stdout.contains("09:45–15:00"))
    }

    @Test("alphatrader strategies --json: each strategy with its sizing and exits, and every risk limit, as the file sets them")
    func json() throws {
        let r = try AlphaTraderCLITests().run(["strategies", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let strategies = try #require(root["strategies"] as? [[String: Any]])
        #expect(strategies.map { $0["name"] as? String } == ["0dte", "1dte", "14dte", "moc"])
        let moc = try #require(strategies.last)
        #expect((moc["sizing"] as? [String: Any])?["shares"] as? Int == 30)
        #expect((moc["exits"] as? [String: Any])?["time_stop"] as? String == "15:59")
        let risk = try #require(root["risk"] as? [String: Any])
        #expect(risk["daily_loss_limit"] as? Int == 2_000 && risk["collar_options"] as? Double == 0.1 && risk.count == 19, "\(risk)")
    }
}

import AlphaTrader
import AlphaTraderSimulators
import Foundation
import OrchestratorCore
import Redis
import TestSupport
import Testing

@Suite("The morning analysis: the economic calendar, the picture, the rules, the prompt and the report")
struct MorningAnalysisTests {
    static func shipped(_ path: String) throws -> String { try String(contentsOfFile: "\(repositoryRoot)/\(path)", encoding: .utf8) }

    static func calendar() throws -> EconomicCalendar {
        try EconomicCalendar.load(shipped("config/economic-calendar.yaml"), file: "config/economic-calendar.yaml").get()
    }

    @Test(
        "the shipped calendar names each day's releases at their times, and says when a schedule is not yet published",
        arguments: [
            ("2026-12-09", ["14:00 FOMC rate decision, with economic projections"], [String]()),
            ("2026-10-28", ["14:00 FOMC rate decision"], []),
            ("2026-12-10", ["08:30 CPI (consumer prices)"], []),
            ("2026-12-04", ["08:30 Employment Situation (nonfarm payrolls)"], []),
            ("2026-01-22", ["10:00 PCE prices (Personal Income and Outlays)"], []),
            ("2026-02-13", ["08:30 CPI (consumer prices)"], []),
            ("2026-12-07", [], []),
            (
                "2027-01-27", ["14:00 FOMC rate decision"],
                ["CPI (consumer prices)", "Employment Situation (nonfarm payrolls)", "PCE prices (Personal Income and Outlays)"]
            ),
        ])
    func calendarDays(_ day: String, _ expected: [String], _ unknown: [String]) throws {
        let (events, notKnown) = try Self.calendar().events(on: LocalDate(parsing: day)!)
        #expect(events.map { "\($0.time) \($0.title)" } == expected)
        #expect(notKnown == unknown)
    }

    @Test(
        "a calendar with errors is refused with each at its place",
        arguments: [
            ("cpi: { title: CPI, time: \"08:30\", source: s, known_through: 2026-12-31, dates: [2026-12-12] }", "1:", "2026-12-12 is a Saturday"),
            ("cpi: { title: CPI, time: \"08:30\", source: s, known_through: 2026-06-30, dates: [2026-12-10] }", "1:", "is after known_through 2026-06-30"),
            ("cpi: { title: CPI, time: \"08:30\", source: s, known_through: 2026-12-31, dates: [2026-12-10, 2026-11-10] }", "1:", "keep the dates in order"),
            ("cpi: { title: CPI, time: \"08:30\", source: s, known_through: 2026-12-31, dates: [2026-12-10, 2026-12-10] }", "1:", "is listed twice"),
            ("cpi: { title: CPI, time: \"8.30\", source: s, known_through: 2026-12-31, dates: [2026-12-10] }", "1:", "time of day"),
            ("cpi: { title: CPI, time: \"08:30\", source: s, known_through: 2026-12-31, dates: [2026-13-10] }", "1:", "is not a date"),
            ("cpi: { time: \"08:30\", source: s, known_through: 2026-12-31, dates: [2026-12-10] }", "1:", "cpi needs title:"),
            (
                "fomc: { title: F, time: \"14:00\", source: s, known_through: 2026-12-31, dates: [2026-12-09], projections: [2026-12-10] }", "1:",
                "2026-12-10 is not one of fomc.dates"
            ),
            ("cpi: { title: CPI, time: \"08:30\", source: s, known_through: 2026-12-31, dates: [2026-12-10], when: x }", "1:", "when"),
        ])
    func badCalendar(_ text: String, _ line: String, _ message: String) {
        guard case .failure(let problems) = EconomicCalendar.load(text, file: "cal.yaml") else {
            Issue.record("accepted: \(text)")
            return
        }
        #expect(problems.description.contains("cal.yaml:\(line)") && problems.description.contains(message), "\(problems)")
    }

    /// SPY above its flip with dealers long gamma, up overnight; QQQ alike; AAPL with bullish news.
    static func picture(events: [EconomicCalendar.Event] = []) -> MorningPicture {
        var spy = MorningPicture.Symbol(symbol: "SPY")
        spy.priorDate = "2026-12-04"
        spy.priorOpen = 655; spy.priorHigh = 660; spy.priorLow = 650; spy.priorClose = 658
        spy.pivots = .init(high: 660, low: 650, close: 658)
        spy.spot = 662; spy.overnightPct = (662 / 658 - 1) * 100
        spy.gex = 2.1e9; spy.flip = 655.5
        spy.gammaStrikes = [.init(strike: 665, share: 0.14, long: true), .init(strike: 650, share: 0.09, long: false)]
        spy.putCallVolume = 0.65; spy.unusualCallPremium = 3e6; spy.unusualPutPremium = 1e6
        spy.rsi = 58; spy.macdHistogram = 0.4; spy.vwap = 656.2; spy.vwapSD = 2.5
        var qqq = MorningPicture.Symbol(symbol: "QQQ")
        qqq.priorHigh = 530; qqq.priorLow = 520; qqq.priorClose = 528; qqq.pivots = .init(high: 530, low: 520, close: 528)
        qqq.spot = 531; qqq.overnightPct = (531 / 528 - 1) * 100; qqq.gex = 8e8; qqq.flip = 524
        var aapl = MorningPicture.Symbol(symbol: "AAPL")
        aapl.sentiment = 0.35; aapl.articles = 40; aapl.rsi = 78
        var p = MorningPicture(date: "2026-12-07", symbols: [spy, qqq, aapl], events: events)
        p.held = [.init(strategy: "1dte", instrument: "QQQ 20261208 C 533", side: "BUY", openedAt: 0)]
        p.missing = ["IWM: no options positioning"]
        return p
    }

    @Test("floor pivots by hand: P = (H + L + C) / 3, R1 = 2P − L, S1 = 2P − H, R2 = P + (H − L), S2 = P − (H − L)")
    func pivots() {
        let p = MorningPicture.Pivots(high: 660, low: 650, close: 658)
        #expect(abs(p.pivot - 656) < 1e-9 && abs(p.r1 - 662) < 1e-9 && abs(p.s1 - 652) < 1e-9 && abs(p.r2 - 666) < 1e-9 && abs(p.s2 - 646) < 1e-9)
    }

    @Test("the rules: a bullish lean by hand, the long-gamma range first, the day's releases and what is held among the risks")
    func rules() throws {
        let cpi = EconomicCalendar.Event(series: "cpi", title: "CPI (consumer prices)", time: "08:30", source: "s")
        let p = Self.picture(events: [cpi])
        // SPY: overnight +0.61 % → 1 (w 1); unusual (3 − 1) / 4 = 0.5 (w 0.8); put/call 0.65 → 1 (w 0.5);
        // MACD up → 1 (w 0.5); RSI 58 not extreme. (1 + 0.4 + 0.5 + 0.5) / 2.8 = 0.857.
        #expect(abs(MorningRules.lean(p.symbols[0]) - 2.4 / 2.8) < 1e-9)
        // QQQ: +0.57 % → 0.947 (w 1).
        #expect(abs(MorningRules.lean(p.symbols[1]) - (531.0 / 528 - 1) * 100 / 0.6) < 1e-9)
        // AAPL: sentiment 0.35 → 1 (w 1), RSI 78 → −1 (w 0.5): 0.5 / 1.5.
        #expect(abs(MorningRules.lean(p.symbols[2]) - 1.0 / 3) < 1e-9)
        let a = MorningRules.analyze(p)
        #expect(a.bias == .bullish)
        #expect(a.scenarios.map(\.name) == ["range", "break lower", "break higher"])
        #expect(a.scenarios.map { ($0.probability * 100).rounded() } == [50, 15, 35], "long gamma 0.5 / 0.25 / 0.25, 0.1 toward the bullish side")
        #expect(a.scenarios[0].plan.contains("665 pin"))
        // The nearest levels around 662: the prior high 660 below (R1 is 662 itself), R2 666 above.
        #expect(a.scenarios[0].trigger == "SPY holds between 660.00 and 666.00 with dealers long gamma")
        #expect(a.scenarios[1].trigger == "SPY trades below 660.00" && a.scenarios[1].plan.hasSuffix("momentum toward 658.00"))
        #expect(a.scenarios[2].trigger == "SPY trades above 666.00")
        #expect(a.risks.first == "CPI (consumer prices) at 08:30 ET: spreads widen and prices gap around the release")
        #expect(a.risks.contains("held overnight: QQQ 20261208 C 533 (1dte, long)"))
        #expect(a.risks.contains { $0.contains("IWM: no options positioning") })
        #expect(a.risks.contains("AAPL: RSI 78, stretched"))
        let spyLevels = a.levels.filter { $0.symbol == "SPY" }
        #expect(spyLevels.contains { $0.kind == .flip && $0.price == 655.5 })
        #expect(spyLevels.contains { $0.kind == .vwap && $0.price == 661.2 && $0.note == "VWAP +2σ" })
        #expect(spyLevels.contains { $0.kind == .pivot && $0.price == 656 } && spyLevels.map(\.price) == spyLevels.map(\.price).sorted())
        #expect(a.summary.contains("SPY is at 662.00 before the open (+0.61 % from the prior close), above the flip with dealers long gamma"))
        #expect(a.symbols.map(\.bias) == [.bullish, .bullish, .bullish])
        #expect(MorningAnalysis.parse(String(decoding: try JSONEncoder().encode(a), as: UTF8.self), symbols: ["SPY", "QQQ", "AAPL"]) == .success(a))
    }

    @Test("below the flip the rules expect moves to extend and weigh the breaks more")
    func shortGamma() {
        var p = Self.picture()
        p.symbols[0].spot = 654; p.symbols[0].overnightPct = (654 / 658 - 1) * 100
        p.symbols[0].gex = -1.2e9
        let a = MorningRules.analyze(p)
        // SPY's lean (−1 + 0.4 + 0.5 + 0.5) / 2.8 = 0.14, QQQ's 0.95: the day 0.47, still bullish;
        // short gamma 0.3 / 0.35 / 0.35, then 0.1 toward the break higher.
        #expect(a.bias == .bullish)
        #expect(a.scenarios.map { ($0.probability * 100).rounded() } == [30, 25, 45])
        #expect(a.risks.contains("SPY: dealers short gamma at the premarket price — moves extend instead of reverting"))
        #expect(a.summary.contains("with dealers short gamma: expect moves to extend"))
    }

    @Test("a model's answer outside the schema's reach is refused with each problem named")
    func badAnswers() {
        let good = MorningRules.analyze(Self.picture())
        var wrong = good
        wrong.levels.append(.init(symbol: "TSLAX", price: -3, kind: .support, note: "?"))
        wrong.scenarios = [.init(name: "a", probability: 0.8, trigger: "t", plan: "p"), .init(name: "b", probability: 0.7, trigger: "t", plan: "p")]
        let text = String(decoding: try! JSONEncoder().encode(wrong), as: UTF8.self)
        guard case .failure(let problems) = MorningAnalysis.parse(text, symbols: ["SPY", "QQQ", "AAPL"]) else {
            Issue.record("accepted")
            return
        }
        #expect(problems.all.contains { $0.contains("TSLAX is not a configured symbol") })
        #expect(problems.all.contains { $0.contains("price -3.0 is not a price") })
        #expect(problems.all.contains { $0.contains("add up to 1.50") })
        guard case .failure(let shape) = MorningAnalysis.parse("{\"bias\":\"up\"}", symbols: ["SPY"]) else { return }
        #expect(shape.description.contains("does not have the schema's shape"))
    }

    @Test("the shipped prompt loads, every placeholder is filled, and the user message carries the picture's figures")
    func prompt() throws {
        let prompt = try MorningPrompt.load(Self.shipped("config/prompts/morning.md"), file: "config/prompts/morning.md").get()
        #expect(prompt.model == "gpt-4o-2024-08-06" && prompt.maxCompletionTokens == 2_500 && prompt.priceInput == 2.5 && prompt.priceOutput == 10)
        #expect(prompt.system.contains("Use only the figures given"))
        let user = prompt.user(for: Self.picture(events: [.init(series: "cpi", title: "CPI", time: "08:30", source: "s")]))
        #expect(!user.contains("{{"))
        #expect(user.contains("- SPY: prior 2026-12-04 O 655.00 H 660.00 L 650.00 C 658.00; pivots P 656.00 R1 662.00 R2 666.00 S1 652.00 S2 646.00"))
        #expect(user.contains("gamma strikes 665 (14 %, long), 650 (9 %, short)") && user.contains("- 08:30 CPI"))
        #expect(user.contains("- QQQ 20261208 C 533 (1dte, long)") && user.contains("- IWM: no options positioning"))
    }

    @Test(
        "a prompt file with errors is refused at its line",
        arguments: [
            ("## System\nx\n## User\ny\n", "p.md:1:", "front matter"),
            ("---\nmodel: m\n---\n## System\nx\n## User\nSee {{dat}}.\n", "p.md:7:", "unknown placeholder {{dat}}"),
            ("---\nmodel: m\nmax_completion_tokens: 3\n---\n## System\nx\n## User\ny\n", "p.md:3:", "max_completion_tokens"),
            ("---\nmodel: m\ntemperature: 2\n---\n## System\nx\n## User\ny\n", "p.md:3:", "temperature"),
            ("---\nmodel: m\n---\n## System\nx\n", "p.md:", "## User section is missing or empty"),
            ("---\nprice_input: 1\n---\n## System\nx\n## User\ny\n", "p.md:1:", "needs model:"),
            ("---\nmodel: m\n---\n## Assistant\nx\n", "p.md:4:", "unknown section"),
        ])
    func badPrompt(_ text: String, _ place: String, _ message: String) {
        guard case .failure(let problems) = MorningPrompt.load(text, file: "p.md") else {
            Issue.record("accepted: \(text)")
            return
        }
        #expect(problems.description.contains(place) && problems.description.contains(message), "\(problems)")
    }

    @Test("the report renders as Markdown and as self-contained HTML with everything escaped and the rules' label")
    func render() {
        var a = MorningRules.analyze(Self.picture())
        a.summary = "Watch <script>alert(1)</script> & the \"pin\"."
        let r = MorningReport(
            date: "2026-12-07", generatedBy: "rules", fallbackReason: "no OPENAI_API_KEY", analysis: a, events: [], unknownSchedules: ["CPI"],
            usage: nil, generatedAt: 0)
        let html = MorningRender.html(r)
        #expect(html.contains("Watch &lt;script&gt;alert(1)&lt;/script&gt; &amp; the &quot;pin&quot;."))
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"))
        #expect(html.contains("Generated without AI, by rules from the same data (no OPENAI_API_KEY)."))
        let md = MorningRender.markdown(r)
        #expect(md.hasPrefix("# Morning analysis — 2026-12-07\n\n_Generated without AI") && md.contains("| range | 50 % |"))
        #expect(md.contains("Schedule not yet published: CPI"))
        let json = r.json
        #expect(json.contains("\"generated_by\":\"rules\"") && json.contains("\"usage\":{\"completion_tokens\":0,\"cost_usd\":0,\"prompt_tokens\":0}"))
    }
}

@Suite("alphatrader morning-analysis end to end: premarket data in Redis → the model or the rules → analysis:morning and the report", .serialized)
struct MorningAnalysisCommandTests {
    let cli = AlphaTraderCLITests()

    /// A Redis with what premarket-data writes for SPY, QQQ and AAPL on 2026-12-07.
    func premarket() throws -> RedisServer {
        let server = try RedisServer()
        let url = try RedisURL(parsing: server.url)
        let context = try TestTape.context(server.url, module: "morning-test")
        let simulator = try AlphaVantageSimulator(payloads: AlphaVantagePayloads(seed: 1, date: "2026-12-07"), symbols: ["SPY", "QQQ", "AAPL"])
        defer { simulator.stop() }
        let c = AlphaVantageClient(baseURL: simulator.baseURL, apiKey: "k", limiter: nil, log: context.log)
        let report = PremarketJob(context: context, client: c, redis: try RedisClient(url: url)).run(
            symbols: ["SPY", "QQQ", "AAPL"], parts: Set(PremarketJob.Part.allCases))
        #expect(report.failures.isEmpty, "\(report.failures)")
        return server
    }

    func run(_ server: RedisServer, _ extra: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String, dir: String) {
        let dir = NSTemporaryDirectory() + "morning-\(UUID().uuidString)"
        let r = try cli.run(
            ["morning-analysis", "--date", "2026-12-07", "--reports", dir, "--journal", dir + "/none.sqlite", "--json"] + extra,
            environment: ["REDIS_URL": server.url, "OPENAI_API_KEY": ""].merging(environment) { $1 })
        return (r.status, r.stdout, r.stderr, dir)
    }

    @Test("without a key the rules write it, labelled, from the premarket data: prior-day pivots, the gamma flip, the missing symbols named")
    func byRules() throws {
        let server = try premarket()
        defer { server.stop() }
        let r = try run(server, [], environment: [:])
        defer { try? FileManager.default.removeItem(atPath: r.dir) }
        #expect(r.status == 0, "\(r.stderr)")
        let redis = try RedisClient(url: try RedisURL(parsing: server.url))
        let stored = try #require(try redis.command(["GET", "analysis:morning"]).text)
        #expect(stored == r.stdout.trimmingCharacters(in: .newlines))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(stored.utf8)) as? [String: Any])
        #expect(doc["generated_by"] as? String == "rules" && doc["fallback_reason"] as? String == "no OPENAI_API_KEY")
        #expect(doc["date"] as? String == "2026-12-07" && ["bullish", "bearish", "neutral"].contains(doc["bias"] as? String ?? ""))
        let levels = try #require(doc["levels"] as? [[String: Any]])
        #expect(levels.contains { $0["symbol"] as? String == "SPY" && $0["kind"] as? String == "pivot" })
        #expect(levels.contains { $0["symbol"] as? String == "SPY" && $0["kind"] as? String == "gamma" })
        let risks = try #require(doc["risks"] as? [String])
        #expect(risks.contains { $0.contains("IWM: no prior session") }, "the symbols premarket did not fetch are named: \(risks)")
        let html = try String(contentsOfFile: r.dir + "/2026-12-07/morning.html", encoding: .utf8)
        #expect(html.contains("Generated without AI") && html.contains("id=\"levels\""))
        #expect(FileManager.default.fileExists(atPath: r.dir + "/2026-12-07/morning.md"))
    }

    @Test("with a key the model writes it through endpoints.openai; a refusal falls back to the rules with the reason, tokens kept")
    func byModel() throws {
        let server = try premarket()
        defer { server.stop() }
        let openai = try OpenAISimulator(key: "sk-local-42", answer: OpenAIClientTests.answer)
        defer { openai.stop() }
        let env = ["OPENAI_API_KEY": "sk-local-42", "OPENAI_URL": openai.baseURL]
        let r = try run(server, [], environment: env)
        defer { try? FileManager.default.removeItem(atPath: r.dir) }
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["generated_by"] as? String == "model gpt-4o-2024-08-06" && doc["fallback_reason"] == nil)
        let usage = try #require(doc["usage"] as? [String: Any])
        #expect((usage["prompt_tokens"] as? Int ?? 0) > 100 && (usage["cost_usd"] as? Double ?? 0) > 0)
        let user = try #require(((openai.requests.first?["messages"] as? [[String: Any]])?.last?["content"]) as? String)
        #expect(user.contains("- SPY: prior 2026-12-04") && user.contains("GEX") && !user.contains("{{"), "the prompt carries the day's figures")
        #expect(!r.stderr.contains("sk-local-42"))

        openai.then(.refusal("I can't provide financial advice."))
        let refused = try run(server, [], environment: env)
        defer { try? FileManager.default.removeItem(atPath: refused.dir) }
        let fallback = try #require(try JSONSerialization.jsonObject(with: Data(refused.stdout.utf8)) as? [String: Any])
        #expect(fallback["generated_by"] as? String == "rules")
        #expect((fallback["fallback_reason"] as? String ?? "").hasPrefix("the model refused: I can't provide financial advice."))
        #expect(((fallback["usage"] as? [String: Any])?["completion_tokens"] as? Int ?? 0) > 0, "the refusal's tokens were paid for")
    }

    @Test("post: every channel through the local stand-ins, not again on a rerun; an unset channel is skipped and a failing one named with exit 1")
    func post() throws {
        let server = try premarket()
        defer { server.stop() }
        let made = try run(server, ["--rules"], environment: [:])
        defer { try? FileManager.default.removeItem(atPath: made.dir) }
        #expect(made.status == 0, "\(made.stderr)")
        let env = ["REDIS_URL": server.url, "ALPHATRADER_LOCAL_CHANNELS": "1"]
        let first = try cli.run(["post", "--report", "morning", "--date", "2026-12-07", "--json"], environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        let outcomes = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [[String: Any]])
        #expect(outcomes.map { $0["outcome"] as? String } == ["posted", "posted", "posted"], "\(first.stdout)")
        let again = try cli.run(["post", "--report", "morning", "--date", "2026-12-07"], environment: env)
        #expect(again.status == 0 && again.stdout.components(separatedBy: "already posted for this session").count == 4, "\(again.stdout)")
        // Real channels: Discord pointed at nothing, the others unset.
        let real = [
            "REDIS_URL": server.url, "DISCORD_WEBHOOK_URL": "http://127.0.0.1:1/api/webhooks/1/secret-token", "TELEGRAM_BOT_TOKEN": "", "X_API_KEY": "",
        ]
        let failing = try cli.run(["post", "--report", "morning", "--date", "2026-12-07"], environment: real)
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("discord: FAILED") && failing.stdout.contains("telegram: skipped — TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID"))
        #expect(failing.stdout.contains("x: skipped") && failing.stderr.contains("could not post to discord"))
        #expect(!failing.stdout.contains("secret-token") && !failing.stderr.contains("secret-token"))
        let stale = try cli.run(["post", "--report", "morning", "--date", "2026-12-08"], environment: env)
        #expect(stale.status == 1 && stale.stderr.contains("is of 2026-12-07, not 2026-12-08"), "\(stale.stderr)")
    }

    @Test("a prompt or calendar file with errors: exit 2, the place named, nothing written")
    func badFiles() throws {
        let dir = NSTemporaryDirectory() + "morning-bad-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "---\nmodel: m\n---\n## System\nx\n## User\n{{weather}}\n".write(toFile: dir + "/p.md", atomically: true, encoding: .utf8)
        let r = try cli.run(["morning-analysis", "--prompt", dir + "/p.md", "--reports", dir], environment: ["REDIS_URL": "redis://127.0.0.1:1/0"])
        #expect(r.status == 2 && r.stderr.contains("p.md:7:1: error: unknown placeholder {{weather}}"), "\(r.stderr)")
        let c = try cli.run(["morning-analysis", "--check"])
        #expect(c.status == 0 && c.stdout.contains("config/prompts/morning.md: ok (model gpt-4o-2024-08-06)"), "\(c.stdout)\(c.stderr)")
    }
}

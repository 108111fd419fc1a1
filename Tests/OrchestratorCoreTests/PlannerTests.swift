import OrchestratorRuntime
import Testing

@testable import OrchestratorCore

@Suite("The AlphaTrader day in jobs/")
struct PlannerTests {
    func workspace() throws -> Workspace {
        try WorkspaceFiles(configPath: repositoryRoot + "/config/config.yaml", jobsDirectory: repositoryRoot + "/jobs")
            .load(environment: [:]).get().declared
    }

    @Test("the committed jobs/ and config/ validate")
    func validates() throws {
        let w = try workspace()
        #expect(Set(w.services.keys) == ["redis", "ibkr-ingestion", "analytics", "broker", "execution", "distribution", "dashboard"])
        #expect(
            Set(w.jobs.keys).isSuperset(of: [
                "premarket-data", "morning-analysis", "morning-post", "market-open",
                "parameter-discovery", "moc", "evening-report", "evening-post", "backup",
            ]))
    }

    @Test("on the early close of 2026-11-27: moc at 12:50, evening-report at 13:30, discovery 09:30 to 12:45")
    func earlyCloseDay() throws {
        let plan = try Planner.slots(of: workspace(), on: date("2026-11-27"))
        func times(_ job: String) -> [String] { plan.filter { $0.job == job }.compactMap { $0.time.map { TimeFormat.clock($0, in: newYork) } } }
        #expect(times("moc") == ["12:50"])
        #expect(times("evening-report") == ["13:30"])
        let discovery = times("parameter-discovery")
        #expect(discovery.first == "09:30" && discovery.last == "12:45" && discovery.count == 14)
        #expect(times("premarket-data") == ["07:00"] && times("morning-analysis") == ["08:00"] && times("market-open") == ["09:25"])
        #expect(times("backup") == ["17:00"])
        let scheduled = plan.compactMap(\.time)
        #expect(scheduled == scheduled.sorted())
    }

    @Test("unscheduled downstream jobs follow their upstream as `after X`")
    func afterUpstream() throws {
        let plan = try Planner.slots(of: workspace(), on: date("2026-11-27"))
        let analysis = try #require(plan.firstIndex { $0.job == "morning-analysis" })
        #expect(plan[analysis + 1] == PlannedSlot(job: "morning-post", time: nil, reason: "after morning-analysis", upstreams: ["morning-analysis"]))
        let report = try #require(plan.firstIndex { $0.job == "evening-report" })
        #expect(plan[report + 1].job == "evening-post" && plan[report + 1].reason == "after evening-report")
        #expect(!plan.contains { $0.job == "alert" })
    }

    @Test("a weekend day plans only the daily jobs, and no service window opens")
    func weekend() throws {
        let w = try workspace()
        #expect(try Planner.slots(of: w, on: date("2026-11-28")).map(\.job) == ["backup"])
        #expect(try Planner.windows(of: w, on: date("2026-11-28")).map(\.service) == ["redis"])
    }

    @Test("service windows move with the early close")
    func windows() throws {
        let windows = try Planner.windows(of: workspace(), on: date("2026-11-27"))
        let ingestion = try #require(windows.first { $0.service == "ibkr-ingestion" })
        #expect(TimeFormat.clock(ingestion.start!, in: newYork) == "09:00")
        #expect(TimeFormat.clock(ingestion.end!, in: newYork) == "13:15")
    }

    @Test("a job in another time zone is planned on the day the configured zone reads")
    func otherZone() throws {
        let w = try Workspace.load(
            config: .init(path: "c.yaml", contents: "timezone: America/New_York\n"),
            jobFiles: [
                .init(
                    path: "j.yaml",
                    contents: """
                        jobs:
                          tokyo: { command: [true], timezone: Asia/Tokyo, schedule: { at: "07:00", days: daily } }
                          london: { command: [true], timezone: Europe/London, schedule: { cron: "30 16 * * 1-5" } }
                        """)
            ], environment: [:]
        ).get()
        let plan = try Planner.slots(of: w, on: date("2026-11-25"))
        #expect(
            plan.map { "\($0.job) \(TimeFormat.local($0.time!, in: newYork))" } == [
                "london 2026-11-25T11:30:00-05:00",
                "tokyo 2026-11-25T17:00:00-05:00",
            ])
    }
}

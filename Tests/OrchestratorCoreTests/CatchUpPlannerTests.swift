import Testing

@testable import OrchestratorCore

@Suite("Catch-up planning")
struct CatchUpPlannerTests {
    func workspace(_ catchUp: String, deadline: String = "") throws -> Workspace {
        try SchedulerTests.workspace("jobs:\n  d: { command: [true], schedule: { at: \"17:00\", days: daily }, catch_up: \(catchUp)\(deadline) }\n")
    }
    let from = instant("2026-11-23T12:00:00-05:00")
    let to = instant("2026-11-25T12:00:00-05:00")
    let slot24 = instant("2026-11-24T17:00:00-05:00")

    func plan(_ ws: Workspace, claimed: Set<String> = []) throws -> [String] {
        try CatchUpPlanner.plan(ws, from: from, to: to, claimed: claimed).map { "\(TimeFormat.utc($0.time)) \($0.state.rawValue)" }
    }

    @Test("catch_up all runs every missed slot, latest only the last, none records them missed")
    func policies() throws {
        #expect(try plan(workspace("all")) == ["2026-11-23T22:00:00Z queued", "2026-11-24T22:00:00Z queued"])
        #expect(try plan(workspace("latest")) == ["2026-11-23T22:00:00Z skipped", "2026-11-24T22:00:00Z queued"])
        #expect(try plan(workspace("none")) == ["2026-11-23T22:00:00Z missed", "2026-11-24T22:00:00Z missed"])
    }

    @Test("catch_up latest does not run an earlier missed slot when the latest one already ran")
    func latestAlreadyRan() throws {
        #expect(try plan(workspace("latest"), claimed: ["d@\(slot24)"]) == ["2026-11-23T22:00:00Z skipped"])
    }

    @Test("a missed slot older than its deadline is recorded missed, whatever catch_up says")
    func deadline() throws {
        #expect(try plan(workspace("all", deadline: ", deadline: 20h")) == ["2026-11-23T22:00:00Z missed", "2026-11-24T22:00:00Z queued"])
    }
}
